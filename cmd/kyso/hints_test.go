package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
)

// TestEveryRemedyHasAHint: each remedy a library can return is worded in
// remedyHints, in English and in Vietnamese, and the table words nothing
// else.
func TestEveryRemedyHasAHint(t *testing.T) {
	for _, r := range fail.Remedies() {
		key, ok := remedyHints[r]
		switch {
		case !ok || key == "":
			t.Errorf("remedy %v has no hint in remedyHints (cmd/kyso/hints.go)", r)
		case !i18n.Has(i18n.VI, key):
			t.Errorf("the hint of remedy %v has no Vietnamese (internal/i18n/vi.go): %q", r, key)
		}
	}
	if len(remedyHints) != len(fail.Remedies()) {
		t.Errorf("remedyHints has %d entries for %d remedies", len(remedyHints), len(fail.Remedies()))
	}
	if _, ok := remedyHints[fail.RemedyNone]; ok {
		t.Error("RemedyNone has a hint")
	}
}

// TestHintsNameTheFlags: the hints a user sees name the flags, the
// remedy's arguments come from the error, and a library's free-text hint
// is shown as it is.
func TestHintsNameTheFlags(t *testing.T) {
	p := i18n.New(i18n.EN)
	base := i18n.Errorf("no catalogue")
	cases := []struct {
		err  error
		want string
	}{
		{fail.UsageWith(base, fail.RemedyTSA), "--tsa URL"},
		{fail.RunWith(base, fail.RemedyInitCatalogue, "/data/k.db"), "kyso archive init --db /data/k.db --unit"},
		{fail.RunWith(base, fail.RemedyCheckDamaged, "/data/k.db"), "`kyso archive check --db /data/k.db`"},
		{fail.Input(fail.RunWith(base, fail.RemedyLockTimeout), ""), "--lock-timeout"},
		{fail.Run(base, "restore it from a backup"), "restore it from a backup"},
		{base, ""},
	}
	for _, c := range cases {
		if got := hintOf(p, c.err); (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("hint of %v (%v) = %q, want %q", c.err, fail.RemedyOf(c.err), got, c.want)
		}
	}
	if got := hintOf(i18n.New(i18n.VI), fail.UsageWith(base, fail.RemedyTSA)); !strings.Contains(got, "--tsa") || got == remedyHints[fail.RemedyTSA] {
		t.Errorf("Vietnamese hint %q", got)
	}
}

// libraryDirs are the library packages whose strings must name no flag;
// skipped are test helpers and the demo, which prints command lines.
var (
	libraryDirs  = []string{"sign", "verify", "archive", "internal"}
	skippedPaths = []string{"internal/i18n", "internal/pdftest", "internal/demo", "internal/testtool", "internal/keys/pkcs11/softhsmtest"}
)

// cliFlags returns the long and short names of every flag of the command
// tree (cobra's help and version flags too).
func cliFlags() (long, short map[string]bool) {
	long, short = map[string]bool{}, map[string]bool{}
	root := newLocalizedRootCmd(&streams{out: &bytes.Buffer{}, err: &bytes.Buffer{}}, i18n.EN)
	root.InitDefaultVersionFlag()
	add := func(f *pflag.Flag) {
		long[f.Name] = true
		if f.Shorthand != "" {
			short[f.Shorthand] = true
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return long, short
}

var (
	longFlag  = regexp.MustCompile(`--(%|[a-z][a-z0-9]*(?:-[a-z0-9]+)*)`)
	shortFlag = regexp.MustCompile(`(?:^|[\s'"(\x60])-([a-zA-Z])(?:[\s'")\x60,.;:]|$)`)
)

// TestNoLibraryStringNamesAFlag: no string literal of the libraries names
// a flag of kyso (or builds one, "--%s"): the libraries return typed
// remedies (fail.Remedy) and the command line words them (remedyHints).
// Comments are not read.
func TestNoLibraryStringNamesAFlag(t *testing.T) {
	long, short := cliFlags()
	if !long["tsa"] || !long["force"] || !long["lock-timeout"] || !short["o"] {
		t.Fatalf("the flags of the command tree are not all found: %d long, %d short", len(long), len(short))
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	files := 0
	fset := token.NewFileSet()
	for _, dir := range libraryDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				for _, s := range skippedPaths {
					if rel == s {
						return filepath.SkipDir
					}
				}
				if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files++
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Field:
					// a struct tag (`json:"-"`) is not a message
					if n.Type != nil {
						ast.Inspect(n.Type, func(m ast.Node) bool { return inspectLit(m, fset, rel, long, short, &found) })
					}
					return false
				case *ast.ImportSpec:
					return false
				}
				return inspectLit(n, fset, rel, long, short, &found)
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 100 {
		t.Fatalf("read only %d files: the walk is broken", files)
	}
	sort.Strings(found)
	if len(found) > 0 {
		t.Errorf("%d library strings name a flag of kyso; return a fail.Remedy and word it in cmd/kyso/hints.go:\n  %s",
			len(found), strings.Join(found, "\n  "))
	}
}

// inspectLit records a string literal n that names a flag.
func inspectLit(n ast.Node, fset *token.FileSet, rel string, long, short map[string]bool, found *[]string) bool {
	lit, ok := n.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return true
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		return true
	}
	var names []string
	for _, m := range longFlag.FindAllStringSubmatch(s, -1) {
		if m[1] == "%" || long[m[1]] {
			names = append(names, "--"+m[1])
		}
	}
	for _, m := range shortFlag.FindAllStringSubmatch(s, -1) {
		if short[m[1]] {
			names = append(names, "-"+m[1])
		}
	}
	if len(names) > 0 {
		*found = append(*found, rel+":"+strconv.Itoa(fset.Position(lit.Pos()).Line)+": "+strings.Join(names, " ")+" in "+strconv.Quote(s))
	}
	return true
}
