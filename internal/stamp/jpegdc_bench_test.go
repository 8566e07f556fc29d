package stamp

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
)

// BenchmarkJPEGDCBand reads the top tenth of a 200 dpi A4-sized page's
// JPEG from its DC coefficients, as the stamp placement does.
func BenchmarkJPEGDCBand(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testScan(1654, 2339, 4, false), &jpeg.Options{Quality: 75}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := decodeJPEGDC(context.Background(), bytes.NewReader(buf.Bytes()), 240); err != nil {
			b.Fatal(err)
		}
	}
}
