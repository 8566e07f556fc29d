package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kyso archive audit --report writes the auditor's report of the whole
// catalogue: a section per record with its fixity, SHA-256, dossier code
// and verdict, the audit's counts, the tally and the signature block; a
// record whose stored file is gone is reported invalid.
func TestArchiveAuditReport(t *testing.T) {
	db := archiveFixture(t)
	dir := filepath.Dir(db)
	// lose one stored file
	var victim string
	filepath.WalkDir(db+".store", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && victim == "" {
			victim = p
		}
		return nil
	})
	if victim == "" {
		t.Fatal("no stored file")
	}
	os.Chmod(filepath.Dir(victim), 0o755)
	if err := os.Remove(victim); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"vi", "en"} {
		report := filepath.Join(dir, "audit-"+lang+".html")
		code, _, errOut := runKyso(t, "--lang", lang, "archive", "audit", "--db", db, "--report", report)
		if code != exitInvalid {
			t.Fatalf("%s: exit %d: %s", lang, code, errOut)
		}
		b, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		want := map[string][]string{
			"vi": {"Báo cáo kiểm tra kho lưu trữ", "toàn vẹn lưu trữ: mất tệp", "toàn vẹn lưu trữ: tốt", "KHÔNG HỢP LỆ", "HỢP LỆ", "Mã hồ sơ", "A-1", "B-1", "Tổng hợp", "Người kiểm tra", "Số bản ghi đã kiểm tra: 3"},
			"en": {"Catalogue audit report", "fixity: missing", "fixity: ok", "INVALID", "VALID", "Dossier code", "A-1", "B-1", "Tally", "Auditor", "Records checked: 3"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(html, w) {
				t.Errorf("%s: the report lacks %q", lang, w)
			}
		}
		if n := strings.Count(html, `<section class="file">`); n != 3 {
			t.Errorf("%s: %d sections, want one per record (3)", lang, n)
		}
	}
}
