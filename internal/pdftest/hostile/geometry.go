package hostile

import (
	"bytes"
	"fmt"
	"strings"
)

// Page geometry and scan images: what placing the visible stamp reads.
// Verifying never computes with them; signing does.

// imagePage is a one-page file whose page (with the extra page keys
// pageKeys, /MediaBox box) draws image object 5 through content, with an
// existing signature widget (object 6) at annotRect when that is not
// empty: boxes to avoid make the stamp map the whole page.
func imagePage(box, pageKeys, content, image, annotRect string) []byte {
	f := &file{}
	tree(f, "", "")
	annots := ""
	if annotRect != "" {
		annots = "/Annots[6 0 R]"
		f.add(6, "<</Type/Annot/Subtype/Widget/FT/Sig/T(Old)/Rect"+annotRect+"/P 3 0 R>>")
	}
	f.add(3, "<</Type/Page/Parent 2 0 R/MediaBox"+box+pageKeys+annots+"/Resources<</XObject<</Im 5 0 R>>>>/Contents 4 0 R>>")
	f.add(4, stream("<<>>", []byte(content)))
	if image == "" {
		image = stream("<</Subtype/Image/Width 64/Height 64/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/FlateDecode>>", deflate(make([]byte, 64*64), 1))
	}
	f.add(5, image)
	b, _ := f.bytes()
	return b
}

// big is 1.7e308 written as a PDF real (no exponent): two of them apart
// overflow a float64 difference to +Inf.
var big = "17" + strings.Repeat("0", 307) + ".0"

// jpegImage is an image XObject of a w x h DCTDecode JPEG with comps
// components, all sampled 1x1, in colour space cs. Its Huffman tables code
// a DC difference of 0 and an end of block in one bit each, and its
// entropy-coded data are a few hundred zero bytes: a frame that promises
// tens of millions of pixels in a few hundred bytes. adobe >= 0 adds
// Adobe's APP14 with that transform; separate writes one scan per
// component instead of one interleaved scan; acFirst makes the frame
// progressive with an AC scan first whose end-of-band runs (EOB14, 32767
// blocks each) cover every block in a few dozen bytes: image/jpeg writes
// every block's coefficients (256 bytes) and then the whole image.
func jpegImage(w, h, comps int, cs string, adobe int, separate, acFirst bool) string {
	seg := func(m byte, p ...byte) []byte {
		return append([]byte{0xFF, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
	}
	b := []byte{0xFF, 0xD8}
	if adobe >= 0 {
		b = append(b, seg(0xEE, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(adobe))...)
	}
	q := []byte{0}
	for i := 0; i < 64; i++ {
		q = append(q, 1)
	}
	b = append(b, seg(0xDB, q...)...)
	for _, class := range []byte{0x00, 0x10} { // one code "0" for symbol 0 (AC: EOB14 when acFirst)
		sym := byte(0)
		if class == 0x10 && acFirst {
			sym = 0xE0
		}
		b = append(b, seg(0xC4, class, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, sym)...)
	}
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(comps)}
	for i := 0; i < comps; i++ {
		sof = append(sof, byte(i+1), 0x11, 0)
	}
	marker := byte(0xC0)
	if acFirst {
		marker = 0xC2
	}
	b = append(b, seg(marker, sof...)...)
	data := make([]byte, 400)
	if acFirst {
		// code "0" then 14 one bits: a run of 32767 blocks, as often as
		// the frame has blocks
		var bits []byte
		for n := 0; n < (w+7)/8*((h+7)/8); n += 32767 {
			bits = append(bits, 0)
			for i := 0; i < 14; i++ {
				bits = append(bits, 1)
			}
		}
		for len(bits)%8 != 0 {
			bits = append(bits, 1)
		}
		data = nil
		for i := 0; i < len(bits); i += 8 {
			var c byte
			for _, bit := range bits[i : i+8] {
				c = c<<1 | bit
			}
			data = append(data, c)
			if c == 0xFF {
				data = append(data, 0)
			}
		}
	}
	scan := func(ids []byte, ss, se byte) {
		p := []byte{byte(len(ids))}
		for _, id := range ids {
			p = append(p, id, 0x00)
		}
		b = append(append(b, seg(0xDA, append(p, ss, se, 0)...)...), data...)
	}
	switch {
	case acFirst:
		scan([]byte{1}, 1, 63)
	case separate:
		for i := 0; i < comps; i++ {
			scan([]byte{byte(i + 1)}, 0, 63)
		}
	default:
		var ids []byte
		for i := 0; i < comps; i++ {
			ids = append(ids, byte(i+1))
		}
		scan(ids, 0, 63)
	}
	b = append(b, 0xFF, 0xD9)
	return stream(fmt.Sprintf("<</Subtype/Image/Width %d/Height %d/ColorSpace/%s/BitsPerComponent 8/Filter/DCTDecode>>", w, h, cs), b)
}

// fullPage draws the image over an A4 page.
const fullPage = "q 595 0 0 842 0 0 cm /Im Do Q"

// manyScansJPEG is ManyScansJPEG as an image XObject.
func manyScansJPEG(size, scans int) string {
	return stream(fmt.Sprintf("<</Subtype/Image/Width %d/Height %d/ColorSpace/DeviceRGB/BitsPerComponent 8/Filter/DCTDecode>>", size, size), ManyScansJPEG(size, scans))
}

// ManyScansJPEG is a size x size progressive YCbCr JPEG whose first scan
// is the DC of its second component (the stamp's DC reader does not read
// it, so image/jpeg would) and then scans AC scans of about 16 bytes,
// each covering every block of the first component with end-of-band runs.
func ManyScansJPEG(size, scans int) []byte {
	seg := func(m byte, p ...byte) []byte {
		return append([]byte{0xFF, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
	}
	var bits []byte
	put := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			bits = append(bits, byte(v>>i&1))
		}
	}
	flush := func() []byte {
		for len(bits)%8 != 0 {
			bits = append(bits, 1)
		}
		var out []byte
		for i := 0; i < len(bits); i += 8 {
			var c byte
			for _, b := range bits[i : i+8] {
				c = c<<1 | b
			}
			if out = append(out, c); c == 0xFF {
				out = append(out, 0)
			}
		}
		bits = nil
		return out
	}
	b := []byte{0xFF, 0xD8}
	b = append(b, seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)...)
	b = append(b, seg(0xC2, 8, byte(size>>8), byte(size), byte(size>>8), byte(size), 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)...)
	for _, t := range [][3]byte{{0x00, 0x00, 0x01}, {0x10, 0xE0, 0x00}} { // "0": DC category 0; AC an EOB run of 2^14 + 14 bits
		b = append(b, seg(0xC4, append(append([]byte{t[0], 2}, make([]byte, 15)...), t[1], t[2])...)...)
	}
	blocks := (size / 8) * (size / 8)
	b = append(b, seg(0xDA, 1, 2, 0, 0, 0, 0)...)
	for range blocks {
		put(0, 1)
	}
	b = append(b, flush()...)
	for left := blocks; left > 0; {
		r := max(min(left, 32767), 16384)
		put(0, 1)
		put(r-16384, 14)
		left -= r
	}
	ac := append(seg(0xDA, 1, 1, 0, 1, 63, 0), flush()...)
	for range scans {
		b = append(b, ac...)
	}
	return append(b, 0xFF, 0xD9)
}
