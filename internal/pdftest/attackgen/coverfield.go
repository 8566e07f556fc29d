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
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			ap := u.Add(Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(500), pdf.Int(120)}}, []byte("1 1 1 rg 0 0 500 120 re f")))
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
			switch af := cat["AcroForm"].(type) {
			case pdf.Ref:
				d, err := r.Dict(af)
				if err != nil {
					return err
				}
				d = d.Clone()
				if err := appendField(r, u, d, field); err != nil {
					return err
				}
				u.Set(af, d)
			default:
				d, _ := af.(pdf.Dict)
				d = d.Clone()
				if err := appendField(r, u, d, field); err != nil {
					return err
				}
				cat = cat.Clone()
				cat["AcroForm"] = d
				u.Set(r.RootRef(), cat)
			}
			return nil
		})
	})
}
