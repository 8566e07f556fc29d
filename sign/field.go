package sign

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/stamp"
)

// byteRangePlaceholder is patched with the real byte range once the update
// is laid out; its width bounds files to 10-digit offsets (9.3 GB).
var byteRangePlaceholder = []byte("[0 0000000000 0000000000 0000000000]")

// pdfDate formats t as a PDF date in Vietnam time.
func pdfDate(t time.Time) string {
	t = t.In(vnZone)
	return t.Format("D:20060102150405") + "+07'00'"
}

// addSignature adds the signature dictionary, its field and widget, and
// the stamp to u.
func addSignature(ctx context.Context, r *pdf.Reader, u *pdf.Update, o *Options, when time.Time, capacity int) error {
	return addField(ctx, r, u, o, when, capacity, false)
}

// addField adds a signature (or, with docTS, a document timestamp)
// dictionary with its field and widget.
func addField(ctx context.Context, r *pdf.Reader, u *pdf.Update, o *Options, when time.Time, capacity int, docTS bool) error {
	cat, err := r.Catalog()
	if err != nil {
		return fail.Input(i18n.Errorf("not a readable PDF: %v", err), "")
	}
	pages, err := r.Pages()
	if err != nil {
		return fail.Input(i18n.Errorf("not a readable PDF: page tree: %v", err), "")
	}
	if len(pages) == 0 {
		return fail.Inputf("the PDF has no pages")
	}
	sig := pdf.Dict{
		"Type":       pdf.Name("Sig"),
		"Filter":     pdf.Name("Adobe.PPKLite"),
		"SubFilter":  pdf.Name("ETSI.CAdES.detached"),
		"ByteRange":  pdf.Raw{Bytes: append([]byte(nil), byteRangePlaceholder...), Mark: "byterange"},
		"Contents":   pdf.Raw{Bytes: []byte("<" + strings.Repeat("0", 2*capacity) + ">"), Mark: "contents"},
		"M":          pdf.Str(pdfDate(when)),
		"Prop_Build": pdf.Dict{"App": pdf.Dict{"Name": pdf.Name("kyso")}},
	}
	if docTS {
		// ETSI.RFC3161 dictionaries carry no /M, /Name, /Reason...
		sig["Type"] = pdf.Name("DocTimeStamp")
		sig["SubFilter"] = pdf.Name("ETSI.RFC3161")
		delete(sig, "M")
	} else {
		for k, v := range map[pdf.Name]string{"Reason": o.Reason, "Location": o.Location, "ContactInfo": o.ContactInfo} {
			if v != "" {
				sig[k] = textString(v)
			}
		}
	}
	sigRef := u.Add(sig)

	acro, acroRef, err := acroForm(r, cat)
	if err != nil {
		return err
	}
	name := o.FieldName
	if name == "" || docTS {
		prefix := "Signature"
		if docTS {
			prefix = "DocTimeStamp"
		}
		name = freeFieldName(r, acro, prefix)
	}
	pageIndex := 0
	rect := [4]float64{0, 0, 0, 0}
	var ap pdf.Ref
	var extra []pdf.Ref
	if o.Stamp != nil && !docTS {
		pageIndex = o.Stamp.PageIndex()
		if pageIndex < 0 || pageIndex >= len(pages) {
			return fail.Inputf("stamp page %d is outside the document (%d pages)", pageIndex+1, len(pages))
		}
		if err := stamp.CheckPage(pages[pageIndex]); err != nil {
			return err // no geometry with a page box of infinite or absurd size
		}
		rect, ap, extra, err = o.Stamp.Stamp(ctx, r, u, pages[pageIndex], pageIndex, when, o.Key)
		if errors.Is(err, stamp.ErrNoRoom) {
			// The page has no room clear of the existing stamps: sign
			// invisibly rather than draw over another signature.
			rect, ap, extra, err = [4]float64{}, pdf.Ref{}, nil, nil
			if o.noRoom != nil {
				o.noRoom()
			}
		}
		if err != nil {
			return err
		}
	}
	page := pages[pageIndex]
	if err := checkPageReadable(r, page); err != nil {
		return err
	}
	widget := pdf.Dict{
		"Type":    pdf.Name("Annot"),
		"Subtype": pdf.Name("Widget"),
		"FT":      pdf.Name("Sig"),
		"T":       textString(name),
		"V":       sigRef,
		"F":       pdf.Int(132), // print + locked
		"P":       page.Ref,
		"Rect":    rectArray(rect),
	}
	switch {
	case ap != (pdf.Ref{}):
		widget["AP"] = pdf.Dict{"N": ap}
	case docTS:
		// A document timestamp's widget is hidden (PAdES, ISO 32000-2
		// 12.8.5): /Rect [0 0 0 0] and no appearance stream, so that every
		// validator sees an archival update, never form filling, even
		// after a P=1 certification (PDF/A exempts a zero /Rect from /AP).
	default:
		// An empty appearance keeps strict readers quiet about invisible widgets.
		widget["AP"] = pdf.Dict{"N": u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}}, Data: []byte{}})}
	}
	widgetRef := u.Add(widget)

	if err := appendAnnot(r, u, page, append([]pdf.Ref{widgetRef}, extra...)); err != nil {
		return err
	}
	newCat := cat.Clone()
	catChanged := false
	// Fields: append to the existing array, wherever it lives.
	fields, fieldsRef, err := fieldsArray(r, acro)
	if err != nil {
		return err
	}
	fields = append(append(pdf.Array{}, fields...), widgetRef)
	acro = acro.Clone()
	if fieldsRef != (pdf.Ref{}) {
		u.Set(fieldsRef, fields)
	} else {
		acro["Fields"] = fields
	}
	acro["SigFlags"] = pdf.Int(3)
	if acroRef != (pdf.Ref{}) {
		u.Set(acroRef, acro)
	} else {
		newCat["AcroForm"] = u.Add(acro)
		catChanged = true
	}
	// ETSI subfilters are PDF 2.0; below that, declare the ESIC extension.
	if !docTS && needsESIC(r, cat) {
		ext, _ := r.Dict(cat["Extensions"])
		ext = ext.Clone()
		ext["ESIC"] = pdf.Dict{"Type": pdf.Name("DeveloperExtensions"), "BaseVersion": pdf.Name("1.7"), "ExtensionLevel": pdf.Int(1)}
		newCat["Extensions"] = ext
		if v, _ := cat.Name("Version"); v < "1.7" && r.Version() < "1.7" {
			newCat["Version"] = pdf.Name("1.7")
		}
		catChanged = true
	}
	if catChanged {
		u.Set(r.RootRef(), newCat)
	}
	if len(o.Metadata) > 0 {
		if err := setInfo(r, u, o.Metadata, when); err != nil {
			return err
		}
	}
	return nil
}

func needsESIC(r *pdf.Reader, cat pdf.Dict) bool {
	if r.Version() >= "2.0" {
		return false
	}
	if v, _ := cat.Name("Version"); v >= "2.0" {
		return false
	}
	ext, _ := r.Dict(cat["Extensions"])
	_, has := ext["ESIC"]
	return !has
}

// acroForm returns the catalog's AcroForm and, if indirect, its reference.
func acroForm(r *pdf.Reader, cat pdf.Dict) (pdf.Dict, pdf.Ref, error) {
	ref, _ := cat["AcroForm"].(pdf.Ref)
	d, err := r.Dict(cat["AcroForm"])
	if err != nil {
		return nil, pdf.Ref{}, fail.Input(i18n.Errorf("reading /AcroForm: %v", err), "")
	}
	if d == nil {
		return pdf.Dict{}, pdf.Ref{}, nil
	}
	return d, ref, nil
}

func fieldsArray(r *pdf.Reader, acro pdf.Dict) (pdf.Array, pdf.Ref, error) {
	ref, _ := acro["Fields"].(pdf.Ref)
	a, err := r.Array(acro["Fields"])
	if err != nil {
		return nil, pdf.Ref{}, fail.Input(i18n.Errorf("reading /AcroForm /Fields: %v", err), "")
	}
	return a, ref, nil
}

// appendAnnot adds ref to the page's /Annots, in place if the array is
// indirect, else in a new copy of the page dictionary.
func appendAnnot(r *pdf.Reader, u *pdf.Update, page pdf.Page, refs []pdf.Ref) error {
	annots, err := r.Array(page.Dict["Annots"])
	if err != nil {
		return fail.Input(i18n.Errorf("reading page /Annots: %v", err), "")
	}
	annots = append(pdf.Array{}, annots...)
	for _, ref := range refs {
		annots = append(annots, ref)
	}
	if aref, ok := page.Dict["Annots"].(pdf.Ref); ok {
		u.Set(aref, annots)
		return nil
	}
	pd := page.Dict.Clone()
	pd["Annots"] = annots
	u.Set(page.Ref, pd)
	return nil
}

// freeFieldName picks "Signature<N>" not used as the partial name (/T)
// of any field yet.
func freeFieldName(r *pdf.Reader, acro pdf.Dict, prefix string) string {
	used := map[string]bool{}
	fields, _ := r.Array(acro["Fields"])
	// A tree too deep gives the names found before it.
	_ = r.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		if t, err := r.Resolve(f.Dict["T"]); err == nil {
			if s, ok := t.(pdf.String); ok {
				used[s.Text()] = true
			}
		}
		return true, nil
	})
	for i := 1; ; i++ {
		n := fmt.Sprintf("%s%d", prefix, i)
		if !used[n] {
			return n
		}
	}
}

// textString encodes s as a PDF text string: PDFDocEncoding when ASCII,
// else UTF-16BE with a byte order mark.
func textString(s string) pdf.String {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return pdf.Str(s)
	}
	b := []byte{0xFE, 0xFF}
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			hi, lo := 0xD800+(r>>10), 0xDC00+(r&0x3FF)
			b = append(b, byte(hi>>8), byte(hi), byte(lo>>8), byte(lo))
			continue
		}
		b = append(b, byte(r>>8), byte(r))
	}
	return pdf.String{Bytes: b, Hex: true}
}

// setInfo writes metadata keys into the document information dictionary.
func setInfo(r *pdf.Reader, u *pdf.Update, meta map[string]string, when time.Time) error {
	ref, isRef := r.Trailer()["Info"].(pdf.Ref)
	info, _ := r.Dict(r.Trailer()["Info"])
	info = info.Clone()
	if info == nil {
		info = pdf.Dict{}
	}
	for k, v := range meta {
		info[pdf.Name(k)] = textString(v)
	}
	info["ModDate"] = pdf.Str(pdfDate(when))
	if isRef {
		u.Set(ref, info)
		return nil
	}
	if u.Trailer == nil {
		u.Trailer = pdf.Dict{}
	}
	u.Trailer["Info"] = u.Add(info)
	return nil
}
