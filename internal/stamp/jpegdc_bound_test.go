package stamp

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// hugeFrameJPEG is a 32768 x 32768 four-component JPEG (sampling 1x1,
// 4x4, 4x4, 4x4) whose Huffman tables give each block a one-bit DC code
// and a one-bit end of block, with dri as its restart interval (0: no DRI
// segment) and data as its entropy-coded data: a few bytes that promise
// 51 million blocks.
func hugeFrameJPEG(dri int, data []byte) []byte {
	b := []byte{0xFF, 0xD8}
	b = append(b, 0xFF, 0xDB, 0x00, 0x43, 0x00)
	b = append(b, bytes.Repeat([]byte{1}, 64)...)
	for _, class := range []byte{0x00, 0x10} { // DC 0 and AC 0: one code "0" for symbol 0
		b = append(b, 0xFF, 0xC4, 0x00, 0x14, class, 1)
		b = append(b, make([]byte, 15)...)
		b = append(b, 0)
	}
	b = append(b, 0xFF, 0xC0, 0x00, 0x14, 0x08, 0x80, 0x00, 0x80, 0x00, 0x04,
		0x01, 0x11, 0x00, 0x02, 0x44, 0x00, 0x03, 0x44, 0x00, 0x04, 0x44, 0x00)
	if dri > 0 {
		b = append(b, 0xFF, 0xDD, 0x00, 0x04, byte(dri>>8), byte(dri))
	}
	b = append(b, 0xFF, 0xDA, 0x00, 0x0E, 0x04, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x3F, 0x00)
	return append(b, data...)
}

// TestJPEGDCWorkBoundedByInput: the blocks a scan decodes are bounded by
// the bits its data holds. A restart marker where no restart interval was
// declared ends the data (it used to be read as more data, feeding zeros
// through the whole frame), and so does data that runs out inside a
// restart interval.
func TestJPEGDCWorkBoundedByInput(t *testing.T) {
	cases := map[string][]byte{
		"RST without DRI":        hugeFrameJPEG(0, []byte{0x00, 0xFF, 0xD0, 0xFF, 0xD9}),
		"RST early in interval":  hugeFrameJPEG(0xFFFF, []byte{0x00, 0xFF, 0xD0, 0xFF, 0xD9}),
		"EOI early in interval":  hugeFrameJPEG(0xFFFF, append(make([]byte, 100), 0xFF, 0xD9)),
		"longer data, no marker": hugeFrameJPEG(0, make([]byte, 1000)),
	}
	// the reviewer's 158-byte file
	if n := len(cases["RST without DRI"]); n != 158 {
		t.Fatalf("the crafted file is %d bytes, want 158", n)
	}
	for name, data := range cases {
		img, err := decodeJPEGDC(context.Background(), bytes.NewReader(data), 0)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if limit := 8*len(data) + 64; img.blocks > limit {
			t.Errorf("%s: %d blocks decoded from %d bytes (at most %d)", name, img.blocks, len(data), limit)
		}
		if len(img.lum) != img.cols*img.rows {
			t.Errorf("%s: %d samples for %dx%d", name, len(img.lum), img.cols, img.rows)
		}
	}
	// the seed the fuzz target starts from is the same file
	seed, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzJPEGDC", "rst-without-dri"))
	if err != nil || !bytes.Contains(seed, []byte(`\xff\xd0\xff\xd9`)) {
		t.Errorf("fuzz seed rst-without-dri: %v", err)
	}
}

// TestJPEGDCBoundKeepsWholeImages: the bound never cuts short a real
// image, whose every block is in its data.
func TestJPEGDCBoundKeepsWholeImages(t *testing.T) {
	white := image.NewGray(image.Rect(0, 0, 800, 600))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	for _, tc := range []struct {
		img image.Image
		q   int
	}{{white, 1}, {white, 100}, {testScan(800, 600, 3, false), 1}, {testScan(800, 600, 3, true), 75}} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, tc.img, &jpeg.Options{Quality: tc.q}); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		q := tc.q
		img, err := decodeJPEGDC(context.Background(), bytes.NewReader(data), 0)
		if err != nil {
			t.Fatal(err)
		}
		if img.cols != 100 || img.rows != 75 {
			t.Errorf("quality %d: %dx%d blocks, want 100x75", q, img.cols, img.rows)
		}
	}
}
