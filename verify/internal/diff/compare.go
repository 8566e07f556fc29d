package diff

import (
	"bytes"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"sort"

	"github.com/kyso-project/kyso/internal/pdf"
)

// equal compares two objects structurally: dictionaries and arrays by their
// values, references by number and generation, streams by dictionary and raw bytes.
// New objects found identical to the old ones they replace are justified
// (an identical copy explains itself), but only when the whole comparison
// holds, so that the result does not depend on the order keys are visited.
func (s *chgStep) equal(x, y pdf.Object) (bool, error) {
	budget := maxCompare
	s.copies = s.copies[:0]
	eq, err := s.equalDepth(x, y, 0, &budget)
	if eq && err == nil {
		for _, n := range s.copies {
			s.justified[n] = true
		}
	}
	return eq, err
}

func (s *chgStep) equalDepth(x, y pdf.Object, depth int, budget *int) (bool, error) {
	*budget--
	if depth > 64 || *budget < 0 {
		return false, nil
	}
	switch a := x.(type) {
	case nil:
		return y == nil, nil
	case pdf.Int, pdf.Real:
		fa, _ := pdf.Number(a)
		fb, ok := pdf.Number(y)
		return ok && fa == fb, nil
	case pdf.Bool:
		b, ok := y.(pdf.Bool)
		return ok && a == b, nil
	case pdf.Name:
		b, ok := y.(pdf.Name)
		return ok && a == b, nil
	case pdf.String:
		b, ok := y.(pdf.String)
		return ok && bytes.Equal(a.Bytes, b.Bytes), nil
	case pdf.Ref:
		b, ok := y.(pdf.Ref)
		if !ok {
			return false, nil
		}
		if a.Num == b.Num {
			// The generation is part of the reference: "7 5 R" in place
			// of "7 0 R" names another object (one that viewers may find
			// by scanning the file, or none), not the same one.
			return a.Gen == b.Gen, nil
		}
		if !s.newObjs[b.Num] {
			return false, nil
		}
		// A new object may be a copy of the old one (writers that rewrite
		// resources under new numbers): compare what they hold.
		ao, err := s.prev.Get(a)
		if err != nil {
			return false, nil
		}
		bo, err := s.cur.Get(b)
		if err != nil {
			return false, nil
		}
		eq, err := s.equalDepth(ao, bo, depth+1, budget)
		if eq && err == nil {
			s.copies = append(s.copies, b.Num)
		}
		return eq, err
	case pdf.Array:
		b, ok := y.(pdf.Array)
		if !ok || len(a) != len(b) {
			return false, nil
		}
		for i := range a {
			if eq, err := s.equalDepth(a[i], b[i], depth+1, budget); err != nil || !eq {
				return eq, err
			}
		}
		return true, nil
	case pdf.Dict:
		b, ok := y.(pdf.Dict)
		if !ok || len(a) != len(b) {
			return false, nil
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok {
				return false, nil
			}
			if eq, err := s.equalDepth(v, w, depth+1, budget); err != nil || !eq {
				return eq, err
			}
		}
		return true, nil
	case *pdf.Stream:
		b, ok := y.(*pdf.Stream)
		if !ok || a.Length != b.Length || (a.Data == nil) != (b.Data == nil) {
			return false, nil
		}
		da, db := a.Dict.Clone(), b.Dict.Clone()
		delete(da, "Length")
		delete(db, "Length")
		if eq, err := s.equalDepth(da, db, depth+1, budget); err != nil || !eq {
			return eq, err
		}
		if a.Data == nil && a.Offset == b.Offset {
			return true, nil
		}
		return sameBytes(s.prev.RawStream(a), s.cur.RawStream(b))
	}
	return false, nil
}

// sameBytes compares two readers to the end.
func sameBytes(x, y io.Reader) (bool, error) {
	var bx, by [32 << 10]byte
	for {
		nx, ex := io.ReadFull(x, bx[:])
		ny, ey := io.ReadFull(y, by[:])
		if nx != ny || !bytes.Equal(bx[:nx], by[:ny]) {
			return false, nil
		}
		endX := ex == io.EOF || ex == io.ErrUnexpectedEOF
		endY := ey == io.EOF || ey == io.ErrUnexpectedEOF
		if endX || endY {
			return endX == endY, nil
		}
		if ex != nil {
			return false, ex
		}
		if ey != nil {
			return false, ey
		}
	}
}

// sameDirect compares two values without resolving anything.
func sameDirect(x, y pdf.Object) bool {
	return bytes.Equal(pdf.Bytes(x), pdf.Bytes(y))
}

func asDict(o pdf.Object) (pdf.Dict, bool) {
	switch v := o.(type) {
	case pdf.Dict:
		return v, true
	case *pdf.Stream:
		return v.Dict, true
	}
	return nil, false
}

// keys is the sorted union of two dictionaries' keys.
func keys(a, b pdf.Dict) []pdf.Name {
	ks := make([]pdf.Name, 0, len(a)+len(b))
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// visibleAnnot says whether an annotation can show anything: a non-empty
// rectangle, neither the Hidden nor the NoView flag, and something to draw
// (an appearance, or the border and background colours of /MK).
func visibleAnnot(r *pdf.Reader, d pdf.Dict) bool {
	if d["AP"] == nil && d["MK"] == nil {
		return false
	}
	if f, err := r.Resolve(d["F"]); err == nil {
		if n, ok := f.(pdf.Int); ok && n&(2|32) != 0 {
			return false
		}
	}
	rect, ok := r.Rect(d["Rect"])
	return ok && rect[0] != rect[2] && rect[1] != rect[3]
}

func hiddenCleared(od, nd pdf.Dict) bool {
	of, _ := od["F"].(pdf.Int)
	nf, _ := nd["F"].(pdf.Int)
	return of&(2|32) != 0 && nf&(2|32) == 0
}

func isDocTS(sd pdf.Dict) bool {
	t, _ := sd.Name("Type")
	sf, _ := sd.Name("SubFilter")
	return t == "DocTimeStamp" || sf == "ETSI.RFC3161"
}

func quote(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return i18n.Sprintf("%q", name)
}
