package pdf

import (
	"bytes"
	"fmt"
	"testing"
)

// objStmDoc is a PDF whose object 3 is an object stream holding objs (in
// the order given, each numbered as listed) and whose cross-reference puts
// object nums[k] at index idx[k] of it.
func objStmDoc(t *testing.T, nums []uint32, objs []string, idx map[uint32]int) []byte {
	t.Helper()
	var head, body bytes.Buffer
	for i, o := range objs {
		fmt.Fprintf(&head, "%d %d ", nums[i], body.Len())
		body.WriteString(o)
		body.WriteString(" ")
	}
	data := head.String() + body.String()
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	off1 := b.Len()
	b.WriteString("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	off2 := b.Len()
	b.WriteString("2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n")
	off3 := b.Len()
	fmt.Fprintf(&b, "3 0 obj\n<</Type/ObjStm/N %d/First %d/Length %d>>\nstream\n%s\nendstream\nendobj\n", len(objs), head.Len(), len(data), data)
	x := b.Len()
	b.WriteString("xref\n0 4\n0000000000 65535 f\r\n")
	for _, o := range []int{off1, off2, off3} {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", x)
	var rows []byte
	index := ""
	maxNum := uint32(4)
	for num, i := range idx {
		rows = append(rows, 2, 0, 3, byte(i>>8), byte(i))
		index += fmt.Sprintf("%d 1 ", num)
		maxNum = max(maxNum, num)
	}
	x2 := b.Len()
	fmt.Fprintf(&b, "4 0 obj\n<</Type/XRef/Size %d/W[1 2 2]/Index[%s]/Prev %d/Root 1 0 R/Length %d>>\nstream\n", maxNum+1, index, x, len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x2)
	return b.Bytes()
}

// An object stream whose header lists one number twice, at objects
// written differently, is an ambiguity (MuPDF takes the first, the
// cross-reference may name the second) once the stream is read; the same
// bytes twice, or at the same offset, are not.
func TestObjStmDuplicateNumber(t *testing.T) {
	for _, tc := range []struct {
		name string
		nums []uint32
		objs []string
		idx  map[uint32]int
		amb  bool
	}{
		{"different", []uint32{10, 10}, []string{"<</A 1>>", "<</A 2>>"}, map[uint32]int{10: 1}, true},
		{"different, the first indexed", []uint32{10, 10}, []string{"<</A 1>>", "<</A 2>>"}, map[uint32]int{10: 0}, true},
		{"different, read through another object", []uint32{11, 10, 10}, []string{"(x)", "<</A 1>>", "<</A 2>>"}, map[uint32]int{11: 0, 10: 2}, true},
		{"same bytes", []uint32{10, 10}, []string{"<</A 1>>", "<</A 1>>"}, map[uint32]int{10: 1}, false},
		{"same bytes, other spacing around", []uint32{10, 11, 10}, []string{"  <</A 1>>", "(x)", "\n<</A 1>>\n"}, map[uint32]int{10: 2, 11: 1}, false},
		{"no duplicate", []uint32{10, 11}, []string{"<</A 1>>", "<</A 2>>"}, map[uint32]int{10: 0, 11: 1}, false},
		{"an unparsable copy", []uint32{10, 10}, []string{"<</A 1", "<</A 1>>"}, map[uint32]int{10: 1}, true},
	} {
		doc := objStmDoc(t, tc.nums, tc.objs, tc.idx)
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if a := r.Ambiguities(); len(a) != 0 {
			t.Fatalf("%s: ambiguities %v before the stream is read", tc.name, a)
		}
		var read uint32
		for num := range tc.idx {
			read = num
			break
		}
		if _, err := r.Get(Ref{Num: read}); err != nil {
			t.Fatalf("%s: object %d: %v", tc.name, read, err)
		}
		a := r.Ambiguities()
		if !tc.amb {
			if len(a) != 0 {
				t.Errorf("%s: ambiguities %v", tc.name, a)
			}
			continue
		}
		want := Ambiguity{Kind: DuplicateInObjStm, Num: 10, Stream: 3}
		if len(a) != 1 || a[0] != want {
			t.Errorf("%s: ambiguities %v, want %v", tc.name, a, want)
			continue
		}
		if s := a[0].String(); s != "object stream 3 holds object 10 twice, written differently" {
			t.Errorf("%s: %q", tc.name, s)
		}
	}
}
