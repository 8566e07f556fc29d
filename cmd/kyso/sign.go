package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/sign"
	"github.com/kyso-project/kyso/verify"
)

func init() { commands = append(commands, newSignCmd) }

// signFlags are the options of `kyso sign`.
type signFlags struct {
	key     keyFlags
	stamp   stampFlags
	Out     string
	Level   string
	TSA     []string
	Trust   []string
	Reason  string
	Loc     string
	Contact string
	Jobs    int
	Force   bool
	Field   string
	Meta    string
	Counter bool
	Policy  string
}

func newSignCmd(g *globalOptions) *cobra.Command {
	f := &signFlags{}
	cmd := &cobra.Command{
		Use:   "sign INPUT... --out DIR",
		Short: "Sign PDF files and folders with the unit's certificate (PAdES)",
		Long: `Sign PDF files, and every *.pdf in folders (recursively), as PAdES baseline
signatures (ETSI.CAdES.detached, SHA-256). Outputs mirror the inputs' paths under
--out; inputs are never modified. Each output is written to a temporary file,
checked, fsynced and renamed, so it is either complete or absent; outputs are
created 0666 minus the umask, as cp does. An output that would be one of the
inputs (the same path, a link, or --out equal to an input folder) is refused
before any work; an --out folder inside an input folder is not read as input.

Re-running the same command keeps an existing output only if it is this input
signed by this certificate at this level, and reports any other as stale
(re-sign with --force). Temporary files that a killed run left in the output
folders are removed. An input that already carries a signature of this signer
(this certificate, or another of its key) made by kyso or shown by a stamp is
skipped; --countersign signs it again, and the new stamp never covers an
existing one.

Before the first file, the signer's certificate is checked: valid now, chained
to --trust (default the system roots), and not revoked (OCSP, else the CRL, when
reachable). Expired or revoked stops the run (exit 5) before anything is
written; an untrusted chain is a warning at B-B and B-T and an error at B-LT and
B-LTA. Each timestamp must not be dated in the future and its TSA must chain to
--trust (without --trust at B-T, a warning); otherwise that file fails (exit 5).

The key is a .p12 file (--p12) or a key on a USB token (--pkcs11). Passwords and
PINs come from an environment variable (--pass-env/--pin-env), a file
(--pass-file/--pin-file) or a prompt without echo; never from the command line.

Levels: B-B (signature only), B-T (with an RFC 3161 timestamp from --tsa, the
default when --tsa is given), B-LT (plus validation data in a /DSS), B-LTA (plus a
document timestamp).`,
		Example: `  # sign a folder of scans with a .p12 key, timestamped
  KYSO_PASS=... kyso sign scans/ --out signed/ --p12 unit.p12 --pass-env KYSO_PASS \
      --tsa http://tsa.example.vn/tsr

  # with a USB token, as the SAO LỤC copy form, machine-readable output
  kyso sign scans/ --out signed/ --pkcs11 /path/to/vendor-pkcs11.so --token "UBND xa Hoa Dong" \
      --key-label signing --pin-file ~/.kyso-pin --copy-form "SAO LỤC" --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSign(cmd.Context(), g, f, args)
		},
	}
	fs := cmd.Flags()
	f.key.addFlags(fs)
	markKeyFlagGroups(cmd)
	f.stamp.addFlags(fs)
	fs.StringVarP(&f.Out, "out", "o", "", "output folder (required)")
	fs.StringVar(&f.Level, "level", "", "PAdES level: B-B, B-T, B-LT or B-LTA (default B-T with --tsa, else B-B)")
	fs.StringArrayVar(&f.TSA, "tsa", nil, "RFC 3161 timestamp authority URL (repeatable; tried in order)")
	fs.StringArrayVar(&f.Trust, "trust", nil, "trust anchors for the signer's and the TSA's chains (PEM/DER file or folder; repeatable; default the system roots)")
	fs.StringVar(&f.Reason, "reason", "", "reason for signing, written in the signature")
	fs.StringVar(&f.Loc, "location", "", "place of signing, written in the signature")
	fs.StringVar(&f.Contact, "contact", "", "contact information, written in the signature")
	fs.IntVarP(&f.Jobs, "jobs", "j", 0, "files prepared in parallel (default: the number of CPUs)")
	fs.BoolVar(&f.Force, "force", false, "overwrite existing outputs")
	fs.StringVar(&f.Field, "field-name", "", "name of the new signature field (default Signature<N>)")
	fs.BoolVar(&f.Counter, "countersign", false, "also sign inputs that already carry this signer's signature (the new stamp avoids the existing ones)")
	fs.StringVar(&f.Meta, "meta", "", "CSV of TTHC metadata (file,dossier_code,...) written into each document before signing")
	fs.StringVar(&f.Policy, "policy", "", "validation policy file the signer's certificate must pass, as kyso verify --policy (default: the policy of docs/verify.md)")
	return cmd
}

func runSign(ctx context.Context, g *globalOptions, f *signFlags, args []string) error {
	if f.Out == "" {
		return fail.Usage(i18n.Errorf("--out is required"), "kyso sign INPUT... --out DIR")
	}
	level := sign.LevelBB
	if len(f.TSA) > 0 {
		level = sign.LevelBT
	}
	if f.Level != "" {
		l, err := sign.ParseLevel(f.Level)
		if err != nil {
			return fail.Usage(err, "")
		}
		level = l
	}
	if level != sign.LevelBB && len(f.TSA) == 0 {
		return fail.Usage(i18n.Errorf("level %s needs a timestamp authority", level), "add --tsa URL")
	}
	inputs, err := collectPDFs(args)
	if err != nil {
		return err
	}
	inputs = dropOutputs(inputs, args, f.Out)
	if len(inputs) == 0 {
		return nothingToDo(g, args)
	}
	var jobs []sign.Job
	var unreadable []*sign.Result
	for _, in := range inputs {
		if in.Err != nil {
			err := in.inputError()
			unreadable = append(unreadable, &sign.Result{Input: in.Path, Status: sign.StatusFailed, Error: err.Error(), Err: err})
			continue
		}
		jobs = append(jobs, sign.Job{Input: in.Path, Output: slashPath(filepath.Join(f.Out, in.Rel))})
	}
	if err := checkJobsSafe(jobs); err != nil {
		return err
	}
	if f.stamp.QR && f.Meta == "" && !f.stamp.NoStamp {
		return fail.Usage(i18n.Errorf("--qr needs --meta: the QR code holds each file's dossier and procedure codes"), "add --meta FILE.csv")
	}
	// The unit's verifiers judge with this policy: a certificate it refuses
	// would make every output indeterminate. Read before the key (and its
	// PIN prompt), as every other usage error is.
	var valPolicy *verify.Policy
	if f.Policy != "" {
		var err error
		if valPolicy, err = verify.LoadPolicy(f.Policy); err != nil {
			return err
		}
	}
	meta, err := loadSignMeta(f.Meta)
	if err != nil {
		return err
	}
	key, err := f.key.load(ctx, g)
	if err != nil {
		return err
	}
	if key.Close != nil {
		defer key.Close()
	}
	if err := checkKeyUsable(key, valPolicy); err != nil {
		return err
	}
	store, err := trust.Load(f.Trust)
	if err != nil {
		return fail.Usage(err, "--trust takes PEM or DER certificate files or folders of them")
	}
	policy := newSignerPolicy(g, store, len(f.Trust) > 0, level)
	policy.Policy = valPolicy
	if err := policy.CheckSigner(ctx, key); err != nil {
		return err
	}
	opts := sign.BatchOptions{
		Options: sign.Options{
			Key: key, Level: level,
			Reason: f.Reason, Location: f.Loc, ContactInfo: f.Contact, FieldName: f.Field,
			Force: f.Force, CheckTimestamp: policy.CheckTimestamp,
		},
		Jobs:        f.Jobs,
		Countersign: f.Counter,
		Cleaned: func(paths []string) {
			fmt.Fprint(g.io.err, g.t("kyso: removed %d temporary file(s) left by an interrupted run (%s)\n", len(paths), paths[0]))
		},
	}
	if len(f.TSA) > 0 {
		opts.TSA = &tsp.Client{URLs: f.TSA}
	}
	if level == sign.LevelBLT || level == sign.LevelBLTA {
		ltv := &sign.LTV{Trust: store, Fetcher: policy.Fetcher, TSA: opts.TSA, CheckTimestamp: policy.CheckTimestamp}
		opts.LTV = ltv
		if err := ltv.CheckSigner(ctx, key); err != nil {
			return err
		}
	}
	if err := f.stamp.apply(g, &opts); err != nil {
		return err
	}
	opts.Existing = func(ctx context.Context, input, output string) error {
		return sign.CheckExistingOutput(ctx, input, output, key.Cert, level, store)
	}
	if meta != nil {
		opts.MetadataFor = meta.forFile
		opts.QRFor = meta.qrFor
	}

	jl := newJSONLines(g.io.out)
	bar := newProgress(g, "signing", len(inputs))
	counts := map[sign.Status]int{}
	var failures []*sign.Result
	start := time.Now()
	onResult := func(r *sign.Result) {
		bar.step()
		counts[r.Status]++
		if r.Status == sign.StatusFailed {
			failures = append(failures, r)
		}
		if g.JSON {
			jl.write(r)
			return
		}
		switch r.Status {
		case sign.StatusFailed:
			g.log.Debug("failed", "input", r.Input, "error", r.Error)
			logPanic(g, r.Input, r.Err)
		case sign.StatusSkipped:
			if r.Reason != "" {
				reason := oneLine(g.pr().Translate(r.Reason))
				if h := remedyHint(g.pr(), r.Remedy); h != "" {
					reason = g.t("%s (%s)", reason, h)
				}
				bar.print(g.io.out, g.t("%s%s: %s\n", padRunes(g.t(string(r.Status)), 8), termsafe.String(r.Input), reason))
				break
			}
			bar.print(g.io.out, g.t("%s%s -> %s\n", padRunes(g.t(string(r.Status)), 8), termsafe.String(r.Input), termsafe.String(r.Output)))
		default:
			bar.print(g.io.out, g.t("%s%s -> %s\n", padRunes(g.t(string(r.Status)), 8), termsafe.String(r.Input), termsafe.String(r.Output)))
			for _, w := range r.Warnings {
				bar.print(g.io.err, g.t("kyso: warning: %s: %s\n", termsafe.String(r.Input), oneLine(g.pr().Translate(w))))
			}
		}
	}
	for _, r := range unreadable {
		onResult(r)
	}
	runErr := sign.Batch(ctx, jobs, opts, onResult)
	bar.finish()
	if !g.JSON || g.stderrIsTerminal() {
		fmt.Fprintln(g.io.err, g.t("kyso: %d signed, %d skipped, %d failed in %s",
			counts[sign.StatusSigned], counts[sign.StatusSkipped], counts[sign.StatusFailed], time.Since(start).Round(time.Millisecond).String()))
		for i, r := range failures {
			if i == 10 && len(failures) > 11 {
				fmt.Fprint(g.io.err, g.t("  ... and %d more\n", len(failures)-10))
				break
			}
			fmt.Fprint(g.io.err, g.t("  failed %s: %s\n", termsafe.String(r.Input), oneLine(resultError(g.pr(), r.Err, r.Error))))
		}
	}
	printFailureHints(g, failures)
	if g.JSON {
		for _, r := range failures {
			for _, w := range r.Warnings {
				fmt.Fprint(g.io.err, g.t("kyso: warning: %s: %s\n", termsafe.String(r.Input), oneLine(g.pr().Translate(w))))
			}
		}
	}
	switch {
	case runErr != nil && errors.Is(runErr, context.Canceled):
		return exitStatus(exitInterrupted)
	case runErr != nil:
		return runErr
	case ctx.Err() != nil:
		return exitStatus(exitInterrupted)
	case counts[sign.StatusFailed] > 0:
		return exitStatus(exitInput)
	}
	return nil
}

// checkKeyUsable refuses a signer certificate that cannot make a valid
// signature now (expired, not yet valid, wrong key usage, weak) under the
// validation policy pol (nil: the default).
func checkKeyUsable(key *keys.Key, pol *verify.Policy) error {
	if err := sign.CheckSignerCert(key.Cert, time.Now(), pol); err != nil {
		return err
	}
	return nil
}

// printFailureHints prints each distinct next step the failed files' errors
// suggest (re-sign stale outputs with --force...), once.
func printFailureHints(g *globalOptions, failures []*sign.Result) {
	seen := map[string]bool{}
	for _, r := range failures {
		if h := hintOf(g.pr(), r.Err); h != "" && !seen[h] {
			seen[h] = true
			fmt.Fprint(g.io.err, g.t("hint: %s\n", h))
		}
	}
}

// newSignerPolicy is the check of the signer and of every timestamp token
// a TSA returns, printing its warnings once each. store holds the anchors;
// configured says they were given (not the system roots).
func newSignerPolicy(g *globalOptions, store *trust.Store, configured bool, level sign.Level) *sign.SignerPolicy {
	var warnMu sync.Mutex // timestamps are judged on several goroutines
	return &sign.SignerPolicy{
		Trust: store, Configured: configured, Level: level,
		Fetcher: &revocation.Fetcher{Timeout: 10 * time.Second},
		Warn: func(msg string, r fail.Remedy) {
			warnMu.Lock()
			defer warnMu.Unlock()
			fmt.Fprint(g.io.err, g.t("kyso: warning: %s\n", oneLine(g.pr().Translate(msg))))
			if h := remedyHint(g.pr(), r); h != "" {
				fmt.Fprint(g.io.err, g.t("hint: %s\n", h))
			}
		},
	}
}
