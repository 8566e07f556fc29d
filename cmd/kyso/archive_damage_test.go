package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/archive"
)

// damagePages makes every data page of a catalogue say it is another page,
// as a disk that wrote blocks in the wrong place would.
func damagePages(t *testing.T, db, out string) {
	t.Helper()
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	ps := int(binary.LittleEndian.Uint32(b[16+8:]))
	for off := 2 * ps; off+8 <= len(b); off += ps {
		b[off] ^= 0x40
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestArchiveDamagedCatalogue: every archive command on a damaged
// catalogue exits 5 with the one message, and archive check lists the
// damage (exit 1), is quiet on a sound catalogue (exit 0) and exits 5 on a
// file that is no bbolt file at all.
func TestArchiveDamagedCatalogue(t *testing.T) {
	db := archiveFixture(t)
	dir := filepath.Dir(db)
	if code, out, errOut := runKyso(t, "archive", "check", "--db", db); code != 0 || !strings.Contains(out, "no problems") || !strings.Contains(out, "3 records") {
		t.Fatalf("check on a sound catalogue: exit %d\n%s%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "damaged.db")
	damagePages(t, db, bad)
	store := db + ".store"
	totals := filepath.Join(dir, "totals.csv")
	bag := filepath.Join(dir, "bag")
	if code, _, errOut := runKyso(t, "archive", "export", "--db", db, "--out", bag); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	pdf := filepath.Join(dir, "new.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.7 new"), 0o644)
	common := []string{"--db", bad, "--store", store}
	for _, args := range [][]string{
		{"init", "--unit", "000.00.01.H26", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"},
		{"ingest", "--offline", pdf},
		{"ls"}, {"show", "A-1"}, {"audit"}, {"backup", "--out", filepath.Join(dir, "b.db")},
		{"export", "--out", filepath.Join(dir, "bag2")}, {"import", bag},
		{"totals", "import", totals}, {"report", "--year", "2025"},
		{"renew", "--tsa", "http://127.0.0.1:1/tsa"},
	} {
		full := append(append([]string{"archive"}, args...), common...)
		code, _, errOut := runKyso(t, full...)
		if code != exitRun || !strings.Contains(errOut, archive.DamagedAdvice) || !strings.Contains(errOut, "kyso: error: ") {
			t.Errorf("kyso archive %s: exit %d, stderr %q; want 5 and %q", args[0], code, errOut, archive.DamagedAdvice)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db")); err == nil {
		t.Error("a backup of the damaged catalogue was written")
	}

	code, out, errOut := runKyso(t, "archive", "check", "--db", bad, "--store", store, "--json")
	if code != exitInvalid {
		t.Fatalf("check on a damaged catalogue: exit %d, want 1\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		var p archive.Problem
		if err := json.Unmarshal([]byte(l), &p); err != nil || p.Check != "pages" || p.Problem == "" {
			t.Errorf("problem line %q: want a pages problem", l)
		}
	}
	code, out, _ = runKyso(t, "archive", "check", "--db", bad, "--store", store)
	if code != exitInvalid || !strings.Contains(out, "says it is page") || !strings.Contains(out, "skipped") {
		t.Errorf("human check output: exit %d\n%s", code, out)
	}

	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a catalogue\n", 1000)), 0o644)
	if code, _, errOut := runKyso(t, "archive", "check", "--db", junk); code != exitRun || !strings.Contains(errOut, archive.DamagedAdvice) {
		t.Errorf("check on a file that is no catalogue: exit %d, %s", code, errOut)
	}
}
