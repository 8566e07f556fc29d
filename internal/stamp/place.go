package stamp

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"strconv"
	"strings"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// PageGeom is what placement needs to know about a page.
type PageGeom struct {
	MediaBox, CropBox [4]float64
	// Rotate is the page's /Rotate: clockwise degrees, a multiple of 90.
	Rotate int
}

// GeomOf returns the geometry of a page read by internal/pdf.
func GeomOf(p pdf.Page) PageGeom {
	return PageGeom{MediaBox: p.MediaBox, CropBox: p.CropBox, Rotate: p.Rotate}
}

// CheckPage says why a page's boxes cannot be computed with (see
// pdf.CheckBox), as an input error naming the page and the box: the error
// pdf.Reader.Pages recorded, else that of the boxes themselves (a page not
// read by Pages).
func CheckPage(p pdf.Page) error {
	err := p.BoxErr
	if err == nil {
		err = pdf.CheckBox("/MediaBox", p.MediaBox)
	}
	if err == nil {
		err = pdf.CheckBox("/CropBox", p.CropBox)
	}
	if err != nil {
		return fail.Input(err, "")
	}
	return nil
}

// PlaceOptions chooses the box. Distances are in millimetres on the page
// as displayed; zero values take the Decree 30 defaults.
type PlaceOptions struct {
	// Rect, when set, is the box in points on the page as displayed, with
	// the origin at its bottom-left corner (see ParseRect). It overrides
	// the other fields.
	Rect *[4]float64
	// Width and Height of the box: default 75 x 16 mm.
	Width, Height float64
	// Side is the distance from the right edge (default 10 mm), or from
	// the left edge when FromLeft is set.
	Side     float64
	FromLeft bool
	// Top is the distance from the top edge (default 8 mm).
	Top float64
	// Avoid are rectangles in default user space (existing signature
	// widgets and stamps) the box must not cover: it moves to blank space
	// clear of them, and Build fails with ErrNoRoom when there is none.
	Avoid [][4]float64
}

func (o PlaceOptions) withDefaults() PlaceOptions {
	def := func(v *float64, d float64) {
		if !(*v > 0) {
			*v = d
		}
	}
	def(&o.Width, 75)
	def(&o.Height, 16)
	def(&o.Side, 10)
	def(&o.Top, 8)
	return o
}

// visible is the part of the page a viewer shows (CropBox clipped to the
// MediaBox), in default user space, and the rotation normalised to 0, 90,
// 180 or 270.
func (g PageGeom) visible() (box [4]float64, rot int) {
	box = g.MediaBox
	if box[2] <= box[0] || box[3] <= box[1] {
		box = [4]float64{0, 0, 612, 792}
	}
	c := g.CropBox
	if c[2] > c[0] && c[3] > c[1] {
		i := [4]float64{math.Max(c[0], box[0]), math.Max(c[1], box[1]), math.Min(c[2], box[2]), math.Min(c[3], box[3])}
		if i[2] > i[0] && i[3] > i[1] {
			box = i
		}
	}
	rot = ((g.Rotate % 360) + 360) % 360
	if rot%90 != 0 {
		rot = 0
	}
	return box, rot
}

// Displayed returns the page's width and height as a viewer shows it.
func (g PageGeom) Displayed() (w, h float64) {
	b, rot := g.visible()
	w, h = b[2]-b[0], b[3]-b[1]
	if rot == 90 || rot == 270 {
		w, h = h, w
	}
	return w, h
}

// toUser maps a point on the displayed page (origin bottom-left) to
// default user space.
func (g PageGeom) toUser(dx, dy float64) (x, y float64) {
	b, rot := g.visible()
	w, h := b[2]-b[0], b[3]-b[1]
	var u, v float64
	switch rot {
	case 90:
		u, v = w-dy, dx
	case 180:
		u, v = w-dx, h-dy
	case 270:
		u, v = dy, h-dx
	default:
		u, v = dx, dy
	}
	return b[0] + u, b[1] + v
}

// toDisplayed is the inverse of toUser.
func (g PageGeom) toDisplayed(x, y float64) (dx, dy float64) {
	b, rot := g.visible()
	w, h := b[2]-b[0], b[3]-b[1]
	u, v := x-b[0], y-b[1]
	switch rot {
	case 90:
		return v, w - u
	case 180:
		return w - u, h - v
	case 270:
		return h - v, u
	}
	return u, v
}

// DefaultRect is the box PlaceOptions describe, in displayed points, kept
// inside the page.
func (g PageGeom) DefaultRect(o PlaceOptions) [4]float64 {
	if o.Rect != nil {
		return *o.Rect
	}
	o = o.withDefaults()
	pw, ph := g.Displayed()
	side, top := o.Side*mm, o.Top*mm
	w := math.Min(o.Width*mm, pw-2*side)
	h := math.Min(o.Height*mm, ph-2*top)
	if w <= 0 { // a page narrower than the margins: use it all
		w, side = pw, 0
	}
	if h <= 0 {
		h, top = ph, 0
	}
	x1 := pw - side - w
	if o.FromLeft {
		x1 = side
	}
	return [4]float64{x1, ph - top - h, x1 + w, ph - top}
}

// Place computes the widget /Rect in default user space for a box given on
// the page as displayed (honouring /Rotate and the crop box origin), the
// /Matrix its appearance form needs to read upright, and the form's
// width and height (the box as displayed).
func Place(page PageGeom, o PlaceOptions) (rect [4]float64, matrix [6]float64, w, h float64) {
	d := page.DefaultRect(o)
	if d[0] > d[2] {
		d[0], d[2] = d[2], d[0]
	}
	if d[1] > d[3] {
		d[1], d[3] = d[3], d[1]
	}
	x1, y1 := page.toUser(d[0], d[1])
	x2, y2 := page.toUser(d[2], d[3])
	rect = [4]float64{math.Min(x1, x2), math.Min(y1, y2), math.Max(x1, x2), math.Max(y1, y2)}
	_, rot := page.visible()
	w, h = d[2]-d[0], d[3]-d[1]
	return rect, formMatrix(rot, w, h), w, h
}

// formMatrix turns a w x h form counter-clockwise by the page's clockwise
// /Rotate, so that after the viewer rotates the page the form is upright.
// The translation keeps the rotated BBox at the origin.
func formMatrix(rotate int, w, h float64) [6]float64 {
	switch ((rotate % 360) + 360) % 360 {
	case 90:
		return [6]float64{0, 1, -1, 0, h, 0}
	case 180:
		return [6]float64{-1, 0, 0, -1, w, h}
	case 270:
		return [6]float64{0, -1, 1, 0, 0, w}
	}
	return [6]float64{1, 0, 0, 1, 0, 0}
}

// ParseRect reads a --stamp-rect value "x1,y1,x2,y2": the box's corners
// on the page as displayed, origin at the bottom-left corner, in points, or
// in millimetres with a "mm" suffix ("140,265,215,281mm"). A "pt" suffix
// is accepted too.
func ParseRect(s string) ([4]float64, error) {
	var r [4]float64
	v := strings.ToLower(strings.TrimSpace(s))
	unit := 1.0
	switch {
	case strings.HasSuffix(v, "mm"):
		unit, v = mm, strings.TrimSuffix(v, "mm")
	case strings.HasSuffix(v, "pt"):
		v = strings.TrimSuffix(v, "pt")
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return r, fail.UsageWith(i18n.Errorf("stamp rectangle %q: want four numbers x1,y1,x2,y2", s), fail.RemedyStampRect)
	}
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e5 {
			return r, fail.Usage(i18n.Errorf("stamp rectangle %q: %q is not a distance", s, p), "")
		}
		r[i] = f * unit
	}
	if r[2] <= r[0] || r[3] <= r[1] {
		return r, fail.Usage(i18n.Errorf("stamp rectangle %q: want x1 < x2 and y1 < y2", s), "")
	}
	return r, nil
}
