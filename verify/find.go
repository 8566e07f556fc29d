package verify

import (
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	"github.com/kyso-project/kyso/internal/pdf"
)

// sigLoc is where a signature dictionary was found.
type sigLoc struct {
	// Field is the fully qualified field name ("" for an orphan).
	Field    string
	FieldRef pdf.Ref
	// DictRef is the signature dictionary's object (Num 0 when direct).
	DictRef pdf.Ref
	Dict    pdf.Dict
	// Lock is the field's /Lock dictionary, if any.
	Lock pdf.Dict
	// View is the revision the dictionary was read from: the newest one that
	// refers to it.
	View int
	// Orphan is set for a signature dictionary no field refers to.
	Orphan bool
}

// The number of fields and of objects scanned for orphan signatures are
// bounded here; depth by the reader's pdf.Limits.MaxNesting.
const (
	maxFields = 1 << 16
	maxScan   = 1 << 18
)

var errTooManyFields = errors.New("too many form fields")

// findSignatures returns every signature dictionary of the document: those
// of the signature fields of every revision (AcroForm /Fields with their
// /Kids, and widgets on pages outside the AcroForm), since a signature an
// update detached from its field must still be judged, or an attacker could
// hide the one that would fail. When no field holds a signature, any /Sig
// or /DocTimeStamp dictionary with a /ByteRange is judged instead.
//
// A reference cycle or a limit met in the newest revision's fields is an
// error (the form cannot be read whole, so a signature may be hidden in
// it); other problems there are warnings. More signatures than
// pdf.Limits.MaxSignatures is an error of the file too, and no signature
// is returned: the walk stops at the first one past the limit, before any
// per-signature work. The error is for a cancelled ctx.
func findSignatures(ctx context.Context, r *pdf.Reader) ([]sigLoc, []string, []string, error) {
	var locs []sigLoc
	var warnings, errs []string
	seen := map[string]bool{}
	maxSigs := r.Limits().MaxSignatures
	add := func(l sigLoc) error {
		key := fmt.Sprintf("o%d", l.DictRef.Num)
		if l.DictRef.Num == 0 {
			key = fmt.Sprintf("f%d/%s", l.FieldRef.Num, l.Field)
		}
		if seen[key] {
			return nil
		}
		if len(locs) >= maxSigs {
			return tooManySignatures(maxSigs)
		}
		seen[key] = true
		locs = append(locs, l)
		return nil
	}
	revs := r.Revisions()
	for i := len(revs) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		err := fieldSignatures(ctx, r.At(i), i, add)
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		var le *pdf.LimitError
		if errors.As(err, &le) && le.Limit == "MaxSignatures" {
			return nil, warnings, []string{"the file goes over a limit: " + err.Error()}, nil
		}
		if err != nil && i == len(revs)-1 {
			if pdf.IsLimit(err) || errors.Is(err, pdf.ErrCycle) {
				errs = append(errs, "reading the form fields: "+err.Error())
			} else {
				warnings = append(warnings, "reading the form fields: "+err.Error())
			}
		}
	}
	if len(locs) == 0 {
		orphans, warn, err := scanSignatureDicts(ctx, r)
		if err != nil {
			if pdf.IsLimit(err) {
				return nil, warnings, []string{"the file goes over a limit: " + err.Error()}, nil
			}
			return nil, nil, nil, err
		}
		if warn != "" {
			warnings = append(warnings, warn)
		}
		locs = orphans
	}
	return locs, warnings, errs, nil
}

// tooManySignatures is the error of a file with more than max signatures.
func tooManySignatures(max int) error {
	return pdf.LimitErrorf("MaxSignatures", int64(max), "the document has more than %d signatures", max)
}

// fieldSignatures walks the AcroForm field tree and the widgets of every
// page of one revision, passing each signature to add. An error of add
// (too many signatures) or a cancelled ctx stops the walk at once.
func fieldSignatures(ctx context.Context, r *pdf.Reader, view int, add func(sigLoc) error) error {
	cat, err := r.Catalog()
	if err != nil {
		return err
	}
	visited := map[pdf.Ref]bool{}
	count := 0
	stop := func(err error) bool {
		var le *pdf.LimitError
		return errors.As(err, &le) && le.Limit == "MaxSignatures" || ctx.Err() != nil
	}
	visit := func(f *pdf.Field) (bool, error) {
		if count++; count > maxFields {
			return false, errTooManyFields
		}
		if count%256 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		if f.FT == "Sig" {
			if v, ok := f.Dict["V"]; ok && v != nil {
				name := cleanText(f.Name)
				l := sigLoc{Field: name, FieldRef: f.Ref, View: view}
				l.DictRef, _ = v.(pdf.Ref)
				var err error
				l.Dict, err = r.Dict(v)
				if err != nil {
					return false, i18n.Errorf("signature value of field %q: %v", name, err)
				}
				l.Lock, _ = r.Dict(f.Dict["Lock"])
				if l.Dict != nil {
					if err := add(l); err != nil {
						return false, err
					}
				}
			}
		}
		return true, nil
	}
	walk := func(roots pdf.Array) error {
		// A tree too deep is a pdf.LimitError: findSignatures makes it an
		// error of the file, as a signature may hide below the limit.
		return r.WalkFields(roots, visited, visit)
	}
	var firstErr error
	if af, err := r.Dict(cat["AcroForm"]); err == nil && af != nil {
		fields, _ := r.Array(af["Fields"])
		firstErr = walk(fields)
		if stop(firstErr) {
			return firstErr
		}
	}
	// Widgets on pages that the AcroForm does not list.
	pages, err := r.Pages()
	if err != nil && firstErr == nil {
		firstErr = err
	}
	for _, p := range pages {
		annots, _ := r.Array(p.Dict["Annots"])
		for _, a := range annots {
			ad, _ := r.Dict(a)
			if ad == nil {
				continue
			}
			if st, _ := ad.Name("Subtype"); st != "Widget" {
				continue
			}
			// The widget's field is the top of its /Parent chain; walking
			// from there gives the full name and the inherited /FT.
			f := a
			for hops, cur := 0, ad; hops < r.Limits().MaxNesting; hops++ {
				par, ok := cur["Parent"]
				if !ok {
					break
				}
				pd, _ := r.Dict(par)
				if pd == nil {
					break
				}
				f, cur = par, pd
			}
			if err := walk(pdf.Array{f}); err != nil {
				if stop(err) {
					return err
				}
				if firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	return firstErr
}

// scanSignatureDicts finds, in the newest revision, signature dictionaries
// that no field refers to: the fallback when the form has no signed field,
// so that a file whose signature was unhooked from its field is judged on
// that signature rather than called unsigned.
//
// The error is a cancelled ctx, or more than pdf.Limits.MaxSignatures
// signature dictionaries.
func scanSignatureDicts(ctx context.Context, r *pdf.Reader) ([]sigLoc, string, error) {
	var out []sigLoc
	nums := r.ObjectNumbers()
	if len(nums) > maxScan {
		return nil, "too many objects to look for signature dictionaries outside the form fields", nil
	}
	view := len(r.Revisions()) - 1
	maxSigs := r.Limits().MaxSignatures
	for i, num := range nums {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
		}
		e, _ := r.Lookup(num)
		ref := pdf.Ref{Num: num}
		if e.Type == 1 {
			ref.Gen = e.Gen
		}
		o, err := r.Get(ref)
		if err != nil {
			continue
		}
		d, ok := o.(pdf.Dict)
		if !ok {
			continue
		}
		t, _ := d.Name("Type")
		if t != "Sig" && t != "DocTimeStamp" {
			continue
		}
		if _, has := d["ByteRange"]; !has {
			continue
		}
		if len(out) >= maxSigs {
			return nil, "", tooManySignatures(maxSigs)
		}
		out = append(out, sigLoc{DictRef: ref, Dict: d, View: view, Orphan: true})
	}
	return out, "", nil
}

// fieldLabel names a signature in messages.
func fieldLabel(l sigLoc) string {
	if l.Field != "" {
		return fmt.Sprintf("field %q", strings.ToValidUTF8(l.Field, "?"))
	}
	return fmt.Sprintf("object %d", l.DictRef.Num)
}
