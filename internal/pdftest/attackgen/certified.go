package attackgen

import (
	"crypto/sha1"
	"fmt"

	"github.com/kyso-project/kyso/internal/pdf"
)

// addAnnotation appends an annotation of the given subtype, with an
// appearance that draws text, to page 1.
func addAnnotation(doc []byte, subtype string, text string) ([]byte, error) {
	return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		p, err := firstPage(r, 0)
		if err != nil {
			return err
		}
		font := u.Add(standardFont("Helvetica"))
		ap := u.Add(Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
			"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(300), pdf.Int(24)},
			"Resources": pdf.Dict{"Font": pdf.Dict{"F1": font}}},
			fmt.Appendf(nil, "1 1 1 rg 0 0 300 24 re f BT 0 g /F1 13 Tf 2 7 Td (%s) Tj ET", text)))
		a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(subtype), "F": pdf.Int(4),
			"Rect": pdf.Array{pdf.Int(72), pdf.Int(700), pdf.Int(372), pdf.Int(724)}, "Contents": pdf.Str(text),
			"DA": pdf.Str("/Helv 13 Tf 0 g"), "AP": pdf.Dict{"N": ap}, "P": p.Ref})
		return addAnnot(r, u, p, a)
	})
}

func (g *gen) certified() {
	const eaa, ssa = "EAA", "SSA"
	annot := func(name, subtype string, docMDP int, exp Expect) {
		what := fmt.Sprintf("a /%s annotation that overwrites the amount is added", subtype)
		if docMDP != 0 {
			what += fmt.Sprintf(" after a certification signature with P=%d", docMDP)
		} else {
			what += " after an approval signature"
		}
		field := "Certification"
		if docMDP == 0 {
			field = "Signature1"
		}
		g.add(Case{Name: name, Attack: eaa, Source: srcSP21, What: what, Field: field, DocMDP: docMDP, Expect: exp}, func(c *Case) ([]byte, error) {
			var doc []byte
			var err error
			if docMDP != 0 {
				doc, _, err = certify(g.b.Simple, docMDP)
			} else {
				doc, _, err = approval(g.b.Simple, "Signature1")
			}
			if err != nil {
				return nil, err
			}
			out, err := addAnnotation(doc, subtype, "Amount payable: 999999 EUR")
			if err != nil {
				return nil, err
			}
			if !exp.Valid {
				r, err := Open(out)
				if err != nil {
					return nil, err
				}
				p, _ := firstPage(r, 0)
				arr, _ := r.Array(p.Dict["Annots"])
				c.Expect.Object = arr[len(arr)-1].(pdf.Ref).Num
			}
			return out, nil
		})
	}
	annot("eaa/freetext-p2", "FreeText", 2, Expect{By: ByChanges, Class: "annotation", Reason: "does not permit"})
	annot("eaa/stamp-p2", "Stamp", 2, Expect{By: ByChanges, Class: "annotation", Reason: "does not permit"})
	annot("eaa/freetext-p1", "FreeText", 1, Expect{By: ByChanges, Class: "annotation", Reason: "does not permit"})
	annot("eaa/freetext-p3", "FreeText", 3, Expect{Valid: true, Class: "annotation", Reason: "new annotation /FreeText on page 1"})
	annot("eaa/freetext-approval", "FreeText", 0, Expect{Valid: true, Class: "annotation", Reason: "new annotation /FreeText on page 1"})

	second := func(name, what string, docMDP int, o SigOptions, exp Expect) {
		g.add(Case{Name: name, Attack: ssa, Source: srcSP21, What: what, Field: "Certification", DocMDP: docMDP, Expect: exp}, func(c *Case) ([]byte, error) {
			doc, _, err := certify(g.b.Simple, docMDP)
			if err != nil {
				return nil, err
			}
			o.Placeholder = 4096
			out, sig, err := Sign(doc, o)
			if err != nil {
				return nil, err
			}
			if !exp.Valid {
				c.Expect.Object = sig.Field.Num
			}
			return out, nil
		})
	}
	visible := [4]float64{72, 560, 372, 620}
	second("ssa/visible-signature-p2", "a visible approval signature, whose appearance draws over the page, is added after a certification with P=2",
		2, SigOptions{Field: "Approver", Rect: visible}, Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"})
	second("ssa/visible-signature-p3", "a visible approval signature is added after a certification with P=3",
		3, SigOptions{Field: "Approver", Rect: visible}, Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"})
	second("ssa/visible-timestamp-p1", "a visible document timestamp is added after a certification with P=1",
		1, SigOptions{Field: "Timestamp", DocTimeStamp: true, Rect: visible}, Expect{By: ByChanges, Class: "other", Reason: "can draw over the certified content"})
	second("ssa/invisible-signature-p2", "an invisible approval signature is added after a certification with P=2 (permitted)",
		2, SigOptions{Field: "Approver"}, Expect{Valid: true, Class: "form-fill", Reason: `signature "Approver" added`})
	second("ssa/invisible-signature-p1", "an invisible approval signature is added after a certification with P=1 (not permitted)",
		1, SigOptions{Field: "Approver"}, Expect{By: ByChanges, Class: "form-fill", Reason: "does not permit"})
	g.add(Case{Name: "ssa/prepared-field-p2", Attack: ssa, Source: srcSP21, Field: "Certification", DocMDP: 2,
		What:   "the certifier prepared an empty visible signature field; a second signer signs it (permitted)",
		Expect: Expect{Valid: true, Class: "form-fill", Reason: `field "Approver" signed`}}, func(c *Case) ([]byte, error) {
		var field pdf.Ref
		prepared, err := Append(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			ap := u.Add(formXObject(300, 60, []byte("0 G 0.5 0.5 299 59 re S")))
			field = u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.Str("Approver"),
				"P": p.Ref, "F": pdf.Int(4), "Rect": pdf.Array{pdf.Int(72), pdf.Int(560), pdf.Int(372), pdf.Int(620)}, "AP": pdf.Dict{"N": ap}})
			if err := addAnnot(r, u, p, field); err != nil {
				return err
			}
			editCatalog(r, u, func(cat pdf.Dict) { cat["AcroForm"] = pdf.Dict{"Fields": pdf.Array{field}} })
			return nil
		})
		if err != nil {
			return nil, err
		}
		doc, _, err := certify(prepared, 2)
		if err != nil {
			return nil, err
		}
		out, _, err := Sign(doc, SigOptions{FieldRef: &field, Placeholder: 4096})
		return out, err
	})
}

// AddDSS appends a /DSS holding the given DER certificates and, when sig
// is set, a VRI entry for it. packed stores the new dictionaries in an
// object stream with a cross-reference stream, as PDF 1.5 writers do.
func AddDSS(doc []byte, certs [][]byte, sig *Signature, packed bool) ([]byte, error) {
	rv, _, err := dssRev(doc, certs, sig)
	if err != nil {
		return nil, err
	}
	if !packed {
		rv.Packed = nil
	}
	return AppendRev(doc, rv)
}

// dssRev is the update AddDSS writes, its new dictionaries and the catalog
// listed in Packed, and the catalog's number.
func dssRev(doc []byte, certs [][]byte, sig *Signature) (Rev, uint32, error) {
	r, err := Open(doc)
	if err != nil {
		return Rev{}, 0, err
	}
	cat, err := r.Catalog()
	if err != nil {
		return Rev{}, 0, err
	}
	next, err := r.NextObjectNumber()
	if err != nil {
		return Rev{}, 0, err
	}
	objs := map[uint32]pdf.Object{}
	var arr pdf.Array
	for _, c := range certs {
		objs[next] = &pdf.Stream{Dict: pdf.Dict{}, Data: c}
		arr = append(arr, pdf.Ref{Num: next})
		next++
	}
	dss := pdf.Dict{"Type": pdf.Name("DSS"), "Certs": arr}
	if old, _ := r.Dict(cat["DSS"]); old != nil {
		if oa, _ := r.Array(old["Certs"]); oa != nil {
			dss["Certs"] = append(append(pdf.Array(nil), oa...), arr...)
		}
		if v, ok := old["VRI"]; ok {
			dss["VRI"] = v
		}
	}
	var dicts []uint32
	if sig != nil {
		padded := make([]byte, (sig.ContentsEnd-sig.ContentsAt-2)/2)
		copy(padded, sig.CMS)
		vri := pdf.Dict{pdf.Name(fmt.Sprintf("%X", sha1.Sum(padded))): pdf.Dict{"Cert": arr}}
		objs[next] = vri
		dicts = append(dicts, next)
		dss["VRI"] = pdf.Ref{Num: next}
		next++
	}
	dssRef := pdf.Ref{Num: next}
	if old, ok := cat["DSS"].(pdf.Ref); ok {
		dssRef = old
	}
	objs[dssRef.Num] = dss
	dicts = append(dicts, dssRef.Num)
	cat = cat.Clone()
	cat["DSS"] = dssRef
	objs[r.RootRef().Num] = cat
	dicts = append(dicts, r.RootRef().Num)
	return Rev{Objects: objs, Packed: dicts}, r.RootRef().Num, nil
}
