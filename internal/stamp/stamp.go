// Package stamp draws kyso's visible signature: the Decree 30/2020 copy
// stamp ("SAO Y", the unit's name and the signing time in Vietnam time) as
// real, extractable text in an embedded subset of a Times-metric font,
// placed top right on the page as displayed; optional signature and seal
// images for born-digital originals and a QR code; and the effective scan
// resolution (dpi) of a page's images for the 200 dpi rule.
package stamp

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// ObjectAdder allocates new objects in the document being written;
// *pdf.Update satisfies it.
type ObjectAdder interface {
	Add(o pdf.Object) pdf.Ref
}

// Copy forms of Decree 30/2020 (Appendix I).
const (
	CopyFormSaoY     = "SAO Y"
	CopyFormSaoLuc   = "SAO LỤC"
	CopyFormTrichSao = "TRÍCH SAO"
)

// DefaultTimeFormat is the Go layout of the stamp's time line.
const DefaultTimeFormat = "Thời gian ký: 02/01/2006 15:04:05 -07:00"

// Vietnam is Vietnam time (UTC+07:00, no daylight saving), fixed so the
// stamp does not depend on the system's time zone database.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Options says what the stamp shows.
type Options struct {
	// CopyForm is the first line: "SAO Y" (default), "SAO LỤC" or "TRÍCH SAO".
	CopyForm string
	// Agency is the name of the unit making the copy.
	Agency string
	// Time is the signing time, shown in Vietnam time.
	Time time.Time
	// TimeFormat is a Go time layout; default DefaultTimeFormat.
	TimeFormat string
	// FontFile is a TrueType font the unit supplies; default Liberation Serif.
	FontFile string
	// FontSize in points; default 10. Shrunk when the text does not fit.
	FontSize float64
	// SignatureImage and SealImage are PNG files (born-digital originals
	// only); transparency is kept.
	SignatureImage, SealImage string
	// SealSize is the seal's real width in mm; 0 reads it from the PNG's
	// pHYs resolution, else the seal is as tall as the box.
	SealSize float64
}

func (o Options) lines() ([]string, error) {
	form := o.CopyForm
	if form == "" {
		form = CopyFormSaoY
	}
	if o.Time.IsZero() {
		return nil, fail.Usagef("stamp: no signing time")
	}
	layout := o.TimeFormat
	if layout == "" {
		layout = DefaultTimeFormat
	}
	lines := []string{form}
	if a := strings.TrimSpace(o.Agency); a != "" {
		lines = append(lines, a)
	}
	lines = append(lines, o.Time.In(Vietnam).Format(layout))
	for i, l := range lines {
		// Text from flags or certificates may be decomposed (NFD); the font
		// has the precomposed Vietnamese letters.
		lines[i] = norm.NFC.String(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return ' '
			}
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, l))
	}
	return lines, nil
}

const (
	mm      = 72 / 25.4 // points per millimetre
	pad     = 2.0       // inner margin of the text, points
	minSize = 4.0       // smallest font size tried before giving up
)

// Appearance builds the normal appearance (a form XObject) of a widget of
// w x h points as the page is displayed, and returns its reference. The
// form is rotated by its /Matrix to counter the page's /Rotate, so the
// stamp reads upright. Fonts and images are added through add.
func Appearance(add ObjectAdder, o Options, w, h float64, rotate int) (pdf.Ref, error) {
	if !(w > 0 && h > 0) || math.IsInf(w+h, 0) {
		return pdf.Ref{}, fail.Usagef("stamp: bad box size %gx%g pt", w, h)
	}
	lines, err := o.lines()
	if err != nil {
		return pdf.Ref{}, err
	}
	f, err := loadFont(o.FontFile)
	if err != nil {
		return pdf.Ref{}, err
	}
	size := o.FontSize
	if size <= 0 {
		size = 10
	}
	var content bytes.Buffer
	res := pdf.Dict{}
	textX := pad
	if o.SignatureImage != "" || o.SealImage != "" {
		xobjs, used, err := drawImages(add, &content, o, w/2, h)
		if err != nil {
			return pdf.Ref{}, err
		}
		res["XObject"] = xobjs
		textX += used
	}
	var b sfnt.Buffer
	shaped := make([][]uint16, len(lines))
	for i, l := range lines {
		if shaped[i], err = f.glyphs(&b, l); err != nil {
			return pdf.Ref{}, err
		}
	}
	tl, err := f.fit(shaped, size, w-textX-pad, h-2*pad)
	if err != nil {
		return pdf.Ref{}, fail.UsageWith(i18n.Errorf("stamp box %.0fx%.0f pt: %v", w, h, err), fail.RemedyStampBox)
	}
	// All digits go in the subset so that stamps differing only in their
	// time share one cached subset.
	used := map[uint16]rune{}
	if ds, err := f.glyphs(&b, "0123456789"); err == nil {
		for i, g := range ds {
			used[g] = rune('0' + i)
		}
	}
	for i, l := range lines {
		rs := []rune(l)
		for j, g := range shaped[i] {
			if _, ok := used[g]; !ok {
				used[g] = rs[j]
			}
		}
	}
	fontRef, err := f.embed(add, used)
	if err != nil {
		return pdf.Ref{}, err
	}
	res["Font"] = pdf.Dict{"F1": fontRef}
	lead := tl.size * (f.ascent - f.descent + f.lineGap) / f.upem
	y := h - pad - tl.size*f.ascent/f.upem
	fmt.Fprintf(&content, "q 0 g BT /F1 %s Tf %s TL %s %s Td\n", num(tl.size), num(lead), num(textX), num(y))
	for i, ln := range tl.lines {
		if i > 0 {
			content.WriteString("T* ")
		}
		content.WriteByte('<')
		for _, g := range ln {
			fmt.Fprintf(&content, "%04X", g)
		}
		content.WriteString("> Tj\n")
	}
	content.WriteString("ET Q\n")
	return addForm(add, w, h, rotate, res, content.Bytes()), nil
}

// addForm adds a form XObject of w x h points, turned by its /Matrix to
// read upright on a page with /Rotate rotate; content is compressed.
func addForm(add ObjectAdder, w, h float64, rotate int, res pdf.Dict, content []byte) pdf.Ref {
	m := formMatrix(rotate, w, h)
	return add.Add(&pdf.Stream{Dict: pdf.Dict{
		"Type":      pdf.Name("XObject"),
		"Subtype":   pdf.Name("Form"),
		"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real(w), pdf.Real(h)},
		"Matrix":    pdf.Array{pdf.Real(m[0]), pdf.Real(m[1]), pdf.Real(m[2]), pdf.Real(m[3]), pdf.Real(m[4]), pdf.Real(m[5])},
		"Resources": res,
		"Filter":    pdf.Name("FlateDecode"),
	}, Data: deflate(content)})
}

// textLayout is the stamp text broken into lines at a font size.
type textLayout struct {
	size  float64
	lines [][]uint16
}

var errTooSmall = errors.New("too small for the stamp text, even at 4 pt")

// fit wraps the paragraphs at spaces to width maxW and, when they are still
// too wide or too tall for maxH, shrinks the font in quarter points. Text is
// never clipped: a box that cannot hold it at minSize is an error.
func (f *fontProgram) fit(paras [][]uint16, size, maxW, maxH float64) (textLayout, error) {
	lineH := (f.ascent - f.descent + f.lineGap) / f.upem
	glyphH := (f.ascent - f.descent) / f.upem
	space, hasSpace := uint16(0), false
	if g, err := f.sf.GlyphIndex(&sfnt.Buffer{}, ' '); err == nil && g != 0 {
		space, hasSpace = uint16(g), true
	}
	for s := size; s >= min(minSize, size); s -= 0.25 {
		limit := maxW / s * 1000
		var lines [][]uint16
		wide := false
		for _, p := range paras {
			ls := f.wrap(p, space, hasSpace, limit)
			for _, l := range ls {
				if f.advance(l) > limit {
					wide = true
				}
			}
			lines = append(lines, ls...)
		}
		if !wide && s*(lineH*float64(len(lines)-1)+glyphH) <= maxH {
			return textLayout{size: s, lines: lines}, nil
		}
	}
	return textLayout{}, errTooSmall
}

func (f *fontProgram) advance(gs []uint16) float64 {
	var w float64
	for _, g := range gs {
		w += f.width(g)
	}
	return w
}

// wrap breaks a line at spaces so each piece fits limit (glyph space units);
// a single word wider than limit stays whole, for fit to shrink.
func (f *fontProgram) wrap(p []uint16, space uint16, hasSpace bool, limit float64) [][]uint16 {
	if !hasSpace || f.advance(p) <= limit {
		return [][]uint16{p}
	}
	var words [][]uint16
	start := 0
	for i, g := range p {
		if g == space {
			if i > start {
				words = append(words, p[start:i])
			}
			start = i + 1
		}
	}
	if start < len(p) {
		words = append(words, p[start:])
	}
	var lines [][]uint16
	var cur []uint16
	for _, wd := range words {
		if cur == nil {
			cur = append([]uint16(nil), wd...)
			continue
		}
		if f.advance(cur)+f.width(space)+f.advance(wd) <= limit {
			cur = append(append(cur, space), wd...)
			continue
		}
		lines = append(lines, cur)
		cur = append([]uint16(nil), wd...)
	}
	if cur != nil {
		lines = append(lines, cur)
	}
	return lines
}

// num formats a content-stream number with at most three decimals.
func num(v float64) string {
	s := strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}
