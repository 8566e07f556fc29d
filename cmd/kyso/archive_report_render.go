package main

import (
	"encoding/csv"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kyso-project/kyso/archive"
)

// reportLabels are the words of the report in one language.
type reportLabels struct {
	lang                                                                                 string
	Title, Period, UnitCode, UnitName, Level, Year, Received, Resolved, Issued           string
	Digitized, Percent, Target, Shortfall, Denominator, Procedure, ProcedureName, Sector string
	ByUnit, ByProcedure, BySector, Notes, Trend, Legend, LegendTarget, Sources, Made     string
	NoRows, Total, LevelTotal, Missing, MissingList, Undated, Warnings, Chart, Range     string
	Subject, Districts                                                                   string
	Country, Motto, Report, Number, Recipients, DefaultRecipients, DefaultSigner, Signed string
	DateLine                                                                             string
	levels, dens                                                                         map[string]string
	decimalComma                                                                         bool
}

// reportEnglish is the report's words in English: the catalogue's keys
// (internal/i18n), which labelsFor renders in the run's language.
var reportEnglish = reportLabels{

	Title: "Digitization of administrative-procedure results, period %s", Period: "Period",
	Subject:  "On the digitization of administrative-procedure results, period %s",
	UnitCode: "Unit code", UnitName: "Unit name", Level: "Level", Year: "Year", Received: "Dossiers received",
	Resolved: "Dossiers resolved", Issued: "Results issued", Digitized: "Digitized", Percent: "Percent",
	Target: "Target", Shortfall: "Shortfall", Denominator: "Denominator", Procedure: "Procedure code",
	ProcedureName: "Procedure name", Sector: "Sector",
	ByUnit: "By unit", ByProcedure: "By procedure", BySector: "By sector", Notes: "Notes",
	Trend: "Percent digitized over the years (all units)", Legend: "Percent digitized", LegendTarget: "Target",
	Sources: "Catalogues", Made: "Made", NoRows: "No figures for this period.", Total: "Total",
	LevelTotal: "All %s units", Missing: "den:missing", MissingList: "No results-issued figure (denominator) for",
	Undated: "Records without an issue date (counted in no period)", Warnings: "Warnings",
	Chart: "Percent digitized against the target, per unit", Range: "from %s to %s",
	Country: "SOCIALIST REPUBLIC OF VIET NAM", Motto: "Independence - Freedom - Happiness", Report: "REPORT",
	Number: "No.", Recipients: "To", DefaultRecipients: "As above;Archived: records office", DefaultSigner: "CHAIRPERSON",
	Signed: "(Signature, full name)", DateLine: "%[3]d-%02[2]d-%02[1]d",
	dens:   map[string]string{"imported": "den:imported", "summed": "den:summed", "partial": "den:partial", "missing": "den:missing"},
	levels: map[string]string{"province": "province", "district": "district", "commune": "commune"},
}

// labelsFor is the report's words in lang, from the catalogue.
func labelsFor(lang string) reportLabels {
	p := i18n.New(lang)
	l := reportEnglish
	l.lang = p.Lang()
	l.decimalComma = l.lang == i18n.VI
	v := reflect.ValueOf(&l).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String && f.CanSet() && v.Type().Field(i).Name != "lang" {
			f.SetString(p.Text(f.String()))
		}
	}
	tr := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, w := range m {
			out[k] = p.Text(w)
		}
		return out
	}
	l.levels, l.dens = tr(reportEnglish.levels), tr(reportEnglish.dens)
	return l
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

func (l reportLabels) den(d string) string {
	if v, ok := l.dens[d]; ok {
		return v
	}
	return d
}

// periodText is "2025-Q3 (01/07/2025 - 30/09/2025)".
func (l reportLabels) periodText(p archive.Period) string {
	d := func(s string) string {
		if l.lang == "vi" && len(s) == 10 {
			return s[8:10] + "/" + s[5:7] + "/" + s[0:4]
		}
		return s
	}
	return p.Label + " (" + fmt.Sprintf(l.Range, d(p.From), d(p.To)) + ")"
}

// cellKind says how a column's values are written.
type cellKind int

const (
	kindText cellKind = iota
	kindCount
	kindPercent
)

type reportCell struct {
	text  string
	raw   string // the machine value of a translated text (level, denominator)
	n     float64
	empty bool // a count or percent that is not known
}

type reportColumn struct {
	key, label string
	kind       cellKind
	width      float64
}

// reportSheet is one breakdown as a grid: every format renders from it.
type reportSheet struct {
	name  string
	cols  []reportColumn
	rows  [][]reportCell
	total []bool
}

type reportRender struct {
	rep *archive.Report
	l   reportLabels
	by  string
	doc reportDoc
	now time.Time
}

func txt(s string) reportCell { return reportCell{text: s} }
func num(n int) reportCell    { return reportCell{n: float64(n), text: strconv.Itoa(n)} }
func optNum(p *int) reportCell {
	if p == nil {
		return reportCell{empty: true}
	}
	return num(*p)
}

// figureCells are the columns every breakdown shares.
func (r *reportRender) figureCols() []reportColumn {
	l := r.l
	// The first CSV's columns first, so scripts written for it still work.
	return []reportColumn{
		{"issued", l.Issued, kindCount, 12}, {"digitized", l.Digitized, kindCount, 11},
		{"percent", l.Percent, kindPercent, 9}, {"target_percent", l.Target, kindPercent, 9},
		{"shortfall", l.Shortfall, kindCount, 10}, {"received", l.Received, kindCount, 12},
		{"resolved", l.Resolved, kindCount, 12}, {"denominator", l.Denominator, kindText, 16},
	}
}

func (r *reportRender) figureCells(f archive.Figures) []reportCell {
	missing := f.Denominator == archive.DenMissing
	pct := reportCell{empty: true}
	if f.Percent != nil {
		pct = reportCell{n: *f.Percent, text: r.l.pct(*f.Percent)}
	}
	issued, short := optNum(f.Issued), optNum(f.Shortfall)
	target := reportCell{n: f.TargetPercent, text: r.l.pct(f.TargetPercent)}
	if missing && f.TargetPercent == 0 {
		target = reportCell{empty: true} // a sum row with nothing to weigh
	}
	return []reportCell{issued, num(f.Digitized), pct, target, short, optNum(f.Received), optNum(f.Resolved),
		{text: r.l.den(f.Denominator), raw: f.Denominator}}
}

func (r *reportRender) multiPeriod() bool { return len(r.rep.Periods) > 1 }

// breakdown starts a sheet whose rows are keyed by the columns key: a
// period column first when the report spans several periods, the figures
// last.
func (r *reportRender) breakdown(name string, key ...reportColumn) reportSheet {
	s := reportSheet{name: name}
	if r.multiPeriod() {
		s.cols = append(s.cols, reportColumn{"period", r.l.Period, kindText, 12})
	}
	s.cols = append(append(s.cols, key...), r.figureCols()...)
	return s
}

// addRow appends a row of a breakdown: its period (when the sheet has that
// column), its key cells, then its figures.
func (r *reportRender) addRow(s *reportSheet, period, total string, f archive.Figures, key ...reportCell) {
	var cells []reportCell
	if r.multiPeriod() {
		cells = append(cells, txt(period))
	}
	cells = append(cells, key...)
	s.rows = append(s.rows, append(cells, r.figureCells(f)...))
	s.total = append(s.total, total != "")
}

// totalName is name, or the word for a total on a total row.
func (r *reportRender) totalName(name, total string) string {
	if total != "" {
		return r.l.Total
	}
	return name
}

func (r *reportRender) unitSheet() reportSheet {
	l := r.l
	s := r.breakdown(l.ByUnit, reportColumn{"unit_code", l.UnitCode, kindText, 16}, reportColumn{"unit_name", l.UnitName, kindText, 30},
		reportColumn{"level", l.Level, kindText, 8}, reportColumn{"year", l.Year, kindText, 6})
	for _, row := range r.rep.Rows {
		name := row.UnitName
		switch row.Total {
		case archive.TotalLevel:
			name = fmt.Sprintf(l.LevelTotal, l.level(row.Level))
		case archive.TotalAll:
			name = l.Total
		}
		r.addRow(&s, row.Period, row.Total, row.Figures,
			txt(row.UnitCode), txt(name), reportCell{text: l.level(row.Level), raw: row.Level}, txt(strconv.Itoa(row.Year)))
	}
	return s
}

func (r *reportRender) procedureSheet() reportSheet {
	l := r.l
	s := r.breakdown(l.ByProcedure, reportColumn{"procedure_code", l.Procedure, kindText, 14}, reportColumn{"procedure_name", l.ProcedureName, kindText, 36},
		reportColumn{"sector", l.Sector, kindText, 18})
	for _, row := range r.rep.Procedures {
		r.addRow(&s, row.Period, row.Total, row.Figures, txt(row.ProcedureCode), txt(r.totalName(row.ProcedureName, row.Total)), txt(row.Sector))
	}
	return s
}

func (r *reportRender) sectorSheet() reportSheet {
	s := r.breakdown(r.l.BySector, reportColumn{"sector", r.l.Sector, kindText, 24})
	for _, row := range r.rep.Sectors {
		r.addRow(&s, row.Period, row.Total, row.Figures, txt(r.totalName(row.Sector, row.Total)))
	}
	return s
}

// sheet is the breakdown --by asks for.
func (r *reportRender) sheet() reportSheet {
	switch r.by {
	case "procedure":
		return r.procedureSheet()
	case "sector":
		return r.sectorSheet()
	}
	return r.unitSheet()
}

// notes are the lines under every report: what is missing and why.
func (r *reportRender) notes() []string {
	var out []string
	if len(r.rep.Missing) > 0 {
		out = append(out, r.l.MissingList+": "+strings.Join(r.rep.Missing, "; ")+".")
	}
	out = append(out, fmt.Sprintf("%s: %d.", r.l.Undated, r.rep.Undated))
	return append(out, districtNotes(r.rep, r.l)...)
}

// districtNotes say what district-level data periods after 1 July 2025 left out.
func districtNotes(rep *archive.Report, l reportLabels) []string {
	var out []string
	for _, n := range rep.DistrictsLeftOut {
		out = append(out, fmt.Sprintf(l.Districts, n.Period, n.Results, n.Totals, strings.Join(n.Units, ", ")))
	}
	return out
}

func (r *reportRender) title() string { return fmt.Sprintf(r.l.Title, r.l.periodText(r.rep.Period)) }

func (r *reportRender) render(w io.Writer, format string) error {
	switch format {
	case "json":
		return r.renderJSON(w)
	case "csv":
		return r.renderCSV(w)
	case "xlsx":
		return r.renderXLSX(w)
	case "html":
		return r.renderHTML(w)
	}
	return r.renderTable(w)
}

func (r *reportRender) renderJSON(w io.Writer) error {
	jl := newJSONLines(w)
	var err error
	switch r.by {
	case "procedure":
		for _, row := range r.rep.Procedures {
			if err = jl.write(row); err != nil {
				return err
			}
		}
	case "sector":
		for _, row := range r.rep.Sectors {
			if err = jl.write(row); err != nil {
				return err
			}
		}
	default:
		for _, row := range r.rep.Rows {
			if err = jl.write(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// renderCSV writes UTF-8 with a byte-order mark, so that Excel on a
// Vietnamese Windows reads the diacritics. Vietnamese headers carry the
// column's key in brackets, so a script finds its column in either language;
// with --lang en the header is the keys alone.
func (r *reportRender) renderCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	s := r.sheet()
	cw := csv.NewWriter(w)
	head := make([]string, len(s.cols))
	for i, c := range s.cols {
		head[i] = c.key
		if r.l.lang == "vi" {
			head[i] = c.label + " (" + c.key + ")"
		}
	}
	cw.Write(head)
	for _, row := range s.rows {
		out := make([]string, len(row))
		for j, c := range row {
			switch {
			case c.empty:
			case s.cols[j].kind == kindPercent:
				out[j] = strconv.FormatFloat(c.n, 'f', 2, 64)
			case c.raw != "":
				out[j] = c.raw
			default:
				out[j] = csvText(c.text)
			}
		}
		cw.Write(out)
	}
	cw.Flush()
	return cw.Error()
}

// csvText keeps a text cell from being read as a formula by a spreadsheet
// (CSV injection): names and codes come from documents and their metadata,
// and a procedure name "=HYPERLINK(...)" would otherwise run when an officer
// opens the report in Excel. A text that starts with =, +, -, @, a tab or a
// carriage return gets a leading apostrophe, which spreadsheets read as
// "this is text". Numbers are written by the other branches, never here.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// compact drops the year (the title says the period) and the received and
// resolved columns when no row has them (people's views; CSV and xlsx keep
// every column).
func (s reportSheet) compact() reportSheet {
	keep := make([]bool, len(s.cols))
	for j, c := range s.cols {
		if c.key == "year" {
			continue
		}
		keep[j] = c.key != "received" && c.key != "resolved"
		for _, row := range s.rows {
			if !row[j].empty {
				keep[j] = true
			}
		}
	}
	out := reportSheet{name: s.name, total: s.total}
	for j, c := range s.cols {
		if keep[j] {
			out.cols = append(out.cols, c)
		}
	}
	for _, row := range s.rows {
		var r []reportCell
		for j, c := range row {
			if keep[j] {
				r = append(r, c)
			}
		}
		out.rows = append(out.rows, r)
	}
	return out
}

func (r *reportRender) renderTable(w io.Writer) error {
	fmt.Fprintf(w, "%s\n\n", r.title())
	s := r.sheet().compact()
	if len(s.rows) == 0 {
		fmt.Fprintln(w, r.l.NoRows)
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		head := make([]string, len(s.cols))
		for i, c := range s.cols {
			head[i] = c.label
		}
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for _, row := range s.rows {
			cells := make([]string, len(row))
			for j, c := range row {
				cells[j] = c.text
				if c.empty {
					cells[j] = "-"
				}
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, n := range r.notes() {
		fmt.Fprintln(w, n)
	}
	return nil
}

// renderXLSX writes one sheet per breakdown and a sheet of notes: header
// row bold and frozen, counts as numbers, percents as percent-formatted
// fractions, total rows bold.
func (r *reportRender) renderXLSX(w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDDDDD"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}})
	if err != nil {
		return err
	}
	count, _ := x.NewStyle(&excelize.Style{NumFmt: 3})                                                   // #,##0
	pct, _ := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00%")})                                    //
	countB, _ := x.NewStyle(&excelize.Style{NumFmt: 3, Font: &excelize.Font{Bold: true}})                //
	pctB, _ := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.00%"), Font: &excelize.Font{Bold: true}}) //
	textB, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	sheets := []reportSheet{r.unitSheet(), r.procedureSheet(), r.sectorSheet()}
	for i, s := range sheets {
		name := s.name
		if i == 0 {
			if err := x.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(name); err != nil {
			return err
		}
		for j, c := range s.cols {
			col, _ := excelize.ColumnNumberToName(j + 1)
			x.SetCellStr(name, col+"1", c.label)
			x.SetColWidth(name, col, col, c.width)
		}
		last, _ := excelize.ColumnNumberToName(len(s.cols))
		x.SetCellStyle(name, "A1", last+"1", head)
		x.SetRowHeight(name, 1, 32)
		for ri, row := range s.rows {
			bold := s.total[ri]
			for j, c := range row {
				ref, _ := excelize.CoordinatesToCellName(j+1, ri+2)
				if c.empty {
					continue
				}
				switch s.cols[j].kind {
				case kindCount:
					x.SetCellInt(name, ref, int64(c.n))
					x.SetCellStyle(name, ref, ref, pick(bold, countB, count))
				case kindPercent:
					x.SetCellFloat(name, ref, math.Round(c.n*100)/10000, -1, 64)
					x.SetCellStyle(name, ref, ref, pick(bold, pctB, pct))
				default:
					x.SetCellStr(name, ref, c.text)
					if bold {
						x.SetCellStyle(name, ref, ref, textB)
					}
				}
			}
		}
		if err := x.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	notes := r.l.Notes
	if _, err := x.NewSheet(notes); err != nil {
		return err
	}
	x.SetColWidth(notes, "A", "A", 120)
	lines := []string{r.title()}
	for _, src := range r.rep.Sources {
		lines = append(lines, r.l.Sources+": "+src.Code+" "+src.Name)
	}
	lines = append(lines, r.notes()...)
	lines = append(lines, r.l.Made+": "+r.now.Format(time.RFC3339))
	for i, line := range lines {
		x.SetCellStr(notes, "A"+strconv.Itoa(i+1), line)
	}
	_, err = x.WriteTo(w)
	return err
}

func ptr[T any](v T) *T { return &v }

func pick(b bool, yes, no int) int {
	if b {
		return yes
	}
	return no
}
