package sign

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// An input whose xref places an object past the end of the file (where an
// attacker would write it after signing) is refused as damaged; a clean
// one passes.
func TestCheckEntriesInsideRefusesEntriesPastTheEnd(t *testing.T) {
	doc, r, n := simpleContent(t)
	if err := checkEntriesInside(r); err != nil {
		t.Fatalf("clean input refused: %v", err)
	}
	prep, err := attackgen.AppendRev(doc, attackgen.Rev{At: map[uint32]int64{n: 3000000}})
	if err != nil {
		t.Fatal(err)
	}
	r, err = attackgen.Open(prep)
	if err != nil {
		t.Fatal(err)
	}
	err = checkEntriesInside(r)
	var fe *fail.Error
	if err == nil || !errors.As(err, &fe) || fe.Kind != fail.KindInput {
		t.Fatalf("entry past the end: want an input error, got %v", err)
	}
	if !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "3000000") {
		t.Errorf("the error does not name the problem: %v", err)
	}
}

// An input whose cross-reference section lists an object twice with
// different entries (a shadow document prepared for signing: viewers that
// keep the first entry and viewers that keep the last show different
// pages) is refused; the same entry listed twice is harmless.
func TestCheckEntriesInsideRefusesAmbiguousDuplicates(t *testing.T) {
	doc, r, n := simpleContent(t)
	old, _ := r.Lookup(n)
	evil := attackgen.Stream(pdf.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (PAY 1000000) Tj ET"))
	for _, tt := range []struct {
		name    string
		rev     attackgen.Rev
		refused bool
	}{
		{"different entries", attackgen.Rev{Objects: map[uint32]pdf.Object{n: evil}, Dup: map[uint32]int64{n: old.Offset}}, true},
		{"different entries, xref stream", attackgen.Rev{Objects: map[uint32]pdf.Object{n: evil}, Dup: map[uint32]int64{n: old.Offset}, XrefStream: true}, true},
		{"the same entry twice", attackgen.Rev{At: map[uint32]int64{n: old.Offset}, Dup: map[uint32]int64{n: old.Offset}}, false},
	} {
		prep, err := attackgen.AppendRev(doc, tt.rev)
		if err != nil {
			t.Fatal(err)
		}
		r, err := attackgen.Open(prep)
		if err != nil {
			t.Fatal(err)
		}
		checkRefusal(t, tt.name, checkEntriesInside(r), tt.refused, "ambiguous", fmt.Sprintf("object %d twice", n))
		if revs := r.Revisions(); !tt.refused {
			if _, listed := revs[len(revs)-1].Entries[n]; !listed {
				t.Errorf("%s: the update does not list object %d", tt.name, n)
			}
		}
	}
}

// checkRefusal fails unless err is an input error naming every word when
// refused is set, and nil otherwise.
func checkRefusal(t *testing.T, name string, err error, refused bool, words ...string) {
	t.Helper()
	if !refused {
		if err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
		return
	}
	var fe *fail.Error
	if err == nil || !errors.As(err, &fe) || fe.Kind != fail.KindInput {
		t.Errorf("%s: want an input error, got %v", name, err)
		return
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: the error does not name the problem (%q): %v", name, w, err)
		}
	}
}

// An input prepared with a hybrid section whose table marks page 1's
// content stream free while its /XRefStm lists it in use (MuPDF shows the
// page empty, other viewers show it) is refused; new objects free in the
// table and packed in an object stream that the stream lists (the usual
// hybrid pattern) are not.
func TestCheckEntriesInsideRefusesHybridDisagreement(t *testing.T) {
	doc, r, n := simpleContent(t)
	old, _ := r.Lookup(n)
	next, err := r.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		rev     attackgen.Rev
		refused bool
	}{
		{"signed object free in the table", attackgen.Rev{Hybrid: true, StreamOnly: map[uint32]int64{n: old.Offset}}, true},
		{"new packed object", attackgen.Rev{Hybrid: true, Objects: map[uint32]pdf.Object{next: pdf.Dict{"Note": pdf.Str("new")}}, Packed: []uint32{next}}, false},
	} {
		prep, err := attackgen.AppendRev(doc, tt.rev)
		if err != nil {
			t.Fatal(err)
		}
		r, err := attackgen.Open(prep)
		if err != nil {
			t.Fatal(err)
		}
		revs := r.Revisions()
		if h := revs[len(revs)-1].HybridFree; len(h) != 1 {
			t.Fatalf("%s: the update's table and stream disagree on %v, want one number", tt.name, h)
		}
		checkRefusal(t, tt.name, checkEntriesInside(r), tt.refused, "ambiguous", fmt.Sprintf("object %d free", n))
	}
}

// simpleContent is the simple.pdf fixture, read, and the number of its
// page 1's content stream.
func simpleContent(t *testing.T) ([]byte, *pdf.Reader, uint32) {
	t.Helper()
	doc, err := os.ReadFile(fixture(t, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages: %v", err)
	}
	ref, ok := pages[0].Dict["Contents"].(pdf.Ref)
	if !ok {
		t.Fatal("page 1 has no content stream")
	}
	return doc, r, ref.Num
}

// A page that reaches an object kyso cannot read (its /Resources here) is
// refused as damaged; the same page with a big integer there (which kyso
// reads as viewers do) and the clean page pass.
func TestCheckPageReadable(t *testing.T) {
	doc, _, _ := simpleContent(t)
	for _, tt := range []struct {
		producer string
		refused  bool
	}{{"(x)", false}, {"123456789012345678901234", false}, {"1.2.3", true}} {
		for _, inherit := range []bool{false, true} { // the resources on the page, or on its parent
			prep, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
				pages, err := r.Pages()
				if err != nil {
					return err
				}
				d := pages[0].Dict.Clone()
				fonts := pages[0].Resources["Font"]
				x := u.Add(attackgen.Stream(pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}}, nil))
				res := u.Add(pdf.Raw{Bytes: []byte(fmt.Sprintf("<</Font %s/XObject<</Fx %v>>/Producer %s>>", pdf.Bytes(fonts), x, tt.producer))})
				if !inherit {
					d["Resources"] = res
					u.Set(pages[0].Ref, d)
					return nil
				}
				delete(d, "Resources")
				u.Set(pages[0].Ref, d)
				parent, _ := d["Parent"].(pdf.Ref)
				pd, err := r.Dict(parent)
				if err != nil || pd == nil {
					return fmt.Errorf("page 1 has no parent: %v", err)
				}
				pd = pd.Clone()
				pd["Resources"] = res
				u.Set(parent, pd)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := attackgen.Open(prep)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := r.Pages()
			if err != nil {
				t.Fatal(err)
			}
			checkRefusal(t, fmt.Sprintf("%s (inherited %v)", tt.producer, inherit), checkPageReadable(r, pages[0]), tt.refused, "cannot read")
		}
	}
}

// An input whose object stream lists page 1 twice, first as a page drawing
// other content and then as the page itself (which the cross-reference
// names), is refused once the page is read: MuPDF keeps the first
// definition. The same bytes twice are harmless.
func TestCheckUnambiguousObjStmDuplicate(t *testing.T) {
	doc, r, _ := simpleContent(t)
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	pg := pages[0]
	next, err := r.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	forged := pg.Dict.Clone()
	forged["Contents"] = pdf.Ref{Num: next}
	evil := attackgen.Stream(pdf.Dict{}, []byte("BT /F1 24 Tf 72 700 Td (PAY 1000000) Tj ET"))
	for _, tt := range []struct {
		name    string
		shadow  pdf.Object
		refused bool
	}{
		{"a forged page first", forged, true},
		{"the same page twice", pg.Dict, false},
	} {
		prep, err := attackgen.AppendRev(doc, attackgen.Rev{Objects: map[uint32]pdf.Object{pg.Ref.Num: pg.Dict, next: evil},
			Packed: []uint32{pg.Ref.Num}, PackedShadow: map[uint32]pdf.Object{pg.Ref.Num: tt.shadow}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := attackgen.Open(prep)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Pages(); err != nil {
			t.Fatal(err)
		}
		err = checkUnambiguous(r)
		if !tt.refused {
			if err != nil {
				t.Errorf("%s: refused: %v", tt.name, err)
			}
			continue
		}
		var fe *fail.Error
		if err == nil || !errors.As(err, &fe) || fe.Kind != fail.KindInput {
			t.Fatalf("%s: want an input error, got %v", tt.name, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("holds object %d twice", pg.Ref.Num)) {
			t.Errorf("%s: the error does not name the problem: %v", tt.name, err)
		}
	}
}
