package attackgen

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Bases are the unsigned documents the cases start from (the fixtures in
// testdata/pdf): Simple and Scan use classic xref tables, XrefStream a
// cross-reference stream with an object stream, Form has text fields with
// appearance streams.
type Bases struct {
	Simple, XrefStream, Form, Scan []byte
}

// What rejects a document.
const (
	ByByteRange = "byterange" // the strict ByteRange check
	ByChanges   = "changes"   // the analysis of later revisions
	ByCMS       = "cms"       // the CMS signature itself
)

// Expect is the verdict a correct verifier reaches on a case's signature.
type Expect struct {
	// Valid: the signature must be accepted (possibly with warnings).
	Valid bool
	// By names the check that must reject an invalid case.
	By string
	// Class is the worst change class after the signature ("none",
	// "archival", "form-fill", "annotation", "other"); empty when the
	// ByteRange check already rejects it and later revisions do not matter.
	Class string
	// Object is the object number the reason must name (0: none).
	Object uint32
	// Reason holds words the reason (for an invalid case) or the list of
	// changes (for a valid one) must contain.
	Reason string
}

// Case is one generated document and what must be concluded about it.
type Case struct {
	// Name is "family/variant", e.g. "isa/page-content".
	Name string
	// Attack is the class of attack: USF, ISA, SWA, Shadow-Hide,
	// Shadow-Replace, Shadow-Hide-and-Replace, EAA, SSA, or Legitimate.
	Attack string
	// Source names the paper that describes the attack.
	Source string
	// What describes the document.
	What string
	PDF  []byte
	// Field is the fully qualified name of the signature field under test.
	Field string
	// DocMDP and Lock are the certification permission and the FieldMDP
	// lock of that signature.
	DocMDP int
	Lock   *Lock
	Expect Expect
}

const (
	srcCCS19 = "Mladenov et al., 1 Trillion Dollar Refund: How To Spoof PDF Signatures, CCS 2019"
	srcNDSS  = "Mainka et al., Shadow Attacks: Hiding and Replacing Content in Signed PDFs, NDSS 2021"
	srcSP21  = "Mainka et al., Breaking the Specification: PDF Certification, IEEE S&P 2021"
	srcSpec  = "ISO 32000-2 §12.8.2.2 and ETSI EN 319 142-1 (permitted changes)"
)

// gen builds cases, keeping the first error.
type gen struct {
	b     Bases
	cases []Case
	err   error
}

func (g *gen) add(c Case, build func(c *Case) ([]byte, error)) {
	if g.err != nil {
		return
	}
	doc, err := build(&c)
	if err != nil {
		g.err = fmt.Errorf("case %s: %w", c.Name, err)
		return
	}
	c.PDF = doc
	g.cases = append(g.cases, c)
}

// Cases builds every attack and legitimate-update document from the bases.
func Cases(b Bases) ([]Case, error) {
	if len(b.Simple) == 0 || len(b.XrefStream) == 0 || len(b.Form) == 0 || len(b.Scan) == 0 {
		return nil, errors.New("attackgen: all four base documents are needed")
	}
	g := &gen{b: b}
	g.usf()
	g.swa()
	g.isa()
	g.xrefTricks()
	g.coveringField()
	g.shadow()
	g.annotCover()
	g.confusion()
	g.certified()
	g.formDefaults()
	g.legitimate()
	g.tagged()
	return g.cases, g.err
}

// approval signs doc with an invisible approval signature in field name.
func approval(doc []byte, name string) ([]byte, *Signature, error) {
	return Sign(doc, SigOptions{Field: name, Placeholder: 4096})
}

func certify(doc []byte, p int) ([]byte, *Signature, error) {
	return Sign(doc, SigOptions{Field: "Certification", DocMDP: p, Placeholder: 4096})
}

// signedPage1 signs doc with an approval signature in Signature1 and
// returns the signed file, page 1 (its reference and a copy of its
// dictionary) and the first object number an update may take.
func signedPage1(doc []byte) (signed []byte, pref pdf.Ref, pd pdf.Dict, next uint32, err error) {
	if signed, _, err = approval(doc, "Signature1"); err != nil {
		return
	}
	var r *pdf.Reader
	if r, pref, pd, err = page1(signed); err != nil {
		return
	}
	next, err = r.NextObjectNumber()
	return
}

// page1 returns page 1's reference and a copy of its dictionary.
func page1(doc []byte) (*pdf.Reader, pdf.Ref, pdf.Dict, error) {
	r, err := Open(doc)
	if err != nil {
		return nil, pdf.Ref{}, nil, err
	}
	p, err := firstPage(r, 0)
	if err != nil {
		return nil, pdf.Ref{}, nil, err
	}
	return r, p.Ref, p.Dict.Clone(), nil
}

var evilText = []byte("BT /F1 13 Tf 72 682 Td (Amount payable: 999999 EUR) Tj ET")

func (g *gen) usf() {
	const fam = "USF"
	// forged signs the simple base, then lets edit change a copy of the
	// signed bytes.
	forged := func(name, what string, exp Expect, edit func(out []byte, sig *Signature) error) {
		g.add(Case{Name: "usf/" + name, Attack: fam, Source: srcCCS19, What: what, Field: "Signature1", Expect: exp}, func(c *Case) ([]byte, error) {
			doc, sig, err := approval(g.b.Simple, "Signature1")
			if err != nil {
				return nil, err
			}
			out := append([]byte(nil), doc...)
			return out, edit(out, sig)
		})
	}
	byteRange := func(name, what, reason string, vals func(s *Signature, size int64) string) {
		forged(name, what, Expect{By: ByByteRange, Reason: reason}, func(out []byte, sig *Signature) error {
			return SetSlot(out, sig.ByteRangeAt, sig.ByteRangeLen, []byte(vals(sig, int64(len(out)))))
		})
	}
	// rename renames the key before the slot at at, as /Contents /Cxntents.
	rename := func(out []byte, at int64, key, renamed string) error {
		copy(out[at-int64(len(key)):], renamed)
		return nil
	}
	forged("contents-missing", "the signature dictionary has no /Contents (the key is renamed)", Expect{By: ByByteRange, Reason: "no /Contents"},
		func(out []byte, sig *Signature) error { return rename(out, sig.ContentsAt, "/Contents ", "/Cxntents") })
	forged("contents-null", "/Contents null, the hex string blanked out", Expect{By: ByByteRange, Reason: "no /Contents"},
		func(out []byte, sig *Signature) error {
			return SetSlot(out, sig.ContentsAt, sig.ContentsEnd-sig.ContentsAt, []byte("null"))
		})
	forged("contents-empty", "/Contents <> followed by spaces in the gap", Expect{By: ByByteRange, Reason: "signature wrapping"},
		func(out []byte, sig *Signature) error {
			return SetSlot(out, sig.ContentsAt, sig.ContentsEnd-sig.ContentsAt, []byte("<>"))
		})
	forged("contents-garbage", "/Contents holds bytes that are not a CMS SignedData; the ByteRange itself is sound", Expect{By: ByCMS, Class: "none"},
		func(out []byte, sig *Signature) error {
			return SetContents(out, sig, bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64))
		})
	forged("byterange-missing", "the signature dictionary has no /ByteRange (the key is renamed)", Expect{By: ByByteRange, Reason: "no /ByteRange"},
		func(out []byte, sig *Signature) error {
			return rename(out, sig.ByteRangeAt, "/ByteRange ", "/BxteRange")
		})
	byteRange("byterange-null", "/ByteRange null (the same as no /ByteRange)", "no /ByteRange", func(*Signature, int64) string { return "null" })
	byteRange("byterange-garbage", "/ByteRange [/a (b) 1 2]", "not an integer", func(*Signature, int64) string { return "[/a (b) 1 2]" })
	byteRange("byterange-3", "/ByteRange with three entries", "3 entries", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 %d %d]", s.Ranges[1], s.Ranges[2])
	})
	byteRange("byterange-6", "/ByteRange with six entries", "6 entries", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 %d %d %d 0 0]", s.Ranges[1], s.Ranges[2], s.Ranges[3])
	})
	byteRange("byterange-negative", "/ByteRange with a negative length", "negative", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 -5 %d %d]", s.Ranges[2], s.Ranges[3])
	})
	byteRange("byterange-offset", "/ByteRange not starting at 0", "not at the beginning", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[1 %d %d %d]", s.Ranges[1]-1, s.Ranges[2], s.Ranges[3])
	})
	byteRange("byterange-past-eof", "/ByteRange reaching past the end of the file", "past the end", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 %d %d %d]", s.Ranges[1], s.Ranges[2], s.Ranges[3]+100)
	})
	byteRange("byterange-overlap", "/ByteRange whose ranges overlap", "overlap", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 %d %d %d]", s.Ranges[2]+10, s.Ranges[2], s.Ranges[3])
	})
	byteRange("byterange-short", "/ByteRange ending 40 bytes before the end of its revision", "not the end of any revision", func(s *Signature, _ int64) string {
		return fmt.Sprintf("[0 %d %d %d]", s.Ranges[1], s.Ranges[2], s.Ranges[3]-40)
	})
}

// wrap rewrites a signed gap: the real /Contents hex, without its zero
// padding, then filler, keeping the gap's length; the signed bytes stay.
func wrap(doc []byte, sig *Signature, filler func(room int) []byte) ([]byte, error) {
	hx := fmt.Sprintf("<%X>", sig.CMS)
	room := int(sig.ContentsEnd-sig.ContentsAt) - len(hx)
	f := filler(room)
	if len(f) > room {
		return nil, fmt.Errorf("filler of %d bytes does not fit in %d", len(f), room)
	}
	out := append([]byte(nil), doc...)
	at := sig.ContentsAt
	at += int64(copy(out[at:], hx))
	at += int64(copy(out[at:], f))
	for ; at < sig.ContentsEnd; at++ {
		out[at] = ' '
	}
	return out, nil
}

func (g *gen) swa() {
	const fam = "SWA"
	g.add(Case{Name: "swa/widened-gap", Attack: fam, Source: srcCCS19, Field: "Signature1",
		What:   "the gap holds the real /Contents, shortened, and unsigned bytes after it (an extra key of the signature dictionary)",
		Expect: Expect{By: ByByteRange, Reason: "signature wrapping"}}, func(c *Case) ([]byte, error) {
		doc, sig, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		return wrap(doc, sig, func(room int) []byte {
			return []byte(" /Unsigned (" + string(bytes.Repeat([]byte("x"), room-14)) + ")")
		})
	})
	g.add(Case{Name: "swa/hidden-object", Attack: fam, Source: srcCCS19, Field: "Signature1",
		What:   "the gap hides a new page content object after the shortened /Contents; an appended xref points page 1's content at it",
		Expect: Expect{By: ByByteRange, Class: "other", Reason: "signature wrapping"}}, func(c *Case) ([]byte, error) {
		doc, sig, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		_, _, pd, err := page1(doc)
		if err != nil {
			return nil, err
		}
		content, _ := pd["Contents"].(pdf.Ref)
		c.Expect.Object = content.Num
		obj := fmt.Sprintf(">>\nendobj\n%d 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n%%", content.Num, len(evilText), evilText)
		var hidden int64
		out, err := wrap(doc, sig, func(room int) []byte {
			hidden = sig.ContentsAt + int64(len(fmt.Sprintf("<%X>", sig.CMS))+len(">>\nendobj\n"))
			return []byte(obj)
		})
		if err != nil {
			return nil, err
		}
		return AppendRev(out, Rev{At: map[uint32]int64{content.Num: hidden}})
	})
	g.add(Case{Name: "swa/foreign-contents", Attack: fam, Source: srcCCS19, Field: "Forged",
		What:   "an appended signature dictionary copies the first signature's /ByteRange and /Contents: its gap is another dictionary's /Contents, and its range ends at an earlier revision",
		Expect: Expect{By: ByByteRange, Reason: "is not the /Contents of the signature dictionary"}}, func(c *Case) ([]byte, error) {
		doc, sig, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		padded := make([]byte, (sig.ContentsEnd-sig.ContentsAt-2)/2)
		copy(padded, sig.CMS)
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			br := pdf.Array{pdf.Int(sig.Ranges[0]), pdf.Int(sig.Ranges[1]), pdf.Int(sig.Ranges[2]), pdf.Int(sig.Ranges[3])}
			sd := u.Add(pdf.Dict{"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("adbe.pkcs7.detached"),
				"ByteRange": br, "Contents": pdf.String{Bytes: padded, Hex: true}})
			w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.Str("Forged"),
				"V": sd, "P": p.Ref, "F": pdf.Int(132), "Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}})
			if err := addAnnot(r, u, p, w); err != nil {
				return err
			}
			cat, _ := r.Catalog()
			cat = cat.Clone()
			af, _ := r.Dict(cat["AcroForm"])
			af = af.Clone()
			if err := appendField(r, u, af, w); err != nil {
				return err
			}
			cat["AcroForm"] = af
			u.Set(r.RootRef(), cat)
			return nil
		})
	})
}

func (g *gen) isa() {
	const fam = "ISA"
	// addOn signs base and lets attack append to it.
	addOn := func(base []byte, name, what, reason string, attack func(c *Case, doc []byte) ([]byte, error)) {
		g.add(Case{Name: "isa/" + name, Attack: fam, Source: srcCCS19, What: what, Field: "Signature1",
			Expect: Expect{By: ByChanges, Class: "other", Reason: reason}}, func(c *Case) ([]byte, error) {
			doc, err := signed(base)
			if err != nil {
				return nil, err
			}
			return attack(c, doc)
		})
	}
	add := func(name, what, reason string, attack func(c *Case, doc []byte) ([]byte, error)) {
		addOn(g.b.Simple, name, what, reason, attack)
	}
	add("page-content", "an update points page 1 at a new content stream", "page 1 /Contents replaced", func(c *Case, doc []byte) ([]byte, error) {
		return Append(doc, setPage1Contents(c, evilText))
	})
	add("content-in-place", "an update rewrites page 1's content stream object itself", "page 1 /Contents", func(c *Case, doc []byte) ([]byte, error) {
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			ref := p.Dict["Contents"].(pdf.Ref)
			c.Expect.Object = ref.Num
			u.Set(ref, Stream(pdf.Dict{}, evilText))
			return nil
		})
	})
	add("catalog-pages", "an update points the catalog at a new page tree", "catalog /Pages changed", func(c *Case, doc []byte) ([]byte, error) {
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			c.Expect.Object = r.RootRef().Num
			editCatalog(r, u, func(cat pdf.Dict) { cat["Pages"] = newPageTree(r, u, evilText) })
			return nil
		})
	})
	add("pages-kids", "an update replaces the page tree's /Kids with a new page", "/Kids changed", func(c *Case, doc []byte) ([]byte, error) {
		return Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
			cat, _ := r.Catalog()
			pr := cat["Pages"].(pdf.Ref)
			c.Expect.Object = pr.Num
			pages, _ := r.Dict(pr)
			pages = pages.Clone()
			p, err := firstPage(r, 0)
			if err != nil {
				return err
			}
			np := p.Dict.Clone()
			np["Contents"] = u.Add(Stream(pdf.Dict{}, evilText))
			pages["Kids"] = pdf.Array{u.Add(np)}
			u.Set(pr, pages)
			return nil
		})
	})
	add("new-root", "an update writes a new catalog, with a new page tree, and points the trailer's /Root at it", "catalog /Pages changed", func(c *Case, doc []byte) ([]byte, error) {
		r, err := Open(doc)
		if err != nil {
			return nil, err
		}
		cat, _ := r.Catalog()
		u := pdf.NewUpdate(r)
		nc := cat.Clone()
		nc["Pages"] = newPageTree(r, u, evilText)
		root := u.Add(nc)
		var objs = map[uint32]pdf.Object{}
		first, _ := r.NextObjectNumber()
		for n := first; n < root.Num+1; n++ {
			if u.Has(pdf.Ref{Num: n}) {
				objs[n] = u.Object(pdf.Ref{Num: n})
			}
		}
		c.Expect.Object = r.RootRef().Num
		return AppendRev(doc, Rev{Objects: objs, Trailer: pdf.Dict{"Root": root}})
	})
	// unfinished rewrites page 1's content stream in a revision that
	// leaves out omit.
	unfinished := func(name, what string, omit Omit) {
		add(name, what, "update without a usable cross-reference", func(c *Case, doc []byte) ([]byte, error) {
			_, _, pd, err := page1(doc)
			if err != nil {
				return nil, err
			}
			return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{pd["Contents"].(pdf.Ref).Num: Stream(pdf.Dict{}, evilText)}, Omit: omit})
		})
	}
	unfinished("no-xref", "objects appended after %%EOF with no cross-reference section or trailer (viewers that repair files show them)", OmitXref)
	unfinished("no-trailer", "objects and an xref table appended with no trailer or startxref", OmitTrailer)
	unfinished("trailer-only", "objects and a trailer appended, startxref still naming the signed xref", OmitXrefKeepTrailer)
	add("free-object", "an update marks page 1's content stream free", "deleted", func(c *Case, doc []byte) ([]byte, error) {
		_, _, pd, err := page1(doc)
		if err != nil {
			return nil, err
		}
		n := pd["Contents"].(pdf.Ref).Num
		c.Expect.Object = n
		return AppendRev(doc, Rev{Free: []uint32{n}})
	})
	// onFont attacks the signed xref-stream base through page 1's font /F1,
	// which it keeps in an object stream.
	onFont := func(name, what, reason string, attack func(c *Case, doc []byte, r *pdf.Reader, font pdf.Ref) ([]byte, error)) {
		addOn(g.b.XrefStream, name, what, reason, func(c *Case, doc []byte) ([]byte, error) {
			r, err := Open(doc)
			if err != nil {
				return nil, err
			}
			font, err := font1(r)
			if err != nil {
				return nil, err
			}
			return attack(c, doc, r, font)
		})
	}
	onFont("objstm-replaced", "on an xref-stream document, an update replaces the object stream holding the page's font", "object stream of the signed document is replaced", func(c *Case, doc []byte, r *pdf.Reader, font pdf.Ref) ([]byte, error) {
		e, ok := r.Lookup(font.Num)
		if !ok || e.Type != 2 {
			return nil, errors.New("the base's font is not in an object stream")
		}
		c.Expect.Object = e.Stream
		return replaceObjStm(r, doc, e.Stream, font.Num, standardFont("Courier"))
	})
	onFont("objstm-member", "on an xref-stream document, an update stores a changed font under the old number in a new object stream", "used as page 1 /Resources/Font/F1", func(c *Case, doc []byte, _ *pdf.Reader, font pdf.Ref) ([]byte, error) {
		c.Expect.Object = font.Num
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{font.Num: standardFont("Courier")}, Packed: []uint32{font.Num}})
	})
	g.add(Case{Name: "isa/dangling-reference", Attack: fam, Source: srcNDSS, Field: "Signature1",
		What:   "the signed page's /Contents names a second stream that does not exist; an update defines it",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "fills a reference"}}, func(c *Case) ([]byte, error) {
		doc, err := preparedSigned(g.b.Simple, onPage1(func(_ *pdf.Reader, _ *pdf.Update, _ pdf.Page, d pdf.Dict) error {
			d["Contents"] = pdf.Array{d["Contents"], pdf.Ref{Num: 40}}
			return nil
		}))
		if err != nil {
			return nil, err
		}
		c.Expect.Object = 40
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{40: Stream(pdf.Dict{}, evilText)}})
	})
}

// newPageTree adds a one-page tree showing content and returns its root.
func newPageTree(r *pdf.Reader, u *pdf.Update, content []byte) pdf.Ref {
	p, _ := firstPage(r, 0)
	pages := u.Reserve()
	np := p.Dict.Clone()
	np["Contents"] = u.Add(Stream(pdf.Dict{}, content))
	np["Parent"] = pages
	np["Resources"] = p.Resources
	delete(np, "Annots")
	u.Set(pages, pdf.Dict{"Type": pdf.Name("Pages"), "Kids": pdf.Array{u.Add(np)}, "Count": pdf.Int(1)})
	return pages
}

// replaceObjStm writes object stream stm anew with object num replaced.
func replaceObjStm(r *pdf.Reader, doc []byte, stm, num uint32, obj pdf.Object) ([]byte, error) {
	o, err := r.GetNum(stm)
	if err != nil {
		return nil, err
	}
	st, ok := o.(*pdf.Stream)
	if !ok {
		return nil, errors.New("not a stream")
	}
	data, err := r.StreamData(st)
	if err != nil {
		return nil, err
	}
	first, _ := st.Dict.Int("First")
	n, _ := st.Dict.Int("N")
	head := bytes.Fields(data[:first])
	var nh, body bytes.Buffer
	for i := 0; i < int(n); i++ {
		var on, off int
		fmt.Sscan(string(head[2*i]), &on)
		fmt.Sscan(string(head[2*i+1]), &off)
		end := len(data) - int(first)
		if i+1 < int(n) {
			fmt.Sscan(string(head[2*i+3]), &end)
		}
		fmt.Fprintf(&nh, "%d %d ", on, body.Len())
		if uint32(on) == num {
			body.Write(pdf.Bytes(obj))
			body.WriteByte('\n')
		} else {
			body.Write(data[int(first)+off : int(first)+end])
		}
	}
	d := st.Dict.Clone()
	delete(d, "Length")
	d["First"] = pdf.Int(nh.Len())
	ns := Stream(d, append(nh.Bytes(), body.Bytes()...))
	return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{stm: ns}, XrefStream: true})
}
