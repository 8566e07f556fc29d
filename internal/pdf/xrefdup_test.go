package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// appendTable appends an update whose xref table has the given body
// (subsections) after doc.
func appendTable(t *testing.T, doc []byte, objs string, table func(base int) string) []byte {
	t.Helper()
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	revs := r.Revisions()
	out := append([]byte(nil), doc...)
	base := len(out)
	out = append(out, objs...)
	x := len(out)
	out = fmt.Appendf(out, "xref\n%strailer\n<</Size %d/Root %v/Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
		table(base), r.Trailer()["Size"], r.RootRef(), revs[len(revs)-1].XrefOffset, x)
	return out
}

// Within one section the first entry for a number wins, as in qpdf and
// MuPDF, and the revision records the duplicate.
func TestXrefDuplicateFirstWins(t *testing.T) {
	doc := simplePDF(t)
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	n := r0.RootRef().Num
	old, _ := r0.Lookup(n)
	upd := appendTable(t, doc, "\n", func(int) string {
		return fmt.Sprintf("%d 1\n%010d 00000 n\r\n%d 1\n%010d 00000 n\r\n", n, old.Offset, n, 17)
	})
	r, err := NewReader(bytes.NewReader(upd), int64(len(upd)))
	if err != nil {
		t.Fatal(err)
	}
	last := r.Revisions()[len(r.Revisions())-1]
	if e := last.Entries[n]; e.Offset != old.Offset {
		t.Errorf("object %d: kept the entry at %d, want the first one (%d)", n, e.Offset, old.Offset)
	}
	if len(last.Duplicates) != 1 || last.Duplicates[0] != n {
		t.Errorf("Duplicates = %v, want [%d]", last.Duplicates, n)
	}
	if d := r0.Revisions()[0].Duplicates; len(d) != 0 {
		t.Errorf("a clean file has duplicates %v", d)
	}
}

// An entry past the end of its revision is reported; the clean file has
// none.
func TestEntriesPastEnd(t *testing.T) {
	doc := simplePDF(t)
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if p := r0.EntriesPastEnd(0); len(p) != 0 {
		t.Errorf("clean file: entries past the end %v", p)
	}
	upd := appendTable(t, doc, "", func(int) string { return "99 1\n0003000000 00000 n\r\n" })
	r, err := NewReader(bytes.NewReader(upd), int64(len(upd)))
	if err != nil {
		t.Fatal(err)
	}
	if p := r.EntriesPastEnd(len(r.Revisions()) - 1); len(p) != 1 || p[0] != 99 {
		t.Errorf("EntriesPastEnd = %v, want [99]", p)
	}
}

// NextObjectNumber is an error, not a wrapped number, when the document
// already uses the largest number allowed.
func TestNextObjectNumberPastTheLimit(t *testing.T) {
	doc := simplePDF(t)
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	next, err := r0.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), Limits{MaxObjectNumber: next - 1})
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if _, err := r.NextObjectNumber(); !errors.As(err, &le) {
		t.Errorf("NextObjectNumber past the limit: got %v, want a LimitError", err)
	}
	u := NewUpdate(r)
	u.Add(Dict{})
	if _, err := u.Write(&bytes.Buffer{}); !errors.As(err, &le) {
		t.Errorf("Write past the limit: got %v, want a LimitError", err)
	}
}

// An entry that names object stream S at index I for a number S does not
// hold there is an error whether or not the object at S/I was read before
// (the cache must not hand it out under another number).
func TestObjStmEntryForAnotherNumber(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "xrefstream.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	var in uint32
	var e XrefEntry
	for n, x := range r0.Entries() {
		if x.Type == 2 {
			in, e = n, x
			break
		}
	}
	if in == 0 {
		t.Fatal("the fixture has no object in an object stream")
	}
	next, err := r0.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	revs := r0.Revisions()
	out := append([]byte(nil), doc...)
	x := len(out)
	row := []byte{2, byte(e.Stream >> 24), byte(e.Stream >> 16), byte(e.Stream >> 8), byte(e.Stream), byte(e.Index >> 8), byte(e.Index)}
	out = fmt.Appendf(out, "%d 0 obj\n<</Type/XRef/W[1 4 2]/Index[%d 1]/Size %d/Root %v/Prev %d/Length %d>>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n",
		next+1, next, next+2, r0.RootRef(), revs[len(revs)-1].XrefOffset, len(row), row, x)
	r, err := NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(Ref{Num: in}); err != nil {
		t.Fatal(err)
	}
	if o, err := r.Get(Ref{Num: next}); err == nil {
		t.Errorf("object %d, listed at object %d's place in stream %d, read as %v", next, in, e.Stream, o)
	}
}
