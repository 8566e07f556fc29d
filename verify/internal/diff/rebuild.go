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

// objDefs calls yield with every "N G obj" in buf, in order, until yield
// returns false; base is the offset of buf in the file. A number counts
// wherever its digits start (not only at the start of a token): poppler's
// rebuild reads the file in lines of at most 255 bytes and takes "N G obj"
// at the start of each piece, so a header glued to what precedes it, at a
// piece's edge, is one. It looks at each byte a bounded number of times.
func objDefs(buf []byte, base int64, yield func(objDef) bool) {
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
		if !isDigit(buf[i]) || (i > 0 && isDigit(buf[i-1])) {
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
		if num > 1<<32-1 || gen > 1<<32-1 {
			continue
		}
		if !yield(objDef{Num: uint32(num), Gen: uint32(gen), Off: base + int64(start)}) {
			return
		}
	}
}

// extent is the data of a stream, [from, to) in the file.
type extent struct{ from, to int64 }

// maxUnlisted is how many unlisted definitions a finding names; the rest
// are counted.
const maxUnlisted = 16

// unlistedDefs returns the definitions in buf that are neither listed (at,
// for an object number, the offset its type 1 entry gives, possibly
// followed by white space; a cross-reference stream where its section
// starts) nor inside the data of a stream: the first maxUnlisted, and how
// many in all.
func unlistedDefs(buf []byte, base int64, listed func(num uint32) (int64, bool), xrefAt map[int64]uint32, data []extent) ([]objDef, int) {
	slices.SortFunc(data, func(a, b extent) int { return cmp.Compare(a.from, b.from) })
	var out []objDef
	n := 0
	reach := int64(-1) // the furthest end of the extents started so far
	k := 0
	objDefs(buf, base, func(d objDef) bool {
		for k < len(data) && data[k].from <= d.Off {
			reach = max(reach, data[k].to)
			k++
		}
		if xn, ok := xrefAt[d.Off]; d.Off < reach || ok && xn == d.Num {
			return true
		}
		if off, ok := listed(d.Num); ok && off <= d.Off && off >= base {
			gap := buf[off-base : d.Off-base]
			if len(gap) < 256 && len(slices.DeleteFunc(slices.Clone(gap), isPDFSpace)) == 0 {
				return true
			}
		}
		if n++; len(out) < maxUnlisted {
			out = append(out, d)
		}
		return true
	})
	return out, n
}

// unlistedObjects checks that the bytes of revision i (from the end of the
// revision before to its own end) define only the objects its sections
// list, at the offsets they list, besides what lies inside the data of
// its cross-reference streams: stream data included, since a rebuilding
// reader scans it too. budget is what is
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
	var data []extent
	addStream := func(o pdf.Object) {
		if st, ok := o.(*pdf.Stream); ok && st.Length > 0 {
			data = append(data, extent{st.Offset, st.Offset + st.Length})
		}
	}
	// The cross-reference streams are exempt where their sections start
	// (and only there), their rows of binary numbers with them.
	for at := range rv.XrefStreamAt {
		if at >= from && at < to {
			if _, _, o, err := a.r.IndirectAt(at); err == nil {
				addStream(o)
			}
		}
	}
	listed := func(n uint32) (int64, bool) {
		e, ok := rv.Entries[n]
		return e.Offset, ok && e.Type == 1
	}
	bad, _ := unlistedDefs(buf, from, listed, rv.XrefStreamAt, data)
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
	// missing says r names no object of the revision: its number is not
	// listed, is listed free, or is listed with another generation (a
	// compressed object has generation 0). poppler rebuilds the
	// cross-reference on each of these.
	missing := func(r pdf.Ref) bool {
		e, ok := cur.Lookup(r.Num)
		if !ok {
			return true
		}
		if e.Type == 2 {
			return r.Gen != 0
		}
		return r.Gen != e.Gen
	}
	type hit struct {
		from uint32
		to   pdf.Ref
		// relisted: the revision lists to.Num anew under generation gen,
		// where to.Gen was the revision before's.
		relisted bool
		gen      uint16
	}
	var hits []hit
	collect := func(o pdf.Object) map[pdf.Ref]bool {
		m := map[pdf.Ref]bool{}
		eachRef(o, 0, func(r pdf.Ref) { m[r] = true })
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
		if !oldTrailer[r] && missing(r) {
			hits = append(hits, hit{from: 0, to: r})
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
		var old map[pdf.Ref]bool
		eachRef(nw, 0, func(r pdf.Ref) {
			if !missing(r) {
				return
			}
			if old == nil {
				o, _ := prev.GetNum(n)
				old = collect(o)
			}
			if !old[r] {
				hits = append(hits, hit{from: n, to: r})
			}
		})
	}
	// An object listed anew under another generation: every reference the
	// unchanged objects make to it now names a generation it does not
	// have.
	for _, n := range nums {
		e := rv.Entries[n]
		pe, ok := prev.Lookup(n)
		if !ok || e.Type == 0 {
			continue
		}
		gen := func(x pdf.XrefEntry) uint16 {
			if x.Type == 2 {
				return 0
			}
			return x.Gen
		}
		if gen(pe) != gen(e) {
			hits = append(hits, hit{from: n, to: pdf.Ref{Num: n, Gen: gen(pe)}, relisted: true, gen: gen(e)})
		}
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
		// A number the revision before referred to while it did not have
		// it at all was dangling already (a producer's leftover); a
		// generation that does not match is new whatever the number.
		if _, had := prev.Lookup(h.to.Num); (!had && refs.count[h.to.Num] > 0) || oldTrailer[h.to] || slices.Contains(to, h.to.Num) {
			continue
		}
		if len(to) == 0 {
			first = h
		}
		to = append(to, h.to.Num)
	}
	if len(to) == 0 {
		return nil
	}
	if first.relisted {
		a.find(i, pdf.Ref{Num: first.from}, RoleFile, ruleDanglingNew, i18n.Sprintf("object %d is listed anew under generation %d where the revision before had generation %d: every reference to it now names an object this revision does not have, and readers such as poppler rebuild the cross-reference by scanning the file and can show objects no section lists%s",
			first.from, int(first.gen), int(first.to.Gen), listNums(to)))
		return nil
	}
	where := i18n.Sprintf("the trailer")
	if first.from != 0 {
		where = i18n.Sprintf("object %d", first.from)
	}
	a.find(i, pdf.Ref{Num: first.from}, RoleFile, ruleDanglingNew, i18n.Sprintf("%s refers to object %d generation %d, which this revision does not have (no section lists it, one lists it free or under another generation): resolving it, readers such as poppler rebuild the cross-reference by scanning the file and can show objects no section lists%s",
		where, first.to.Num, int(first.to.Gen), listNums(to)))
	return nil
}

// rebuildRisks runs both checks on revision i.
func (a *chgAnalysis) rebuildRisks(i int, budget *int64) error {
	if err := a.unlistedObjects(i, budget); err != nil {
		return err
	}
	return a.danglingRefs(i)
}
