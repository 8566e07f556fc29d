package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/verify"
)

// The catalogue benchmarks run on a synthetic catalogue of
// KYSO_BENCH_RECORDS records (default 1,000,000), built once by a bulk
// loader and kept in the temp folder (kyso-bench-L-N.db) for later runs.

const benchUnits = 30

// benchLayout names the cached catalogue: bump it when the stored layout
// changes, so that an old one is not measured.
const benchLayout = 3

func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("KYSO_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

func benchDossier(i int) string { return fmt.Sprintf("H26.%02d-%06d-%05d", i%benchUnits, i/7, i) }
func benchUnit(i int) string    { return fmt.Sprintf("000.%02d.00.H26", i%benchUnits) }

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchCatalogue returns the path of the synthetic catalogue, building it
// on first use.
func benchCatalogue(b *testing.B) string {
	benchOnce.Do(func() {
		n := benchRecords()
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("kyso-bench-%d-%d.db", benchLayout, n))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		start := time.Now()
		benchErr = buildSynthetic(benchPath+".tmp", n)
		if benchErr == nil {
			benchErr = os.Rename(benchPath+".tmp", benchPath)
		}
		b.Logf("built %d records in %s", n, time.Since(start).Round(time.Second))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// buildSynthetic writes n realistic records: 30 units, 200 procedures,
// issue dates over 2021-2025, one B-T signature and one history event each.
func buildSynthetic(path string, n int) error {
	os.Remove(path)
	db, err := bolt.Open(path, 0o644, &bolt.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(db, path, true); err != nil {
		return err
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyUnit, jsonMarshal(Unit{Code: benchUnit(0), Name: "UBND xã Hòa Đông", Level: "commune"}))
	}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ict := time.FixedZone("ICT", 7*3600)
	base := time.Date(2021, 1, 1, 8, 0, 0, 0, ict)
	const batch = 100000 // few large transactions: each rewrites the index pages it touches
	for lo := 0; lo < n; lo += batch {
		err := db.Update(func(tx *bolt.Tx) error {
			pending := map[string][][]byte{}
			for i := lo; i < min(lo+batch, n); i++ {
				var sum [32]byte
				for j := range sum {
					sum[j] = byte(rng.Uint32())
				}
				issued := base.Add(time.Duration(rng.IntN(5*365*24)) * time.Hour)
				signed := issued.Add(2 * time.Hour)
				notAfter := signed.AddDate(3, 0, 0)
				r := &Record{
					SHA256: hex.EncodeToString(sum[:]), Size: 200_000 + int64(rng.IntN(5_000_000)), Name: fmt.Sprintf("scan-%07d.pdf", i),
					Meta: Meta{Dossier: benchDossier(i), Procedure: fmt.Sprintf("1.%06d", 1000+i%200), ProcedureName: "Đăng ký khai sinh có yếu tố nước ngoài",
						Unit: benchUnit(i), UnitName: fmt.Sprintf("UBND xã số %d", i%benchUnits), Level: "commune", Issued: issued.Format(time.DateOnly),
						ResultNumber: fmt.Sprintf("%d/QĐ-UBND", i), CopyForm: "SAO Y"},
					Version: 1, Status: verify.Valid, VerifiedAt: signed, IngestedAt: signed,
					Signatures: []Signature{{Kind: "approval", Signer: fmt.Sprintf("CN=UBND xã số %d,O=UBND huyện Krông Pắc,L=Đắk Lắk,C=VN", i%benchUnits),
						Issuer: "CN=VNPT Certification Authority,OU=VNPT-CA Trust Network,O=VNPT Group,C=VN", Serial: fmt.Sprintf("5401%016x", i),
						CertSHA256: hex.EncodeToString(sum[:]), NotAfter: &notAfter, SigningTime: &signed, TimestampTime: &signed,
						TSA: "CN=VNPT TSA", TSANotAfter: &notAfter, Level: "B-T", Status: verify.Valid}},
				}
				id, err := tx.Bucket(bucketRecords).NextSequence()
				if err != nil {
					return err
				}
				r.ID = id
				if err := appendEvent(tx, r, Event{Time: signed, Type: EventIngested, Actor: "vanthu@ubnd-xa", Detail: "from D:\\scans\\" + r.Name + "; verdict valid"}); err != nil {
					return err
				}
				if err := putRecord(tx, r); err != nil {
					return err
				}
				for name, keys := range indexKeys(r) {
					pending[name] = append(pending[name], keys...)
				}
				pending[string(idxSHA)] = append(pending[string(idxSHA)], append(sum[:], idKey(r.ID)...))
			}
			// Index keys in sorted order: bbolt splits nodes only at commit,
			// so random inserts into one node of a large transaction would
			// cost a quadratic number of moves.
			for name, keys := range pending {
				sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
				b := tx.Bucket(bucketIdx).Bucket([]byte(name))
				b.FillPercent = indexFill
				for _, k := range keys {
					var v []byte
					if name == string(idxSHA) {
						k, v = k[:32], k[32:]
					}
					if err := b.Put(k, v); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return db.Sync()
}

func benchOpen(b *testing.B, path string) *Catalogue {
	o := Options{ReadOnly: true, LockTimeout: time.Second, Actor: "bench@test"}
	c, err := Open(context.Background(), path, o)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkListDossier is `kyso archive ls --dossier CODE`: open, one
// prefix scan, close.
func BenchmarkListDossier(b *testing.B) {
	path := benchCatalogue(b)
	n := benchRecords()
	rng := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		c := benchOpen(b, path)
		found := 0
		if err := c.List(context.Background(), Query{Dossier: benchDossier(rng.IntN(n))}, func(*Record) error { found++; return nil }); err != nil || found != 1 {
			b.Fatalf("found %d: %v", found, err)
		}
		c.Close()
	}
}

// BenchmarkShow is `kyso archive show DOSSIER`: the record and its history.
func BenchmarkShow(b *testing.B) {
	path := benchCatalogue(b)
	n := benchRecords()
	rng := rand.New(rand.NewPCG(5, 6))
	for b.Loop() {
		c := benchOpen(b, path)
		es, err := c.Find(context.Background(), benchDossier(rng.IntN(n)))
		if err != nil || len(es) != 1 || len(es[0].History) != 1 {
			b.Fatalf("%v %v", es, err)
		}
		c.Close()
	}
}

var errFirstRow = errors.New("first row")

// BenchmarkListUnitYearFirstRow is the time to the first row of
// `kyso archive ls --unit CODE --from 2024-01-01 --to 2024-12-31`.
func BenchmarkListUnitYearFirstRow(b *testing.B) {
	path := benchCatalogue(b)
	rng := rand.New(rand.NewPCG(7, 8))
	for b.Loop() {
		c := benchOpen(b, path)
		q := Query{Unit: benchUnit(rng.IntN(benchUnits)), From: "2024-01-01", To: "2024-12-31"}
		err := c.List(context.Background(), q, func(*Record) error { return errFirstRow })
		if !errors.Is(err, errFirstRow) {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkListUnitYearAll streams a whole year of one unit.
func BenchmarkListUnitYearAll(b *testing.B) {
	path := benchCatalogue(b)
	c := benchOpen(b, path)
	defer c.Close()
	rows := 0
	for b.Loop() {
		rows = 0
		if err := c.List(context.Background(), Query{Unit: benchUnit(1), From: "2024-01-01", To: "2024-12-31"}, func(*Record) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkCatalogueSize reports the catalogue's bytes per record.
func BenchmarkCatalogueSize(b *testing.B) {
	path := benchCatalogue(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
	}
	b.ReportMetric(float64(st.Size())/float64(benchRecords()), "bytes/record")
}

// BenchmarkReportYear is `kyso archive report --year 2024` over the
// synthetic catalogue.
func BenchmarkReportYear(b *testing.B) {
	path := benchCatalogue(b)
	c := benchOpen(b, path)
	defer c.Close()
	for b.Loop() {
		if _, err := BuildReport(context.Background(), []*Catalogue{c}, ReportOptions{Year: 2024}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFiles writes n files of size bytes for the ingest and audit benchmarks.
func benchFiles(b *testing.B, n, size int) []string {
	dir := b.TempDir()
	buf := make([]byte, size)
	var out []string
	for i := range n {
		copy(buf, fmt.Sprintf("%%PDF-1.7 file %d\n", i))
		p := filepath.Join(dir, fmt.Sprintf("f%04d.pdf", i))
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func quickVerify(ctx context.Context, path string) (*verify.Report, error) {
	return &verify.Report{Status: verify.Valid}, nil
}

// BenchmarkIngest measures the catalogue's own cost of ingesting 200 files
// of 1 MiB with a verifier that does nothing: copy, hash, fsync, commit.
func BenchmarkIngest(b *testing.B) {
	files := benchFiles(b, 200, 1<<20)
	b.SetBytes(int64(len(files)) << 20)
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "kyso.db")
		c, err := Create(context.Background(), path, testUnit, Options{Verify: quickVerify, Actor: "bench@test"})
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

// BenchmarkAudit and BenchmarkHashOnly compare an audit of 200 stored
// files of 1 MiB with hashing the same files one after the other, as
// `cat files | sha256sum` would.
func BenchmarkAudit(b *testing.B) {
	files := benchFiles(b, 200, 1<<20)
	path := filepath.Join(b.TempDir(), "kyso.db")
	c, err := Create(context.Background(), path, testUnit, Options{Verify: quickVerify, Actor: "bench@test"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Ingest(context.Background(), files, IngestOptions{}, nil); err != nil {
		b.Fatal(err)
	}
	c.Close()
	ro := benchOpen(b, path)
	b.SetBytes(int64(len(files)) << 20)
	for b.Loop() {
		if sum, err := ro.Audit(context.Background(), AuditOptions{}, nil); err != nil || sum.OK != len(files) {
			b.Fatalf("%+v %v", sum, err)
		}
	}
}

func BenchmarkHashOnly(b *testing.B) {
	files := benchFiles(b, 200, 1<<20)
	b.SetBytes(int64(len(files)) << 20)
	buf := make([]byte, copyBufSize)
	for b.Loop() {
		h := sha256.New()
		for _, p := range files {
			f, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			io.CopyBuffer(h, f, buf)
			f.Close()
		}
	}
}
