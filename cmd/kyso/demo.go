package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kyso-project/kyso/internal/demo/samples"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/tsp"
)

func init() { commands = append(commands, newDemoCmd) }

// demoMarker marks a folder made by `kyso demo`, which may be rebuilt.
const demoMarker = ".kyso-demo"

func newDemoCmd(g *globalOptions) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Run the whole job on a TEST PKI and sample scans, offline",
		Long: `Build a self-contained demonstration: a test PKI whose names say TEST, a
timestamp authority and OCSP responder that kyso runs in-process on 127.0.0.1,
a few sample scans of TTHC results; then sign them (B-LT: a timestamp and the
validation data, with the visible Decree 30/2020 stamp), verify them, ingest
them into a catalogue, import the year's totals and print the digitization
report. Every step is a real kyso command, printed before it runs, so the demo
doubles as a tutorial. It prints the password of its TEST keys and what each
file of pki/ is for; its signed files verify later without its servers:
kyso verify --offline --trust DIR/pki/trust.pem DIR/signed.

Works offline. Running it again into the same folder rebuilds it.`,
		Example: `  kyso demo
  kyso demo --dir /tmp/kyso-demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "kyso-demo", "folder for the demonstration")
	return cmd
}

func runDemo(ctx context.Context, g *globalOptions, dir string) error {
	if err := prepareDemoDir(dir); err != nil {
		return err
	}
	out := g.io.out
	began := time.Now()
	last := began
	step := func(title string) {
		title = g.t(title)
		fmt.Fprint(out, "\n", g.t("== %s", title), "\n")
		g.log.Debug("demo step", "title", title, "previous_step", time.Since(last).String())
		last = time.Now()
	}

	step("Test PKI, timestamp authority and OCSP responder on 127.0.0.1 (names say TEST)")
	pkiDir := filepath.Join(dir, "pki")
	pki, base, stop, err := testpki.Start(testpki.Options{Dir: pkiDir}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	if err != nil {
		return fail.Run(i18n.Errorf("starting the test PKI: %v", err), "")
	}
	defer stop()
	printDemoPKI(g, pkiDir, base, pki.Signer.Cert.Subject.CommonName)
	step("Sample scans of TTHC results (200 dpi, greyscale)")
	scans := filepath.Join(dir, "scans")
	year := time.Now().Year()
	unit := "000.00.00.H26-TEST"
	var meta strings.Builder
	meta.WriteString("file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date\n")
	procs := []struct{ code, name string }{
		{"1.001193", "Đăng ký khai sinh"}, {"1.000894", "Đăng ký kết hôn"},
		{"2.000815", "Chứng thực bản sao từ bản chính"}, {"2.000720", "Đăng ký hộ kinh doanh"},
	}
	for i, d := range samples.Demo() {
		name := fmt.Sprintf("ket-qua-%02d.pdf", i+1)
		b, err := samples.Rendered(d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(scans, name), b, 0o644); err != nil {
			return fail.Run(err, "")
		}
		p := procs[i%len(procs)]
		fmt.Fprintf(&meta, "%s,H26.TEST-%d-%04d,%s,%s,%s,commune,%d-%02d-%02d\n", name, year, i+1, p.code, p.name, unit, year, 1+i%12, 10+i)
		fmt.Fprintln(out, g.t("%s  %s (%d KB)", name, d.Title, len(b)/1024))
	}
	metaFile := filepath.Join(dir, "meta.csv")
	totalsFile := filepath.Join(dir, "totals.csv")
	if err := os.WriteFile(metaFile, []byte(meta.String()), 0o644); err != nil {
		return fail.Run(err, "")
	}
	totals := fmt.Sprintf("unit_code,unit_name,level,year,issued\n%s,%s,commune,%d,5\n", unit, testpki.DefaultUnit, year)
	if err := os.WriteFile(totalsFile, []byte(totals), 0o644); err != nil {
		return fail.Run(err, "")
	}

	// The .p12 password reaches the sign command the way a unit's would:
	// by the name of an environment variable, never on the command line.
	const passVar = "KYSO_DEMO_PASS"
	os.Setenv(passVar, testpki.DefaultPassword)
	defer os.Unsetenv(passVar)
	trustFile := filepath.Join(pkiDir, "trust.pem")
	db := filepath.Join(dir, "kyso.db")
	signed := filepath.Join(dir, "signed")
	steps := []struct {
		title string
		args  []string
		ok    []int
	}{
		{"Sign at B-LT with the visible stamp: a timestamp, and the validation data to verify offline later", []string{"sign", scans, "--out", signed, "--p12", filepath.Join(pkiDir, "signer.p12"),
			"--pass-env", passVar, "--tsa", base + "/tsa", "--level", "B-LT", "--trust", trustFile, "--meta", metaFile}, []int{0}},
		{"Verify (an auditor's verdict), offline: from the validation data in the files", []string{"verify", "--offline", "--trust", trustFile, "--report", filepath.Join(dir, "verify-report.html"), signed}, []int{0}},
		{"Create the unit's catalogue", []string{"archive", "init", "--db", db, "--unit", unit, "--unit-name", testpki.DefaultUnit, "--level", "commune"}, []int{0}},
		{"Ingest the signed results", []string{"archive", "ingest", "--db", db, "--trust", trustFile, "--meta", metaFile, signed}, []int{0}},
		{"List the catalogue", []string{"archive", "ls", "--db", db}, []int{0}},
		{"Import the year's totals of issued results", []string{"archive", "totals", "import", "--db", db, totalsFile}, []int{0}},
		{"Check fixity of the store", []string{"archive", "audit", "--db", db}, []int{0}},
		{"Digitization report against the yearly target", []string{"archive", "report", "--db", db, "--year", fmt.Sprint(year)}, []int{0}},
	}
	for _, s := range steps {
		if ctx.Err() != nil {
			return exitStatus(exitInterrupted)
		}
		step(s.title)
		fmt.Fprintln(out, g.t("$ kyso %s", shellQuote(s.args, dir)))
		code := runNested(ctx, g, s.args)
		if !contains(s.ok, code) {
			return fail.Run(i18n.Errorf("demo step %q ended with exit code %d", g.t(s.title), code), "")
		}
	}
	took := time.Since(began).Round(100 * time.Millisecond)
	fmt.Fprintln(out)
	fmt.Fprintln(out, g.t("Done in %s. Everything is in %s; the auditor's report is %s.", took.String(), dir, filepath.Join(dir, "verify-report.html")))
	fmt.Fprintln(out, g.t("The signed files carry their validation data (B-LT): verify them again at any time, without the demo's servers:"))
	fmt.Fprintln(out, g.t("  kyso verify --offline --trust %s %s", trustFile, signed))
	return nil
}

// runNested runs a kyso command in this process with the same streams.
func runNested(ctx context.Context, g *globalOptions, args []string) int {
	// The nested command speaks the demo's language.
	root := newLocalizedRootCmd(g.io, g.language())
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var es exitStatus
	if err != nil && !errors.As(err, &es) {
		printError(g.io.err, err, g.pr())
	}
	return exitCodeOf(err)
}

// prepareDemoDir empties a folder made by an earlier demo, or creates a
// new one; it refuses to touch a folder that has other content.
func prepareDemoDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fail.Usage(err, "")
	case len(ents) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return fail.Usage(i18n.Errorf("%s exists and was not made by kyso demo; not touching it", dir), "give an empty or new folder with --dir")
		}
		for _, e := range ents {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				// The store's files are read-only; make them writable first.
				filepath.WalkDir(filepath.Join(dir, e.Name()), func(p string, d os.DirEntry, _ error) error {
					os.Chmod(p, 0o755)
					return nil
				})
				if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
					return fail.Run(err, "")
				}
			}
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "scans")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail.Run(err, "")
		}
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by kyso demo; the folder is rebuilt by the next run\n"), 0o644)
}

// shellQuote prints args for the reader, with paths relative to the demo.
func shellQuote(args []string, dir string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if rel, err := filepath.Rel(dir, a); err == nil && !strings.HasPrefix(rel, "..") && a != rel && filepath.IsAbs(a) == filepath.IsAbs(dir) && strings.HasPrefix(a, dir) {
			a = rel
		}
		if strings.ContainsAny(a, " '\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		b.WriteString(a)
	}
	return b.String()
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// demoPKIFiles say what each file of the demo's pki/ is for.
var demoPKIFiles = []struct{ name, what string }{
	{"trust.pem", "the TEST root certificate: give it to --trust to verify the demo's files"},
	{"root.crt", "the same TEST root certificate, alone"},
	{"inter.crt", "the TEST issuing CA, which issued the signers' certificates"},
	{"chain.pem", "the issuing CA and the root, the chain a signer sends with its signature"},
	{"signer.p12", "the unit's TEST key and certificate (RSA), which the demo signs with"},
	{"signer-ec.p12", "the same unit with an elliptic-curve key"},
	{"revoked.p12", "a key whose certificate is revoked: its signatures are invalid"},
	{"expired.p12", "a key whose certificate expired in 2021: kyso refuses to sign with it"},
	{"attacker.p12", "a key from another CA (attacker-root.crt): its signatures are not trusted"},
	{"tsa.crt", "the TEST timestamp authority's certificate (tsa.key is its key)"},
	{"ocsp.crt", "the TEST OCSP responder's certificate (ocsp.key is its key)"},
	{"inter.crl", "the revocation lists of the issuing CA and of the root (root.crl)"},
	{"index.txt", "the issuing CA's list of issued and revoked certificates, for openssl ocsp"},
}

// printDemoPKI tells the newcomer what the test PKI is: the servers, the
// password of the demo's keys and what each file is for.
func printDemoPKI(g *globalOptions, dir, base, signer string) {
	out := g.io.out
	fmt.Fprintln(out, g.t("Signer: %s", signer))
	fmt.Fprintln(out, g.t("Timestamp authority: %s/tsa (running while the demo runs)", base))
	fmt.Fprintln(out, g.t("Password of every .p12 file: %s (a TEST password; a real key's password never goes on the command line)", testpki.DefaultPassword))
	fmt.Fprintln(out, g.t("Files in %s:", dir))
	for _, f := range demoPKIFiles {
		fmt.Fprintln(out, g.t("  %s  %s", padRunes(f.name, 14), g.t(f.what)))
	}
}
