package main

import (
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/termsafe"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globalOptions are the flags every command has.
type globalOptions struct {
	JSON      bool
	LogFormat string
	LogLevel  string
	Config    string
	Progress  bool
	Lang      string

	// config is the configuration file that was read (empty: none).
	config configFile

	io  *streams
	log *slog.Logger
	// p renders the catalogue's messages in the run's language (pr).
	p *i18n.Printer
	// detected is the language found before parsing (--lang, $KYSO_LANG,
	// the locale), which --help is rendered in.
	detected string
}

// stderrIsTerminal reports whether progress may be drawn.
func (g *globalOptions) stderrIsTerminal() bool {
	f, ok := termsafe.RawWriter(g.io.err).(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// showProgress says whether a progress bar goes to stderr.
func (g *globalOptions) showProgress() bool { return g.Progress || g.stderrIsTerminal() }

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newRootCmd(s *streams) *cobra.Command {
	return newLocalizedRootCmd(s, "")
}

// newLocalizedRootCmd builds the command tree in lang (vi or en; "" leaves
// the English keys as they are, for tools that read the tree).
func newLocalizedRootCmd(s *streams, lang string) *cobra.Command {
	g := &globalOptions{io: s, detected: lang}
	root := &cobra.Command{
		Use:   "kyso",
		Short: "Sign, timestamp, verify and archive scanned PDFs of TTHC results",
		Long: `kyso signs folders of scanned administrative-procedure results (TTHC) with the
unit's certificate (PKCS#11 token or .p12 file) as PAdES signatures with a visible
stamp in the Decree 30/2020 form, verifies signatures with a verdict an auditor can
defend, and keeps signed results in a local catalogue with fixity checks, archive
timestamps and the yearly digitization report.`,
		Example: `  kyso demo                                   # the whole job on a test PKI, offline
  kyso sign scans/ --out signed/ --p12 unit.p12 --pass-env KYSO_PASS --tsa http://tsa.example/tsr
  kyso verify --trust roots/ signed/
  kyso archive ingest --db kyso.db signed/`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := applyConfig(cmd, g); err != nil {
				return err
			}
			return g.setupLogging()
		},
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	pf := root.PersistentFlags()
	pf.BoolVar(&g.JSON, "json", false, "write JSON Lines to stdout (one object per input or row)")
	pf.StringVar(&g.LogFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&g.LogLevel, "log-level", "warn", "log level: debug, info, warn or error")
	pf.StringVar(&g.Config, "config", "", "config file (default: the user config folder's kyso/kyso.yaml, else /etc/kyso/kyso.yaml; never the working folder)")
	pf.BoolVar(&g.Progress, "progress", false, "draw progress on stderr even when it is not a terminal")
	pf.StringVar(&g.Lang, "lang", "", "language of human output: vi or en (default vi; en when the locale is English)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fail.Usage(err, i18n.Sprintf("see '%s --help'", c.CommandPath()))
	})
	for _, add := range commands {
		root.AddCommand(add(g))
	}
	if lang != "" {
		localize(root, g.pr())
	}
	return root
}

// commands is filled by each command's file in init, so adding a command is
// a new file and nothing else.
var commands []func(*globalOptions) *cobra.Command

func (g *globalOptions) setupLogging() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return fail.Usage(i18n.Errorf("--log-level %q: want debug, info, warn or error", g.LogLevel), "")
	}
	o := &slog.HandlerOptions{Level: lvl}
	switch g.LogFormat {
	case "text":
		g.log = slog.New(slog.NewTextHandler(g.io.err, o))
	case "json":
		g.log = slog.New(slog.NewJSONHandler(termsafe.RawWriter(g.io.err), o))
	default:
		return fail.Usage(i18n.Errorf("--log-format %q: want text or json", g.LogFormat), "")
	}
	return nil
}

// language returns "vi" or "en": --lang, else what was found before
// parsing, else $KYSO_LANG and the locale; Vietnamese unless English is
// asked for.
func (g *globalOptions) language() string {
	if g.Lang != "" {
		return i18n.Normalize(g.Lang)
	}
	if g.detected != "" {
		return g.detected
	}
	return i18n.Detect(nil, os.Getenv)
}

// isSecretFlag guards against a secret being written into a config file:
// only the names of variables and files that hold secrets may be.
func isSecretFlag(name string) bool {
	switch strings.ToLower(name) {
	case "pass", "pin", "password", "passphrase", "secret":
		return true
	}
	return false
}

func isCobraUsageError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "requires at least", "accepts ", "invalid argument", "flag needs an argument", "required flag",
		// cobra's flag groups (MarkFlagsMutuallyExclusive, ...RequiredTogether, ...OneRequired)
		"if any flags in the group", "at least one of the flags in the group"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
