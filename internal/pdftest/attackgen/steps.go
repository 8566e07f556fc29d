package attackgen

import (
	"github.com/kyso-project/kyso/internal/pdf"
)

// The build steps the cases share: an update is a func(r, u) error as
// Append takes it.

// signed signs base with an invisible approval signature in Signature1.
func signed(base []byte) ([]byte, error) {
	doc, _, err := approval(base, "Signature1")
	return doc, err
}

// preparedSigned appends the attacker's preparation fn to base, then signs
// the result with an approval signature in Signature1: the document the
// victim signs.
func preparedSigned(base []byte, fn func(r *pdf.Reader, u *pdf.Update) error) ([]byte, error) {
	prepared, err := prepare(base, fn)
	if err != nil {
		return nil, err
	}
	return signed(prepared)
}

// updateSigned signs base with an approval signature in Signature1, then
// appends the update fn: the attacker's change after signing.
func updateSigned(base []byte, fn func(r *pdf.Reader, u *pdf.Update) error) ([]byte, error) {
	doc, err := signed(base)
	if err != nil {
		return nil, err
	}
	return Append(doc, fn)
}

// onPage1 is an update that changes a copy of page 1's dictionary with fn
// and writes it back.
func onPage1(fn func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error) func(r *pdf.Reader, u *pdf.Update) error {
	return func(r *pdf.Reader, u *pdf.Update) error {
		p, err := firstPage(r, 0)
		if err != nil {
			return err
		}
		d := p.Dict.Clone()
		if err := fn(r, u, p, d); err != nil {
			return err
		}
		u.Set(p.Ref, d)
		return nil
	}
}

// setPage1Contents is an update that points page 1 at a new content stream
// drawing content; a case that rejects it names page 1.
func setPage1Contents(c *Case, content []byte) func(r *pdf.Reader, u *pdf.Update) error {
	return onPage1(func(_ *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
		c.Expect.Object = p.Ref.Num
		d["Contents"] = u.Add(Stream(pdf.Dict{}, content))
		return nil
	})
}

// editDict changes a copy of dictionary ref with fn and writes it back.
func editDict(r *pdf.Reader, u *pdf.Update, ref pdf.Ref, fn func(d pdf.Dict)) error {
	d, err := r.Dict(ref)
	if err != nil {
		return err
	}
	d = d.Clone()
	fn(d)
	u.Set(ref, d)
	return nil
}

// editCatalog changes a copy of the catalog with fn and writes it back.
func editCatalog(r *pdf.Reader, u *pdf.Update, fn func(cat pdf.Dict)) {
	cat, _ := r.Catalog()
	cat = cat.Clone()
	fn(cat)
	u.Set(r.RootRef(), cat)
}

// editAcroForm changes a copy of the interactive form dictionary of cat
// (the catalog, as the update has it) with fn and writes it back: to its own
// object, or into cat when it is direct (then changed is true and the
// caller writes cat).
func editAcroForm(r *pdf.Reader, u *pdf.Update, cat pdf.Dict, fn func(af pdf.Dict) error) (changed bool, err error) {
	ref, isRef := cat["AcroForm"].(pdf.Ref)
	var d pdf.Dict
	switch {
	case isRef && u.Has(ref):
		d, _ = u.Object(ref).(pdf.Dict)
	case isRef:
		if d, err = r.Dict(ref); err != nil {
			return false, err
		}
	default:
		d, _ = cat["AcroForm"].(pdf.Dict)
	}
	d = d.Clone()
	if err := fn(d); err != nil {
		return false, err
	}
	if isRef {
		u.Set(ref, d)
		return false, nil
	}
	cat["AcroForm"] = d
	return true, nil
}

// formXObject is a form XObject of w by h points drawing content.
func formXObject(w, h int, content []byte) *pdf.Stream {
	return Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(w), pdf.Int(h)}}, content)
}

// font1 is the reference of page 1's font /F1.
func font1(r *pdf.Reader) (pdf.Ref, error) {
	p, err := firstPage(r, 0)
	if err != nil {
		return pdf.Ref{}, err
	}
	return p.Resources["Font"].(pdf.Dict)["F1"].(pdf.Ref), nil
}

// standardFont is a font dictionary of one of the standard 14 fonts.
func standardFont(name string) pdf.Dict {
	return pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name(name)}
}
