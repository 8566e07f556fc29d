package stamp

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	"github.com/skip2/go-qrcode"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// QRPlace is the default QR box: 25 mm square, top left, 10 mm from the
// left and 8 mm from the top of the page as displayed.
var QRPlace = PlaceOptions{Width: 25, Height: 25, Side: 10, FromLeft: true, Top: 8}

// QRPayload is the text kyso puts in the QR code: the dossier code, the
// procedure code and the SHA-256 of the scan before signing (a file cannot
// hold its own final hash), one "key=value" per line.
func QRPayload(dossier, procedure string, scanSHA256 []byte) string {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return fmt.Sprintf("MaHoSo=%s\nMaTTHC=%s\nSHA256=%s", clean(dossier), clean(procedure), hex.EncodeToString(scanSHA256))
}

// QR places a QR code of payload on page (po, or QRPlace when po is the
// zero value) and builds its appearance through add.
func QR(page pdf.Page, add ObjectAdder, payload string, po PlaceOptions) (Widget, error) {
	if po.Rect == nil && po.Width == 0 && po.Height == 0 && po.Side == 0 && po.Top == 0 && !po.FromLeft {
		po = QRPlace
	}
	if err := CheckPage(page); err != nil {
		return Widget{}, err
	}
	g := GeomOf(page)
	rect, _, w, h := Place(g, po)
	_, rot := g.visible()
	ap, err := QRAppearance(add, payload, w, h, rot)
	if err != nil {
		return Widget{}, err
	}
	return Widget{Rect: rect, AP: ap}, nil
}

// QRAppearance builds a form XObject of w x h points drawing the QR code
// (error correction level M, with its four-module quiet zone on white) as
// filled rectangles, centred and square.
func QRAppearance(add ObjectAdder, payload string, w, h float64, rotate int) (pdf.Ref, error) {
	if !(w > 0 && h > 0) {
		return pdf.Ref{}, fail.Usagef("qr code: bad box size %gx%g pt", w, h)
	}
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return pdf.Ref{}, fail.Usage(i18n.Errorf("qr code: %v", err), "shorten the dossier or procedure code")
	}
	bm := q.Bitmap() // includes the quiet zone
	n := len(bm)
	side := min(w, h)
	mod := side / float64(n)
	x0, y0 := (w-side)/2, (h-side)/2
	var c bytes.Buffer
	fmt.Fprintf(&c, "q 1 g %s %s %s %s re f 0 g\n", num(x0), num(y0), num(side), num(side))
	for r, row := range bm {
		y := y0 + side - float64(r+1)*mod
		for i := 0; i < n; {
			if !row[i] {
				i++
				continue
			}
			j := i
			for j < n && row[j] {
				j++
			}
			fmt.Fprintf(&c, "%s %s %s %s re\n", num(x0+float64(i)*mod), num(y), num(float64(j-i)*mod), num(mod))
			i = j
		}
	}
	c.WriteString("f Q\n")
	return addForm(add, w, h, rotate, pdf.Dict{}, c.Bytes()), nil
}
