package stamp

import (
	"math"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestPlaceRotations(t *testing.T) {
	a4 := [4]float64{0, 0, 595, 842}
	crop := [4]float64{30, 40, 580, 800} // an offset crop box: the origin is not 0,0
	for _, box := range []struct {
		name        string
		media, crop [4]float64
	}{{"a4", a4, [4]float64{}}, {"cropped", a4, crop}, {"letter-offset", [4]float64{-100, -50, 512, 742}, [4]float64{}}} {
		for _, rot := range []int{0, 90, 180, 270, -90, 450} {
			g := PageGeom{MediaBox: box.media, CropBox: box.crop, Rotate: rot}
			rect, m, w, h := Place(g, PlaceOptions{})
			if !near(w, 75*mm) || !near(h, 16*mm) {
				t.Errorf("%s rot %d: form %gx%g, want 75x16 mm", box.name, rot, w, h)
			}
			// The rect, seen as displayed, is 10 mm from the right and 8 mm from the top.
			pw, ph := g.Displayed()
			x1, y1 := g.toDisplayed(rect[0], rect[1])
			x2, y2 := g.toDisplayed(rect[2], rect[3])
			dx1, dx2 := math.Min(x1, x2), math.Max(x1, x2)
			dy1, dy2 := math.Min(y1, y2), math.Max(y1, y2)
			if !near(pw-dx2, 10*mm) || !near(ph-dy2, 8*mm) || !near(dx2-dx1, w) || !near(dy2-dy1, h) {
				t.Errorf("%s rot %d: displayed box [%g %g %g %g] on %gx%g", box.name, rot, dx1, dy1, dx2, dy2, pw, ph)
			}
			// The form's axes, through its Matrix and the page rotation,
			// point right and up on the display: the text reads upright.
			lin := func(vx, vy float64) (float64, float64) {
				ux, uy := vx*m[0]+vy*m[2], vx*m[1]+vy*m[3]
				ax, ay := g.toDisplayed(ux, uy)
				bx, by := g.toDisplayed(0, 0)
				return ax - bx, ay - by
			}
			if ex, ey := lin(1, 0); !near(ex, 1) || !near(ey, 0) {
				t.Errorf("%s rot %d: form x axis displays as (%g, %g)", box.name, rot, ex, ey)
			}
			if ex, ey := lin(0, 1); !near(ex, 0) || !near(ey, 1) {
				t.Errorf("%s rot %d: form y axis displays as (%g, %g)", box.name, rot, ex, ey)
			}
			// The Matrix keeps the BBox's image at the origin.
			mx, my := math.Inf(1), math.Inf(1)
			for _, c := range [][2]float64{{0, 0}, {w, 0}, {0, h}, {w, h}} {
				x, y := matrix(m).apply(c[0], c[1])
				mx, my = math.Min(mx, x), math.Min(my, y)
			}
			if !near(mx, 0) || !near(my, 0) {
				t.Errorf("%s rot %d: transformed BBox starts at (%g, %g)", box.name, rot, mx, my)
			}
		}
	}
}

func TestPlaceKnownValues(t *testing.T) {
	a4 := [4]float64{0, 0, 595, 842}
	r := func(x1, y1, x2, y2 float64) [4]float64 { return [4]float64{x1, y1, x2, y2} }
	tests := []struct {
		name string
		g    PageGeom
		o    PlaceOptions
		want [4]float64
	}{
		{"upright", PageGeom{MediaBox: a4}, PlaceOptions{}, r(595-(85*mm), 842-(24*mm), 595-10*mm, 842-8*mm)},
		// Rotated 90° clockwise: the displayed top is the user space's left edge.
		{"rotate 90", PageGeom{MediaBox: a4, Rotate: 90}, PlaceOptions{}, r(8*mm, 842-85*mm, 24*mm, 842-10*mm)},
		{"rotate 180", PageGeom{MediaBox: a4, Rotate: 180}, PlaceOptions{}, r(10*mm, 8*mm, 85*mm, 24*mm)},
		{"rotate 270", PageGeom{MediaBox: a4, Rotate: 270}, PlaceOptions{}, r(595-24*mm, 10*mm, 595-8*mm, 85*mm)},
		{"manual", PageGeom{MediaBox: a4}, PlaceOptions{Rect: &[4]float64{100, 200, 300, 250}}, r(100, 200, 300, 250)},
		{"manual rotate 90", PageGeom{MediaBox: a4, Rotate: 90}, PlaceOptions{Rect: &[4]float64{100, 200, 300, 250}}, r(595-250, 100, 595-200, 300)},
		{"crop origin", PageGeom{MediaBox: a4, CropBox: [4]float64{50, 60, 545, 782}}, PlaceOptions{Rect: &[4]float64{0, 0, 10, 10}}, r(50, 60, 60, 70)},
		{"qr top left", PageGeom{MediaBox: a4}, PlaceOptions{Width: 20, Height: 20, FromLeft: true}, r(10*mm, 842-28*mm, 30*mm, 842-8*mm)},
		// A page narrower than box and margins: the box shrinks to fit.
		{"narrow", PageGeom{MediaBox: [4]float64{0, 0, 80 * mm, 100 * mm}}, PlaceOptions{}, r(10*mm, 100*mm-24*mm, 70*mm, 100*mm-8*mm)},
	}
	for _, tc := range tests {
		got, _, _, _ := Place(tc.g, tc.o)
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-6 {
				t.Errorf("%s: rect %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func TestToUserRoundTrip(t *testing.T) {
	for _, rot := range []int{0, 90, 180, 270} {
		g := PageGeom{MediaBox: [4]float64{0, 0, 612, 1008}, CropBox: [4]float64{12, 8, 600, 1000}, Rotate: rot}
		for _, p := range [][2]float64{{0, 0}, {17, 300}, {500, 3}} {
			x, y := g.toUser(p[0], p[1])
			dx, dy := g.toDisplayed(x, y)
			if !near(dx, p[0]) || !near(dy, p[1]) {
				t.Errorf("rot %d: %v -> (%g,%g) -> (%g,%g)", rot, p, x, y, dx, dy)
			}
		}
	}
}

func TestParseRect(t *testing.T) {
	tests := []struct {
		in      string
		want    [4]float64
		wantErr string
	}{
		{"400,770,580,820", [4]float64{400, 770, 580, 820}, ""},
		{" 400, 770 ,580,820pt", [4]float64{400, 770, 580, 820}, ""},
		{"140,265,215,281mm", [4]float64{140 * mm, 265 * mm, 215 * mm, 281 * mm}, ""},
		{"140,265,215,281MM", [4]float64{140 * mm, 265 * mm, 215 * mm, 281 * mm}, ""},
		{"1,2,3", [4]float64{}, "four numbers"},
		{"1,2,x,4", [4]float64{}, "not a distance"},
		{"1,2,NaN,4", [4]float64{}, "not a distance"},
		{"-1,2,3,4", [4]float64{}, "not a distance"},
		{"5,2,3,4", [4]float64{}, "x1 < x2"},
		{"", [4]float64{}, "four numbers"},
	}
	for _, tc := range tests {
		got, err := ParseRect(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || fail.KindOf(err) != fail.KindUsage {
				t.Errorf("ParseRect(%q) err = %v, want usage error %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRect(%q): %v", tc.in, err)
			continue
		}
		for i := range got {
			if !near(got[i], tc.want[i]) {
				t.Errorf("ParseRect(%q) = %v, want %v", tc.in, got, tc.want)
				break
			}
		}
	}
}
