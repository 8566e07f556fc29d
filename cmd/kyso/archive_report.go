package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

type reportFlags struct {
	archiveFlags
	DBs     []string
	Year    int
	Format  string
	Out     string
	Targets string
	By      string
}

func newArchiveReportCmd(g *globalOptions) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report --year YYYY [--format table|csv|json|html] [--out FILE]",
		Short: "The digitization report: per unit, results issued, digitized, percent against the target",
		Long: `One row per unit: results issued that year (from kyso archive totals import),
digitized (distinct dossier codes archived with a valid or indeterminate signature
and issued that year; a record without a dossier code counts once), the percent,
the target percent and the shortfall: how many more results must be digitized to
meet the target (ceil(target x issued / 100) - digitized, never negative).

Targets follow the schedule in the project's domain notes (commune-level 15, 50, 70,
90% from 2021, then 100%; district-level 20, 20, 40, 60, 80% from 2021, then +20
points a year up to 100%; province and other levels follow the district schedule)
unless --targets gives a CSV level,year,target_percent.

--by month gives one row per unit and month, counting what was issued from
January to the end of that month against the year's figures. Several --db make
a roll-up (a district or province office over its units' catalogues or imported
exports): a dossier is counted once, and the first catalogue's totals win.

Formats: a table (default), csv, json (JSON Lines, also with --json) and html: a
printable page with SVG charts of percent against target per unit and the trend
over the years the catalogues hold. Labels are Vietnamese, or English with
--lang en. --out writes to a file; its extension picks the format if --format
is not given.`,
		Example: `  kyso archive report --db kyso.db --year 2025
  kyso archive report --year 2025 --format html --out bao-cao-2025.html
  kyso archive report --db xa-hoa-dong.db --db xa-ea-phe.db --year 2025 --format csv --lang en
  kyso archive report --year 2025 --by month --targets targets.csv --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveReport(cmd, g, f) },
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&f.DBs, "db", nil, "catalogue file (repeatable for a roll-up; default $KYSO_DB, else ./kyso.db)")
	f.addCommon(fs)
	fs.IntVar(&f.Year, "year", 0, "the year to report (default this year)")
	fs.StringVar(&f.Format, "format", "", "table, csv, json or html (default table, or from --out's extension)")
	fs.StringVarP(&f.Out, "out", "o", "", "write the report to this file instead of stdout")
	fs.StringVar(&f.Targets, "targets", "", "CSV level,year,target_percent overriding the default schedule")
	fs.StringVar(&f.By, "by", "year", "year, or month for one row per unit and month")
	return cmd
}

func runArchiveReport(cmd *cobra.Command, g *globalOptions, f *reportFlags) error {
	if f.Year == 0 {
		f.Year = time.Now().Year()
	}
	if f.Year < 1900 || f.Year > 9999 {
		return fail.Usagef("--year %d: want a year such as 2025", f.Year)
	}
	format := strings.ToLower(f.Format)
	if format == "" {
		switch strings.ToLower(filepath.Ext(f.Out)) {
		case ".html", ".htm":
			format = "html"
		case ".csv":
			format = "csv"
		case ".json", ".jsonl":
			format = "json"
		default:
			format = "table"
		}
	}
	if g.JSON {
		format = "json"
	}
	switch format {
	case "table", "csv", "json", "html":
	default:
		return fail.Usagef("--format %q: want table, csv, json or html", f.Format)
	}
	opts := archive.ReportOptions{Year: f.Year, Trend: format == "html"}
	switch f.By {
	case "year", "":
	case "month":
		opts.ByMonth = true
	default:
		return fail.Usagef("--by %q: want year or month", f.By)
	}
	if f.Targets != "" {
		t, err := readCSVFile(f.Targets, archive.ReadTargets)
		if err != nil {
			return err
		}
		opts.Targets = t
	}
	dbs := f.DBs
	if len(dbs) == 0 {
		dbs = []string{f.dbPath()}
	}
	var cats []*archive.Catalogue
	defer func() {
		for _, c := range cats {
			c.Close()
		}
	}()
	for _, db := range dbs {
		a := f.archiveFlags
		a.DB = db
		if len(dbs) > 1 {
			a.Store = "" // each catalogue's own store
		}
		c, err := a.open(cmd, true, nil)
		if err != nil {
			return err
		}
		cats = append(cats, c)
	}
	rep, err := archive.BuildReport(cmd.Context(), cats, opts)
	if err != nil {
		return err
	}
	if f.Out == "" {
		return renderReport(g.io.out, rep, format, g.language())
	}
	var buf bytes.Buffer
	if err := renderReport(&buf, rep, format, g.language()); err != nil {
		return err
	}
	if err := writeFileAtomic(f.Out, buf.Bytes()); err != nil {
		return fail.Run(fmt.Errorf("report %s: %w", f.Out, err), "")
	}
	if !g.JSON {
		fmt.Fprintf(g.io.err, "report written to %s\n", f.Out)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, fsyncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), fileutil.Perm(0o666))
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// reportLabels are the words of the report in one language.
type reportLabels struct {
	Title, UnitCode, UnitName, Level, Month, Issued, Digitized, Percent, Target, Shortfall string
	ByUnit, Trend, Legend, LegendTarget, Sources, Made, Year, NoRows                       string
	decimalComma                                                                           bool
	levels                                                                                 map[string]string
}

var reportText = map[string]reportLabels{
	"vi": {
		Title: "Báo cáo số hóa kết quả giải quyết thủ tục hành chính năm %d", UnitCode: "Mã đơn vị", UnitName: "Tên đơn vị",
		Level: "Cấp", Month: "Tháng", Issued: "Kết quả đã ban hành", Digitized: "Đã số hóa", Percent: "Tỷ lệ",
		Target: "Chỉ tiêu", Shortfall: "Còn thiếu", ByUnit: "Tỷ lệ số hóa so với chỉ tiêu theo đơn vị",
		Trend: "Diễn biến qua các năm (tất cả đơn vị)", Legend: "Tỷ lệ đã số hóa", LegendTarget: "Chỉ tiêu",
		Sources: "Nguồn dữ liệu", Made: "Lập lúc", Year: "Năm", NoRows: "Không có số liệu cho năm này.",
		decimalComma: true, levels: map[string]string{"province": "tỉnh", "district": "huyện", "commune": "xã"},
	},
	"en": {
		Title: "Digitization of administrative-procedure results, %d", UnitCode: "Unit code", UnitName: "Unit name",
		Level: "Level", Month: "Month", Issued: "Results issued", Digitized: "Digitized", Percent: "Percent",
		Target: "Target", Shortfall: "Shortfall", ByUnit: "Percent digitized against the target, per unit",
		Trend: "Trend over the years (all units)", Legend: "Digitized", LegendTarget: "Target",
		Sources: "Catalogues", Made: "Made", Year: "Year", NoRows: "No figures for this year.",
	},
}

func labelsFor(lang string) reportLabels {
	if l, ok := reportText[lang]; ok {
		return l
	}
	return reportText["en"]
}

func (l reportLabels) pct(p float64) string {
	s := strconv.FormatFloat(p, 'f', 2, 64)
	if l.decimalComma {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + "%"
}

func (l reportLabels) level(level string) string {
	if v, ok := l.levels[level]; ok {
		return v
	}
	return level
}

// renderReport writes rep as a table, CSV, JSON Lines or an HTML page.
func renderReport(w io.Writer, rep *archive.Report, format, lang string) error {
	l := labelsFor(lang)
	byMonth := len(rep.Rows) > 0 && rep.Rows[0].Month != 0
	switch format {
	case "json":
		jl := newJSONLines(w)
		for _, r := range rep.Rows {
			if err := jl.write(r); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		head := []string{"unit_code", "unit_name", "level", "year"}
		if byMonth {
			head = append(head, "month")
		}
		cw.Write(append(head, "issued", "digitized", "percent", "target_percent", "shortfall"))
		for _, r := range rep.Rows {
			row := []string{r.UnitCode, r.UnitName, r.Level, strconv.Itoa(r.Year)}
			if byMonth {
				row = append(row, strconv.Itoa(r.Month))
			}
			cw.Write(append(row, strconv.Itoa(r.Issued), strconv.Itoa(r.Digitized),
				strconv.FormatFloat(r.Percent, 'f', 2, 64), strconv.FormatFloat(r.TargetPercent, 'f', -1, 64), strconv.Itoa(r.Shortfall)))
		}
		cw.Flush()
		return cw.Error()
	case "html":
		return renderReportHTML(w, rep, l)
	}
	fmt.Fprintf(w, l.Title+"\n\n", rep.Year)
	if len(rep.Rows) == 0 {
		fmt.Fprintln(w, l.NoRows)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := []string{l.UnitCode, l.UnitName, l.Level}
	if byMonth {
		head = append(head, l.Month)
	}
	fmt.Fprintln(tw, strings.Join(append(head, l.Issued, l.Digitized, l.Percent, l.Target, l.Shortfall), "\t")+"\t")
	for _, r := range rep.Rows {
		row := []string{r.UnitCode, r.UnitName, l.level(r.Level)}
		if byMonth {
			row = append(row, strconv.Itoa(r.Month))
		}
		fmt.Fprintln(tw, strings.Join(append(row, strconv.Itoa(r.Issued), strconv.Itoa(r.Digitized), l.pct(r.Percent),
			l.pct(r.TargetPercent), strconv.Itoa(r.Shortfall)), "\t")+"\t")
	}
	return tw.Flush()
}

// htmlRow is a report row as the page shows it, with its bar's geometry.
type htmlRow struct {
	archive.ReportRow
	LevelText, PercentText, TargetText string
	Y, BarW, TargetX                   float64
}

type htmlTrend struct {
	archive.TrendPoint
	X, BarH, BarY, TargetY float64
	PercentText            string
}

const (
	chartLabelW = 250.0
	chartBarW   = 400.0
	chartRowH   = 26.0
	trendH      = 160.0
	trendTop    = 24.0 // room for the label over a full bar
	trendStep   = 56.0
)

// r1 rounds a coordinate to a tenth of a pixel.
func r1(v float64) float64 { return math.Round(v*10) / 10 }

func renderReportHTML(w io.Writer, rep *archive.Report, l reportLabels) error {
	var rows []htmlRow
	for _, r := range rep.Rows {
		if r.Month != 0 && r.Month != lastMonth(rep, r.UnitCode) {
			continue // the chart shows each unit once, at its latest month
		}
		i := float64(len(rows))
		rows = append(rows, htmlRow{ReportRow: r, LevelText: l.level(r.Level), PercentText: l.pct(r.Percent), TargetText: l.pct(r.TargetPercent),
			Y: 10 + i*chartRowH, BarW: r1(chartBarW * min(r.Percent, 100) / 100), TargetX: r1(chartLabelW + chartBarW*min(r.TargetPercent, 100)/100)})
	}
	var table []htmlRow
	for _, r := range rep.Rows {
		table = append(table, htmlRow{ReportRow: r, LevelText: l.level(r.Level), PercentText: l.pct(r.Percent), TargetText: l.pct(r.TargetPercent)})
	}
	var trend []htmlTrend
	var targetPath strings.Builder
	for i, p := range rep.Trend {
		x := 40 + float64(i)*trendStep
		h := r1(trendH * min(p.Percent, 100) / 100)
		ty := r1(trendTop + trendH - trendH*min(p.TargetPercent, 100)/100)
		trend = append(trend, htmlTrend{TrendPoint: p, X: x, BarH: h, BarY: trendTop + trendH - h, TargetY: ty, PercentText: l.pct(p.Percent)})
		if i == 0 {
			fmt.Fprintf(&targetPath, "M%.1f %.1f", x+16, ty)
		} else {
			fmt.Fprintf(&targetPath, " L%.1f %.1f", x+16, ty)
		}
	}
	data := map[string]any{
		"L": l, "Title": fmt.Sprintf(l.Title, rep.Year), "Rows": rows, "Table": table, "Trend": trend,
		"ByMonth": len(rep.Rows) > 0 && rep.Rows[0].Month != 0, "Sources": rep.Sources,
		"ChartH": 20 + float64(len(rows))*chartRowH, "LabelW": chartLabelW, "BarW": chartBarW, "FullW": chartLabelW + chartBarW + 70,
		"TrendW": 60 + float64(len(trend))*trendStep, "TrendH": trendH, "TrendBase": trendTop + trendH, "TargetPath": targetPath.String(),
		"Made": time.Now().Format(time.RFC3339), "Lang": map[bool]string{true: "vi", false: "en"}[l.decimalComma],
	}
	return reportPage.Execute(w, data)
}

func lastMonth(rep *archive.Report, unit string) int {
	m := 0
	for _, r := range rep.Rows {
		if r.UnitCode == unit && r.Month > m {
			m = r.Month
		}
	}
	return m
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"half": func(v float64) float64 { return v / 2 },
	"add":  func(a, b float64) float64 { return a + b },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: "Times New Roman", "Liberation Serif", serif; margin: 2em; color: #000; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; font-size: 0.95em; }
th, td { border: 1px solid #888; padding: 4px 6px; }
th { background: #eee; } td.n { text-align: right; }
tr.short td.s { font-weight: bold; }
svg text { font-family: "Liberation Serif", "Times New Roman", serif; font-size: 12px; }
.legend span { display: inline-block; margin-right: 1.5em; }
.sw { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
footer { margin-top: 2em; font-size: 0.85em; color: #444; }
@media print { body { margin: 1cm; } h2 { page-break-after: avoid; } svg, table { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if not .Table}}<p>{{.L.NoRows}}</p>{{else}}
<table>
<tr><th>{{.L.UnitCode}}</th><th>{{.L.UnitName}}</th><th>{{.L.Level}}</th>{{if .ByMonth}}<th>{{.L.Month}}</th>{{end}}<th>{{.L.Issued}}</th><th>{{.L.Digitized}}</th><th>{{.L.Percent}}</th><th>{{.L.Target}}</th><th>{{.L.Shortfall}}</th></tr>
{{range .Table}}<tr{{if .Shortfall}} class="short"{{end}}><td>{{.UnitCode}}</td><td>{{.UnitName}}</td><td>{{.LevelText}}</td>{{if $.ByMonth}}<td class="n">{{.Month}}</td>{{end}}<td class="n">{{.Issued}}</td><td class="n">{{.Digitized}}</td><td class="n">{{.PercentText}}</td><td class="n">{{.TargetText}}</td><td class="n s">{{.Shortfall}}</td></tr>
{{end}}</table>
<h2>{{.L.ByUnit}}</h2>
<p class="legend"><span><i class="sw" style="background:#2b6cb0"></i>{{.L.Legend}}</span><span><i class="sw" style="background:#c53030"></i>{{.L.LegendTarget}}</span></p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.FullW}}" height="{{.ChartH}}" viewBox="0 0 {{.FullW}} {{.ChartH}}" role="img" aria-label="{{.L.ByUnit}}">
<line x1="{{.LabelW}}" y1="4" x2="{{.LabelW}}" y2="{{.ChartH}}" stroke="#000"/>
<line x1="{{add .LabelW (half .BarW)}}" y1="4" x2="{{add .LabelW (half .BarW)}}" y2="{{.ChartH}}" stroke="#ccc" stroke-dasharray="3,3"/>
<line x1="{{add .LabelW .BarW}}" y1="4" x2="{{add .LabelW .BarW}}" y2="{{.ChartH}}" stroke="#ccc" stroke-dasharray="3,3"/>
{{range .Rows}}<g>
<text x="{{add $.LabelW -6}}" y="{{add .Y 15}}" text-anchor="end">{{.UnitName}}</text>
<rect x="{{$.LabelW}}" y="{{add .Y 3}}" width="{{.BarW}}" height="16" fill="#2b6cb0"><title>{{.UnitName}}: {{.PercentText}}</title></rect>
<line x1="{{.TargetX}}" y1="{{.Y}}" x2="{{.TargetX}}" y2="{{add .Y 22}}" stroke="#c53030" stroke-width="3"><title>{{$.L.Target}} {{.TargetText}}</title></line>
<text x="{{add (add $.LabelW .BarW) 6}}" y="{{add .Y 15}}">{{.PercentText}}</text>
</g>
{{end}}</svg>
{{end}}
{{if .Trend}}<h2>{{.L.Trend}}</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.TrendW}}" height="{{add .TrendBase 40}}" viewBox="0 0 {{.TrendW}} {{add .TrendBase 40}}" role="img" aria-label="{{.L.Trend}}">
<line x1="30" y1="{{.TrendBase}}" x2="{{.TrendW}}" y2="{{.TrendBase}}" stroke="#000"/>
{{range .Trend}}<rect x="{{.X}}" y="{{.BarY}}" width="32" height="{{.BarH}}" fill="#2b6cb0"><title>{{.Year}}: {{.Digitized}}/{{.Issued}}</title></rect>
<text x="{{add .X 16}}" y="{{add .BarY -4}}" text-anchor="middle">{{.PercentText}}</text>
<text x="{{add .X 16}}" y="{{add $.TrendBase 16}}" text-anchor="middle">{{.Year}}</text>
<circle cx="{{add .X 16}}" cy="{{.TargetY}}" r="4" fill="#c53030"/>
{{end}}<path d="{{.TargetPath}}" fill="none" stroke="#c53030" stroke-width="2"/>
</svg>{{end}}
<footer>{{.L.Sources}}: {{range $i, $s := .Sources}}{{if $i}}; {{end}}{{$s.Code}} {{$s.Name}}{{end}}. {{.L.Made}}: {{.Made}}. kyso</footer>
</body>
</html>
`))
