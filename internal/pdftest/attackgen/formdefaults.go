package attackgen

import (
	"github.com/kyso-project/kyso/internal/pdf"
)

const srcForm = "kyso red team: what a field looks like depends on its parents, the form's defaults and where its widget is (ISO 32000-2 12.7.4, 12.8.2)"

// overAmount is the rectangle of page 1's "Amount payable" line.
var overAmount = pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(560), pdf.Int(720)}

// overlayAP is an appearance that hides the amount line and draws another.
func overlayAP(u *pdf.Update) pdf.Ref {
	font := u.Add(standardFont("Helvetica"))
	ap := formXObject(500, 30, []byte("1 1 1 rg 0 0 500 30 re f BT 0 g /Helv 13 Tf 12 10 Td (Amount payable: 999999 EUR) Tj ET"))
	ap.Dict["Resources"] = pdf.Dict{"Font": pdf.Dict{"Helv": font}}
	return u.Add(ap)
}

// withForm prepares the simple base with a form holding the fields that
// add makes (add returns the field references and lists the widgets to
// place on page 1).
func withForm(base []byte, add func(r *pdf.Reader, u *pdf.Update, p pdf.Page) (fields, placed []pdf.Ref)) ([]byte, error) {
	return prepare(base, func(r *pdf.Reader, u *pdf.Update) error {
		p, err := firstPage(r, 0)
		if err != nil {
			return err
		}
		fields, placed := add(r, u, p)
		for _, w := range placed {
			if err := addAnnot(r, u, p, w); err != nil {
				return err
			}
		}
		font := u.Add(standardFont("Helvetica"))
		var list pdf.Array
		for _, f := range fields {
			list = append(list, f)
		}
		editCatalog(r, u, func(cat pdf.Dict) {
			cat["AcroForm"] = u.Add(pdf.Dict{"Fields": list, "DR": pdf.Dict{"Font": pdf.Dict{"Helv": font}}})
		})
		return nil
	})
}

// signAs signs doc as the case says: a certification with c.DocMDP, or an
// approval signature, with c.Lock.
func signAs(doc []byte, c *Case) ([]byte, error) {
	out, _, err := Sign(doc, SigOptions{Field: c.Field, DocMDP: c.DocMDP, Lock: c.Lock, Placeholder: 4096})
	return out, err
}

// setForm is an update that changes the interactive form with fn; the
// case names the object that holds it.
func setForm(c *Case, fn func(af pdf.Dict)) func(r *pdf.Reader, u *pdf.Update) error {
	return func(r *pdf.Reader, u *pdf.Update) error {
		cat, err := r.Catalog()
		if err != nil {
			return err
		}
		cat = cat.Clone()
		if ref, ok := cat["AcroForm"].(pdf.Ref); ok {
			c.Expect.Object = ref.Num
		} else {
			c.Expect.Object = r.RootRef().Num
		}
		if c.Expect.Valid {
			c.Expect.Object = 0
		}
		changed, err := editAcroForm(r, u, cat, func(af pdf.Dict) error { fn(af); return nil })
		if changed {
			u.Set(r.RootRef(), cat)
		}
		return err
	}
}

// formDefaults covers the form-level defaults a viewer draws fields from
// (/DA, /DR, /Q, /NeedAppearances), FieldMDP locks reached through a
// parent field, and widgets of prepared fields that start to show.
func (g *gen) formDefaults() {
	const replace, ssa, legit = "Shadow-Replace", "SSA", "Legitimate"
	field := func(docMDP int) string {
		if docMDP != 0 {
			return "Certification"
		}
		return "Signature1"
	}

	// C1: a text field over the amount with no appearance and no /DA of
	// its own: viewers draw nothing for it until the form gets a /DA,
	// whose operators they copy into the appearance they build.
	// states, when set, gives the widget an /AP /N of appearance states
	// none of which /AS selects: viewers build the appearance all the same.
	noAP := func(states bool) ([]byte, error) {
		return withForm(g.b.Simple, func(r *pdf.Reader, u *pdf.Update, p pdf.Page) ([]pdf.Ref, []pdf.Ref) {
			d := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.Str("note"),
				"V": pdf.Str("Amount payable: 999999 EUR"), "Rect": overAmount, "F": pdf.Int(4), "P": p.Ref}
			if states {
				empty := u.Add(formXObject(500, 30, nil))
				d["AP"] = pdf.Dict{"N": pdf.Dict{"A": empty, "B": empty}}
				d["AS"] = pdf.Name("Off")
			}
			w := u.Add(d)
			return []pdf.Ref{w}, []pdf.Ref{w}
		})
	}
	daAdded := func(name, what string, docMDP int, exp Expect, states bool) {
		attack := replace
		if exp.Valid {
			attack = legit
		}
		g.add(Case{Name: name, Attack: attack, Source: srcForm, What: what, Field: field(docMDP), DocMDP: docMDP, Expect: exp}, func(c *Case) ([]byte, error) {
			prepared, err := noAP(states)
			if err != nil {
				return nil, err
			}
			doc, err := signAs(prepared, c)
			if err != nil {
				return nil, err
			}
			return Append(doc, setForm(c, func(af pdf.Dict) { af["DA"] = pdf.Str("1 1 1 rg 0 0 500 30 re f 0 g /Helv 13 Tf") }))
		})
	}
	daAdded("shadow/form-da-added-p1", "a text field over the amount has no appearance and no /DA; after a P=1 certification an update adds /AcroForm /DA, which viewers copy into the appearance they build (a white box and the field's value)",
		1, Expect{By: ByChanges, Class: "form-fill", Reason: "does not permit"}, false)
	daAdded("shadow/form-da-added-unselected-state-p1", "the same, but the widget has appearance states /A and /B while /AS names /Off: no appearance is selected, so viewers build one from /DA and the value",
		1, Expect{By: ByChanges, Class: "form-fill", Reason: "does not permit"}, true)
	daAdded("legit/form-da-added-p2", "the same /AcroForm /DA added after a P=2 certification: it draws a field, which form filling may (a warning)",
		2, Expect{Valid: true, Class: "form-fill", Reason: `changes how viewers draw field "note"`}, false)

	// Defaults added that no field is drawn from: every field has its own
	// appearance (what signing tools do with a document timestamp).
	g.add(Case{Name: "legit/form-defaults-added-p1", Attack: legit, Source: srcForm, Field: "Certification", DocMDP: 1,
		What:   "after a P=1 certification of a form whose fields all have appearances, an update adds /AcroForm /Q and a font to /DR (as signing tools do with a document timestamp)",
		Expect: Expect{Valid: true, Class: "archival", Reason: "form defaults (/AcroForm /Q) added"}}, func(c *Case) ([]byte, error) {
		doc, err := signAs(g.b.Form, c)
		if err != nil {
			return nil, err
		}
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			font := u.Add(standardFont("ZapfDingbats"))
			return setForm(c, func(af pdf.Dict) {
				af["Q"] = pdf.Int(1)
				dr, _ := r.Dict(af["DR"])
				fonts, _ := r.Dict(dr["Font"])
				fonts = fonts.Clone()
				fonts["ZaDb"] = font
				af["DR"] = pdf.Dict{"Font": fonts}
			})(r, u)
		})
	})

	// N1: /NeedAppearances makes viewers build every field's appearance
	// from its value; the locked field's value differs from what the
	// signer saw.
	needApp := func(name, what string, docMDP int, lock *Lock, exp Expect) {
		attack := replace
		if exp.Valid {
			attack = legit
		}
		g.add(Case{Name: name, Attack: attack, Source: srcForm, What: what, Field: field(docMDP), DocMDP: docMDP, Lock: lock, Expect: exp}, func(c *Case) ([]byte, error) {
			prepared, err := prepare(g.b.Form, func(r *pdf.Reader, u *pdf.Update) error {
				ref, _, err := FieldRef(r, "quantity")
				if err != nil {
					return err
				}
				return editDict(r, u, ref, func(d pdf.Dict) { d["V"] = pdf.Str("999999 units") })
			})
			if err != nil {
				return nil, err
			}
			doc, err := signAs(prepared, c)
			if err != nil {
				return nil, err
			}
			return Append(doc, setForm(c, func(af pdf.Dict) { af["NeedAppearances"] = pdf.Bool(true) }))
		})
	}
	needApp("shadow/need-appearances-locked", "a locked field's appearance says 10 units, its value 999999; after the signature (FieldMDP /All) an update sets /AcroForm /NeedAppearances true, and viewers draw the value",
		0, &Lock{Action: "All"}, Expect{By: ByChanges, Class: "other", Reason: "locked by a FieldMDP signature"})
	needApp("shadow/need-appearances-p1", "the same /NeedAppearances true after a P=1 certification",
		1, nil, Expect{By: ByChanges, Class: "form-fill", Reason: "does not permit"})
	needApp("legit/need-appearances-approval", "the same /NeedAppearances true after an approval signature that locks nothing (form filling, a warning)",
		0, nil, Expect{Valid: true, Class: "form-fill", Reason: "/AcroForm /NeedAppearances changed"})

	// D1: the locked field form.amount takes its value from its parent
	// field "form"; the update rewrites only the parent's /V.
	inherit := func(name, what string, kidV bool, exp Expect) {
		attack := replace
		if exp.Valid {
			attack = legit
		}
		lock := &Lock{Action: "Include", Fields: []string{"form.amount"}}
		g.add(Case{Name: name, Attack: attack, Source: srcForm, What: what, Field: "Signature1", Lock: lock, Expect: exp}, func(c *Case) ([]byte, error) {
			var parent pdf.Ref
			prepared, err := withForm(g.b.Simple, func(r *pdf.Reader, u *pdf.Update, p pdf.Page) ([]pdf.Ref, []pdf.Ref) {
				parent = u.Reserve()
				kid := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "T": pdf.Str("amount"), "Parent": parent,
					"Rect": overAmount, "F": pdf.Int(4), "P": p.Ref, "DA": pdf.Str("/Helv 13 Tf 0 g")}
				if kidV {
					kid["V"] = pdf.Str("Amount payable: 100 EUR")
				}
				k := u.Add(kid)
				u.Set(parent, pdf.Dict{"T": pdf.Str("form"), "FT": pdf.Name("Tx"), "V": pdf.Str("Amount payable: 100 EUR"), "Kids": pdf.Array{k}})
				return []pdf.Ref{parent}, []pdf.Ref{k}
			})
			if err != nil {
				return nil, err
			}
			doc, err := signAs(prepared, c)
			if err != nil {
				return nil, err
			}
			if !exp.Valid {
				c.Expect.Object = parent.Num
			}
			return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
				return editDict(r, u, parent, func(d pdf.Dict) { d["V"] = pdf.Str("Amount payable: 999999 EUR") })
			})
		})
	}
	inherit("shadow/lock-inherited-value", "the signature locks form.amount, which has no /V of its own and shows its parent's; an update changes the parent's /V",
		false, Expect{By: ByChanges, Class: "other", Reason: `which field "form.amount", locked by a FieldMDP signature, inherits`})
	inherit("legit/parent-value-overridden", "the same lock, but form.amount has its own /V: the parent's /V changing does not reach it (form filling)",
		true, Expect{Valid: true, Class: "form-fill", Reason: `field "form" filled in`})

	// R1: a prepared text field whose widget draws a white box and another
	// amount: on no page, or hidden. The update places or unhides it,
	// with or without filling the field in.
	widget := func(name, attack, what string, docMDP int, hidden, fillIn bool, exp Expect) {
		g.add(Case{Name: name, Attack: attack, Source: srcForm, What: what, Field: field(docMDP), DocMDP: docMDP, Expect: exp}, func(c *Case) ([]byte, error) {
			var w pdf.Ref
			prepared, err := withForm(g.b.Simple, func(r *pdf.Reader, u *pdf.Update, p pdf.Page) ([]pdf.Ref, []pdf.Ref) {
				flags := 4
				if hidden {
					flags = 6
				}
				w = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.Str("memo"),
					"V": pdf.Str("x"), "DA": pdf.Str("/Helv 13 Tf 0 g"), "Rect": overAmount, "F": pdf.Int(flags), "P": p.Ref,
					"AP": pdf.Dict{"N": overlayAP(u)}})
				if hidden {
					return []pdf.Ref{w}, []pdf.Ref{w}
				}
				return []pdf.Ref{w}, nil
			})
			if err != nil {
				return nil, err
			}
			doc, err := signAs(prepared, c)
			if err != nil {
				return nil, err
			}
			if !exp.Valid {
				c.Expect.Object = w.Num
			}
			return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
				if fillIn {
					if err := fill(r, u, w, "see attachment", nil); err != nil {
						return err
					}
				}
				if hidden {
					d, _ := r.Dict(w)
					if u.Has(w) {
						d, _ = u.Object(w).(pdf.Dict)
					}
					d = d.Clone()
					d["F"] = pdf.Int(4)
					u.Set(w, d)
					return nil
				}
				p, err := firstPage(r, 0)
				if err != nil {
					return err
				}
				return addAnnot(r, u, p, w)
			})
		})
	}
	widget("ssa/widget-placed-p2", ssa, "a prepared text field's widget, on no page, draws a white box and another amount; after a P=2 certification an update places it on page 1 without filling the field in",
		2, false, false, Expect{By: ByChanges, Class: "other", Reason: "without its field being filled in"})
	widget("ssa/widget-unhidden-p2", ssa, "the same widget on page 1 but hidden (/F 6); after a P=2 certification an update clears the Hidden flag",
		2, true, false, Expect{By: ByChanges, Class: "other", Reason: "without its field being filled in"})
	widget("shadow/widget-unhidden-approval", replace, "the hidden prepared widget made visible after an approval signature: an annotation change, with a warning",
		0, true, false, Expect{Valid: true, Class: "annotation", Reason: "without its field being filled in"})
	widget("legit/widget-placed-filled-p2", legit, "after a P=2 certification, the field is filled in (new value, new appearance) and its widget placed on page 1 in the same update",
		2, false, true, Expect{Valid: true, Class: "form-fill", Reason: `the widget of field "memo" is placed on page 1`})
	widget("legit/widget-unhidden-filled-p2", legit, "after a P=2 certification, the hidden field is filled in and made visible in the same update",
		2, true, true, Expect{Valid: true, Class: "form-fill", Reason: `field "memo" filled in`})
}
