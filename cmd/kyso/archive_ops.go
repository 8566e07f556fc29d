package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/verify"
	"strconv"
)

type auditFlags struct {
	archiveFlags
	verifyFlags
	Reverify bool
	Jobs     int
	Report   string
	// Checkpoints are external checkpoint files.
	Checkpoints []string
}

func newArchiveAuditCmd(g *globalOptions) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit [--reverify]",
		Short: "Re-hash every stored file and check every history: fixity",
		Long: `Re-hash every stored file in parallel, check each record's history chain, and
recompute every record's hash and the catalogue's hash chain (docs/catalogue.md):
  ok       the file is there, unchanged, and the record and its history are intact
  missing  the stored file is gone
  corrupt  the stored file changed, or the record or its history was edited
           outside kyso (its hash or the chain no longer matches)
  invalid  with --reverify: the signature no longer verifies
Stored checkpoints (kyso archive checkpoint) are checked against the chain: each
proves the catalogue's state at its date; the TSA's chain is judged against
--trust. --checkpoint FILE (repeatable) checks a checkpoint kept off the machine
(kyso archive checkpoint --out) the same way: the catalogue must still hold that
chain position with that head, and still store that checkpoint.
--reverify runs verification again (same options as kyso verify) and records the
verdict. Outcomes that changed since the last audit are written to the history.
The audit reads while an ingest runs and takes the writer lock only for those
short commits. Human output lists the problems only; --json lists every record.
Exit 1 when any record is not ok, the chain is broken or a checkpoint fails.`,
		Example: `  kyso archive audit --db kyso.db
  kyso archive audit --db kyso.db --trust roots/ --checkpoint /mnt/safe/checkpoint-2026-01-31.json
  kyso archive audit --db kyso.db --reverify --trust roots/ --json > audit.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveAudit(cmd, g, f) },
	}
	fs := cmd.Flags()
	f.archiveFlags.addFlags(fs)
	f.verifyFlags.addFlags(fs)
	fs.BoolVar(&f.Reverify, "reverify", false, "verify every current file again")
	fs.StringArrayVar(&f.Checkpoints, "checkpoint", nil, "a checkpoint `FILE` kept off the machine (kyso archive checkpoint --out), checked against the chain (repeatable)")
	fs.IntVarP(&f.Jobs, "jobs", "j", 0, "files hashed in parallel (default: the number of CPUs; at least 8 on an object store)")
	fs.StringVar(&f.Report, "report", "", "also write the auditor's printable HTML report of every record to this file")
	return cmd
}

func runArchiveAudit(cmd *cobra.Command, g *globalOptions, f *auditFlags) error {
	if err := checkReportName(f.Report); err != nil {
		return err
	}
	var all []archive.AuditResult
	var verifier archive.VerifyFunc
	if f.Reverify {
		v, err := newVerifier(g, &f.verifyFlags)
		if err != nil {
			return err
		}
		verifier = v
	}
	ao := archive.AuditOptions{Reverify: f.Reverify, Jobs: f.Jobs}
	for _, name := range f.Checkpoints {
		e, err := archive.ReadExternalCheckpoint(name)
		if err != nil {
			return err
		}
		if ao.Checkpoints == nil {
			ao.Checkpoints = map[string]archive.ExternalCheckpoint{}
		}
		ao.Checkpoints[name] = e
	}
	c, err := f.open(cmd, true, verifier)
	if err != nil {
		return err
	}
	defer c.Close()
	jl := newJSONLines(g.io.out)
	if len(f.Trust) > 0 {
		vo, err := f.verifyFlags.options(g)
		if err != nil {
			return err
		}
		ao.Trust = vo.Trust
	}
	sum, err := c.Audit(cmd.Context(), ao, func(r archive.AuditResult) error {
		if f.Report != "" {
			all = append(all, r)
		}
		if g.JSON {
			return jl.write(r)
		}
		if r.Status != archive.FixityOK {
			fmt.Fprint(g.io.out, g.t("%s record %s %s: %s\n", padRunes(g.t(string(r.Status)), 8), strconv.FormatUint(r.ID, 10), orDash(oneLine(r.Dossier)), oneLine(g.pr().Translate(r.Reason))))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sum.Warning != "" {
		fmt.Fprint(g.io.err, g.t("kyso: warning: %s\n", sum.Warning))
	}
	if g.JSON {
		// stdout holds one object per record; the chain and its checkpoints
		// are told on stderr.
		printChain(g.io.err, sum.Chain, g.pr())
		printStore(g.io.err, sum.Store, c.StorePath(), g.pr())
	} else {
		printChain(g.io.out, sum.Chain, g.pr())
		printStore(g.io.out, sum.Store, c.StorePath(), g.pr())
		fmt.Fprint(g.io.out, g.t("audit: %d records: %d ok, %d missing, %d corrupt, %d invalid\n",
			sum.Checked, sum.OK, sum.Missing, sum.Corrupt, sum.Invalid))
	}
	if f.Report != "" {
		if err := writeAuditReport(cmd.Context(), g, c, f.Report, all, sum, &f.verifyFlags); err != nil {
			return err
		}
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
				return fail.Usage(i18n.Errorf("backup needs --out FILE"), "")
			}
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				n, err := c.Backup(ctx, out)
				if err != nil {
					return err
				}
				if g.JSON {
					return newJSONLines(g.io.out).write(map[string]any{"db": c.Path(), "out": out, "bytes": n})
				}
				fmt.Fprint(g.io.out, g.t("backup of %s written to %s (%d bytes)\n", c.Path(), out, n))
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
	var key keyFlags
	var out string
	var jobs int
	var signBag bool
	cmd := &cobra.Command{
		Use:   "export --out DIR [--sign KEY FLAGS]",
		Short: "Export every record, its history and its file as a BagIt package",
		Long: `Write the whole archive into DIR (new or empty) as a BagIt 1.0 package: the files
under data/files/, the records and their histories as JSON Lines in
data/records.jsonl, the totals in data/totals.jsonl, with manifest-sha256.txt,
bag-info.txt and tagmanifest-sha256.txt. Stored files are re-hashed on the way.
kyso archive import loads the package into another catalogue without loss: this
is how a commune's archive travels to the district or the province.

--sign signs the package with the unit's key, from the same sources as kyso sign
(--p12 with --pass-env/--pass-file or a prompt, or --pkcs11 --token with
--pin-env/--pin-file or a prompt): a detached CMS signature over
tagmanifest-sha256.txt, written to tagmanifest-sha256.txt.p7s. It covers the
manifests and through them every file, so the importer can tell who sent the
package and that nothing in it changed on the way.`,
		Example: `  kyso archive export --db kyso.db --out /media/usb/hoa-dong-2025
  KYSO_PASS=... kyso archive export --db kyso.db --out /media/usb/hoa-dong-2025 --sign --p12 unit.p12 --pass-env KYSO_PASS
  cd /media/usb/hoa-dong-2025 && sha256sum -c manifest-sha256.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fail.Usage(i18n.Errorf("export needs --out DIR"), "")
			}
			o := archive.ExportOptions{Jobs: jobs}
			if signBag {
				k, err := key.load(cmd.Context(), g)
				if err != nil {
					return err
				}
				if k.Close != nil {
					defer k.Close()
				}
				if err := checkKeyUsable(k, nil); err != nil {
					return err
				}
				o.Sign = k
			} else if key.P12 != "" || key.PKCS11 != "" {
				return fail.Usage(i18n.Errorf("a key was given without --sign"), "add --sign to sign the package")
			}
			return withCatalogue(cmd, &a, func(ctx context.Context, c *archive.Catalogue) error {
				sum, err := c.Export(ctx, out, o)
				if err != nil {
					return err
				}
				if sum.Warning != "" {
					fmt.Fprint(g.io.err, g.t("kyso: warning: %s\n", sum.Warning))
				}
				signer := ""
				if o.Sign != nil {
					signer = o.Sign.Cert.Subject.String()
				}
				if g.JSON {
					return newJSONLines(g.io.out).write(map[string]any{"out": out, "records": sum.Records, "files": sum.Files, "bytes": sum.Bytes, "signed_by": signer})
				}
				fmt.Fprint(g.io.out, g.t("exported %d records (%d files, %d bytes) to %s\n", sum.Records, sum.Files, sum.Bytes, out))
				if signer != "" {
					fmt.Fprint(g.io.out, g.t("signed by %s\n", signer))
				}
				return nil
			})
		},
	}
	fs := cmd.Flags()
	a.addFlags(fs)
	key.addFlags(fs)
	markKeyFlagGroups(cmd)
	fs.StringVarP(&out, "out", "o", "", "the package folder to write (new or empty)")
	fs.IntVarP(&jobs, "jobs", "j", 0, "files copied in parallel (default: the number of CPUs)")
	fs.BoolVar(&signBag, "sign", false, "sign the package (tagmanifest-sha256.txt.p7s) with the key given by --p12 or --pkcs11")
	return cmd
}

type importFlags struct {
	archiveFlags
	verifyFlags
	Strict        bool
	RequireSigned bool
}

func newArchiveImportCmd(g *globalOptions) *cobra.Command {
	f := &importFlags{}
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Load a package written by export into this catalogue, verifying every file again",
		Long: `Load a BagIt package written by kyso archive export. Nothing in the package is taken
on trust:

- the package must hold only regular files and folders (a symbolic link, FIFO or
  device refuses it), and tagmanifest-sha256.txt must match the files it lists;
- a signed package (tagmanifest-sha256.txt.p7s, see export --sign) must verify;
  the sender is named, with whether its certificate chains to --trust.
  --require-signed refuses a package without a valid signature from a trusted
  sender;
- every file is checked against the manifest while it is copied into the store,
  then verified again with this catalogue's trust anchors and options (the same
  as kyso verify and ingest: --trust, --offline, --revocation, --strict). The
  verdicts written in the package are claims: they are compared with the fresh
  verdicts, every difference is reported, and the fresh verdict is recorded. A
  record whose document is invalid here is rejected, as ingest rejects it.

Each record keeps its fields and history, gains an "imported" event and
remembers where it came from. Records already here (same content), or listed
twice in the package, are duplicates; totals are added where this catalogue has
none for that unit and year.

Exit 1 when the package itself is refused (bad signature, changed tag manifest,
special file), 4 when some records were rejected or the package is incomplete
(its manifest lists files it does not hold: they are counted and the first ten
named).`,
		Example: `  kyso archive import --db district.db --trust roots/ /media/usb/hoa-dong-2025
  kyso archive import --db district.db --trust roots/ --require-signed --json /media/usb/hoa-dong-2025
  kyso archive report --db district.db --year 2025`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveImport(cmd, g, f, args[0]) },
	}
	fs := cmd.Flags()
	f.archiveFlags.addFlags(fs)
	f.verifyFlags.addFlags(fs)
	fs.BoolVar(&f.Strict, "strict", false, "reject records whose fresh verdict is indeterminate")
	fs.BoolVar(&f.RequireSigned, "require-signed", false, "refuse a package not signed by a sender trusted by --trust")
	return cmd
}

func runArchiveImport(cmd *cobra.Command, g *globalOptions, f *importFlags, dir string) error {
	vo, err := f.verifyFlags.options(g)
	if err != nil {
		return err
	}
	verifier := func(ctx context.Context, path string) (*verify.Report, error) {
		oo := vo
		oo.FileName = path
		return verify.VerifyFile(ctx, path, oo)
	}
	c, err := f.open(cmd, false, verifier)
	if err != nil {
		return err
	}
	defer c.Close()
	jl := newJSONLines(g.io.out)
	o := archive.ImportOptions{Strict: f.Strict, Trust: vo.Trust, RequireSigned: f.RequireSigned}
	sum, err := c.Import(cmd.Context(), dir, o, func(r archive.ImportResult) error {
		if g.JSON {
			return jl.write(r)
		}
		switch {
		case r.Status == archive.ImportRejected:
			fmt.Fprint(g.io.out, g.t("rejected   record %s: %s\n", strconv.FormatUint(r.SourceID, 10), oneLine(g.pr().Translate(r.Reason))))
		case r.Status == archive.ImportDuplicate && r.Reason != "":
			fmt.Fprint(g.io.out, g.t("duplicate  record %s: %s\n", strconv.FormatUint(r.SourceID, 10), oneLine(g.pr().Translate(r.Reason))))
		}
		for _, m := range r.Mismatches {
			fmt.Fprint(g.io.out, g.t("mismatch   record %s: %s\n", strconv.FormatUint(r.SourceID, 10), oneLine(g.pr().Translate(m))))
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, archive.ErrBagRefused) {
			printError(g.io.err, err, g.pr())
			return exitStatus(exitInvalid)
		}
		return err
	}
	if s := sum.Sender; s != nil {
		line := g.t("signed by %s (issuer %s): chain %s", s.Subject, s.Issuer, g.t(s.Chain))
		for _, p := range s.Problems {
			line += "; " + oneLine(g.pr().Translate(p))
		}
		if g.JSON {
			fmt.Fprint(g.io.err, g.t("kyso: %s\n", line))
		} else {
			fmt.Fprintln(g.io.out, line)
		}
		if !s.Trusted() {
			fmt.Fprint(g.io.err, g.t("kyso: warning: the package's sender is not trusted (by --trust, or the system roots without it)\n"))
		}
	} else {
		fmt.Fprint(g.io.err, g.t("kyso: warning: the package is not signed: who sent it is not known\n"))
	}
	if !g.JSON {
		fmt.Fprintln(g.io.out, g.t("from %s %s: %d imported, %d duplicate, %d rejected, %d with claims that differ, %d totals added",
			sum.Source.Code, sum.Source.Name, sum.Imported, sum.Duplicate, sum.Rejected, sum.Mismatched, sum.Totals))
	}
	if sum.Missing > 0 {
		names := make([]string, len(sum.MissingFiles))
		for i, n := range sum.MissingFiles {
			names[i] = strconv.Quote(n)
		}
		more := ""
		if sum.Missing > len(names) {
			more = ", ..."
		}
		fmt.Fprint(g.io.err, g.t("kyso: warning: the package %s is incomplete: its manifest lists %d files it does not hold (%s)\n", dir, sum.Missing, strings.Join(names, ", ")+more))
	}
	if sum.Rejected > 0 || sum.Missing > 0 {
		return exitStatus(exitInput)
	}
	return nil
}

func newArchiveTotalsCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "totals SUBCOMMAND",
		Short: "The results issued per unit and year, which the report divides by",
		Example: `  kyso archive totals import --db kyso.db totals.csv
  kyso archive totals ls --db kyso.db`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fail.Usage(i18n.Errorf("kyso archive totals needs a command: import or ls"), "see 'kyso archive totals --help'")
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
			fmt.Fprint(g.io.out, g.t("%d totals stored from %s\n", n, args[0]))
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
						period = g.t("year")
					}
					fmt.Fprintln(g.io.out, g.t("%s %s %s %s %s %s %s", padRunes(t.Unit, 16), padRunes(t.UnitName, 30), padRunes(t.Level, 10),
						strconv.Itoa(t.Year), padRunes(period, 4), fmt.Sprintf("%8d", t.Issued), strings.TrimSpace(t.Procedure+" "+t.Sector)))
				}
				return nil
			})
		},
	}
	al.addFlags(ls.Flags())
	cmd.AddCommand(imp, ls)
	return cmd
}
