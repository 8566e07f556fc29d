package verify

import (
	"strings"
	"testing"
)

// Changes after signing reach the Report as findings whose ID is the rule
// that judged them (docs/verify-changes.md): invalid for a refused change,
// a warning for form filling an approval signature accepts.
func TestChangeFindings(t *testing.T) {
	cases := map[string]struct{ id, severity string }{
		"isa/page-content":               {"page.contents", "invalid"},
		"legit/second-signature":         {"field.new-signature", "warning"},
		"ssa/visible-signature-p2":       {"field.new-visible-after-certification", "invalid"},
		"shadow/hide-annotation-removed": {"annotation.uncovers", "invalid"},
	}
	found := 0
	for _, c := range chgAttackCases(t) {
		w, ok := cases[c.Name]
		if !ok {
			continue
		}
		found++
		t.Run(c.Name, func(t *testing.T) {
			r := verifyBytes(t, c.PDF, Options{})
			for _, f := range r.Findings {
				if f.ID == w.id && f.Severity == w.severity && f.Signature != nil && strings.HasPrefix(f.Message, "changed after signing: ") {
					return
				}
			}
			t.Errorf("no finding %s (%s): %+v", w.id, w.severity, r.Findings)
		})
	}
	if found != len(cases) {
		t.Fatalf("%d of %d cases generated", found, len(cases))
	}
}
