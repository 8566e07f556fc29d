package diff

import (
	"github.com/kyso-project/kyso/internal/i18n"
	"strings"

	"github.com/kyso-project/kyso/internal/pdf"
)

// catalog judges a changed document catalog key by key.
func (s *chgStep) catalog(p chgPair) error {
	ref := pdf.Ref{Num: s.idx.root}
	od, nd, ks, ok, err := s.keyDiff(ref, p.old, p.new, ruleCatalogNotDict, "the document catalog")
	if !ok {
		return err
	}
	for _, k := range ks {
		switch k {
		case "AcroForm":
			if err := s.acroFormValue(od[k], nd[k]); err != nil {
				return err
			}
		case "DSS":
			what := "DSS updated"
			if od[k] == nil {
				what = "DSS added"
			}
			if err := s.dssValue(ref, what, od[k], nd[k]); err != nil {
				return err
			}
		case "Metadata", "Extensions", "MarkInfo", "Version":
			s.find(ref, ruleCatalogArchival, i18n.Sprintf("catalog /%s changed", k))
			if err := s.justifyFrom(nd[k]); err != nil {
				return err
			}
		case "StructTreeRoot":
			s.find(ref, ruleCatalogStruct, "document structure (tags) updated")
			if err := s.justifyFrom(nd[k]); err != nil {
				return err
			}
		case "Perms":
			s.find(ref, ruleCatalogPerms, "catalog /Perms changed (the certification and usage-rights signatures)")
		case "Pages":
			s.find(ref, ruleCatalogPages, "catalog /Pages changed: the document shows another page tree")
		default:
			s.find(ref, ruleCatalogKey, i18n.Sprintf("catalog /%s changed", k))
		}
	}
	return nil
}

// acroFormValue judges the catalog's /AcroForm value changing (a new
// dictionary, a direct one edited, or another indirect one).
func (s *chgStep) acroFormValue(old, nw pdf.Object) error {
	if !s.newValue(pdf.Ref{Num: s.idx.root}, ruleFormExisting, old, nw, "catalog /AcroForm now points at existing object %d") {
		return nil
	}
	s.container(nw)
	od, nd, err := s.dicts(old, nw)
	if err != nil {
		return err
	}
	return s.as(RoleForm, func() error { return s.acroForm(pdf.Ref{Num: s.idx.root}, od, nd) })
}

// acroForm judges the interactive form dictionary.
func (s *chgStep) acroForm(ref pdf.Ref, old, nw pdf.Object) error {
	od, nd, ks, ok, err := s.keyDiff(ref, old, nw, ruleFormNotDict, "the interactive form (/AcroForm)")
	if !ok {
		return err
	}
	var defaults []pdf.Name
	for _, k := range ks {
		switch k {
		case "Fields":
			if !s.newValue(ref, ruleFormExisting, od[k], nd[k], "/AcroForm /Fields now points at existing object %d") {
				continue
			}
			s.container(nd[k])
			if err := s.as(RoleFieldList, func() error { return s.fieldList(ref, od[k], nd[k]) }); err != nil {
				return err
			}
		case "SigFlags":
			s.find(ref, ruleSigFlags, "form /SigFlags set")
		case "DR", "DA", "Q", "NeedAppearances":
			// Judged by the fields they redraw (formDefaults).
			defaults = append(defaults, k)
		default:
			s.find(ref, ruleFormKey, i18n.Sprintf("/AcroForm /%s changed", k))
		}
	}
	if len(defaults) > 0 {
		return s.formDefaults(ref, od, nd, defaults)
	}
	return nil
}

// fieldList judges a change of the form's top-level field list: nothing may
// go, and only new signature fields may come.
func (s *chgStep) fieldList(ref pdf.Ref, old, nw pdf.Object) error {
	oa, na, err := s.arrays(old, nw)
	if err != nil {
		return err
	}
	return s.kidsChange(ref, "the form's field list", "", oa, na)
}

// kidsChange compares field lists (/Fields or a field's /Kids).
func (s *chgStep) kidsChange(ref pdf.Ref, where, parent string, oa, na pdf.Array) error {
	have := map[pdf.Ref]bool{}
	for _, o := range na {
		if r, ok := o.(pdf.Ref); ok {
			have[r] = true
		}
	}
	for _, o := range oa {
		r, ok := o.(pdf.Ref)
		if !ok {
			continue
		}
		if !have[r] {
			s.find(ref, ruleFieldRemoved, i18n.Sprintf("field %s removed from %s", quote(s.idx.fieldName(r.Num)), where))
		}
		delete(have, r)
	}
	for _, o := range na {
		r, ok := o.(pdf.Ref)
		if !ok {
			s.find(ref, ruleFieldNotRef, i18n.Sprintf("%s gains an entry that is not a reference", where))
			continue
		}
		if !have[r] {
			continue
		}
		delete(have, r)
		if !s.newObjs[r.Num] {
			s.find(r, ruleFieldExisting, i18n.Sprintf("an existing object is added to %s", where))
			continue
		}
		if err := s.newField(r, parent); err != nil {
			return err
		}
	}
	return nil
}

// newField judges a field that a later revision creates: only signature
// fields may be added. An invisible document timestamp is archival; a
// visible signature after a certification signature can draw over the
// certified content (sneaky signature attack) and is other.
func (s *chgStep) newField(ref pdf.Ref, parent string) error {
	d, err := s.cur.Dict(ref)
	if err != nil {
		return err
	}
	if d == nil {
		s.find(ref, ruleNewNotDict, "a field that is not a dictionary is added to the form")
		return nil
	}
	name := parent
	if t, ok := d["T"].(pdf.String); ok {
		if name != "" {
			name += "."
		}
		name += pdf.TextString(t.Bytes)
	}
	if ft, _ := d.Name("FT"); ft != "Sig" {
		s.find(ref, ruleNewNotSig, i18n.Sprintf("new form field %s of type /%s added (only signature fields may be added after signing)", quote(name), ft))
		return nil
	}
	var widgets []pdf.Ref
	if _, ok := d["Kids"]; ok {
		kids, err := s.cur.Array(d["Kids"])
		if err != nil {
			return err
		}
		for _, k := range kids {
			kr, ok := k.(pdf.Ref)
			if !ok || !s.newObjs[kr.Num] {
				s.find(ref, ruleNewOldWidget, i18n.Sprintf("new signature field %s has a widget that is not a new object", quote(name)))
				continue
			}
			widgets = append(widgets, kr)
		}
	} else if st, _ := d.Name("Subtype"); st == "Widget" {
		widgets = append(widgets, ref)
	}
	visible, covers, page := false, false, 0
	for _, w := range widgets {
		wd, err := s.cur.Dict(w)
		if err != nil {
			return err
		}
		if visibleAnnot(s.cur, wd) {
			visible = true
			page = s.idx.pageOf(wd["P"])
			covers = covers || drawsOnPage(s.cur, wd)
		}
		s.newWidgets[w.Num] = name
	}
	v, hasV := d["V"]
	if vr, ok := v.(pdf.Ref); ok && !s.newObjs[vr.Num] {
		s.find(ref, ruleNewOldValue, i18n.Sprintf("new signature field %s reuses existing object %d as its signature", quote(name), vr.Num))
		return nil
	}
	sd, _ := s.cur.Dict(v)
	id, what := ruleNewSignature, ""
	switch {
	case !hasV || v == nil:
		what = i18n.Sprintf("empty signature field %s added", quote(name))
		// Nothing signed draws it, yet its appearance is drawn over the
		// page like an annotation's: judge it as one.
		if covers {
			id = ruleNewEmptyCovering
		}
	case isDocTS(sd):
		what = i18n.Sprintf("document timestamp %s added", quote(name))
		if !visible {
			id = ruleNewDocTS
		}
	default:
		what = i18n.Sprintf("signature %s added", quote(name))
	}
	if visible {
		what = i18n.Sprintf("%s, visible on page %d", what, page)
		if id == ruleNewEmptyCovering {
			what = i18n.Sprintf("%s with an appearance that can cover the signed content", what)
			s.a.warn("revision %d adds an empty signature field %s on page %d whose appearance can cover the signed content", s.i, quote(name), page)
		}
		if s.a.opt.DocMDP != 0 {
			id = ruleNewVisible
			what = "after the certification signature, a " + what + ": its appearance can draw over the certified content"
		}
	}
	s.find(ref, id, what)
	return s.justify(ref)
}

// FormFillKeys are the keys of a field dictionary (ISO 32000-2 12.7.4,
// Tables 226 and 228) and of its widget annotation (12.5.2 Table 166,
// 12.5.6.19) that filling in a form, or signing a signature field (12.8),
// may change: the value, the appearance and its state, the variable-text
// defaults, and the flags. Every other key of a field or widget is judged
// by its own rule (field.kids, field.type, field.key-not-fillable).
var FormFillKeys = map[pdf.Name]string{
	"V":  "the field's value (12.7.4.1)",
	"RV": "the rich-text value (12.7.4.3)",
	"AP": "the widget's appearance (12.5.5)",
	"AS": "the widget's appearance state (12.5.5)",
	"DA": "the default appearance of variable text (12.7.4.3)",
	"DS": "the default style of rich text (12.7.4.3)",
	"Q":  "the quadding of variable text (12.7.4.3)",
	"Ff": "the field flags (12.7.4.1), such as read-only after signing",
	"F":  "the annotation flags (12.5.3), such as hidden or locked",
}

// fieldChange judges an existing field (or a widget merged with it) whose
// dictionary a later revision rewrites.
func (s *chgStep) fieldChange(ref pdf.Ref, f *chgField, old, nw pdf.Object) error {
	name := quote(f.name)
	od, nd, ks, ok, err := s.keyDiff(ref, old, nw, ruleFieldNotDict, "field "+name)
	if !ok || len(ks) == 0 {
		return err
	}
	var keys []string
	refused := false
	for _, k := range ks {
		keys = append(keys, "/"+string(k))
		if _, fill := FormFillKeys[k]; fill {
			continue
		}
		refused = true
		switch k {
		case "Type":
			if t, _ := nd.Name("Type"); od[k] != nil || t != "Annot" {
				s.find(ref, ruleFieldType, i18n.Sprintf("field %s: /Type changed, which filling in a form never changes", name))
			} else {
				refused = false
			}
		case "Kids":
			s.find(ref, ruleFieldKids, i18n.Sprintf("field %s: /Kids changed, which filling in a form never changes", name))
		default:
			s.find(ref, ruleFieldKey, i18n.Sprintf("field %s: /%s changed, which filling in a form never changes", name, k))
		}
	}
	if refused {
		return nil
	}
	signed := f.signed || (s.a.opt.SignedField != "" && f.name == s.a.opt.SignedField)
	onlyFlags := true
	for _, k := range ks {
		if k != "Ff" && k != "Type" {
			onlyFlags = false
		}
	}
	if signed && !onlyFlags {
		s.find(ref, ruleFieldSigned, i18n.Sprintf("signature field %s, already signed, is changed (%s)", name, strings.Join(keys, ", ")))
		return nil
	}
	if s.a.locked(f.name) && !onlyFlags {
		s.find(ref, ruleFieldLocked, i18n.Sprintf("field %s is locked by a FieldMDP signature, but %s changed", name, strings.Join(keys, ", ")))
		return nil
	}
	if frozen, err := s.frozenHeir(ref, f, od, ks); err != nil || frozen {
		return err
	}
	if f.widget && (hiddenCleared(annotFlags(s.prev, od), annotFlags(s.cur, nd)) || (!widgetDrawn(s.prev, od) && widgetDrawn(s.cur, nd))) {
		// Unhiding a widget is filling in the form only with its field.
		if shown, err := s.widgetShown(ref, f.name, i18n.Sprintf("the widget of field %s is made visible", name)); err != nil || shown {
			return err
		}
		s.a.warn("revision %d makes the hidden widget of field %s visible", s.i, name)
	}
	if f.ft == "Sig" && !signed && od["V"] == nil && nd["V"] != nil {
		// An empty signature field being signed.
		if vr, isRef := nd["V"].(pdf.Ref); isRef && !s.newObjs[vr.Num] {
			s.find(ref, ruleSignExisting, i18n.Sprintf("signature field %s is given existing object %d as its signature", name, vr.Num))
			return nil
		}
		sd, _ := s.cur.Dict(nd["V"])
		id, what := ruleFieldSigned2, i18n.Sprintf("field %s signed", name)
		if isDocTS(sd) {
			what = i18n.Sprintf("document timestamp in field %s", name)
			if !visibleAnnot(s.cur, nd) {
				id = ruleFieldDocTS
			}
		}
		if err := s.apValue(ref, name, od["AP"], nd["AP"]); err != nil {
			return err
		}
		s.find(ref, id, what)
		return s.justifyFrom(nd["V"])
	}
	if err := s.apValue(ref, name, od["AP"], nd["AP"]); err != nil {
		return err
	}
	for _, k := range []pdf.Name{"V", "RV", "DA", "DS"} {
		if vr, ok := nd[k].(pdf.Ref); ok && !s.newObjs[vr.Num] && !sameDirect(od[k], nd[k]) {
			s.find(ref, ruleValueExisting, i18n.Sprintf("field %s /%s now points at existing object %d", name, k, vr.Num))
			return nil
		}
		if err := s.justifyFrom(nd[k]); err != nil {
			return err
		}
	}
	s.find(ref, ruleFieldFill, i18n.Sprintf("field %s filled in (%s)", name, strings.Join(keys, ", ")))
	return nil
}

// apValue judges a changed /AP: its appearances must be new streams (or
// the old ones, unchanged); pointing an appearance at an existing object
// would show signed content, possibly hidden, somewhere else.
func (s *chgStep) apValue(ref pdf.Ref, name string, old, nw pdf.Object) error {
	same, err := s.equal(old, nw)
	if err != nil || same {
		return err
	}
	if nr, ok := nw.(pdf.Ref); ok {
		if or, _ := old.(pdf.Ref); or == nr {
			return nil // the dictionary object itself changed: judged on its own
		}
		if !s.newObjs[nr.Num] {
			s.find(ref, ruleAPExisting, i18n.Sprintf("the appearance (/AP) of %s now points at existing object %d", name, nr.Num))
			return nil
		}
	}
	od, nd, err := s.dicts(old, nw)
	if err != nil {
		return err
	}
	s.apEntries(ref, name, od, nd)
	return s.justifyFrom(nw)
}

// apEntries checks the /N /R /D entries of an appearance dictionary.
func (s *chgStep) apEntries(ref pdf.Ref, name string, od, nd pdf.Dict) {
	oldRefs := map[pdf.Ref]bool{}
	eachRef(od, 0, func(r pdf.Ref) { oldRefs[r] = true })
	bad := ""
	eachRef(nd, 0, func(r pdf.Ref) {
		if !s.newObjs[r.Num] && !oldRefs[r] && bad == "" {
			bad = i18n.Sprintf("the appearance (/AP) of %s now uses existing object %d%s", name, r.Num, s.usedBy(r.Num))
		}
	})
	if bad != "" {
		s.find(ref, ruleAPExisting, bad)
	}
}

// apInPlace judges an appearance stream or appearance dictionary of the
// signed revision rewritten in place. That is form filling (or an
// annotation change) only if nothing else in the document used the object,
// else the rewrite also changes that other use (shadow replace).
func (s *chgStep) apInPlace(ref pdf.Ref, ap *chgAP, p chgPair) error {
	owner := s.idx.ownerName(ap.owner)
	id := ruleAPField
	if a := s.idx.annots[ap.owner]; a != nil && !a.widget {
		id = ruleAPAnnot
	}
	if f := s.idx.fields[ap.owner]; f != nil {
		if f.signed || (s.a.opt.SignedField != "" && f.name == s.a.opt.SignedField) {
			s.find(ref, ruleFieldSigned, i18n.Sprintf("the appearance of signature field %s, already signed, is rewritten", quote(f.name)))
			return nil
		}
		if s.a.locked(f.name) {
			s.find(ref, ruleFieldLocked, i18n.Sprintf("the appearance of field %s, locked by a FieldMDP signature, is rewritten", quote(f.name)))
			return nil
		}
	}
	if a := s.idx.annots[ap.owner]; a != nil && !a.widget {
		// What a covering annotation draws changes: rewriting its
		// appearance in place uncovers as much as pointing /AP elsewhere.
		if err := s.uncoversAt(pdf.Ref{Num: ap.owner}, ref, i18n.Sprintf("the appearance of %s is rewritten in place", owner)); err != nil {
			return err
		}
	}
	var onPath func(q uint32, depth int) bool
	onPath = func(q uint32, depth int) bool {
		if q == ap.owner {
			return true
		}
		if a := s.idx.ap[q]; a == nil || a.owner != ap.owner || depth > 3 {
			return false
		}
		ok, _ := s.confined(q, func(p uint32) bool { return onPath(p, depth+1) })
		return ok
	}
	if hidden, err := s.hiddenUse(ref, i18n.Sprintf("the appearance of %s is rewritten in place", owner)); err != nil || hidden {
		return err
	}
	only, err := s.confined(ref.Num, func(q uint32) bool { return onPath(q, 0) })
	if err != nil {
		return err
	}
	if !only {
		s.find(ref, ruleAPShared, i18n.Sprintf("the appearance of %s is rewritten in place, but the signed document also uses it elsewhere%s", owner, s.usedBy(ref.Num)))
		return nil
	}
	if _, isStream := p.new.(*pdf.Stream); !isStream {
		od, _ := asDict(p.old)
		nd, ok := asDict(p.new)
		if !ok {
			s.find(ref, ruleAPNotDraw, i18n.Sprintf("the appearance of %s is replaced by something that is neither a stream nor a dictionary", owner))
			return nil
		}
		s.apEntries(ref, owner, od, nd)
	}
	s.find(ref, id, i18n.Sprintf("the appearance of %s rewritten", owner))
	return s.justifyFrom(p.new)
}

// drawsOnPage says whether a visible widget draws something of its own:
// a normal appearance stream (or state) with content, or a background or
// border colour a viewer would paint.
func drawsOnPage(r *pdf.Reader, d pdf.Dict) bool {
	if mk, _ := r.Dict(d["MK"]); mk != nil {
		for _, k := range []pdf.Name{"BG", "BC"} {
			if a, _ := r.Array(mk[k]); len(a) > 0 {
				return true
			}
		}
	}
	ap, _ := r.Dict(d["AP"])
	if ap == nil {
		return false
	}
	nonEmpty := func(o pdf.Object) bool {
		o, _ = r.Resolve(o)
		st, ok := o.(*pdf.Stream)
		return ok && (st.Length > 0 || len(st.Data) > 0)
	}
	n, _ := r.Resolve(ap["N"])
	if nonEmpty(n) {
		return true
	}
	if states, ok := n.(pdf.Dict); ok {
		for _, v := range states {
			if nonEmpty(v) {
				return true
			}
		}
	}
	return false
}
