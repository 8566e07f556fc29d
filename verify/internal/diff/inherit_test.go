package diff

import (
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// withFields adds a form to doc holding the fields add makes (it returns
// the top-level fields and the widgets to place on page 1).
func withFields(t *testing.T, doc []byte, add func(u *pdf.Update, page pdf.Ref) (fields, placed []pdf.Ref)) []byte {
	t.Helper()
	return appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
		pref, pd := page1(t, r)
		fields, placed := add(u, pref)
		if len(placed) > 0 {
			annots, _ := r.Array(pd["Annots"])
			annots = append(pdf.Array(nil), annots...)
			for _, w := range placed {
				annots = append(annots, w)
			}
			pd["Annots"] = annots
			u.Set(pref, pd)
		}
		var list pdf.Array
		for _, f := range fields {
			list = append(list, f)
		}
		font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica")})
		cat := catalogOf(t, r)
		cat["AcroForm"] = u.Add(pdf.Dict{"Fields": list, "DR": pdf.Dict{"Font": pdf.Dict{"Helv": font}}})
		u.Set(r.RootRef(), cat)
		return nil
	})
}

// editObj is an update that rewrites a copy of dictionary ref with fn.
func editObj(t *testing.T, ref pdf.Ref, fn func(u *pdf.Update, d pdf.Dict)) func(r *pdf.Reader, u *pdf.Update) error {
	return func(r *pdf.Reader, u *pdf.Update) error {
		d, err := r.Dict(ref)
		if err != nil || d == nil {
			t.Fatalf("object %d: %v", ref.Num, err)
		}
		d = d.Clone()
		fn(u, d)
		u.Set(ref, d)
		return nil
	}
}

// formRef is the object of the interactive form (its own object, as
// withFields writes it).
func formRef(t *testing.T, doc []byte) pdf.Ref {
	t.Helper()
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := catalogOf(t, r)["AcroForm"].(pdf.Ref)
	if !ok {
		t.Fatal("the form is not an object of its own")
	}
	return ref
}

func lockOf(action string, fields ...string) []pdf.Dict {
	var arr pdf.Array
	for _, f := range fields {
		arr = append(arr, pdf.Str(f))
	}
	return []pdf.Dict{{"Action": pdf.Name(action), "Fields": arr}}
}

// A change of an attribute a field inherits (ISO 32000-2 12.7.4.1) changes
// every descendant that does not have its own: refused when one of them is
// locked, form filling when none is. Flags aside, as for the locked field
// itself.
func TestInheritedAttributesReachLockedFields(t *testing.T) {
	_, b := attackCases(t)
	var a, bb, c, d pdf.Ref
	doc := withFields(t, b.Simple, func(u *pdf.Update, page pdf.Ref) ([]pdf.Ref, []pdf.Ref) {
		a, bb = u.Reserve(), u.Reserve()
		c = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "T": pdf.Str("c"), "Parent": bb,
			"Rect": pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(560), pdf.Int(720)}, "F": pdf.Int(4), "P": page})
		d = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "T": pdf.Str("d"), "Parent": bb,
			"V": pdf.Str("own"), "DA": pdf.Str("/Helv 10 Tf 0 g"), "Q": pdf.Int(0),
			"Rect": pdf.Array{pdf.Int(60), pdf.Int(600), pdf.Int(560), pdf.Int(630)}, "F": pdf.Int(4), "P": page})
		u.Set(bb, pdf.Dict{"T": pdf.Str("b"), "Parent": a, "Kids": pdf.Array{c, d}})
		u.Set(a, pdf.Dict{"T": pdf.Str("a"), "FT": pdf.Name("Tx"), "V": pdf.Str("100 EUR"), "DA": pdf.Str("/Helv 12 Tf 0 g"), "Kids": pdf.Array{bb}})
		return []pdf.Ref{a}, []pdf.Ref{c, d}
	})
	doc = signed(t, doc, 0)
	set := func(k pdf.Name, v pdf.Object) func(u *pdf.Update, dd pdf.Dict) {
		return func(_ *pdf.Update, dd pdf.Dict) { dd[k] = v }
	}
	for _, tc := range []struct {
		name  string
		lock  string
		obj   pdf.Ref
		edit  func(u *pdf.Update, dd pdf.Dict)
		level Level
		rule  string
	}{
		{"value-reaches-locked", "a.b.c", a, set("V", pdf.Str("999999 EUR")), Other, "field.locked-changed"},
		{"da-reaches-locked", "a.b.c", a, set("DA", pdf.Str("1 1 1 rg 0 0 500 30 re f /Helv 12 Tf 0 g")), Other, "field.locked-changed"},
		{"value-added-between", "a.b.c", bb, set("V", pdf.Str("999999 EUR")), Other, "field.locked-changed"},
		{"value-overridden", "a.b.d", a, set("V", pdf.Str("999999 EUR")), FormFill, "field.fill"},
		{"quadding-overridden", "a.b.d", a, set("Q", pdf.Int(2)), FormFill, "field.fill"},
		{"flags-aside", "a.b.c", a, set("Ff", pdf.Int(1)), FormFill, "field.fill"},
		{"lock-elsewhere", "x", a, set("V", pdf.Str("999999 EUR")), FormFill, "field.fill"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upd := appendRev(t, doc, editObj(t, tc.obj, tc.edit))
			check(t, analyse(t, upd, "Signature1", Options{FieldLocks: lockOf("Include", tc.lock)}), tc.level, tc.level != Other, want{tc.rule, tc.level, tc.obj.Num})
		})
	}
}

// The form's variable-text defaults and /NeedAppearances are judged by the
// fields a viewer draws from them: archival when added and no field is
// drawn from them, form filling when a field is (or when they change),
// other when that field is locked.
func TestFormDefaultsReach(t *testing.T) {
	_, b := attackCases(t)
	// note: a text field over the amount without an appearance; the other
	// keys come from each case.
	noteDoc := func(keys pdf.Dict) []byte {
		return withFields(t, b.Simple, func(u *pdf.Update, page pdf.Ref) ([]pdf.Ref, []pdf.Ref) {
			w := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.Str("note"),
				"V": pdf.Str("999999 EUR"), "Rect": pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(560), pdf.Int(720)}, "F": pdf.Int(4), "P": page}
			for k, v := range keys {
				w[k] = v
			}
			ref := u.Add(w)
			return []pdf.Ref{ref}, []pdf.Ref{ref}
		})
	}
	font := func(u *pdf.Update) pdf.Object {
		return u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Courier")})
	}
	addDR := func(u *pdf.Update, af pdf.Dict) {
		af["DR"] = pdf.Dict{"Font": pdf.Dict{"Helv": af["DR"].(pdf.Dict)["Font"].(pdf.Dict)["Helv"], "Cour": font(u)}}
	}
	for _, tc := range []struct {
		name  string
		doc   []byte
		p     int
		locks []pdf.Dict
		edit  func(u *pdf.Update, af pdf.Dict)
		level Level
		valid bool
		rule  string
	}{
		{"da-added-drawn", noteDoc(nil), 0, nil, func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 12 Tf 0 g") }, FormFill, true, "form.defaults-changed"},
		{"da-added-drawn-p1", noteDoc(nil), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 12 Tf 0 g") }, FormFill, false, "form.defaults-changed"},
		{"da-added-drawn-locked", noteDoc(nil), 0, lockOf("Include", "note"), func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 12 Tf 0 g") }, Other, false, "form.defaults-redraw-frozen"},
		{"dr-font-added-drawn-p1", noteDoc(nil), 1, nil, addDR, FormFill, false, "form.defaults-changed"},
		{"da-added-own-da-p1", noteDoc(pdf.Dict{"DA": pdf.Str("/Helv 12 Tf 0 g")}), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 24 Tf 0 g") }, Archival, true, "form.defaults-added"},
		{"q-added-own-q-p1", noteDoc(pdf.Dict{"Q": pdf.Int(0)}), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["Q"] = pdf.Int(1) }, Archival, true, "form.defaults-added"},
		{"q-added-drawn-p1", noteDoc(nil), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["Q"] = pdf.Int(1) }, FormFill, false, "form.defaults-changed"},
		{"da-added-hidden-p1", noteDoc(pdf.Dict{"F": pdf.Int(6)}), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 12 Tf 0 g") }, Archival, true, "form.defaults-added"},
		{"da-added-noview-printed-p1", noteDoc(pdf.Dict{"F": pdf.Int(36)}), 1, nil, func(_ *pdf.Update, af pdf.Dict) { af["DA"] = pdf.Str("/Helv 12 Tf 0 g") }, FormFill, false, "form.defaults-changed"},
		{"dr-removed-not-drawn", noteDoc(pdf.Dict{"F": pdf.Int(6)}), 0, nil, func(_ *pdf.Update, af pdf.Dict) { delete(af, "DR") }, FormFill, true, "form.defaults-changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := signed(t, tc.doc, tc.p)
			form := formRef(t, doc)
			upd := appendRev(t, doc, editObj(t, form, tc.edit))
			check(t, analyse(t, upd, "Signature1", Options{DocMDP: tc.p, FieldLocks: tc.locks}), tc.level, tc.valid, want{tc.rule, tc.level, form.Num})
		})
	}

	// /NeedAppearances redraws fields that have an appearance, not the
	// signature's own: after a visible approval signature, a form filler
	// setting it is form filling; with a field locked, other.
	r, err := attackgen.Open(b.Form)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := catalogOf(t, r)["AcroForm"].(pdf.Ref)
	doc, _, err := attackgen.Sign(b.Form, attackgen.SigOptions{Field: "Signature1", Rect: [4]float64{72, 500, 372, 560}, Placeholder: 4096})
	if err != nil {
		t.Fatal(err)
	}
	na := appendRev(t, doc, editObj(t, form, func(_ *pdf.Update, af pdf.Dict) { af["NeedAppearances"] = pdf.Bool(true) }))
	res := analyse(t, na, "Signature1", Options{})
	check(t, res, FormFill, true, want{"form.defaults-changed", FormFill, form.Num})
	for _, f := range res.Findings {
		if strings.Contains(f.What, "Signature1") {
			t.Errorf("the signature's own field counted as redrawn: %s", f.What)
		}
	}
	check(t, analyse(t, na, "Signature1", Options{FieldLocks: lockOf("Include", "address")}), Other, false, want{"form.defaults-redraw-frozen", Other, form.Num})
}

// A widget of a prepared field that starts to show is form filling only
// with its field: a new value and a new appearance. A new value drawn by
// the prepared appearance is not; a widget that draws nothing is.
func TestWidgetShown(t *testing.T) {
	_, b := attackCases(t)
	var w pdf.Ref
	prep := func(rect pdf.Array) []byte {
		return withFields(t, b.Simple, func(u *pdf.Update, page pdf.Ref) ([]pdf.Ref, []pdf.Ref) {
			ap := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(500), pdf.Int(30)}},
				Data: []byte("1 1 1 rg 0 0 500 30 re f")})
			w = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.Str("memo"), "V": pdf.Str("x"),
				"Rect": rect, "F": pdf.Int(4), "P": page, "AP": pdf.Dict{"N": ap}})
			return []pdf.Ref{w}, nil
		})
	}
	place := func(newV bool) func(r *pdf.Reader, u *pdf.Update) error {
		return func(r *pdf.Reader, u *pdf.Update) error {
			pref, pd := page1(t, r)
			annots, _ := r.Array(pd["Annots"])
			pd["Annots"] = append(append(pdf.Array(nil), annots...), w)
			u.Set(pref, pd)
			if newV {
				return editObj(t, w, func(_ *pdf.Update, d pdf.Dict) { d["V"] = pdf.Str("999999 EUR") })(r, u)
			}
			return nil
		}
	}
	visible := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(560), pdf.Int(720)}
	for _, tc := range []struct {
		name  string
		rect  pdf.Array
		p     int
		newV  bool
		level Level
		valid bool
		rule  string
	}{
		{"value-changed-prepared-appearance-p2", visible, 2, true, Other, false, "widget.shown-after-certification"},
		{"not-filled-p3", visible, 3, false, Other, false, "widget.shown-after-certification"},
		{"not-filled-approval", visible, 0, false, Annotation, true, "widget.shown-unfilled"},
		{"draws-nothing-p2", pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, 2, false, FormFill, true, "annots.widget-placed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := signed(t, prep(tc.rect), tc.p)
			upd := appendRev(t, doc, place(tc.newV))
			res := analyse(t, upd, "Signature1", Options{DocMDP: tc.p})
			check(t, res, tc.level, tc.valid, want{tc.rule, tc.level, w.Num})
			if tc.rule == "widget.shown-unfilled" && len(res.Warnings) == 0 {
				t.Errorf("no warning\n%s", describe(res))
			}
		})
	}
}
