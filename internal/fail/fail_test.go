package fail

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestEveryRemedyHasAName(t *testing.T) {
	if len(remedyNames) != int(remedyEnd) {
		t.Fatalf("remedyNames has %d names for %d remedies", len(remedyNames), remedyEnd)
	}
	seen := map[string]Remedy{}
	for _, r := range Remedies() {
		n := r.String()
		if n == "" || strings.HasPrefix(n, "remedy(") {
			t.Errorf("remedy %d has no name", int(r))
		}
		if o, dup := seen[n]; dup {
			t.Errorf("remedies %d and %d are both named %q", int(o), int(r), n)
		}
		seen[n] = r
	}
	if len(Remedies()) != int(remedyEnd)-1 {
		t.Errorf("Remedies lists %d", len(Remedies()))
	}
}

func TestNextStep(t *testing.T) {
	base := errors.New("base")
	withRemedy := RunWith(base, RemedyLockTimeout)
	wrapped := fmt.Errorf("outer: %w", withRemedy)
	if e := NextStep(wrapped); e == nil || e.Remedy != RemedyLockTimeout || KindOf(wrapped) != KindRun {
		t.Fatalf("NextStep = %+v", e)
	}
	if RemedyOf(wrapped) != RemedyLockTimeout || HintOf(wrapped) != "" {
		t.Errorf("RemedyOf %v HintOf %q", RemedyOf(wrapped), HintOf(wrapped))
	}
	// The outermost next step wins: a hint over an inner remedy.
	hinted := Usage(withRemedy, "restore from a backup")
	if HintOf(hinted) != "restore from a backup" || RemedyOf(hinted) != RemedyNone {
		t.Errorf("HintOf %q RemedyOf %v", HintOf(hinted), RemedyOf(hinted))
	}
	// A classified error without a next step passes to the inner one.
	plain := Input(withRemedy, "")
	if RemedyOf(plain) != RemedyLockTimeout || KindOf(plain) != KindInput {
		t.Errorf("RemedyOf %v KindOf %v", RemedyOf(plain), KindOf(plain))
	}
	args := NextStep(RunWith(base, RemedyInitCatalogue, "/x/kyso.db")).RemedyArgs
	if len(args) != 1 || args[0] != "/x/kyso.db" {
		t.Errorf("RemedyArgs = %v", args)
	}
	if NextStep(base) != nil || NextStep(nil) != nil {
		t.Error("a plain error has a next step")
	}
}
