package diff

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

func TestObjDefs(t *testing.T) {
	// Every maximal run of digits counts as a start, as poppler's rebuild
	// (255-byte pieces) may see one glued to what precedes it.
	buf := []byte("4 0 obj\n<<>>\nendobj\n  12 3 obj<<>>endobj\n>>5 0 obj x17 0 obj /6 0 obj 7 0 objx 8\n\n0\r\nobj\n9 0 R 10 0 obj")
	var got []string
	objDefs(buf, 100, func(d objDef) bool {
		got = append(got, fmt.Sprintf("%d/%d@%d", d.Num, d.Gen, d.Off))
		return true
	})
	want := []string{"4/0@100", "12/3@122", "5/0@143", "17/0@152", "6/0@162", "7/0@170", "8/0@179", "10/0@195"}
	if !slices.Equal(got, want) {
		t.Errorf("defs %v, want %v", got, want)
	}
	n := 0
	objDefs(buf, 0, func(objDef) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("yield false did not stop the scan: %d calls", n)
	}
}

func TestUnlistedDefs(t *testing.T) {
	// Object 1 listed at 0, a stream (object 2) whose data holds
	// "3 0 obj" text, a planted "3 0 obj" after it, and a cross-reference
	// stream 9.
	buf := []byte("1 0 obj\n<<>>\nendobj\n2 0 obj\n<</Length 20>>stream\n3 0 obj\n(x)\nendobj\nendstream\nendobj\n3 0 obj\n<<>>\nendobj\n9 0 obj <<>>\n")
	var defs []objDef
	objDefs(buf, 1000, func(d objDef) bool { defs = append(defs, d); return true })
	if len(defs) != 5 {
		t.Fatalf("defs %v", defs)
	}
	data := []extent{{defs[2].Off, defs[2].Off + 20}}
	listed := func(n uint32) (int64, bool) {
		switch n {
		case 1:
			return 1000, true
		case 2:
			return defs[1].Off - 1, true // white space before the header
		}
		return 0, false
	}
	bad, n := unlistedDefs(buf, 1000, listed, map[int64]uint32{defs[4].Off: 9}, data)
	if len(bad) != 1 || n != 1 || bad[0].Num != 3 || bad[0].Off != defs[3].Off {
		t.Errorf("unlisted %v (%d), want only the planted object 3 at %d", bad, n, defs[3].Off)
	}
	// The cross-reference stream's number is exempt only where its
	// section starts: the same number elsewhere is a planted object.
	bad, _ = unlistedDefs(buf, 1000, listed, map[int64]uint32{defs[4].Off + 1: 9}, data)
	if len(bad) != 2 || bad[1].Num != 9 {
		t.Errorf("unlisted %v, want the planted 3 and 9 away from its section", bad)
	}
	// Listed elsewhere is not listed here.
	bad, n = unlistedDefs(buf, 1000, func(n uint32) (int64, bool) { return 1000, n == 2 }, nil, nil)
	if len(bad) != 5 || n != 5 {
		t.Errorf("unlisted %v (%d), want all 5", bad, n)
	}
	// Many definitions: the first maxUnlisted are kept, all are counted.
	many := bytes.Repeat([]byte("1 0 obj\n"), 10000)
	bad, n = unlistedDefs(many, 0, func(uint32) (int64, bool) { return 0, false }, nil, nil)
	if len(bad) != maxUnlisted || n != 10000 {
		t.Errorf("%d kept, %d counted; want %d and 10000", len(bad), n, maxUnlisted)
	}
}

// A stream an update lists that holds "N G obj" text is no hiding place:
// a reader rebuilding the cross-reference scans stream data too.
func TestUnlistedObjectInStreamData(t *testing.T) {
	_, b := attackCases(t)
	doc := signed(t, b.Simple, 0)
	upd := appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
		u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("1 0 obj\n<< /Type /Catalog >>\nendobj\n4 0 obj\n<<>>\nendobj\n")})
		return nil
	})
	res := analyse(t, upd, "Signature1", Options{})
	found := false
	for _, f := range res.Findings {
		found = found || f.Rule == ruleUnlisted
	}
	if !found || res.Level != Other {
		t.Errorf("level %v, findings %v: want the objects in the stream's data found unlisted", res.Level, res.Findings)
	}
}

// A dangling reference the signed revision already made may stay; a new
// one is other.
func TestDanglingReference(t *testing.T) {
	_, b := attackCases(t)
	var pref pdf.Ref
	prepared := appendRev(t, b.Simple, func(r *pdf.Reader, u *pdf.Update) error {
		var pg pdf.Dict
		pref, pg = page1(t, r)
		pg["PieceInfo"] = pdf.Ref{Num: 90}
		u.Set(pref, pg)
		return nil
	})
	doc := signed(t, prepared, 0)
	bookkeeping := func(piece uint32) []byte {
		return appendRev(t, doc, func(r *pdf.Reader, u *pdf.Update) error {
			_, pg := page1(t, r)
			pg["LastModified"] = pdf.Str("D:20260101000000Z")
			pg["PieceInfo"] = pdf.Ref{Num: piece}
			u.Set(pref, pg)
			return nil
		})
	}
	check(t, analyse(t, bookkeeping(90), "Signature1", Options{}), Archival, true, want{"page.bookkeeping", Archival, pref.Num})
	check(t, analyse(t, bookkeeping(91), "Signature1", Options{}), Other, false, want{"change.dangling-reference", Other, pref.Num})
}
