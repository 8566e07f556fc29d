package attackgen

import (
	"github.com/kyso-project/kyso/internal/pdf"
)

// annotCover covers shadow hides by annotation beyond the /Square of
// shadow(): any annotation type whose appearance paints a box, one written
// directly in /Annots, an appearance rewritten in place, flags that keep
// an annotation off the screen but print it (NoView|Print) and the
// legitimate changes next to them.
func (g *gen) annotCover() {
	const hide, ssa = "Shadow-Hide", "SSA"
	rect := pdf.Array{pdf.Int(60), pdf.Int(630), pdf.Int(540), pdf.Int(660)}
	// cover is an update that covers page 1's hidden line with an
	// annotation of type subtype with an opaque appearance (flags f), held
	// directly in /Annots or by reference; it sets annot, ap and page.
	cover := func(subtype string, f int, direct bool, annot, ap, page *pdf.Ref) func(*pdf.Reader, *pdf.Update) error {
		return onPage1(func(_ *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			*page = p.Ref
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, hiddenLine))}
			*ap = u.Add(formXObject(480, 30, []byte("1 1 1 rg 0 0 480 30 re f")))
			a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(subtype), "F": pdf.Int(f), "Rect": rect,
				"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "AP": pdf.Dict{"N": *ap}, "P": p.Ref}
			if direct {
				d["Annots"] = pdf.Array{a}
				return nil
			}
			*annot = u.Add(a)
			d["Annots"] = pdf.Array{*annot}
			return nil
		})
	}
	// covered signs (an approval signature) a page covered so.
	covered := func(subtype string, f int, direct bool) (doc []byte, annot, ap, page pdf.Ref, err error) {
		doc, err = preparedSigned(g.b.Simple, cover(subtype, f, direct, &annot, &ap, &page))
		return
	}
	// emptyAppearance empties the appearance stream ap in place.
	emptyAppearance := func(doc []byte, ap pdf.Ref) ([]byte, error) {
		return Append(doc, func(_ *pdf.Reader, u *pdf.Update) error {
			u.Set(ap, formXObject(480, 30, nil))
			return nil
		})
	}
	// editCover rewrites page 1's /Annots: the cover (the first entry,
	// before the signature's widget) is replaced by what fn returns, or
	// dropped when fn returns nil.
	editCover := func(doc []byte, fn func(a pdf.Object) pdf.Object) ([]byte, error) {
		return Append(doc, onPage1(func(r *pdf.Reader, _ *pdf.Update, _ pdf.Page, d pdf.Dict) error {
			arr, _ := r.Array(d["Annots"])
			var na pdf.Array
			if a := fn(arr[0]); a != nil {
				na = append(na, a)
			}
			d["Annots"] = append(na, arr[1:]...)
			return nil
		}))
	}
	dropAnnots := func(doc []byte) ([]byte, error) {
		return editCover(doc, func(pdf.Object) pdf.Object { return nil })
	}
	uncovered := Expect{By: ByChanges, Class: "annotation", Reason: "covered part of the signed page"}
	for _, st := range []string{"Highlight", "Link", "Text", "Underline", "Popup"} {
		g.add(Case{Name: "shadow/hide-annotation-" + st + "-removed", Attack: hide, Source: srcNDSS, Field: "Signature1",
			What:   "signed content is covered by a /" + st + " annotation whose appearance paints an opaque box; an update removes it",
			Expect: uncovered}, func(c *Case) ([]byte, error) {
			doc, annot, _, _, err := covered(st, 4, false)
			if err != nil {
				return nil, err
			}
			c.Expect.Object = annot.Num
			return dropAnnots(doc)
		})
	}
	g.add(Case{Name: "shadow/hide-annotation-appearance-in-place", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation; an update empties its appearance stream in place (same object)",
		Expect: uncovered}, func(c *Case) ([]byte, error) {
		doc, _, ap, _, err := covered("Square", 4, false)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = ap.Num
		return emptyAppearance(doc, ap)
	})
	g.add(Case{Name: "shadow/hide-annotation-appearance-in-place-p3", Attack: hide, Source: srcNDSS, Field: "Certification", DocMDP: 3,
		What:   "signed content is covered by an opaque /Square annotation; after a certification with P=3 an update empties its appearance stream in place",
		Expect: uncovered}, func(c *Case) ([]byte, error) {
		var annot, ap, page pdf.Ref
		prepared, err := prepare(g.b.Simple, cover("Square", 4, false, &annot, &ap, &page))
		if err != nil {
			return nil, err
		}
		doc, _, err := certify(prepared, 3)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = ap.Num
		return emptyAppearance(doc, ap)
	})
	g.add(Case{Name: "shadow/hide-annotation-direct-removed", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation written directly (not by reference) in the page's /Annots; an update removes it",
		Expect: uncovered}, func(c *Case) ([]byte, error) {
		doc, _, _, page, err := covered("Square", 4, true)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = page.Num
		return dropAnnots(doc)
	})
	g.add(Case{Name: "shadow/hide-annotation-direct-redrawn", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation written directly in the page's /Annots; an update rewrites it with the Hidden flag",
		Expect: uncovered}, func(c *Case) ([]byte, error) {
		doc, _, _, page, err := covered("Square", 4, true)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = page.Num
		return editCover(doc, func(o pdf.Object) pdf.Object {
			a := o.(pdf.Dict).Clone()
			a["F"] = pdf.Int(2 | 4)
			return a
		})
	})
	g.add(Case{Name: "shadow/hide-annotation-noview", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation; an update sets its NoView flag (still printed, gone from the screen)",
		Expect: uncovered}, func(c *Case) ([]byte, error) {
		doc, annot, _, _, err := covered("Square", 4, false)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = annot.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, annot, func(d pdf.Dict) { d["F"] = pdf.Int(32 | 4) })
		})
	})
	g.add(Case{Name: "legit/direct-annotation-edited", Attack: "Legitimate", Source: srcSpec, Field: "Signature1",
		What:   "a comment written directly in the page's /Annots has its text and date edited after an approval signature, drawing the same",
		Expect: Expect{Valid: true, Class: "annotation", Reason: "new annotation /Square"}}, func(c *Case) ([]byte, error) {
		doc, _, _, _, err := covered("Square", 4, true)
		if err != nil {
			return nil, err
		}
		return editCover(doc, func(o pdf.Object) pdf.Object {
			a := o.(pdf.Dict).Clone()
			a["Contents"] = pdf.Str("checked")
			a["M"] = pdf.Str("D:20250301000000Z")
			return a
		})
	})
	g.add(Case{Name: "legit/text-annotation-edited", Attack: "Legitimate", Source: srcSpec, Field: "Signature1",
		What:   "a sticky note of the signed document has its text edited after an approval signature",
		Expect: Expect{Valid: true, Class: "annotation", Reason: "annotation /Text on page 1 modified"}}, func(c *Case) ([]byte, error) {
		doc, annot, _, _, err := covered("Text", 4|8|16, false)
		if err != nil {
			return nil, err
		}
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, annot, func(d pdf.Dict) { d["Contents"] = pdf.Str("checked, see page 2") })
		})
	})

	// NoView keeps a widget off the screen, Print puts it on paper.
	printOnly := 4 | 32
	visible := [4]float64{60, 620, 540, 680}
	g.add(Case{Name: "ssa/print-only-timestamp-p1", Attack: ssa, Source: srcSP21, Field: "Certification", DocMDP: 1,
		What:   "a document timestamp whose widget is flagged NoView|Print (/F 36), not shown on screen but printed over the text, is added after a certification with P=1",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"}}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		out, sig, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Rect: visible, Flags: printOnly, Placeholder: 4096})
		if err != nil {
			return nil, err
		}
		c.Expect.Object = sig.Field.Num
		return out, nil
	})
	// /F beyond 32 bits: poppler honours only a value that fits an int and
	// draws the widget; MuPDF truncates it to Hidden|Print.
	g.add(Case{Name: "ssa/timestamp-flags-beyond-32-bits-p1", Attack: ssa, Source: srcSP21, Field: "Certification", DocMDP: 1,
		What:   "a document timestamp whose widget is flagged /F 4294967302 (2^32 + Hidden|Print: hidden to MuPDF, no flags and so shown to poppler) is added after a certification with P=1",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"}}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		out, sig, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Rect: visible, Flags: 1<<32 | 2 | 4, Placeholder: 4096})
		if err != nil {
			return nil, err
		}
		c.Expect.Object = sig.Field.Num
		return out, nil
	})
	// A /Rect entry that is not a number: poppler reads it as 0 and draws
	// the appearance stretched over the page.
	g.add(Case{Name: "ssa/timestamp-rect-string-p1", Attack: ssa, Source: srcSP21, Field: "Certification", DocMDP: 1,
		What:   "a document timestamp whose printed widget has /Rect [60 620 540 (x)] (poppler reads the string as 0 and draws the appearance from the page's foot to y=620) is added after a certification with P=1",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"}}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		rect := pdf.Array{pdf.Int(60), pdf.Int(620), pdf.Int(540), pdf.Str("x")}
		out, sig, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Rect: visible, RectObj: rect, Flags: 4, Placeholder: 4096})
		if err != nil {
			return nil, err
		}
		c.Expect.Object = sig.Field.Num
		return out, nil
	})
	for _, f := range []int{2 | 4, 32} {
		g.add(Case{Name: "legit/timestamp-hidden-widget-p1-" + itoa(f), Attack: "Legitimate", Source: srcSpec, Field: "Certification", DocMDP: 1,
			What:   "a document timestamp whose widget has an appearance and a rectangle but flags that show it nowhere (Hidden, or NoView without Print) is added after a certification with P=1",
			Expect: Expect{Valid: true, Class: "archival", Reason: `document timestamp "Timestamp" added`}}, func(c *Case) ([]byte, error) {
			doc, _, err := certify(g.b.Simple, 1)
			if err != nil {
				return nil, err
			}
			out, _, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Rect: visible, Flags: f, Placeholder: 4096})
			return out, err
		})
	}
	emptyField := func(doc []byte, c *Case, f int) ([]byte, error) {
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			ap := u.Add(formXObject(480, 60, []byte("1 1 1 rg 0 0 480 60 re f")))
			field := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.Str("Cover"),
				"P": p.Ref, "F": pdf.Int(f), "Rect": pdf.Array{pdf.Int(60), pdf.Int(620), pdf.Int(540), pdf.Int(680)}, "AP": pdf.Dict{"N": ap}})
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
	}
	g.add(Case{Name: "ssa/print-only-empty-field-p2", Attack: ssa, Source: srcSP21, Field: "Certification", DocMDP: 2,
		What:   "an empty signature field whose widget, flagged NoView|Print (/F 36), prints a white box over the text is added after a certification with P=2",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"}}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 2)
		if err != nil {
			return nil, err
		}
		return emptyField(doc, c, printOnly)
	})
	g.add(Case{Name: "shadow/hide-empty-signature-field-print-only", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "after an approval signature, an empty signature field is added whose widget, flagged NoView|Print, prints a white box over the text",
		Expect: Expect{Valid: true, Class: "annotation", Reason: "can cover the signed content"}}, func(c *Case) ([]byte, error) {
		doc, err := signed(g.b.Simple)
		if err != nil {
			return nil, err
		}
		return emptyField(doc, c, printOnly)
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
