package stamp

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// A Group 4 stream codes a row that repeats the row above in one bit:
// a few kilobytes of 0xFF ask for as many pixels as the dictionary says.
// Past maxCCITTPixels the scan is not examined; at the bound it is
// decoded, every row.
func TestCCITTPixelBound(t *testing.T) {
	for _, tc := range []struct {
		w, h     int
		examined bool
	}{
		{65535, 16384, false},
		{131072, 8192, false},
		{8192, 8192, true}, // 1<<26 pixels: exactly the bound
	} {
		im := grayImage(tc.w, tc.h)
		im.Dict["BitsPerComponent"] = pdf.Int(1)
		im.Dict["Filter"] = pdf.Name("CCITTFaxDecode")
		im.Dict["DecodeParms"] = pdf.Dict{"K": pdf.Int(-1), "Columns": pdf.Int(tc.w)}
		im.Data = bytes.Repeat([]byte{0xff}, tc.h/8+1)
		m := newInkMap(595, 842)
		p := placement{m: matrix{595, 0, 0, 842, 0, 0}, width: tc.w, height: tc.h, image: im}
		whole, err := m.paint(context.Background(), memDoc{2: im}, p, PageGeom{MediaBox: [4]float64{0, 0, 595, 842}}, math.Inf(-1))
		if tc.examined {
			m.summarise()
			if err != nil || !whole || m.inked([4]float64{0, 0, 595, 842}, 0) != 0 {
				t.Errorf("%dx%d white rows: whole %v, err %v, want a blank page decoded whole", tc.w, tc.h, whole, err)
			}
		} else if !errors.Is(err, errUnsupportedImage) {
			t.Errorf("%dx%d: %v, want not examined", tc.w, tc.h, err)
		}
	}
}
