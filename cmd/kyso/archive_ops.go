package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
)

type auditFlags struct {
	archiveFlags
	verifyFlags
	Reverify bool
	Jobs     int
}

func newArchiveAuditCmd(g *globalOptions) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit [--reverify]",
		Short: "Re-hash every stored file and check every history: fixity",
		Long: `Re-hash every stored file in parallel and check each record's history chain:
  ok       the file is there, unchanged, and the history is intact
  missing  the stored file is gone
  corrupt  the stored file changed, or the history was edited
  invalid  with --reverify: the signature no longer verifies
--reverify runs verification again (same options as kyso verify) and records the
verdict. Outcomes that changed since the last audit are written to the history.
The audit reads while an ingest runs and takes the writer lock only for those
short commits. Human output lists the problems only; --json lists every record.
Exit 1 when any record is not ok.`,
		Example: `  kyso archive audit --db kyso.db
  kyso archive audit --db kyso.db --reverify --trust roots/ --json > audit.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveAudit(cmd, g, f) },
	}
	fs := cmd.Flags()
	f.archiveFlags.addFlags(fs)
	f.verifyFlags.addFlags(fs)
	fs.BoolVar(&f.Reverify, "reverify", false, "verify every current file again")
	fs.IntVarP(&f.Jobs, "jobs", "j", 0, "files hashed in parallel (default: the number of CPUs)")
	return cmd
}

func runArchiveAudit(cmd *cobra.Command, g *globalOptions, f *auditFlags) error {
	var verifier archive.VerifyFunc
	if f.Reverify {
		v, err := newVerifier(g, &f.verifyFlags)
		if err != nil {
			return err
		}
		verifier = v
	}
	c, err := f.open(cmd, true, verifier)
	if err != nil {
		return err
	}
	defer c.Close()
	jl := newJSONLines(g.io.out)
	sum, err := c.Audit(cmd.Context(), archive.AuditOptions{Reverify: f.Reverify, Jobs: f.Jobs}, func(r archive.AuditResult) error {
		if g.JSON {
			return jl.write(r)
		}
		if r.Status != archive.FixityOK {
			fmt.Fprintf(g.io.out, "%-8s record %d %s: %s\n", r.Status, r.ID, orDash(r.Dossier), r.Reason)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sum.Warning != "" {
		fmt.Fprintf(g.io.err, "kyso: warning: %s\n", sum.Warning)
	}
	if !g.JSON {
		fmt.Fprintf(g.io.out, "audit: %d records: %d ok, %d missing, %d corrupt, %d invalid\n",
			sum.Checked, sum.OK, sum.Missing, sum.Corrupt, sum.Invalid)
	}
	if sum.Problems() > 0 {
		return exitStatus(exitInvalid)
	}
	return nil
}

func newArchiveBackupCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the catalogue while others keep reading it",
		Long: `Write a consistent copy of the catalogue file, taken in one read transaction, to
FILE (fsynced under a temporary name, then renamed). Readers go on meanwhile; an
ingest's next commit waits for the copy. The content store is not copied: its
files never change once written, so copy the folder incrementally (rsync,
robocopy) after the backup. See docs/operations.md for restoring.`,
		Example: `  kyso archive backup --db kyso.db --out /backup/kyso-$(date +%F).db
  rsync -a kyso.db.store/ /backup/kyso.db.store/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fail.Usage(errors.New("backup needs --out FILE"), "")
			}
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				n, err := c.Backup(ctx, out)
				if err != nil {
					return err
				}
				if g.JSON {
					return newJSONLines(g.io.out).write(map[string]any{"db": c.Path(), "out": out, "bytes": n})
				}
				fmt.Fprintf(g.io.out, "backup of %s written to %s (%d bytes)\n", c.Path(), out, n)
				return nil
			})
		},
	}
	a.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&out, "out", "o", "", "the copy to write")
	return cmd
}

func newArchiveExportCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var out string
	var jobs int
	cmd := &cobra.Command{
		Use:   "export --out DIR",
		Short: "Export every record, its history and its file as a BagIt package",
		Long: `Write the whole archive into DIR (new or empty) as a BagIt 1.0 package: the files
under data/files/, the records and their histories as JSON Lines in
data/records.jsonl, the totals in data/totals.jsonl, with manifest-sha256.txt,
bag-info.txt and tagmanifest-sha256.txt. Stored files are re-hashed on the way.
kyso archive import loads the package into another catalogue without loss: this
is how a commune's archive travels to the district or the province.`,
		Example: `  kyso archive export --db kyso.db --out /media/usb/hoa-dong-2025
  cd /media/usb/hoa-dong-2025 && sha256sum -c manifest-sha256.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fail.Usage(errors.New("export needs --out DIR"), "")
			}
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				sum, err := c.Export(ctx, out, jobs)
				if err != nil {
					return err
				}
				if sum.Warning != "" {
					fmt.Fprintf(g.io.err, "kyso: warning: %s\n", sum.Warning)
				}
				if g.JSON {
					return newJSONLines(g.io.out).write(map[string]any{"out": out, "records": sum.Records, "files": sum.Files, "bytes": sum.Bytes})
				}
				fmt.Fprintf(g.io.out, "exported %d records (%d files, %d bytes) to %s\n", sum.Records, sum.Files, sum.Bytes, out)
				return nil
			})
		},
	}
	a.addFlags(cmd.Flags())
	cmd.Flags().StringVarP(&out, "out", "o", "", "the package folder to write (new or empty)")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "files copied in parallel (default: the number of CPUs)")
	return cmd
}

func newArchiveImportCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Load a package written by export into this catalogue",
		Long: `Load a BagIt package written by kyso archive export. Every file is checked against
the manifest while it is copied into the store, and every history chain is
checked; each record keeps its fields and history, gains an "imported" event and
remembers where it came from. Records already here (same content) are duplicates;
totals are added where this catalogue has none for that unit and year. A record
whose file does not match the manifest is rejected (exit 4).`,
		Example: `  kyso archive import --db district.db /media/usb/hoa-dong-2025
  kyso archive report --db district.db --year 2025`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.open(cmd, false, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			jl := newJSONLines(g.io.out)
			sum, err := c.Import(cmd.Context(), args[0], func(r archive.ImportResult) error {
				if g.JSON {
					return jl.write(r)
				}
				if r.Status == archive.StatusRejected {
					fmt.Fprintf(g.io.out, "rejected   record %d: %s\n", r.SourceID, r.Reason)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if !g.JSON {
				fmt.Fprintf(g.io.out, "from %s %s: %d imported, %d duplicate, %d rejected, %d totals added\n",
					sum.Source.Code, sum.Source.Name, sum.Imported, sum.Duplicate, sum.Rejected, sum.Totals)
			}
			if sum.Rejected > 0 {
				return exitStatus(exitInput)
			}
			return nil
		},
	}
	a.addFlags(cmd.Flags())
	return cmd
}

func newArchiveTotalsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "totals SUBCOMMAND",
		Short: "The results issued per unit and year, which the report divides by",
		Example: `  kyso archive totals import --db kyso.db totals.csv
  kyso archive totals ls --db kyso.db`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fail.Usage(errors.New("kyso archive totals needs a command: import or ls"), "see 'kyso archive totals --help'")
		},
	}
	var ai, al archiveFlags
	imp := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Store the results issued per unit and period: the report's denominators",
		Long: `Store how many TTHC results each unit issued, from a UTF-8 CSV with a header
row: unit_code,unit_name,level,year,issued, and optionally period (empty or year,
Q1-Q4, H1, H2, 9M, a month 01-12), procedure_code, procedure_name, sector (a row
for one procedure or sector), received and resolved (dossiers received and
resolved, as the provincial portals publish them). A row replaces the stored one
of the same unit, year, period, procedure and sector. See docs/report.md.`,
		Example: `  kyso archive totals import --db kyso.db totals.csv`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rows, err := readCSVFile(args[0], archive.ReadTotals)
			if err != nil {
				return err
			}
			c, err := ai.open(cmd, false, nil)
			if err != nil {
				return err
			}
			defer c.Close()
			n, err := c.ImportTotals(cmd.Context(), rows)
			if err != nil {
				return err
			}
			if g.JSON {
				return newJSONLines(g.io.out).write(map[string]any{"file": args[0], "rows": n})
			}
			fmt.Fprintf(g.io.out, "%d totals stored from %s\n", n, args[0])
			return nil
		},
	}
	ai.addFlags(imp.Flags())
	ls := &cobra.Command{
		Use:     "ls",
		Short:   "List the stored totals",
		Example: `  kyso archive totals ls --db kyso.db --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCatalogue(cmd, &al, func(ctx context.Context, c *archive.Catalogue) error {
				rows, err := c.Totals(ctx)
				if err != nil {
					return err
				}
				jl := newJSONLines(g.io.out)
				for _, t := range rows {
					if g.JSON {
						if err := jl.write(t); err != nil {
							return err
						}
						continue
					}
					period := t.Period
					if period == "" {
						period = "year"
					}
					fmt.Fprintf(g.io.out, "%-16s %-30s %-10s %d %-4s %8d %s\n", t.Unit, t.UnitName, t.Level, t.Year, period, t.Issued,
						strings.TrimSpace(t.Procedure+" "+t.Sector))
				}
				return nil
			})
		},
	}
	al.addFlags(ls.Flags())
	cmd.AddCommand(imp, ls)
	return cmd
}
