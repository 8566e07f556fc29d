package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/verify"
)

// archiveFixture is a catalogue of two units' results, ingested through the
// archive package with a verifier that finds everything valid (the CLI's
// own verifier is exercised by the acceptance checks).
func archiveFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "kyso.db")
	if code, _, errOut := runKyso(t, "archive", "init", "--db", db, "--unit", "000.00.01.H26", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	c, err := archive.Open(context.Background(), db, archive.Options{Verify: func(ctx context.Context, p string) (*verify.Report, error) {
		return &verify.Report{Status: verify.Valid, CheckedAt: time.Now()}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	meta := map[string]archive.Meta{
		"a.pdf": {Dossier: "A-1", Procedure: "1.001234", ProcedureName: "Đăng ký khai sinh", Unit: "000.00.01.H26", Level: "commune", Issued: "2025-02-01"},
		"b.pdf": {Dossier: "A-2", Procedure: "1.001234", ProcedureName: "Đăng ký khai sinh", Unit: "000.00.01.H26", Level: "commune", Issued: "2025-03-01"},
		"c.pdf": {Dossier: "B-1", Procedure: "2.000123", ProcedureName: "Cấp giấy phép kinh doanh", Unit: "000.00.02.H26", Level: "district", Issued: "2025-06-30"},
	}
	var files []string
	for name := range meta {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("%PDF-1.7 "+name), 0o644)
		files = append(files, p)
	}
	if sum, err := c.Ingest(context.Background(), files, archive.IngestOptions{Meta: meta}, nil); err != nil || sum.Ingested != 3 {
		t.Fatalf("ingest: %+v %v", sum, err)
	}
	totals := filepath.Join(dir, "totals.csv")
	os.WriteFile(totals, []byte("unit_code,unit_name,level,year,issued\n000.00.01.H26,UBND xã Hòa Đông,commune,2025,20\n000.00.02.H26,UBND huyện Krông Pắc,district,2025,5\n"), 0o644)
	c.Close()
	if code, _, errOut := runKyso(t, "archive", "totals", "import", "--db", db, totals); code != 0 {
		t.Fatalf("totals import: %d %s", code, errOut)
	}
	return db
}

func runKyso(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	t.Setenv("KYSO_LANG", "en") // labels in English unless a test asks for --lang vi
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestArchiveCommands(t *testing.T) {
	db := archiveFixture(t)
	dir := filepath.Dir(db)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		lines  int      // JSON lines on stdout, when > 0
	}{
		{"ls by unit", []string{"archive", "ls", "--db", db, "--unit", "000.00.01.H26", "--json"}, 0, []string{`"dossier_code":"A-1"`}, 2},
		{"ls by date", []string{"archive", "ls", "--db", db, "--from", "2025-03-01", "--to", "2025-12-31"}, 0, []string{"A-2", "B-1", "2 records"}, 0},
		{"ls bad date", []string{"archive", "ls", "--db", db, "--from", "2025-02-30"}, 2, nil, 0},
		{"show", []string{"archive", "show", "--db", db, "B-1"}, 0, []string{"Cấp giấy phép kinh doanh", "ingested"}, 0},
		{"show nothing", []string{"archive", "show", "--db", db, "Z-9"}, 4, nil, 0},
		{"report json", []string{"archive", "report", "--db", db, "--year", "2025", "--format", "json"}, 0, []string{`"shortfall":18`, `"target_percent":80`, `"total":"all"`}, 3},
		{"report table vi", []string{"archive", "report", "--db", db, "--year", "2025", "--lang", "vi"}, 0, []string{"Còn thiếu", "Krông Pắc", "10,00%"}, 0},
		{"report csv", []string{"archive", "report", "--db", db, "--year", "2025", "--format", "csv"}, 0, []string{"\ufeffunit_code,unit_name,level,year,issued,digitized,percent,target_percent,shortfall,"}, 0},
		{"report by month", []string{"archive", "report", "--db", db, "--year", "2024", "--by", "month", "--json"}, 0, nil, 0},
		{"report bad year", []string{"archive", "report", "--db", db, "--year", "notayear"}, 2, nil, 0},
		{"report bad format", []string{"archive", "report", "--db", db, "--format", "doc"}, 2, nil, 0},
		{"report xlsx without --out", []string{"archive", "report", "--db", db, "--format", "xlsx"}, 2, nil, 0},
		{"report bad period", []string{"archive", "report", "--db", db, "--period", "2025-Q5"}, 2, nil, 0},
		{"report year and period", []string{"archive", "report", "--db", db, "--year", "2025", "--period", "2025-Q1"}, 2, nil, 0},
		{"report from without to", []string{"archive", "report", "--db", db, "--from", "2025-01-01"}, 2, nil, 0},
		{"report bad by", []string{"archive", "report", "--db", db, "--by", "colour"}, 2, nil, 0},
		{"report by procedure", []string{"archive", "report", "--db", db, "--year", "2025", "--by", "procedure", "--json"}, 0, []string{`"procedure_code":"1.001234","procedure_name":"Đăng ký khai sinh"`, `"denominator":"missing"`}, 3},
		{"report Q1 vi csv", []string{"archive", "report", "--db", db, "--period", "2025-Q1", "--format", "csv", "--lang", "vi"}, 0, []string{"\ufeffMã đơn vị (unit_code),Tên đơn vị (unit_name)", "000.00.01.H26,UBND xã Hòa Đông,commune,2025,,2,,100.00,,,,missing"}, 0},
		{"audit", []string{"archive", "audit", "--db", db, "--json"}, 0, []string{`"status":"ok"`}, 3},
		{"backup", []string{"archive", "backup", "--db", db, "--out", filepath.Join(dir, "b.db")}, 0, []string{"backup of"}, 0},
		{"no catalogue", []string{"archive", "ls", "--db", filepath.Join(dir, "none.db")}, 5, nil, 0},
		{"bad flag", []string{"archive", "--no-such-flag"}, 2, nil, 0},
		{"no subcommand", []string{"archive"}, 2, nil, 0},
		{"init without unit", []string{"archive", "init", "--db", filepath.Join(dir, "x.db")}, 2, nil, 0},
		{"init another unit", []string{"archive", "init", "--db", db, "--unit", "X", "--unit-name", "X", "--level", "commune"}, 2, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runKyso(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tt.lines > 0 {
				n := 0
				for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
					var v map[string]any
					if err := json.Unmarshal([]byte(l), &v); err != nil {
						t.Fatalf("not JSON Lines: %q", l)
					}
					n++
				}
				if n != tt.lines {
					t.Errorf("%d JSON lines, want %d", n, tt.lines)
				}
			}
			if code == 2 && !strings.Contains(errOut, "kyso: error:") {
				t.Errorf("usage error without the error line: %q", errOut)
			}
		})
	}
}

func TestArchiveReportHTML(t *testing.T) {
	db := archiveFixture(t)
	for _, lang := range []string{"vi", "en"} {
		out := filepath.Join(t.TempDir(), "report.html")
		if code, _, errOut := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--out", out, "--lang", lang); code != 0 {
			t.Fatalf("%s: exit %d %s", lang, code, errOut)
		}
		page, _ := os.ReadFile(out)
		want := map[string][]string{"vi": {"Chỉ tiêu", "Còn thiếu"}, "en": {"Target", "Shortfall"}}[lang]
		for _, s := range append(want, "<svg", "Hòa Đông", "Krông Pắc", "<rect") {
			if !bytes.Contains(page, []byte(s)) {
				t.Errorf("%s page lacks %q", lang, s)
			}
		}
	}
}

func TestArchiveSecondWriterIsLocked(t *testing.T) {
	db := archiveFixture(t)
	c, err := archive.Open(context.Background(), db, archive.Options{Command: "kyso archive ingest nightly/"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	code, _, errOut := runKyso(t, "archive", "totals", "import", "--db", db, "--lock-timeout", "200ms", filepath.Join(filepath.Dir(db), "totals.csv"))
	if code != 5 || !strings.Contains(errOut, "locked by pid") || !strings.Contains(errOut, "kyso archive ingest nightly/") || !strings.Contains(errOut, "hint: wait for that process to finish, or give it longer with --lock-timeout") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Readers are not kept out by a writer.
	if code, _, errOut := runKyso(t, "archive", "ls", "--db", db); code != 0 {
		t.Fatalf("ls while a writer holds the lock: %d %s", code, errOut)
	}
}
