package stamp

import (
	"context"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"

	"github.com/kyso-project/kyso/internal/pdf"
)

// MinDPI is the scan resolution Decree 30/2020 (Appendix I) asks of a
// digitized copy.
const MinDPI = 200

// minImageShare is the smallest share of the page an image must cover to
// count for the page's resolution: logos, signatures and rules drawn from
// small images are not scans.
const minImageShare = 0.05

// PageDPI returns the effective resolution of the images on a page: for
// each image the content stream draws (through form XObjects and inline
// images, tracking the CTM), pixels per inch as drawn, the smaller of width
// and height; the page's value is the lowest over images that cover at
// least 5% of the page. hasImages is false when no image counts.
func PageDPI(ctx context.Context, r Resolver, page pdf.Page) (dpi float64, hasImages bool, err error) {
	ps, err := pageImages(ctx, r, page.Dict, page.Resources)
	if err != nil {
		return 0, false, i18n.Errorf("page %v: %v", page.Ref, err)
	}
	unit := 1.0
	if u, ok := pdf.Number(page.Dict.Get("UserUnit")); ok && u > 0 {
		unit = u
	}
	box, _ := GeomOf(page).visible()
	pageArea := (box[2] - box[0]) * (box[3] - box[1])
	dpi = math.Inf(1)
	for _, p := range ps {
		if p.area() < minImageShare*pageArea {
			continue
		}
		d := p.dpi(unit)
		if math.IsNaN(d) {
			continue // never the page's value: NaN would win every comparison's silence
		}
		hasImages = true
		dpi = math.Min(dpi, d)
	}
	if !hasImages {
		return 0, false, nil
	}
	return dpi, true, nil
}
