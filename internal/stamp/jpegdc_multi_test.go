package stamp

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// dcOnlyJPEG hand-encodes a baseline (or, with progressive, a first DC
// scan of a progressive) JPEG of w x h pixels whose blocks carry only a DC
// coefficient: mean(comp, bx, by) in 0..255 is block (bx, by)'s mean of
// component comp, in that component's block grid. sampling gives each
// component's h and v factors; transform, when >= 0, adds Adobe's APP14
// with that colour transform. All quantisers are 8, so a block's DC
// coefficient is its mean - 128. A negative transform writes no APP14;
// transform -2 writes APP14 with transform 0 and one baseline scan per
// component (not interleaved) instead of one scan of them all.
func dcOnlyJPEG(w, h int, sampling [][2]int, transform int, progressive bool, mean func(comp, bx, by int) int) []byte {
	separate := transform == -2
	if separate {
		transform = 0
	}
	seg := func(m byte, p []byte) []byte {
		return append([]byte{0xFF, m, byte((len(p) + 2) >> 8), byte(len(p) + 2)}, p...)
	}
	n := len(sampling)
	out := []byte{0xFF, 0xD8}
	if transform >= 0 {
		out = append(out, seg(0xEE, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, byte(transform)})...)
	}
	out = append(out, seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{8}, 64)...))...)
	// DC table: the standard luminance one (categories 0..11)
	dcBits := []byte{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	dht := append([]byte{0x00}, dcBits...)
	dht = append(dht, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	// AC table: end of block only, code "0"
	dht = append(dht, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00)
	out = append(out, seg(0xC4, dht)...)
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(n)}
	hmax, vmax := 1, 1
	for i, s := range sampling {
		sof = append(sof, byte(i+1), byte(s[0]<<4|s[1]), 0)
		hmax, vmax = max(hmax, s[0]), max(vmax, s[1])
	}
	marker := byte(0xC0)
	if progressive {
		marker = 0xC2
	}
	out = append(out, seg(marker, sof)...)
	// standard DC luminance codes by category
	codes := []struct{ c, l int }{{0, 2}, {2, 3}, {3, 3}, {4, 3}, {5, 3}, {6, 3}, {14, 4}, {30, 5}, {62, 6}, {126, 7}, {254, 8}, {510, 9}}
	var acc uint64
	var nb uint
	var data []byte
	put := func(v, l int) {
		acc, nb = acc<<uint(l)|uint64(v)&(1<<uint(l)-1), nb+uint(l)
		for nb >= 8 {
			c := byte(acc >> (nb - 8))
			data = append(data, c)
			if c == 0xFF {
				data = append(data, 0)
			}
			nb -= 8
		}
	}
	flush := func() {
		if nb > 0 {
			put(1<<(8-nb)-1, int(8-nb))
		}
	}
	block := func(dc int, pred *int) {
		dc -= 128
		diff := dc - *pred
		*pred = dc
		cat := 0
		for a := max(diff, -diff); a > 0; a >>= 1 {
			cat++
		}
		put(codes[cat].c, codes[cat].l)
		if cat > 0 {
			m := diff
			if diff < 0 {
				m = diff + 1<<cat - 1
			}
			put(m, cat)
		}
		if !progressive {
			put(0, 1) // end of block
		}
	}
	pred := make([]int, n)
	if separate {
		for c := range sampling {
			out = append(out, seg(0xDA, []byte{1, byte(c + 1), 0x00, 0, 63, 0})...)
			bw, bh := (w+7)/8, (h+7)/8 // sampling 1x1 only
			for by := 0; by < bh; by++ {
				for bx := 0; bx < bw; bx++ {
					block(mean(c, bx, by), &pred[c])
				}
			}
			flush()
			out, data = append(out, data...), nil
		}
		return append(out, 0xFF, 0xD9)
	}
	sos := []byte{byte(n)}
	for i := range sampling {
		sos = append(sos, byte(i+1), 0x00)
	}
	if progressive {
		sos = append(sos, 0, 0, 0)
	} else {
		sos = append(sos, 0, 63, 0)
	}
	out = append(out, seg(0xDA, sos)...)
	mx, my := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
	for y := 0; y < my; y++ {
		for x := 0; x < mx; x++ {
			for c, s := range sampling {
				for v := 0; v < s[1]; v++ {
					for hh := 0; hh < s[0]; hh++ {
						block(mean(c, x*s[0]+hh, y*s[1]+v), &pred[c])
					}
				}
			}
		}
	}
	flush()
	return append(append(out, data...), 0xFF, 0xD9)
}

// A CMYK or YCCK JPEG is read from the block means of all its components,
// as image/jpeg reads it (CMYK stored inverted: 255 is no ink).
func TestJPEGDCFourComponents(t *testing.T) {
	one := [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}
	// block (0, 0) is black ink (stored K 0), block (1, 0) paper, block
	// (2, 0) full cyan only
	stored := func(comp, bx, by int) int {
		switch {
		case bx == 0:
			return []int{255, 255, 255, 0}[comp]
		case bx == 2:
			return []int{0, 255, 255, 255}[comp]
		}
		return 255
	}
	for _, progressive := range []bool{false, true} {
		img, err := decodeJPEGDC(context.Background(), bytes.NewReader(dcOnlyJPEG(24, 8, one, 0, progressive, stored)), 0)
		if err != nil {
			t.Fatal(err)
		}
		if img.notLum || img.cols != 3 || img.rows != 1 {
			t.Fatalf("%+v", img)
		}
		if img.lum[0] > 5 || img.lum[1] < 250 || img.lum[2] < 170 || img.lum[2] > 185 {
			t.Errorf("progressive %v: CMYK block means %v, want about [0 255 178]", progressive, img.lum)
		}
	}
	// YCCK: Y times the stored K
	ycck := func(comp, bx, by int) int {
		if comp == 0 {
			return 200
		}
		if comp == 3 && bx == 0 {
			return 0
		}
		return []int{0, 128, 128, 255}[comp]
	}
	img, err := decodeJPEGDC(context.Background(), bytes.NewReader(dcOnlyJPEG(16, 8, one, 2, false, ycck)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.lum[0] != 0 || img.lum[1] != 200 {
		t.Errorf("YCCK block means %v, want [0 200]", img.lum)
	}
	// a subsampled CMYK JPEG: the first component alone, marked as such
	img, err = decodeJPEGDC(context.Background(), bytes.NewReader(dcOnlyJPEG(32, 32, [][2]int{{2, 2}, {1, 1}, {1, 1}, {1, 1}}, 0, false, stored)), 0)
	if err != nil || !img.notLum {
		t.Fatalf("subsampled CMYK: %+v, %v", img, err)
	}
}

// cmykPage is a page drawing a full-page w x h DeviceCMYK JPEG.
func cmykPage(data []byte, w, h int) (memDoc, pdf.Page) {
	im := &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h), "ColorSpace": pdf.Name("DeviceCMYK"),
		"BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("DCTDecode")}, Data: data}
	doc := memDoc{1: content("q 595 0 0 842 0 0 cm /Im Do Q"), 2: im}
	res := pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}
	return doc, pdf.Page{Ref: ref(9), Dict: pdf.Dict{"Contents": ref(1), "Resources": res}, Resources: res,
		MediaBox: [4]float64{0, 0, 595, 842}, CropBox: [4]float64{0, 0, 595, 842}}
}

// The stamp moves off the ink of a CMYK scan read from its block means.
func TestStampFindsBlankSpaceCMYK(t *testing.T) {
	w, h := 416, 584
	header := func(comp, bx, by int) int { // black ink across the top right tenth
		if comp == 3 && bx >= w/16 && by < h/80 {
			return 0
		}
		return 255
	}
	doc, page := cmykPage(dcOnlyJPEG(w, h, [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}, 0, false, header), w, h)
	var objs objects
	wd, err := Build(context.Background(), doc, page, &objs, Options{Time: signTime}, PlaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !wd.Moved || wd.Overlaps {
		t.Fatalf("moved %v, overlaps %v: want the stamp off the header", wd.Moved, wd.Overlaps)
	}
}

// A JPEG that only image/jpeg reads is decoded within maxJPEGDecode: past
// it the scan is not examined (the stamp keeps its place), whatever its
// pixel count allows.
func TestJPEGFallbackBounded(t *testing.T) {
	if got := jpegDecodeCost(7900, 7900, 4, false); got <= maxJPEGDecode {
		t.Fatalf("a 7900 x 7900 CMYK decode costs %d, within the bound", got)
	}
	if got := jpegDecodeCost(1654, 2339, 3, false); got > maxJPEGDecode {
		t.Fatalf("a 200 dpi A4 colour scan costs %d, beyond the bound", got)
	}
	// CMYK in one scan per component, 4000 x 4000: 128 MB to decode
	one := [][2]int{{1, 1}, {1, 1}, {1, 1}, {1, 1}}
	w, h := 4000, 4000
	data := dcOnlyJPEG(w, h, one, -2, false, func(comp, bx, by int) int { return 40 })
	doc, page := cmykPage(data, w, h)
	m := newInkMap(595, 842)
	ps, err := pageImages(context.Background(), doc, page.Dict, page.Resources)
	if err != nil || len(ps) != 1 {
		t.Fatal(ps, err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = m.paint(context.Background(), doc, ps[0], GeomOf(page), math.Inf(-1))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errUnsupportedImage) {
		t.Fatalf("paint: %v, want the image not examined", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 16<<20 {
		t.Fatalf("paint allocated %d bytes", a)
	}
	// the same frame 1000 x 1000 is decoded whole
	w, h = 1000, 1000
	doc, page = cmykPage(dcOnlyJPEG(w, h, one, -2, false, func(comp, bx, by int) int { return 40 }), w, h)
	ps, _ = pageImages(context.Background(), doc, page.Dict, page.Resources)
	if _, err := newInkMap(595, 842).paint(context.Background(), doc, ps[0], GeomOf(page), math.Inf(-1)); err != nil {
		t.Fatalf("paint 1000 x 1000: %v", err)
	}
}
