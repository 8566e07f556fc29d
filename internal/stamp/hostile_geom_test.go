package stamp

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// Page boxes of infinite or absurd size are an input error naming the
// box, before any geometry: never a panic, never a slice sized from them.
func TestBuildRefusesBoxesBeyondBounds(t *testing.T) {
	big := 1.7e308
	tests := []struct {
		name        string
		media, crop [4]float64
		want        string
	}{
		{"width overflows", [4]float64{-big, 0, big, 842}, [4]float64{}, "/MediaBox width is not a finite number"},
		{"height overflows", [4]float64{0, -big, 595, big}, [4]float64{}, "/MediaBox height is not a finite number"},
		{"both overflow", [4]float64{-big, -big, big, big}, [4]float64{}, "/MediaBox width"},
		{"huge but finite", [4]float64{0, 0, 1e300, 842}, [4]float64{}, "1e+300 is beyond ±1000000"},
		{"crop box huge", [4]float64{0, 0, 595, 842}, [4]float64{0, 0, 1e30, 1e30}, "/CropBox"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, page := scanDoc(t, 0, 64, 64, "flate", displayedRect{0.5, 0, 1, 0.1})
			page.MediaBox, page.CropBox = tc.media, tc.crop
			if tc.crop == ([4]float64{}) {
				page.CropBox = tc.media
			}
			for _, po := range []PlaceOptions{{}, {Avoid: [][4]float64{{10, 10, 100, 100}}}} {
				var objs objects
				_, err := Build(context.Background(), doc, page, &objs, Options{Time: signTime}, po)
				if fail.KindOf(err) != fail.KindInput || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Build: %v, want an input error saying %q", err, tc.want)
				}
				if _, err := QR(page, &objs, "x", PlaceOptions{}); fail.KindOf(err) != fail.KindInput {
					t.Fatalf("QR: %v", err)
				}
			}
		})
	}
	// A box the reader already refused says its page.
	doc, page := scanDoc(t, 0, 64, 64, "flate")
	page.BoxErr = pdf.CheckBox("page 3: /MediaBox", [4]float64{-big, 0, big, 842})
	var objs objects
	if _, err := Build(context.Background(), doc, page, &objs, Options{Time: signTime}, PlaceOptions{}); err == nil || !strings.Contains(err.Error(), "page 3: /MediaBox width is not a finite number") {
		t.Fatalf("Build: %v", err)
	}
}

func TestCheckBox(t *testing.T) {
	for _, b := range [][4]float64{{0, 0, 595, 842}, {-1e6, -1e6, 1e6, 1e6}, {0, 0, 0, 0}, {100000, 100000, 100595, 100842}} {
		if err := pdf.CheckBox("b", b); err != nil {
			t.Errorf("%v: %v", b, err)
		}
	}
	for _, b := range [][4]float64{{0, 0, 1e6 + 1, 842}, {math.NaN(), 0, 1, 1}, {0, 0, math.Inf(1), 1}, {-1.7e308, 0, 1.7e308, 1}} {
		if err := pdf.CheckBox("b", b); err == nil {
			t.Errorf("%v: accepted", b)
		}
	}
}

// The ink map is sized from its clamped arguments and indexes cells
// through cellAt: huge and NaN coordinates touch no cell out of range.
func TestInkMapHostileNumbers(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, size := range [][2]float64{{inf, 842}, {nan, nan}, {-5, 0}, {1e300, 1e300}, {4e6, 1}} {
		m := newInkMap(size[0], size[1])
		if m.cols < 1 || m.rows < 1 || m.cols > 513 || m.rows > 513 {
			t.Fatalf("%v: %dx%d cells", size, m.cols, m.rows)
		}
		for _, r := range [][4]float64{{-inf, -inf, inf, inf}, {nan, nan, nan, nan}, {1e300, 1e300, 2e300, 2e300}, {-1e300, 0, 1e19, 1e19}} {
			m.block(r)
			m.blocked(r)
		}
		m.summarise()
		for _, r := range [][4]float64{{-inf, -inf, inf, inf}, {nan, nan, nan, nan}, {1e300, 0, 1e301, 1}} {
			m.inked(r, 0)
			m.inked(r, inf)
		}
	}
	for _, c := range []struct {
		f      float64
		lo, hi int
		want   int
	}{{nan, 0, 9, 0}, {inf, 0, 9, 9}, {-inf, -1, 9, -1}, {1e19, 0, 9, 9}, {-1e19, 0, 9, 0}, {3.7, 0, 9, 3}, {-0.5, 0, 9, 0}} {
		if got := cellAt(c.f, c.lo, c.hi); got != c.want {
			t.Errorf("cellAt(%g, %d, %d) = %d, want %d", c.f, c.lo, c.hi, got, c.want)
		}
	}
}

// A scan drawn through a huge or overflowing matrix is mapped without an
// index out of range (the positions are compared as floats).
func TestScanUnderHugeMatrix(t *testing.T) {
	for _, cm := range []string{
		"1e200 0 0 1e200 -5e199 -5e199 cm",
		"1e200 0 0 1e200 0 0 cm 1e200 0 0 1e200 0 0 cm", // overflows to +Inf
		"1e300 0 0 1e300 0 0 cm 0 1e300 1e300 0 0 0 cm", // Inf and NaN
		"595 0 0 842 0 0 cm 1 0 0 1 1e19 1e19 cm",
		"-1e19 0 0 1e19 1e19 0 cm",
	} {
		for _, enc := range []string{"flate", "dct"} {
			doc, page := scanDoc(t, 0, 64, 64, enc, displayedRect{0, 0, 1, 1})
			doc[1] = content("q " + cm + " /Im Do Q")
			var objs objects
			if _, err := Build(context.Background(), doc, page, &objs, Options{Time: signTime}, PlaceOptions{Avoid: [][4]float64{{1e300, 1e300, 1.7e308, 1.7e308}}}); err != nil {
				t.Fatalf("%s, %s: %v", cm, enc, err)
			}
		}
	}
}

// An image drawn through a matrix that overflowed counts for neither the
// ink map nor the page's resolution: a NaN resolution would silence every
// comparison with --require-dpi.
func TestPageDPIIgnoresOverflowedMatrix(t *testing.T) {
	doc, page := scanDoc(t, 0, 413, 584, "flate")
	doc[1] = content("q 595 0 0 842 0 0 cm /Im Do Q q 1e300 0 0 1e300 0 0 cm 0 1e300 1e300 0 0 0 cm /Im Do Q")
	dpi, has, err := PageDPI(context.Background(), doc, page)
	if err != nil || !has || math.IsNaN(dpi) || math.Round(dpi) != 50 {
		t.Fatalf("dpi %v, has %v, err %v: want 50", dpi, has, err)
	}
}
