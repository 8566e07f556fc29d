package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bag whose manifest lists files it does not hold is incomplete: the
// missing files are counted and the first ten named, and the exit status
// is 4 (the fixture's records are rejected here anyway: their files are
// not real PDFs).
func TestImportWarnsIncompleteBag(t *testing.T) {
	db := archiveFixture(t)
	bag := filepath.Join(t.TempDir(), "bag")
	if code, _, errOut := runKyso(t, "archive", "export", "--db", db, "--out", bag); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	mp := filepath.Join(bag, "manifest-sha256.txt")
	m, err := os.ReadFile(mp)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(m)
	for i := range 12 {
		m = fmt.Appendf(m, "%064x  data/junk/%02d.pdf\n", 0, i)
	}
	os.WriteFile(mp, m, 0o644)
	tp := filepath.Join(bag, "tagmanifest-sha256.txt")
	tm, _ := os.ReadFile(tp)
	os.WriteFile(tp, bytes.Replace(tm, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", sha256.Sum256(m)), 1), 0o644)

	district := filepath.Join(t.TempDir(), "district.db")
	if code, _, errOut := runKyso(t, "archive", "init", "--db", district, "--unit", "000.00.H26", "--unit-name", "UBND huyện", "--level", "district"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	code, out, errOut := runKyso(t, "archive", "import", "--db", district, bag)
	if code != exitInput || !strings.Contains(errOut, "is incomplete: its manifest lists 12 files it does not hold") ||
		!strings.Contains(errOut, `"data/junk/00.pdf"`) || strings.Contains(errOut, "data/junk/10.pdf") {
		t.Fatalf("import of an incomplete bag: %d\n%s%s", code, out, errOut)
	}
}
