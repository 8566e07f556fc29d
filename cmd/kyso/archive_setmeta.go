package main

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"strconv"
)

func newArchiveSetMetaCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var m archive.Meta
	var metaFile, issued string
	cmd := &cobra.Command{
		Use:   "set-meta (ID|SHA256|DOSSIER_CODE... [--issued-date DATE] [--procedure-code C] ... | --meta FILE.csv)",
		Short: "Correct the metadata of records already archived (issue date, procedure, sector...)",
		Long: `Correct the TTHC metadata of records already in the catalogue: most often the
issue date of a result ingested without one, which no report counts until it
has one (kyso archive report says how many there are). Each changed record gets
a "meta-changed" history event saying what changed from what; the signed file
is not touched.

Name the records by id, SHA-256 or dossier code (every version of it) and give
the fields to set as flags; or give --meta with a CSV in the form ingest reads
(file,dossier_code,procedure_code,procedure_name,sector,unit_code,unit_name,
level,issued_date,result_number,copy_form): each row sets its non-empty cells
on the records ingested from a file of that name. Empty values change nothing.`,
		Example: `  kyso archive set-meta --db kyso.db 42 --issued-date 2025-03-05
  kyso archive set-meta --db kyso.db H26.01-0007 --procedure-code 1.001234 --sector "Hộ tịch"
  kyso archive set-meta --db kyso.db --meta corrections.csv --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var changes []archive.MetaChange
			if issued != "" {
				d, err := normalizeFlagDate(issued)
				if err != nil {
					return err
				}
				m.Issued = d
			}
			m.Level = strings.ToLower(m.Level)
			switch {
			case metaFile != "" && len(args) > 0:
				return fail.Usage(i18n.Errorf("give records with their fields, or --meta, not both"), "see 'kyso archive set-meta --help'")
			case metaFile != "":
				rows, err := readCSVFile(metaFile, archive.ReadMeta)
				if err != nil {
					return err
				}
				names := make([]string, 0, len(rows))
				for name := range rows {
					names = append(names, name)
				}
				sort.Strings(names)
				for _, name := range names {
					changes = append(changes, archive.MetaChange{Ref: name, ByName: true, Meta: rows[name]})
				}
			case len(args) == 0:
				return fail.Usage(i18n.Errorf("set-meta needs records (id, SHA-256 or dossier code) or --meta FILE.csv"), "see 'kyso archive set-meta --help'")
			case m == (archive.Meta{}):
				return fail.Usage(i18n.Errorf("set-meta needs at least one field to set"), "for example --issued-date 2025-03-05")
			default:
				for _, ref := range args {
					changes = append(changes, archive.MetaChange{Ref: ref, Meta: m})
				}
			}
			c, err := a.open(cmd, false, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.SetMeta(cmd.Context(), changes)
			if err != nil {
				return err
			}
			jl := newJSONLines(g.io.out)
			n := 0
			for _, r := range res {
				if r.Status == archive.SetMetaChanged {
					n++
				}
				if g.JSON {
					if err := jl.write(r); err != nil {
						return err
					}
					continue
				}
				if r.Status == archive.SetMetaChanged {
					fmt.Fprint(g.io.out, g.t("changed    record %s (%s): %s\n", strconv.FormatUint(r.ID, 10), r.Ref, strings.Join(r.Changes, "; ")))
				} else {
					fmt.Fprint(g.io.out, g.t("unchanged  record %s (%s)\n", strconv.FormatUint(r.ID, 10), r.Ref))
				}
			}
			if !g.JSON {
				fmt.Fprint(g.io.out, g.t("%d changed, %d unchanged\n", n, len(res)-n))
			}
			return nil
		},
	}
	fs := cmd.Flags()
	a.addFlags(fs)
	fs.StringVar(&metaFile, "meta", "", "CSV of corrections keyed by file name (the columns of ingest --meta)")
	fs.StringVar(&issued, "issued-date", "", "the result's issue date, YYYY-MM-DD (or DD/MM/YYYY)")
	fs.StringVar(&m.Dossier, "dossier-code", "", "the dossier code (mã hồ sơ)")
	fs.StringVar(&m.Procedure, "procedure-code", "", "the procedure code (mã TTHC)")
	fs.StringVar(&m.ProcedureName, "procedure-name", "", "the procedure name")
	fs.StringVar(&m.Sector, "sector", "", "the procedure's sector (lĩnh vực)")
	fs.StringVar(&m.Unit, "unit-code", "", "the issuing unit's code")
	fs.StringVar(&m.UnitName, "unit-name", "", "the issuing unit's name")
	fs.StringVar(&m.Level, "level", "", "the issuing unit's level")
	fs.StringVar(&m.ResultNumber, "result-number", "", "the result's number and symbol")
	fs.StringVar(&m.CopyForm, "copy-form", "", "the copy form (SAO Y, SAO LỤC, TRÍCH SAO)")
	return cmd
}

// normalizeFlagDate accepts YYYY-MM-DD and DD/MM/YYYY.
func normalizeFlagDate(s string) (string, error) {
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", fail.Usage(i18n.Errorf("--issued-date %q: want YYYY-MM-DD", s), "")
}
