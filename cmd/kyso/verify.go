// Old signers issued certificates with negative serial numbers; a verifier
// must still read them (kyso never issues or signs with one).
//go:debug x509negativeserial=1

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
)

func init() { commands = append(commands, newVerifyCmd) }

// verifyFlags are the flags of a verification, shared by `kyso verify` and
// the archive commands that verify what they ingest.
type verifyFlags struct {
	Trust      []string
	Offline    bool
	Revocation string
	At         string
	Policy     string

	// fileSHA256 asks for each file's SHA-256 (for the auditor's report).
	fileSHA256 bool
}

func (v *verifyFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&v.Trust, "trust", nil, "trust anchors: PEM or DER certificate file or folder (repeatable; default the system roots)")
	fs.BoolVar(&v.Offline, "offline", false, "use only the revocation data embedded in the files; fetch nothing")
	fs.StringVar(&v.Revocation, "revocation", "hard", "when a certificate's revocation status is unknown: hard (indeterminate) or soft (a warning)")
	fs.StringVar(&v.At, "at", "", "judge as of this time (RFC 3339, or YYYY-MM-DD in Vietnam time) instead of now")
	fs.StringVar(&v.Policy, "policy", "", "validation policy file (YAML: min-rsa-bits, max-rsa-bits, min-ec-bits, digests, accepted-ekus; default: the policy of docs/verify.md)")
}

// options turns the flags into verify.Options.
func (v *verifyFlags) options(g *globalOptions) (verify.Options, error) {
	o := verify.Options{Lang: g.language(), FileSHA256: v.fileSHA256}
	switch v.Revocation {
	case "hard", "":
	case "soft":
		o.RevocationSoft = true
	default:
		return o, fail.Usage(i18n.Errorf("--revocation %q: want hard or soft", v.Revocation), "")
	}
	if v.At != "" {
		t, err := parseAtTime(v.At)
		if err != nil {
			return o, fail.Usage(err, "e.g. --at 2025-03-05T09:30:00+07:00 or --at 2025-03-05")
		}
		o.At = t
	}
	store, err := trust.Load(v.Trust)
	if err != nil {
		return o, fail.Usage(err, "--trust takes PEM or DER certificate files or folders of them")
	}
	o.Trust = store
	if v.Policy != "" {
		if o.Policy, err = verify.LoadPolicy(v.Policy); err != nil {
			return o, err
		}
	}
	o.Basis = &verify.Basis{Config: g.config.Path, ConfigSource: g.config.Source, Trust: v.Trust}
	o.Fetcher = &revocation.Fetcher{Offline: v.Offline, HTTP: &http.Client{Timeout: 15 * time.Second}}
	return o, nil
}

func parseAtTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("+07", 7*3600)); err == nil {
		return t, nil
	}
	return time.Time{}, i18n.Errorf("--at %q: not a time", s)
}

// newVerifier returns a function that verifies one file with the flags'
// trust anchors and revocation policy, the stores loaded once.
func newVerifier(g *globalOptions, vo *verifyFlags) (func(ctx context.Context, path string) (*verify.Report, error), error) {
	o, err := vo.options(g)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, path string) (*verify.Report, error) {
		oo := o
		oo.FileName = path
		return verify.VerifyFile(ctx, path, oo)
	}, nil
}

type verifyCmdFlags struct {
	verifyFlags
	Report string
	Jobs   int
}

func newVerifyCmd(g *globalOptions) *cobra.Command {
	f := &verifyCmdFlags{}
	cmd := &cobra.Command{
		Use:   "verify INPUT...",
		Short: "Verify the signatures of PDF files and folders: an auditor's verdict",
		Long: `Verify every signature and document timestamp of PDF files, and of every *.pdf in
folders (recursively). For each signature: whether the signed bytes are intact, who
signed (signer and issuer), when (the claimed time, and the time a timestamp
proves), whether the certificate chains to a trust anchor (--trust; default the
system roots) and was not revoked, and what later revisions changed.

Revocation data embedded in the file (DSS, the CMS, Adobe's archival attribute)
is used first, then OCSP and CRLs are fetched unless --offline. An unknown status
makes the verdict indeterminate, or a warning with --revocation soft.

Verdicts: valid, indeterminate (nothing refuted, something not established:
an untrusted root, an unknown revocation status) or invalid. Exit status: 0 when
every file is valid, 1 when any is invalid, 3 when none is invalid but some are
indeterminate.`,
		Example: `  kyso verify --trust roots/ signed/
  kyso verify --trust vnpt-root.pem --offline --revocation soft contract.pdf --json
  kyso verify --trust roots/ signed/ --report verdicts.html --lang vi`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), g, f, args)
		},
	}
	fs := cmd.Flags()
	f.addFlags(fs)
	fs.StringVar(&f.Report, "report", "", "also write a printable HTML report of all inputs to this file")
	fs.IntVarP(&f.Jobs, "jobs", "j", 0, "files verified in parallel (default: the number of CPUs)")
	return cmd
}

func runVerify(ctx context.Context, g *globalOptions, f *verifyCmdFlags, args []string) error {
	inputs, err := collectPDFs(args)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return nothingToDo(g, args)
	}
	if err := checkReportName(f.Report); err != nil {
		return err
	}
	f.fileSHA256 = f.Report != ""
	verifyOne, err := newVerifier(g, &f.verifyFlags)
	if err != nil {
		return err
	}
	p := g.pr()
	jl := newJSONLines(g.io.out)
	bar := newProgress(g, "verifying", len(inputs))
	table := newVerdictTable(p, g.io.out, bar)
	reports := make([]*verify.Report, len(inputs))
	emit := func(rep *verify.Report) {
		localizeReport(p, rep)
		if g.JSON {
			jl.write(rep)
		} else {
			table.add(rep)
		}
	}
	logged := func(ctx context.Context, path string) (*verify.Report, error) {
		rep, err := guardedVerify(ctx, verifyOne, path)
		logPanic(g, path, err)
		return rep, err
	}
	err = verifyAll(ctx, inputs, f.Jobs, logged, func(i int, rep *verify.Report) {
		bar.step()
		reports[i] = rep
	}, emit)
	if err != nil {
		bar.finish()
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return exitStatus(exitInterrupted)
		}
		return err
	}
	if f.Report != "" {
		if err := writeHTMLReport(f.Report, reports, p); err != nil {
			bar.finish()
			return err
		}
	}
	if !g.JSON {
		if _, err := table.finish(failureDir(f.Report)); err != nil {
			bar.finish()
			return err
		}
	}
	bar.finish()
	code := exitOK
	for _, r := range reports {
		switch r.Status {
		case verify.Invalid:
			code = exitInvalid
		case verify.Indeterminate:
			if code == exitOK {
				code = exitIndeterminate
			}
		}
	}
	if code != exitOK {
		return exitStatus(code)
	}
	return nil
}

// verifyAll verifies inputs with jobs workers. done is called as each file
// finishes; emit in input order, as soon as all earlier files are done. A
// file or folder that cannot be read (a named pipe, a device, no
// permission, changed while read) is an invalid report, as the contract
// says of any file that is not a readable PDF (exit 1), not a failed run.
func verifyAll(ctx context.Context, inputs []inputFile, jobs int, verifyOne func(context.Context, string) (*verify.Report, error),
	done func(int, *verify.Report), emit func(*verify.Report)) error {
	if jobs < 1 {
		jobs = runtime.NumCPU()
	}
	type result struct {
		i   int
		rep *verify.Report
	}
	work := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for w := 0; w < min(jobs, len(inputs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var rep *verify.Report
				err := inputs[i].Err
				if err == nil {
					rep, err = guardedVerify(ctx, verifyOne, inputs[i].Path)
				}
				if err != nil {
					if ctx.Err() != nil {
						rep = nil
					} else {
						status := verify.Invalid
						if errors.As(err, new(*fail.PanicError)) {
							// kyso failed, not necessarily the file's signatures
							status = verify.Indeterminate
						}
						rep = &verify.Report{File: inputs[i].Path, Status: status, Warnings: []string{},
							Errors: []string{err.Error()}, Signatures: []verify.Signature{}, CheckedAt: time.Now().UTC().Truncate(time.Second)}
					}
				}
				results <- result{i, rep}
			}
		}()
	}
	go func() {
		defer close(work)
		for i := range inputs {
			select {
			case work <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	pending := map[int]*verify.Report{}
	next := 0
	for r := range results {
		if r.rep == nil {
			continue
		}
		done(r.i, r.rep)
		pending[r.i] = r.rep
		for {
			rep, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			emit(rep)
			next++
		}
	}
	if next < len(inputs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return i18n.Errorf("verified %d of %d files", next, len(inputs))
	}
	return nil
}

// guardedVerify is verifyOne with a panic turned into the error of that
// file (fail.Recovered), so one file that trips a kyso bug is one
// indeterminate report, not the end of the run.
func guardedVerify(ctx context.Context, verifyOne func(context.Context, string) (*verify.Report, error), path string) (rep *verify.Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			rep, err = nil, fail.Recovered(v, debug.Stack())
		}
	}()
	return verifyOne(ctx, path)
}

// logPanic logs, at debug level, the stack of a panic recovered while
// working on input (the failure line itself says "internal error"): for
// sign and verify.
func logPanic(g *globalOptions, input string, err error) {
	var pe *fail.PanicError
	if errors.As(err, &pe) {
		g.log.Debug("panic", "input", input, "value", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
	}
}

// writeHTMLReport writes the report to a temporary file and renames it, so
// a failed run leaves no half-written report.
func writeHTMLReport(path string, reports []*verify.Report, p *i18n.Printer) error {
	return writeAtomic(path, func(w io.Writer) error {
		return verify.WriteHTML(w, reports, verify.HTMLOptions{Printer: p, Version: versionString()})
	})
}
