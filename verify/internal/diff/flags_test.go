package diff

import (
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
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
		if got := hides(readFlags(pdf.Int(c.of)), readFlags(pdf.Int(c.nf))); got != c.hides {
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
		if got := hiddenCleared(readFlags(pdf.Int(c.of)), readFlags(pdf.Int(c.nf))); got != c.cleared {
			t.Errorf("/F %d -> %d: hiddenCleared %v, want %v", c.of, c.nf, got, c.cleared)
		}
	}
}

// TestFlagReadings: an /F that is not an integer in [0, 2^31) is read as
// no flags by poppler and pdf.js and as its low 32 bits by MuPDF; the
// annotation shows wherever either reading shows it, and a change hides
// it if it does under either reading.
func TestFlagReadings(t *testing.T) {
	const big = 1<<32 | annotHidden | annotPrint // 4294967302
	for _, c := range []struct {
		f             pdf.Object
		want          flagReads
		screen, print bool
	}{
		{pdf.Int(annotPrint), flagReads{annotPrint, annotPrint}, true, true},
		{pdf.Int(annotHidden | annotPrint), flagReads{6, 6}, false, false},
		{pdf.Int(big), flagReads{0, 6}, true, false},
		{pdf.Int(1<<32 | annotPrint), flagReads{0, annotPrint}, true, true},
		{pdf.Int(1<<31 | annotHidden), flagReads{0, 1<<31 | annotHidden}, true, false},
		{pdf.Int(-1), flagReads{0, 1<<32 - 1}, true, false},
		{pdf.Real(6), flagReads{0, 6}, true, false},
		{pdf.Real(4.7), flagReads{0, 4}, true, true},
		{pdf.Real(1e300), flagReads{}, true, false},
		{pdf.Name("Hidden"), flagReads{}, true, false},
		{nil, flagReads{}, true, false},
	} {
		got := readFlags(c.f)
		if got != c.want {
			t.Errorf("/F %v: read %v, want %v", c.f, got, c.want)
		}
		if s, p := got.outputs(); s != c.screen || p != c.print {
			t.Errorf("/F %v: screen %v print %v, want %v %v", c.f, s, p, c.screen, c.print)
		}
	}
	for _, c := range []struct {
		of, nf pdf.Object
		hides  bool
	}{
		// Print and visible to MuPDF, then hidden to it; poppler sees no
		// flags both times.
		{pdf.Int(annotPrint), pdf.Int(big), true},
		{pdf.Int(big), pdf.Int(big), false},
		{pdf.Int(big), pdf.Int(annotHidden), true}, // poppler showed it on screen
		{pdf.Int(1<<32 | annotPrint), pdf.Int(annotPrint), false},
		{pdf.Int(annotPrint), pdf.Real(4), true}, // off paper for poppler
	} {
		if got := hides(readFlags(c.of), readFlags(c.nf)); got != c.hides {
			t.Errorf("/F %v -> %v: hides %v, want %v", c.of, c.nf, got, c.hides)
		}
	}
	for _, c := range []struct {
		of, nf  pdf.Object
		cleared bool
	}{
		{pdf.Int(annotHidden), pdf.Int(big), true}, // poppler shows it
		{pdf.Int(big), pdf.Int(big), false},
		{pdf.Int(big), pdf.Int(annotPrint), true}, // MuPDF now shows it
		{pdf.Int(annotHidden), pdf.Int(1<<32 | annotHidden), true},
	} {
		if got := hiddenCleared(readFlags(c.of), readFlags(c.nf)); got != c.cleared {
			t.Errorf("/F %v -> %v: hiddenCleared %v, want %v", c.of, c.nf, got, c.cleared)
		}
	}
}

// TestRectDrawn: a rectangle with an area is drawn, a missing one or one
// without an area is not, and one that is present but not four finite
// numbers is read differently by viewers (poppler takes a bad entry as
// 0 and draws the appearance stretched): in doubt, drawn. annotOutputs
// and widgetDrawn follow it, and the flags under either reading.
func TestRectDrawn(t *testing.T) {
	_, b := attackCases(t)
	r, err := attackgen.Open(b.Simple)
	if err != nil {
		t.Fatal(err)
	}
	ap := pdf.Dict{"N": &pdf.Stream{Dict: pdf.Dict{}, Data: []byte("0 0 1 rg 0 0 10 10 re f")}}
	nums := func(v ...float64) pdf.Array {
		a := pdf.Array{}
		for _, f := range v {
			a = append(a, pdf.Real(f))
		}
		return a
	}
	for _, c := range []struct {
		name  string
		rect  pdf.Object
		drawn bool
	}{
		{"rectangle", nums(40, 680, 600, 740), true},
		{"no area", nums(40, 680, 40, 740), false},
		{"missing", nil, false},
		{"a string entry", pdf.Array{pdf.Int(40), pdf.Int(680), pdf.Int(600), pdf.String{Bytes: []byte("x")}}, true},
		{"three entries", nums(40, 680, 600), true},
		{"five entries", nums(40, 680, 600, 740, 1), true},
		{"a name", pdf.Name("Rect"), true},
	} {
		d := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "F": pdf.Int(annotPrint), "AP": ap}
		if c.rect != nil {
			d["Rect"] = c.rect
		}
		if got := rectDrawn(r, d); got != c.drawn {
			t.Errorf("%s: rectDrawn %v, want %v", c.name, got, c.drawn)
		}
		if got := widgetDrawn(r, d); got != c.drawn {
			t.Errorf("%s: widgetDrawn %v, want %v", c.name, got, c.drawn)
		}
		if s, p := annotOutputs(r, d); s != c.drawn || p != c.drawn {
			t.Errorf("%s: annotOutputs screen %v print %v, want %v", c.name, s, p, c.drawn)
		}
		// NoZoom draws the appearance at its own size whatever the area.
		d["F"] = pdf.Int(annotPrint | annotNoZoom)
		if s, p := annotOutputs(r, d); !s || !p {
			t.Errorf("%s, NoZoom: annotOutputs screen %v print %v, want shown", c.name, s, p)
		}
		// A widget hidden to MuPDF but with flags poppler does not honour.
		d["F"] = pdf.Int(1<<32 | annotHidden | annotPrint)
		if s, p := annotOutputs(r, d); s != c.drawn || p {
			t.Errorf("%s, /F 2^32+6: annotOutputs screen %v print %v, want %v false", c.name, s, p, c.drawn)
		}
		if got := widgetDrawn(r, d); got != c.drawn {
			t.Errorf("%s, /F 2^32+6: widgetDrawn %v, want %v", c.name, got, c.drawn)
		}
		d["F"] = pdf.Int(annotHidden | annotPrint)
		if s, p := annotOutputs(r, d); s || p || widgetDrawn(r, d) {
			t.Errorf("%s, Hidden: shown", c.name)
		}
	}
}
