package diff

import "github.com/kyso-project/kyso/internal/pdf"

// keyDiff opens a changed dictionary: the keys whose values differ, or
// ok false after refusing (rule id) a new value that is not a dictionary.
func (s *chgStep) keyDiff(ref pdf.Ref, old, nw pdf.Object, id, what string) (od, nd pdf.Dict, ks []pdf.Name, ok bool, err error) {
	od, _ = asDict(old)
	if nd, ok = nw.(pdf.Dict); !ok {
		s.find(ref, id, what+" is replaced by something that is not a dictionary")
		return nil, nil, nil, false, nil
	}
	ks, err = s.changedKeys(od, nd)
	return od, nd, ks, err == nil, err
}

// changedKeys is the sorted union of two dictionaries' keys whose values
// differ: the one key-by-key diff every dictionary judge uses.
func (s *chgStep) changedKeys(od, nd pdf.Dict) ([]pdf.Name, error) {
	var out []pdf.Name
	for _, k := range keys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return nil, err
		}
		if !same {
			out = append(out, k)
		}
	}
	return out, nil
}

// dicts resolves a changed value as a dictionary in the signed revision
// (old) and in the revision judged (nw).
func (s *chgStep) dicts(old, nw pdf.Object) (od, nd pdf.Dict, err error) {
	if od, err = s.prev.Dict(old); err != nil {
		return nil, nil, err
	}
	nd, err = s.cur.Dict(nw)
	return od, nd, err
}

// arrays resolves a changed value as an array in the signed revision (old)
// and in the revision judged (nw).
func (s *chgStep) arrays(old, nw pdf.Object) (oa, na pdf.Array, err error) {
	if oa, err = s.prev.Array(old); err != nil {
		return nil, nil, err
	}
	na, err = s.cur.Array(nw)
	return oa, na, err
}
