package diff

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"slices"

	"github.com/kyso-project/kyso/internal/pdf"
)

// pageChange judges a page dictionary rewritten in place: a page may gain
// annotations, nothing else.
func (s *chgStep) pageChange(ref pdf.Ref, page int, old, nw pdf.Object) error {
	od, nd, ks, ok, err := s.keyDiff(ref, old, nw, rulePageNotDict, i18n.Sprintf("page %d", page))
	if !ok {
		return err
	}
	for _, k := range ks {
		switch k {
		case "Annots":
			if !s.newValue(ref, ruleAnnotsExist, od[k], nd[k], i18n.Sprintf("page %d /Annots now points at existing object %%d", page)) {
				continue
			}
			s.container(nd[k])
			oa, na, err := s.arrays(od[k], nd[k])
			if err != nil {
				return err
			}
			if err := s.annots(ref, page, oa, na); err != nil {
				return err
			}
		case "Contents":
			s.find(ref, rulePageContents, i18n.Sprintf("page %d /Contents replaced: the page shows other content", page))
		case "Resources":
			s.find(ref, rulePageResources, i18n.Sprintf("page %d /Resources changed (fonts, images or forms the page draws)", page))
		default:
			if err := s.pageKey(ref, i18n.Sprintf("page %d", page), k, nd[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// pageNodeChange judges an intermediate node of the page tree rewritten in
// place: only bookkeeping keys may change.
func (s *chgStep) pageNodeChange(ref pdf.Ref, old, nw pdf.Object) error {
	_, nd, ks, ok, err := s.keyDiff(ref, old, nw, rulePageNotDict, "a node of the page tree")
	if !ok {
		return err
	}
	for _, k := range ks {
		if k == "Kids" || k == "Count" {
			s.find(ref, rulePageTree, i18n.Sprintf("the page tree's /%s changed: pages added, removed or reordered", k))
			continue
		}
		if err := s.pageKey(ref, "a page tree node", k, nd[k]); err != nil {
			return err
		}
	}
	return nil
}

// pageKeys are the keys of page objects and page tree nodes (ISO
// 32000-1 Tables 29 and 30, 32000-2 Table 31) that change what a page shows
// or does; the others are bookkeeping.
var pageKeys = map[pdf.Name]bool{"Type": true, "Parent": true, "Kids": true, "Count": true, "Resources": true,
	"MediaBox": true, "CropBox": true, "BleedBox": true, "TrimBox": true, "ArtBox": true, "BoxColorInfo": true,
	"Contents": true, "Rotate": true, "Group": true, "Thumb": true, "B": true, "Dur": true, "Trans": true,
	"Annots": true, "AA": true, "PZ": true, "SeparationInfo": true, "TemplateInstantiated": true, "PresSteps": true,
	"UserUnit": true, "VP": true, "AF": true, "OutputIntents": true, "DPart": true}

// resourceKeys are the keys of a resource dictionary: never bookkeeping,
// in case the object also serves as one.
var resourceKeys = map[pdf.Name]bool{"ExtGState": true, "ColorSpace": true, "Pattern": true, "Shading": true,
	"XObject": true, "Font": true, "ProcSet": true, "Properties": true}

// pageKey judges a changed key of a page or page tree node other than
// /Annots, /Contents and /Resources.
func (s *chgStep) pageKey(ref pdf.Ref, where string, k pdf.Name, nv pdf.Object) error {
	switch {
	case k == "StructParents" || k == "Tabs":
		// A new field's place in the structure tree and the tab order.
		s.find(ref, rulePageField, i18n.Sprintf("%s /%s set", where, k))
	case pageKeys[k] || resourceKeys[k]:
		s.find(ref, rulePageDisplay, i18n.Sprintf("%s /%s changed", where, k))
		return nil
	default:
		// LastModified, PieceInfo, Metadata, ID and private keys: no
		// viewer draws them.
		s.find(ref, rulePageBookkeep, i18n.Sprintf("%s /%s (bookkeeping) changed", where, k))
	}
	return s.justifyFrom(nv)
}

// annotList judges a page's indirect /Annots array rewritten in place.
func (s *chgStep) annotList(ref pdf.Ref, page int, old, nw pdf.Object) error {
	oa, _ := old.(pdf.Array)
	na, ok := nw.(pdf.Array)
	if !ok {
		s.find(ref, ruleAnnotsNotArr, i18n.Sprintf("page %d /Annots is replaced by something that is not an array", page))
		return nil
	}
	return s.annots(ref, page, oa, na)
}

// annots compares a page's annotation lists.
func (s *chgStep) annots(ref pdf.Ref, page int, oa, na pdf.Array) error {
	key := func(o pdf.Object) string {
		if r, ok := o.(pdf.Ref); ok {
			return i18n.Sprintf("r%d", r.Num)
		}
		return "d" + string(pdf.Bytes(o))
	}
	inNew := map[string]bool{}
	for _, o := range na {
		inNew[key(o)] = true
	}
	inOld := map[string]bool{}
	for _, o := range oa {
		inOld[key(o)] = true
	}
	var kept []string
	for i, o := range oa {
		k := key(o)
		if inNew[k] {
			kept = append(kept, k)
			continue
		}
		r, _ := o.(pdf.Ref)
		if an := s.idx.annots[r.Num]; r.Num != 0 && an != nil && an.widget {
			s.find(ref, ruleWidgetRemoved, i18n.Sprintf("the widget of field %s is removed from page %d", quote(s.idx.ownerName(r.Num)), page))
			continue
		}
		d, _ := s.prev.Dict(o)
		st, _ := d.Name("Subtype")
		if st == "Widget" {
			s.find(ref, ruleWidgetRemoved, i18n.Sprintf("a widget annotation is removed from page %d", page))
			continue
		}
		what := i18n.Sprintf("annotation /%s deleted from page %d", st, page)
		aref := ref
		if r.Num != 0 {
			aref = r
			if err := s.uncovers(r, what); err != nil {
				return err
			}
		} else if d != nil {
			// A direct dictionary has no number: one rewritten in place
			// shows here as deleted, and the entry at its position as
			// added. It keeps covering only if that entry draws the same.
			var nd pdf.Dict
			if i < len(na) && !inOld[key(na[i])] {
				nd, _ = na[i].(pdf.Dict)
			}
			same, err := s.drawsSame(d, nd)
			if err != nil {
				return err
			}
			if !same {
				if err := s.uncoversDirect(ref, page, d, what); err != nil {
					return err
				}
			}
		}
		s.find(aref, ruleAnnotDeleted, what)
	}
	var order []string
	for _, o := range na {
		if k := key(o); inOld[k] {
			order = append(order, k)
		}
	}
	if !slices.Equal(kept, order) {
		s.find(ref, ruleAnnotReorder, i18n.Sprintf("annotations reordered on page %d (which one is drawn on top)", page))
	}
	for _, o := range na {
		if inOld[key(o)] {
			continue
		}
		r, isRef := o.(pdf.Ref)
		if isRef {
			if name, ok := s.newWidgets[r.Num]; ok {
				s.find(r, ruleWidgetOfNew, i18n.Sprintf("the widget of new signature field %s is placed on page %d", quote(name), page))
				continue
			}
		}
		d, err := s.cur.Dict(o)
		if err != nil {
			return err
		}
		if d == nil {
			s.find(ref, ruleAnnotNotAnnot, i18n.Sprintf("page %d /Annots gains an entry that is not an annotation", page))
			continue
		}
		st, _ := d.Name("Subtype")
		if st == "Widget" {
			if f := s.idx.fields[r.Num]; isRef && f != nil && f.widget {
				id := ruleWidgetPlaced
				what := i18n.Sprintf("the widget of field %s is placed on page %d", quote(f.name), page)
				if s.a.locked(f.name) || f.signed || (s.a.opt.SignedField != "" && f.name == s.a.opt.SignedField) {
					if _, changed := s.changed[r.Num]; !changed {
						id = ruleWidgetFrozen
					}
				}
				if id == ruleWidgetPlaced {
					// Placing a widget is filling in the form only with
					// its field (widgetShown).
					if shown, err := s.widgetShown(r, f.name, what); err != nil {
						return err
					} else if shown {
						continue
					}
				}
				s.find(r, id, what)
				continue
			}
			s.find(ref, ruleWidgetOrphan, i18n.Sprintf("a widget annotation that belongs to no new signature field is added to page %d", page))
			continue
		}
		what := i18n.Sprintf("new annotation /%s on page %d", st, page)
		aref := ref
		if isRef {
			aref = r
			if !s.newObjs[r.Num] {
				what = i18n.Sprintf("existing object %d added to page %d as an annotation /%s", r.Num, page, st)
			}
		}
		if visibleAnnot(s.cur, d) {
			s.a.warn("revision %d adds a /%s annotation on page %d that can cover the signed content", s.i, st, page)
		}
		s.find(aref, ruleAnnotAdded, what)
		if isRef {
			if err := s.justify(r); err != nil {
				return err
			}
		} else if err := s.justifyFrom(d); err != nil {
			return err
		}
	}
	return nil
}

// drawKeys are the annotation keys that decide where and how it is drawn.
var drawKeys = map[pdf.Name]bool{"Rect": true, "AP": true, "AS": true, "F": true, "CA": true, "ca": true, "C": true, "IC": true,
	"BM": true, "OC": true, "Border": true, "BS": true, "BE": true, "RD": true, "QuadPoints": true, "Vertices": true, "InkList": true,
	"L": true, "Path": true, "MK": true, "Subtype": true}

// generatedKeys are the keys viewers also draw from when an annotation has
// no appearance stream of its own (generatedAnnots): its text, text
// style, icon and line endings.
var generatedKeys = map[pdf.Name]bool{"Contents": true, "DA": true, "DS": true, "RC": true, "Q": true, "Name": true,
	"LE": true, "IT": true, "CL": true, "LL": true, "LLE": true, "LLO": true, "Cap": true, "CO": true, "Sy": true,
	"OverlayText": true, "Repeat": true}

// drawKey says whether a changed key k of an annotation (d as it was)
// changes what it draws.
func drawKey(r *pdf.Reader, d pdf.Dict, k pdf.Name) bool {
	if drawKeys[k] {
		return true
	}
	if !generatedKeys[k] {
		return false
	}
	ap, _ := r.Dict(d["AP"])
	n, _ := r.Resolve(ap["N"])
	_, isStream := n.(*pdf.Stream)
	return !isStream
}

// drawSig is what decides how an annotation dictionary draws, as bytes:
// its values for the keys that do (drawKey). Two dictionaries written
// directly in /Annots with the same signature are the same annotation as
// far as the page shows.
func drawSig(r *pdf.Reader, d pdf.Dict) string {
	sub := pdf.Dict{}
	for k, v := range d {
		if drawKey(r, d, k) {
			sub[k] = v
		}
	}
	return string(pdf.Bytes(sub))
}

// drawsSame says whether two annotation dictionaries written directly in
// /Annots draw the same: the same values for every key that decides what
// and where they draw. nd nil draws nothing.
func (s *chgStep) drawsSame(od, nd pdf.Dict) (bool, error) {
	if nd == nil {
		return false, nil
	}
	for _, k := range keys(od, nd) {
		if !drawKey(s.prev, od, k) && !drawKey(s.cur, nd, k) {
			continue
		}
		same, err := s.equal(od[k], nd[k])
		if err != nil || !same {
			return false, err
		}
	}
	return true, nil
}

// annotChange judges an existing annotation (not a widget of a field)
// rewritten in place.
func (s *chgStep) annotChange(ref pdf.Ref, an *chgAnnot, old, nw pdf.Object) error {
	nd, ok := asDict(nw)
	if !ok {
		s.find(ref, ruleAnnotNotDict, i18n.Sprintf("annotation /%s on page %d is replaced by something that is not a dictionary", an.subtype, an.page))
		return nil
	}
	if an.widget {
		s.find(ref, ruleAnnotWidget, i18n.Sprintf("widget annotation on page %d, which belongs to no form field, is changed", an.page))
		return nil
	}
	if st, _ := nd.Name("Subtype"); st == "Widget" || st != an.subtype {
		s.find(ref, ruleAnnotSubtype, i18n.Sprintf("annotation /%s on page %d turned into /%s", an.subtype, an.page, st))
		return nil
	}
	od, _ := asDict(old)
	where := i18n.Sprintf("annotation /%s on page %d", an.subtype, an.page)
	s.refsToOld(ref, where, od, nd)
	ks, err := s.changedKeys(od, nd)
	if err != nil {
		return err
	}
	for _, k := range ks {
		if resourceKeys[k] {
			s.find(ref, ruleAnnotRes, i18n.Sprintf("%s gains resources (/%s), which annotations never hold", where, k))
			return nil
		}
	}
	for _, k := range ks {
		if !drawKey(s.prev, od, k) {
			continue
		}
		if k == "F" && !hides(annotFlags(s.prev, od), annotFlags(s.cur, nd)) {
			continue // flags changed, still shown wherever it was
		}
		if err := s.uncovers(ref, i18n.Sprintf("%s: /%s changed", where, k)); err != nil {
			return err
		}
		break
	}
	s.find(ref, ruleAnnotChanged, where+" modified")
	return s.justifyFrom(nd)
}

// uncovers reports a shadow hide: an annotation that the signed revision
// showed over the page, of a kind that covers what lies under it, is
// removed or drawn differently, so signed content the signer could not see
// may now show. That is refused whatever the permissions.
//
// Whatever the type, an annotation that draws something (an appearance
// with content, or what viewers generate for its type) with flags and a
// rectangle that let it show, on screen or on paper, covers what lies
// under it: a /Highlight or /Link can carry an opaque appearance as well
// as a /Square.
func (s *chgStep) uncovers(ref pdf.Ref, what string) error {
	return s.uncoversAt(ref, ref, what)
}

// uncoversAt is uncovers for annotation owner, the finding naming object
// ref (an appearance stream of it, say).
func (s *chgStep) uncoversAt(owner, ref pdf.Ref, what string) error {
	signed, err := s.a.index(s.a.sigRev)
	if err != nil {
		return err
	}
	an := signed.annots[owner.Num]
	if an == nil || an.widget {
		return nil
	}
	d, err := s.a.r.At(s.a.sigRev).Dict(owner)
	if err != nil || d == nil || !visibleAnnot(s.a.r.At(s.a.sigRev), d) {
		return err
	}
	s.find(ref, ruleUncovers, what+i18n.Sprintf(": the /%s annotation covered part of the signed page, so signed content hidden under it may now show (shadow attack)", an.subtype))
	return nil
}

// uncoversDirect is uncovers for an annotation dictionary written
// directly in page's /Annots (od, as the previous revision had it): the
// signed revision's page had the same dictionary, and it showed.
func (s *chgStep) uncoversDirect(ref pdf.Ref, page int, od pdf.Dict, what string) error {
	signed, err := s.a.index(s.a.sigRev)
	if err != nil {
		return err
	}
	d := signed.direct[page][drawSig(s.prev, od)]
	if d == nil {
		return nil
	}
	st, _ := d.Name("Subtype")
	if st == "Widget" || !visibleAnnot(s.a.r.At(s.a.sigRev), d) {
		return nil
	}
	s.find(ref, ruleUncovers, what+i18n.Sprintf(": the /%s annotation covered part of the signed page, so signed content hidden under it may now show (shadow attack)", st))
	return nil
}

// refsToOld refuses references in nd to existing objects od did not have.
func (s *chgStep) refsToOld(ref pdf.Ref, what string, od, nd pdf.Dict) {
	oldRefs := map[pdf.Ref]bool{}
	eachRef(od, 0, func(r pdf.Ref) { oldRefs[r] = true })
	bad := ""
	eachRef(nd, 0, func(r pdf.Ref) {
		if bad != "" || oldRefs[r] || s.newObjs[r.Num] {
			return
		}
		if s.idx.pages[r.Num] != 0 || s.idx.annots[r.Num] != nil {
			return // /P, /Popup, /Parent, /IRT links to pages and annotations
		}
		bad = i18n.Sprintf("%s now refers to existing object %d%s", what, r.Num, s.usedBy(r.Num))
	})
	if bad != "" {
		s.find(ref, ruleAnnotRefs, bad)
	}
}
