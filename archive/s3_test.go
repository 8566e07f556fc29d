package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/verify"
)

// The S3 tests run against a real S3 server that scripts/test-s3.sh starts
// on 127.0.0.1 (make test-s3): it sets KYSO_TEST_S3_ENDPOINT and the keys.
// Without it they skip, unless KYSO_REQUIRE_S3=1, when they fail.
func s3Access(t testing.TB) S3Access {
	t.Helper()
	ep := os.Getenv("KYSO_TEST_S3_ENDPOINT")
	if ep == "" {
		if os.Getenv("KYSO_REQUIRE_S3") == "1" {
			t.Fatal("KYSO_REQUIRE_S3=1 but no S3 server: run make test-s3")
		}
		t.Skip("no S3 server (KYSO_TEST_S3_ENDPOINT); make test-s3 starts one")
	}
	return S3Access{Endpoint: ep, Region: "us-east-1",
		AccessKey: os.Getenv("KYSO_TEST_S3_ACCESS"), SecretKey: os.Getenv("KYSO_TEST_S3_SECRET")}
}

var bucketSeq atomic.Int64

// newBucket makes a fresh bucket, with Object Lock when lock is set.
func newBucket(t testing.TB, acc S3Access, lock bool) string {
	t.Helper()
	cl := rawClient(t, acc)
	name := fmt.Sprintf("kyso-%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1))
	if err := cl.MakeBucket(context.Background(), name, minio.MakeBucketOptions{ObjectLocking: lock}); err != nil {
		t.Fatalf("make bucket: %v", err)
	}
	return name
}

func rawClient(t testing.TB, acc S3Access) *minio.Client {
	t.Helper()
	cl, err := minio.New(strings.TrimPrefix(acc.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(acc.AccessKey, acc.SecretKey, ""), Region: acc.Region})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// storeContract is what every Store must do.
func storeContract(t *testing.T, s Store) {
	ctx := context.Background()
	a := []byte("%PDF-1.7\ncontent A\n%%EOF\n")
	sumA := sha(a)
	if _, err := s.Stat(ctx, sumA); !errors.Is(err, ErrObjectMissing) {
		t.Fatalf("stat before put: %v, want ErrObjectMissing", err)
	}
	if _, err := s.Open(ctx, sumA); !errors.Is(err, ErrObjectMissing) {
		t.Fatalf("open before put: %v, want ErrObjectMissing", err)
	}
	if err := s.Put(ctx, sumA, int64(len(a)), bytes.NewReader(a)); err != nil {
		t.Fatal(err)
	}
	// Idempotent: a second put of the same content is a no-op.
	if err := s.Put(ctx, sumA, int64(len(a)), bytes.NewReader(a)); err != nil {
		t.Fatalf("second put: %v", err)
	}
	info, err := s.Stat(ctx, sumA)
	if err != nil || info.Size != int64(len(a)) || info.SHA256 != sumA {
		t.Fatalf("stat: %+v %v", info, err)
	}
	rc, err := s.Open(ctx, sumA)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("read back %q %v", got, err)
	}
	// Bytes that do not match the SHA-256 given are refused, and nothing
	// is kept under that name.
	b := []byte("%PDF-1.7\ncontent B\n%%EOF\n")
	wrong := sha([]byte("something else"))
	if err := s.Put(ctx, wrong, int64(len(b)), bytes.NewReader(b)); err == nil {
		t.Fatal("put with a wrong SHA-256 was accepted")
	}
	if _, err := s.Stat(ctx, wrong); !errors.Is(err, ErrObjectMissing) {
		t.Fatalf("after a refused put: %v, want ErrObjectMissing", err)
	}
	// Never overwritten: other bytes for a stored name are refused or
	// ignored, and the stored bytes stay.
	other := bytes.Repeat([]byte("x"), len(a)+3)
	_ = s.Put(ctx, sumA, int64(len(other)), bytes.NewReader(other))
	rc, err = s.Open(ctx, sumA)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, a) {
		t.Fatalf("the stored content was overwritten: %q", got)
	}
	// A larger content (several parts on S3).
	big := bytes.Repeat([]byte("0123456789abcdef"), (multipartSize+multipartSize/2)/16)
	sumBig := sha(big)
	if err := s.Put(ctx, sumBig, int64(len(big)), bytes.NewReader(big)); err != nil {
		t.Fatalf("large put: %v", err)
	}
	var listed []string
	if err := s.List(ctx, func(o ObjectInfo) error { listed = append(listed, o.SHA256); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || !(listed[0] == sumA || listed[1] == sumA) || !(listed[0] == sumBig || listed[1] == sumBig) {
		t.Fatalf("list: %v", listed)
	}
	rc, err = s.Open(ctx, sumBig)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	io.Copy(h, rc)
	rc.Close()
	if hex.EncodeToString(h.Sum(nil)) != sumBig {
		t.Fatal("large content read back differs")
	}
}

func TestFolderStoreContract(t *testing.T) {
	storeContract(t, store{dir: filepath.Join(t.TempDir(), "store")})
}

func TestS3StoreContract(t *testing.T) {
	acc := s3Access(t)
	bucket := newBucket(t, acc, false)
	s, err := newS3Store(StoreConfig{Kind: "s3", Bucket: bucket, Prefix: "h26/"}, acc, nil)
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, s)
	// A single PUT keeps the SHA-256 kyso gave, and the server reports it.
	a := []byte("%PDF-1.7\ncontent A\n%%EOF\n")
	if info, err := s.Stat(context.Background(), sha(a)); err != nil || info.Checksum != sha(a) {
		t.Errorf("server-side checksum: %+v %v", info, err)
	}
}

func TestParseStoreURL(t *testing.T) {
	for in, want := range map[string]string{"s3://b": "s3://b", "s3://b/p/q/": "s3://b/p/q", "s3://b/p": "s3://b/p"} {
		sc, ok, err := ParseStoreURL(in)
		if err != nil || !ok || sc.URL() != want {
			t.Errorf("%s: %v %v %v", in, sc.URL(), ok, err)
		}
	}
	for _, in := range []string{"s3://", "s3://key:secret@b/p", "s3://b/p?endpoint=x"} {
		if _, ok, err := ParseStoreURL(in); !ok || err == nil {
			t.Errorf("%s accepted", in)
		}
	}
	if _, ok, _ := ParseStoreURL("/srv/kyso.store"); ok {
		t.Error("a folder taken for s3")
	}
}

// s3Catalogue creates a catalogue whose contents live in a fresh bucket.
func s3Catalogue(t *testing.T, unit Unit, lock ObjectLock, bucketLock bool) (string, *Catalogue, Options) {
	t.Helper()
	acc := s3Access(t)
	bucket := newBucket(t, acc, bucketLock)
	o := testOptions()
	o.S3, o.StorePath, o.ObjectLock = acc, "s3://"+bucket+"/"+strings.ToLower(unit.Code), lock
	path := filepath.Join(t.TempDir(), "kyso.db")
	c, err := Create(context.Background(), path, unit, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	o.StorePath, o.ObjectLock = "", ObjectLock{}
	return path, c, o
}

func TestS3IngestAuditExportRenew(t *testing.T) {
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	if !strings.HasPrefix(c.StorePath(), "s3://") {
		t.Fatalf("store %s", c.StorePath())
	}
	files := writeFiles(t, filepath.Join(t.TempDir(), "signed"), sampleFiles)
	_, sum := ingest(t, c, files, IngestOptions{Meta: sampleMetaMap(t)})
	if sum.Ingested != 5 || sum.Rejected != 1 {
		t.Fatalf("ingest: %+v", sum)
	}
	// Nothing is kept in the staging folder, and nothing in <db>.store.
	if left := storeFiles(t, path+stagingSuffix); len(left) != 0 {
		t.Fatalf("staging keeps %v", left)
	}
	if _, err := os.Stat(path + ".store"); err == nil {
		t.Fatal("a folder store was made for an s3 catalogue")
	}
	// Ingesting again: duplicates, no new objects.
	_, sum = ingest(t, c, files, IngestOptions{Meta: sampleMetaMap(t)})
	if sum.Duplicate != 5 {
		t.Fatalf("second ingest: %+v", sum)
	}
	c.Close()

	// A reader opens the same catalogue without --store: it knows its store.
	ro2, err := Open(ctx, path, Options{ReadOnly: true, S3: o.S3, Verify: stubVerify})
	if err != nil {
		t.Fatal(err)
	}
	as, err := ro2.Audit(ctx, AuditOptions{Reverify: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if as.Checked != 5 || as.OK != 5 || as.Problems() != 0 || as.Store == nil || as.Store.Objects != 5 || len(as.Store.Unreferenced) != 0 {
		t.Fatalf("audit: %+v store %+v", as, as.Store)
	}
	// Export from the object store: the bag holds the same bytes.
	bag := filepath.Join(t.TempDir(), "bag")
	es, err := ro2.Export(ctx, bag, ExportOptions{Jobs: 2})
	if err != nil || es.Files != 5 {
		t.Fatalf("export: %+v %v", es, err)
	}
	// Backup of the catalogue works as for a folder store.
	if _, err := ro2.Backup(ctx, filepath.Join(t.TempDir(), "backup.db")); err != nil {
		t.Fatal(err)
	}

	// Renew: the new version is a new object; the old one stays.
	w, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	extend := func(ctx context.Context, in, out string) ([]string, error) {
		b, err := os.ReadFile(in)
		if err != nil {
			return nil, err
		}
		return nil, os.WriteFile(out, append(b, []byte("% renewed\n")...), 0o644)
	}
	rs, err := w.Renew(ctx, RenewOptions{Before: 200 * 365 * 24 * time.Hour, Extend: extend}, nil)
	if err != nil || rs.Renewed != 5 {
		t.Fatalf("renew: %+v %v", rs, err)
	}
	st, err := w.CheckStore(ctx, true)
	if err != nil || st.Objects != 10 || st.Referenced != 10 || len(st.Missing) != 0 || len(st.Unreferenced) != 0 {
		t.Fatalf("after renew: %+v %v", st, err)
	}

	// A content missing from the bucket is reported missing by audit.
	var one string
	for _, r := range listAll(t, w, Query{}) {
		one = r.SHA256
		break
	}
	w.Close()
	cl := rawClient(t, o.S3)
	cfg := ro2.StoreConfig()
	if err := cl.RemoveObject(ctx, cfg.Bucket, cfg.Prefix+"/"+one, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	as, err = ro2.Audit(ctx, AuditOptions{}, nil)
	if err != nil || as.Missing != 1 || len(as.Store.Missing) != 1 || as.Store.Missing[0] != one {
		t.Fatalf("audit after removing an object: %+v %+v %v", as, as.Store, err)
	}
}

// A crash after the upload and before the commit leaves one unreferenced
// object, which audit lists and gc --dry-run shows; the next ingest of the
// same file uses it.
func TestS3CrashBetweenUploadAndCommit(t *testing.T) {
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "crash me"})
	testHookBeforeCommit = func() error { return errors.New("simulated crash") }
	_, err := c.Ingest(ctx, files, IngestOptions{}, nil)
	testHookBeforeCommit = nil
	if err == nil {
		t.Fatal("ingest went through the crash")
	}
	c.Close()
	w, err := Open(ctx, path, o) // recovery: the pending file has no record
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if left := storeFiles(t, path+stagingSuffix); len(left) != 0 {
		t.Fatalf("staging keeps %v after recovery", left)
	}
	as, err := w.Audit(ctx, AuditOptions{}, nil)
	if err != nil || as.Checked != 0 || len(as.Store.Unreferenced) != 1 || as.Problems() != 0 {
		t.Fatalf("audit: %+v %+v %v", as, as.Store, err)
	}
	gc, err := w.GC(ctx, true)
	if err != nil || len(gc.Unreferenced) != 1 || gc.Removed != 0 {
		t.Fatalf("gc --dry-run: %+v %v", gc, err)
	}
	if _, err := w.GC(ctx, false); err == nil {
		t.Fatal("gc removed objects from an object store")
	}
	res, sum := ingest(t, w, files, IngestOptions{})
	if sum.Ingested != 1 {
		t.Fatalf("ingest after the crash: %+v %+v", sum, res)
	}
	st, err := w.CheckStore(ctx, false)
	if err != nil || st.Objects != 1 || len(st.Unreferenced) != 0 {
		t.Fatalf("store after: %+v %v", st, err)
	}
}

// The crash between the commit and the removal of the pending file: the
// record is there, and recovery makes sure its object is too.
func TestS3RecoveryUploadsRecordedPending(t *testing.T) {
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "recorded"})
	_, sum := ingest(t, c, files, IngestOptions{})
	if sum.Ingested != 1 {
		t.Fatal(sum)
	}
	r := listAll(t, c, Query{})[0]
	c.Close()
	// As if the writer died after its commit, before the pending name went
	// and (another machine's bucket, say) before the object was kept.
	data, _ := os.ReadFile(files[0])
	if err := os.WriteFile(filepath.Join(path+stagingSuffix, tmpDirName, r.SHA256+"-1"), data, 0o444); err != nil {
		t.Fatal(err)
	}
	w, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if left := storeFiles(t, path+stagingSuffix); len(left) != 0 {
		t.Fatalf("staging keeps %v after recovery", left)
	}
	if _, err := w.Store().Stat(ctx, r.SHA256); err != nil {
		t.Fatal(err)
	}
}

func TestS3ObjectLock(t *testing.T) {
	ctx := context.Background()
	acc := s3Access(t)
	// No Object Lock on the bucket: --object-lock is refused at init.
	plain := newBucket(t, acc, false)
	o := testOptions()
	o.S3, o.StorePath, o.ObjectLock = acc, "s3://"+plain+"/x", ObjectLock{Mode: "governance", Days: 1}
	if _, err := Create(ctx, filepath.Join(t.TempDir(), "k.db"), testUnit, o); err == nil || !strings.Contains(err.Error(), "no Object Lock") {
		t.Fatalf("init with object lock on a plain bucket: %v", err)
	}

	bucket := newBucket(t, acc, true)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "locked a", "b.pdf": "locked b"})
	// A first catalogue writes without retention into the bucket...
	o.StorePath, o.ObjectLock = "s3://"+bucket+"/shared", ObjectLock{}
	first, err := Create(ctx, filepath.Join(t.TempDir(), "first.db"), testUnit, o)
	if err != nil {
		t.Fatal(err)
	}
	if cfg := first.StoreConfig(); cfg.LockMode != "" {
		t.Fatalf("lock mode without asking: %+v", cfg)
	}
	ingest(t, first, files[:1], IngestOptions{})
	first.Close()
	// ...a second, with governance retention, finds a.pdf there already.
	o.ObjectLock = ObjectLock{Mode: "governance", Days: 2}
	path := filepath.Join(t.TempDir(), "second.db")
	c, err := Create(ctx, path, testUnit, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if cfg := c.StoreConfig(); cfg.LockMode != "GOVERNANCE" || cfg.RetentionDays != 2 {
		t.Fatalf("config: %+v", cfg)
	}
	_, sum := ingest(t, c, files, IngestOptions{})
	if sum.Ingested != 2 {
		t.Fatal(sum)
	}
	recs := listAll(t, c, Query{})
	s3 := c.Store().(*s3Store)
	for _, r := range recs {
		mode, until, err := s3.Retention(ctx, r.SHA256)
		wantLocked := strings.HasSuffix(r.Name, "b.pdf")
		if err != nil || (mode == "GOVERNANCE") != wantLocked {
			t.Errorf("%s: retention %q until %v, %v", r.Name, mode, until, err)
		}
		if wantLocked && (until.Before(time.Now().Add(47*time.Hour)) || until.After(time.Now().Add(49*time.Hour))) {
			t.Errorf("%s: retained until %v, want in 2 days", r.Name, until)
		}
	}
	// Audit names a.pdf's object: it has no retention.
	as, err := c.Audit(ctx, AuditOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(as.Store.Unprotected) != 1 || as.Problems() != 1 {
		t.Fatalf("audit: %+v %+v", as, as.Store)
	}
	var a *Record
	for _, r := range recs {
		if strings.HasSuffix(r.Name, "a.pdf") {
			a = r
		}
	}
	if as.Store.Unprotected[0] != a.SHA256 {
		t.Fatalf("unprotected %v, want a.pdf's %s", as.Store.Unprotected, a.SHA256)
	}
	// A locked object cannot be removed by a plain client either.
	var b *Record
	for _, r := range recs {
		if r != a {
			b = r
		}
	}
	if err := rawClient(t, acc).RemoveObject(ctx, bucket, "shared/"+b.SHA256, minio.RemoveObjectOptions{}); err == nil {
		if _, err := s3.Stat(ctx, b.SHA256); err != nil {
			t.Fatalf("the server let a retained object be removed: %v", err)
		}
	}
}

// A catalogue keeps the store it was created with.
func TestS3StoreConfigKept(t *testing.T) {
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	want := c.StorePath()
	c.Close()
	o2 := o
	o2.StorePath = filepath.Join(t.TempDir(), "elsewhere")
	if _, err := Open(ctx, path, o2); err == nil {
		t.Fatal("opened an s3 catalogue with a folder store")
	}
	o2.StorePath = "s3://other/bucket"
	if _, err := Open(ctx, path, o2); err == nil {
		t.Fatal("opened an s3 catalogue with another bucket")
	}
	o2.StorePath = want
	c2, err := Open(ctx, path, o2)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	// And a folder catalogue is not turned into an s3 one.
	fpath, fc := newCatalogue(t)
	fc.Close()
	o3 := testOptions()
	o3.StorePath, o3.S3 = want, o.S3
	if _, err := Open(ctx, fpath, o3); err == nil {
		t.Fatal("opened a folder catalogue with an s3 store")
	}
	if _, err := Create(ctx, fpath, testUnit, o3); err == nil {
		t.Fatal("init turned a folder catalogue into an s3 one")
	}
}

// TestS3KillDuringIngest kills a real ingest into an object store with
// SIGKILL while it uploads, then checks that the next run completes the
// catalogue: every record's object there and intact, the staging folder
// empty, and no object left without a record once the same files are
// ingested again (the killed run's uploads are found, not uploaded again).
func TestS3KillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	s3 := c.Store().(*s3Store)
	c.Close()
	inputs := map[string]string{}
	for i := range 60 {
		inputs[fmt.Sprintf("doc-%03d.pdf", i)] = fmt.Sprintf("document %d", i)
	}
	dir := filepath.Join(t.TempDir(), "in")
	files := writeFiles(t, dir, inputs)
	child := exec.Command(os.Args[0], "-test.run=^TestHelperS3IngestChild$")
	child.Env = append(os.Environ(), "KYSO_ARCHIVE_S3_CHILD_DB="+path, "KYSO_ARCHIVE_CHILD_IN="+dir)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n := 0
		s3.List(ctx, func(ObjectInfo) error { n++; return nil })
		return n
	}
	// Kill after 10 to 49 uploads: before the first commit (every 250ms)
	// or after some.
	stopAt := 10 + int(time.Now().UnixNano()%40)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && count() < stopAt {
		time.Sleep(5 * time.Millisecond)
	}
	child.Process.Kill()
	child.Wait()

	c2, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if left := storeFiles(t, path+stagingSuffix); len(left) != 0 {
		t.Fatalf("staging keeps %v after recovery", left)
	}
	// Before the re-run: every record has its object; the killed run's
	// uncommitted uploads are listed as unreferenced.
	st, err := c2.CheckStore(ctx, false)
	if err != nil || len(st.Missing) != 0 || st.Objects != st.Referenced+len(st.Unreferenced) {
		t.Fatalf("store after the kill: %+v %v", st, err)
	}
	t.Logf("killed with %d records and %d unreferenced objects", st.Referenced, len(st.Unreferenced))
	ingest(t, c2, files, IngestOptions{})
	sum, err := c2.Audit(ctx, AuditOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != len(files) || sum.OK != len(files) || !sum.Chain.OK() || sum.Store.Objects != len(files) || len(sum.Store.Unreferenced) != 0 {
		t.Fatalf("audit after the kill and a re-run: %+v %+v %+v", sum, sum.Chain, sum.Store)
	}
}

// TestHelperS3IngestChild is the process TestS3KillDuringIngest kills.
func TestHelperS3IngestChild(t *testing.T) {
	path := os.Getenv("KYSO_ARCHIVE_S3_CHILD_DB")
	if path == "" {
		t.Skip("run by TestS3KillDuringIngest")
	}
	o := testOptions()
	o.S3 = s3Access(t)
	o.Verify = func(ctx context.Context, p string) (*verify.Report, error) {
		time.Sleep(10 * time.Millisecond)
		return stubVerify(ctx, p)
	}
	c, err := Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(os.Getenv("KYSO_ARCHIVE_CHILD_IN"))
	var files []string
	for _, e := range entries {
		files = append(files, filepath.Join(os.Getenv("KYSO_ARCHIVE_CHILD_IN"), e.Name()))
	}
	c.Ingest(context.Background(), files, IngestOptions{Jobs: 2}, nil)
	time.Sleep(time.Minute) // wait to be killed
}

// Wrong credentials stop an audit as a failure of the run (exit 5), not
// as every record missing.
func TestS3AuditUnreachable(t *testing.T) {
	ctx := context.Background()
	path, c, o := s3Catalogue(t, testUnit, ObjectLock{}, false)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "a"})
	ingest(t, c, files, IngestOptions{})
	c.Close()
	o.ReadOnly, o.S3.SecretKey = true, "not-the-secret"
	ro, err := Open(ctx, path, o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ro.Audit(ctx, AuditOptions{}, nil)
	if err == nil || fail.KindOf(err) != fail.KindRun || strings.Contains(err.Error(), "not-the-secret") {
		t.Fatalf("audit with a wrong secret: %v", err)
	}
}
