package attackgen

import (
	"github.com/kyso-project/kyso/internal/pdf"
)

// coveringField adds, after an approval signature, an empty signature
// field whose appearance is an opaque box over the page's text: nothing
// signed draws it, so it hides signed content exactly as a covering
// annotation (/Square) does, and must be judged as one.
func (g *gen) coveringField() {
	g.add(Case{Name: "shadow/hide-empty-signature-field", Attack: "Shadow-Hide", Source: srcNDSS, Field: "Signature1",
		What:   "after an approval signature, an empty signature field is added whose appearance is a white box over the page's text",
		Expect: Expect{Valid: true, Class: "annotation", Reason: "can cover the signed content"}}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			ap := u.Add(formXObject(500, 120, []byte("1 1 1 rg 0 0 500 120 re f")))
			field := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.Str("Cover"),
				"P": p.Ref, "F": pdf.Int(4), "Rect": pdf.Array{pdf.Int(50), pdf.Int(620), pdf.Int(550), pdf.Int(740)}, "AP": pdf.Dict{"N": ap}})
			c.Expect.Object = field.Num
			if err := addAnnot(r, u, p, field); err != nil {
				return err
			}
			cat, err := r.Catalog()
			if err != nil {
				return err
			}
			cat = cat.Clone()
			changed, err := editAcroForm(r, u, cat, func(af pdf.Dict) error { return appendField(r, u, af, field) })
			if changed {
				u.Set(r.RootRef(), cat)
			}
			return err
		})
	})
}
