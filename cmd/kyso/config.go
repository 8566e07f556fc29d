package main

import (
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

// configFile is the configuration file a run read: its path and where kyso
// found it. A config file sets flags, among them trust anchors and the TSA,
// so it is read only from places the user or the administrator controls —
// never from the working folder or a folder of documents, which may have
// come with the documents (issue 12).
type configFile struct {
	Path   string
	Source string // "--config", "$XDG_CONFIG_HOME", "user config folder", "system"
}

// systemConfig is the system-wide config file (Unix only); a variable so
// tests can point it elsewhere.
var systemConfig = "/etc/kyso/kyso.yaml"

// findConfig says which config file applies: --config, else the user's
// ($XDG_CONFIG_HOME, else os.UserConfigDir), else the system's. Only the
// first that exists is read; they are not merged. A relative
// $XDG_CONFIG_HOME is ignored (the XDG specification says so), as it would
// make the working folder a config location again.
func findConfig(explicit string) (configFile, error) {
	if explicit != "" {
		return configFile{Path: explicit, Source: "--config"}, nil
	}
	var candidates []configFile
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg != "" && filepath.IsAbs(xdg) {
		// Honoured on every system (Go's UserConfigDir reads it on Unix only).
		candidates = append(candidates, configFile{Path: filepath.Join(xdg, "kyso", "kyso.yaml"), Source: "$XDG_CONFIG_HOME"})
	}
	if dir, err := os.UserConfigDir(); err == nil && dir != "" && filepath.IsAbs(dir) && (xdg == "" || filepath.Clean(dir) != filepath.Clean(xdg)) {
		candidates = append(candidates, configFile{Path: filepath.Join(dir, "kyso", "kyso.yaml"), Source: "user config folder"})
	}
	if runtime.GOOS != "windows" && systemConfig != "" {
		candidates = append(candidates, configFile{Path: systemConfig, Source: "system"})
	}
	for _, c := range candidates {
		if st, err := os.Stat(c.Path); err == nil && !st.IsDir() {
			return c, nil
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return configFile{}, fail.Usage(i18n.Errorf("config %s: %v", c.Path, err), "")
		}
	}
	return configFile{}, nil
}

// describe is the one stderr line naming the config that was read.
func (c configFile) describe() string {
	return fmt.Sprintf("kyso: config: %s (from %s)", c.Path, c.Source)
}

// applyConfig sets every flag the user did not set from the config file,
// whose keys are flag names. A key may also sit under a section named after
// the command ("sign:", "archive ingest:"), which wins over the top level.
// A key that is no flag of any command, or a section key that is no flag of
// its command, is an error with the nearest names: a misspelt "trust" must
// not silently leave the system roots in force.
func applyConfig(cmd *cobra.Command, g *globalOptions) error {
	cf, err := findConfig(g.Config)
	if err != nil || cf.Path == "" {
		return err
	}
	path := cf.Path
	data, err := fileutil.ReadFileMax(path, 1<<20)
	if err != nil {
		return fail.Usage(i18n.Errorf("config %s: %v", path, fileutil.UnwrapPath(err)), "")
	}
	g.config = cf
	fmt.Fprintln(g.io.err, cf.describe())
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return fail.Usage(i18n.Errorf("config %s: %v", path, err), "the config file is YAML whose keys are flag names")
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
				return fail.Usage(i18n.Errorf("config %s: %q cannot be set in a config file", path, key),
					"name the variable or file that holds it: pass-env, pass-file, pin-env, pin-file")
			}
		}
	}
	if err := checkConfigKeys(cmd.Root(), path, raw); err != nil {
		return err
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
				errs = append(errs, i18n.Errorf("config %s: %s: %v", path, f.Name, err))
			}
			// Set, for cobra's flag groups and required flags, as if given.
			f.Changed = true
		}
	})
	if len(errs) > 0 {
		return fail.Usage(errors.Join(errs...), "")
	}
	return nil
}

// checkConfigKeys refuses keys that no command knows: a top-level key must
// be a flag of some command, a section must be a command path, and a key in
// a section a flag of that command.
func checkConfigKeys(root *cobra.Command, path string, raw map[string]any) error {
	flagsOf := map[string]map[string]bool{} // command path without "kyso " -> flag names
	all := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		names := map[string]bool{}
		add := func(f *pflag.Flag) {
			if f.Name == "config" || f.Name == "help" || f.Name == "version" {
				return
			}
			names[f.Name] = true
			all[f.Name] = true
		}
		c.Flags().VisitAll(add)
		c.InheritedFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		if c != root {
			flagsOf[strings.TrimPrefix(c.CommandPath(), root.Name()+" ")] = names
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		if sec, ok := raw[k].(map[string]any); ok {
			flags, isCmd := flagsOf[k]
			if !isCmd {
				errs = append(errs, unknownKey(path, k, fmt.Sprintf("section %q", k), setKeys(flagsOf)))
				continue
			}
			sk := make([]string, 0, len(sec))
			for s := range sec {
				sk = append(sk, s)
			}
			sort.Strings(sk)
			for _, s := range sk {
				if !flags[s] {
					errs = append(errs, unknownKey(path, s, fmt.Sprintf("key %q in section %s", s, k), setList(flags)))
				}
			}
			continue
		}
		if !all[k] {
			errs = append(errs, unknownKey(path, k, fmt.Sprintf("key %q", k), setList(all)))
		}
	}
	if len(errs) > 0 {
		return fail.Usage(errors.Join(errs...), "config keys are flag names (see 'kyso COMMAND --help'); sections are command names such as sign or \"archive ingest\"")
	}
	return nil
}

func setList(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setKeys(m map[string]map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unknownKey names an unknown key (what says which, quoted) and the known
// names nearest to it.
func unknownKey(path, name, what string, known []string) error {
	best, bestD := []string(nil), 1<<30
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		switch {
		case d < bestD:
			best, bestD = []string{k}, d
		case d == bestD:
			best = append(best, k)
		}
	}
	// Only names close enough to be a slip of the keyboard are offered.
	if bestD > max(2, len(name)/3) || len(best) > 3 {
		return i18n.Errorf("config %s: unknown %s", path, what)
	}
	return i18n.Errorf("config %s: unknown %s; did you mean %s?", path, what, quoteOr(best))
}

func quoteOr(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
