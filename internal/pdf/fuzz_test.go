package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// testdataPDFs returns the PDFs of testdata/pdf.
func testdataPDFs(t testing.TB) [][]byte {
	dir := filepath.Join("..", "..", "testdata", "pdf")
	ents, _ := os.ReadDir(dir)
	var out [][]byte
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".pdf" {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatal("no PDFs in testdata/pdf")
	}
	return out
}

// objectSeeds are the bodies of the objects of the testdata PDFs (up to
// 2 KiB of each, from after "obj"), plus hand-made ones.
func objectSeeds(t testing.TB) [][]byte {
	seeds := [][]byte{
		[]byte("<</A [1 2.5 -3 (a\\)b) <414243> /N#20x true false null 4 0 R]>>"),
		[]byte("[[[[]]]] (nested (parens) \\101) -.5 +7"),
		[]byte("<</Length 3 0 R/Filter[/FlateDecode]>>"),
		[]byte("[100000000000000000000.5 -99999999999999999999.0 0.00001]"),
	}
	for _, doc := range testdataPDFs(t) {
		for i := 0; ; {
			j := bytes.Index(doc[i:], []byte(" obj"))
			if j < 0 || len(seeds) > 200 {
				break
			}
			s := i + j + 4
			seeds = append(seeds, doc[s:min(len(doc), s+2048)])
			i = s
		}
	}
	return seeds
}

// hasReal reports whether o holds a Real (which the writer rounds).
func hasReal(o Object) bool {
	switch v := o.(type) {
	case Real:
		return true
	case Array:
		for _, e := range v {
			if hasReal(e) {
				return true
			}
		}
	case Dict:
		for _, e := range v {
			if hasReal(e) {
				return true
			}
		}
	}
	return false
}

// FuzzLexer: whatever parses re-serializes, through the writer's
// serializer, to bytes that parse to the same value (up to the writer's
// rounding of reals, after which the bytes are a fixed point).
func FuzzLexer(f *testing.F) {
	seeds := objectSeeds(f)
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	// Integers past 64 bits parse as Reals (their approximation), which
	// the invariant below covers as every Real: writing is stable.
	f.Add([]byte("<</Producer 123456789012345678901234/N -99999999999999999999>>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &parser{buf: b, eof: true}
		o, err := p.object(0)
		if err != nil {
			return
		}
		if _, ok := o.(Ref); ok {
			return // a reference outside an object is fine as it is
		}
		w1 := Bytes(o)
		p2 := &parser{buf: w1, eof: true}
		o2, err := p2.object(0)
		if err != nil {
			t.Fatalf("%q parsed to %#v, written as %q, which does not parse: %v", b, o, w1, err)
		}
		if p2.skipSpace(); p2.pos != len(w1) {
			t.Fatalf("written %q: parsing stops at %d", w1, p2.pos)
		}
		if !hasReal(o) && !reflect.DeepEqual(normal(o), normal(o2)) {
			t.Fatalf("%q parsed to %#v, written as %q, parsed back to %#v", b, o, w1, o2)
		}
		if w2 := Bytes(o2); !bytes.Equal(w1, w2) {
			t.Fatalf("writing is not stable: %q then %q", w1, w2)
		}
	})
}

// normal makes empty and nil byte slices alike.
func normal(o Object) Object {
	switch v := o.(type) {
	case String:
		if len(v.Bytes) == 0 {
			v.Bytes = nil
		}
		return v
	case Array:
		out := make(Array, len(v))
		for i, e := range v {
			out[i] = normal(e)
		}
		return out
	case Dict:
		out := Dict{}
		for k, e := range v {
			out[k] = normal(e)
		}
		return out
	}
	return o
}

// FuzzFilters decodes fuzzed data through each filter: never more than
// the limit, and data encoded by zlib decodes back to itself.
func FuzzFilters(f *testing.F) {
	n := 0
	for _, doc := range testdataPDFs(f) {
		for i := 0; ; {
			j := bytes.Index(doc[i:], []byte("stream\n"))
			if j < 0 || n > 50 {
				break
			}
			s := i + j + 7
			f.Add(doc[s:min(len(doc), s+4096)], uint8(n%4))
			n++
			i = s
		}
	}
	f.Add([]byte("48656C6C6F>"), uint8(1))
	f.Add([]byte("87cURD]i,\"Ebo80~>"), uint8(2))
	f.Add([]byte{2, 'a', 'b', 'c', 254, 'x', 128}, uint8(3))
	if n == 0 {
		f.Fatal("no seeds")
	}
	const max = 1 << 16
	names := []Name{"FlateDecode", "ASCIIHexDecode", "ASCII85Decode", "RunLengthDecode"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := names[int(which)%len(names)]
		r := &Reader{limits: DefaultLimits, shared: &shared{}}
		out, err := r.decode(&Stream{Dict: Dict{"Filter": name}, Data: data}, max)
		if err == nil && len(out) > max {
			t.Fatalf("%s: %d bytes out, over %d", name, len(out), max)
		}
		// Round trip through zlib.
		var z bytes.Buffer
		w := zlib.NewWriter(&z)
		w.Write(data)
		w.Close()
		back, err := r.decode(&Stream{Dict: Dict{"Filter": Name("FlateDecode")}, Data: z.Bytes()}, int64(len(data))+1)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("zlib round trip: %v, %d bytes back of %d", err, len(back), len(data))
		}
	})
}

// xrefStreamDoc is a document whose only cross-reference section is an
// xref stream with the given /W, /Index and rows; objects 1 (catalog) and
// 2 (pages) are at the offsets the first rows should name.
func xrefStreamDoc(w [3]int, index []int64, rows []byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	b.WriteString("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
	b.WriteString("2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n")
	x := b.Len()
	idx := ""
	if index != nil {
		idx = "/Index["
		for _, v := range index {
			idx += fmt.Sprintf("%d ", v)
		}
		idx += "]"
	}
	fmt.Fprintf(&b, "3 0 obj\n<</Type/XRef/Size 4/W[%d %d %d]%s/Root 1 0 R/Length %d>>\nstream\n", w[0], w[1], w[2], idx, len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x)
	return b.Bytes()
}

// FuzzXrefStream: the entries an xref stream yields stay within what its
// rows and the file's bytes can encode, and each names what its row says.
func FuzzXrefStream(f *testing.F) {
	good := []byte{0, 0, 0, 255, 255, 1, 0, 9, 0, 1, 0, 54, 0, 1, 0, 100, 0}
	f.Add(uint8(1), uint8(2), uint8(1), []byte{0, 4}, good)
	f.Add(uint8(1), uint8(2), uint8(1), []byte{}, good)
	f.Add(uint8(0), uint8(8), uint8(2), []byte{255, 255}, bytes.Repeat([]byte{1}, 40))
	f.Add(uint8(1), uint8(0), uint8(0), []byte{0, 200}, bytes.Repeat([]byte{1}, 200))
	// The xref streams of the testdata PDFs, rows and all.
	n := 0
	for _, doc := range testdataPDFs(f) {
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			f.Fatal(err)
		}
		for _, rv := range r.Revisions() {
			for _, num := range rv.XrefObjects {
				e, _ := r.At(rv.Index).Lookup(num)
				_, o, _, err := r.parseIndirect(e.Offset, true, nil)
				st, ok := o.(*Stream)
				if err != nil || !ok {
					continue
				}
				rows, err := r.StreamData(st)
				wa, _ := st.Dict["W"].(Array)
				if err != nil || len(wa) != 3 {
					continue
				}
				var w [3]uint8
				for i, v := range wa {
					iv, _ := v.(Int)
					w[i] = uint8(iv)
				}
				var index []byte
				if ia, ok := st.Dict["Index"].(Array); ok {
					for _, v := range ia {
						iv, _ := v.(Int)
						index = append(index, byte(iv), 0)
					}
				}
				f.Add(w[0], w[1], w[2], index, rows)
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("no xref stream among the testdata PDFs")
	}
	f.Fuzz(func(t *testing.T, w0, w1, w2 uint8, index []byte, rows []byte) {
		w := [3]int{int(w0 % 10), int(w1 % 10), int(w2 % 10)}
		var idx []int64
		for i := 0; i+1 < len(index) && i < 16; i += 2 {
			idx = append(idx, int64(index[i])<<int(index[i+1]%40), int64(index[i+1]))
		}
		if len(index) == 0 {
			idx = nil
		}
		doc := xrefStreamDoc(w, idx, rows)
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			return
		}
		rowLen := w[0] + w[1] + w[2]
		n := 0
		for _, rv := range r.Revisions() {
			n += len(rv.Entries)
		}
		if n > len(rows)/max(rowLen, 1)+1 || int64(n) > r.maxEntries() {
			t.Fatalf("%d entries from %d bytes of %d-byte rows", n, len(rows), rowLen)
		}
		for num := range r.Entries() {
			if num > r.limits.MaxObjectNumber {
				t.Fatalf("object number %d past the limit", num)
			}
		}
	})
}

// FuzzObjStm: the objects of a fuzzed object stream either fail or, read
// through the Reader, re-serialize and parse back to the same value.
func FuzzObjStm(f *testing.F) {
	f.Add([]byte("10 0 11 6 <</A 1>> [1 (x) /N]"), uint8(2), uint8(11))
	f.Add([]byte("10 0 10 0 (a)"), uint8(2), uint8(8))
	f.Add([]byte("10 0 11 999 null"), uint8(2), uint8(10))
	f.Add([]byte("10 0 <</Type/Page>>"), uint8(1), uint8(5))
	// The object streams of the testdata PDFs (their first 255 objects).
	seeds := 0
	for _, doc := range testdataPDFs(f) {
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			f.Fatal(err)
		}
		for _, num := range r.ObjectNumbers() {
			o, err := r.Get(Ref{Num: num})
			st, ok := o.(*Stream)
			if err != nil || !ok {
				continue
			}
			if t, _ := st.Dict.Name("Type"); t != "ObjStm" {
				continue
			}
			data, err := r.StreamData(st)
			n, _ := st.Dict.Int("N")
			first, _ := st.Dict.Int("First")
			if err == nil && n < 256 && first < 256 {
				f.Add(data, uint8(n), uint8(first))
				seeds++
			}
		}
	}
	if seeds == 0 {
		f.Fatal("no object stream among the testdata PDFs")
	}
	f.Fuzz(func(t *testing.T, data []byte, n, first uint8) {
		var b bytes.Buffer
		b.WriteString("%PDF-1.7\n")
		off1 := b.Len()
		b.WriteString("1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n")
		off2 := b.Len()
		b.WriteString("2 0 obj\n<</Type/Pages/Kids[]/Count 0>>\nendobj\n")
		off3 := b.Len()
		fmt.Fprintf(&b, "3 0 obj\n<</Type/ObjStm/N %d/First %d/Length %d>>\nstream\n", n, first, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
		x := b.Len()
		b.WriteString("xref\n0 4\n0000000000 65535 f\r\n")
		for _, o := range []int{off1, off2, off3} {
			fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
		}
		// The objects the stream's header names (at most 8; 10 to 13 when
		// it names none) are listed in it: a classic table cannot say so,
		// so an xref stream follows as an update (as in hybrid files).
		var nums []uint32
		hp := &parser{buf: data[:min(len(data), int(first))], eof: true}
		for i := 0; i < int(n) && i < 8; i++ {
			a, err1 := hp.object(0)
			_, err2 := hp.object(0)
			an, ok := a.(Int)
			if err1 != nil || err2 != nil || !ok || an < 5 || an > 1<<20 {
				break
			}
			nums = append(nums, uint32(an))
		}
		if len(nums) == 0 {
			nums = []uint32{10, 11, 12, 13}
		}
		var rows []byte
		index := ""
		maxNum := uint32(4)
		for i, num := range nums {
			rows = append(rows, 2, 0, 3, byte(i>>8), byte(i))
			index += fmt.Sprintf("%d 1 ", num)
			maxNum = max(maxNum, num)
		}
		fmt.Fprintf(&b, "trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", x)
		x2 := b.Len()
		fmt.Fprintf(&b, "4 0 obj\n<</Type/XRef/Size %d/W[1 2 2]/Index[%s]/Prev %d/Root 1 0 R/Length %d>>\nstream\n", maxNum+1, index, x, len(rows))
		b.Write(rows)
		fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", x2)
		doc := b.Bytes()
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			t.Fatalf("the frame does not open: %v", err)
		}
		for _, num := range nums {
			o, err := r.Get(Ref{Num: num})
			if err != nil || o == nil {
				continue
			}
			if _, ok := o.(*Stream); ok {
				t.Fatalf("object %d: a stream inside an object stream", num)
			}
			w1 := Bytes(o)
			p := &parser{buf: w1, eof: true}
			o2, err := p.object(0)
			if err != nil {
				t.Fatalf("object %d %#v written as %q does not parse: %v", num, o, w1, err)
			}
			if !hasReal(o) && !reflect.DeepEqual(normal(o), normal(o2)) {
				t.Fatalf("object %d %#v written as %q parsed back to %#v", num, o, w1, o2)
			}
		}
	})
}
