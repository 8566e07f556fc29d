package diff

import (
	"cmp"
	"io"
	"slices"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/pdf"
)

// Readers that find a cross-reference entry missing, free or wrong (poppler
// on any such reference) rebuild the cross-reference by scanning the file
// for "N G obj", the last definition of a number winning. What they then
// show can be objects that no section lists, which this analysis, reading
// the sections, never sees. Two checks close that for the updates made
// after signing: their bytes may define only the objects their section
// lists (unlistedObjects), and no change may add a reference to an object
// the revision does not have (danglingRefs), the usual trigger.

// maxUpdateScan bounds the bytes of later revisions searched for object
// definitions; beyond it the update cannot be checked and is refused.
const maxUpdateScan = 1 << 26

// objDef is an "N G obj" found in the bytes at offset Off.
type objDef struct {
	Num uint32
	Gen uint32
	Off int64
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// tokenStart says whether a token can start after byte c: after white
// space or a delimiter that ends a token (not '/', which starts a name,
// nor '%', a comment).
func tokenStart(c byte) bool {
	switch c {
	case ')', '>', ']', '}', '(', '<', '[', '{':
		return true
	}
	return isPDFSpace(c)
}

// objDefs finds every "N G obj" in buf that starts a token (buf starts
// one), as a scanning reader would find it; base is the offset of buf in
// the file. It looks at each byte a bounded number of times.
func objDefs(buf []byte, base int64) []objDef {
	var out []objDef
	// number reads digits at i: the value (capped), where they end.
	number := func(i int) (uint64, int) {
		v := uint64(0)
		for i < len(buf) && isDigit(buf[i]) {
			if v < 1<<40 {
				v = v*10 + uint64(buf[i]-'0')
			}
			i++
		}
		return v, i
	}
	space := func(i int) int {
		for i < len(buf) && isPDFSpace(buf[i]) {
			i++
		}
		return i
	}
	for i := 0; i < len(buf); i++ {
		if !isDigit(buf[i]) || (i > 0 && !tokenStart(buf[i-1])) {
			continue
		}
		num, j := number(i)
		start := i
		i = j - 1 // the next candidate starts after these digits
		k := space(j)
		if k == j || k >= len(buf) || !isDigit(buf[k]) {
			continue
		}
		gen, l := number(k)
		m := space(l)
		if m == l || m+3 > len(buf) || string(buf[m:m+3]) != "obj" {
			continue
		}
		if m+3 < len(buf) && !tokenStart(buf[m+3]) && buf[m+3] != '/' && buf[m+3] != '%' {
			continue
		}
		if num > 1<<32-1 || gen > 1<<32-1 {
			continue
		}
		out = append(out, objDef{Num: uint32(num), Gen: uint32(gen), Off: base + int64(start)})
	}
	return out
}

// extent is the data of a stream, [from, to) in the file.
type extent struct{ from, to int64 }

// unlistedDefs keeps the definitions that are neither listed (at, for an
// object number, the offset its type 1 entry gives, possibly followed by
// white space; xref stream numbers whatever the offset) nor inside the
// data of a stream.
func unlistedDefs(buf []byte, base int64, defs []objDef, listed func(num uint32) (int64, bool), xref map[uint32]bool, data []extent) []objDef {
	slices.SortFunc(data, func(a, b extent) int { return cmp.Compare(a.from, b.from) })
	var out []objDef
	reach := int64(-1) // the furthest end of the extents started so far
	k := 0
	for _, d := range defs {
		for k < len(data) && data[k].from <= d.Off {
			reach = max(reach, data[k].to)
			k++
		}
		if d.Off < reach {
			continue
		}
		if xref[d.Num] {
			continue
		}
		if off, ok := listed(d.Num); ok && off <= d.Off && off >= base {
			gap := buf[off-base : d.Off-base]
			if len(gap) < 256 && len(slices.DeleteFunc(slices.Clone(gap), isPDFSpace)) == 0 {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// unlistedObjects checks that the bytes of revision i (from the end of the
// revision before to its own end) define only the objects its sections
// list, at the offsets they list, besides what lies inside the data of
// the streams it lists and its cross-reference streams. budget is what is
// left of maxUpdateScan.
func (a *chgAnalysis) unlistedObjects(i int, budget *int64) error {
	revs := a.r.Revisions()
	rv := revs[i]
	from, to := revs[i-1].End, rv.End
	if from < 0 || to <= from {
		return nil
	}
	if to-from > *budget {
		a.find(i, pdf.Ref{}, RoleFile, ruleUnlisted, i18n.Sprintf("the updates after signing are larger than %d bytes: whether their bytes define objects their cross-reference sections do not list cannot be checked", int64(maxUpdateScan)))
		*budget = 0
		return nil
	}
	*budget -= to - from
	buf := make([]byte, to-from)
	if _, err := a.r.ReaderAt().ReadAt(buf, from); err != nil && err != io.EOF {
		return i18n.Errorf("reading revision %d: %v", i, err)
	}
	defs := objDefs(buf, from)
	if len(defs) == 0 {
		return nil
	}
	cur := a.r.At(i)
	var data []extent
	addStream := func(o pdf.Object) {
		if st, ok := o.(*pdf.Stream); ok && st.Length > 0 {
			data = append(data, extent{st.Offset, st.Offset + st.Length})
		}
	}
	xref := map[uint32]bool{}
	for _, x := range rv.XrefObjects {
		xref[x] = true
	}
	for n, e := range rv.Entries {
		if e.Type != 1 || e.Offset < from || e.Offset >= to || xref[n] {
			continue
		}
		if err := a.ctx.Err(); err != nil {
			return err
		}
		if o, err := cur.GetNum(n); err == nil {
			addStream(o)
		}
	}
	for _, d := range defs {
		// A cross-reference stream is not an entry of itself necessarily:
		// read its data where its header is.
		if xref[d.Num] {
			if _, _, o, err := a.r.IndirectAt(d.Off); err == nil {
				addStream(o)
			}
		}
	}
	listed := func(n uint32) (int64, bool) {
		e, ok := rv.Entries[n]
		return e.Offset, ok && e.Type == 1
	}
	bad := unlistedDefs(buf, from, defs, listed, xref, data)
	if len(bad) == 0 {
		return nil
	}
	nums := make([]uint32, len(bad))
	for k, d := range bad {
		nums[k] = d.Num
	}
	a.find(i, pdf.Ref{Num: bad[0].Num}, RoleFile, ruleUnlisted, i18n.Sprintf("its bytes define object %d (\"%d %d obj\" at offset %d), which its cross-reference section does not list there: readers that rebuild the cross-reference (poppler, on any missing or wrong entry) show objects this analysis never saw%s",
		bad[0].Num, bad[0].Num, bad[0].Gen, bad[0].Off, listNums(nums)))
	return nil
}

// danglingRefs finds the references that revision i adds (in the objects
// it lists and in its trailer) to objects it does not have: a number no
// section lists or one listed free. Resolving one, poppler rebuilds the
// cross-reference by scanning the file. A reference the revision before
// already made (a dangling reference a producer left in the signed
// document, or one copied into a rewritten object) is not new.
func (a *chgAnalysis) danglingRefs(i int) error {
	rv := a.r.Revisions()[i]
	prev, cur := a.r.At(i-1), a.r.At(i)
	missing := func(r pdf.Ref) bool {
		_, ok := cur.Lookup(r.Num)
		return !ok
	}
	type hit struct{ from, to uint32 }
	var hits []hit
	collect := func(o pdf.Object) map[uint32]bool {
		m := map[uint32]bool{}
		eachRef(o, 0, func(r pdf.Ref) { m[r.Num] = true })
		return m
	}
	oldTrailer := collect(prev.Trailer())
	newTrailer := pdf.Dict{}
	for k, v := range cur.Trailer() {
		if k != "Prev" && k != "XRefStm" {
			newTrailer[k] = v
		}
	}
	eachRef(newTrailer, 0, func(r pdf.Ref) {
		if !oldTrailer[r.Num] && missing(r) {
			hits = append(hits, hit{0, r.Num})
		}
	})
	nums := slices.Sorted(func(yield func(uint32) bool) {
		for n, e := range rv.Entries {
			if e.Type != 0 && !yield(n) {
				return
			}
		}
	})
	for _, n := range nums {
		if err := a.ctx.Err(); err != nil {
			return err
		}
		nw, err := cur.GetNum(n)
		if err != nil {
			continue // judged unreadable by the comparison
		}
		var old map[uint32]bool
		eachRef(nw, 0, func(r pdf.Ref) {
			if !missing(r) {
				return
			}
			if old == nil {
				o, _ := prev.GetNum(n)
				old = collect(o)
			}
			if !old[r.Num] {
				hits = append(hits, hit{n, r.Num})
			}
		})
	}
	if len(hits) == 0 {
		return nil
	}
	refs, err := a.refIndex(i - 1)
	if err != nil {
		return err
	}
	var to []uint32
	first := hit{}
	for _, h := range hits {
		if refs.count[h.to] > 0 || oldTrailer[h.to] || slices.Contains(to, h.to) {
			continue
		}
		if len(to) == 0 {
			first = h
		}
		to = append(to, h.to)
	}
	if len(to) == 0 {
		return nil
	}
	where := i18n.Sprintf("the trailer")
	if first.from != 0 {
		where = i18n.Sprintf("object %d", first.from)
	}
	a.find(i, pdf.Ref{Num: first.from}, RoleFile, ruleDanglingNew, i18n.Sprintf("%s refers to object %d, which this revision does not have (no section lists it, or one lists it free): resolving it, readers such as poppler rebuild the cross-reference by scanning the file and can show objects no section lists%s",
		where, first.to, listNums(to)))
	return nil
}

// rebuildRisks runs both checks on revision i.
func (a *chgAnalysis) rebuildRisks(i int, budget *int64) error {
	if err := a.unlistedObjects(i, budget); err != nil {
		return err
	}
	return a.danglingRefs(i)
}
