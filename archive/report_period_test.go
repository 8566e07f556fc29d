package archive

import (
	"context"
	"encoding/json"
	"github.com/kyso-project/kyso/internal/fail"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// periodCatalogue holds results with known counts for every period and
// breakdown:
//
//	000.00.01.H26 commune: 2025 dossiers A1 (Jan) A2 (Feb) A3 (Apr) A4 (Jul, two versions) A6 (Oct) A7 (Dec);
//	                       2024 X1; one record without an issue date
//	000.00.03.H26 commune: B1 (Mar) B2 (Aug)
//	000.00.02.H26 district: D1 (May) D2 (Sep, after districts were abolished)
//	000.00.09.H26 commune merged into 000.00.01.H26: O1 (2024)
func periodCatalogue(t *testing.T) *Catalogue {
	t.Helper()
	path, c := newCatalogue(t)
	meta := `file,dossier_code,procedure_code,procedure_name,sector,unit_code,level,issued_date
a1.pdf,A1,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,2025-01-15
a2.pdf,A2,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,2025-02-10
a3.pdf,A3,1.002,Chứng thực bản sao,,000.00.01.H26,commune,2025-04-05
a4.pdf,A4,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,2025-07-20
a5.pdf,A4,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,2025-07-21
a6.pdf,A6,1.002,Chứng thực bản sao,,000.00.01.H26,commune,2025-10-01
a7.pdf,A7,1.002,Chứng thực bản sao,,000.00.01.H26,commune,2025-12-31
x1.pdf,X1,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,2024-03-03
u1.pdf,U1,1.001,Đăng ký khai sinh,Hộ tịch,000.00.01.H26,commune,
b1.pdf,B1,1.001,Đăng ký khai sinh,Hộ tịch,000.00.03.H26,commune,2025-03-03
b2.pdf,B2,1.002,Chứng thực bản sao,,000.00.03.H26,commune,2025-08-08
d1.pdf,D1,2.001,Cấp giấy phép kinh doanh,Kinh doanh,000.00.02.H26,district,2025-05-05
d2.pdf,D2,2.001,Cấp giấy phép kinh doanh,Kinh doanh,000.00.02.H26,district,2025-09-09
o1.pdf,O1,1.001,Đăng ký khai sinh,Hộ tịch,000.00.09.H26,commune,2024-06-01
`
	m, err := ReadMeta(strings.NewReader(meta), "meta.csv")
	if err != nil {
		t.Fatal(err)
	}
	contents := map[string]string{}
	for name := range m {
		contents[name] = name
	}
	res, sum := ingest(t, c, writeFiles(t, filepath.Join(t.TempDir(), "in"), contents), IngestOptions{Meta: m})
	if sum.Ingested != 14 {
		t.Fatalf("ingest: %+v", sum)
	}
	if w := strings.Join(res["u1.pdf"].Warnings, ";"); !strings.Contains(w, "no issue date") {
		t.Errorf("no warning for a file without an issue date: %q", w)
	}
	if w := res["a1.pdf"].Warnings; len(w) != 0 {
		t.Errorf("warnings for a dated file: %q", w)
	}
	totals, err := ReadTotals(strings.NewReader(`unit_code,unit_name,level,year,period,procedure_code,procedure_name,sector,received,resolved,issued
000.00.01.H26,UBND xã Hòa Đông,commune,2025,,,,,50,45,40
000.00.01.H26,UBND xã Hòa Đông,commune,2025,Q1,,,,,,10
000.00.01.H26,UBND xã Hòa Đông,commune,2025,Q2,,,,,,10
000.00.01.H26,UBND xã Hòa Đông,commune,2025,2025-Q3,,,,,,10
000.00.01.H26,UBND xã Hòa Đông,commune,2025,q4,,,,,,10
000.00.01.H26,UBND xã Hòa Đông,commune,2025,07,,,,,,4
000.00.01.H26,UBND xã Hòa Đông,commune,2025,,1.001,Đăng ký khai sinh,Hộ tịch,,,20
000.00.01.H26,UBND xã Hòa Đông,commune,2025,,1.002,Chứng thực bản sao,Chứng thực,,,20
000.00.03.H26,UBND xã Ea Phê,commune,2025,year,,,,,,10
000.00.03.H26,UBND xã Ea Phê,commune,2025,H1,,,,,,5
000.00.02.H26,UBND huyện Krông Pắc,district,2025,,,,,,,5
000.00.02.H26,UBND huyện Krông Pắc,district,2025,Q3,,,,,,2
000.00.01.H26,UBND xã Hòa Đông,commune,2024,,,,,,,2
000.00.09.H26,UBND xã Cũ,commune,2024,,,,,,,3
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

type wantFig struct {
	issued, digitized int
	percent, target   float64
	shortfall         int
	den               string
}

// null in a wantFig is a figure the row must not give (JSON null): a row
// without a denominator has no issued, percent or shortfall, not 0.
const null = -1

func checkFig(t *testing.T, what string, f Figures, w wantFig) {
	t.Helper()
	issued, percent, shortfall := null, float64(null), null
	if f.Issued != nil {
		issued = *f.Issued
	}
	if f.Percent != nil {
		percent = *f.Percent
	}
	if f.Shortfall != nil {
		shortfall = *f.Shortfall
	}
	if issued != w.issued || f.Digitized != w.digitized || math.Abs(percent-w.percent) > 0.005 ||
		math.Abs(f.TargetPercent-w.target) > 0.005 || shortfall != w.shortfall || f.Denominator != w.den {
		t.Errorf("%s: issued %d digitized %d percent %v target %v shortfall %d denominator %s (-1: null); want %+v",
			what, issued, f.Digitized, percent, f.TargetPercent, shortfall, f.Denominator, w)
	}
	// A partial row says how many of its digitized results its percent
	// counts (those of the parts with a denominator); no other row does.
	if (f.Denominator == DenPartial) != (f.DigitizedCounted != nil) {
		t.Errorf("%s: denominator %s with digitized_counted %v", what, f.Denominator, f.DigitizedCounted)
	}
	if f.DigitizedCounted != nil && issued > 0 && math.Abs(percent-math.Round(10000*float64(*f.DigitizedCounted)/float64(issued))/100) > 0.005 {
		t.Errorf("%s: percent %v is not digitized_counted %d of issued %d", what, percent, *f.DigitizedCounted, issued)
	}
}

// checkCounted checks a partial row's digitized_counted.
func checkCounted(t *testing.T, what string, f Figures, want int) {
	t.Helper()
	if f.DigitizedCounted == nil || *f.DigitizedCounted != want {
		t.Errorf("%s: digitized_counted %v, want %d", what, f.DigitizedCounted, want)
	}
}

func unitRow(t *testing.T, rep *Report, period, unit, total string) ReportRow {
	t.Helper()
	for _, r := range rep.Rows {
		if r.Period == period && r.UnitCode == unit && r.Total == total {
			return r
		}
	}
	t.Fatalf("no row %s %q %q in %+v", period, unit, total, rep.Rows)
	return ReportRow{}
}

func hasRow(rep *Report, unit string) bool {
	for _, r := range rep.Rows {
		if r.UnitCode == unit {
			return true
		}
	}
	return false
}

func build(t *testing.T, c *Catalogue, o ReportOptions) *Report {
	t.Helper()
	rep, err := BuildReport(context.Background(), []*Catalogue{c}, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func period(t *testing.T, s string) Period {
	t.Helper()
	p, err := ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	c1 = "000.00.01.H26"
	c2 = "000.00.03.H26"
	d1 = "000.00.02.H26"
	o1 = "000.00.09.H26"
)

func TestReportPeriods(t *testing.T) {
	c := periodCatalogue(t)

	// The year: every unit against its yearly total, a total per level
	// and the province's.
	rep := build(t, c, ReportOptions{Period: period(t, "2025"), Details: true})
	checkFig(t, "2025 district", unitRow(t, rep, "2025", d1, "").Figures, wantFig{5, 2, 40, 80, 2, DenImported})
	a := unitRow(t, rep, "2025", c1, "")
	checkFig(t, "2025 commune 1", a.Figures, wantFig{40, 6, 15, 100, 34, DenImported})
	if a.Received == nil || *a.Received != 50 || a.Resolved == nil || *a.Resolved != 45 || a.UnitName != "UBND xã Hòa Đông" || a.Year != 2025 {
		t.Errorf("2025 commune 1: %+v", a)
	}
	checkFig(t, "2025 commune 2", unitRow(t, rep, "2025", c2, "").Figures, wantFig{10, 2, 20, 100, 8, DenImported})
	communes := unitRow(t, rep, "2025", "", TotalLevel)
	checkFig(t, "2025 communes", communes.Figures, wantFig{50, 8, 16, 100, 42, DenSummed})
	all := unitRow(t, rep, "2025", "", TotalAll)
	checkFig(t, "2025 province", all.Figures, wantFig{55, 10, 18.18, 98.18, 44, DenSummed})
	if all.Received != nil {
		t.Errorf("received summed over units that lack it: %v", *all.Received)
	}
	if rep.Rows[0].UnitCode != d1 || rep.Rows[len(rep.Rows)-1].Total != TotalAll {
		t.Errorf("order: district first, the province's total last: %+v", rep.Rows)
	}
	if rep.Undated != 1 || rep.DistrictsLeftOut != nil {
		t.Errorf("undated %d, districts left out %+v", rep.Undated, rep.DistrictsLeftOut)
	}

	// By procedure: C2 has no procedure totals, so the rate is over C1's.
	procs := map[string]ProcedureRow{}
	for _, r := range rep.Procedures {
		procs[r.ProcedureCode+r.Total] = r
	}
	checkFig(t, "2025 procedure 1.001", procs["1.001"].Figures, wantFig{20, 4, 15, 100, 17, DenPartial})
	checkFig(t, "2025 procedure 1.002", procs["1.002"].Figures, wantFig{20, 4, 15, 100, 17, DenPartial})
	checkFig(t, "2025 procedure 2.001", procs["2.001"].Figures, wantFig{null, 2, null, 0, null, DenMissing})
	checkFig(t, "2025 procedures total", procs[TotalAll].Figures, wantFig{40, 10, 15, 100, 34, DenPartial})
	checkCounted(t, "2025 procedures total", procs[TotalAll].Figures, 6) // 15% of 40, not 10 of 40
	if procs["1.002"].ProcedureName != "Chứng thực bản sao" || procs["1.002"].Sector != "Chứng thực" {
		t.Errorf("procedure 1.002: %+v", procs["1.002"])
	}
	// By sector: 1.002's records have no sector; the totals give it.
	sectors := map[string]SectorRow{}
	for _, r := range rep.Sectors {
		sectors[r.Sector+r.Total] = r
	}
	checkFig(t, "2025 sector Hộ tịch", sectors["Hộ tịch"].Figures, wantFig{20, 4, 15, 100, 17, DenPartial})
	checkFig(t, "2025 sector Chứng thực", sectors["Chứng thực"].Figures, wantFig{20, 4, 15, 100, 17, DenPartial})
	checkFig(t, "2025 sector Kinh doanh", sectors["Kinh doanh"].Figures, wantFig{null, 2, null, 0, null, DenMissing})
	if len(rep.Sectors) != 4 {
		t.Errorf("sectors: %+v", rep.Sectors)
	}

	// Q3: districts are gone (and the report says so); C2 has no Q3 total.
	rep = build(t, c, ReportOptions{Period: period(t, "2025-Q3")})
	if n := rep.DistrictsLeftOut; hasRow(rep, d1) || len(n) != 1 || n[0].Results != 1 || n[0].Totals != 1 || len(n[0].Units) != 1 || n[0].Units[0] != d1 {
		t.Errorf("Q3 2025: district row or no note: %+v %+v", rep.Rows, rep.DistrictsLeftOut)
	}
	checkFig(t, "Q3 commune 1", unitRow(t, rep, "2025-Q3", c1, "").Figures, wantFig{10, 1, 10, 100, 9, DenImported})
	checkFig(t, "Q3 commune 2", unitRow(t, rep, "2025-Q3", c2, "").Figures, wantFig{null, 1, null, 100, null, DenMissing})
	// C2's result has no denominator: the province's 10% is C1's 1 of 10,
	// not the 2 digitized results of both communes over C1's 10
	q3 := unitRow(t, rep, "2025-Q3", "", TotalAll).Figures
	checkFig(t, "Q3 province", q3, wantFig{10, 2, 10, 100, 9, DenPartial})
	checkCounted(t, "Q3 province", q3, 1)
	// In JSON a missing figure is null, never 0 (docs/report.md).
	for _, tc := range []struct {
		row  any
		want []string
	}{
		{unitRow(t, rep, "2025-Q3", c2, ""), []string{`"issued":null,"digitized":1,"percent":null,"target_percent":100,"shortfall":null,`, `"denominator":"missing"`}},
		{unitRow(t, rep, "2025-Q3", "", TotalAll), []string{`"issued":10,"digitized":2,"percent":10,"target_percent":100,"shortfall":9,"digitized_counted":1,`}},
		{unitRow(t, rep, "2025-Q3", c1, ""), []string{`"issued":10,"digitized":1,"percent":10,"target_percent":100,"shortfall":9,"denominator":"imported"`}},
	} {
		b, err := json.Marshal(tc.row)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("JSON %s lacks %s", b, w)
			}
		}
	}
	if len(rep.Missing) != 1 || !strings.Contains(rep.Missing[0], c2) {
		t.Errorf("missing: %q", rep.Missing)
	}

	// H1: C1 from its quarters; the district still exists.
	rep = build(t, c, ReportOptions{Period: period(t, "2025-H1")})
	checkFig(t, "H1 commune 1", unitRow(t, rep, "2025-H1", c1, "").Figures, wantFig{20, 3, 15, 100, 17, DenSummed})
	checkFig(t, "H1 commune 2", unitRow(t, rep, "2025-H1", c2, "").Figures, wantFig{5, 1, 20, 100, 4, DenImported})
	checkFig(t, "H1 district", unitRow(t, rep, "2025-H1", d1, "").Figures, wantFig{null, 1, null, 80, null, DenMissing})

	// Nine months: Q1+Q2+Q3.
	rep = build(t, c, ReportOptions{Period: period(t, "2025-9M")})
	checkFig(t, "9M commune 1", unitRow(t, rep, "2025-9M", c1, "").Figures, wantFig{30, 4, 13.33, 100, 26, DenSummed})

	// A month, and a free span of whole months, and one that is not.
	rep = build(t, c, ReportOptions{Period: period(t, "2025-07")})
	checkFig(t, "July commune 1", unitRow(t, rep, "2025-07", c1, "").Figures, wantFig{4, 1, 25, 100, 3, DenImported})
	p, err := RangePeriod("2025-02-01", "2025-04-30")
	if err != nil {
		t.Fatal(err)
	}
	rep = build(t, c, ReportOptions{Period: p})
	checkFig(t, "Feb-Apr commune 1", unitRow(t, rep, p.Label, c1, "").Figures, wantFig{null, 2, null, 100, null, DenMissing})
	if p, _ := RangePeriod("2025-07-01", "2025-09-30"); p.Label != "2025-Q3" {
		t.Errorf("a range that is a quarter: %+v", p)
	}
	p, _ = RangePeriod("2025-01-15", "2025-02-10")
	rep = build(t, c, ReportOptions{Period: p})
	checkFig(t, "15 Jan-10 Feb commune 1", unitRow(t, rep, p.Label, c1, "").Figures, wantFig{null, 2, null, 100, null, DenMissing})

	// Split by month: each month its own count, against its own total.
	rep = build(t, c, ReportOptions{Year: 2025, ByMonth: true})
	if len(rep.Periods) != 12 {
		t.Fatalf("periods: %+v", rep.Periods)
	}
	jul := unitRow(t, rep, "2025-07", c1, "")
	checkFig(t, "by month: July", jul.Figures, wantFig{4, 1, 25, 100, 3, DenImported})
	if jul.Month != 7 {
		t.Errorf("month: %+v", jul)
	}
	checkFig(t, "by month: December", unitRow(t, rep, "2025-12", c1, "").Figures, wantFig{null, 1, null, 100, null, DenMissing})
	rep = build(t, c, ReportOptions{Year: 2025, Split: "quarter"})
	checkFig(t, "by quarter: Q4", unitRow(t, rep, "2025-Q4", c1, "").Figures, wantFig{10, 2, 20, 100, 8, DenImported})

	// 2024 without and with the merge mapping.
	rep = build(t, c, ReportOptions{Year: 2024})
	checkFig(t, "2024 commune 1", unitRow(t, rep, "2024", c1, "").Figures, wantFig{2, 1, 50, 90, 1, DenImported})
	checkFig(t, "2024 old commune", unitRow(t, rep, "2024", o1, "").Figures, wantFig{3, 1, 33.33, 90, 2, DenImported})
	merges, err := ReadMerges(strings.NewReader("old_unit_code,new_unit_code,new_unit_name,new_level\n"+o1+","+c1+",UBND xã Hòa Đông,commune\n"), "merge.csv")
	if err != nil {
		t.Fatal(err)
	}
	rep = build(t, c, ReportOptions{Year: 2024, Merges: merges, Trend: true})
	if hasRow(rep, o1) {
		t.Errorf("merged unit still has a row: %+v", rep.Rows)
	}
	checkFig(t, "2024 merged", unitRow(t, rep, "2024", c1, "").Figures, wantFig{5, 2, 40, 90, 3, DenSummed})

	// The trend: only years with figures.
	if len(rep.Trend) != 2 || rep.Trend[0].Year != 2024 || rep.Trend[1].Year != 2025 || rep.Trend[0].Issued != 5 ||
		rep.Trend[0].Digitized != 2 || rep.Trend[1].Issued != 55 || rep.Trend[1].Digitized != 10 || math.Abs(rep.Trend[1].TargetPercent-98.18) > 0.005 {
		t.Errorf("trend: %+v", rep.Trend)
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct{ in, label, from, to string }{
		{"2026", "2026", "2026-01-01", "2026-12-31"},
		{"2026-Q3", "2026-Q3", "2026-07-01", "2026-09-30"},
		{"2026-q1", "2026-Q1", "2026-01-01", "2026-03-31"},
		{"2026-H1", "2026-H1", "2026-01-01", "2026-06-30"},
		{"2026-H2", "2026-H2", "2026-07-01", "2026-12-31"},
		{"2026-9M", "2026-9M", "2026-01-01", "2026-09-30"},
		{"2024-02", "2024-02", "2024-02-01", "2024-02-29"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.in)
		if err != nil || p.Label != tt.label || p.From != tt.from || p.To != tt.to {
			t.Errorf("ParsePeriod(%q) = %+v, %v", tt.in, p, err)
		}
	}
	for _, bad := range []string{"", "26", "2026-Q5", "2026-13", "2026-H3", "abcd", "2026-8M"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
	if _, err := RangePeriod("2026-02-01", "2026-01-01"); fail.KindOf(err) != fail.KindUsage || fail.RemedyOf(err) != fail.RemedyDates {
		t.Errorf("a range that ends before it starts: %v, want a usage error about the dates", err)
	}
	if _, err := RangePeriod("2026-02-30", "2026-03-01"); fail.RemedyOf(err) != fail.RemedyDates {
		t.Errorf("a range from no date: %v, want a usage error about the dates", err)
	}
	q := YearPeriod(2025).Split("quarter")
	if len(q) != 4 || q[2].Label != "2025-Q3" {
		t.Errorf("quarters: %+v", q)
	}
	p, _ := RangePeriod("2025-11-15", "2026-01-31")
	if m := p.Split("month"); len(m) != 3 || m[0].From != "2025-11-15" || m[1].Label != "2025-12" || m[2].Label != "2026-01" {
		t.Errorf("months of a free span: %+v", m)
	}
}

func TestSetMeta(t *testing.T) {
	c := periodCatalogue(t)
	path := c.path
	c.Close()
	c, err := Open(context.Background(), path, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.SetMeta(context.Background(), []MetaChange{{Ref: "u1.pdf", ByName: true, Meta: Meta{Issued: "2025-07-02"}}})
	if err != nil || len(res) != 1 || res[0].Status != SetMetaChanged || !strings.Contains(res[0].Changes[0], `issued_date: "" -> "2025-07-02"`) {
		t.Fatalf("set-meta: %+v %v", res, err)
	}
	// The same change again changes nothing.
	if res, err := c.SetMeta(context.Background(), []MetaChange{{Ref: "U1", Meta: Meta{Issued: "2025-07-02"}}}); err != nil || res[0].Status != SetMetaUnchanged {
		t.Errorf("again: %+v %v", res, err)
	}
	entries, err := c.Find(context.Background(), "U1")
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	last := e.History[len(e.History)-1]
	if e.Record.Issued != "2025-07-02" || last.Type != EventMetaChanged || e.HistoryError != "" || !strings.Contains(last.Detail, "2025-07-02") {
		t.Errorf("record after set-meta: %+v", e)
	}
	rep := build(t, c, ReportOptions{Period: period(t, "2025-07")})
	if rep.Undated != 0 {
		t.Errorf("undated after set-meta: %d", rep.Undated)
	}
	checkFig(t, "July after set-meta", unitRow(t, rep, "2025-07", c1, "").Figures, wantFig{4, 2, 50, 100, 2, DenImported})
	if _, err := c.SetMeta(context.Background(), []MetaChange{{Ref: "NO-SUCH", Meta: Meta{Issued: "2025-07-02"}}}); err == nil {
		t.Error("unknown ref accepted")
	}
	if _, err := c.SetMeta(context.Background(), []MetaChange{{Ref: "U1", Meta: Meta{Issued: "2025-13-02"}}}); err == nil {
		t.Error("bad date accepted")
	}
	if ls := listAll(t, c, Query{From: "2025-07-02", To: "2025-07-02"}); len(ls) != 1 {
		t.Errorf("the issued index did not move: %d records", len(ls))
	}
	// A correction is a record write like any other: hashed and chained.
	if rep, err := c.VerifyChain(context.Background(), ChainOptions{}); err != nil || !rep.OK() {
		t.Errorf("chain after set-meta: %+v %v", rep, err)
	}
}

func TestReadMerges(t *testing.T) {
	m, err := ReadMerges(strings.NewReader("\ufeffma_don_vi_cu,ma_don_vi_moi,ten_don_vi_moi\nA,B,UBND xã B\nB,C,UBND xã C\n"), "merge.csv")
	if err != nil || m["A"].Code != "C" || m["B"].Code != "C" || m["B"].Name != "UBND xã C" {
		t.Errorf("chain: %+v %v", m, err)
	}
	for in, want := range map[string]string{
		"old_unit_code,new_unit_code\nA,B\nB,A\n": "circle",
		"old_unit_code,new_unit_code\nA,B\nA,C\n": "already mapped on line 2",
		"old_unit_code,new_unit_code\nA,\n":       "must both be given",
		"old_unit,new_unit_code\nA,B\n":           "no old_unit_code column",
		"old_unit_code,new_unit_code\nA,B\x01C\n": "control character",
	} {
		if _, err := ReadMerges(strings.NewReader(in), "m"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestReadTotalsPeriods(t *testing.T) {
	rows, err := ReadTotals(strings.NewReader("ma_don_vi,nam,ky,ma_thu_tuc,linh_vuc,tiep_nhan,da_giai_quyet,da_ban_hanh\nU,2025,2025-Q3,1.001,Hộ tịch,9,8,7\nU,2025,T07,,,,,2\nU,2025,NĂM,,,,,30\n"), "t")
	if err != nil || len(rows) != 3 {
		t.Fatalf("%+v %v", rows, err)
	}
	r := rows[0]
	if r.Period != "Q3" || r.Procedure != "1.001" || r.Sector != "Hộ tịch" || *r.Received != 9 || *r.Resolved != 8 || r.Issued != 7 {
		t.Errorf("row 1: %+v", r)
	}
	if rows[1].Period != "07" || rows[2].Period != "" {
		t.Errorf("periods: %q %q", rows[1].Period, rows[2].Period)
	}
	for in, want := range map[string]string{
		"unit_code,year,period,issued\nU,2025,Q5,3\n":              "period",
		"unit_code,year,period,issued\nU,2025,Q1,3\nU,2025,q1,4\n": "already on line 2",
		"unit_code,year,received,issued\nU,2025,x,3\n":             "received",
		"unit_code,year,resolved,issued\nU,2025,-1,3\n":            "negative",
		"unit_code,year\nU,2025\n":                                 "no issued column",
	} {
		if _, err := ReadTotals(strings.NewReader(in), "t"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func FuzzReadMerges(f *testing.F) {
	f.Add("old_unit_code,new_unit_code,new_unit_name,new_level\n000.00.09.H26,000.00.01.H26,UBND xã Hòa Đông,commune\n")
	f.Add("old_unit_code,new_unit_code\nA,B\nB,C\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ReadMerges(strings.NewReader(in), "m")
		if err != nil {
			return
		}
		for old, to := range m {
			if _, again := m[to.Code]; again {
				t.Fatalf("%s maps to %s, which is mapped again", old, to.Code)
			}
		}
	})
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026", "2026-Q3", "2026-H1", "2026-9M", "2026-07", "2026-13"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParsePeriod(in)
		if err != nil {
			return
		}
		if p.From > p.To || p.Label == "" || len(p.From) != 10 {
			t.Fatalf("%q: %+v", in, p)
		}
		again, err := ParsePeriod(p.Label)
		if err != nil || again != p {
			t.Fatalf("%q: label %q reads back as %+v %v", in, p.Label, again, err)
		}
	})
}
