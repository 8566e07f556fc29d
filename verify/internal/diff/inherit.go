package diff

import (
	"slices"
	"strings"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/pdf"
)

// What a field looks like does not depend on its own dictionary alone. A
// field takes the attributes it lacks from its ancestors (ISO 32000-2
// 12.7.4.1 Table 226, 12.7.4.3 Table 228), and a viewer that builds a
// widget's appearance (the widget has none, or /NeedAppearances is true)
// builds it from the value and the variable-text defaults, the form's
// /DA, /DR and /Q included (12.7.4.3). The judges below follow a change
// to the fields it reaches.

// inheritable are the field attributes a field without its own takes from
// its parent: /FT, /Ff, /V, /DV (Table 226), /DA, /Q (Table 228) and
// /MaxLen (Table 229).
var inheritable = []pdf.Name{"FT", "Ff", "V", "DV", "DA", "Q", "MaxLen"}

// formDefaultKeys are the keys of the interactive form a viewer uses when
// it builds a field's appearance.
var formDefaultKeys = []pdf.Name{"DA", "DR", "Q", "NeedAppearances"}

// redraw is what a change of one form default reaches: the fields whose
// appearance a viewer would build from it, and those of them that may not
// change (locked by FieldMDP, or signed).
type redraw struct {
	fields []string
	frozen []string
	signed bool // frozen[0] is a signed signature field
}

// formDefaults judges changed /AcroForm /DA, /DR, /Q and /NeedAppearances
// by what they do. A default that a viewer uses to draw some field changes
// what that field looks like: form filling (never allowed at P=1), and
// refused when the field is locked by FieldMDP or signed. A default added
// that no field is drawn from (every field that would inherit it has its
// own appearance and /NeedAppearances is not true; signing tools add /DA
// and /DR with a signature field) is archival. Any other change is form
// filling.
func (s *chgStep) formDefaults(ref pdf.Ref, od, nd pdf.Dict, ks []pdf.Name) error {
	reach, err := s.redrawnBy(od, nd)
	if err != nil {
		return err
	}
	for _, k := range ks {
		rd := reach[k]
		switch {
		case rd != nil && len(rd.frozen) > 0:
			if rd.signed {
				s.find(ref, ruleDefaultsFrozen, i18n.Sprintf("/AcroForm /%s changed, which changes how viewers draw signature field %s, already signed", k, quote(rd.frozen[0])))
			} else {
				s.find(ref, ruleDefaultsFrozen, i18n.Sprintf("/AcroForm /%s changed, which changes how viewers draw field %s, locked by a FieldMDP signature", k, quote(rd.frozen[0])))
			}
		case rd != nil:
			more := ""
			if n := len(rd.fields) - 1; n > 0 {
				more = i18n.Sprintf(" and %d more", n)
			}
			s.find(ref, ruleDefaultsChg, i18n.Sprintf("/AcroForm /%s changed, which changes how viewers draw field %s%s", k, quote(rd.fields[0]), more))
		default:
			added := false
			if k != "NeedAppearances" {
				if added, err = s.extends(od[k], nd[k]); err != nil {
					return err
				}
			}
			if added {
				s.find(ref, ruleDefaultsAdd, i18n.Sprintf("form defaults (/AcroForm /%s) added", k))
			} else {
				s.find(ref, ruleDefaultsChg, i18n.Sprintf("form defaults (/AcroForm /%s) changed", k))
			}
		}
		if err := s.justifyFrom(nd[k]); err != nil {
			return err
		}
	}
	return nil
}

// redrawnBy lists, for each form default, the fields of the revision
// judged whose appearance a viewer builds from it (whatever changed):
//   - a widget that can show (a non-empty /Rect, neither hidden nor
//     NoView without Print) and has no normal appearance, or any such
//     widget when /NeedAppearances is true before or after (signature
//     fields aside: viewers do not redraw a signature's appearance), is
//     built from /DR, and from /DA and /Q unless it or a parent has its own;
//   - /NeedAppearances changing redraws every such widget that has an
//     appearance (signature fields aside).
func (s *chgStep) redrawnBy(od, nd pdf.Dict) (map[pdf.Name]*redraw, error) {
	needs := func(r *pdf.Reader, d pdf.Dict) bool {
		v, _ := r.Resolve(d["NeedAppearances"])
		b, _ := v.(pdf.Bool)
		return bool(b)
	}
	oldNA, newNA := needs(s.prev, od), needs(s.cur, nd)
	out := map[pdf.Name]*redraw{}
	note := func(k pdf.Name, name string, frozen, signed bool) {
		rd := out[k]
		if rd == nil {
			rd = &redraw{}
			out[k] = rd
		}
		if !slices.Contains(rd.fields, name) {
			rd.fields = append(rd.fields, name)
		}
		if frozen && len(rd.frozen) == 0 {
			rd.frozen, rd.signed = []string{name}, signed
		}
	}
	fields, err := s.cur.Array(nd["Fields"])
	if err != nil {
		return nil, err
	}
	budget := maxFieldTop
	err = s.cur.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		if budget--; budget < 0 {
			return false, ErrTooComplex
		}
		if !f.Widget() || !widgetDrawn(s.cur, f.Dict) {
			return true, nil
		}
		hasAP := selectedAppearance(s.cur, f.Dict)
		sig := f.FT == "Sig"
		built := !hasAP || ((oldNA || newNA) && !sig)
		signed := s.a.opt.SignedField != "" && f.Name == s.a.opt.SignedField
		if sig && !signed {
			v, _ := inherited(s.cur, f.Dict, "V")
			signed = v != nil
		}
		frozen := signed || s.a.locked(f.Name)
		if built {
			note("DR", f.Name, frozen, signed)
			for _, k := range []pdf.Name{"DA", "Q"} {
				if _, own := inherited(s.cur, f.Dict, k); !own {
					note(k, f.Name, frozen, signed)
				}
			}
		}
		if hasAP && !sig && oldNA != newNA {
			note("NeedAppearances", f.Name, frozen, signed)
		}
		return true, nil
	})
	return out, err
}

// inherited is the value of key k for the field node d: its own, or that
// of the nearest parent that has one (found says whether any has).
func inherited(r *pdf.Reader, d pdf.Dict, k pdf.Name) (v pdf.Object, found bool) {
	for depth := 0; d != nil && depth <= r.Limits().MaxNesting; depth++ {
		if v, ok := d[k]; ok {
			return v, true
		}
		p, err := r.Dict(d["Parent"])
		if err != nil {
			return nil, false
		}
		d = p
	}
	return nil, false
}

// selectedAppearance says whether a widget has the normal appearance a
// viewer draws: /AP /N a stream, or, when /N is a dictionary of states,
// the stream of the state /AS names. Without one (no /AS, or a state /N
// does not have), viewers build the appearance from the field's /DA and
// value, as for a widget with no /AP at all.
func selectedAppearance(r *pdf.Reader, d pdf.Dict) bool {
	ap, _ := r.Dict(d["AP"])
	n, _ := r.Resolve(ap["N"])
	switch t := n.(type) {
	case *pdf.Stream:
		return true
	case pdf.Dict:
		as, _ := r.Resolve(d["AS"])
		name, ok := as.(pdf.Name)
		if !ok {
			return false
		}
		st, _ := r.Resolve(t[name])
		_, ok = st.(*pdf.Stream)
		return ok
	}
	return false
}

// widgetDrawn says whether a widget annotation can show anything: a
// rectangle viewers may draw in (rectDrawn) and flags that show it on
// screen or on paper under some reading (flagReads).
func widgetDrawn(r *pdf.Reader, d pdf.Dict) bool {
	if screen, print := annotFlags(r, d).outputs(); !screen && !print {
		return false
	}
	return rectDrawn(r, d)
}

// frozenHeir refuses a change of inheritable attributes of a field that a
// descendant locked by FieldMDP (or a signed signature field) inherits: it
// changes that field as surely as a change of its own would. It reports
// whether it refused.
func (s *chgStep) frozenHeir(ref pdf.Ref, f *chgField, od pdf.Dict, ks []pdf.Name) (bool, error) {
	var changed []pdf.Name
	for _, k := range ks {
		if k != "Ff" && slices.Contains(inheritable, k) { // flags aside, as for the locked field itself
			changed = append(changed, k)
		}
	}
	kids, _ := s.prev.Array(od["Kids"])
	if len(changed) == 0 || len(kids) == 0 {
		return false, nil
	}
	budget := maxFieldTop
	seen := map[pdf.Ref]bool{ref: true}
	maxDepth := s.prev.Limits().MaxNesting
	var walk func(kids pdf.Array, prefix string, ft pdf.Name, keys []pdf.Name, depth int) (bool, error)
	walk = func(kids pdf.Array, prefix string, ft pdf.Name, keys []pdf.Name, depth int) (bool, error) {
		for _, k := range kids {
			if budget--; budget < 0 || depth > maxDepth {
				s.find(ref, ruleFieldLocked, i18n.Sprintf("field %s: %s changed, and its descendants are too many or too deep to check that no locked field inherits them", quote(f.name), nameList(changed)))
				return true, nil
			}
			kr, isRef := k.(pdf.Ref)
			if isRef {
				if seen[kr] {
					continue
				}
				seen[kr] = true
			}
			d, err := s.prev.Dict(k)
			if err != nil {
				return false, err
			}
			t, _ := s.prev.Resolve(d["T"])
			ts, named := t.(pdf.String)
			if d == nil || !named {
				continue // a widget of the field above, not a field
			}
			name := prefix + "." + ts.Text()
			if prefix == "" {
				name = ts.Text()
			}
			kft := ft
			if n, ok := d.Name("FT"); ok {
				kft = n
			}
			var inh []pdf.Name
			for _, key := range keys {
				if _, own := d[key]; !own {
					inh = append(inh, key)
				}
			}
			if len(inh) == 0 {
				continue
			}
			signed := name == s.a.opt.SignedField && s.a.opt.SignedField != ""
			if fl := s.idx.fields[kr.Num]; isRef && fl != nil && fl.signed {
				signed = true
			}
			if kft == "Sig" && slices.Contains(inh, "V") {
				signed = true // its signature is the value that changed
			}
			switch {
			case signed:
				s.find(ref, ruleFieldSigned, i18n.Sprintf("field %s: %s changed, which signature field %s, already signed, inherits", quote(f.name), nameList(inh), quote(name)))
				return true, nil
			case s.a.locked(name):
				s.find(ref, ruleFieldLocked, i18n.Sprintf("field %s: %s changed, which field %s, locked by a FieldMDP signature, inherits", quote(f.name), nameList(inh), quote(name)))
				return true, nil
			}
			sub, _ := s.prev.Array(d["Kids"])
			if done, err := walk(sub, name, kft, inh, depth+1); done || err != nil {
				return done, err
			}
		}
		return false, nil
	}
	return walk(kids, f.name, f.ft, changed, 1)
}

// nameList writes keys as "/V, /DA".
func nameList(ks []pdf.Name) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = "/" + string(k)
	}
	return strings.Join(parts, ", ")
}

// widgetShown judges a widget of an existing field that the revision makes
// drawn: placed on a page, or its Hidden (or NoView) flag cleared. That is
// filling in the form only when the same revision fills in its field: the
// value changes and the widget gets a new appearance (or has none, so that
// viewers build it from the value). Otherwise the widget draws an
// appearance prepared before signing, which the signer never saw, over the
// page: as a new annotation does (annotation, with a warning), and after a
// certification signature as a new visible signature does (other). It
// reports whether it recorded a finding; what says what happened.
func (s *chgStep) widgetShown(w pdf.Ref, name, what string) (bool, error) {
	wd, err := s.cur.Dict(w)
	if err != nil || wd == nil || !widgetDrawn(s.cur, wd) {
		return false, err
	}
	filled, err := s.filledIn(w, wd)
	if err != nil || filled {
		return false, err
	}
	if s.a.opt.DocMDP != 0 {
		s.find(w, ruleWidgetShownCert, i18n.Sprintf("after the certification signature, %s without its field being filled in: its appearance, which the signer never saw, can draw over the certified content", what))
		return true, nil
	}
	s.a.warn("revision %d shows the widget of field %s, whose value did not change: its appearance can cover the signed content", s.i, quote(name))
	s.find(w, ruleWidgetShown, i18n.Sprintf("%s without its field being filled in: its appearance, which the signer never saw, can cover the signed content", what))
	return true, nil
}

// filledIn says whether the revision fills in the field of widget w (wd as
// the revision has it): the field's value, its own or inherited, changes,
// and the widget's appearance is new (or absent).
func (s *chgStep) filledIn(w pdf.Ref, wd pdf.Dict) (bool, error) {
	owd, err := s.prev.Dict(w)
	if err != nil {
		return false, err
	}
	ov, _ := inherited(s.prev, owd, "V")
	nv, _ := inherited(s.cur, wd, "V")
	same, err := s.equal(ov, nv)
	if err != nil || same || nv == nil {
		return false, err
	}
	if wd["AP"] == nil {
		return true, nil
	}
	if same, err = s.equal(owd["AP"], wd["AP"]); err != nil || !same {
		return !same, err
	}
	// The same /AP: new only if its dictionary or streams are rewritten.
	for n, ap := range s.idx.ap {
		if _, changed := s.changed[n]; changed && ap.owner == w.Num {
			return true, nil
		}
	}
	return false, nil
}
