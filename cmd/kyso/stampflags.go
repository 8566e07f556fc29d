package main

import (
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/stamp"
	"github.com/kyso-project/kyso/sign"
)

// stampFlags are the visible-stamp and scan-quality options of `kyso sign`.
type stampFlags struct {
	NoStamp        bool
	CopyForm       string
	Agency         string
	Page           int
	Rect           string
	TimeFormat     string
	Font           string
	SignatureImage string
	SealImage      string
	QR             bool
	RequireDPI     float64
}

// warnDPI is Decree 30/2020's minimum resolution for a digitized copy.
const warnDPI = 200

func (s *stampFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&s.NoStamp, "no-stamp", false, "sign invisibly, without the visible stamp")
	fs.StringVar(&s.CopyForm, "copy-form", stamp.CopyFormSaoY, `copy form on the stamp: "SAO Y", "SAO LỤC" or "TRÍCH SAO"`)
	fs.StringVar(&s.Agency, "agency", "", "unit name on the stamp (default: the certificate's O, else its CN)")
	fs.IntVar(&s.Page, "stamp-page", 1, "page that carries the stamp (1 = first)")
	fs.StringVar(&s.Rect, "stamp-rect", "", `stamp box "x1,y1,x2,y2" in points on the page as displayed, origin bottom left (or with an "mm" suffix)`)
	fs.StringVar(&s.TimeFormat, "stamp-time-format", stamp.DefaultTimeFormat, "Go time layout of the stamp's time line, shown in Vietnam time")
	fs.StringVar(&s.Font, "font", "", "TrueType font for the stamp (default: embedded Liberation Serif)")
	fs.StringVar(&s.SignatureImage, "signature-image", "", "handwritten-signature PNG (born-digital originals only)")
	fs.StringVar(&s.SealImage, "seal-image", "", "seal PNG, drawn over the left third of the signature image")
	fs.BoolVar(&s.QR, "qr", false, "add a QR code (top left) with the dossier code, procedure code and the scan's SHA-256 (needs --meta)")
	fs.Float64Var(&s.RequireDPI, "require-dpi", 0, "refuse scans whose images are below this resolution (Decree 30/2020: 200)")
}

// apply sets the stamper and the scan-quality inspection on opts.
func (s *stampFlags) apply(g *globalOptions, opts *sign.BatchOptions) error {
	opts.Inspect = s.inspect
	if s.NoStamp {
		return nil
	}
	if s.Page < 1 {
		return fail.Usage(i18n.Errorf("--stamp-page %d: pages count from 1", s.Page), "")
	}
	d := &sign.DecreeStamp{
		Text: stamp.Options{
			CopyForm: s.CopyForm, Agency: s.Agency, TimeFormat: s.TimeFormat, FontFile: s.Font,
			SignatureImage: s.SignatureImage, SealImage: s.SealImage,
		},
		Page:   s.Page - 1,
		WithQR: s.QR,
	}
	if s.Rect != "" {
		r, err := stamp.ParseRect(s.Rect)
		if err != nil {
			return fail.Usage(i18n.Errorf("--stamp-rect: %v", err), "")
		}
		d.Place.Rect = &r
	}
	opts.Stamp = d
	return nil
}

// inspect measures the resolution of each page's images: below 200 dpi is
// a warning, below --require-dpi a refusal of that file.
func (s *stampFlags) inspect(ctx context.Context, r *pdf.Reader) ([]string, float64, error) {
	pages, err := r.Pages()
	if err != nil {
		return nil, 0, fail.Input(i18n.Errorf("not a readable PDF: page tree: %v", err), "")
	}
	low := 0.0
	var lowPages []string
	for i, p := range pages {
		dpi, has, err := stamp.PageDPI(ctx, r, p)
		if err != nil || !has {
			continue
		}
		// Page sizes in points rarely divide evenly into pixels: a 200 dpi
		// A4 scan measures 199.9 dpi one way. Judge whole dots per inch.
		dpi = math.Round(dpi)
		if low == 0 || dpi < low {
			low = dpi
		}
		if dpi < warnDPI || (s.RequireDPI > 0 && dpi < s.RequireDPI) {
			lowPages = append(lowPages, fmt.Sprintf("%d (%.0f dpi)", i+1, dpi))
		}
	}
	if len(lowPages) == 0 {
		return nil, low, nil
	}
	msg := i18n.Sprintf("scan resolution below %d dpi on page %s", warnDPI, strings.Join(lowPages, ", "))
	if s.RequireDPI > 0 && low < s.RequireDPI {
		return nil, low, fail.Input(i18n.Errorf("scan resolution %.0f dpi is below the required %.0f dpi (page %s)", low, s.RequireDPI, strings.Join(lowPages, ", ")),
			"scan again at 200 dpi or more (Decree 30/2020)")
	}
	return []string{msg}, low, nil
}
