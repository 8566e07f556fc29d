package attackgen

import (
	"bytes"
	"slices"

	"github.com/kyso-project/kyso/internal/pdf"
)

// xmp is a minimal XMP packet.
var xmp = []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta><?xpacket end="w"?>`)

func (g *gen) legitimate() {
	const fam = "Legitimate"
	cert, _, err := TestCertificate()
	if err != nil {
		g.err = err
		return
	}
	certs := [][]byte{cert.Raw}
	add := func(name, what string, field string, docMDP int, exp Expect, build func(c *Case) ([]byte, error)) {
		exp.Valid = true
		g.add(Case{Name: "legit/" + name, Attack: fam, Source: srcSpec, What: what, Field: field, DocMDP: docMDP, Expect: exp}, build)
	}
	add("dss", "validation data (DSS) added after an approval signature", "Signature1", 0, Expect{Class: "archival", Reason: "DSS added"}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		return AddDSS(doc, certs, nil, false)
	})
	add("dss-p1", "validation data (DSS with VRI) added after a certification that permits no change", "Certification", 1, Expect{Class: "archival", Reason: "DSS added"}, func(c *Case) ([]byte, error) {
		doc, sig, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		return AddDSS(doc, certs, sig, false)
	})
	add("timestamp-p1", "a document timestamp added after a certification that permits no change", "Certification", 1, Expect{Class: "archival", Reason: `document timestamp "Timestamp" added`}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		out, _, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Placeholder: 4096})
		return out, err
	})
	add("lta-xrefstream", "PAdES B-LTA on an xref-stream document: DSS in an object stream, document timestamp, DSS again", "Signature1", 0, Expect{Class: "archival", Reason: "DSS updated"}, func(c *Case) ([]byte, error) {
		doc, sig, err := approval(g.b.XrefStream, "Signature1")
		if err != nil {
			return nil, err
		}
		if doc, err = AddDSS(doc, certs, sig, true); err != nil {
			return nil, err
		}
		doc, ts, err := Sign(doc, SigOptions{Field: "Timestamp", DocTimeStamp: true, Placeholder: 4096})
		if err != nil {
			return nil, err
		}
		return AddDSS(doc, certs, ts, true)
	})
	add("dss-hybrid", "validation data added by a hybrid update (table plus /XRefStm): the new DSS and VRI dictionaries in an object stream that only the stream lists (free in the table), the catalog and certificates in the table", "Signature1", 0, Expect{Class: "archival", Reason: "DSS added"}, func(c *Case) ([]byte, error) {
		doc, sig, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		rv, cat, err := dssRev(doc, certs, sig)
		if err != nil {
			return nil, err
		}
		rv.Packed = slices.DeleteFunc(rv.Packed, func(n uint32) bool { return n == cat })
		rv.Hybrid = true
		return AppendRev(doc, rv)
	})
	add("scan-dss", "a signed 200 dpi scan with validation data added", "Signature1", 0, Expect{Class: "archival", Reason: "DSS added"}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Scan, "Signature1")
		if err != nil {
			return nil, err
		}
		return AddDSS(doc, certs, nil, false)
	})
	add("second-signature", "a second, invisible approval signature", "Signature1", 0, Expect{Class: "form-fill", Reason: `signature "Signature2" added`}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		out, _, err := approval(doc, "Signature2")
		return out, err
	})
	add("visible-second-signature", "a second, visible approval signature after an approval signature", "Signature1", 0, Expect{Class: "form-fill", Reason: "visible on page 1"}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		out, _, err := Sign(doc, SigOptions{Field: "Signature2", Rect: [4]float64{72, 560, 372, 620}, Placeholder: 4096})
		return out, err
	})
	add("form-fill-in-place", "a field filled in by rewriting its own appearance stream in place (as Acrobat does)", "Signature1", 0, Expect{Class: "form-fill", Reason: "appearance of field"}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Form, func(r *pdf.Reader, u *pdf.Update) error {
			ref, fd, err := FieldRef(r, "quantity")
			if err != nil {
				return err
			}
			ap, _ := r.Dict(fd["AP"])
			n := ap["N"].(pdf.Ref)
			return fill(r, u, ref, "12 units", &n)
		})
	})
	add("text-annotation", "a sticky note (/Text annotation) after an approval signature", "Signature1", 0, Expect{Class: "annotation", Reason: "new annotation /Text"}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "Rect": pdf.Array{pdf.Int(20), pdf.Int(800), pdf.Int(40), pdf.Int(820)},
				"Contents": pdf.Str("checked")})
			return addAnnot(r, u, p, a)
		})
	})
	add("info", "document information (/Info) updated", "Signature1", 0, Expect{Class: "archival", Reason: "/Info"}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, r.Trailer()["Info"].(pdf.Ref), func(d pdf.Dict) { d["ModDate"] = pdf.Str("D:20250301000000Z") })
		})
	})
	add("metadata", "XMP metadata added, then rewritten in place, after a certification that permits no change", "Certification", 1, Expect{Class: "archival", Reason: "XMP metadata updated"}, func(c *Case) ([]byte, error) {
		doc, _, err := certify(g.b.Simple, 1)
		if err != nil {
			return nil, err
		}
		var meta pdf.Ref
		doc, err = Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			editCatalog(r, u, func(cat pdf.Dict) {
				meta = u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}, Data: xmp})
				cat["Metadata"] = meta
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			u.Set(meta, &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("Metadata"), "Subtype": pdf.Name("XML")}, Data: bytes.Replace(xmp, []byte(`"w"`), []byte(`"r"`), 1)})
			return nil
		})
	})
	add("identical-rewrite", "an update rewrites the catalog, page and content stream with identical values (some writers do)", "Signature1", 0, Expect{Class: "none"}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			cat, _ := r.Catalog()
			u.Set(r.RootRef(), cat.Clone())
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			u.Set(p.Ref, p.Dict.Clone())
			cref := p.Dict["Contents"].(pdf.Ref)
			o, err := r.Get(cref)
			if err != nil {
				return err
			}
			cs, err := copyStream(r, o.(*pdf.Stream))
			if err != nil {
				return err
			}
			u.Set(cref, cs)
			return nil
		})
	})
	add("new-catalog-number", "an update writes the catalog under a new number with a DSS added (as pdfsign does)", "Signature1", 0, Expect{Class: "archival", Reason: "DSS added"}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		r, err := Open(doc)
		if err != nil {
			return nil, err
		}
		cat, _ := r.Catalog()
		n, err := r.NextObjectNumber()
		if err != nil {
			return nil, err
		}
		nc := cat.Clone()
		nc["DSS"] = pdf.Ref{Num: n + 1}
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{n: nc, n + 1: pdf.Dict{"Type": pdf.Name("DSS"), "Certs": pdf.Array{pdf.Ref{Num: n + 2}}},
			n + 2: &pdf.Stream{Dict: pdf.Dict{}, Data: cert.Raw}}, Trailer: pdf.Dict{"Root": pdf.Ref{Num: n}}})
	})
	add("orphans", "an update adds objects nothing refers to", "Signature1", 0, Expect{Class: "none"}, func(c *Case) ([]byte, error) {
		return updateSigned(g.b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
			u.Add(Stream(pdf.Dict{}, evilText))
			u.Add(pdf.Dict{"Type": pdf.Name("Catalog")})
			return nil
		})
	})
	add("trailing-bytes", "text after the last %%EOF, not an update (a warning only)", "Signature1", 0, Expect{Class: "none"}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		return append(doc, "\n\x00\x00 uploaded by the archive gateway 2025-03-01\n"...), nil
	})
}

// tagged covers tagged (accessible) documents, whose structure tree tools
// update when they add a signature field.
func (g *gen) tagged() {
	var root, doc, para, tree pdf.Ref
	prepared, err := prepare(g.b.Simple, onPage1(func(r *pdf.Reader, u *pdf.Update, p pdf.Page, d pdf.Dict) error {
		root, doc, para, tree = u.Reserve(), u.Reserve(), u.Reserve(), u.Reserve()
		u.Set(root, pdf.Dict{"Type": pdf.Name("StructTreeRoot"), "K": pdf.Array{doc}, "ParentTree": tree, "ParentTreeNextKey": pdf.Int(1)})
		u.Set(doc, pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Document"), "P": root, "K": pdf.Array{para}})
		u.Set(para, pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("P"), "P": doc, "Pg": p.Ref, "K": pdf.Int(0),
			"ActualText": pdf.Str("Amount payable: 100 EUR")})
		u.Set(tree, pdf.Dict{"Nums": pdf.Array{pdf.Int(0), pdf.Array{para}}})
		d["StructParents"] = pdf.Int(0)
		editCatalog(r, u, func(cat pdf.Dict) {
			cat["StructTreeRoot"] = root
			cat["MarkInfo"] = pdf.Dict{"Marked": pdf.Bool(true)}
		})
		return nil
	}))
	if err != nil {
		g.err = err
		return
	}
	g.add(Case{Name: "legit/tagged-second-signature", Attack: "Legitimate", Source: srcSpec, Field: "Signature1",
		What:   "a second signature on a tagged document, its widget added to the structure tree (as Acrobat does)",
		Expect: Expect{Valid: true, Class: "form-fill", Reason: "document structure (tags) updated"}}, func(c *Case) ([]byte, error) {
		doc1, err := signed(prepared)
		if err != nil {
			return nil, err
		}
		out, _, err := Sign(doc1, SigOptions{Field: "Signature2", Placeholder: 4096, Also: func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error {
			w, _ := u.Object(field).(pdf.Dict)
			w = w.Clone()
			w["StructParent"] = pdf.Int(1)
			u.Set(field, w)
			form := u.Add(pdf.Dict{"Type": pdf.Name("StructElem"), "S": pdf.Name("Form"), "P": doc, "K": pdf.Dict{"Type": pdf.Name("OBJR"), "Obj": field}})
			if err := editDict(r, u, doc, func(d pdf.Dict) { d["K"] = pdf.Array{para, form} }); err != nil {
				return err
			}
			if err := editDict(r, u, tree, func(d pdf.Dict) { d["Nums"] = pdf.Array{pdf.Int(0), pdf.Array{para}, pdf.Int(1), form} }); err != nil {
				return err
			}
			return editDict(r, u, root, func(d pdf.Dict) { d["ParentTreeNextKey"] = pdf.Int(2) })
		}})
		return out, err
	})
	g.add(Case{Name: "shadow/replace-actual-text", Attack: "Shadow-Replace", Source: srcNDSS, Field: "Signature1",
		What:   "an update rewrites the /ActualText of a tagged paragraph: what screen readers and text extraction say",
		Expect: Expect{By: ByChanges, Class: "other", Object: para.Num, Reason: "/ActualText changed"}}, func(c *Case) ([]byte, error) {
		return updateSigned(prepared, func(r *pdf.Reader, u *pdf.Update) error {
			return editDict(r, u, para, func(d pdf.Dict) { d["ActualText"] = pdf.Str("Amount payable: 999999 EUR") })
		})
	})
}
