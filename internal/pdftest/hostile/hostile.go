// Package hostile generates malformed and bomb PDFs, one or more for each
// class of hostile input kyso must survive: reference cycles, counts larger
// than the file could hold, decompression bombs, wrong stream lengths,
// object numbers past what a PDF writer can use, and deep nesting. Each is a
// few hundred bytes to a few kilobytes. It exists for tests only.
package hostile

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"fmt"
	"hash/adler32"
	"sort"
	"strings"
	"sync"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Case is one generated file.
type Case struct {
	// Name is "class/variant".
	Name string
	// What says what is hostile about it.
	What string
	// Problem holds words (any one of them, separated by "|") that the
	// error about the file must contain: it names the problem.
	Problem string
	// Data is the file.
	Data []byte
	// Harmless marks a file whose hostile part kyso never follows (an
	// object stream's /Extends) or tolerates (a cycle it stops at): it
	// must only stay bounded.
	Harmless bool
	// VerifyOnly marks a file that can be signed all the same (its broken
	// objects are not ones signing needs): sign must only stay bounded.
	VerifyOnly bool
	// SignOnly marks a file whose hostile part only signing meets (page
	// geometry the stamp computes with): verify must only judge it
	// (invalid) within bounds; sign must refuse it naming the problem.
	SignOnly bool
}

// object is one indirect object: its number and body (a direct object,
// possibly followed by a stream).
type object struct {
	num  int64
	body string
}

// file assembles a PDF with a classic cross-reference table.
type file struct {
	objs    []object
	trailer string // extra trailer keys
	// size overrides /Size (0: highest number + 1).
	size int64
	// noXref leaves the table out: the trailer's /Prev or an xref stream
	// object (named by xrefAt) does the work.
	xrefStream int64
}

func (f *file) add(num int64, body string) { f.objs = append(f.objs, object{num, body}) }

// bytes writes the file; offsets[num] is where each object starts.
func (f *file) bytes() ([]byte, map[int64]int64) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int64]int64{}
	var nums []int64
	for _, o := range f.objs {
		offs[o.num] = int64(b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
		nums = append(nums, o.num)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	size := f.size
	if size == 0 && len(nums) > 0 {
		size = nums[len(nums)-1] + 1
	}
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&b, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&b, "%010d 00000 n\r\n", offs[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R%s>>\nstartxref\n%d\n%%%%EOF\n", size, f.trailer, xref)
	return b.Bytes(), offs
}

// stream is a stream object body with raw data; the dictionary gets
// /Length unless it has one.
func stream(dict string, data []byte) string {
	if !strings.Contains(dict, "/Length") {
		dict = strings.TrimSuffix(dict, ">>") + fmt.Sprintf("/Length %d>>", len(data))
	}
	return dict + "\nstream\n" + string(data) + "\nendstream"
}

// deflate compresses b with zlib, times over (each a /FlateDecode).
func deflate(b []byte, times int) []byte {
	for i := 0; i < times; i++ {
		var z bytes.Buffer
		w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
		w.Write(b)
		w.Close()
		b = z.Bytes()
	}
	return b
}

// bomb is n bytes of fill compressed twice (two /FlateDecode filters): a
// few hundred bytes for tens of megabytes.
func bomb(n int, fill byte) []byte { return bombAround(nil, n, fill, nil) }

var (
	padMu  sync.Mutex
	padMem = map[[2]int][]byte{}
)

// padding is the raw deflate data (final block) of n bytes of fill,
// computed once.
func padding(n int, fill byte) []byte {
	padMu.Lock()
	defer padMu.Unlock()
	k := [2]int{n, int(fill)}
	if b, ok := padMem[k]; ok {
		return b
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	chunk := bytes.Repeat([]byte{fill}, 1<<16)
	for left := n; left > 0; left -= len(chunk) {
		w.Write(chunk[:min(left, len(chunk))])
	}
	w.Flush() // not final: more data may follow
	padMem[k] = z.Bytes()
	return z.Bytes()
}

// bombAfter is prefix followed by n bytes of fill, zlib-compressed twice.
func bombAfter(prefix []byte, n int, fill byte) []byte { return bombAround(prefix, n, fill, nil) }

// keysMem is the raw deflate data (not final) of manyKeys(keysN, ""),
// its Adler-32 and length, computed once: the slow part of the cases that
// use it.
var keysMem = sync.OnceValue(func() (k struct {
	data []byte
	sum  uint32
	n    int
}) {
	keys := []byte(manyKeys(keysN, ""))
	var z bytes.Buffer
	// Level 2 is fast and leaves repeats the second pass finds: 58 KB
	// in a tenth of a second, where level 6 takes seconds.
	w, _ := flate.NewWriter(&z, 2)
	w.Write(keys)
	w.Flush()
	k.data, k.sum, k.n = z.Bytes(), adler32.Checksum(keys), len(keys)
	return k
})

// keysN is how many keys the key-amplification cases hold.
const keysN = 1500000

// keysMark stands, in a value given to amplified, for keysN distinct
// "/key 1" pairs.
const keysMark = "@KEYS@"

// compressTwice compresses b twice with zlib; keysMark in b is replaced
// by the keys (compressed once, for every case).
func compressTwice(b []byte) []byte {
	i := bytes.Index(b, []byte(keysMark))
	if i < 0 {
		return deflate(b, 2)
	}
	prefix, suffix := b[:i], b[i+len(keysMark):]
	k := keysMem()
	var z bytes.Buffer
	z.Write([]byte{0x78, 0x9c})
	w, _ := flate.NewWriter(&z, flate.DefaultCompression)
	w.Write(prefix)
	w.Flush()
	z.Write(k.data)
	w, _ = flate.NewWriter(&z, flate.DefaultCompression)
	w.Write(suffix)
	w.Close()
	sum := adlerCombine(adlerCombine(adler32.Checksum(prefix), k.sum, k.n), adler32.Checksum(suffix), len(suffix))
	z.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	var out bytes.Buffer
	w2, _ := zlib.NewWriterLevel(&out, zlib.DefaultCompression)
	w2.Write(z.Bytes())
	w2.Close()
	return out.Bytes()
}

// bombAround is prefix, n bytes of fill, then suffix, zlib-compressed
// twice. The deflate data of the padding is made once and reused: a
// deflate stream may go on after a flushed block, and a block that starts
// afresh does not refer back.
func bombAround(prefix []byte, n int, fill byte, suffix []byte) []byte {
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda})
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	w.Write(prefix)
	w.Flush()
	z.Write(padding(n, fill))
	w, _ = flate.NewWriter(&z, flate.BestCompression)
	w.Write(suffix)
	w.Close()
	sum := adlerCombine(adlerCombine(adler32.Checksum(prefix), adlerRepeat(fill, n), n), adler32.Checksum(suffix), len(suffix))
	z.Write([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	return deflate(z.Bytes(), 1)
}

const adlerMod = 65521

// adlerRepeat is the Adler-32 of n bytes c, computed without them:
// A = 1 + n·c, B = n + c·n(n+1)/2.
func adlerRepeat(c byte, n int) uint32 {
	nn := uint64(n)
	a := (1 + nn*uint64(c)) % adlerMod
	b := (nn%adlerMod + uint64(c)*((nn*(nn+1)/2)%adlerMod)) % adlerMod
	return uint32(b<<16 | a)
}

// adlerCombine is the Adler-32 of X then Y from theirs and Y's length.
func adlerCombine(x, y uint32, ylen int) uint32 {
	a1, b1 := uint64(x&0xffff), uint64(x>>16)
	a2, b2 := uint64(y&0xffff), uint64(y>>16)
	a := (a1 + a2 + adlerMod - 1) % adlerMod
	b := (b1 + b2 + (uint64(ylen)%adlerMod)*((a1+adlerMod-1)%adlerMod)) % adlerMod
	return uint32(b<<16 | a)
}

const flate2 = "/Filter[/FlateDecode/FlateDecode]"

// under is just under the default limit on one decoded stream, over just
// over it.
var (
	under = int(pdf.DefaultLimits.MaxDecoded) - 1<<20
	over  = int(pdf.DefaultLimits.MaxDecoded) + 1<<20
)

// base adds a minimal catalog, page tree and page (objects 1 to 3) whose
// content is object 4.
func base(f *file) {
	tree(f, "", "")
	f.add(3, page("/Contents 4 0 R"))
}

// tree adds a catalog (object 1, with the extra keys catalogKeys) and a
// page tree (object 2, with pagesKeys) whose one page is object 3.
func tree(f *file, catalogKeys, pagesKeys string) {
	f.add(1, "<</Type/Catalog/Pages 2 0 R"+catalogKeys+">>")
	f.add(2, "<</Type/Pages/Kids[3 0 R]/Count 1"+pagesKeys+">>")
}

// page is the dictionary of an A4 page of the tree, object 3, with the
// extra keys keys.
func page(keys string) string { return "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]" + keys + ">>" }

func content() string { return stream("<<>>", []byte("0 0 m 10 10 l S")) }

// sigField adds a signature field (object 7, on page 3) whose signature
// (object 8) is bogus, so that verify goes on to read the rest of the
// file; it returns the catalog's /AcroForm entry.
func sigField(f *file) string {
	f.add(7, "<</FT/Sig/T(Signature1)/V 8 0 R/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R>>")
	f.add(8, "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 10 20 30]/Contents<3000>>>")
	return "/AcroForm<</Fields[7 0 R]/SigFlags 3>>"
}

// Cases returns every generated file.
func Cases() []Case {
	var cs []Case
	add := func(name, what, problem string, data []byte) {
		cs = append(cs, Case{Name: name, What: what, Problem: problem, Data: data})
	}
	build := func(fn func(f *file)) []byte {
		f := &file{}
		fn(f)
		b, _ := f.bytes()
		return b
	}

	// --- reference cycles -------------------------------------------------
	add("cycle/length-self", "the page is a stream whose /Length refers to the stream itself", "reference cycle",
		build(func(f *file) {
			tree(f, "", "")
			f.add(3, stream("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Length 3 0 R>>", []byte("0 0 m 10 10 l S")))
		}))
	add("cycle/length-pair", "the page is a stream whose /Length is a stream whose /Length is the page", "reference cycle",
		build(func(f *file) {
			tree(f, "", "")
			f.add(3, stream("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Length 5 0 R>>", []byte("0 0 m 10 10 l S")))
			f.add(5, stream("<</Length 3 0 R>>", []byte("0 0 m 10 10 l S")))
		}))
	add("cycle/root-self", "the trailer's /Root is an object that is a reference to itself", "cycle|chain|catalog",
		build(func(f *file) {
			f.add(1, "1 0 R")
		}))
	add("cycle/root-pair", "the /Root reference goes round two objects", "cycle|chain|catalog",
		build(func(f *file) {
			f.add(1, "2 0 R")
			f.add(2, "1 0 R")
		}))
	add("cycle/pages-kids", "a page tree node lists its own parent among its kids", "page tree",
		build(func(f *file) {
			tree(f, "/AcroForm<</Fields[]>>", "")
			f.add(3, "<</Type/Pages/Kids[2 0 R]/Count 1/Parent 2 0 R>>")
		}))
	add("cycle/inherited-attributes", "a page's inherited /MediaBox and /Resources go round through references (kyso uses the defaults)", "",
		build(func(f *file) {
			tree(f, "", "/MediaBox 5 0 R/Resources 6 0 R")
			f.add(3, "<</Type/Page/Parent 2 0 R/Contents 4 0 R>>")
			f.add(4, content())
			f.add(5, "6 0 R")
			f.add(6, "5 0 R")
		}))
	cs[len(cs)-1].Harmless = true
	add("cycle/fields", "a form field lists itself among its kids, through its parent (kyso visits each field once)", "",
		build(func(f *file) {
			tree(f, "/AcroForm<</Fields[5 0 R]>>", "")
			f.add(3, page("/Contents 4 0 R/Annots[6 0 R]"))
			f.add(4, content())
			f.add(5, "<</T(a)/Kids[6 0 R]/Parent 6 0 R>>")
			f.add(6, "<</T(b)/FT/Sig/Kids[5 0 R]/Parent 5 0 R/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R/V 6 0 R>>")
		}))
	cs[len(cs)-1].Harmless = true

	// Object streams whose own /Length lies inside them.
	add("cycle/objstm-length", "an object stream's /Length is an object stored inside that object stream", "cycle|refers to itself",
		objStmLengthCycle())
	add("cycle/objstm-extends", "two object streams /Extends each other", "", objStmExtends())
	cs[len(cs)-1].Harmless = true
	add("cycle/prev-self", "the cross-reference section's /Prev points at itself", "loop",
		prevSelf())
	add("cycle/prev-pair", "two cross-reference sections name each other as /Prev", "loop",
		prevPair())

	// --- counts beyond the bytes --------------------------------------------
	add("xref/table-count", "an xref subsection claims 16 million entries in a 400-byte file", "xref|cross-reference|end of file",
		tableHugeCount())
	add("xref/table-wrap", "an xref subsection starts at object 4294967295, so object numbers wrap round to 0", "object number",
		tableWrap())
	add("xref/stream-size", "an xref stream says /Size 2147483647 with rows for every object (tens of megabytes of zeros, compressed)", "entries|limit",
		xrefStreamRows(1<<31-1, nil))
	add("xref/stream-index", "an xref stream's /Index lists 2 billion objects in 1000 runs", "entries|limit|shorter",
		xrefStreamRows(0, indexRuns(1000, 1<<21)))
	add("xref/stream-w", "an xref stream's /W asks for 8+8+8-byte fields and /Size past 2^31", "object number|range|shorter|entries|limit|/W",
		xrefStreamW())
	add("xref/index-overflow", "an xref stream's /Index [0 5 9223372036854775807 2]: first + count overflows a 64-bit sum, and the numbers wrap round to the catalog's", "MaxObjectNumber|object number",
		indexOverflow("/Index[0 5 9223372036854775807 2]"))
	add("xref/index-wrap-32", "an xref stream's /Index [0 5 4294967295 2]: the second run's numbers wrap round to 0 in 32 bits", "MaxObjectNumber|object number",
		indexOverflow("/Index[0 5 4294967295 2]"))
	add("xref/table-overflow", "an xref subsection \"9223372036854775807 2\": first + count overflows a 64-bit sum", "MaxObjectNumber|object number",
		tableOverflow())
	add("xref/size-past-2^32", "the trailer says /Size 4294967297, so a writer would number new objects from 1 again", "MaxObjectNumber|/Size",
		build(func(f *file) {
			base(f)
			f.add(4, content())
			f.size = 1<<32 + 1
		}))
	add("xref/object-number-past-writer", "the file uses object number 2147483646, past what kyso writes", "object number",
		build(func(f *file) {
			base(f)
			f.add(4, content())
			f.add(1<<31-2, "null")
		}))

	// --- decompression bombs --------------------------------------------------
	add("bomb/objstm-one", "the catalog sits in an object stream that inflates to just over the limit on one stream", "limit",
		objStmBomb(1, over))
	add("bomb/objstm-many", "forty object streams each inflate to just under the per-stream limit; the pages are spread over them", "limit",
		objStmBomb(40, under))
	add("bomb/xref-stream", "the cross-reference stream inflates to just over the limit on one stream", "limit",
		xrefStreamRows(0, nil, over))
	add("bomb/dss-certs", "the DSS /Certs lists a hundred certificate streams that inflate to just under the limit on one stream", "limit",
		build(func(f *file) {
			certs := ""
			for i := 0; i < 100; i++ {
				certs += fmt.Sprintf("%d 0 R ", 100+i)
				f.add(int64(100+i), stream("<<"+flate2+">>", bomb(under, 0)))
			}
			tree(f, "/DSS 5 0 R"+sigField(f), "")
			f.add(3, page("/Contents 4 0 R/Annots[7 0 R]"))
			f.add(4, content())
			f.add(5, "<</Certs["+certs+"]>>")
		}))
	add("bomb/page-contents", "the page's /Contents lists one stream 200 times that inflates to just under the limit on one stream", "",
		build(func(f *file) {
			tree(f, "", "")
			f.add(3, page("/Contents["+strings.Repeat("4 0 R ", 200)+"]"))
			f.add(4, stream("<<"+flate2+">>", bomb(under, ' ')))
		}))
	cs[len(cs)-1].Harmless = true // verify never decodes content; the stamp falls back to its default box
	add("bomb/objstm-overlap", "an object stream's 10 000 objects all start at the same 1 MiB string", "limit",
		objStmOverlap())

	// --- wrong lengths ---------------------------------------------------------
	add("length/no-endstream", "two thousand streams whose /Length is wrong and that have no endstream", "endstream|limit",
		noEndstream(2000))
	cs[len(cs)-1].VerifyOnly = true
	add("length/unterminated-strings", "every object opens a string that never closes before the end of the file", "end of file|limit|catalog",
		unterminated(2000))
	cs[len(cs)-1].VerifyOnly = true

	// --- deep nesting ------------------------------------------------------------
	add("nesting/arrays", "arrays nested 10 000 deep in the catalog", "nested",
		build(func(f *file) {
			f.add(1, "<</Type/Catalog/Pages 2 0 R/X"+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+">>")
			f.add(2, "<</Type/Pages/Kids[]/Count 0>>")
		}))
	add("nesting/page-tree", "a page tree 1000 levels deep", "page tree|deep",
		deepChain(1000, func(i, next int64) string {
			return fmt.Sprintf("<</Type/Pages/Kids[%d 0 R]/Count 1>>", next)
		}))
	add("nesting/fields", "a form field tree 1000 levels deep", "field|deep",
		deepFields(1000))
	add("nesting/revisions", "1100 incremental updates over 300 pages", "revisions|sections|limit",
		manyRevisions(1100, 300))
	add("nesting/revisions-times-pages", "400 incremental updates over 1200 pages: walking the pages once per revision would cost their product", "MaxLookups",
		manyRevisions(400, 1200))
	cs[len(cs)-1].VerifyOnly = true // signing walks the pages once
	add("nesting/dss-per-revision", "a DSS listing one certificate 20 000 times, kept by 500 updates (kyso reads each DSS array once)", "",
		dssPerRevision(500, 20000))
	cs[len(cs)-1].Harmless = true

	// Many signatures: each would cost its own parsing, hashing and chain
	// building, and a findings list per signature.
	add("count/signatures", "1200 signature fields, each with a small bogus signature (verify refuses the file past MaxSignatures before judging any; sign's check of its output does the same)", "MaxSignatures",
		ManySignatures(1200))

	// --- page geometry and scan images (the visible stamp) ---------------------
	// Verifying does no geometry with these: it judges them (invalid: no
	// signature) and stays bounded; signing with a stamp meets them.
	signOnly := func() { cs[len(cs)-1].SignOnly = true }
	e300, e200, e199x5 := "1"+strings.Repeat("0", 300)+".0", "1"+strings.Repeat("0", 200)+".0", "5"+strings.Repeat("0", 199)+".0"
	add("geometry/mediabox-inf-width", "the page's /MediaBox is [-1.7e308 0 1.7e308 842] (its width overflows to +Inf) and an existing widget makes the stamp map the whole page", "/MediaBox width",
		imagePage("[-"+big+" 0 "+big+" 842]", "", fullPage, "", "[10 10 100 100]"))
	signOnly()
	add("geometry/mediabox-inf-height", "the page's /MediaBox height overflows to +Inf", "/MediaBox height",
		imagePage("[0 -"+big+" 595 "+big+"]", "", fullPage, "", ""))
	signOnly()
	add("geometry/mediabox-huge", "the page's /MediaBox is 1e300 wide: finite, but no page", "/MediaBox",
		imagePage("[0 0 1"+strings.Repeat("0", 300)+".0 842]", "", fullPage, "", "[10 10 100 100]"))
	signOnly()
	add("geometry/cropbox-huge", "the page's /CropBox reaches 1e30", "/CropBox",
		imagePage("[0 0 595 842]", "/CropBox[0 0 1"+strings.Repeat("0", 30)+".0 1"+strings.Repeat("0", 30)+".0]", fullPage, "", ""))
	signOnly()
	add("geometry/image-matrix-huge", "the scan is drawn through a matrix of 1e200 that overflows to Inf and NaN (ink-map cells out of range)", "",
		imagePage("[0 0 595 842]", "", "q "+e200+" 0 0 "+e200+" -"+e199x5+" -"+e199x5+" cm /Im Do Q q "+e200+" 0 0 "+e200+" 0 0 cm 0 "+e200+" "+e200+" 0 0 0 cm /Im Do Q", "", "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true
	add("geometry/widget-rect-huge", "an existing widget's /Rect spans ±1e300: the stamp has no room clear of it", "",
		imagePage("[0 0 595 842]", "", fullPage, "", "[-"+e300+" -"+e300+" "+e300+" "+e300+"]"))
	cs[len(cs)-1].Harmless = true
	add("jpeg/cmyk-huge-frame", "a full-page 7900 x 7900 CMYK JPEG scan in a few hundred bytes (image/jpeg allocates 240 MB for it; kyso reads its block means)", "",
		imagePage("[0 0 595 842]", "", fullPage, jpegImage(7900, 7900, 4, "DeviceCMYK", 0, false, false), "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true
	add("jpeg/cmyk-separate-scans", "a 7900 x 7900 CMYK JPEG scan with one scan per component: only image/jpeg reads it, past the 64 MiB kyso allows it", "",
		imagePage("[0 0 595 842]", "", fullPage, jpegImage(7900, 7900, 4, "DeviceCMYK", 0, true, false), "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true
	add("jpeg/rgb-separate-scans", "a 7900 x 7900 Adobe RGB JPEG scan with one scan per component", "",
		imagePage("[0 0 595 842]", "", fullPage, jpegImage(7900, 7900, 3, "DeviceRGB", 0, true, false), "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true
	add("jpeg/progressive-many-scans", "a 2048 x 2048 progressive JPEG scan, drawn rotated, with 10 000 AC scans of 16 bytes that each cover all 65 536 blocks of a component: image/jpeg would take about 25 s (kyso counts the scans and does not examine it)", "",
		imagePage("[0 0 595 842]", "", "q 0 842 -595 0 595 0 cm /Im Do Q", manyScansJPEG(2048, 10000), "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true
	add("jpeg/progressive-ac-first", "a 7900 x 7900 progressive gray JPEG whose first scan, AC end-of-band runs of a few dozen bytes, covers every block: image/jpeg writes 300 MB of coefficients and pixels", "",
		imagePage("[0 0 595 842]", "", fullPage, jpegImage(7900, 7900, 1, "DeviceGray", -1, false, true), "[10 10 100 100]"))
	cs[len(cs)-1].Harmless = true

	// --- memory of parsed values ---------------------------------------------------
	// Each within MaxDecoded (and MaxObjectSize) of syntax, compressed to a
	// few kilobytes, that would parse to hundreds of megabytes.
	const amp = 14 << 20
	add("memory/empty-arrays", "the catalog, in an object stream, holds an array of seven million empty arrays", "MaxObjectMemory",
		amplified(repeated("[]", amp/2), false, "0 0 m 10 10 l S"))
	add("memory/empty-strings", "the catalog, in an object stream, holds an array of seven million empty strings", "MaxObjectMemory",
		amplified(repeated("()", amp/2), false, "0 0 m 10 10 l S"))
	add("memory/small-dictionaries", "the catalog, in an object stream, holds an array of two million one-entry dictionaries (each a map with a group of eight slots)", "MaxObjectMemory",
		amplified(repeated("<</A 1>>", amp/8), false, "0 0 m 10 10 l S"))
	add("memory/dictionary-keys", "the catalog, in an object stream, holds a dictionary of 1.5 million keys", "MaxObjectMemory",
		amplified("<<"+keysMark+">>", false, "0 0 m 10 10 l S"))
	add("memory/page-arrays", "the page, in an object stream, holds an array of seven million empty arrays (signing reads the page)", "MaxObjectMemory",
		amplified(repeated("[]", amp/2), true, "0 0 m 10 10 l S"))
	add("memory/inline-image-keys", "the page's content draws an inline image whose dictionary has 1.5 million keys (the stamp's placement reads the content)", "",
		amplified("1", true, "q BI /W 1 /H 1 /BPC 8 /CS /G "+keysMark+"ID \x00 EI Q"))
	cs[len(cs)-1].Harmless = true
	add("memory/many-pages", "forty pages, each holding an array of 340 000 empty arrays (just under MaxObjectMemory), in two compressed object streams: the page walk keeps every page", "MaxParsedMemory",
		manyAmplifiedPages(40, 340000))
	add("memory/objstm-header", "the catalog's object stream lists four million objects in its header (16 MiB of \"1 0 \")", "", longObjStmHeader(4000000))
	cs[len(cs)-1].Harmless = true

	// --- classic xref tables ------------------------------------------------------
	add("xref/table-blanks", "an xref keyword followed by 200 KiB of blanks and no subsection: a reader that reads the table whole grows its buffer with the file (see TestTableMemoryBounded in internal/pdf for 256 MiB)", "xref|cross-reference",
		blankTable(200<<10))
	return cs
}
