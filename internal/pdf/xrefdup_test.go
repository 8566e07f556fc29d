package pdf

import (
	"bytes"
	"errors"
	"fmt"
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
