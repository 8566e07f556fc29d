package diff

import (
	"github.com/kyso-project/kyso/internal/i18n"

	"github.com/kyso-project/kyso/internal/pdf"
)

// dssValue judges the catalog's /DSS changing to a new or edited value.
func (s *chgStep) dssValue(ref pdf.Ref, what string, old, nw pdf.Object) error {
	if !s.newValue(ref, ruleDSSExisting, old, nw, "catalog /DSS now points at existing object %d") {
		return nil
	}
	if nw == nil {
		s.find(ref, ruleDSSRemoved, "DSS removed")
		return nil
	}
	d, err := s.cur.Dict(nw)
	if err != nil {
		return err
	}
	if bad := dssForeignKey(d); bad != "" {
		s.find(ref, ruleDSSKey, i18n.Sprintf("the DSS holds /%s, which validation data never does", bad))
		return nil
	}
	s.find(ref, ruleDSSAdded, what)
	return s.justifyFrom(nw)
}

func dssForeignKey(d pdf.Dict) string {
	for _, k := range d.Keys() {
		switch k {
		case "Type", "VRI", "Certs", "CRLs", "OCSPs", "TS":
		default:
			return string(k)
		}
	}
	return ""
}

// dssPart judges a part of the signed revision's DSS rewritten in place.
func (s *chgStep) dssPart(ref pdf.Ref, role string, old, nw pdf.Object) error {
	switch role {
	case "DSS":
		d, ok := asDict(nw)
		if !ok {
			s.find(ref, ruleDSSNotDict, "the DSS is replaced by something that is not a dictionary")
			return nil
		}
		if bad := dssForeignKey(d); bad != "" {
			s.find(ref, ruleDSSKey, i18n.Sprintf("the DSS gains /%s, which validation data never holds", bad))
			return nil
		}
	case "stream":
		s.find(ref, ruleDSSStream, "validation data of the DSS is rewritten in place (it is only ever added)")
		return nil
	}
	s.find(ref, ruleDSSAdded, "DSS updated")
	return s.justifyFrom(nw)
}

// extends reports whether nw only adds to old: old absent, or both
// dictionaries (followed one level down, as /DR's /Font is) with every old
// entry unchanged.
func (s *chgStep) extends(old, nw pdf.Object) (bool, error) {
	if old == nil {
		return true, nil
	}
	od, err := s.prev.Dict(old)
	if err != nil || od == nil {
		return false, err
	}
	nd, err := s.cur.Dict(nw)
	if err != nil || nd == nil {
		return false, err
	}
	for k, v := range od {
		same, err := s.equal(v, nd[k])
		if err != nil {
			return false, err
		}
		if same {
			continue
		}
		ov, err := s.prev.Dict(v)
		if err != nil || ov == nil {
			return false, err
		}
		nv, err := s.cur.Dict(nd[k])
		if err != nil || nv == nil {
			return false, err
		}
		for kk, vv := range ov {
			if same, err := s.equal(vv, nv[kk]); err != nil || !same {
				return false, err
			}
		}
	}
	return true, nil
}

// structChange judges a part of the structure tree rewritten in place, as
// tools do when they add a field to a tagged document: the tree may gain
// entries, but what an element says (/Alt, /ActualText, /S ...) may not
// change.
func (s *chgStep) structChange(ref pdf.Ref, role string, old, nw pdf.Object) error {
	od, oIsDict := asDict(old)
	nd, nIsDict := asDict(nw)
	if oIsDict != nIsDict {
		s.find(ref, ruleStructKind, "a part of the structure tree (tags) changes kind")
		return nil
	}
	if oIsDict {
		ks, err := s.changedKeys(od, nd)
		if err != nil {
			return err
		}
		for _, k := range ks {
			switch {
			case k == "K", role == "tree", role == "root" && (k == "ParentTree" || k == "ParentTreeNextKey" || k == "IDTree"):
			default:
				s.find(ref, ruleStructEntry, i18n.Sprintf("the structure tree (tags) entry /%s changed", k))
				return nil
			}
		}
	}
	s.find(ref, ruleStructUpdated, "document structure (tags) updated")
	return s.justifyFrom(nw)
}
