package sign

import (
	"github.com/kyso-project/kyso/internal/i18n"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// checkEntriesInside refuses an input whose cross-reference sections place
// an object at or past the end of the revision that lists it (or past the
// end of the file): bytes that did not exist when the revision was
// written. Signed as it is, whatever is appended there after signing
// would become part of the signed revision (an incremental-saving attack).
// It also refuses a section that lists one object twice with different
// entries: viewers disagree on which counts (a shadow document prepared
// before signing), so what the signer sees need not be what is verified,
// and a hybrid section whose table marks free an object the revision
// before had while its /XRefStm stream lists it in use (MuPDF shows the
// object deleted, others show it).
func checkEntriesInside(r *pdf.Reader) error {
	for i, rv := range r.Revisions() {
		if i > 0 {
			var d []uint32
			for _, n := range rv.HybridFree {
				if _, used := r.At(i - 1).Lookup(n); used {
					d = append(d, n)
				}
			}
			if len(d) > 0 {
				return fail.Input(i18n.Errorf("the file is ambiguous: revision %d's hybrid cross-reference section marks object %d free in its table but in use in its /XRefStm stream%s, and readers disagree on which counts: what one viewer shows is not what another does",
					i, d[0], more(len(d)-1)),
					"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
			}
		}
		if d := rv.Duplicates; len(d) > 0 {
			return fail.Input(i18n.Errorf("the file is ambiguous: revision %d's cross-reference section lists object %d twice with different entries%s, and readers disagree on which counts: what one viewer shows is not what another does",
				i, d[0], more(len(d)-1)),
				"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
		}
		if past := r.EntriesPastEnd(i); len(past) > 0 {
			e := rv.Entries[past[0]]
			return fail.Input(i18n.Errorf("the file is damaged: revision %d places object %d at offset %d, at or past the end of that revision (offset %d)%s",
				i, past[0], e.Offset, rv.End, more(len(past)-1)),
				"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
		}
	}
	return nil
}

// checkUnambiguous refuses an input in which the objects read so far hold
// something PDF readers resolve differently (pdf.Ambiguity): a key given
// twice with different values, a reference to an unlisted generation.
func checkUnambiguous(r *pdf.Reader) error {
	if amb := r.Ambiguities(); len(amb) > 0 {
		return fail.Input(i18n.Errorf("the file is ambiguous: %s%s, and PDF readers resolve it differently: what one viewer shows is not what another does",
			amb[0].String(), more(len(amb)-1)),
			"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
	}
	return nil
}

func more(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return i18n.Sprintf(", and 1 more object")
	}
	return i18n.Sprintf(", and %d more objects", n)
}

// maxPageWalk bounds the objects checkPageReadable reads.
const maxPageWalk = 1 << 16

// checkPageReadable refuses to sign when the page the signature goes on
// reaches an object kyso cannot read (its /Resources, a form XObject, a
// font ...; the page tree above it aside): viewers may read such an
// object, and what it refers to could be rewritten after signing without
// kyso's verifier being able to tell what it draws.
func checkPageReadable(r *pdf.Reader, page pdf.Page) error {
	seen := map[uint32]bool{page.Ref.Num: true}
	queue := []pdf.Object{page.Dict}
	// Resources the page inherits from the page tree, as written there (a
	// reference kyso cannot read included).
	d := page.Dict
	for hops := 0; hops < 64 && d != nil; hops++ {
		if res, ok := d["Resources"]; ok {
			if hops > 0 {
				queue = append(queue, res)
			}
			break
		}
		d, _ = r.Dict(d["Parent"])
	}
	for len(queue) > 0 && len(seen) < maxPageWalk {
		o := queue[0]
		queue = queue[1:]
		var walk func(o pdf.Object, depth int)
		walk = func(o pdf.Object, depth int) {
			if depth > 64 {
				return
			}
			switch v := o.(type) {
			case pdf.Ref:
				if !seen[v.Num] {
					seen[v.Num] = true
					queue = append(queue, v)
				}
			case pdf.Array:
				for _, e := range v {
					walk(e, depth+1)
				}
			case pdf.Dict:
				for k, e := range v {
					if k != "Parent" && k != "P" {
						walk(e, depth+1)
					}
				}
			case *pdf.Stream:
				walk(v.Dict, depth+1)
			}
		}
		if ref, ok := o.(pdf.Ref); ok {
			if _, listed := r.Lookup(ref.Num); !listed {
				continue
			}
			got, err := r.Get(ref)
			if err != nil {
				if pdf.IsLimit(err) {
					return err
				}
				return fail.Input(i18n.Errorf("the file is damaged: the page the signature goes on uses an object kyso cannot read (%v), which viewers may show otherwise", err),
					"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
			}
			o = got
		}
		walk(o, 0)
	}
	if len(queue) > 0 {
		return fail.Input(i18n.Errorf("the page the signature goes on reaches more than %d objects: kyso cannot check that it can read them all", maxPageWalk),
			"save a repaired copy with the tool that made it (or qpdf), then sign that; kyso does not sign damaged files")
	}
	return nil
}
