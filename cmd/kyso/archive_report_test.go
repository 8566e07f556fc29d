package main

import (
	"context"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/testtool"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/verify"
)

// reportFixture is a commune's catalogue with known counts:
// 2025: A-1 (Feb), A-2 (Mar), A-3 (Aug) of procedure 1.001234 (Hộ tịch),
// C-1 (May) of 2.000001 (Chứng thực); 2023: Z-1; 2022: Y-1, Y-2; one
// result without an issue date. Totals: 2025 year 20 (received 25,
// resolved 22), Q1 8, 1.001234 in 2025 12; 2022 year 4. No total for 2023.
func reportFixture(t *testing.T) string {
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
	birth := archive.Meta{Procedure: "1.001234", ProcedureName: "Đăng ký khai sinh", Sector: "Hộ tịch"}
	copy := archive.Meta{Procedure: "2.000001", ProcedureName: "Chứng thực bản sao", Sector: "Chứng thực"}
	with := func(m archive.Meta, dossier, date string) archive.Meta { m.Dossier, m.Issued = dossier, date; return m }
	meta := map[string]archive.Meta{
		"a1.pdf": with(birth, "A-1", "2025-02-01"), "a2.pdf": with(birth, "A-2", "2025-03-01"), "a3.pdf": with(birth, "A-3", "2025-08-01"),
		"c1.pdf": with(copy, "C-1", "2025-05-05"), "z1.pdf": with(birth, "Z-1", "2023-04-04"),
		"y1.pdf": with(birth, "Y-1", "2022-01-10"), "y2.pdf": with(copy, "Y-2", "2022-11-10"),
		"u1.pdf": with(birth, "U-1", ""),
	}
	var files []string
	for name := range meta {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("%PDF-1.7 "+name), 0o644)
		files = append(files, p)
	}
	if sum, err := c.Ingest(context.Background(), files, archive.IngestOptions{Meta: meta}, nil); err != nil || sum.Ingested != len(meta) {
		t.Fatalf("ingest: %+v %v", sum, err)
	}
	c.Close()
	totals := filepath.Join(dir, "totals.csv")
	os.WriteFile(totals, []byte(`unit_code,unit_name,level,year,period,procedure_code,procedure_name,sector,received,resolved,issued
000.00.01.H26,UBND xã Hòa Đông,commune,2025,,,,,25,22,20
000.00.01.H26,UBND xã Hòa Đông,commune,2025,Q1,,,,,,8
000.00.01.H26,UBND xã Hòa Đông,commune,2025,,1.001234,Đăng ký khai sinh,Hộ tịch,,,12
000.00.01.H26,UBND xã Hòa Đông,commune,2022,,,,,,,4
`), 0o644)
	if code, _, errOut := runKyso(t, "archive", "totals", "import", "--db", db, totals); code != 0 {
		t.Fatalf("totals import: %d %s", code, errOut)
	}
	return db
}

func TestArchiveReportXLSX(t *testing.T) {
	db := reportFixture(t)
	out := filepath.Join(t.TempDir(), "bao-cao.xlsx")
	if code, _, errOut := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--out", out, "--lang", "vi"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	x, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), "|"); got != "Theo đơn vị|Theo thủ tục|Theo lĩnh vực|Ghi chú" {
		t.Fatalf("sheets: %s", got)
	}
	cell := func(sheet, ref string) string {
		t.Helper()
		v, err := x.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Header row: Vietnamese, frozen.
	header, _ := x.GetRows("Theo đơn vị")
	wantHead := []string{"Mã đơn vị", "Tên đơn vị", "Cấp", "Năm", "Kết quả đã ban hành", "Đã số hóa", "Tỷ lệ", "Chỉ tiêu", "Còn thiếu", "Hồ sơ tiếp nhận", "Hồ sơ đã giải quyết", "Nguồn mẫu số"}
	if got := strings.Join(header[0], "|"); got != strings.Join(wantHead, "|") {
		t.Errorf("header: %s", got)
	}
	panes, err := x.GetPanes("Theo đơn vị")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes: %+v %v", panes, err)
	}
	// The unit: 4 of 20 digitized = 20%, target 100%, short 16; received 25, resolved 22.
	for ref, want := range map[string]string{"A2": "000.00.01.H26", "B2": "UBND xã Hòa Đông", "C2": "xã", "E2": "20", "F2": "4",
		"G2": "0.2", "H2": "1", "I2": "16", "J2": "25", "K2": "22", "B3": "Tổng cộng", "E3": "20", "F3": "4"} {
		if got := cell("Theo đơn vị", ref); got != want {
			t.Errorf("Theo đơn vị!%s = %q, want %q", ref, got, want)
		}
	}
	if typ, _ := x.GetCellType("Theo đơn vị", "E2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("issued is not a number: %v", typ)
	}
	if v, _ := x.GetCellValue("Theo đơn vị", "G2"); v != "20.00%" {
		t.Errorf("percent shown as %q, want 20.00%%", v)
	}
	// By procedure: 1.001234 3 of 12 = 25%; 2.000001 has no total.
	rows, _ := x.GetRows("Theo thủ tục", excelize.Options{RawCellValue: true})
	if len(rows) != 4 {
		t.Fatalf("procedure rows: %q", rows)
	}
	if got := strings.Join(rows[1][:8], "|"); got != "1.001234|Đăng ký khai sinh|Hộ tịch|12|3|0.25|1|9" {
		t.Errorf("procedure 1.001234: %s", got)
	}
	if got := rows[2]; got[0] != "2.000001" || got[3] != "" || got[4] != "1" || got[len(got)-1] != "chưa có" {
		t.Errorf("procedure 2.000001: %q", got)
	}
	// By sector: Hộ tịch from the procedure's total.
	rows, _ = x.GetRows("Theo lĩnh vực", excelize.Options{RawCellValue: true})
	if len(rows) != 4 || rows[2][0] != "Hộ tịch" || rows[2][1] != "12" || rows[2][2] != "3" || rows[1][0] != "Chứng thực" || rows[1][2] != "1" {
		t.Errorf("sectors: %q", rows)
	}
	notes, _ := x.GetRows("Ghi chú")
	var all []string
	for _, r := range notes {
		all = append(all, r...)
	}
	if s := strings.Join(all, "\n"); !strings.Contains(s, "chưa có ngày ban hành (không được tính vào kỳ nào): 1.") {
		t.Errorf("notes do not count the undated record:\n%s", s)
	}

	// A quarter: Q1 has its own total (8) and two results.
	out = filepath.Join(t.TempDir(), "q1.xlsx")
	if code, _, errOut := runKyso(t, "archive", "report", "--db", db, "--period", "2025-Q1", "--out", out, "--lang", "en"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	x2, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer x2.Close()
	rows, _ = x2.GetRows("By unit", excelize.Options{RawCellValue: true})
	if len(rows) < 2 || rows[0][0] != "Unit code" || rows[1][4] != "8" || rows[1][5] != "2" || rows[1][6] != "0.25" {
		t.Errorf("Q1: %q", rows)
	}
}

func TestArchiveReportDocument(t *testing.T) {
	db := reportFixture(t)
	out := filepath.Join(t.TempDir(), "bao-cao.html")
	code, _, errOut := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--out", out, "--lang", "vi",
		"--number", "15/BC-UBND", "--date", "2026-01-05", "--place", "Hòa Đông", "--parent", "UBND huyện Krông Pắc",
		"--signer-title", "Chủ tịch", "--signer-name", "Nguyễn Văn A", "--recipient", "UBND tỉnh Đắk Lắk")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	page, _ := os.ReadFile(out)
	for _, s := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND HUYỆN KRÔNG PẮC", "UBND XÃ HÒA ĐÔNG",
		"Số: 15/BC-UBND", "Hòa Đông, ngày 05 tháng 01 năm 2026", "BÁO CÁO", "kỳ 2025 (từ 01/01/2025 đến 31/12/2025)",
		"Nơi nhận:", "UBND tỉnh Đắk Lắk", "CHỦ TỊCH", "Nguyễn Văn A", "Theo thủ tục", "Theo lĩnh vực", "Đăng ký khai sinh"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("document lacks %q", s)
		}
	}
	trend := parseTrend(t, string(page))
	// Years with figures only: 2022 and 2025 (2023 has results but no total).
	if len(trend.Groups) != 2 || trend.Groups[0].Texts[1].Body != "2022" || trend.Groups[1].Texts[1].Body != "2025" {
		t.Fatalf("trend years: %+v", trend.Groups)
	}
	// 2022: 2 of 4 = 50%; 2025: 4 of 20 = 20%; labels say so.
	if trend.Groups[0].Texts[0].Body != "50,00%" || trend.Groups[1].Texts[0].Body != "20,00%" {
		t.Errorf("labels: %+v", trend.Groups)
	}
	// Bar heights follow the percent (160 px for 100%).
	if h := trend.Groups[0].Rect.Height; h != "80" {
		t.Errorf("2022 bar height %s, want 80", h)
	}
	// The target line goes through each year's target: 50% in 2022 (y = 24+160-80 = 104), 100% in 2025 (y = 24).
	pts := regexp.MustCompile(`[ML]([\d.]+) ([\d.]+)`).FindAllStringSubmatch(trend.Path.D, -1)
	if len(pts) != 2 || pts[0][2] != "104.0" || pts[1][2] != "24.0" {
		t.Errorf("target line %q", trend.Path.D)
	}
}

type svgTrend struct {
	Groups []struct {
		Rect struct {
			Height string `xml:"height,attr"`
		} `xml:"rect"`
		Texts []struct {
			Body string `xml:",chardata"`
		} `xml:"text"`
	} `xml:"g"`
	Path struct {
		D string `xml:"d,attr"`
	} `xml:"path"`
}

// parseTrend finds the trend chart in a page and parses it as XML.
func parseTrend(t *testing.T, page string) svgTrend {
	t.Helper()
	i := strings.Index(page, `<svg xmlns="http://www.w3.org/2000/svg" class="trend"`)
	if i < 0 {
		t.Fatal("no trend chart")
	}
	j := strings.Index(page[i:], "</svg>")
	var s svgTrend
	if err := xml.Unmarshal([]byte(page[i:i+j+len("</svg>")]), &s); err != nil {
		t.Fatalf("the trend chart is not well-formed SVG: %v", err)
	}
	return s
}

func TestArchiveSetMeta(t *testing.T) {
	db := reportFixture(t)
	code, out, _ := runKyso(t, "archive", "report", "--db", db, "--period", "2025-Q1")
	if code != 0 || !strings.Contains(out, "Records without an issue date (counted in no period): 1.") {
		t.Fatalf("report before: %d\n%s", code, out)
	}
	if code, _, errOut := runKyso(t, "archive", "set-meta", "--db", db, "U-1"); code != 2 || !strings.Contains(errOut, "at least one field") {
		t.Errorf("set-meta without a field: %d %s", code, errOut)
	}
	if code, _, errOut := runKyso(t, "archive", "set-meta", "--db", db, "NO-SUCH", "--issued-date", "2025-01-01"); code != 4 {
		t.Errorf("set-meta of an unknown record: %d %s", code, errOut)
	}
	code, out, errOut := runKyso(t, "archive", "set-meta", "--db", db, "U-1", "--issued-date", "15/03/2025", "--json")
	if code != 0 || !strings.Contains(out, `"status":"changed"`) || !strings.Contains(out, `issued_date: \"\" -> \"2025-03-15\"`) {
		t.Fatalf("set-meta: %d %s %s", code, out, errOut)
	}
	code, out, _ = runKyso(t, "archive", "show", "--db", db, "U-1")
	if code != 0 || !strings.Contains(out, "meta-changed") {
		t.Errorf("show after set-meta:\n%s", out)
	}
	code, out, _ = runKyso(t, "archive", "report", "--db", db, "--period", "2025-Q1", "--json")
	if code != 0 || !strings.Contains(out, `"unit_code":"000.00.01.H26","unit_name":"UBND xã Hòa Đông","level":"commune","year":2025,"issued":8,"digitized":3`) {
		t.Errorf("report after set-meta: %s", out)
	}
}

// TestArchiveReportPDF prints the document with headless Chromium, reads it
// back with pdftotext, then signs it in the same run and has kyso verify and
// poppler's pdfsig judge the signature.
func TestArchiveReportPDF(t *testing.T) {
	testtool.Need(t, "chromium")
	testtool.Need(t, "pdftotext")
	db := reportFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "bao-cao.pdf")
	doc := []string{"--number", "15/BC-UBND", "--date", "2026-01-05", "--place", "Hòa Đông", "--signer-name", "Nguyễn Văn A"}
	code, _, errOut := runKyso(t, append([]string{"archive", "report", "--db", db, "--year", "2025", "--out", out, "--lang", "vi"}, doc...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	text, err := testtool.Run(t, "pdftotext", "-layout", out, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v %s", err, text)
	}
	var lines []string // each line's words, one space apart
	for _, line := range strings.Split(text, "\n") {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	flat := strings.Join(lines, "\n")
	for _, s := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND XÃ HÒA ĐÔNG", "Số: 15/BC-UBND",
		"Hòa Đông, ngày 05 tháng 01 năm 2026", "BÁO CÁO", "000.00.01.H26 UBND xã Hòa Đông xã 20 4 20,00% 100,00% 16 25 22",
		"1.001234 Đăng ký khai sinh Hộ tịch 12 3 25,00%", "Nơi nhận:", "CHỦ TỊCH", "Nguyễn Văn A", "50,00%"} {
		if !strings.Contains(flat, s) {
			t.Errorf("the PDF lacks %q:\n%s", s, flat)
		}
	}

	// Signed in the same run, timestamped by a TSA on 127.0.0.1.
	pkiDir := filepath.Join(dir, "pki")
	_, base, stop, err := testpki.Start(testpki.Options{Dir: pkiDir, ReuseKeys: true}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	t.Setenv("KYSO_TEST_PASS", testpki.DefaultPassword)
	signed := filepath.Join(dir, "bao-cao-ky-so.pdf")
	if code, _, errOut := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--out", signed, "--sign",
		"--p12", filepath.Join(pkiDir, "signer.p12"), "--pass-env", "KYSO_TEST_PASS", "--tsa", base+"/tsa"); code != 0 {
		t.Fatalf("--sign: exit %d: %s", code, errOut)
	}
	code, vout, errOut := runKyso(t, "verify", "--trust", filepath.Join(pkiDir, "root.crt"), "--json", signed)
	if code != 0 || !strings.Contains(vout, `"status":"valid"`) || !strings.Contains(vout, `"level":"B-T"`) {
		t.Errorf("kyso verify of the signed report: exit %d %s %s", code, vout, errOut)
	}
	if out, err := testtool.Run(t, "pdfsig", signed); err != nil || !strings.Contains(out, "Signature is Valid") {
		t.Errorf("pdfsig: %v\n%s", err, out)
	}
	// --sign is for PDF only, and without a key it is a usage error before any work.
	if code, _, _ := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--sign", "--out", filepath.Join(dir, "x.html")); code != 2 {
		t.Errorf("--sign with html: exit %d, want 2", code)
	}
	if code, _, _ := runKyso(t, "archive", "report", "--db", db, "--year", "2025", "--sign", "--out", filepath.Join(dir, "y.pdf")); code != 2 {
		t.Errorf("--sign without a key: exit %d, want 2", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.pdf")); err == nil {
		t.Error("a failed run left its output")
	}
}
