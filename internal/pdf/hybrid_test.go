package pdf

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// hybridUpdate appends a hybrid section after doc: a table with the given
// rows (number -> "offset gen n|f") whose trailer's /XRefStm points at a
// cross-reference stream with the given entries.
func hybridUpdate(t *testing.T, doc []byte, table map[uint32]string, stream map[uint32]XrefEntry) []byte {
	t.Helper()
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	next, err := r.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	for n := range table {
		next = max(next, n+1)
	}
	for n := range stream {
		next = max(next, n+1)
	}
	xnum := next
	size := xnum + 1
	out := append([]byte(nil), doc...)
	var rows bytes.Buffer
	var index Array
	nums := make([]uint32, 0, len(stream))
	for n := range stream {
		nums = append(nums, n)
	}
	for _, run := range XrefRuns(nums) {
		index = append(index, Int(run[0]), Int(run[1]-run[0]+1))
		for n := run[0]; n <= run[1]; n++ {
			e := stream[n]
			f2, f3 := uint32(e.Offset), uint16(e.Gen)
			if e.Type == 2 {
				f2, f3 = e.Stream, uint16(e.Index)
			}
			rows.Write([]byte{e.Type, byte(f2 >> 24), byte(f2 >> 16), byte(f2 >> 8), byte(f2), byte(f3 >> 8), byte(f3)})
		}
	}
	xs := len(out)
	out = fmt.Appendf(out, "%d 0 obj\n", xnum)
	out = append(out, Bytes(&Stream{Dict: Dict{"Type": Name("XRef"), "Size": Int(size), "W": Array{Int(1), Int(4), Int(2)}, "Index": index, "Root": r.RootRef()}, Data: rows.Bytes()})...)
	out = append(out, "\nendobj\n"...)
	table[xnum] = fmt.Sprintf("%010d 00000 n", xs)
	x := len(out)
	out = append(out, "xref\n"...)
	tnums := make([]uint32, 0, len(table))
	for n := range table {
		tnums = append(tnums, n)
	}
	slices.Sort(tnums)
	for _, n := range tnums {
		out = fmt.Appendf(out, "%d 1\n%s\r\n", n, table[n])
	}
	revs := r.Revisions()
	out = fmt.Appendf(out, "trailer\n<</Size %d/Root %v/Prev %d/XRefStm %d>>\nstartxref\n%d\n%%%%EOF\n",
		size, r.RootRef(), revs[len(revs)-1].XrefOffset, xs, x)
	return out
}

// A hybrid section's stream entry replaces a free table entry (the search
// goes on to the stream, ISO 32000-1 §7.5.8.4), and the revision records
// the number: readers that keep the table's entry see the object deleted.
// Entries on which table and stream agree, or where the table's in-use
// entry wins anyway, are not recorded.
func TestHybridTableFreeStreamInUse(t *testing.T) {
	doc := simplePDF(t)
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	if h := r0.Revisions()[0].HybridFree; len(h) != 0 {
		t.Fatalf("a file without hybrid sections records %v", h)
	}
	root := r0.RootRef().Num
	var old, other uint32 // two objects the document has besides its catalog
	for n, e := range r0.Entries() {
		if n != root && e.Type == 1 {
			if old == 0 {
				old = n
			} else if other == 0 {
				other = n
			}
		}
	}
	if other == 0 {
		t.Fatal("the fixture has too few objects")
	}
	oe, _ := r0.Lookup(old)
	next, _ := r0.NextObjectNumber()
	fresh, omitted, bothFree := next, next+1, next+2
	upd := hybridUpdate(t, doc,
		map[uint32]string{
			old:      "0000000000 00001 f", // free in the table, in use in the stream
			fresh:    "0000000000 00000 f", // the usual pattern: a new packed object
			other:    fmt.Sprintf("%010d 00000 n", 17),
			bothFree: "0000000000 00001 f",
		},
		map[uint32]XrefEntry{
			old:      {Type: 1, Offset: oe.Offset},
			fresh:    {Type: 2, Stream: 999, Index: 0},
			omitted:  {Type: 2, Stream: 999, Index: 1},
			other:    {Type: 1, Offset: 23}, // the table's in-use entry wins
			bothFree: {Type: 0},
		})
	r, err := NewReader(bytes.NewReader(upd), int64(len(upd)))
	if err != nil {
		t.Fatal(err)
	}
	revs := r.Revisions()
	last := revs[len(revs)-1]
	if last.Kind != XrefHybrid {
		t.Fatalf("kind %v, want hybrid", last.Kind)
	}
	if want := []uint32{old, fresh}; !slices.Equal(last.HybridFree, want) {
		t.Errorf("HybridFree = %v, want %v", last.HybridFree, want)
	}
	if e := last.Entries[old]; e.Type != 1 || e.Offset != oe.Offset {
		t.Errorf("object %d: entry %+v, want the stream's (offset %d)", old, e, oe.Offset)
	}
	if e := last.Entries[other]; e.Offset != 17 {
		t.Errorf("object %d: entry %+v, want the table's (offset 17)", other, e)
	}
	if e := last.Entries[omitted]; e.Type != 2 || e.Index != 1 {
		t.Errorf("object %d, which the table omits: entry %+v, want the stream's", omitted, e)
	}
	if e := last.Entries[bothFree]; e.Type != 0 {
		t.Errorf("object %d, free in both: entry %+v", bothFree, e)
	}
}
