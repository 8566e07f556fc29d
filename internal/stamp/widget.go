package stamp

import (
	"context"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Widget is a stamp placed on a page, ready to become a signature
// widget: /Rect Rect and /AP << /N AP >>.
type Widget struct {
	// Rect is the widget rectangle in default user space.
	Rect [4]float64
	// AP is the appearance form XObject.
	AP pdf.Ref
	// Moved says the default box would have covered the scan's ink and
	// the stamp went to blank space instead; Overlaps says no blank space
	// was found and the stamp covers ink.
	Moved, Overlaps bool
}

// Build places the stamp on page (po.Rect, or the Decree 30 default box,
// moved to blank space when it would cover the ink of a full-page scan)
// and builds its appearance through add.
func Build(ctx context.Context, r PageReader, page pdf.Page, add ObjectAdder, o Options, po PlaceOptions) (Widget, error) {
	g := GeomOf(page)
	var wd Widget
	d := g.DefaultRect(po)
	if po.Rect == nil {
		ink, err := pageInk(ctx, r, page)
		if ctx.Err() != nil {
			return wd, ctx.Err()
		}
		// An unreadable scan image is not a reason to refuse the stamp: the
		// signature matters more than its position, so keep the default.
		if err == nil && ink != nil && ink.inked(d, 0) > 0 {
			pw, ph := g.Displayed()
			if nd, ok := ink.findBlank(d, pw, ph); ok {
				d, wd.Moved = nd, true
			} else {
				wd.Overlaps = true
			}
		}
	}
	rect, _, w, h := Place(g, PlaceOptions{Rect: &d})
	_, rot := g.visible()
	ap, err := Appearance(add, o, w, h, rot)
	if err != nil {
		return wd, err
	}
	wd.Rect, wd.AP = rect, ap
	return wd, nil
}
