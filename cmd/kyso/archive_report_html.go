package main

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"

	"github.com/kyso-project/kyso/archive"
)

// The HTML report is a document a unit can send (the layout of an
// administrative document, Decree 30/2020): the issuing body and the
// report's number on the left, quốc hiệu and tiêu ngữ on the right with the
// place and date, the title, the tables, the charts, the notes, and the
// recipients and signature block.

type htmlSheet struct {
	Name string
	Cols []string
	Rows []htmlSheetRow
}

type htmlSheetRow struct {
	Total bool
	Cells []htmlCell
}

type htmlCell struct {
	Text string
	Num  bool
}

// htmlBar is one unit of the chart of percent against target.
type htmlBar struct {
	Name, PercentText, TargetText string
	Y, BarW, TargetX              float64
}

// htmlTrend is one year of the trend chart.
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
	trendStep   = 64.0
)

// r1 rounds a coordinate to a tenth of a pixel.
func r1(v float64) float64 { return math.Round(v*10) / 10 }

func toHTMLSheet(s reportSheet) htmlSheet {
	h := htmlSheet{Name: s.name}
	for _, c := range s.cols {
		h.Cols = append(h.Cols, c.label)
	}
	for i, row := range s.rows {
		hr := htmlSheetRow{Total: s.total[i]}
		for j, c := range row {
			t := c.text
			if c.empty {
				t = "-"
			}
			hr.Cells = append(hr.Cells, htmlCell{Text: t, Num: s.cols[j].kind != kindText})
		}
		h.Rows = append(h.Rows, hr)
	}
	return h
}

func (r *reportRender) renderHTML(w io.Writer) error {
	l := r.l
	var sheets []htmlSheet
	for _, s := range []reportSheet{r.unitSheet(), r.procedureSheet(), r.sectorSheet()} {
		if len(s.rows) > 0 {
			sheets = append(sheets, toHTMLSheet(s.compact()))
		}
	}
	// The chart: each unit of a single period against its target.
	var bars []htmlBar
	if !r.multiPeriod() {
		for _, row := range r.rep.Rows {
			if row.Total != "" || row.Percent == nil {
				continue
			}
			i := float64(len(bars))
			bars = append(bars, htmlBar{Name: row.UnitName, PercentText: l.pct(*row.Percent), TargetText: l.pct(row.TargetPercent),
				Y: 10 + i*chartRowH, BarW: r1(chartBarW * min(*row.Percent, 100) / 100), TargetX: r1(chartLabelW + chartBarW*min(row.TargetPercent, 100)/100)})
		}
	}
	trend, targetPath := trendGeometry(r.rep.Trend, l)
	doc := r.doc
	unitName := doc.UnitName
	if unitName == "" && len(r.rep.Sources) > 0 {
		unitName = r.rep.Sources[0].Name
	}
	date := r.now
	if doc.Date != "" {
		date, _ = time.Parse(time.DateOnly, doc.Date)
	}
	dateLine := fmt.Sprintf(l.DateLine, date.Day(), int(date.Month()), date.Year())
	if doc.Place != "" {
		dateLine = doc.Place + ", " + dateLine
	}
	number := doc.Number
	if number == "" {
		number = "……/BC-……"
	}
	recipients := doc.Recipients
	if len(recipients) == 0 {
		recipients = strings.Split(l.DefaultRecipients, ";")
	}
	signer := doc.SignerTitle
	if signer == "" {
		signer = l.DefaultSigner
	}
	var notes []string
	notes = append(notes, r.notes()...)
	data := map[string]any{
		"L": l, "Lang": l.lang, "Title": r.title(), "Subject": fmt.Sprintf(l.Subject, l.periodText(r.rep.Period)), "Period": l.periodText(r.rep.Period), "Sheets": sheets,
		"Bars": bars, "ChartH": 20 + float64(len(bars))*chartRowH, "LabelW": chartLabelW, "BarW": chartBarW,
		"FullW": chartLabelW + chartBarW + 70, "Trend": trend, "TrendW": 60 + float64(len(trend))*trendStep,
		"TrendBase": trendTop + trendH, "TargetPath": targetPath, "Notes": notes, "Sources": r.rep.Sources,
		"Made": r.now.Format(time.RFC3339), "Parent": strings.ToUpper(doc.Parent), "Unit": strings.ToUpper(unitName),
		"Number": number, "DateLine": dateLine, "Recipients": recipients, "Signer": strings.ToUpper(signer),
		"SignerName": doc.SignerName,
	}
	return reportPage.Execute(w, data)
}

// trendGeometry places one bar per year that has figures (no gaps drawn as
// 0%), a label with each year's percent, and the target line through the
// schedule's target of each year.
func trendGeometry(points []archive.TrendPoint, l reportLabels) ([]htmlTrend, string) {
	var trend []htmlTrend
	var path strings.Builder
	for i, p := range points {
		x := 40 + float64(i)*trendStep
		h := r1(trendH * min(p.Percent, 100) / 100)
		ty := r1(trendTop + trendH - trendH*min(p.TargetPercent, 100)/100)
		trend = append(trend, htmlTrend{TrendPoint: p, X: x, BarH: h, BarY: trendTop + trendH - h, TargetY: ty, PercentText: l.pct(p.Percent)})
		if i == 0 {
			fmt.Fprintf(&path, "M%.1f %.1f", x+16, ty)
		} else {
			fmt.Fprintf(&path, " L%.1f %.1f", x+16, ty)
		}
	}
	return trend, path.String()
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
@page { size: A4 landscape; margin: 1.5cm 1.5cm 1.5cm 2cm; }
body { font-family: "Times New Roman", "Liberation Serif", serif; font-size: 13pt; margin: 2em; color: #000; }
table.head { width: 100%; border: none; margin-bottom: 1em; }
table.head td { border: none; text-align: center; vertical-align: top; padding: 0; }
.country, .unit { font-weight: bold; }
.motto { font-weight: bold; text-decoration: underline; }
.date { font-style: italic; margin-top: 0.6em; }
h1 { font-size: 14pt; text-align: center; margin: 0.8em 0 0; }
p.sub { text-align: center; font-weight: bold; margin: 0.2em 0 1em; }
h2 { font-size: 13pt; margin-top: 1.2em; }
table.data { border-collapse: collapse; width: 100%; font-size: 11pt; }
table.data th, table.data td { border: 1px solid #000; padding: 3px 5px; }
table.data th { font-weight: bold; }
td.n { text-align: right; }
tr.total td { font-weight: bold; }
svg text { font-family: "Liberation Serif", "Times New Roman", serif; font-size: 12px; }
.legend span { display: inline-block; margin-right: 1.5em; }
.sw { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin-right: 4px; }
table.sign { width: 100%; margin-top: 2em; border: none; page-break-inside: avoid; }
table.sign td { border: none; vertical-align: top; width: 50%; }
td.to { font-size: 11pt; } td.to b { font-style: italic; }
td.signer { text-align: center; }
.space { height: 5em; }
footer { margin-top: 2em; font-size: 9pt; color: #444; }
@media print { body { margin: 0; font-size: 12pt; } table.data { font-size: 9.5pt; } h2 { page-break-after: avoid; } svg, tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<table class="head"><tr>
<td>{{if .Parent}}{{.Parent}}<br>{{end}}<span class="unit">{{.Unit}}</span><br>———<br>{{.L.Number}}: {{.Number}}</td>
<td><span class="country">{{.L.Country}}</span><br><span class="motto">{{.L.Motto}}</span><div class="date">{{.DateLine}}</div></td>
</tr></table>
<h1>{{.L.Report}}</h1>
<p class="sub">{{.Subject}}</p>
{{if not .Sheets}}<p>{{.L.NoRows}}</p>{{end}}
{{range .Sheets}}<h2>{{.Name}}</h2>
<table class="data">
<tr>{{range .Cols}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr{{if .Total}} class="total"{{end}}>{{range .Cells}}<td{{if .Num}} class="n"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</table>
{{end}}
{{if .Bars}}<h2>{{.L.Chart}}</h2>
<p class="legend"><span><i class="sw" style="background:#2b6cb0"></i>{{.L.Legend}}</span><span><i class="sw" style="background:#c53030"></i>{{.L.LegendTarget}}</span></p>
<svg xmlns="http://www.w3.org/2000/svg" class="units" width="{{.FullW}}" height="{{.ChartH}}" viewBox="0 0 {{.FullW}} {{.ChartH}}" role="img" aria-label="{{.L.Chart}}">
<line x1="{{.LabelW}}" y1="4" x2="{{.LabelW}}" y2="{{.ChartH}}" stroke="#000"/>
<line x1="{{add .LabelW (half .BarW)}}" y1="4" x2="{{add .LabelW (half .BarW)}}" y2="{{.ChartH}}" stroke="#ccc" stroke-dasharray="3,3"/>
<line x1="{{add .LabelW .BarW}}" y1="4" x2="{{add .LabelW .BarW}}" y2="{{.ChartH}}" stroke="#ccc" stroke-dasharray="3,3"/>
{{range .Bars}}<g>
<text x="{{add $.LabelW -6}}" y="{{add .Y 15}}" text-anchor="end">{{.Name}}</text>
<rect x="{{$.LabelW}}" y="{{add .Y 3}}" width="{{.BarW}}" height="16" fill="#2b6cb0"><title>{{.Name}}: {{.PercentText}}</title></rect>
<line x1="{{.TargetX}}" y1="{{.Y}}" x2="{{.TargetX}}" y2="{{add .Y 22}}" stroke="#c53030" stroke-width="3"><title>{{$.L.Target}} {{.TargetText}}</title></line>
<text x="{{add (add $.LabelW .BarW) 6}}" y="{{add .Y 15}}">{{.PercentText}}</text>
</g>
{{end}}</svg>
{{end}}
{{if .Trend}}<h2>{{.L.Trend}}</h2>
<p class="legend"><span><i class="sw" style="background:#2b6cb0"></i>{{.L.Legend}}</span><span><i class="sw" style="background:#c53030"></i>{{.L.LegendTarget}}</span></p>
<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{{.TrendW}}" height="{{add .TrendBase 40}}" viewBox="0 0 {{.TrendW}} {{add .TrendBase 40}}" role="img" aria-label="{{.L.Trend}}">
<line x1="30" y1="{{.TrendBase}}" x2="{{.TrendW}}" y2="{{.TrendBase}}" stroke="#000"/>
{{range .Trend}}<g class="year">
<rect class="bar" x="{{.X}}" y="{{.BarY}}" width="32" height="{{.BarH}}" fill="#2b6cb0"><title>{{.Year}}: {{.Digitized}}/{{.Issued}}</title></rect>
<text class="value" x="{{add .X 16}}" y="{{add .BarY -4}}" text-anchor="middle">{{.PercentText}}</text>
<text class="year" x="{{add .X 16}}" y="{{add $.TrendBase 16}}" text-anchor="middle">{{.Year}}</text>
<circle class="target" cx="{{add .X 16}}" cy="{{.TargetY}}" r="4" fill="#c53030"/>
</g>
{{end}}<path class="target" d="{{.TargetPath}}" fill="none" stroke="#c53030" stroke-width="2"/>
</svg>{{end}}
{{if .Notes}}<h2>{{.L.Notes}}</h2>
<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<table class="sign"><tr>
<td class="to"><b>{{.L.Recipients}}:</b><br>{{range .Recipients}}- {{.}};<br>{{end}}</td>
<td class="signer"><b>{{.Signer}}</b><br><i>{{.L.Signed}}</i><div class="space"></div><b>{{.SignerName}}</b></td>
</tr></table>
<footer>{{.L.Sources}}: {{range $i, $s := .Sources}}{{if $i}}; {{end}}{{$s.Code}} {{$s.Name}}{{end}}. {{.L.Made}}: {{.Made}}. kyso</footer>
</body>
</html>
`))
