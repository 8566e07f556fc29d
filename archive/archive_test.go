package archive

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/verify"
)

func TestIngestOutcomes(t *testing.T) {
	path, c := sampleCatalogue(t)
	dir := t.TempDir()

	tests := []struct {
		name   string
		files  map[string]string
		opts   IngestOptions
		want   map[string]IngestStatus // base name -> status
		reason map[string]string       // base name -> part of the reason
		twins  bool
	}{
		{
			name:  "same bytes again are duplicates",
			files: map[string]string{"simple.pdf": "simple", "copy-of-form.pdf": "form"},
			want:  map[string]IngestStatus{"simple.pdf": StatusDuplicate, "copy-of-form.pdf": StatusDuplicate},
		},
		{
			name:  "the same new bytes twice in one run",
			files: map[string]string{"a.pdf": "twin", "b.pdf": "twin"},
			twins: true, // one ingested, one duplicate, whichever comes first
		},
		{
			name:   "tampered twice in one run: both rejected",
			files:  map[string]string{"t1.pdf": "x TAMPERED", "t2.pdf": "x TAMPERED"},
			want:   map[string]IngestStatus{"t1.pdf": StatusRejected, "t2.pdf": StatusRejected},
			reason: map[string]string{"t1.pdf": "changed after", "t2.pdf": "changed after"},
		},
		{
			name:  "indeterminate is kept",
			files: map[string]string{"u.pdf": "UNKNOWN one"},
			want:  map[string]IngestStatus{"u.pdf": StatusIngested},
		},
		{
			name:   "indeterminate is rejected with --strict",
			files:  map[string]string{"u2.pdf": "UNKNOWN two"},
			opts:   IngestOptions{Strict: true},
			want:   map[string]IngestStatus{"u2.pdf": StatusRejected},
			reason: map[string]string{"u2.pdf": "revocation unknown"},
		},
		{
			name:  "metadata from the file name",
			files: map[string]string{"H26.01-250305-0001_1.001234.pdf": "second version"},
			opts:  IngestOptions{NamePattern: mustPattern(t, "{dossier}_{procedure}.pdf")},
			want:  map[string]IngestStatus{"H26.01-250305-0001_1.001234.pdf": StatusIngested},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := writeFiles(t, filepath.Join(dir, string(rune('a'+i))), tt.files)
			res, _ := ingest(t, c, files, tt.opts)
			if len(res) != len(tt.want) && !tt.twins {
				t.Fatalf("got %d results, want %d: %+v", len(res), len(tt.want), res)
			}
			if tt.twins {
				a, b := res["a.pdf"], res["b.pdf"]
				if a.ID == 0 || a.ID != b.ID || a.Status == b.Status || a.Status != StatusIngested && b.Status != StatusIngested {
					t.Errorf("twins: %+v %+v", a, b)
				}
				return
			}
			for name, status := range tt.want {
				r := res[name]
				if r.Status != status {
					t.Errorf("%s: status %q (%s), want %q", name, r.Status, r.Reason, status)
				}
				if status != StatusRejected && (r.ID == 0 || len(r.SHA256) != 64) {
					t.Errorf("%s: id %d sha %q", name, r.ID, r.SHA256)
				}
				if want := tt.reason[name]; want != "" && !strings.Contains(r.Reason, want) {
					t.Errorf("%s: reason %q, want it to mention %q", name, r.Reason, want)
				}
			}
		})
	}

	// A document with a dossier code already archived is its second version.
	es, err := c.Find(context.Background(), "H26.01-250305-0001")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Record.Version != 1 || es[1].Record.Version != 2 || es[1].Record.Procedure != "1.001234" {
		t.Fatalf("versions of H26.01-250305-0001: %+v", es)
	}
	// Every stored file has a record and nothing is left in .tmp.
	var n int
	ro := openRO(t, path)
	if err := ro.List(context.Background(), Query{}, func(*Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := len(storeFiles(t, c.StorePath())); got != n {
		t.Fatalf("%d files in the store for %d records", got, n)
	}
	for _, f := range storeFiles(t, c.StorePath()) {
		if st, _ := os.Stat(f); st.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s is writable: %v", f, st.Mode())
		}
	}
}

func mustPattern(t *testing.T, p string) *NamePattern {
	t.Helper()
	np, err := ParseNamePattern(p)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

func TestListFilters(t *testing.T) {
	path, _ := sampleCatalogue(t)
	ro := openRO(t, path)
	tests := []struct {
		name string
		q    Query
		want []string // dossier codes, sorted
	}{
		{"all", Query{}, []string{"H26.01-240101-0005", "H26.01-250305-0001", "H26.01-250306-0002", "H26.01-250410-0003", "H26.01-250511-0004"}},
		{"dossier", Query{Dossier: "H26.01-250410-0003"}, []string{"H26.01-250410-0003"}},
		{"dossier prefix is not a match", Query{Dossier: "H26.01-2504"}, nil},
		{"unit", Query{Unit: "000.00.00.H26"}, []string{"H26.01-240101-0005", "H26.01-250305-0001", "H26.01-250306-0002", "H26.01-250410-0003", "H26.01-250511-0004"}},
		{"other unit", Query{Unit: "000.00.00.H2"}, nil},
		{"date range", Query{From: "2025-03-01", To: "2025-04-30"}, []string{"H26.01-250305-0001", "H26.01-250306-0002", "H26.01-250410-0003"}},
		{"from only", Query{From: "2025-04-10"}, []string{"H26.01-250410-0003", "H26.01-250511-0004"}},
		{"to only", Query{To: "2024-12-31"}, []string{"H26.01-240101-0005"}},
		{"procedure", Query{Procedure: "1.001234"}, []string{"H26.01-240101-0005", "H26.01-250305-0001", "H26.01-250306-0002"}},
		{"procedure in 2025", Query{Procedure: "1.001234", From: "2025-01-01", To: "2025-12-31"}, []string{"H26.01-250305-0001", "H26.01-250306-0002"}},
		{"unit in a year", Query{Unit: "000.00.00.H26", From: "2024-01-01", To: "2024-12-31"}, []string{"H26.01-240101-0005"}},
		{"unit and procedure", Query{Unit: "000.00.00.H26", Procedure: "2.000123"}, []string{"H26.01-250511-0004"}},
		{"signer", Query{Signer: "CN=Văn thư TEST"}, []string{"H26.01-240101-0005", "H26.01-250305-0001", "H26.01-250306-0002", "H26.01-250410-0003", "H26.01-250511-0004"}},
		{"status", Query{Status: verify.Indeterminate}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range listAll(t, ro, tt.q) {
				got = append(got, r.Dossier)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if err := ro.List(context.Background(), Query{From: "2025-13-01"}, func(*Record) error { return nil }); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("bad date: %v, want a usage error", err)
	}
}

func TestFindAndHistory(t *testing.T) {
	path, c := sampleCatalogue(t)
	ro := openRO(t, path)
	es, err := ro.Find(context.Background(), "H26.01-250511-0004")
	if err != nil || len(es) != 1 {
		t.Fatalf("find by dossier: %v %v", es, err)
	}
	r := es[0].Record
	if r.ProcedureName != "Cấp giấy phép kinh doanh" || r.UnitName != testUnit.Name || r.Level != "commune" || r.Status != verify.Valid {
		t.Errorf("record: %+v", r)
	}
	if len(es[0].History) != 1 || es[0].History[0].Type != EventIngested || es[0].History[0].Actor != "tester@test" || es[0].HistoryError != "" {
		t.Errorf("history: %+v %s", es[0].History, es[0].HistoryError)
	}
	for _, ref := range []string{r.SHA256, strings.ToUpper(r.SHA256), "4"} {
		es, err := ro.Find(context.Background(), ref)
		if err != nil || len(es) != 1 || es[0].Record.ID != r.ID && ref != "4" {
			t.Errorf("find %s: %v %v", ref, es, err)
		}
	}
	if _, err := ro.Find(context.Background(), "nothing-like-this"); fail.KindOf(err) != fail.KindInput {
		t.Errorf("find of nothing: %v", err)
	}
	if _, err := os.Stat(c.FilePath(r.SHA256)); err != nil {
		t.Errorf("stored file: %v", err)
	}
}

func TestCrashBetweenStoreAndCommit(t *testing.T) {
	path, c := newCatalogue(t)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "a", "b.pdf": "b", "c.pdf": "c"})
	crash := errors.New("simulated crash")
	testHookBeforeCommit = func() error { return crash }
	_, err := c.Ingest(context.Background(), files, IngestOptions{}, nil)
	testHookBeforeCommit = nil
	if !errors.Is(err, crash) {
		t.Fatalf("ingest: %v, want the crash", err)
	}
	// As after a crash: files are in place, no record points at them.
	if got := len(storeFiles(t, c.StorePath())); got == 0 {
		t.Fatal("the crash left no file: the test does not test anything")
	}
	c.Close()

	c2, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got := storeFiles(t, c2.StorePath()); len(got) != 0 {
		t.Fatalf("orphans after reopening: %v", got)
	}
	res, sum := ingest(t, c2, files, IngestOptions{})
	if sum.Ingested != 3 {
		t.Fatalf("re-run: %+v %+v", sum, res)
	}
	if got := len(storeFiles(t, c2.StorePath())); got != 3 {
		t.Fatalf("%d files for 3 records", got)
	}
}

func TestRecoverAfterCommitBeforeCleanup(t *testing.T) {
	// A crash after the commit but before the pending names are dropped:
	// the files have records, so they stay and the pending names go.
	path, c := newCatalogue(t)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "a"})
	ingest(t, c, files, IngestOptions{})
	final := storeFiles(t, c.StorePath())[0]
	sum := filepath.Base(final)
	if err := os.Link(final, filepath.Join(c.StorePath(), tmpDirName, sum+"-123")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(c.StorePath(), tmpDirName, "in-999"), []byte("half a file"), 0o644)
	c.Close()
	c2, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got := storeFiles(t, c2.StorePath()); len(got) != 1 || got[0] != final {
		t.Fatalf("store after recovery: %v", got)
	}
}

func TestReadersDuringIngestAndSecondWriter(t *testing.T) {
	path, c := newCatalogue(t)
	inputs := map[string]string{}
	for i := range 40 {
		inputs[string(rune('A'+i%26))+string(rune('a'+i/26))+".pdf"] = "doc " + string(rune('A'+i))
	}
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), inputs)
	started := make(chan struct{})
	c.opts.Verify = func(ctx context.Context, p string) (*verify.Report, error) {
		time.Sleep(20 * time.Millisecond) // a long ingest
		return stubVerify(ctx, p)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Ingest(context.Background(), files, IngestOptions{Jobs: 2}, func(IngestResult) error {
			select {
			case <-started:
			default:
				close(started)
			}
			return nil
		})
		done <- err
	}()
	<-started
	// A reader gets in while the ingest goes on.
	ro := openRO(t, path)
	if n := len(listAll(t, ro, Query{})); n == 0 {
		t.Error("the reader saw no record after the first commit")
	}
	// A second writer waits, then names the holder.
	wo := testOptions()
	wo.LockTimeout = 100 * time.Millisecond
	_, err := Open(context.Background(), path, wo)
	if !errors.Is(err, ErrLocked) || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), "archive test") {
		t.Errorf("second writer: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(listAll(t, ro, Query{})); got != len(files) {
		t.Fatalf("%d records after the ingest, want %d", got, len(files))
	}
}

func TestAudit(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	audit := func(opts AuditOptions) (map[uint64]AuditResult, AuditSummary) {
		t.Helper()
		ro := openRO(t, path)
		got := map[uint64]AuditResult{}
		sum, err := ro.Audit(context.Background(), opts, func(r AuditResult) error { got[r.ID] = r; return nil })
		if err != nil {
			t.Fatal(err)
		}
		return got, sum
	}
	_, sum := audit(AuditOptions{})
	if sum.OK != 5 || sum.Problems() != 0 || sum.Unrecorded != 0 {
		t.Fatalf("intact store: %+v", sum)
	}
	// An audit is recorded once, not again while nothing changes.
	ro := openRO(t, path)
	if es, _ := ro.Find(context.Background(), "1"); len(es[0].History) != 2 || es[0].History[1].Type != EventAudited {
		t.Fatalf("history after the first audit: %+v", es[0].History)
	}
	audit(AuditOptions{})
	if es, _ := ro.Find(context.Background(), "1"); len(es[0].History) != 2 {
		t.Fatalf("a second clean audit added events: %+v", es[0].History)
	}

	// Damage: flip a byte of record 1's file, remove record 2's file, and
	// edit an event of record 3.
	es, _ := ro.Find(context.Background(), "1")
	f1 := ro.FilePath(es[0].Record.SHA256)
	os.Chmod(f1, 0o644)
	data, _ := os.ReadFile(f1)
	data[3] ^= 1
	os.WriteFile(f1, data, 0o644)
	es, _ = ro.Find(context.Background(), "2")
	removeFile(ro.FilePath(es[0].Record.SHA256))
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		h := tx.Bucket(bucketHistory)
		k := eventKey(3, 1)
		var ev Event
		json.Unmarshal(h.Get(k), &ev)
		ev.Actor = "someone-else@elsewhere"
		return h.Put(k, jsonMarshal(ev))
	})
	db.Close()

	got, sum := audit(AuditOptions{})
	if got[1].Status != FixityCorrupt || got[2].Status != FixityMissing || got[3].Status != FixityCorrupt ||
		!strings.Contains(got[3].Reason, "history") || got[4].Status != FixityOK || sum.Problems() != 3 {
		t.Fatalf("damaged store: %+v %+v", got, sum)
	}
	es, _ = ro.Find(context.Background(), "2")
	last := es[0].History[len(es[0].History)-1]
	if last.Type != EventAudited || !strings.HasPrefix(last.Detail, string(FixityMissing)) {
		t.Errorf("the audit did not record the missing file: %+v", last)
	}

	// Reverify with a verifier that now finds record 4 invalid.
	es, _ = ro.Find(context.Background(), "4")
	bad := es[0].Record.SHA256
	year, _ := strconv.Atoi(es[0].Record.Issued[:4])
	digitized := func() int {
		rep, err := BuildReport(context.Background(), []*Catalogue{ro}, ReportOptions{Year: year})
		// A unit with no totals and nothing digitized in the year has no
		// row: then nothing is counted (record 4 may be the year's only one).
		// Otherwise the unit's row comes before the total row.
		if err != nil || len(rep.Rows) > 2 {
			t.Fatalf("report: %+v %v", rep, err)
		}
		if len(rep.Rows) == 0 {
			return 0
		}
		return rep.Rows[0].Digitized
	}
	before := digitized()
	rw, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	rw.opts.Verify = func(ctx context.Context, p string) (*verify.Report, error) {
		rep, err := stubVerify(ctx, p)
		if strings.Contains(p, bad) {
			rep.Status, rep.Errors = verify.Invalid, []string{"certificate revoked"}
		}
		return rep, err
	}
	got = map[uint64]AuditResult{}
	if _, err := rw.Audit(context.Background(), AuditOptions{Reverify: true}, func(r AuditResult) error { got[r.ID] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	if got[4].Status != FixityInvalid || got[5].Status != FixityOK || got[5].Verdict != verify.Valid {
		t.Errorf("reverify: %+v", got)
	}
	if rs := listAll(t, ro, Query{Status: verify.Invalid}); len(rs) != 1 || rs[0].ID != 4 {
		t.Errorf("status index after reverify: %+v", rs)
	}
	if after := digitized(); after != before-1 {
		t.Errorf("the report counts %d results after record 4 became invalid, %d before", after, before)
	}
}

func TestBackupWhileReading(t *testing.T) {
	path, _ := sampleCatalogue(t)
	ro := openRO(t, path)
	out := filepath.Join(t.TempDir(), "backup.db")
	// Back up from inside a List: another reader holds the file meanwhile.
	err := ro.List(context.Background(), Query{Dossier: "H26.01-250305-0001"}, func(*Record) error {
		_, err := openRO(t, path).Backup(context.Background(), out)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.ReadOnly, o.StorePath = true, path+".store"
	b, err := Open(context.Background(), out, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(listAll(t, b, Query{})); n != 5 {
		t.Fatalf("backup lists %d records", n)
	}
}

func TestSchemaVersions(t *testing.T) {
	path, c := newCatalogue(t)
	c.Close()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(schemaVersion+1)) })
	db.Close()
	for _, ro := range []bool{true, false} {
		o := testOptions()
		o.ReadOnly = ro
		_, err := Open(context.Background(), path, o)
		if !errors.Is(err, ErrNewerSchema) || fail.HintOf(err) == "" {
			t.Errorf("read-only %v: %v, want a newer-schema error with a hint", ro, err)
		}
	}
	// A bbolt file that is not a catalogue.
	other := filepath.Join(t.TempDir(), "other.db")
	db, _ = bolt.Open(other, 0o644, nil)
	db.Close()
	if _, err := Open(context.Background(), other, testOptions()); !errors.Is(err, ErrNotCatalogue) {
		t.Errorf("plain bbolt file: %v", err)
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.db"), testOptions()); !errors.Is(err, ErrNoCatalogue) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCreateTwice(t *testing.T) {
	path, c := newCatalogue(t)
	c.Close()
	c2, err := Create(context.Background(), path, testUnit, testOptions())
	if err != nil {
		t.Fatalf("same unit again: %v", err)
	}
	c2.Close()
	_, err = Create(context.Background(), path, Unit{Code: "000.00.01.H26"}, testOptions())
	if !errors.Is(err, ErrExists) {
		t.Fatalf("another unit: %v", err)
	}
}
