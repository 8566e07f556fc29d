package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/verify/internal/diff"
)

// chgTestdata is the module's folder of PDF fixtures.
func chgTestdata(testing.TB) string { return filepath.Join("..", "testdata", "pdf") }

var chgCases struct {
	once  sync.Once
	cases []attackgen.Case
	err   error
}

// chgAttackCases builds the attack documents once per test binary.
func chgAttackCases(t testing.TB) []attackgen.Case {
	t.Helper()
	chgCases.once.Do(func() {
		dir := chgTestdata(t)
		var b attackgen.Bases
		for name, dst := range map[string]*[]byte{"simple.pdf": &b.Simple, "xrefstream.pdf": &b.XrefStream, "form.pdf": &b.Form, "scan200.pdf": &b.Scan} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				chgCases.err = err
				return
			}
			*dst = data
		}
		chgCases.cases, chgCases.err = attackgen.Cases(b)
	})
	if chgCases.err != nil {
		t.Fatal(chgCases.err)
	}
	return chgCases.cases
}

// chgVerdict is what CheckByteRange and AnalyzeChanges conclude about the
// signature in one field.
type chgVerdict struct {
	cov       Coverage
	brProblem []string
	sigRev    int
	rep       *ChangeReport
}

func chgJudge(t *testing.T, doc []byte, field string, mdp MDP) chgVerdict {
	t.Helper()
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	// The field may be gone from the newest revision (a new catalog): look
	// in older ones, as a verifier does.
	var fd pdf.Dict
	for i := len(r.Revisions()) - 1; i >= 0 && fd == nil; i-- {
		_, fd, _ = attackgen.FieldRef(r.At(i), field)
	}
	if fd == nil {
		t.Fatalf("field %s not found", field)
	}
	sref, ok := fd["V"].(pdf.Ref)
	if !ok {
		t.Fatalf("field %s has no signature reference", field)
	}
	sd, err := r.Dict(sref)
	if err != nil || sd == nil {
		t.Fatalf("signature dictionary: %v", err)
	}
	var v chgVerdict
	v.sigRev = -1
	for _, rv := range r.Revisions() {
		if _, ok := rv.Entries[sref.Num]; ok {
			v.sigRev = rv.Index
			break
		}
	}
	hint := int64(-1)
	if e, ok := r.Lookup(sref.Num); ok && e.Type == 1 {
		hint = e.Offset
	}
	v.cov, err = CheckByteRange(r, sd, hint)
	if err != nil {
		t.Fatalf("CheckByteRange: %v", err)
	}
	v.brProblem = v.cov.Problems
	if len(v.brProblem) == 0 && v.cov.Revision != v.sigRev {
		v.brProblem = append(v.brProblem, fmt.Sprintf("the signed bytes end at revision %d, not at revision %d that holds the signature", v.cov.Revision, v.sigRev))
	}
	v.rep, err = AnalyzeChanges(context.Background(), r, v.sigRev, field, mdp)
	if err != nil {
		t.Fatalf("AnalyzeChanges: %v", err)
	}
	return v
}

func chgMDP(c attackgen.Case) MDP {
	m := MDP{DocMDP: c.DocMDP}
	if c.Lock != nil {
		var fields pdf.Array
		for _, f := range c.Lock.Fields {
			fields = append(fields, pdf.Str(f))
		}
		m.FieldLocks = append(m.FieldLocks, FieldLock{"Action": pdf.Name(c.Lock.Action), "Fields": fields})
	}
	return m
}

func chgDescribe(rep *ChangeReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "class %s\n", rep.Class)
	for _, c := range rep.Changes {
		fmt.Fprintf(&b, "  change [%s] %s: %s\n", c.Class, c.Rule, c)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  problem %s\n", p)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "  warning %s\n", w)
	}
	return b.String()
}

// TestAttacks runs every generated attack and legitimate update through the
// ByteRange check and the change analysis and asserts the verdict, the
// change class and that the reason names the object and what changed.
func TestAttacks(t *testing.T) {
	cases := chgAttackCases(t)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	families := map[string]int{}
	for _, c := range cases {
		families[c.Attack]++
		t.Run(c.Name, func(t *testing.T) {
			v := chgJudge(t, c.PDF, c.Field, chgMDP(c))
			rep := v.rep
			ex := c.Expect
			if ex.Class != "" && rep.Class.String() != ex.Class {
				t.Errorf("class %s, want %s\n%s", rep.Class, ex.Class, chgDescribe(rep))
			}
			var reasons []string
			switch ex.By {
			case "":
				if !ex.Valid {
					t.Fatal("bad case: neither valid nor rejected by a check")
				}
				if len(v.brProblem) > 0 || len(rep.Problems) > 0 || !Allowed(rep.Class, c.DocMDP) {
					t.Fatalf("legitimate update rejected: byte range %v\n%s", v.brProblem, chgDescribe(rep))
				}
				for _, ch := range rep.Changes {
					reasons = append(reasons, ch.String())
				}
			case attackgen.ByByteRange:
				if len(v.brProblem) == 0 {
					t.Fatalf("ByteRange accepted (coverage %+v)", v.cov)
				}
				reasons = v.brProblem
			case attackgen.ByChanges:
				if len(v.brProblem) > 0 {
					t.Errorf("unexpected ByteRange problems %v", v.brProblem)
				}
				if len(rep.Problems) == 0 {
					t.Fatalf("no problem reported\n%s", chgDescribe(rep))
				}
				reasons = rep.Problems
			case attackgen.ByCMS:
				if len(v.brProblem) > 0 || len(rep.Problems) > 0 {
					t.Fatalf("structure rejected, but only the CMS is broken: %v\n%s", v.brProblem, chgDescribe(rep))
				}
			}
			all := strings.Join(reasons, "\n")
			if ex.Reason != "" && !strings.Contains(all, ex.Reason) {
				t.Errorf("reasons do not say %q:\n%s", ex.Reason, all)
			}
			if !ex.Valid {
				all += "\n" + strings.Join(rep.Problems, "\n")
			}
			// Every change names the rule that judged it; the object is
			// matched on the change, not on the prose.
			named := false
			for _, ch := range append(append([]Change(nil), rep.Changes...), rep.ProblemChanges...) {
				if _, ok := diff.Lookup(ch.Rule); !ok {
					t.Errorf("change %q names no registered rule (%q)", ch, ch.Rule)
				}
				named = named || ch.Object.Num == ex.Object
			}
			if ex.Object != 0 && ex.By == attackgen.ByByteRange {
				named = regexp.MustCompile(fmt.Sprintf(`\bobject %d\b`, ex.Object)).MatchString(all)
			}
			if ex.Object != 0 && !named {
				t.Errorf("no change of object %d:\n%s", ex.Object, chgDescribe(rep))
			}
		})
	}
	for _, f := range []string{"USF", "ISA", "SWA", "Shadow-Hide", "Shadow-Replace", "Shadow-Hide-and-Replace", "EAA", "SSA", "Legitimate"} {
		if families[f] == 0 {
			t.Errorf("no case of attack class %s", f)
		}
	}
}
