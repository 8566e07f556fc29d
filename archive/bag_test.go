package archive

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportImportRoundTrip(t *testing.T) {
	path, c := sampleCatalogue(t)
	if _, err := c.ImportTotals(context.Background(), []Total{{Unit: testUnit.Code, UnitName: testUnit.Name, Level: "commune", Year: 2025, Issued: 20}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	ro := openRO(t, path)
	bag := filepath.Join(t.TempDir(), "export")
	sum, err := ro.Export(context.Background(), bag, ExportOptions{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 5 || sum.Files != 5 || sum.Unrecorded != 0 {
		t.Fatalf("export: %+v", sum)
	}
	// The manifest checks out, with paths relative to the bag.
	f, err := os.Open(filepath.Join(bag, "manifest-sha256.txt"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := ParseManifest(f, "manifest")
	f.Close()
	if err != nil || len(manifest) != 8 {
		t.Fatalf("manifest: %v %v", manifest, err)
	}
	for p, want := range manifest {
		if got, err := hashFile(filepath.Join(bag, p)); err != nil || got != want {
			t.Errorf("%s: %s %v, manifest says %s", p, got, err, want)
		}
	}
	for _, name := range []string{"bagit.txt", "bag-info.txt", "tagmanifest-sha256.txt"} {
		if _, err := os.Stat(filepath.Join(bag, name)); err != nil {
			t.Error(err)
		}
	}
	// The export is in every record's history.
	src, _ := ro.Find(context.Background(), "H26.01-250305-0001")
	if h := src[0].History; h[len(h)-1].Type != EventExported {
		t.Fatalf("history after export: %+v", h)
	}

	// Import into another unit's catalogue.
	path2 := filepath.Join(t.TempDir(), "district.db")
	c2, err := Create(context.Background(), path2, Unit{Code: "000.00.H26", Name: "UBND huyện Krông Pắc", Level: "district"}, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	isum, err := c2.Import(context.Background(), bag, ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if isum.Imported != 5 || isum.Totals != 1 || isum.Source.Code != testUnit.Code {
		t.Fatalf("import: %+v", isum)
	}
	for _, r := range listAll(t, ro, Query{}) {
		es, err := c2.Find(context.Background(), r.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got := es[0]
		srcE, _ := ro.Find(context.Background(), r.SHA256)
		want := srcE[0]
		// The bag was written before the source recorded its "exported" event.
		want.History = want.History[:len(want.History)-1]
		if got.Record.Meta != want.Record.Meta || got.Record.Name != want.Record.Name || got.Record.Status != want.Record.Status ||
			len(got.Record.Signatures) != len(want.Record.Signatures) || got.Record.Origin == nil || got.Record.Origin.ID != r.ID {
			t.Errorf("record %d changed on the way: %+v -> %+v", r.ID, want.Record, got.Record)
		}
		if got.HistoryError != "" || len(got.History) != len(want.History)+1 || got.History[len(got.History)-1].Type != EventImported {
			t.Errorf("record %d history: %+v (%s)", r.ID, got.History, got.HistoryError)
		}
		for i := range want.History {
			if got.History[i] != want.History[i] {
				t.Errorf("record %d event %d: %+v -> %+v", r.ID, i, want.History[i], got.History[i])
			}
		}
	}
	if n := len(storeFiles(t, c2.StorePath())); n != 5 {
		t.Errorf("%d files in the second store", n)
	}
	// Again: all duplicates.
	isum, err = c2.Import(context.Background(), bag, ImportOptions{}, nil)
	if err != nil || isum.Duplicate != 5 || isum.Imported != 0 {
		t.Fatalf("second import: %+v %v", isum, err)
	}
}

func TestImportRefusesDamage(t *testing.T) {
	path, c := sampleCatalogue(t)
	c.Close()
	bag := filepath.Join(t.TempDir(), "export")
	if _, err := openRO(t, path).Export(context.Background(), bag, ExportOptions{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	// Damage one payload file.
	var victim string
	filepath.WalkDir(filepath.Join(bag, "data", "files"), func(p string, d os.DirEntry, err error) error {
		if d.Type().IsRegular() && victim == "" {
			victim = p
		}
		return nil
	})
	data, _ := os.ReadFile(victim)
	os.WriteFile(victim, append(data, 'X'), 0o644)

	_, c2 := newCatalogue(t)
	var rejected []ImportResult
	sum, err := c2.Import(context.Background(), bag, ImportOptions{}, func(r ImportResult) error {
		if r.Status == ImportRejected {
			rejected = append(rejected, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 4 || len(rejected) != 1 || !strings.Contains(rejected[0].Reason, "manifest") {
		t.Fatalf("import of a damaged bag: %+v %+v", sum, rejected)
	}
	if n := len(storeFiles(t, c2.StorePath())); n != 4 {
		t.Errorf("%d files in the store, want 4", n)
	}
	// Editing records.jsonl breaks its manifest line: nothing is imported.
	rec := filepath.Join(bag, "data", "records.jsonl")
	data, _ = os.ReadFile(rec)
	os.WriteFile(rec, []byte(strings.Replace(string(data), "Đăng ký khai sinh", "Đăng ký kết hôn", 1)), 0o644)
	_, c3 := newCatalogue(t)
	if _, err := c3.Import(context.Background(), bag, ImportOptions{}, nil); err == nil || !strings.Contains(err.Error(), "manifest") {
		t.Fatalf("edited records: %v", err)
	}
	// An unfinished export (no bagit.txt) is refused.
	os.Remove(filepath.Join(bag, "bagit.txt"))
	if _, err := c3.Import(context.Background(), bag, ImportOptions{}, nil); err == nil || !strings.Contains(err.Error(), "bagit.txt") {
		t.Fatalf("unfinished bag: %v", err)
	}
}

func TestParseManifest(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"two spaces", sum + "  data/a.pdf\n", true},
		{"binary marker", sum + " *data/a.pdf\n", true},
		{"crlf", sum + "  data/a.pdf\r\n", true},
		{"escape", sum + "  ../etc/passwd\n", false},
		{"absolute", sum + "  /etc/passwd\n", false},
		{"unclean", sum + "  data/../../x\n", false},
		{"short sum", "abcd  data/a.pdf\n", false},
		{"twice", sum + "  data/a.pdf\n" + sum + "  data/a.pdf\n", false},
		{"long path", sum + "  data/" + strings.Repeat("a", maxManifestLine) + "\n", false},
		{"long but within the bound", sum + "  data/" + strings.Repeat("a", maxManifestLine-72) + "\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest(strings.NewReader(tt.in), "m")
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	sum := strings.Repeat("0f", 32)
	for _, s := range []string{sum + "  data/records.jsonl\n", sum + " *data/files/0f/x.pdf\r\n", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseManifest(bufio.NewReader(strings.NewReader(in)), "m")
		if err != nil {
			return
		}
		for p := range m {
			if strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
				t.Fatalf("path %q leaves the bag", p)
			}
		}
	})
}
