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
	"github.com/kyso-project/kyso/internal/pdftest/hostile"
)

// manyScansJPEG is red-team F3 (hostile.ManyScansJPEG): the ink map falls
// back to image/jpeg for it, and each of its scans covers every block.
func manyScansJPEG(size, scans int) []byte { return hostile.ManyScansJPEG(size, scans) }

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
