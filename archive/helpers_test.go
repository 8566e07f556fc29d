package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kyso-project/kyso/verify"
)

// stubVerify judges a file by its bytes: "TAMPERED" is invalid, "UNKNOWN"
// indeterminate, anything else valid with one signature.
func stubVerify(ctx context.Context, path string) (*verify.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	signed := time.Date(2025, 3, 5, 9, 30, 45, 0, time.FixedZone("ICT", 7*3600))
	sig := verify.Signature{Index: 1, Kind: "approval", Signer: "CN=Văn thư TEST", Issuer: "CN=TEST CA", Serial: "01",
		SigningTime: &signed, TimestampTime: &signed, Level: "B-T", Integrity: true, Status: verify.Valid}
	rep := &verify.Report{File: path, Status: verify.Valid, Signatures: []verify.Signature{sig}, CheckedAt: signed}
	if m, ok := embeddedMeta(path); ok {
		// The stub takes the newest metadata for the signed one.
		b, _ := json.Marshal(m)
		var fields map[string]string
		json.Unmarshal(b, &fields)
		rep.SignedMetadata = &verify.SignedMetadata{Fields: fields}
	}
	switch {
	case bytes.Contains(data, []byte("TAMPERED")):
		rep.Status, rep.Errors = verify.Invalid, []string{"the document was changed after it was signed"}
		rep.Signatures[0].Status = verify.Invalid
	case bytes.Contains(data, []byte("UNKNOWN")):
		rep.Status = verify.Indeterminate
		rep.Signatures[0].Status = verify.Indeterminate
		rep.Signatures[0].Reasons = []string{"revocation unknown"}
	}
	return rep, nil
}

func testOptions() Options {
	return Options{Verify: stubVerify, LockTimeout: 2 * time.Second, Actor: "tester@test", Command: "archive test"}
}

var testUnit = Unit{Code: "000.00.00.H26", Name: "UBND xã Hòa Đông", Level: "commune"}

// newCatalogue creates a catalogue in a temporary folder and returns its path
// with the catalogue open for writing.
func newCatalogue(t *testing.T) (string, *Catalogue) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kyso.db")
	c, err := Create(context.Background(), path, testUnit, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return path, c
}

func openRO(t *testing.T, path string) *Catalogue {
	t.Helper()
	o := testOptions()
	o.ReadOnly = true
	c, err := Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeFiles writes name -> content into dir and returns the paths, sorted.
func writeFiles(t *testing.T, dir string, files map[string]string) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var out []string
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("%PDF-1.7\n"+content+"\n%%EOF\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// ingest runs Ingest and returns the results by input base name.
func ingest(t *testing.T, c *Catalogue, files []string, opts IngestOptions) (map[string]IngestResult, IngestSummary) {
	t.Helper()
	res := map[string]IngestResult{}
	sum, err := c.Ingest(context.Background(), files, opts, func(r IngestResult) error {
		res[filepath.Base(r.Input)] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res, sum
}

// storeFiles lists the regular files under the store.
func storeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func listAll(t *testing.T, c *Catalogue, q Query) []*Record {
	t.Helper()
	var out []*Record
	if err := c.List(context.Background(), q, func(r *Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleMeta mirrors the acceptance check's metadata.
const sampleMeta = `file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date
simple.pdf,H26.01-250305-0001,1.001234,Đăng ký khai sinh,000.00.00.H26,commune,2025-03-05
xrefstream.pdf,H26.01-250306-0002,1.001234,Đăng ký khai sinh,000.00.00.H26,commune,2025-03-06
scanned.pdf,H26.01-250410-0003,1.004567,Chứng thực bản sao,000.00.00.H26,commune,2025-04-10
form.pdf,H26.01-250511-0004,2.000123,Cấp giấy phép kinh doanh,000.00.00.H26,commune,2025-05-11
simple-ec.pdf,H26.01-240101-0005,1.001234,Đăng ký khai sinh,000.00.00.H26,commune,2024-01-01
tampered.pdf,H26.01-250601-0006,1.001234,Đăng ký khai sinh,000.00.00.H26,commune,2025-06-01
`

var sampleFiles = map[string]string{
	"simple.pdf": "simple", "xrefstream.pdf": "xrefstream", "scanned.pdf": "scanned",
	"form.pdf": "form", "simple-ec.pdf": "simple-ec", "tampered.pdf": "simple TAMPERED",
}

func sampleMetaMap(t *testing.T) map[string]Meta {
	t.Helper()
	m, err := ReadMeta(bytes.NewBufferString(sampleMeta), "meta.csv")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sampleCatalogue is a catalogue holding the five valid sample files.
func sampleCatalogue(t *testing.T) (string, *Catalogue) {
	t.Helper()
	path, c := newCatalogue(t)
	files := writeFiles(t, filepath.Join(t.TempDir(), "signed"), sampleFiles)
	_, sum := ingest(t, c, files, IngestOptions{Meta: sampleMetaMap(t)})
	if sum.Ingested != 5 || sum.Rejected != 1 {
		t.Fatalf("sample ingest: %+v", sum)
	}
	return path, c
}

// exportBag exports c into a new bag folder and returns its path.
func exportBag(t *testing.T, c *Catalogue) string {
	t.Helper()
	bag := filepath.Join(t.TempDir(), "bag")
	if _, err := c.Export(context.Background(), bag, ExportOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	return bag
}

// updateBolt runs fn in a write transaction on the closed catalogue at
// path through bbolt alone: an edit made outside kyso.
func updateBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(fn)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
