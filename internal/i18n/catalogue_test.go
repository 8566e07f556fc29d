package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// keyArgs names the functions whose argument (by index) is a catalogue
// key: the Printer's methods, the package's constructors, and verify's
// helpers that record a reason.
var keyArgs = map[string]int{
	"T": 0, "Sprintf": 0, "Errorf": 0, "t": 0,
	"invalidf": 0, "indeterminatef": 0, "warnf": 0, "fileError": 0,
	"finding": 1, "fileFinding": 1, "newProgress": 1,
	"Usage": 1, "Input": 1, "Run": 1, "damagef": 0, "limitErr": 2, "LimitErrorf": 2, "spend": 4, "Report": 2, "problem": 0, "Usagef": 0, "Inputf": 0, "Runf": 0, "warn": 0,
}

// keyPackages are the receivers/packages whose T, Sprintf and Errorf are
// the catalogue's (fmt.Sprintf is not).
func isCatalogueCall(sel *ast.SelectorExpr) bool {
	name := sel.Sel.Name
	if id, ok := sel.X.(*ast.Ident); ok {
		switch id.Name {
		case "fmt", "errors", "strings", "log", "slog", "t", "tb":
			return false
		case "i18n":
			return name == "Sprintf" || name == "Errorf"
		case "fail":
			// the hint of fail.Usage, Input and Run (shown through Translate)
			return name == "Usage" || name == "Input" || name == "Run" || name == "Usagef" || name == "Inputf" || name == "Runf"
		}
	}
	return name == "T" || name == "t" || name == "spend" || name == "LimitErrorf" || name == "Report" || name == "problem" || name == "warn" || name == "invalidf" || name == "indeterminatef" || name == "warnf" ||
		name == "fileError" || name == "finding" || name == "fileFinding"
}

var templateKey = regexp.MustCompile(`\{\{T "((?:[^"\\]|\\.)*)"`)

// usedKeys finds every catalogue key written in the module's Go code.
func usedKeys(t *testing.T) map[string]string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				var name string
				switch fn := n.Fun.(type) {
				case *ast.SelectorExpr:
					if !isCatalogueCall(fn) {
						return true
					}
					name = fn.Sel.Name
				case *ast.Ident:
					name = fn.Name
					if name != "newProgress" && name != "damagef" && name != "limitErr" {
						return true
					}
				default:
					return true
				}
				i, ok := keyArgs[name]
				if !ok || len(n.Args) <= i {
					return true
				}
				if lit, ok := n.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						keys[s] = rel + ":" + strconv.Itoa(fset.Position(lit.Pos()).Line)
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING && strings.Contains(n.Value, "{{T ") {
					s, _ := strconv.Unquote(n.Value)
					for _, m := range templateKey.FindAllStringSubmatch(s, -1) {
						k, err := strconv.Unquote(`"` + m[1] + `"`)
						if err == nil {
							keys[k] = rel + ":" + strconv.Itoa(fset.Position(n.Pos()).Line)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestEveryKeyHasVietnamese fails on a catalogue key used in the code that
// has no Vietnamese: the message would show in English.
func TestEveryKeyHasVietnamese(t *testing.T) {
	keys := usedKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	var missing []string
	for k, where := range keys {
		if k == "" || k == "%s" || k == "%v" {
			continue
		}
		if !Has(VI, k) {
			missing = append(missing, where+": "+strconv.Quote(k))
		} else if !formatted[VI][k] {
			// in viHelp or viReport, which Text shows: T would not find it
			missing = append(missing, where+": "+strconv.Quote(k)+" (only in a map that Text shows: move it to viMessages)")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		if os.Getenv("I18N_LIST") != "" {
			for _, m := range missing {
				t.Log(m)
			}
		}
		t.Errorf("%d keys have no Vietnamese (I18N_LIST=1 lists them); add them to vi.go:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestVietnameseKeepsVerbs: a translation must use the same fmt verbs as
// its key, or the arguments land in the wrong place.
func TestVietnameseKeepsVerbs(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
	for k, v := range texts[VI] {
		if viHelp[k] != "" || viReport[k] != "" {
			continue
		}
		a, b := verbs.FindAllString(k, -1), verbs.FindAllString(v, -1)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%q: verbs %v, Vietnamese %q has %v", k, a, v, b)
		}
	}
}

// TestVietnameseIsTranslated catches a key copied as its own translation
// where it holds English words.
func TestVietnameseIsTranslated(t *testing.T) {
	english := regexp.MustCompile(`\b(the|is|not|and|of|file|files|signature|error|cannot|with|from)\b`)
	for k, v := range texts[VI] {
		if v == k && !strings.HasPrefix(k, "  kyso ") && english.MatchString(strings.ToLower(k)) {
			t.Errorf("%q is its own Vietnamese", k)
		}
	}
}

// TestMessagesRender: every message renders through x/text as written (a
// message registered only as text would not reach Printer.T).
func TestMessagesRender(t *testing.T) {
	p := New(VI)
	for k, v := range viMessages {
		if strings.Contains(k, "%") || strings.Contains(v, "%") {
			continue
		}
		if got := p.T(k); got != v {
			t.Errorf("%q renders %q, want %q", k, got, v)
		}
	}
}
