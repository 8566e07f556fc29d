package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/demo/samples"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/tsp"
)

// The all-commands language test. In a test run (KYSO_I18N_TRACE=1) the
// catalogue puts invisible marks around every message it renders and
// around every text argument that did not come from it; a message without
// a Vietnamese translation is marked as missing. This test runs every
// command and subcommand — --help, usage errors, and a session that
// signs, verifies, timestamps and archives real files — in Vietnamese and
// in English, and checks every line of stdout and stderr:
//
//   - text outside any catalogue message must be data (a path, a hash, a
//     number, a date, a flag, a value the session itself gave);
//   - a message must have its Vietnamese;
//   - an argument that did not come from the catalogue must be data too: an
//     English sentence passed through (a library's error text) fails.
//
// knownGaps lists the steps whose output is not all in the catalogue yet:
// they run and their findings are logged, and the test fails when one of
// them comes out clean, so the list cannot go stale.

// langStep is one command of the session.
type langStep struct {
	name string
	args []string
	// stdin, when set, is the command's input.
	stdin string
	// machine says stdout is for programs (CSV, JSON): only stderr is
	// checked.
	machine bool
}

// knownGaps are steps not yet fully in the catalogue, and why.
var knownGaps = map[string]string{}

func TestAllCommandsSpeakTheLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command twice")
	}
	work := t.TempDir()
	pkiDir := filepath.Join(work, "pki")
	_, base, stop, err := testpki.Start(testpki.Options{Dir: pkiDir, ReuseKeys: true}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)
	t.Setenv("KYSO_I18N_TRACE", "1")
	t.Setenv("KYSO_DB", "")
	scans := filepath.Join(work, "scans")
	os.MkdirAll(scans, 0o755)
	docs := samples.Demo()
	var dataValues []string
	for i := 0; i < 3; i++ {
		d := docs[i]
		d.Seed = int64(i + 1)
		d.DPI = 100
		b, err := samples.Rendered(d)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(scans, fmt.Sprintf("scan-%02d.pdf", i+1)), b, 0o644)
	}
	for _, d := range docs {
		dataValues = append(dataValues, d.Title)
	}
	os.WriteFile(filepath.Join(work, "notpdf.pdf"), []byte("plain text, not a PDF"), 0o644)
	meta := "file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date\n" +
		"scan-01.pdf,H26.T-0001,1.001193,Đăng ký khai sinh,000.00.00.H26,commune,2025-03-05\n" +
		"scan-02.pdf,H26.T-0002,1.000894,Đăng ký kết hôn,000.00.00.H26,commune,2025-04-06\n"
	os.WriteFile(filepath.Join(work, "meta.csv"), []byte(meta), 0o644)
	os.WriteFile(filepath.Join(work, "totals.csv"), []byte("unit_code,unit_name,level,year,issued\n000.00.00.H26,UBND xã Hòa Đông,commune,2025,10\n"), 0o644)
	dataValues = append(dataValues, "UBND xã Hòa Đông", testpki.DefaultUnit, "kyso TEST Issuing CA", "kyso TEST Root CA",
		"kyso TEST TSA", "kyso TEST PKI", "kyso TEST OCSP", "commune", testpki.DefaultPassword,
		// the demo's command lines name its folders relatively
		" scans ", " signed", "scans/", "meta.csv",
		// archive check's check names, identifiers like JSON keys
		"pages, bbolt, schema, records, indexes, history, contents, chain", "Đăng ký khai sinh", "Đăng ký kết hôn", "Hòa Đông", base)

	for _, lang := range []string{i18n.VI, i18n.EN} {
		t.Run(lang, func(t *testing.T) {
			dir := filepath.Join(work, lang)
			os.MkdirAll(dir, 0o755)
			in := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
			trust := filepath.Join(pkiDir, "trust.pem")
			p12 := filepath.Join(pkiDir, "signer.p12")
			db := in("kyso.db")
			var steps []langStep
			// --help of every command, and a usage error of every one.
			for _, path := range commandPaths() {
				steps = append(steps, langStep{name: strings.Join(path, " ") + " --help", args: append(append([]string{}, path...), "--help")})
				steps = append(steps, langStep{name: strings.Join(path, " ") + " --no-such-flag", args: append(append([]string{}, path...), "--no-such-flag")})
			}
			steps = append(steps,
				langStep{name: "no such command", args: []string{"no-such-command"}},
				langStep{name: "version", args: []string{"--version"}},
				langStep{name: "verify without inputs", args: []string{"verify"}},
				langStep{name: "sign without --out", args: []string{"sign", scans}},
				langStep{name: "sign", args: []string{"sign", scans, "--out", in("signed"), "--p12", p12, "--pass-env", "KYSO_PASS", "--tsa", base + "/tsa", "--meta", filepath.Join(work, "meta.csv")}},
				langStep{name: "sign again (skipped)", args: []string{"sign", scans, "--out", in("signed"), "--p12", p12, "--pass-env", "KYSO_PASS", "--tsa", base + "/tsa"}},
				langStep{name: "sign a file that is not a PDF", args: []string{"sign", filepath.Join(work, "notpdf.pdf"), "--out", in("bad"), "--p12", p12, "--pass-env", "KYSO_PASS"}},
				langStep{name: "sign with an unset password variable", args: []string{"sign", scans, "--out", in("x"), "--p12", p12, "--pass-env", "KYSO_NO_SUCH_VAR"}},
				langStep{name: "verify", args: []string{"verify", "--trust", trust, "--report", in("report.html"), in("signed")}},
				langStep{name: "verify offline, soft", args: []string{"verify", "--offline", "--revocation", "soft", "--trust", trust, in("signed")}},
				langStep{name: "verify an unsigned and a broken file", args: []string{"verify", "--trust", trust, filepath.Join(scans, "scan-01.pdf"), filepath.Join(work, "notpdf.pdf")}},
				langStep{name: "verify a missing file", args: []string{"verify", in("no-such.pdf")}},
				langStep{name: "verify --report not html", args: []string{"verify", "--report", in("r.txt"), in("signed")}},
				langStep{name: "timestamp", args: []string{"timestamp", "--trust", trust, "--tsa", base + "/tsa", "--out", in("lta"), in("signed")}},
				langStep{name: "keys", args: []string{"keys", "--p12", p12, "--pass-env", "KYSO_PASS"}},
				langStep{name: "archive init", args: []string{"archive", "init", "--db", db, "--unit", "000.00.00.H26", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"}},
				langStep{name: "archive ingest", args: []string{"archive", "ingest", "--db", db, "--trust", trust, "--meta", filepath.Join(work, "meta.csv"), in("signed"), filepath.Join(scans, "scan-01.pdf")}},
				langStep{name: "archive ingest again", args: []string{"archive", "ingest", "--db", db, "--trust", trust, in("signed")}},
				langStep{name: "archive ls", args: []string{"archive", "ls", "--db", db}},
				langStep{name: "archive show", args: []string{"archive", "show", "--db", db, "1"}},
				langStep{name: "archive show missing", args: []string{"archive", "show", "--db", db, "999"}},
				langStep{name: "archive audit", args: []string{"archive", "audit", "--db", db, "--trust", trust, "--report", in("audit.html")}},
				langStep{name: "archive totals import", args: []string{"archive", "totals", "import", "--db", db, filepath.Join(work, "totals.csv")}},
				langStep{name: "archive totals ls", args: []string{"archive", "totals", "ls", "--db", db}},
				langStep{name: "archive report", args: []string{"archive", "report", "--db", db, "--year", "2025"}},
				langStep{name: "archive backup", args: []string{"archive", "backup", "--db", db, "--out", in("backup.db")}},
				langStep{name: "archive export", args: []string{"archive", "export", "--db", db, "--out", in("bag")}},
				langStep{name: "archive import without a catalogue", args: []string{"archive", "import", "--db", in("none.db"), "--trust", trust, in("bag")}},
				langStep{name: "archive init another", args: []string{"archive", "init", "--db", in("other.db"), "--unit", "000.00.00.H27", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"}},
				langStep{name: "archive import", args: []string{"archive", "import", "--db", in("other.db"), "--trust", trust, in("bag")}},
				langStep{name: "archive gc --dry-run", args: []string{"archive", "gc", "--db", db, "--dry-run"}},
				langStep{name: "archive checkpoint --list", args: []string{"archive", "checkpoint", "--db", db, "--list"}},
				langStep{name: "archive audit --reverify", args: []string{"archive", "audit", "--db", db, "--trust", trust, "--reverify"}},
				langStep{name: "archive ls filtered", args: []string{"archive", "ls", "--db", db, "--from", "2025-01-01", "--to", "2025-12-31", "--status", "valid"}},
				langStep{name: "archive report csv", args: []string{"archive", "report", "--db", db, "--year", "2025", "--format", "csv"}, machine: true},
				langStep{name: "help verify", args: []string{"help", "verify"}},
				langStep{name: "timestamp without --out", args: []string{"timestamp", "--tsa", base + "/tsa", in("signed")}},
				langStep{name: "timestamp in place", args: []string{"timestamp", "--trust", trust, "--tsa", base + "/tsa", "--in-place", in("lta")}},
				langStep{name: "verify --at", args: []string{"verify", "--trust", trust, "--at", "2030-01-01", in("signed")}},
				langStep{name: "verify --at bad", args: []string{"verify", "--at", "tomorrow", in("signed")}},
				langStep{name: "archive checkpoint", args: []string{"archive", "checkpoint", "--db", db, "--tsa", base + "/tsa"}},
				langStep{name: "archive renew", args: []string{"archive", "renew", "--db", db, "--trust", trust, "--tsa", base + "/tsa"}},
				langStep{name: "archive check", args: []string{"archive", "check", "--db", db}},
				langStep{name: "archive set-meta", args: []string{"archive", "set-meta", "--db", db, "1", "--issued-date", "2025-05-05"}},
				langStep{name: "archive without a command", args: []string{"archive"}},
				langStep{name: "demo", args: []string{"demo", "--dir", in("demo")}},
			)
			allowed := append(append([]string{}, dataValues...), dir, work, pkiDir)
			var clean []string
			for _, st := range steps {
				args := append([]string{"--lang", lang}, st.args...)
				var out, errb bytes.Buffer
				code := run(args, strings.NewReader(st.stdin), &out, &errb)
				var problems []string
				for _, stream := range []struct {
					name string
					text string
				}{{"stdout", out.String()}, {"stderr", errb.String()}} {
					if st.machine && stream.name == "stdout" {
						continue
					}
					st := &markState{}
					for i, line := range strings.Split(stream.text, "\n") {
						for _, p := range st.checkLine(line, lang, allowed) {
							problems = append(problems, fmt.Sprintf("%s line %d: %s\n    %q", stream.name, i+1, p, visible(line)))
						}
					}
				}
				if out.Len()+errb.Len() == 0 && !strings.Contains(st.name, "set-meta") {
					problems = append(problems, fmt.Sprintf("no output at all (exit %d)", code))
				}
				why, known := knownGaps[st.name]
				switch {
				case len(problems) > 0 && known:
					t.Logf("%s: known gap (%s):\n  %s", st.name, why, strings.Join(problems, "\n  "))
				case len(problems) > 0:
					t.Errorf("kyso %s (exit %d):\n  %s", strings.Join(args, " "), code, strings.Join(problems, "\n  "))
				case known:
					clean = append(clean, st.name)
				}
			}
			if len(clean) > 0 {
				t.Errorf("these steps are now clean: remove them from knownGaps: %q", clean)
			}
		})
	}
}

// commandPaths lists every command of the tree, as argument paths.
func commandPaths() [][]string {
	root := newLocalizedRootCmd(&streams{out: &bytes.Buffer{}, err: &bytes.Buffer{}}, i18n.EN)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.Hidden {
			return
		}
		paths = append(paths, path)
		for _, s := range c.Commands() {
			walk(s, append(append([]string{}, path...), s.Name()))
		}
	}
	walk(root, nil)
	for _, p := range paths {
		for _, name := range p {
			dataWords[name] = true
		}
	}
	// Flag names are syntax too (cobra's flag-group errors name them bare).
	var flags func(c *cobra.Command)
	flags = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { dataWords[f.Name] = true })
		for _, s := range c.Commands() {
			flags(s)
		}
	}
	flags(root)
	// The words of the commands' Use lines are syntax (INPUT, ID|SHA256).
	var use func(c *cobra.Command)
	use = func(c *cobra.Command) {
		for _, w := range strings.FieldsFunc(c.Use, func(r rune) bool { return r == ' ' || r == '[' || r == ']' || r == '|' }) {
			dataWords[strings.Trim(w, ".")] = true
		}
		for _, s := range c.Commands() {
			use(s)
		}
	}
	use(root)
	sort.Slice(paths, func(i, j int) bool { return strings.Join(paths[i], " ") < strings.Join(paths[j], " ") })
	return paths
}

// visible shows the marks of a traced line.
func visible(s string) string {
	return strings.NewReplacer(i18n.MarkOpen, "«", i18n.MarkClose, "»", i18n.MarkMissing, "‽", i18n.MarkArgOpen, "⟨", i18n.MarkArgEnd, "⟩").Replace(s)
}

// markState carries the marks open at the end of a line: messages span
// lines.
type markState struct{ depth, argDepth int }

// checkLine returns what is wrong with one traced line.
func (m *markState) checkLine(line, lang string, allowed []string) []string {
	var problems []string
	var outside, raw strings.Builder
	depth, argDepth := m.depth, m.argDepth
	defer func() { m.depth, m.argDepth = depth, argDepth }()
	missing := false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		switch string(rs[i]) {
		case i18n.MarkOpen:
			depth++
			if i+1 < len(rs) && string(rs[i+1]) == i18n.MarkMissing && lang == i18n.VI {
				missing = true
			}
			continue
		case i18n.MarkClose:
			if depth > 0 {
				depth--
			}
			continue
		case i18n.MarkMissing:
			continue
		case i18n.MarkArgOpen:
			argDepth++
			raw.WriteRune(' ')
			continue
		case i18n.MarkArgEnd:
			if argDepth > 0 {
				argDepth--
			}
			raw.WriteRune(' ')
			continue
		}
		switch {
		case argDepth > 0:
			// An argument inside a message: it counts as raw only when it
			// is not itself a message (messages nest).
			raw.WriteRune(rs[i])
		case depth == 0:
			outside.WriteRune(rs[i])
		}
	}
	if missing {
		problems = append(problems, "a message has no Vietnamese")
	}
	if w := nonData(outside.String(), allowed); w != "" {
		problems = append(problems, "text outside the catalogue: "+w)
	}
	if w := nonData(raw.String(), allowed); w != "" {
		problems = append(problems, "an argument that is not data: "+w)
	}
	return problems
}

var (
	quoted    = regexp.MustCompile(`"[^"]*"|'[^']*'`)
	dataToken = []*regexp.Regexp{
		regexp.MustCompile(`[/\\]`),               // a path or a URL
		regexp.MustCompile(`\.[A-Za-z0-9]{1,5}$`), // a file name
		regexp.MustCompile(`^[0-9a-fA-F]{6,}$`),   // a hash, a serial
		regexp.MustCompile(`^[\p{N}\p{P}\p{S}]+$`),
		regexp.MustCompile(`^-{1,2}[a-z0-9][a-z0-9-]*`), // a flag
		regexp.MustCompile(`^[A-Z0-9_.:\-…\[\]|#]+$`),   // a placeholder, a code
		regexp.MustCompile(`=`),                         // a name (CN=...)
		regexp.MustCompile(`^[\p{N}]+[A-Za-z]{1,3}$`),   // 200dpi, 2y, 72h, 12s
		regexp.MustCompile(`^[^@\s]+@[^@\s]+$`),         // an actor, user@host
		regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`),        // a field name (issued_date)
	}
	// dataWords are names that stay as they are in every language.
	dataWords = map[string]bool{"kyso": true, "PAdES": true, "TEST": true, "TSA": true, "OCSP": true, "CRL": true, "PDF": true,
		"KB": true, "dpi": true,
		// history event types, identifiers as --json writes them
		"ingested": true, "verified": true, "audited": true, "renewed": true, "exported": true, "imported": true,
		"meta-changed": true, "metadata-changed": true,
		// the name of the built-in validation policy, an identifier like --policy's
		"default": true, "bit": true, "byte": true, "ms": true, "s": true, "h": true, "dev": true, "Lắk": true, "Đắk": true}
)

// nonData returns the first word of s that is not data, or "".
func nonData(s string, allowed []string) string {
	for _, a := range allowed {
		if a != "" {
			s = strings.ReplaceAll(s, a, " ")
		}
	}
	// A quoted value is a literal (a flag's default, a name the user gave).
	s = quoted.ReplaceAllString(s, " ")
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;()\"'|", r)
	}) {
		w = strings.Trim(w, ".:;!?«»\"'`[]{}<>")
		if w == "" || dataWords[w] {
			continue
		}
		isData := false
		for _, re := range dataToken {
			if re.MatchString(w) {
				isData = true
				break
			}
		}
		if !isData {
			return w
		}
	}
	return ""
}
