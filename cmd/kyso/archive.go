package main

import (
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/archive"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

func init() { commands = append(commands, newArchiveCmd) }

// archiveFlags locate the catalogue; every archive subcommand has them.
type archiveFlags struct {
	DB          string
	Store       string
	LockTimeout time.Duration
	s3          s3Flags
}

func (a *archiveFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&a.DB, "db", "", "catalogue file (default $KYSO_DB, else ./kyso.db)")
	a.addCommon(fs)
}

// addCommon adds the flags other than --db (report takes several --db).
func (a *archiveFlags) addCommon(fs *pflag.FlagSet) {
	fs.StringVar(&a.Store, "store", "", "content store folder (default: the catalogue path + .store); at init, s3://bucket/prefix for an object store")
	fs.DurationVar(&a.LockTimeout, "lock-timeout", 10*time.Second, "how long to wait for another process that holds the catalogue")
	a.s3.addFlags(fs)
}

// dbPath is --db, else $KYSO_DB, else ./kyso.db.
func (a *archiveFlags) dbPath() string {
	if a.DB != "" {
		return a.DB
	}
	if p := os.Getenv("KYSO_DB"); p != "" {
		return p
	}
	return "kyso.db"
}

func (a *archiveFlags) options(cmd *cobra.Command, readOnly bool) archive.Options {
	return archive.Options{
		ReadOnly:    readOnly,
		LockTimeout: a.LockTimeout,
		StorePath:   a.Store,
		Command:     "kyso " + strings.TrimPrefix(cmd.CommandPath(), "kyso ") + " " + strings.Join(cmd.Flags().Args(), " "),
		S3:          a.s3.access(cmd),
	}
}

// open opens the catalogue for reading or writing.
func (a *archiveFlags) open(cmd *cobra.Command, readOnly bool, verifier archive.VerifyFunc) (*archive.Catalogue, error) {
	o := a.options(cmd, readOnly)
	o.Verify = verifier
	return archive.Open(cmd.Context(), a.dbPath(), o)
}

// openVerifying opens the catalogue for writing with the verifier vf
// describes: for the commands that verify what they record (ingest, renew).
func (a *archiveFlags) openVerifying(cmd *cobra.Command, g *globalOptions, vf *verifyFlags) (*archive.Catalogue, error) {
	verifier, err := newVerifier(g, vf)
	if err != nil {
		return nil, err
	}
	return a.open(cmd, false, verifier)
}

func newArchiveCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archive SUBCOMMAND",
		Short: "Keep signed results in the unit's catalogue: ingest, find, audit, back up, export, report",
		Long: `The unit's archive of signed results: a catalogue file (bbolt; --db, default
$KYSO_DB, else ./kyso.db) and a content store beside it (<db>.store/) that holds
every file once, named by its SHA-256 and read-only. A province's catalogue may
keep its files in S3-compatible object storage instead (init --store
s3://bucket/prefix; see kyso archive init --help), where kyso never deletes or
overwrites an object; gc --dry-run lists objects that no record names.

Commands that change the catalogue (init, ingest, import, renew, checkpoint,
totals import) wait up to --lock-timeout for another writer, then exit 5 naming
it. ls, show, report, audit, backup and export answer while a long ingest runs. A crash or kill at any
moment leaves a catalogue that the next run completes.`,
		Example: `  kyso archive init --db kyso.db --unit 000.00.00.H26 --unit-name "UBND xã Hòa Đông" --level commune
  kyso archive ingest --db kyso.db --trust roots/ --meta meta.csv signed/
  kyso archive ls --db kyso.db --unit 000.00.00.H26 --from 2025-01-01 --to 2025-12-31
  kyso archive report --db kyso.db --year 2025 --format html --out report.html`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fail.Usage(i18n.Errorf("unknown archive command %q", args[0]), "see 'kyso archive --help'")
			}
			return fail.Usage(i18n.Errorf("kyso archive needs a command"), "see 'kyso archive --help'")
		},
	}
	for _, sub := range []func(*globalOptions) *cobra.Command{
		newArchiveInitCmd, newArchiveIngestCmd, newArchiveLsCmd, newArchiveShowCmd, newArchiveAuditCmd,
		newArchiveBackupCmd, newArchiveExportCmd, newArchiveImportCmd, newArchiveTotalsCmd, newArchiveReportCmd,
		newArchiveRenewCmd, newArchiveCheckpointCmd, newArchiveCheckCmd, newArchiveSetMetaCmd, newArchiveGCCmd,
	} {
		cmd.AddCommand(sub(g))
	}
	return cmd
}

func newArchiveInitCmd(g *globalOptions) *cobra.Command {
	var a archiveFlags
	var unit archive.Unit
	var lock archive.ObjectLock
	cmd := &cobra.Command{
		Use:   "init --unit CODE --unit-name NAME --level LEVEL",
		Short: "Create an empty catalogue for a unit",
		Long: `Create an empty catalogue and its content store for a unit. Records that carry no
unit metadata belong to this unit. Running init again for the same unit changes
nothing; for another unit it is refused. LEVEL is data: province, district,
commune or any other word.

--store s3://bucket/prefix keeps the contents in S3-compatible object storage
(MinIO, Ceph RGW, SeaweedFS, AWS S3) instead of a folder; the catalogue
remembers it, so later commands need no --store. The bucket must exist. The
endpoint and region come from KYSO_S3_ENDPOINT and KYSO_S3_REGION (or AWS_REGION),
else --s3-endpoint and --s3-region (which the config file may set); the
credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),
else the AWS shared credentials file (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE),
never from a flag. --object-lock writes every object with Object Lock
retention for --retention-days; a bucket with a default retention gives its own.`,
		Example: `  kyso archive init --db kyso.db --unit 000.00.00.H26 --unit-name "UBND xã Hòa Đông" --level commune
  KYSO_S3_ENDPOINT=https://s3.tinh.gov.vn kyso archive init --db province.db --store s3://archive/h26 \
    --object-lock compliance --retention-days 3650 --unit 000.00.00.H26 --unit-name "UBND tỉnh" --level province`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			unit.Level = strings.ToLower(strings.TrimSpace(unit.Level))
			if unit.Code == "" || unit.Name == "" || unit.Level == "" {
				return fail.Usage(i18n.Errorf("init needs --unit, --unit-name and --level"), "see 'kyso archive init --help'")
			}
			o := a.options(cmd, false)
			o.ObjectLock = lock
			c, err := archive.Create(cmd.Context(), a.dbPath(), unit, o)
			if err != nil {
				return err
			}
			defer c.Close()
			if g.JSON {
				return newJSONLines(g.io.out).write(map[string]string{"db": c.Path(), "store": c.StorePath(),
					"unit_code": unit.Code, "unit_name": unit.Name, "level": unit.Level})
			}
			fmt.Fprint(g.io.out, g.t("catalogue %s for %s %s (%s), store %s\n", c.Path(), unit.Code, unit.Name, unit.Level, c.StorePath()))
			return nil
		},
	}
	fs := cmd.Flags()
	a.addFlags(fs)
	fs.StringVar(&unit.Code, "unit", "", "the unit's code (mã định danh), e.g. 000.00.00.H26")
	fs.StringVar(&unit.Name, "unit-name", "", "the unit's name, e.g. \"UBND xã Hòa Đông\"")
	fs.StringVar(&unit.Level, "level", "", "the unit's level: province, district, commune or other")
	fs.StringVar(&lock.Mode, "object-lock", "", "with --store s3://...: write every object with Object Lock retention, compliance or governance (the bucket must have object lock)")
	fs.IntVar(&lock.Days, "retention-days", 0, "with --object-lock: how long each object is retained, in days from its upload")
	return cmd
}

type ingestFlags struct {
	archiveFlags
	verifyFlags
	Meta        string
	NamePattern string
	Strict      bool
	Jobs        int
}

func newArchiveIngestCmd(g *globalOptions) *cobra.Command {
	f := &ingestFlags{}
	cmd := &cobra.Command{
		Use:   "ingest INPUT...",
		Short: "Verify, store and catalogue signed PDFs",
		Long: `Verify each PDF (with the same options as kyso verify), copy it into the content
store while hashing it (SHA-256), and record it with its metadata and verdict.

  ingested   a new document; an indeterminate verdict is kept and flagged
             (--strict rejects it)
  duplicate  the same bytes are already in the catalogue
  rejected   an invalid document or an unreadable file, with the reason

Two different documents with the same dossier code are versions of one dossier.
Metadata comes from the metadata signed in the document, completed by the
file's --meta row (CSV with a header: file, dossier_code, procedure_code,
procedure_name, unit_code, level, issued_date as YYYY-MM-DD, and optionally
unit_name, result_number, copy_form; file is the input's base name) or, for a
file with no row, by --name-pattern. Neither the CSV nor the file name is
signed, so they fill what the signature leaves out; where one disagrees with a
signed value the signed value is kept, with a warning and a history note
(kyso archive set-meta corrects a record on purpose). A file with neither has
the catalogue's unit only.

Files are hashed and verified in parallel (--jobs); records are committed in small
batches so readers are not kept waiting. Exit 4 when any input was rejected.`,
		Example: `  kyso archive ingest --db kyso.db --trust roots/ --meta meta.csv signed/
  kyso archive ingest --trust roots/ --name-pattern '{dossier}_{procedure}.pdf' signed/ --json
  KYSO_DB=/srv/kyso/kyso.db kyso archive ingest --trust roots/ --strict /srv/scans/2025-03-05/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runArchiveIngest(cmd, g, f, args) },
	}
	fs := cmd.Flags()
	f.archiveFlags.addFlags(fs)
	f.verifyFlags.addFlags(fs)
	fs.StringVar(&f.Meta, "meta", "", "CSV of metadata per file (see above)")
	fs.StringVar(&f.NamePattern, "name-pattern", "", "read metadata from file names: {dossier} {procedure} {unit} {date} {number} {any}")
	fs.BoolVar(&f.Strict, "strict", false, "reject documents whose verdict is indeterminate")
	fs.IntVarP(&f.Jobs, "jobs", "j", 0, "files hashed and verified in parallel (default: the number of CPUs)")
	return cmd
}

func runArchiveIngest(cmd *cobra.Command, g *globalOptions, f *ingestFlags, args []string) error {
	var opts archive.IngestOptions
	opts.Strict, opts.Jobs = f.Strict, f.Jobs
	if f.Meta != "" {
		m, err := readCSVFile(f.Meta, archive.ReadMeta)
		if err != nil {
			return err
		}
		opts.Meta = m
	}
	if f.NamePattern != "" {
		np, err := archive.ParseNamePattern(f.NamePattern)
		if err != nil {
			return fail.Usage(err, "e.g. --name-pattern '{dossier}_{procedure}.pdf'")
		}
		opts.NamePattern = np
	}
	inputs, err := collectPDFs(args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return nothingToDo(g, args)
	}
	var files []string
	var unreadable []inputFile
	for _, in := range inputs {
		if in.Err != nil {
			unreadable = append(unreadable, in)
		} else {
			files = append(files, in.Path)
		}
	}
	c, err := f.openVerifying(cmd, g, &f.verifyFlags)
	if err != nil {
		return err
	}
	defer c.Close()
	jl := newJSONLines(g.io.out)
	prog := newProgress(g, "ingest", len(inputs))
	onResult := func(r archive.IngestResult) error {
		prog.step()
		if g.JSON {
			return jl.write(r)
		}
		p := g.pr()
		id := strconv.FormatUint(r.ID, 10)
		input := termsafe.String(r.Input)
		switch r.Status {
		case archive.StatusRejected:
			prog.print(g.io.out, p.T("rejected   %s: %s\n", input, oneLine(p.Translate(r.Reason))))
		case archive.StatusDuplicate:
			prog.print(g.io.out, p.T("duplicate  %s (record %s)\n", input, id))
		default:
			var line string
			switch {
			case r.Dossier != "" && r.Version > 1:
				line = p.T("ingested   %s as record %s, dossier %s version %s", input, id, oneLine(r.Dossier), strconv.Itoa(r.Version))
			case r.Dossier != "":
				line = p.T("ingested   %s as record %s, dossier %s", input, id, oneLine(r.Dossier))
			default:
				line = p.T("ingested   %s as record %s", input, id)
			}
			for _, w := range r.Warnings {
				line += "; " + oneLine(p.Translate(w))
			}
			prog.print(g.io.out, line+"\n")
		}
		return nil
	}
	for _, in := range unreadable {
		if err := onResult(archive.IngestResult{Input: in.Path, Status: archive.StatusRejected, Reason: in.Err.Error()}); err != nil {
			return err
		}
	}
	var sum archive.IngestSummary
	if len(files) > 0 {
		sum, err = c.Ingest(cmd.Context(), files, opts, onResult)
	}
	sum.Rejected += len(unreadable)
	prog.finish()
	if !g.JSON {
		fmt.Fprint(g.io.out, g.t("%d ingested, %d duplicate, %d rejected\n", sum.Ingested, sum.Duplicate, sum.Rejected))
	}
	if err != nil {
		return err
	}
	if sum.Rejected > 0 {
		return exitStatus(exitInput)
	}
	return nil
}

// readCSVFile opens name and parses it; a malformed file is a usage error:
// nothing has been done yet and the user must fix the file.
func readCSVFile[T any](name string, parse func(r io.Reader, name string) (T, error)) (T, error) {
	var zero T
	fh, err := fileutil.OpenRegular(name)
	if err != nil {
		return zero, fail.Usage(i18n.Errorf("%s: %v", name, fileutil.UnwrapPath(err)), "")
	}
	defer fh.Close()
	v, err := parse(fh, filepath.Clean(name))
	if err != nil {
		return zero, fail.Usage(err, "the file is UTF-8 CSV with a header row; see --help for its columns")
	}
	return v, nil
}

// withCatalogue opens the catalogue read-only for fn.
func withCatalogue(cmd *cobra.Command, a *archiveFlags, fn func(ctx context.Context, c *archive.Catalogue) error) error {
	c, err := a.open(cmd, true, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(cmd.Context(), c)
}
