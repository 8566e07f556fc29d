package main

import (
	"bytes"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"path/filepath"
	"strings"
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
	Period  string
	From    string
	To      string
	Format  string
	Out     string
	Targets string
	Merge   string
	By      string
	Split   string
	doc     reportDoc
	Sign    bool
	key     keyFlags
	TSA     []string
}

// reportDoc is what the HTML/PDF document says around the table.
type reportDoc struct {
	UnitName, Parent, Number, Date, Place, SignerTitle, SignerName string
	Recipients                                                     []string
}

func newArchiveReportCmd(g *globalOptions) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:   "report [--year YYYY | --period P | --from DATE --to DATE] [--format table|csv|json|xlsx|html|pdf] [--out FILE]",
		Short: "The digitization report: results issued, digitized, percent against the target, per period",
		Long: `The digitization report a unit sends to the province: for a period, how many
results were issued (from kyso archive totals import), how many are digitized
(distinct dossier codes archived with a valid or indeterminate signature and
issued in the period; a record without a dossier code counts once), the percent,
the target percent and the shortfall: how many more results must be digitized to
meet the target (ceil(target x issued / 100) - digitized, never negative).

Periods: --year 2026 (the default: this year), or --period 2026, 2026-Q3,
2026-H1, 2026-9M (January to September) or 2026-07, or --from DATE --to DATE.
Each figure counts exactly the results issued in the period, against the
period's own denominator: a total imported for that period, else totals of
shorter periods that cover it (Q1 + Q2 for H1, months for a quarter). When
there is none the row says the denominator is missing: nothing is guessed.
--split month|quarter (or --by month) gives one row per unit and month or
quarter.

Breakdowns (--by): unit (the default: units grouped by level, a total per
level and the total of every unit), procedure (code and name, against the
totals imported per procedure) and sector (lĩnh vực: from --meta or set-meta,
or from the totals' sector column). xlsx and html hold all three.

District-level units appear only for periods that start before 1 July 2025;
a later period that finds district data says so. --merge FILE.csv
(old_unit_code,new_unit_code[,new_unit_name,new_level]) counts the results and
totals of communes merged in 2025 as their new unit's, so earlier years roll up.
Several --db make a roll-up (a province office over its units' catalogues or
imported exports): a dossier is counted once, the first catalogue's totals win.

Targets follow the schedule in the project's domain notes (commune-level 15, 50,
70, 90% from 2021, then 100%; district-level 20, 20, 40, 60, 80% from 2021, then
+20 points a year up to 100%; other levels follow the district schedule) unless
--targets gives a CSV level,year,target_percent; a period takes the targets of
the year it ends in.

Formats: a table (default); csv (UTF-8 with a byte-order mark so that Excel
reads the Vietnamese, headers "Vietnamese (key)", or the keys alone with
--lang en); json (JSON Lines, one object per row, also with --json); xlsx (one
sheet per breakdown and one of notes, frozen header row, number formats); html,
a document to send: quốc hiệu and tiêu ngữ, the unit's name, the report's number
and date (--number, --date, --place), the tables, charts and a signature block
(--signer-title, --signer-name, --recipient); pdf, the same document printed by
headless Chromium (chromium, chrome or edge on PATH, or $KYSO_CHROMIUM); --sign
signs that PDF with the unit's key in the same run (the key flags of kyso sign;
with --tsa the signature is timestamped, B-T), ready for kyso verify. Records without an issue date are counted and listed,
never silently left out: give them one with kyso archive set-meta.`,
		Example: `  kyso archive report --db kyso.db --year 2025
  kyso archive report --period 2026-Q3 --format xlsx --out bao-cao-q3.xlsx
  kyso archive report --period 2026-9M --by procedure --format csv --out thu-tuc.csv
  kyso archive report --year 2025 --format html --number 15/BC-UBND --place "Hòa Đông" --out bao-cao.html
  kyso archive report --db xa-hoa-dong.db --db xa-ea-phe.db --merge sap-nhap.csv --year 2024 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveReport(cmd, g, f) },
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&f.DBs, "db", nil, "catalogue file (repeatable for a roll-up; default $KYSO_DB, else ./kyso.db)")
	f.addCommon(fs)
	fs.IntVar(&f.Year, "year", 0, "the year to report (default this year)")
	fs.StringVar(&f.Period, "period", "", "the period: YYYY, YYYY-Q1..Q4, YYYY-H1|H2, YYYY-9M or YYYY-MM")
	fs.StringVar(&f.From, "from", "", "first issue date of a free period (YYYY-MM-DD, with --to)")
	fs.StringVar(&f.To, "to", "", "last issue date of a free period (YYYY-MM-DD, with --from)")
	fs.StringVar(&f.Format, "format", "", "table, csv, json, xlsx, html or pdf (default table, or from --out's extension)")
	fs.StringVarP(&f.Out, "out", "o", "", "write the report to this file instead of stdout")
	fs.StringVar(&f.Targets, "targets", "", "CSV level,year,target_percent overriding the default schedule")
	fs.StringVar(&f.Merge, "merge", "", "CSV old_unit_code,new_unit_code[,new_unit_name,new_level]: merged units roll up into their new one")
	fs.StringVar(&f.By, "by", "unit", "breakdown: unit, procedure or sector (month and quarter mean --split)")
	fs.StringVar(&f.Split, "split", "", "month or quarter: one row per unit and month or quarter")
	fs.StringVar(&f.doc.UnitName, "unit-name", "", "the unit named in the document's heading (default: the catalogue's unit)")
	fs.StringVar(&f.doc.Parent, "parent", "", "the body above the unit, on the heading's first line (e.g. UBND TỈNH ĐẮK LẮK)")
	fs.StringVar(&f.doc.Number, "number", "", "the report's number and symbol, e.g. 15/BC-UBND")
	fs.StringVar(&f.doc.Date, "date", "", "the report's date, YYYY-MM-DD (default today)")
	fs.StringVar(&f.doc.Place, "place", "", "the place written before the date (e.g. Hòa Đông)")
	fs.StringVar(&f.doc.SignerTitle, "signer-title", "", "the signer's title over the signature (default CHỦ TỊCH)")
	fs.StringVar(&f.doc.SignerName, "signer-name", "", "the signer's name under the signature")
	fs.StringArrayVar(&f.doc.Recipients, "recipient", nil, "a line of \"Nơi nhận\" (repeatable; default \"Như trên\" and \"Lưu: VT\")")
	fs.BoolVar(&f.Sign, "sign", false, "sign the PDF report with the unit's key (--p12 or --pkcs11 and their secret flags, as kyso sign)")
	f.key.addFlags(fs)
	markKeyFlagGroups(cmd)
	fs.StringArrayVar(&f.TSA, "tsa", nil, "with --sign: RFC 3161 timestamp authority URL (repeatable), for a B-T signature")
	cmd.MarkFlagsMutuallyExclusive("year", "period", "from")
	cmd.MarkFlagsMutuallyExclusive("year", "period", "to")
	cmd.MarkFlagsRequiredTogether("from", "to")
	return cmd
}

// reportFormat picks the format from --format, --json and --out.
func (f *reportFlags) reportFormat(g *globalOptions) (string, error) {
	format := strings.ToLower(f.Format)
	if format == "" {
		switch strings.ToLower(filepath.Ext(f.Out)) {
		case ".html", ".htm":
			format = "html"
		case ".csv":
			format = "csv"
		case ".json", ".jsonl":
			format = "json"
		case ".xlsx":
			format = "xlsx"
		case ".pdf":
			format = "pdf"
		default:
			format = "table"
		}
	}
	if g.JSON {
		format = "json"
	}
	switch format {
	case "table", "csv", "json", "html":
	case "xlsx", "pdf":
		if f.Out == "" {
			return "", fail.Usage(i18n.Errorf("--format %s needs --out FILE", format), "")
		}
	default:
		return "", fail.Usage(i18n.Errorf("--format %q: want table, csv, json, xlsx, html or pdf", f.Format), "")
	}
	if f.Sign && format != "pdf" {
		return "", fail.Usage(i18n.Errorf("--sign signs the PDF report: give --format pdf or an --out ending in .pdf"), "")
	}
	return format, nil
}

// reportPeriod is the period the flags ask for.
func (f *reportFlags) reportPeriod() (archive.Period, error) {
	// --year, --period and --from/--to exclude each other (flag groups).
	switch {
	case f.Period != "":
		p, err := archive.ParsePeriod(f.Period)
		if err != nil {
			return p, fail.Usage(i18n.Errorf("--%v", err), "")
		}
		return p, nil
	case f.From != "" || f.To != "":
		p, err := archive.RangePeriod(f.From, f.To)
		if err != nil {
			return p, fail.Usage(err, "")
		}
		return p, nil
	}
	y := f.Year
	if y == 0 {
		y = time.Now().Year()
	}
	if y < 1900 || y > 9999 {
		return archive.Period{}, fail.Usage(i18n.Errorf("--year %d: want a year such as 2025", y), "")
	}
	return archive.YearPeriod(y), nil
}

func runArchiveReport(cmd *cobra.Command, g *globalOptions, f *reportFlags) error {
	format, err := f.reportFormat(g)
	if err != nil {
		return err
	}
	period, err := f.reportPeriod()
	if err != nil {
		return err
	}
	by := strings.ToLower(f.By)
	split := strings.ToLower(f.Split)
	switch by {
	case "unit", "year", "":
		by = "unit"
	case "month", "quarter":
		if split != "" && split != by {
			return fail.Usage(i18n.Errorf("--by %s and --split %s disagree", by, split), "")
		}
		by, split = "unit", by
	case "procedure", "sector":
	default:
		return fail.Usage(i18n.Errorf("--by %q: want unit, procedure or sector", f.By), "")
	}
	switch split {
	case "", "month", "quarter":
	default:
		return fail.Usage(i18n.Errorf("--split %q: want month or quarter", f.Split), "")
	}
	if f.doc.Date != "" {
		if _, err := time.Parse(time.DateOnly, f.doc.Date); err != nil {
			return fail.Usage(i18n.Errorf("--date %q: want YYYY-MM-DD", f.doc.Date), "")
		}
	}
	opts := archive.ReportOptions{Period: period, Split: split, Trend: format == "html" || format == "pdf",
		Details: by != "unit" || format == "xlsx" || format == "html" || format == "pdf"}
	if f.Targets != "" {
		if opts.Targets, err = readCSVFile(f.Targets, archive.ReadTargets); err != nil {
			return err
		}
	}
	if f.Merge != "" {
		if opts.Merges, err = readCSVFile(f.Merge, archive.ReadMerges); err != nil {
			return err
		}
	}
	var signer *reportSigner
	if f.Sign {
		if _, err := findChromium(); err != nil {
			return err
		}
		// The key is opened, and its secret read, before any work.
		if signer, err = openReportSigner(cmd.Context(), g, &f.key, f.TSA); err != nil {
			return err
		}
		defer signer.Close()
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
	for _, w := range districtNotes(rep, labelsFor("en")) {
		fmt.Fprint(g.io.err, g.t("kyso: warning: %s\n", w))
	}
	if rep.Undated > 0 {
		fmt.Fprint(g.io.err, g.t("kyso: warning: %d records have no issue date and are counted in no period; give them one with kyso archive set-meta\n", rep.Undated))
	}
	r := &reportRender{rep: rep, l: labelsFor(g.language()), by: by, doc: f.doc, now: time.Now()}
	if f.Out == "" {
		out := g.io.out
		if format != "table" {
			// A file format (JSON, CSV, HTML, XLSX) goes out byte for
			// byte; only the table is text for people.
			out = termsafe.RawWriter(out)
		}
		return r.render(out, format)
	}
	var buf bytes.Buffer
	if format == "pdf" {
		if err := r.render(&buf, "html"); err != nil {
			return err
		}
		pdf, err := printPDF(cmd.Context(), buf.Bytes(), f.key.PassEnv, f.key.PinEnv)
		if err != nil {
			return err
		}
		if signer != nil {
			if err := signer.signTo(cmd.Context(), pdf, f.Out); err != nil {
				return err
			}
			if !g.JSON {
				fmt.Fprint(g.io.err, g.t("signed report written to %s\n", f.Out))
			}
			return nil
		}
		buf.Reset()
		buf.Write(pdf)
	} else if err := r.render(&buf, format); err != nil {
		return err
	}
	if err := fileutil.WriteFile(f.Out, buf.Bytes()); err != nil {
		return fail.Run(i18n.Errorf("report %s: %v", f.Out, err), "")
	}
	if !g.JSON {
		fmt.Fprint(g.io.err, g.t("report written to %s\n", f.Out))
	}
	return nil
}
