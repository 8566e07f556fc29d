package sign

import (
	"context"
	"crypto/sha256"
	"io"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/stamp"
)

// DecreeStamp is the visible signature of Decree 30/2020: the copy form,
// the unit's name and the signing time, top right of the page.
type DecreeStamp struct {
	// Text: Agency defaults to the certificate's O, else its CN.
	Text stamp.Options
	// Place: the zero value is the Decree 30 default box.
	Place stamp.PlaceOptions
	// Page is the 0-based page index.
	Page int
	// QR, when set, adds a QR code (top left) holding the dossier and
	// procedure codes and the SHA-256 of the input before signing.
	QR *QROptions
	// WithQR asks Batch to set QR for each input from BatchOptions.QRFor.
	WithQR bool
}

// QROptions say what the QR code holds.
type QROptions struct {
	Dossier, Procedure string
}

// PageIndex implements Stamper.
func (d *DecreeStamp) PageIndex() int { return d.Page }

// Stamp implements Stamper.
func (d *DecreeStamp) Stamp(ctx context.Context, r *pdf.Reader, u *pdf.Update, page pdf.Page, _ int, when time.Time, key *keys.Key) ([4]float64, pdf.Ref, []pdf.Ref, error) {
	o := d.Text
	o.Time = when
	if o.Agency == "" {
		o.Agency = AgencyName(key)
	}
	po := d.Place
	// Never over another signature's stamp: a countersigned or
	// co-signed document keeps every earlier stamp readable.
	po.Avoid = append(append([][4]float64(nil), po.Avoid...), occupied(r, page)...)
	w, err := stamp.Build(ctx, r, page, u, o, po)
	if err != nil {
		return [4]float64{}, pdf.Ref{}, nil, err
	}
	if w.Unexamined != "" {
		warnFile(ctx, i18n.Sprintf("the stamp kept its default place without looking at the scan under it (%s): check that it covers no text", w.Unexamined))
	}
	if w.Overlaps {
		warnFile(ctx, i18n.Sprintf("the stamp covers part of the scan: the page has no blank space of the stamp's size; check the signed page"))
	}
	var extra []pdf.Ref
	if d.QR != nil {
		qrRect, _, _, _ := stamp.Place(stamp.GeomOf(page), stamp.QRPlace)
		for _, o := range po.Avoid {
			if overlaps(qrRect, o) {
				// a countersigned document keeps the QR code it shows
				return w.Rect, w.AP, nil, nil
			}
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r.ReaderAt(), 0, r.Size())); err != nil {
			return [4]float64{}, pdf.Ref{}, nil, err
		}
		q, err := stamp.QR(page, u, stamp.QRPayload(d.QR.Dossier, d.QR.Procedure, h.Sum(nil)), stamp.PlaceOptions{})
		if err != nil {
			return [4]float64{}, pdf.Ref{}, nil, err
		}

		extra = append(extra, u.Add(pdf.Dict{
			"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Stamp"), "F": pdf.Int(4 | 128), "P": page.Ref,
			"Rect": rectArray(q.Rect), "AP": pdf.Dict{"N": q.AP}, "Name": pdf.Name("KysoQR"),
		}))
	}
	return w.Rect, w.AP, extra, nil
}

// AgencyName is the unit's name from a signer certificate: its O, else CN.
func AgencyName(key *keys.Key) string {
	if key == nil || key.Cert == nil {
		return ""
	}
	if o := key.Cert.Subject.Organization; len(o) > 0 && o[0] != "" {
		return o[0]
	}
	return key.Cert.Subject.CommonName
}

func rectArray(r [4]float64) pdf.Array {
	return pdf.Array{pdf.Real(r[0]), pdf.Real(r[1]), pdf.Real(r[2]), pdf.Real(r[3])}
}

// overlaps says whether two rectangles (x1, y1, x2, y2) share an area.
func overlaps(a, b [4]float64) bool {
	return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

// fileWarnKey carries, in the context of one file's signing, where its
// warnings go (the file's Result).
type fileWarnKey struct{}

func withFileWarn(ctx context.Context, warn func(string)) context.Context {
	return context.WithValue(ctx, fileWarnKey{}, warn)
}

// warnFile adds a warning to the result of the file being signed.
func warnFile(ctx context.Context, msg string) {
	if warn, ok := ctx.Value(fileWarnKey{}).(func(string)); ok {
		warn(msg)
	}
}
