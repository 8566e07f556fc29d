package archive

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
)

// BenchmarkS3Ingest ingests 200 files of 1 MiB into a catalogue whose
// store is the S3 server of make test-s3 (verifier that does nothing):
// staging copy, hash, fsync, upload with the server checking SHA-256,
// commit. BenchmarkS3PlainPut uploads the same files with minio-go's
// PutObject, as many at once: the floor. Run with
// KYSO_TEST_S3_* set (scripts/bench-s3.sh does).
func BenchmarkS3Ingest(b *testing.B) {
	acc := s3Access(b)
	files := trailedFiles(b, 200, 1<<20)
	b.SetBytes(int64(len(files)) << 20)
	for b.Loop() {
		b.StopTimer()
		bucket := newBucket(b, acc, false)
		o := Options{Verify: quickVerify, Actor: "bench@test", S3: acc, StorePath: "s3://" + bucket + "/h26"}
		c, err := Create(context.Background(), filepath.Join(b.TempDir(), "kyso.db"), testUnit, o)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if sum, err := c.Ingest(context.Background(), files, IngestOptions{}, nil); err != nil || sum.Ingested != len(files) {
			b.Fatalf("%+v %v", sum, err)
		}
		c.Close()
	}
}

func BenchmarkS3PlainPut(b *testing.B) {
	acc := s3Access(b)
	files := trailedFiles(b, 200, 1<<20)
	cl := rawClient(b, acc)
	b.SetBytes(int64(len(files)) << 20)
	for b.Loop() {
		b.StopTimer()
		bucket := newBucket(b, acc, false)
		b.StartTimer()
		plainPut(b, cl, bucket, files, defaultUploadJobs)
	}
}

// trailedFiles are benchFiles that end as a PDF does (startxref, %%EOF),
// so that reading their embedded metadata finds the trailer at once, as
// with real scans, instead of searching the whole file.
func trailedFiles(b *testing.B, n, size int) []string {
	files := benchFiles(b, n, size)
	for _, p := range files {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		trailer := []byte("\nstartxref\n9\n%%EOF\n")
		if _, err := f.WriteAt(trailer, int64(size-len(trailer))); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	return files
}

// plainPut uploads files with jobs at once, each under its base name.
func plainPut(b *testing.B, cl *minio.Client, bucket string, files []string, jobs int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, jobs)
	for _, p := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f, err := os.Open(p)
			if err != nil {
				b.Error(err)
				return
			}
			defer f.Close()
			fi, _ := f.Stat()
			if _, err := cl.PutObject(context.Background(), bucket, "plain/"+filepath.Base(p), f, fi.Size(), minio.PutObjectOptions{}); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkS3Audit audits 1,000 records of 64 KiB whose contents are in
// the S3 store: list, re-read and re-hash every object, check the chain.
// BenchmarkFolderAudit1000 is the same catalogue on the folder store.
func BenchmarkS3Audit(b *testing.B)         { benchAudit1000(b, true) }
func BenchmarkFolderAudit1000(b *testing.B) { benchAudit1000(b, false) }

func benchAudit1000(b *testing.B, remote bool) {
	files := trailedFiles(b, 1000, 64<<10)
	o := Options{Verify: quickVerify, Actor: "bench@test"}
	if remote {
		acc := s3Access(b)
		o.S3, o.StorePath = acc, "s3://"+newBucket(b, acc, false)+"/h26"
	}
	path := filepath.Join(b.TempDir(), "kyso.db")
	c, err := Create(context.Background(), path, testUnit, o)
	if err != nil {
		b.Fatal(err)
	}
	if sum, err := c.Ingest(context.Background(), files, IngestOptions{}, nil); err != nil || sum.Ingested != len(files) {
		b.Fatalf("%+v %v", sum, err)
	}
	c.Close()
	o.ReadOnly, o.StorePath = true, ""
	ro, err := Open(context.Background(), path, o)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(files)) << 16)
	b.ResetTimer()
	for b.Loop() {
		sum, err := ro.Audit(context.Background(), AuditOptions{}, nil)
		if err != nil || sum.OK != len(files) || sum.Store.Objects != len(files) {
			b.Fatalf("%+v %v", sum, err)
		}
	}
}
