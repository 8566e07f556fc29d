package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/kyso-project/kyso/internal/fail"
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

	io  *streams
	log *slog.Logger
}

// stderrIsTerminal reports whether progress may be drawn.
func (g *globalOptions) stderrIsTerminal() bool {
	f, ok := g.io.err.(*os.File)
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
	g := &globalOptions{io: s}
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
	pf.StringVar(&g.Config, "config", "", "config file (default ./kyso.yaml, then the user config folder's kyso/kyso.yaml)")
	pf.BoolVar(&g.Progress, "progress", false, "draw progress on stderr even when it is not a terminal")
	pf.StringVar(&g.Lang, "lang", "", "language of human output: vi or en (default vi; en when the locale is English)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fail.Usage(err, fmt.Sprintf("see '%s --help'", c.CommandPath()))
	})
	for _, add := range commands {
		root.AddCommand(add(g))
	}
	return root
}

// commands is filled by each command's file in init, so adding a command is
// a new file and nothing else.
var commands []func(*globalOptions) *cobra.Command

func (g *globalOptions) setupLogging() error {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
		return fail.Usagef("--log-level %q: want debug, info, warn or error", g.LogLevel)
	}
	o := &slog.HandlerOptions{Level: lvl}
	switch g.LogFormat {
	case "text":
		g.log = slog.New(slog.NewTextHandler(g.io.err, o))
	case "json":
		g.log = slog.New(slog.NewJSONHandler(g.io.err, o))
	default:
		return fail.Usagef("--log-format %q: want text or json", g.LogFormat)
	}
	return nil
}

// language returns "vi" or "en".
func (g *globalOptions) language() string {
	l := g.Lang
	if l == "" {
		for _, v := range []string{"KYSO_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
			if s := os.Getenv(v); s != "" {
				l = s
				break
			}
		}
	}
	// kyso is made for Vietnamese units: Vietnamese unless the locale or
	// --lang asks for English.
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "vi"
}

// applyConfig sets every flag the user did not set from the config file,
// whose keys are flag names. A key may also sit under a section named after
// the command ("sign:", "archive ingest:"), which wins over the top level.
func applyConfig(cmd *cobra.Command, g *globalOptions) error {
	path := g.Config
	explicit := path != ""
	if !explicit {
		path = "kyso.yaml"
		if _, err := os.Stat(path); err != nil {
			dir, derr := os.UserConfigDir()
			if derr != nil {
				return nil
			}
			path = filepath.Join(dir, "kyso", "kyso.yaml")
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fail.Usage(fmt.Errorf("config %s: %w", path, err), "")
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fail.Usage(fmt.Errorf("config %s: %w", path, err), "the config file is YAML whose keys are flag names")
	}
	for k, v := range raw {
		keys := []string{k}
		if sec, ok := v.(map[string]any); ok {
			keys = keys[:0]
			for sk := range sec {
				keys = append(keys, sk)
			}
		}
		for _, key := range keys {
			if isSecretFlag(key) {
				return fail.Usage(fmt.Errorf("config %s: %q cannot be set in a config file", path, key),
					"name the variable or file that holds it: pass-env, pass-file, pin-env, pin-file")
			}
		}
	}
	values := map[string]any{}
	for k, v := range raw {
		if _, isSection := v.(map[string]any); !isSection {
			values[k] = v
		}
	}
	section := strings.TrimPrefix(cmd.CommandPath(), "kyso ")
	if sec, ok := raw[section].(map[string]any); ok {
		for k, v := range sec {
			values[k] = v
		}
	}
	var errs []error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		v, ok := values[f.Name]
		if !ok || f.Changed {
			return
		}
		items := []any{v}
		if list, ok := v.([]any); ok {
			items = list
		}
		for _, it := range items {
			if err := f.Value.Set(fmt.Sprint(it)); err != nil {
				errs = append(errs, fmt.Errorf("config %s: %s: %w", path, f.Name, err))
			}
		}
	})
	if len(errs) > 0 {
		return fail.Usage(errors.Join(errs...), "")
	}
	return nil
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
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "requires at least", "accepts ", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
