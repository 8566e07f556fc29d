package attackgen

import (
	"bytes"
	"fmt"

	"github.com/kyso-project/kyso/internal/pdf"
)

// prepare appends an update made by fn to a base document before it is
// signed: the attacker's preparation of the document the victim signs.
func prepare(base []byte, fn func(r *pdf.Reader, u *pdf.Update) error) ([]byte, error) {
	return Append(base, fn)
}

// hiddenLine is signed content the signer does not see: it is drawn, then
// covered.
var hiddenLine = []byte("q BT /F1 13 Tf 72 640 Td (Bonus: pay 999999 EUR to IBAN XX99 9999) Tj ET Q")

const coverBox = "1 1 1 rg 60 630 480 30 re f"

func (g *gen) shadow() {
	const hide, replace, hr = "Shadow-Hide", "Shadow-Replace", "Shadow-Hide-and-Replace"
	// A page whose second content stream draws a line and covers it with a
	// white form XObject /Cover.
	coveredByXObject := func(c *Case) ([]byte, pdf.Ref, error) {
		var cover pdf.Ref
		doc, err := preparedSigned(g.b.Simple, onPage1(func(_ *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			cover = u.Add(formXObject(595, 842, []byte(coverBox)))
			res := p.Resources.Clone()
			res["XObject"] = pdf.Dict{"Cover": cover}
			d["Resources"] = res
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, append(append([]byte(nil), hiddenLine...), " /Cover Do"...)))}
			return nil
		}))
		return doc, cover, err
	}
	g.add(Case{Name: "shadow/hide-xobject", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by a white form XObject; an update empties the XObject in place",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "/Resources/XObject/Cover"}}, func(c *Case) ([]byte, error) {
		doc, cover, err := coveredByXObject(c)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = cover.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			u.Set(cover, formXObject(595, 842, nil))
			return nil
		})
	})
	// uncover adds a case whose update rewrites page 1's /XObject
	// resources to what xobjects makes of the cover (nil: none).
	uncover := func(name, what, reason string, xobjects func(cover pdf.Ref) pdf.Object) {
		g.add(Case{Name: name, Attack: hide, Source: srcNDSS, Field: "Signature1", What: what,
			Expect: Expect{By: ByChanges, Class: "other", Reason: reason}}, func(c *Case) ([]byte, error) {
			doc, cover, err := coveredByXObject(c)
			if err != nil {
				return nil, err
			}
			return Append(doc, onPage1(func(_ *pdf.Reader, _ *pdf.Update, p pdf.Page, d pdf.Dict) error {
				c.Expect.Object = p.Ref.Num
				res := p.Resources.Clone()
				if x := xobjects(cover); x != nil {
					res["XObject"] = x
				} else {
					delete(res, "XObject")
				}
				d["Resources"] = res
				return nil
			}))
		})
	}
	uncover("shadow/hide-resources", "signed content is covered by a white form XObject; an update drops it from the page's resources",
		"page 1 /Resources changed", func(pdf.Ref) pdf.Object { return nil })
	// Readers disagree on a key given twice and on a reference naming a
	// generation the cross-reference does not list: an update can keep
	// the cover for one reader and drop it for another.
	uncover("shadow/hide-duplicate-key", "signed content is covered by a white form XObject; an update rewrites the page with /XObject << /Cover null /Cover N 0 R >>: readers keeping the last value see the cover, readers keeping the first do not",
		"twice with different values", func(cover pdf.Ref) pdf.Object {
			return pdf.Raw{Bytes: fmt.Appendf(nil, "<< /Cover null /Cover %d %d R >>", cover.Num, cover.Gen)}
		})
	uncover("shadow/hide-reference-generation", "signed content is covered by a white form XObject; an update changes only the generation in the page's reference to it (N 5 R): readers following the spec find no such object and drop the cover",
		"page 1 /Resources changed", func(cover pdf.Ref) pdf.Object {
			return pdf.Dict{"Cover": pdf.Ref{Num: cover.Num, Gen: cover.Gen + 5}}
		})
	g.add(Case{Name: "shadow/replace-header-generation", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update adds to page 1 only /PieceInfo N 0 R, whose object is written as \"N 7 obj\"; after it, an unlisted object carries the page's content number with other text: readers that check generations rebuild the cross-reference from \"N G obj\" and draw the planted content",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "written as generation 7"}}, func(c *Case) ([]byte, error) {
		doc, pref, pd, n, err := signedPage1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = n
		pd["PieceInfo"] = pdf.Ref{Num: n}
		contents := pd["Contents"].(pdf.Ref).Num
		// the planted object is written as a raw body of an object the
		// xref does not list: a stream named like the page's content
		planted := pdf.Raw{Bytes: fmt.Appendf(nil, "<< >>\nendobj\n%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream", contents, len(evilText), evilText)}
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{pref.Num: pd, n: planted}, HeaderGen: map[uint32]uint16{n: 7}})
	})
	// Any reference to an object no section lists (or one listed free)
	// makes poppler rebuild the cross-reference by scanning the file, and
	// then an unlisted object the update planted wins.
	planted := func(num uint32) []byte {
		return fmt.Appendf(nil, "%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj", num, len(evilText), evilText)
	}
	g.add(Case{Name: "shadow/replace-dangling-pieceinfo", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update adds to page 1 only /PieceInfo N 0 R, an object no section lists, and writes, unlisted, an object with the number of the page's content and other text: poppler, resolving the dangling reference, rebuilds the cross-reference from \"N G obj\" and draws the planted content",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "which its cross-reference section does not list there"}}, func(c *Case) ([]byte, error) {
		doc, pref, pd, n, err := signedPage1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		contents := pd["Contents"].(pdf.Ref).Num
		c.Expect.Object = contents
		pd["PieceInfo"] = pdf.Ref{Num: n + 50}
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{pref.Num: pd}, Unlisted: planted(contents)})
	})
	g.add(Case{Name: "shadow/replace-dangling-info", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update only points the trailer's /Info at an object no section lists: poppler, resolving it, rebuilds the cross-reference by scanning the file (where an unlisted object could wait)",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "the trailer refers to object"}}, func(c *Case) ([]byte, error) {
		doc, _, _, n, err := signedPage1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		return AppendRev(doc, Rev{Trailer: pdf.Dict{"Info": pdf.Ref{Num: n + 50}}})
	})
	g.add(Case{Name: "shadow/replace-unlisted-object", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update that changes nothing a section lists writes, unlisted, an object with the number of page 1's content and other text: only readers that rebuild the cross-reference see it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "which its cross-reference section does not list there"}}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		_, _, pd, err := page1(doc)
		if err != nil {
			return nil, err
		}
		contents := pd["Contents"].(pdf.Ref).Num
		c.Expect.Object = contents
		return AppendRev(doc, Rev{Unlisted: planted(contents)})
	})
	g.add(Case{Name: "shadow/replace-info-generation", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update points the trailer's /Info at an existing object under generation 1 (the xref lists 0) and plants an unlisted object glued to a comment: poppler, resolving it, rebuilds the cross-reference",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "generation 1"}}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		_, pref, pd, err := page1(doc)
		if err != nil {
			return nil, err
		}
		contents := pd["Contents"].(pdf.Ref).Num
		c.Expect.Object = 0
		// "%AAA...4 0 obj": a header that starts no token, glued to a
		// comment, where poppler's 255-byte pieces see it.
		glued := append(append([]byte("%"), bytes.Repeat([]byte("A"), 254)...), planted(contents)...)
		return AppendRev(doc, Rev{Trailer: pdf.Dict{"Info": pdf.Ref{Num: pref.Num, Gen: 1}}, Unlisted: glued})
	})
	g.add(Case{Name: "shadow/replace-relisted-generation", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update lists page 1's font anew, the same bytes, under generation 1: every signed reference to it (N 0 R) now names no object, and poppler rebuilds the cross-reference",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "listed anew under generation 1"}}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		r, _, _, err := page1(doc)
		if err != nil {
			return nil, err
		}
		p, err := firstPage(r, 0)
		if err != nil {
			return nil, err
		}
		fonts, _ := r.Dict(p.Resources["Font"])
		var font pdf.Ref
		for _, v := range fonts {
			if ref, ok := v.(pdf.Ref); ok {
				font = ref
				break
			}
		}
		if font.Num == 0 {
			return nil, fmt.Errorf("page 1 has no indirect font")
		}
		fd, err := r.Get(font)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = font.Num
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{font.Num: fd}, HeaderGen: map[uint32]uint16{font.Num: 1}, EntryGen: map[uint32]uint16{font.Num: 1}})
	})
	// A page whose signed content is covered by an opaque /Square annotation.
	coveredByAnnot := func(c *Case) ([]byte, pdf.Ref, error) {
		var annot pdf.Ref
		doc, err := preparedSigned(g.b.Simple, onPage1(func(_ *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, hiddenLine))}
			ap := u.Add(formXObject(480, 30, []byte("1 1 1 rg 0 0 480 30 re f")))
			annot = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "F": pdf.Int(4 | 128),
				"Rect": pdf.Array{pdf.Int(60), pdf.Int(630), pdf.Int(540), pdf.Int(660)}, "IC": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)},
				"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "AP": pdf.Dict{"N": ap}, "P": p.Ref})
			d["Annots"] = pdf.Array{annot}
			return nil
		}))
		return doc, annot, err
	}
	g.add(Case{Name: "shadow/hide-annotation-removed", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation; an update removes the annotation",
		Expect: Expect{By: ByChanges, Class: "annotation", Reason: "covered part of the signed page"}}, func(c *Case) ([]byte, error) {
		doc, annot, err := coveredByAnnot(c)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = annot.Num
		return Append(doc, onPage1(func(r *pdf.Reader, _ *pdf.Update, _ pdf.Page, d pdf.Dict) error {
			var keep pdf.Array
			arr, _ := r.Array(d["Annots"])
			for _, o := range arr {
				if o != pdf.Object(annot) {
					keep = append(keep, o)
				}
			}
			d["Annots"] = keep
			return nil
		}))
	})
	g.add(Case{Name: "shadow/hide-annotation-hidden", Attack: hide, Source: srcNDSS, Field: "Signature1",
		What:   "signed content is covered by an opaque /Square annotation; an update sets its Hidden flag",
		Expect: Expect{By: ByChanges, Class: "annotation", Reason: "covered part of the signed page"}}, func(c *Case) ([]byte, error) {
		doc, annot, err := coveredByAnnot(c)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = annot.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, annot, func(d pdf.Dict) { d["F"] = pdf.Int(2 | 4) })
		})
	})
	g.add(Case{Name: "shadow/replace-font", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "an update rewrites the page's font object in place",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "/Resources/Font/F1"}}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			font, err := font1(r)
			if err != nil {
				return err
			}
			c.Expect.Object = font.Num
			u.Set(font, standardFont("Symbol"))
			return nil
		})
	})
	g.add(Case{Name: "shadow/replace-under-unreadable", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "before signing, page 1's /Resources becomes an object kyso cannot read (a number \"1.2.3\" lenient viewers read) that draws an empty form XObject; an update rewrites the XObject, which only that object refers to",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "objects kyso cannot read"}}, func(c *Case) ([]byte, error) {
		var xo pdf.Ref
		doc, err := preparedSigned(g.b.Simple, onPage1(func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			font, err := font1(r)
			if err != nil {
				return err
			}
			xo = u.Add(formXObject(595, 842, nil))
			d["Resources"] = u.Add(pdf.Raw{Bytes: fmt.Appendf(nil, "<</Font<</F1 %v>>/XObject<</Fx %v>>/Producer 1.2.3>>", font, xo)})
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, []byte("/Fx Do")))}
			return nil
		}))
		if err != nil {
			return nil, err
		}
		c.Expect.Object = xo.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			u.Set(xo, formXObject(595, 842, append([]byte("1 1 1 rg 60 670 480 30 re f 0 g "), evilText...)))
			return nil
		})
	})
	// The form's field "quantity" drawn by the page too: its appearance
	// stream doubles as a page XObject.
	sharedAP := func() ([]byte, pdf.Ref, pdf.Ref, error) {
		var field, ap pdf.Ref
		doc, err := preparedSigned(g.b.Form, onPage1(func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			var fd pdf.Dict
			var err error
			field, fd, err = FieldRef(r, "quantity")
			if err != nil {
				return err
			}
			apd, _ := r.Dict(fd["AP"])
			ap = apd["N"].(pdf.Ref)
			res := p.Resources.Clone()
			res["XObject"] = pdf.Dict{"Fx": ap}
			d["Resources"] = res
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, []byte("q 1 0 0 1 200 600 cm /Fx Do Q")))}
			return nil
		}))
		return doc, field, ap, err
	}
	g.add(Case{Name: "shadow/replace-shared-appearance", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "a field's appearance stream is also drawn by the page; a form fill rewrites it in place",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "also uses it elsewhere"}}, func(c *Case) ([]byte, error) {
		doc, field, ap, err := sharedAP()
		if err != nil {
			return nil, err
		}
		c.Expect.Object = ap.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			return fill(r, u, field, "99 units", &ap)
		})
	})
	formFill := func(name, attack, what string, docMDP int, lock *Lock, field string, exp Expect) {
		g.add(Case{Name: name, Attack: attack, Source: srcNDSS, What: what, Field: "Signature1", DocMDP: docMDP, Lock: lock, Expect: exp},
			func(c *Case) ([]byte, error) {
				o := SigOptions{Field: "Signature1", DocMDP: docMDP, Lock: lock, Placeholder: 4096}
				doc, _, err := Sign(g.b.Form, o)
				if err != nil {
					return nil, err
				}
				return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
					ref, _, err := FieldRef(r, field)
					if err != nil {
						return err
					}
					if !c.Expect.Valid {
						c.Expect.Object = ref.Num
					}
					return fill(r, u, ref, "999999 units", nil)
				})
			})
	}
	formFill("shadow/replace-overlay-approval", replace, "a form field placed as page text is filled in after an approval signature (permitted, with a warning)",
		0, nil, "quantity", Expect{Valid: true, Class: "form-fill", Reason: "filled in"})
	formFill("shadow/replace-overlay-p2", replace, "a form field is filled in after a certification signature that permits form filling (P=2)",
		2, nil, "quantity", Expect{Valid: true, Class: "form-fill", Reason: "filled in"})
	formFill("shadow/replace-overlay-p1", replace, "a form field is filled in after a certification signature that permits no change (P=1)",
		1, nil, "quantity", Expect{By: ByChanges, Class: "form-fill", Reason: "does not permit"})
	formFill("shadow/replace-locked-field", replace, "a field locked by the signature's FieldMDP is filled in",
		0, &Lock{Action: "Include", Fields: []string{"quantity"}}, "quantity", Expect{By: ByChanges, Class: "other", Reason: "locked"})
	formFill("shadow/replace-unlocked-field", replace, "a field the signature's FieldMDP leaves open is filled in (permitted)",
		0, &Lock{Action: "Include", Fields: []string{"quantity"}}, "address", Expect{Valid: true, Class: "form-fill", Reason: "filled in"})
	g.add(Case{Name: "shadow/replace-appearance-existing", Attack: replace, Source: srcNDSS, Field: "Signature1",
		What:   "a form fill points a field's appearance at a stream of the signed document (here another field's)",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "now uses existing object"}}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Form, func(r *pdf.Reader, u *pdf.Update) error {
			ref, fd, err := FieldRef(r, "quantity")
			if err != nil {
				return err
			}
			_, other, err := FieldRef(r, "address")
			if err != nil {
				return err
			}
			oap, _ := r.Dict(other["AP"])
			c.Expect.Object = ref.Num
			fd = fd.Clone()
			fd["V"] = pdf.Str("Hanoi")
			fd["AP"] = pdf.Dict{"N": oap["N"]}
			u.Set(ref, fd)
			return nil
		})
	})
	// Hide-and-replace: the signed document carries objects nothing refers
	// to; an update makes the document use them.
	hidden := func(fn func(r *pdf.Reader, u *pdf.Update) (pdf.Ref, error)) ([]byte, pdf.Ref, error) {
		var ref pdf.Ref
		doc, err := preparedSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			var err error
			ref, err = fn(r, u)
			return err
		})
		return doc, ref, err
	}
	g.add(Case{Name: "shadow/hide-replace-pages", Attack: hr, Source: srcNDSS, Field: "Signature1",
		What:   "the signed document holds an unused page tree; an update points the catalog at it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "catalog /Pages changed"}}, func(c *Case) ([]byte, error) {
		doc, tree, err := hidden(func(r *pdf.Reader, u *pdf.Update) (pdf.Ref, error) { return newPageTree(r, u, evilText), nil })
		if err != nil {
			return nil, err
		}
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			c.Expect.Object = r.RootRef().Num
			editCatalog(r, u, func(cat pdf.Dict) { cat["Pages"] = tree })
			return nil
		})
	})
	g.add(Case{Name: "shadow/hide-replace-contents", Attack: hr, Source: srcNDSS, Field: "Signature1",
		What:   "the signed document holds an unused content stream; an update points page 1 at it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "page 1 /Contents replaced"}}, func(c *Case) ([]byte, error) {
		doc, content, err := hidden(func(r *pdf.Reader, u *pdf.Update) (pdf.Ref, error) { return u.Add(Stream(pdf.Dict{}, evilText)), nil })
		if err != nil {
			return nil, err
		}
		return Append(doc, onPage1(func(_ *pdf.Reader, _ *pdf.Update, p pdf.Page, d pdf.Dict) error {
			c.Expect.Object = p.Ref.Num
			d["Contents"] = content
			return nil
		}))
	})
	g.add(Case{Name: "shadow/hide-replace-root", Attack: hr, Source: srcNDSS, Field: "Signature1",
		What:   "the signed document holds an unused second catalog; an update's trailer makes it the /Root",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "existing object"}}, func(c *Case) ([]byte, error) {
		doc, cat, err := hidden(func(r *pdf.Reader, u *pdf.Update) (pdf.Ref, error) {
			return u.Add(pdf.Dict{"Type": pdf.Name("Catalog"), "Pages": newPageTree(r, u, evilText)}), nil
		})
		if err != nil {
			return nil, err
		}
		c.Expect.Object = cat.Num
		return AppendRev(doc, Rev{Trailer: pdf.Dict{"Root": cat}})
	})
	g.add(Case{Name: "shadow/hide-replace-xref", Attack: hr, Source: srcNDSS, Field: "Signature1",
		What:   "the signed document hides a second definition of page 1's content stream inside an unused stream; an update's xref points at it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "used as page 1 /Contents"}}, func(c *Case) ([]byte, error) {
		_, _, pd, err := page1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		content := pd["Contents"].(pdf.Ref)
		c.Expect.Object = content.Num
		body := fmt.Appendf(nil, "%d 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", content.Num, len(evilText), evilText)
		doc, _, err := hidden(func(r *pdf.Reader, u *pdf.Update) (pdf.Ref, error) {
			return u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: body}), nil
		})
		if err != nil {
			return nil, err
		}
		at := bytes.Index(doc, body)
		if at < 0 {
			return nil, fmt.Errorf("hidden definition not found")
		}
		return AppendRev(doc, Rev{At: map[uint32]int64{content.Num: int64(at)}})
	})
}

// fill changes a text field's value with a new appearance stream; with
// inPlace it rewrites the existing appearance stream instead.
func fill(r *pdf.Reader, u *pdf.Update, field pdf.Ref, value string, inPlace *pdf.Ref) error {
	fd, err := r.Dict(field)
	if err != nil {
		return err
	}
	fd = fd.Clone()
	fd["V"] = pdf.Str(value)
	rect, _ := r.Array(fd["Rect"])
	w, h := 200.0, 22.0
	if len(rect) == 4 {
		x0, _ := pdf.Number(rect[0])
		y0, _ := pdf.Number(rect[1])
		x1, _ := pdf.Number(rect[2])
		y1, _ := pdf.Number(rect[3])
		w, h = x1-x0, y1-y0
	}
	dr := pdf.Dict{}
	if cat, err := r.Catalog(); err == nil {
		if af, _ := r.Dict(cat["AcroForm"]); af != nil {
			dr, _ = r.Dict(af["DR"])
		}
	}
	ap := Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
		"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)}, "Resources": dr},
		fmt.Appendf(nil, "/Tx BMC q BT /Helv 12 Tf 0 g 2 7 Td (%s) Tj ET Q EMC", value))
	if inPlace != nil {
		u.Set(*inPlace, ap)
	} else {
		fd["AP"] = pdf.Dict{"N": u.Add(ap)}
	}
	u.Set(field, fd)
	return nil
}

// confusion adds attacks on the analysis itself: one object given two
// roles in the signed document, so that a change allowed for the harmless
// role also changes what the other shows.
func (g *gen) confusion() {
	const src = "kyso: one object in two roles (the rules must judge every use)"
	g.add(Case{Name: "shadow/page-listed-as-annotation", Attack: "Shadow-Replace", Source: src, Field: "Signature1",
		What:   "page 1 is also listed in its own /Annots; an update changes its /Contents, as if modifying an annotation",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "page 1 /Contents replaced"}}, func(c *Case) ([]byte, error) {
		doc, err := preparedSigned(g.b.Simple, onPage1(func(_ *pdf.Reader, _ *pdf.Update, p pdf.Page, d pdf.Dict) error {
			d["Annots"] = pdf.Array{p.Ref}
			return nil
		}))
		if err != nil {
			return nil, err
		}
		return Append(doc, setPage1Contents(c, evilText))
	})
	g.add(Case{Name: "shadow/dss-array-is-page-contents", Attack: "Shadow-Hide-and-Replace", Source: src, Field: "Signature1",
		What:   "the signed page's /Contents array object also serves as the DSS /Certs array; an update adds a \"certificate\" stream to it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "also uses the object elsewhere"}}, func(c *Case) ([]byte, error) {
		var arr pdf.Ref
		doc, err := preparedSigned(g.b.Simple, onPage1(func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			arr = u.Add(pdf.Array{p.Dict["Contents"]})
			d["Contents"] = arr
			editCatalog(r, u, func(cat pdf.Dict) { cat["DSS"] = u.Add(pdf.Dict{"Type": pdf.Name("DSS"), "Certs": arr}) })
			return nil
		}))
		if err != nil {
			return nil, err
		}
		c.Expect.Object = arr.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			a, _ := r.Array(arr)
			u.Set(arr, append(append(pdf.Array(nil), a...), u.Add(Stream(pdf.Dict{}, evilText))))
			return nil
		})
	})
	g.add(Case{Name: "shadow/info-is-page-resources", Attack: "Shadow-Hide-and-Replace", Source: src, Field: "Signature1",
		What:   "the document information dictionary also serves as page 1's /Resources, whose content draws a missing /Evil; an \"/Info update\" adds it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "also uses the object elsewhere"}}, func(c *Case) ([]byte, error) {
		var info pdf.Ref
		doc, err := preparedSigned(g.b.Simple, onPage1(func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
			info = r.Trailer()["Info"].(pdf.Ref)
			if err := editDict(r, u, info, func(id pdf.Dict) {
				for k, v := range p.Resources {
					id[k] = v
				}
			}); err != nil {
				return err
			}
			d["Resources"] = info
			d["Contents"] = pdf.Array{d["Contents"], u.Add(Stream(pdf.Dict{}, []byte("q /Evil Do Q")))}
			return nil
		}))
		if err != nil {
			return nil, err
		}
		c.Expect.Object = info.Num
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, info, func(id pdf.Dict) { id["XObject"] = pdf.Dict{"Evil": u.Add(formXObject(595, 842, evilText))} })
		})
	})
}
