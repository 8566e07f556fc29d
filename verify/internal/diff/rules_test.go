package diff

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite the rule table of docs/verify-changes.md")

// The registry: IDs unique and well formed, one-sentence docs, valid
// levels and roles, every role judged by a rule, every rule cited by a
// judge (a rule nothing cites would be documented and never applied).
func TestRegistry(t *testing.T) {
	src, err := os.ReadFile("rules.go")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^\s*(\w+)\s*=\s*(?:rejecting\()?rule\(("[^"]+"|Unexplained)`)
	vars := map[string]string{}
	seen := map[string]bool{}
	for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
		id := strings.Trim(m[2], `"`)
		if m[2] == "Unexplained" {
			id = Unexplained
		}
		if seen[id] {
			t.Errorf("rule %s declared twice", id)
		}
		seen[id] = true
		vars[id] = m[1]
	}
	if len(seen) != len(Rules()) || len(seen) < 60 {
		t.Fatalf("rules.go declares %d rules, the registry holds %d", len(seen), len(Rules()))
	}
	var code bytes.Buffer
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if f == "rules.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		code.Write(b)
	}
	id := regexp.MustCompile(`^[a-z]+(\.[a-z]+(-[a-z]+)*)?$`)
	known := map[Role]bool{}
	for _, r := range Roles {
		known[r] = true
	}
	judged := map[Role]bool{}
	for _, r := range Rules() {
		if !id.MatchString(r.ID) {
			t.Errorf("rule ID %q is not of the form area.what-it-is", r.ID)
		}
		doc := strings.TrimSpace(r.Doc)
		if doc == "" || !strings.HasSuffix(doc, ".") || strings.Contains(doc[:len(doc)-1], ". ") || doc[0] < 'A' || doc[0] > 'Z' {
			t.Errorf("rule %s: doc %q is not one sentence", r.ID, r.Doc)
		}
		if r.Level < None || r.Level > Other {
			t.Errorf("rule %s: level %d", r.ID, r.Level)
		}
		if len(r.Roles) == 0 {
			t.Errorf("rule %s judges no role", r.ID)
		}
		for _, ro := range r.Roles {
			if !known[ro] {
				t.Errorf("rule %s: unknown role %q", r.ID, ro)
			}
			if r.ID != Unexplained {
				judged[ro] = true
			}
		}
		if r.ID != Unexplained && !regexp.MustCompile(`\b`+vars[r.ID]+`\b`).Match(code.Bytes()) {
			t.Errorf("rule %s (%s) is cited by no judge", r.ID, vars[r.ID])
		}
	}
	for _, ro := range Roles {
		if !judged[ro] && ro != RoleObject {
			t.Errorf("role %s has no rule (only %s)", ro, Unexplained)
		}
	}
	if u, _ := Lookup(Unexplained); u.Level != Other {
		t.Errorf("%s is %s, want other", Unexplained, u.Level)
	}
}

func TestPolicy(t *testing.T) {
	if _, err := NewPolicy(registry["dss.added"], registry["dss.added"]); err == nil {
		t.Error("a rule listed twice is accepted")
	}
	// A rule left out of the policy explains nothing: what it would have
	// accepted becomes unexplained (other).
	cs, _ := attackCases(t)
	c := cs["legit/dss"]
	var rules []Rule
	for _, r := range Rules() {
		if r.ID != "dss.added" {
			rules = append(rules, r)
		}
	}
	pol, err := NewPolicy(rules...)
	if err != nil {
		t.Fatal(err)
	}
	o := caseOptions(c)
	o.Policy = pol
	res := analyse(t, c.PDF, c.Field, o)
	if res.Level != Other || len(res.Problems) == 0 || res.Problems[0].Rule != Unexplained || !strings.Contains(res.Problems[0].What, "dss.added") {
		t.Fatalf("without dss.added: %+v", res)
	}
	if res := analyse(t, c.PDF, c.Field, caseOptions(c)); res.Level != Archival || len(res.Problems) != 0 {
		t.Fatalf("default policy: %+v", res)
	}
}

// RulesTable renders the registry as the Markdown table of
// docs/verify-changes.md.
func rulesTable() string {
	var b strings.Builder
	b.WriteString("| rule | level | roles | what it judges |\n|---|---|---|---|\n")
	for _, r := range Rules() {
		var roles []string
		for _, ro := range r.Roles {
			roles = append(roles, string(ro))
		}
		if r.ID == Unexplained {
			roles = []string{"every role"}
		}
		level := r.Level.String()
		if r.Reject {
			level += " (always refused)"
		}
		b.WriteString("| `" + r.ID + "` | " + level + " | " + strings.Join(roles, ", ") + " | " + strings.ReplaceAll(r.Doc, "|", "\\|") + " |\n")
	}
	return b.String()
}

const (
	tableBegin = "<!-- rules:begin (generated from verify/internal/diff/rules.go: go test ./verify/internal/diff -run TestRulesDoc -update) -->\n"
	tableEnd   = "<!-- rules:end -->"
)

// docs/verify-changes.md lists the rules as the registry has them.
func TestRulesDoc(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "verify-changes.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated rule table (markers %q ... %q)", path, tableBegin, tableEnd)
	}
	have := s[i+len(tableBegin) : j]
	want := rulesTable()
	if have == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(path, []byte(s[:i+len(tableBegin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the rule table of docs/verify-changes.md is out of date: run go test ./verify/internal/diff -run TestRulesDoc -update")
}

func TestLevels(t *testing.T) {
	// want[level][P] for P = 0 (approval), 1, 2, 3.
	want := map[Level][4]bool{
		None:       {true, true, true, true},
		Archival:   {true, true, true, true},
		FormFill:   {true, false, true, true},
		Annotation: {true, false, false, true},
		Other:      {false, false, false, false},
	}
	for l, row := range want {
		for p, ok := range row {
			if got := Allowed(l, p); got != ok {
				t.Errorf("Allowed(%s, %d) = %v, want %v", l, p, got, ok)
			}
		}
	}
	names := []string{"none", "archival", "form-fill", "annotation", "other"}
	for l := None; l <= Other; l++ {
		if l.String() != names[l] {
			t.Errorf("%d.String() = %q", l, l)
		}
	}
	if !slices.IsSorted([]Level{None, Archival, FormFill, Annotation, Other}) {
		t.Error("levels out of order")
	}
}

// A rule explains only objects of the roles it declares: cited for
// another role, the change is unexplained.
func TestRuleRoles(t *testing.T) {
	a := &chgAnalysis{pol: DefaultPolicy(), rep: &Result{}}
	a.find(1, pdfRef(3), RoleDSS, "dss.added", "DSS updated")
	a.find(1, pdfRef(4), RolePage, "dss.added", "DSS updated")
	a.find(1, pdfRef(5), RolePage, Unexplained, "page changed")
	got := a.rep.Findings
	if len(got) != 3 || got[0].Rule != "dss.added" || got[0].Level != Archival ||
		got[1].Rule != Unexplained || got[1].Level != Other || !strings.Contains(got[1].What, "does not judge the role page") ||
		got[2].Rule != Unexplained {
		t.Fatalf("findings %+v", got)
	}
}
