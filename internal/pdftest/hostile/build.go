package hostile

import (
	"bytes"
	"fmt"
	"strings"
)

// xobj is an object of a file with a cross-reference stream: written at top
// level (stm 0) or inside object stream stm at index idx.
type xobj struct {
	num  int64
	body string
	stm  int64
	idx  int
}

// xrefStreamFile writes top-level objects, then an xref stream (object
// xnum) listing them and the compressed ones. Object streams are among the
// top-level objects; the caller builds them (see objStm).
func xrefStreamFile(objs []xobj, xnum int64, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int64]int64{}
	max := xnum
	for _, o := range objs {
		if o.num > max {
			max = o.num
		}
		if o.stm != 0 {
			continue
		}
		offs[o.num] = int64(b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
	}
	xref := int64(b.Len())
	rows := make([]byte, 0, 8*(max+1))
	for n := int64(0); n <= max; n++ {
		row := []byte{0, 0, 0, 0, 0, 0xff, 0xff}
		if n == xnum {
			row = be(1, xref, 0)
		} else if off, ok := offs[n]; ok {
			row = be(1, off, 0)
		} else {
			for _, o := range objs {
				if o.num == n && o.stm != 0 {
					row = be(2, o.stm, int64(o.idx))
				}
			}
		}
		rows = append(rows, row...)
	}
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", xnum,
		stream(fmt.Sprintf("<</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Filter/FlateDecode%s>>", max+1, trailer), deflate(rows, 1)))
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func be(t byte, a, c int64) []byte {
	return []byte{t, byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a), byte(c >> 8), byte(c)}
}

// objStm builds an object stream's body holding the given objects (in the
// order given) with extra dictionary keys and filters applied by enc.
func objStm(extra string, objs []xobj, enc func([]byte) ([]byte, string)) string {
	var head, data strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&head, "%d %d ", o.num, data.Len())
		data.WriteString(o.body)
		data.WriteString("\n")
	}
	raw := []byte(head.String() + data.String())
	filter := ""
	if enc != nil {
		raw, filter = enc(raw)
	}
	return stream(fmt.Sprintf("<</Type/ObjStm/N %d/First %d%s%s>>", len(objs), head.Len(), extra, filter), raw)
}

func objStmLengthCycle() []byte {
	inner := []xobj{{num: 1, body: "<</Type/Catalog/Pages 2 0 R>>", stm: 5, idx: 0}, {num: 6, body: "100", stm: 5, idx: 1}}
	body := objStm("", inner, nil)
	body = strings.Replace(body, fmt.Sprintf("/Length %d", strings.Index(body, "\nendstream")-strings.Index(body, "stream\n")-7), "/Length 6 0 R", 1)
	objs := append(inner,
		xobj{num: 2, body: "<</Type/Pages/Kids[3 0 R]/Count 1>>"},
		xobj{num: 3, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"},
		xobj{num: 4, body: content()},
		xobj{num: 5, body: body})
	return xrefStreamFile(objs, 7, "")
}

func objStmExtends() []byte {
	inner := []xobj{{num: 1, body: "<</Type/Catalog/Pages 2 0 R>>", stm: 5, idx: 0}}
	inner2 := []xobj{{num: 7, body: "null", stm: 6, idx: 0}}
	objs := append(append(inner, inner2...),
		xobj{num: 2, body: "<</Type/Pages/Kids[3 0 R]/Count 1>>"},
		xobj{num: 3, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"},
		xobj{num: 4, body: content()},
		xobj{num: 5, body: objStm("/Extends 6 0 R", inner, nil)},
		xobj{num: 6, body: objStm("/Extends 5 0 R", inner2, nil)})
	return xrefStreamFile(objs, 8, "")
}

// simple is the minimal document of base() with its content, as bytes, and
// where its xref table starts.
func simple(trailer string) ([]byte, int) {
	f := &file{trailer: trailer}
	base(f)
	f.add(4, content())
	b, _ := f.bytes()
	return b, bytes.LastIndex(b, []byte("\nxref\n")) + 1
}

func prevSelf() []byte {
	b, x := simple("")
	return bytes.Replace(b, []byte("/Root 1 0 R>>"), []byte(fmt.Sprintf("/Root 1 0 R/Prev %d>>", x)), 1)
}

func prevPair() []byte {
	b, x := simple("")
	// A second section after the first, each naming the other.
	b = bytes.Replace(b, []byte("/Root 1 0 R>>"), []byte(fmt.Sprintf("/Root 1 0 R/Prev %010d>>", 0)), 1)
	second := len(b)
	b = fmt.Appendf(b, "xref\n0 1\n0000000000 65535 f\r\ntrailer\n<</Size 5/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", x, second)
	return bytes.Replace(b, []byte(fmt.Sprintf("/Prev %010d", 0)), []byte(fmt.Sprintf("/Prev %010d", second)), 1)
}

func tableHugeCount() []byte {
	b, x := simple("")
	head := b[:x]
	return fmt.Appendf(head, "xref\n0 16777215\n0000000000 65535 f\r\n0000000015 00000 n\r\ntrailer\n<</Size 16777215/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", x)
}

func tableWrap() []byte {
	b, x := simple("")
	// An update whose subsection starts at 2^32-1: entry 1 of it is
	// object 2^32, which a 32-bit number turns into object 0, entry 2
	// into object 1 (the catalog).
	upd := len(b)
	b = fmt.Appendf(b, "xref\n4294967295 3\n0000000000 00000 n\r\n0000000000 00000 n\r\n0000000000 00000 n\r\ntrailer\n<</Size 5/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", x, upd)
	return b
}

// indexOverflow is simple()'s document with its table replaced by an xref
// stream of seven rows under the given /Index: the first five list the
// document's objects, the last two objects whose numbers overflow.
func indexOverflow(index string) []byte {
	b, x := simple("")
	head := b[:x]
	var rows []byte
	rows = append(rows, be(0, 0, 0xffff)...)
	for n := 1; n <= 4; n++ {
		off := bytes.Index(head, fmt.Appendf(nil, "\n%d 0 obj", n)) + 1
		rows = append(rows, be(1, int64(off), 0)...)
	}
	// Both rows claim the xref stream's own offset (the number past the
	// limit, then, after a 64-bit wrap, object 0 or the catalog's).
	rows = append(rows, be(1, int64(x), 0)...)
	rows = append(rows, be(1, int64(x), 0)...)
	d := "<</Type/XRef/W[1 4 2]/Size 5" + index + "/Root 1 0 R>>"
	return fmt.Appendf(head, "9 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n", stream(d, rows), x)
}

// tableOverflow is an update to simple()'s document whose xref subsection
// starts at 2^63-1.
func tableOverflow() []byte {
	b, x := simple("")
	upd := len(b)
	return fmt.Appendf(b, "xref\n9223372036854775807 2\n0000000015 00000 n\r\n0000000015 00000 n\r\ntrailer\n<</Size 5/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", x, upd)
}

// indexRuns is an /Index of n runs of count objects each.
func indexRuns(n int, count int64) []int64 {
	var idx []int64
	for i := int64(0); i < int64(n); i++ {
		idx = append(idx, i*count, count)
	}
	return idx
}

// xrefStreamRows is a file whose xref stream is a compressed run of
// one-byte rows "type 1" (in-use object at offset 0): n bytes of them
// (just under the limit on one stream by default), under /Size size or
// /Index index.
func xrefStreamRows(size int64, index []int64, n ...int) []byte {
	b, x := simple("")
	head := b[:x]
	rows := under
	if len(n) > 0 {
		rows = n[0]
	}
	data := bomb(rows, 1)
	var d strings.Builder
	fmt.Fprintf(&d, "<</Type/XRef/W[1 0 0]/Root 1 0 R%s", flate2)
	if size != 0 {
		fmt.Fprintf(&d, "/Size %d", size)
	} else {
		fmt.Fprintf(&d, "/Size %d", rows)
	}
	if index != nil {
		d.WriteString("/Index[")
		for _, v := range index {
			fmt.Fprintf(&d, "%d ", v)
		}
		d.WriteString("]")
	}
	d.WriteString(">>")
	return fmt.Appendf(head, "9 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n", stream(d.String(), data), x)
}

func xrefStreamW() []byte {
	b, x := simple("")
	head := b[:x]
	var rows []byte
	for i := 0; i < 10; i++ {
		rows = append(rows, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	d := "<</Type/XRef/W[8 8 8]/Size 4294967300/Index[4294967290 10]/Root 1 0 R>>"
	return fmt.Appendf(head, "9 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n", stream(d, rows), x)
}

// objStmBomb spreads n pages over n object streams, each of which
// inflates to a little more than size bytes (the page dictionary, then
// size spaces).
func objStmBomb(n int, size int) []byte {
	var objs []xobj
	kids := ""
	for i := 0; i < n; i++ {
		page := int64(10 + 2*i)
		stm := page + 1
		kids += fmt.Sprintf("%d 0 R ", page)
		inner := []xobj{{num: page, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>", stm: stm}}
		objs = append(objs, inner...)
		objs = append(objs, xobj{num: stm, body: objStm("", inner, func(raw []byte) ([]byte, string) {
			return bombAfter(raw, size, ' '), flate2
		})})
	}
	if n == 1 {
		// The catalog itself is inside the bomb.
		objs[0].num, objs[0].body = 1, "<</Type/Catalog/Pages 2 0 R>>"
		objs[1].body = objStm("", objs[:1], func(raw []byte) ([]byte, string) {
			return bombAfter(raw, size, ' '), flate2
		})
		kids = "3 0 R"
		objs = append(objs, xobj{num: 3, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"})
	} else {
		objs = append(objs, xobj{num: 1, body: "<</Type/Catalog/Pages 2 0 R>>"})
	}
	objs = append(objs,
		xobj{num: 2, body: fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", kids, n)},
		xobj{num: 4, body: content()})
	return xrefStreamFile(objs, int64(10+2*n), "")
}

// objStmOverlap: every object of a stream starts at the same big string.
func objStmOverlap() []byte {
	const n = 10000
	var head strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&head, "%d 0 ", 100+i)
	}
	raw := bombAround([]byte(head.String()+"("), 1<<20, 'x', []byte(")"))
	stm := stream(fmt.Sprintf("<</Type/ObjStm/N %d/First %d%s>>", n, head.Len(), flate2), raw)
	// The catalog's /Names array refers to every object.
	var refs strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&refs, "%d 0 R ", 100+i)
	}
	objs := []xobj{
		{num: 1, body: "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields 6 0 R>>>>"},
		{num: 2, body: "<</Type/Pages/Kids[3 0 R]/Count 1>>"},
		{num: 3, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"},
		{num: 4, body: content()},
		{num: 5, body: stm},
	}
	for i := 0; i < n; i++ {
		objs = append(objs, xobj{num: int64(100 + i), stm: 5, idx: i})
	}
	// The field list itself is in a second object stream, compressed.
	list := []xobj{{num: 6, body: "[" + refs.String() + "]", stm: 7}}
	objs = append(objs, list...)
	objs = append(objs, xobj{num: 7, body: objStm("", list, func(raw []byte) ([]byte, string) { return deflate(raw, 1), "/Filter/FlateDecode" })})
	return xrefStreamFile(objs, int64(100+n), "")
}

// noEndstream: n objects, each a stream with a wrong /Length and no
// endstream, all listed as page contents. The objects' own "endobj" stays;
// "endstream" appears nowhere.
func noEndstream(n int) []byte { return listed(n, "<</Length 999999>>\nstream\nxx", true) }

// unterminated: n objects, each opening a string that runs to the end of
// the file (parentheses nest), all referred to by the catalog.
func unterminated(n int) []byte { return listed(n, "<</T(", false) }

// listed is a file of n objects numbered from 10, each body, that the
// form's field list names and, with asContents, the page draws.
func listed(n int, body string, asContents bool) []byte {
	f := &file{}
	var refs strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&refs, "%d 0 R ", 10+i)
	}
	tree(f, "/AcroForm<</Fields["+refs.String()+"]>>", "")
	keys := ""
	if asContents {
		keys = "/Contents[" + refs.String() + "]"
	}
	f.add(3, page(keys))
	for i := 0; i < n; i++ {
		f.add(int64(10+i), body)
	}
	b, _ := f.bytes()
	return b
}

// deepChain: a catalog whose /Pages is the first of n page tree nodes,
// each the only kid of the one before.
func deepChain(n int, node func(i, next int64) string) []byte {
	f := &file{}
	f.add(1, "<</Type/Catalog/Pages 10 0 R>>")
	for i := int64(0); i < int64(n); i++ {
		f.add(10+i, node(i, 11+i))
	}
	f.add(int64(10+n), "<</Type/Page/MediaBox[0 0 595 842]>>")
	b, _ := f.bytes()
	return b
}

func deepFields(n int) []byte {
	f := &file{}
	tree(f, "/AcroForm<</Fields[10 0 R]>>", "")
	f.add(3, page(""))
	for i := int64(0); i < int64(n); i++ {
		f.add(10+i, fmt.Sprintf("<</T(f)/FT/Sig/Kids[%d 0 R]>>", 11+i))
	}
	f.add(int64(10+n), "<</T(sig)/V<</Type/Sig/ByteRange[0 1 2 3]/Contents<00>/SubFilter/adbe.pkcs7.detached/Filter/Adobe.PPKLite>>>>")
	b, _ := f.bytes()
	return b
}

// manyRevisions: a document of pages pages, then revs incremental updates
// that each change the catalog.
func manyRevisions(revs, pages int) []byte {
	f := &file{}
	var kids strings.Builder
	for i := 0; i < pages; i++ {
		fmt.Fprintf(&kids, "%d 0 R ", 10+i)
	}
	f.add(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[]>>>>")
	f.add(2, fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", kids.String(), pages))
	f.add(3, content())
	// Shared, indirect attributes: each page costs a few lookups.
	f.add(4, "[0 0 595 842]")
	f.add(5, "[]")
	f.add(6, "<<>>")
	for i := 0; i < pages; i++ {
		f.add(int64(10+i), "<</Type/Page/Parent 2 0 R/MediaBox 4 0 R/Contents 3 0 R/Annots 5 0 R/Resources 6 0 R>>")
	}
	b, _ := f.bytes()
	prev := bytes.LastIndex(b, []byte("\nxref\n")) + 1
	size := 10 + pages
	for i := 0; i < revs; i++ {
		off := len(b)
		b = fmt.Appendf(b, "1 0 obj\n<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[]>>/V %d>>\nendobj\n", i)
		x := len(b)
		b = fmt.Appendf(b, "xref\n1 1\n%010d 00000 n\r\ntrailer\n<</Size %d/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", off, size, prev, x)
		prev = x
	}
	return b
}

// dssPerRevision: a DSS whose arrays list one certificate refs times, and
// revs updates that each rewrite the catalog: reading the DSS again for
// every revision would cost revs × refs.
func dssPerRevision(revs, refs int) []byte {
	f := &file{}
	tree(f, "/DSS 5 0 R"+sigField(f), "")
	f.add(3, page("/Contents 4 0 R/Annots[7 0 R]"))
	f.add(4, content())
	f.add(5, "<</Certs 6 0 R/OCSPs 6 0 R/CRLs 6 0 R>>")
	f.add(6, "["+strings.Repeat("9 0 R ", refs)+"]")
	f.add(9, stream("<<>>", []byte("x")))
	b, _ := f.bytes()
	prev := bytes.LastIndex(b, []byte("\nxref\n")) + 1
	for i := 0; i < revs; i++ {
		off := len(b)
		b = fmt.Appendf(b, "1 0 obj\n<</Type/Catalog/Pages 2 0 R/DSS 5 0 R/AcroForm<</Fields[7 0 R]/SigFlags 3>>/V %d>>\nendobj\n", i)
		x := len(b)
		b = fmt.Appendf(b, "xref\n1 1\n%010d 00000 n\r\ntrailer\n<</Size 10/Root 1 0 R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", off, prev, x)
		prev = x
	}
	return b
}

// amplified is a file whose catalog has /X value, or, onPage, whose page
// has it and whose content is content. The object with value sits in an
// object stream compressed twice, so that up to MaxDecoded of syntax that
// parses to tens of times its size takes a few kilobytes. keysMark in
// value or content stands for a million and a half distinct keys.
func amplified(value string, onPage bool, content string) []byte {
	catalog := "<</Type/Catalog/Pages 2 0 R>>"
	page := "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>"
	in := xobj{num: 1, stm: 5}
	if onPage {
		in.num, in.body = 3, strings.TrimSuffix(page, ">>")+"/X "+value+">>"
	} else {
		in.body = strings.TrimSuffix(catalog, ">>") + "/X " + value + ">>"
	}
	objs := []xobj{in,
		{num: 2, body: "<</Type/Pages/Kids[3 0 R]/Count 1>>"},
		{num: 4, body: stream("<<"+flate2+">>", compressTwice([]byte(content)))},
		{num: 5, body: objStm("", []xobj{in}, func(raw []byte) ([]byte, string) { return compressTwice(raw), flate2 })},
	}
	if onPage {
		objs = append(objs, xobj{num: 1, body: catalog})
	} else {
		objs = append(objs, xobj{num: 3, body: page})
	}
	return xrefStreamFile(objs, 6, "")
}

// repeated is "[" s × n "]": n values in one array.
func repeated(s string, n int) string { return "[" + strings.Repeat(s, n) + "]" }

// manyKeys is n distinct "/key 1" pairs, each key a hexadecimal number,
// then suffix.
func manyKeys(n int, suffix string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "/%x 1 ", i)
	}
	b.WriteString(suffix)
	return b.String()
}

// blankTable is a classic xref table whose keyword is followed by n
// blanks and nothing a table can hold: a reader that reads the table whole
// takes memory as the file grows.
func blankTable(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	x := b.Len()
	b.WriteString("xref\n")
	b.Write(bytes.Repeat([]byte{' '}, n))
	fmt.Fprintf(&b, "\nstartxref\n%d\n%%%%EOF\n", x)
	return b.Bytes()
}

// manyAmplifiedPages is a file of n pages, each holding an array of per
// empty arrays (just under MaxObjectMemory when per is 340 000), the pages
// in object streams compressed twice: each object is within the limits on
// one object, and together they would take gigabytes.
func manyAmplifiedPages(n, per int) []byte {
	value := repeated("[]", per)
	perStm := max(1, (15<<20)/(len(value)+100))
	var objs []xobj
	var kids strings.Builder
	stm := int64(10 + n)
	for i := 0; i < n; i += perStm {
		var group []xobj
		for k := i; k < min(n, i+perStm); k++ {
			num := int64(10 + k)
			fmt.Fprintf(&kids, "%d 0 R ", num)
			group = append(group, xobj{num: num, stm: stm, idx: k - i,
				body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/X " + value + ">>"})
		}
		objs = append(objs, group...)
		objs = append(objs, xobj{num: stm, body: objStm("", group, func(raw []byte) ([]byte, string) { return compressTwice(raw), flate2 })})
		stm++
	}
	objs = append(objs,
		xobj{num: 1, body: "<</Type/Catalog/Pages 2 0 R>>"},
		xobj{num: 2, body: fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", kids.String(), n)})
	return xrefStreamFile(objs, stm, "")
}

// longObjStmHeader is a file whose catalog sits in an object stream whose
// header lists n objects (all numbered 1, at offset 0): an index of n
// entries from a few hundred bytes.
func longObjStmHeader(n int) []byte {
	in := xobj{num: 1, stm: 3, body: "<</Type/Catalog/Pages 2 0 R>>"}
	head := strings.Repeat("1 0 ", n)
	raw := compressTwice([]byte(head + in.body + "\n"))
	return xrefStreamFile([]xobj{in,
		{num: 2, body: "<</Type/Pages/Kids[]/Count 0>>"},
		{num: 3, body: stream(fmt.Sprintf("<</Type/ObjStm/N %d/First %d%s>>", n, len(head), flate2), raw)},
	}, 4, "")
}
