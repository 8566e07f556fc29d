package stamp

import (
	"context"
	"errors"
	"math"

	"github.com/kyso-project/kyso/internal/i18n"
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
	// Unexamined, when set, says why the page's scan was not examined for
	// ink (an encoding kyso does not decode, or an unreadable image): the
	// stamp kept its box without knowing what is under it.
	Unexamined string
}

// ErrNoRoom says a stamp would cover an existing signature's stamp and no
// blank space of its size is left on the page.
var ErrNoRoom = errors.New("no room for the stamp clear of the existing signatures")

// Build places the stamp on page (po.Rect, or the Decree 30 default box,
// moved to blank space when it would cover the ink of a full-page scan)
// and builds its appearance through add.
func Build(ctx context.Context, r PageReader, page pdf.Page, add ObjectAdder, o Options, po PlaceOptions) (Widget, error) {
	var wd Widget
	if err := CheckPage(page); err != nil {
		return wd, err
	}
	g := GeomOf(page)
	d := g.DefaultRect(po)
	pw, ph := g.Displayed()
	var ink *inkMap
	if po.Rect == nil {
		var err error
		band := d
		if len(po.Avoid) > 0 {
			// boxes to avoid may push the stamp anywhere: map the whole page
			band = [4]float64{}
		}
		ink, err = pageInk(ctx, r, page, band)
		if ctx.Err() != nil {
			return wd, ctx.Err()
		}
		// An unreadable scan image is not a reason to refuse the stamp: the
		// signature matters more than its position, so keep the default,
		// and say so.
		if err != nil {
			ink = nil
			var ne *notExamined
			if errors.As(err, &ne) {
				wd.Unexamined = ne.what
			} else {
				wd.Unexamined = i18n.Sprintf("the scan image cannot be read: %v", err)
			}
		}
	}
	if len(po.Avoid) > 0 {
		if ink == nil {
			ink = newInkMap(pw, ph)
		}
		for _, a := range po.Avoid {
			x1, y1 := g.toDisplayed(a[0], a[1])
			x2, y2 := g.toDisplayed(a[2], a[3])
			ink.block([4]float64{math.Min(x1, x2), math.Min(y1, y2), math.Max(x1, x2), math.Max(y1, y2)})
		}
		ink.summarise()
	}
	if ink != nil && ink.inked(d, 0) > 0 {
		if nd, ok := ink.findBlank(d, pw, ph); ok {
			d, wd.Moved = nd, true
		} else if ink.blocked(d) {
			return wd, ErrNoRoom
		} else {
			wd.Overlaps = true
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
