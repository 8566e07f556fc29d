package diff

import (
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// TestFlagOutputs checks the annotation flags of ISO 32000-2 12.5.3: NoView
// keeps an annotation off the screen only, Print puts it on paper, Hidden
// keeps it off both, ToggleNoView may show a NoView annotation on screen.
func TestFlagOutputs(t *testing.T) {
	for _, c := range []struct {
		f             int64
		screen, print bool
	}{
		{0, true, false},
		{annotPrint, true, true},
		{annotPrint | 128, true, true},
		{annotHidden, false, false},
		{annotHidden | annotPrint, false, false},
		{annotNoView, false, false},
		{annotNoView | annotPrint, false, true},
		{annotNoView | annotToggleNoView, true, false},
		{annotInvisible | annotPrint, true, true},
	} {
		s, p := flagOutputs(c.f)
		if s != c.screen || p != c.print {
			t.Errorf("/F %d: screen %v print %v, want %v %v", c.f, s, p, c.screen, c.print)
		}
	}
	for _, c := range []struct {
		of, nf int64
		hides  bool
	}{
		{annotPrint, annotPrint | 128, false},
		{annotPrint, annotPrint | annotNoView, true},
		{annotPrint, 0, true},
		{0, annotPrint, false},
		{annotPrint, annotHidden | annotPrint, true},
		{annotNoView | annotPrint, annotPrint, false},
	} {
		if got := hides(c.of, c.nf); got != c.hides {
			t.Errorf("/F %d -> %d: hides %v, want %v", c.of, c.nf, got, c.hides)
		}
	}
	for _, c := range []struct {
		of, nf  int64
		cleared bool
	}{
		{annotNoView | annotPrint, annotPrint, true},
		{annotNoView, annotNoView | annotPrint, true},
		{annotHidden, 0, true},
		{0, annotPrint, false},
		{annotPrint, annotPrint | 128, false},
	} {
		if got := hiddenCleared(flagsDict(c.of), flagsDict(c.nf)); got != c.cleared {
			t.Errorf("/F %d -> %d: hiddenCleared %v, want %v", c.of, c.nf, got, c.cleared)
		}
	}
}

func flagsDict(f int64) pdf.Dict { return pdf.Dict{"F": pdf.Int(f)} }
