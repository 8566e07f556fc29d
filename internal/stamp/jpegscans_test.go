package stamp

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// manyScansJPEG is red-team F3: a size x size progressive YCbCr JPEG whose
// first scan is the DC of component 2 (the DC reader does not read it, so
// the ink map falls back to image/jpeg), then scans AC scans of a few
// bytes, each covering every block of component 1 with end-of-band runs.
func manyScansJPEG(size, scans int) []byte {
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
			out = append(out, c)
			if c == 0xFF {
				out = append(out, 0)
			}
		}
		bits = nil
		return out
	}
	b := []byte{0xFF, 0xD8}
	b = append(b, seg(0xDB, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)...)
	b = append(b, seg(0xC2, 8, byte(size>>8), byte(size), byte(size>>8), byte(size), 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0)...)
	table := func(class, s0, s1 byte) []byte {
		p := append([]byte{class, 2}, make([]byte, 15)...)
		return seg(0xC4, append(p, s0, s1)...)
	}
	b = append(b, table(0x00, 0x00, 0x01)...) // DC: "0" category 0
	b = append(b, table(0x10, 0xE0, 0x00)...) // AC: "0" EOB run of 2^14 + 14 bits
	blocks := (size / 8) * (size / 8)
	b = append(b, seg(0xDA, 1, 2, 0, 0, 0, 0)...)
	for range blocks {
		put(0, 1)
	}
	b = append(b, flush()...)
	for left := blocks; left > 0; { // runs of 16384 to 32767 blocks
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

// Thousands of scans: the work is counted without decoding, and past
// maxJPEGScanWork the scan is not examined (no minute of image/jpeg).
func TestJPEGManyScansNotExamined(t *testing.T) {
	const size = 2048
	data := manyScansJPEG(size, 10000)
	work, scans, ok := jpegScanWork(bytes.NewReader(data), 0, math.MaxInt64)
	if !ok || scans != 10001 {
		t.Fatalf("%d scans (ok %v), want 10001", scans, ok)
	}
	blocks := int64(size / 8 * size / 8)
	if want := 10001*(blocks+jpegScanCost) + 0; work != want {
		t.Fatalf("work %d, want %d", work, want)
	}
	// the walk stops once past the limit
	if w, _, _ := jpegScanWork(bytes.NewReader(data), 0, maxJPEGScanWork); w > maxJPEGScanWork+blocks+jpegScanCost {
		t.Fatalf("walk went on to %d", w)
	}
	// only the decoded rows count
	if w, _, _ := jpegScanWork(bytes.NewReader(data), 64, math.MaxInt64); w != 10001*(size/8*8+jpegScanCost) {
		t.Fatalf("work for 64 rows %d", w)
	}
	doc, page := scanPage(data, size, size, "DeviceRGB")
	ps, err := pageImages(context.Background(), doc, page.Dict, page.Resources)
	if err != nil || len(ps) != 1 {
		t.Fatal(ps, err)
	}
	_, err = newInkMap(595, 842).paint(context.Background(), doc, ps[0], GeomOf(page), math.Inf(-1))
	if !errors.Is(err, errUnsupportedImage) {
		t.Fatalf("paint: %v, want the scan not examined", err)
	}
	// a few scans more than a real script are still decoded
	doc, page = scanPage(manyScansJPEG(256, 20), 256, 256, "DeviceRGB")
	ps, _ = pageImages(context.Background(), doc, page.Dict, page.Resources)
	if _, err := newInkMap(595, 842).paint(context.Background(), doc, ps[0], GeomOf(page), math.Inf(-1)); err != nil {
		t.Fatalf("paint with 21 scans: %v", err)
	}
}

// scanPage is a page drawn full-size with the JPEG data, rotated (so that
// it is decoded whole).
func scanPage(data []byte, w, h int, cs string) (memDoc, pdf.Page) {
	im := &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h), "ColorSpace": pdf.Name(cs),
		"BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("DCTDecode")}, Data: data}
	doc := memDoc{1: content("q 0 842 -595 0 595 0 cm /Im Do Q"), 2: im}
	res := pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}
	return doc, pdf.Page{Ref: ref(9), Dict: pdf.Dict{"Contents": ref(1), "Resources": res}, Resources: res,
		MediaBox: [4]float64{0, 0, 595, 842}, CropBox: [4]float64{0, 0, 595, 842}}
}

// Real JPEGs (Go's test images: baseline, progressive, every
// subsampling, restart intervals) are far within the budget: their scans
// visit each block a few times.
func TestJPEGScanWorkOfRealFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(runtime.GOROOT(), "src", "image", "testdata", "video-00[15]*.jpeg"))
	if len(files) < 10 {
		t.Fatalf("Go's image testdata not found (%d files)", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		work, scans, ok := jpegScanWork(bytes.NewReader(data), 0, math.MaxInt64)
		if !ok && !strings.Contains(f, "truncated") {
			t.Errorf("%s: not walked", f)
			continue
		}
		// the blocks of the frame, all components (the images are 150 x 103)
		var frame int64 = 3 * ((150 + 7) / 8) * ((103 + 7) / 8)
		if strings.Contains(f, "gray") {
			frame /= 3
		}
		t.Logf("%s: %d scans, %d block visits (%.1f per block of a 4:4:4 frame)", filepath.Base(f), scans, work, float64(work)/float64(frame))
		if strings.Contains(f, "progressive") && scans < 2 {
			t.Errorf("%s: %d scans, a progressive file has more", f, scans)
		}
		if work > 16*frame+int64(scans)*jpegScanCost {
			t.Errorf("%s: %d scans, work %d: more than 16 visits a block", f, scans, work)
		}
	}
}

// BenchmarkJPEGScanWork: the walk is cheap next to one decode.
func BenchmarkJPEGScanWork(b *testing.B) {
	data := manyScansJPEG(2048, 10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		jpegScanWork(bytes.NewReader(data), 0, math.MaxInt64)
	}
}
