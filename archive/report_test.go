package archive

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultTarget(t *testing.T) {
	tests := []struct {
		level string
		year  int
		want  float64
	}{
		{"commune", 2020, 0}, {"commune", 2021, 15}, {"commune", 2022, 50}, {"commune", 2023, 70},
		{"commune", 2024, 90}, {"commune", 2025, 100}, {"commune", 2030, 100}, {"xã", 2024, 90},
		{"district", 2021, 20}, {"district", 2022, 20}, {"district", 2023, 40}, {"district", 2024, 60},
		{"district", 2025, 80}, {"district", 2026, 100}, {"district", 2027, 100}, {"huyện", 2023, 40},
		{"province", 2025, 80}, {"school", 2024, 60},
	}
	for _, tt := range tests {
		if got := DefaultTarget(tt.level, tt.year); got != tt.want {
			t.Errorf("DefaultTarget(%q, %d) = %v, want %v", tt.level, tt.year, got, tt.want)
		}
	}
}

func TestShortfall(t *testing.T) {
	tests := []struct {
		target            float64
		issued, digitized int
		want              int
	}{
		{100, 20, 3, 17}, {80, 5, 1, 3}, {90, 1, 1, 0}, {15, 7, 0, 2}, {50, 0, 0, 0}, {20, 10, 9, 0}, {33.3, 3, 0, 1},
	}
	for _, tt := range tests {
		if got := Shortfall(tt.target, tt.issued, tt.digitized); got != tt.want {
			t.Errorf("Shortfall(%v, %d, %d) = %d, want %d", tt.target, tt.issued, tt.digitized, got, tt.want)
		}
	}
}

// reportCatalogue mirrors the report acceptance check: two units, a
// dossier with two versions, one result of 2024.
func reportCatalogue(t *testing.T) *Catalogue {
	t.Helper()
	path, c := newCatalogue(t)
	meta := `file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date
r0.pdf,A-0001,1.001234,Đăng ký khai sinh,000.00.01.H26,commune,2025-02-01
r1.pdf,A-0002,1.001234,Đăng ký khai sinh,000.00.01.H26,commune,2025-03-01
r2.pdf,A-0003,1.004567,Chứng thực bản sao,000.00.01.H26,commune,2025-11-20
r3.pdf,A-0003,1.004567,Chứng thực bản sao,000.00.01.H26,commune,2025-11-20
r4.pdf,B-0001,2.000123,Cấp giấy phép kinh doanh,000.00.02.H26,district,2025-06-30
r5.pdf,A-0099,1.001234,Đăng ký khai sinh,000.00.01.H26,commune,2024-12-31
`
	m, err := ReadMeta(strings.NewReader(meta), "meta.csv")
	if err != nil {
		t.Fatal(err)
	}
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{
		"r0.pdf": "0", "r1.pdf": "1", "r2.pdf": "2", "r3.pdf": "3", "r4.pdf": "4", "r5.pdf": "5"})
	if _, sum := ingest(t, c, files, IngestOptions{Meta: m}); sum.Ingested != 6 {
		t.Fatalf("ingest: %+v", sum)
	}
	totals, err := ReadTotals(strings.NewReader(`unit_code,unit_name,level,year,issued
000.00.01.H26,UBND xã Hòa Đông,commune,2025,20
000.00.02.H26,UBND huyện Krông Pắc,district,2025,5
000.00.01.H26,UBND xã Hòa Đông,commune,2024,1
`), "totals.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportTotals(context.Background(), totals); err != nil {
		t.Fatal(err)
	}
	c.Close()
	return openRO(t, path)
}

func TestReport(t *testing.T) {
	c := reportCatalogue(t)
	ctx := context.Background()
	byUnit := func(rep *Report) map[string]ReportRow {
		m := map[string]ReportRow{}
		for _, r := range rep.Rows {
			m[r.UnitCode] = r
		}
		return m
	}
	rep, err := BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2025, Trend: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := byUnit(rep)
	a, b := rows["000.00.01.H26"], rows["000.00.02.H26"]
	if iv(a.Issued) != 20 || a.Digitized != 3 || math.Abs(fv(a.Percent)-15) > 0.001 || a.TargetPercent != 100 || iv(a.Shortfall) != 17 || a.Level != "commune" || a.UnitName != "UBND xã Hòa Đông" {
		t.Errorf("commune 2025: %+v", a)
	}
	if iv(b.Issued) != 5 || b.Digitized != 1 || fv(b.Percent) != 20 || b.TargetPercent != 80 || iv(b.Shortfall) != 3 {
		t.Errorf("district 2025: %+v", b)
	}
	if rep.Rows[0].Level != "district" {
		t.Errorf("district rows come before commune rows: %+v", rep.Rows)
	}
	if len(rep.Trend) != 2 || rep.Trend[0].Year != 2024 || rep.Trend[1].Digitized != 4 || rep.Trend[1].Issued != 25 {
		t.Errorf("trend: %+v", rep.Trend)
	}

	rep, _ = BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2024})
	if a := byUnit(rep)["000.00.01.H26"]; a.Digitized != 1 || a.TargetPercent != 90 || iv(a.Shortfall) != 0 || len(rep.Rows) != 2 {
		t.Errorf("2024: %+v", rep.Rows)
	}

	targets, err := ReadTargets(strings.NewReader("level,year,target_percent\ncommune,2025,10\ndistrict,2025,20\n"), "targets.csv")
	if err != nil {
		t.Fatal(err)
	}
	rep, _ = BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2025, Targets: targets})
	for _, r := range rep.Rows {
		if r.Total == "" && iv(r.Shortfall) != 0 || (r.TargetPercent != 10 && r.TargetPercent != 20 && r.Total == "") || r.Total == TotalAll && (iv(r.Shortfall) != 0 || r.TargetPercent != 12) {
			t.Errorf("with targets: %+v", r)
		}
	}

	rep, _ = BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 2025, ByMonth: true})
	months := map[int]int{}
	for _, r := range rep.Rows {
		if r.UnitCode == "000.00.01.H26" {
			months[r.Month] = r.Digitized
		}
	}
	// Each month counts only its own results (A-0003's two versions once).
	if len(months) != 12 || months[1] != 0 || months[2] != 1 || months[3] != 1 || months[10] != 0 || months[11] != 1 || months[12] != 0 {
		t.Errorf("by month: %v", months)
	}

	// A roll-up of the same catalogue twice counts every dossier once.
	rep, _ = BuildReport(ctx, []*Catalogue{c, c}, ReportOptions{Year: 2025})
	if a := byUnit(rep)["000.00.01.H26"]; a.Digitized != 3 || iv(a.Issued) != 20 {
		t.Errorf("roll-up: %+v", a)
	}
	if _, err := BuildReport(ctx, []*Catalogue{c}, ReportOptions{Year: 25}); err == nil {
		t.Error("year 25 accepted")
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		read           func(string) error
	}{
		{"meta without file column", "dossier_code\nA\n", "no file column", readMetaString},
		{"meta bad date", "file,issued_date\na.pdf,2025-13-01\n", "issued_date", readMetaString},
		{"meta twice", "file\na.pdf\nsub/a.pdf\n", "twice", readMetaString},
		{"totals bad year", "unit_code,year,issued\nU,20x5,3\n", "year", readTotalsString},
		{"totals negative", "unit_code,year,issued\nU,2025,-3\n", "negative", readTotalsString},
		{"totals twice", "unit_code,year,issued\nU,2025,3\nU,2025,4\n", "line 2", readTotalsString},
		{"targets over 100", "level,year,target_percent\ncommune,2025,120\n", "0 to 100", readTargetsString},
		{"empty", "", "empty", readTotalsString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	m, err := ReadMeta(strings.NewReader("\ufefffile,issued_date,dossier_code\na.pdf,05/03/2025,X\n"), "m")
	if err != nil || m["a.pdf"].Issued != "2025-03-05" || m["a.pdf"].Dossier != "X" {
		t.Errorf("BOM and DD/MM/YYYY: %+v %v", m, err)
	}
}

func readMetaString(s string) error    { _, err := ReadMeta(strings.NewReader(s), "m"); return err }
func readTotalsString(s string) error  { _, err := ReadTotals(strings.NewReader(s), "t"); return err }
func readTargetsString(s string) error { _, err := ReadTargets(strings.NewReader(s), "t"); return err }

func TestNamePattern(t *testing.T) {
	tests := []struct {
		pattern, name string
		ok            bool
		want          Meta
	}{
		{"{dossier}_{procedure}.pdf", "H26.01-0001_1.001234.pdf", true, Meta{Dossier: "H26.01-0001", Procedure: "1.001234"}},
		{"{dossier}_{procedure}.pdf", "H26.01-0001_1.001234.PDF", true, Meta{Dossier: "H26.01-0001", Procedure: "1.001234"}},
		{"{date}-{dossier}.pdf", "20250305-X1.pdf", true, Meta{Dossier: "X1", Issued: "2025-03-05"}},
		{"{date}-{dossier}.pdf", "20251305-X1.pdf", false, Meta{}},
		{"{dossier}_{procedure}.pdf", "nounderscore.pdf", false, Meta{}},
		{"{unit}/{any}.pdf", "a.pdf", false, Meta{}},
	}
	for _, tt := range tests {
		np, err := ParseNamePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := np.Match(tt.name)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s on %s: %+v %v, want %+v %v", tt.pattern, tt.name, got, ok, tt.want, tt.ok)
		}
	}
	for _, bad := range []string{"plain.pdf", "{nope}.pdf", "{dossier.pdf"} {
		if _, err := ParseNamePattern(bad); err == nil {
			t.Errorf("pattern %q accepted", bad)
		}
	}
}

func FuzzReadMeta(f *testing.F) {
	f.Add(sampleMeta)
	f.Add("file,issued_date\na.pdf,05/03/2025\n")
	f.Add("\ufefffile\n\"a,b.pdf\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ReadMeta(strings.NewReader(in), "m")
		if err != nil {
			return
		}
		for _, v := range m {
			if validateMeta(&v) != nil {
				t.Fatalf("accepted invalid metadata %+v", v)
			}
		}
	})
}

func FuzzReadTotals(f *testing.F) {
	f.Add("unit_code,unit_name,level,year,issued\n000.00.01.H26,UBND xã Hòa Đông,commune,2025,20\n")
	f.Add("unit_code,year,issued\nU,2025,-1\n")
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadTotals(strings.NewReader(in), "t")
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.validate() != nil {
				t.Fatalf("accepted invalid total %+v", r)
			}
		}
	})
}

func FuzzReadTargets(f *testing.F) {
	f.Add("level,year,target_percent\ncommune,2025,10\n")
	f.Add("level,year,target_percent\nxã,2025,10%\n")
	f.Fuzz(func(t *testing.T, in string) {
		tg, err := ReadTargets(strings.NewReader(in), "t")
		if err != nil {
			return
		}
		for _, p := range tg {
			if p < 0 || p > 100 || math.IsNaN(p) {
				t.Fatalf("accepted target %v", p)
			}
		}
	})
}

func FuzzNamePattern(f *testing.F) {
	f.Add("{dossier}_{procedure}.pdf", "H26.01-0001_1.001234.pdf")
	f.Add("{date}-{dossier}.pdf", "20250305-X1.pdf")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		np, err := ParseNamePattern(pattern)
		if err != nil {
			return
		}
		if m, ok := np.Match(name); ok && validateMeta(&m) != nil {
			t.Fatalf("match gave invalid metadata %+v", m)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"id":1,"sha256":"` + strings.Repeat("a", 64) + `","size":3,"status":"valid","issued_date":"2025-03-05"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := decodeRecord(in)
		if err != nil {
			return
		}
		_ = indexKeys(r)
		_ = r.Contents()
	})
}

// iv and fv read an optional figure, -1 for none (JSON null).
func iv(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func fv(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
