package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kyso-project/kyso/internal/pdf"
)

// ChangeClass grades a change made after signing, from harmless to
// forbidden. The order matters: a DocMDP permission P allows every class up
// to a level, and a report's class is the worst of its changes.
type ChangeClass int

const (
	ChangeNone ChangeClass = iota
	// ChangeArchival: validation data (DSS, VRI), document timestamps,
	// metadata: never a change to what the document says.
	ChangeArchival
	// ChangeFormFill: field values and new signatures.
	ChangeFormFill
	// ChangeAnnotation: comments and other non-widget annotations.
	ChangeAnnotation
	// ChangeOther: anything else, including every change no rule explains.
	ChangeOther
)

func (c ChangeClass) String() string {
	switch c {
	case ChangeNone:
		return "none"
	case ChangeArchival:
		return "archival"
	case ChangeFormFill:
		return "form-fill"
	case ChangeAnnotation:
		return "annotation"
	}
	return "other"
}

// Change is one change made by a revision after the signed one.
type Change struct {
	Revision int
	Object   pdf.Ref
	Class    ChangeClass
	// What says it for people: "page 1 /Contents replaced".
	What string
}

func (c Change) String() string {
	if c.Revision < 0 {
		return c.What
	}
	if c.Object.Num == 0 {
		return fmt.Sprintf("revision %d: %s", c.Revision, c.What)
	}
	return fmt.Sprintf("revision %d: %s (object %d)", c.Revision, c.What, c.Object.Num)
}

// ChangeReport is what the revisions after a signature changed.
type ChangeReport struct {
	// Class is the worst class of all changes.
	Class   ChangeClass
	Changes []Change
	// Problems name the object and what changed for everything that makes
	// the signature invalid.
	Problems []string
	Warnings []string
}

// FieldLock is a FieldMDP lock as its dictionary: the /TransformParams of a
// signature's FieldMDP transform, or a signature field's /Lock, with
// /Action (All, Include or Exclude) and /Fields (fully qualified names).
type FieldLock = pdf.Dict

// MDP is what a signature permits after it.
type MDP struct {
	// DocMDP is P of a certification signature (1, 2 or 3), 0 for none.
	DocMDP int
	// FieldLocks are the FieldMDP locks in force.
	FieldLocks []FieldLock
}

// chgLock is a FieldLock read.
type chgLock struct {
	action string
	fields []string
}

// chgReadLock reads a lock dictionary. An unknown action locks every
// field, failing closed.
func chgReadLock(r *pdf.Reader, d pdf.Dict) chgLock {
	l := chgLock{action: "All"}
	if a, err := r.Resolve(d["Action"]); err == nil {
		if a, ok := a.(pdf.Name); ok && (a == "Include" || a == "Exclude") {
			l.action = string(a)
		}
	}
	arr, _ := r.Array(d["Fields"])
	for _, o := range arr {
		if o, err := r.Resolve(o); err == nil {
			if s, ok := o.(pdf.String); ok {
				l.fields = append(l.fields, chgText(s.Bytes))
			}
		}
	}
	return l
}

// chgLocked reports whether the locks freeze the field named name. A lock
// on a field also freezes the fields below it.
func chgLocked(locks []chgLock, name string) bool {
	in := func(list []string) bool {
		for _, f := range list {
			if name == f || strings.HasPrefix(name, f+".") {
				return true
			}
		}
		return false
	}
	for _, l := range locks {
		switch l.action {
		case "Include":
			if in(l.fields) {
				return true
			}
		case "Exclude":
			if !in(l.fields) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// Allowed says whether changes of a class are permitted after a signature
// whose DocMDP permission is docMDP (0 for an approval signature): P=1
// allows only archival updates, P=2 adds form filling and signing, P=3 adds
// annotations, and nothing ever allows ChangeOther.
func Allowed(class ChangeClass, docMDP int) bool {
	switch class {
	case ChangeNone, ChangeArchival:
		return true
	case ChangeFormFill:
		return docMDP == 0 || docMDP >= 2
	case ChangeAnnotation:
		return docMDP == 0 || docMDP >= 3
	}
	return false
}

// Bounds on the work one analysis may do; beyond them it fails closed.
const (
	chgMaxWalk     = 1 << 20 // objects visited by one reference walk
	chgMaxRefs     = 1 << 23 // references followed by one walk
	chgMaxCompare  = 1 << 16 // values compared in one object
	chgMaxTail     = 1 << 24 // bytes after the last %%EOF that are scanned
	chgMaxFieldTop = 1 << 16 // fields and annotations indexed per revision
	chgMaxWork     = 1 << 22 // objects visited by all walks of one analysis
)

var errChgTooComplex = errors.New("the document is too large or too deeply linked to analyse")

// AnalyzeChanges compares every revision after the signed one (sigRev, the
// revision the signature covers) with the one before it, object by object,
// and classes each change. Nothing is allowed unless a rule explains it:
// archival updates (DSS, VRI, document timestamps, metadata, /Info, new
// xref and object streams); new signature fields and field values
// (form-fill); annotations other than widgets; everything else is other.
// A new object is judged through the change that refers to it, a new
// object nothing refers to is ignored, and a new object that an unchanged
// signed object referred to while it did not exist is other (a dangling
// reference filled in later). signedField is the signature's own field,
// which no later revision may change. mdp makes visible new signatures
// (after a certification) and changes to locked fields other, and turns
// changes beyond the DocMDP permission into problems.
//
// Only objects listed by later revisions and what they refer to are read;
// stream data is compared raw and never decoded. The error is for a
// cancelled context and for arguments out of range; a damaged later
// revision is a problem, not an error.
func AnalyzeChanges(ctx context.Context, r *pdf.Reader, sigRev int, signedField string, mdp MDP) (*ChangeReport, error) {
	revs := r.Revisions()
	if sigRev < 0 || sigRev >= len(revs) {
		return nil, fmt.Errorf("signed revision %d out of range (the file has %d)", sigRev, len(revs))
	}
	a := &chgAnalysis{ctx: ctx, r: r, sigRev: sigRev, signedField: signedField, mdp: mdp,
		rep: &ChangeReport{}, idx: map[int]*chgIndex{}, refs: map[int]*chgRefs{}}
	for _, l := range mdp.FieldLocks {
		a.locks = append(a.locks, chgReadLock(r, l))
	}
	if err := a.tail(); err != nil {
		return nil, err
	}
	for i := sigRev + 1; i < len(revs); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := a.revision(i); err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			a.add(i, pdf.Ref{}, ChangeOther, fmt.Sprintf("the revision cannot be analysed: %v", err))
		}
	}
	rep := a.rep
	for _, c := range rep.Changes {
		rep.Class = max(rep.Class, c.Class)
		switch {
		case c.Class == ChangeOther:
			rep.Problems = append(rep.Problems, c.String())
		case mdp.DocMDP != 0 && !Allowed(c.Class, mdp.DocMDP):
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the certification signature (DocMDP P=%d) does not permit %s", c, mdp.DocMDP, chgNoun[c.Class]))
		}
	}
	return rep, nil
}

var chgNoun = map[ChangeClass]string{ChangeArchival: "archival updates", ChangeFormFill: "form filling or signing",
	ChangeAnnotation: "annotation changes", ChangeOther: "this change"}

type chgAnalysis struct {
	ctx         context.Context
	r           *pdf.Reader
	sigRev      int
	signedField string
	mdp         MDP
	rep         *ChangeReport
	locks       []chgLock
	idx         map[int]*chgIndex
	refs        map[int]*chgRefs
	// work counts the objects the reference walks visited, so that many
	// revisions of a large document fail closed instead of running long.
	work int
}

func (a *chgAnalysis) locked(name string) bool { return chgLocked(a.locks, name) }

func (a *chgAnalysis) add(rev int, ref pdf.Ref, class ChangeClass, what string) {
	a.rep.Changes = append(a.rep.Changes, Change{Revision: rev, Object: ref, Class: class, What: what})
}

func (a *chgAnalysis) warn(format string, args ...any) {
	a.rep.Warnings = append(a.rep.Warnings, fmt.Sprintf(format, args...))
}

var chgUpdateSyntax = regexp.MustCompile(`\d+\s+\d+\s+obj\b|\bxref\b|\btrailer\b|\bstartxref\b`)

// tail judges the bytes after the last revision's %%EOF: whitespace is
// nothing, other bytes a warning, and anything that defines objects or
// cross-reference data an update that dodges the xref chain (viewers that
// repair files would show it), which is other.
func (a *chgAnalysis) tail() error {
	revs := a.r.Revisions()
	last := revs[len(revs)-1]
	size := a.r.Size()
	if last.End >= size {
		return nil
	}
	n := min(size-last.End, chgMaxTail)
	buf := make([]byte, n)
	if _, err := a.r.ReaderAt().ReadAt(buf, last.End); err != nil && err != io.EOF {
		return fmt.Errorf("reading the end of the file: %w", err)
	}
	if len(bytes.Trim(buf, " \t\r\n\f\x00")) == 0 {
		return nil
	}
	if m := chgUpdateSyntax.Find(buf); m != nil {
		a.add(-1, pdf.Ref{}, ChangeOther, fmt.Sprintf("the %d bytes after the last %%%%EOF (offset %d) hold %q: an update without a usable cross-reference section, which some viewers show",
			size-last.End, last.End, m))
		return nil
	}
	a.warn("the file has %d bytes after its last %%%%EOF (offset %d); they are not part of any revision", size-last.End, last.End)
	return nil
}

// chgPair is an object as two consecutive revisions have it.
type chgPair struct{ old, new pdf.Object }

// chgStep is the comparison of revision i with revision i-1.
type chgStep struct {
	a          *chgAnalysis
	i          int
	prev, cur  *pdf.Reader
	idx        *chgIndex
	changed    map[uint32]chgPair
	newObjs    map[uint32]bool
	done       map[uint32]bool
	justified  map[uint32]bool
	newWidgets map[uint32]string // widget of a new signature field -> field name
}

func (a *chgAnalysis) revision(i int) error {
	revs := a.r.Revisions()
	rv := revs[i]
	s := &chgStep{a: a, i: i, prev: a.r.At(i - 1), cur: a.r.At(i), changed: map[uint32]chgPair{},
		newObjs: map[uint32]bool{}, done: map[uint32]bool{}, justified: map[uint32]bool{}, newWidgets: map[uint32]string{}}
	signedEnd := revs[a.sigRev].End
	if rv.XrefOffset < signedEnd {
		a.add(i, pdf.Ref{}, ChangeOther, fmt.Sprintf("its cross-reference section lies at offset %d, inside the signed bytes (which end at %d)", rv.XrefOffset, signedEnd))
	}
	pt, ct := s.prev.Trailer(), s.cur.Trailer()
	newRoot := false
	if or, nr := s.prev.RootRef(), s.cur.RootRef(); or != nr {
		// Some writers (pdfsign) write the catalog anew under a new number
		// in every update: judge it as a change of the old catalog. An
		// existing object becoming the catalog is never right.
		if _, used := s.prev.Lookup(nr.Num); used {
			a.add(i, nr, ChangeOther, fmt.Sprintf("the trailer's /Root makes existing object %d the document catalog (it was object %d)", nr.Num, or.Num))
		} else {
			newRoot = true
		}
	}
	if !chgSameDirect(pt["Encrypt"], ct["Encrypt"]) {
		a.add(i, pdf.Ref{}, ChangeOther, "the trailer's /Encrypt changed")
	}
	xrefObj := map[uint32]bool{}
	for _, x := range rv.XrefObjects {
		xrefObj[x] = true
		if _, used := s.prev.Lookup(x); used {
			a.add(i, pdf.Ref{Num: x}, ChangeOther, fmt.Sprintf("its cross-reference stream takes the number of existing object %d", x))
		}
	}
	nums := make([]uint32, 0, len(rv.Entries))
	for n := range rv.Entries {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		e := rv.Entries[n]
		if n == 0 || xrefObj[n] {
			continue
		}
		pe, used := s.prev.Lookup(n)
		if e.Type == 0 {
			if used {
				a.add(i, pdf.Ref{Num: n}, ChangeOther, "an object of the signed document is deleted (freed)"+s.usedBy(n))
			}
			continue
		}
		if used && pe == e {
			continue
		}
		if !used {
			s.newObjs[n] = true
			continue
		}
		old, err := s.prev.Get(pdf.Ref{Num: n})
		if err != nil {
			a.add(i, pdf.Ref{Num: n}, ChangeOther, fmt.Sprintf("the object as revision %d had it cannot be read: %v", i-1, err))
			continue
		}
		nw, err := s.cur.Get(pdf.Ref{Num: n})
		if err != nil {
			a.add(i, pdf.Ref{Num: n}, ChangeOther, fmt.Sprintf("the object as this revision writes it cannot be read: %v", err))
			continue
		}
		same, err := s.equal(old, nw)
		if err != nil {
			return err
		}
		if same {
			continue
		}
		if st, ok := old.(*pdf.Stream); ok {
			if t, _ := st.Dict.Name("Type"); t == "ObjStm" {
				a.add(i, pdf.Ref{Num: n}, ChangeOther, "an object stream of the signed document is replaced, changing every object stored in it")
				continue
			}
		}
		s.changed[n] = chgPair{old, nw}
	}
	if !chgSameDirect(pt["Info"], ct["Info"]) {
		a.add(i, pdf.Ref{}, ChangeArchival, "document information (/Info) replaced")
		if err := s.justifyFrom(ct["Info"]); err != nil {
			return err
		}
	}
	// The xref stream's number must not fill a dangling reference either.
	for x := range xrefObj {
		s.newObjs[x] = true
		s.justified[x] = true
	}
	if len(s.changed) == 0 && len(s.newObjs) == 0 {
		return nil
	}
	idx, err := a.index(i - 1)
	if err != nil {
		return err
	}
	s.idx = idx
	if newRoot {
		old, err := s.prev.Get(s.prev.RootRef())
		if err != nil {
			return err
		}
		nw, err := s.cur.Get(s.cur.RootRef())
		if err != nil {
			return err
		}
		s.justified[s.cur.RootRef().Num] = true
		if _, ok := s.changed[idx.root]; ok {
			a.add(i, pdf.Ref{Num: idx.root}, ChangeOther, "the old catalog is rewritten while a new one takes its place")
		}
		s.changed[idx.root] = chgPair{old, nw}
	}
	if err := s.classify(); err != nil {
		return err
	}
	return s.leftovers()
}

// classify explains each changed object, in an order where containers come
// before what they contain (the form before pages, so that widgets of new
// signature fields are known when pages gain them).
func (s *chgStep) classify() error {
	if p, ok := s.changed[s.idx.root]; ok {
		s.done[s.idx.root] = true
		if err := s.catalog(p); err != nil {
			return err
		}
	}
	if n := s.idx.acroForm; n != 0 && !s.done[n] {
		if p, ok := s.changed[n]; ok {
			s.done[n] = true
			if err := s.acroForm(pdf.Ref{Num: n}, p.old, p.new); err != nil {
				return err
			}
		}
	}
	if n := s.idx.fieldsArr; n != 0 && !s.done[n] {
		if p, ok := s.changed[n]; ok {
			s.done[n] = true
			if err := s.fieldList(pdf.Ref{Num: n}, p.old, p.new); err != nil {
				return err
			}
		}
	}
	nums := make([]uint32, 0, len(s.changed))
	for n := range s.changed {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		if s.done[n] {
			continue
		}
		s.done[n] = true
		p := s.changed[n]
		ref := pdf.Ref{Num: n}
		var err error
		_, oldStream := p.old.(*pdf.Stream)
		_, newStream := p.new.(*pdf.Stream)
		if (oldStream || newStream) && s.idx.ap[n] == nil && s.idx.metadata != n && s.idx.dss[n] != "stream" && s.idx.roled(n) {
			// A page, field, annotation... that is (or becomes) a stream
			// can also be drawn as a form XObject.
			s.a.add(s.i, ref, ChangeOther, "an object that must be a dictionary is, or becomes, a stream"+s.usedBy(n))
			continue
		}
		// The most sensitive role decides: an object that is a page and
		// also listed as an annotation is judged as a page.
		switch {
		case s.idx.sigDicts[n] != "":
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the signature dictionary of field %s is changed", chgQuote(s.idx.sigDicts[n])))
		case s.idx.pages[n] != 0:
			err = s.pageChange(ref, s.idx.pages[n], p.old, p.new)
		case s.idx.pageNodes[n]:
			err = s.pageNodeChange(ref, p.old, p.new)
		case s.idx.annotsArr[n] != 0:
			err = s.confinedChange(ref, "a page's /Annots array", func(q uint32) bool { return s.idx.pages[q] != 0 }, func() error {
				return s.annotList(ref, s.idx.annotsArr[n], p.old, p.new)
			})
		case s.idx.fields[n] != nil:
			err = s.fieldChange(ref, s.idx.fields[n], p.old, p.new)
		case s.idx.annots[n] != nil:
			err = s.annotChange(ref, s.idx.annots[n], p.old, p.new)
		case s.idx.dss[n] != "":
			err = s.confinedChange(ref, "a part of the DSS", func(q uint32) bool { return q == s.idx.root || s.idx.dss[q] != "" }, func() error {
				return s.dssPart(ref, s.idx.dss[n], p.old, p.new)
			})
		case s.idx.metadata == n:
			err = s.confinedChange(ref, "the XMP metadata stream", func(q uint32) bool { return q == s.idx.root }, func() error {
				s.a.add(s.i, ref, ChangeArchival, "XMP metadata updated")
				return s.justifyFrom(p.new)
			})
		case s.idx.ap[n] != nil:
			err = s.apInPlace(ref, s.idx.ap[n], p)
		case s.idx.info == n || s.idx.infoParts[n]:
			// Only if nothing in the document itself uses it.
			err = s.confinedChange(ref, "the document information (/Info)", func(uint32) bool { return false }, func() error {
				s.a.add(s.i, ref, ChangeArchival, "document information (/Info) updated")
				return s.justifyFrom(p.new)
			})
		default:
			var role string
			if role, err = s.a.structRole(s.i-1, n); err == nil && role != "" {
				err = s.confinedChange(ref, "a part of the structure tree", func(q uint32) bool {
					r, _ := s.a.structRole(s.i-1, q)
					return q == s.idx.root || r != ""
				}, func() error { return s.structChange(ref, role, p.old, p.new) })
				break
			}
			if err != nil {
				break
			}
			var refs *chgRefs
			if refs, err = s.a.refIndex(s.i - 1); err == nil && refs.count[n] == 0 {
				// Unreachable before and after (else a change that makes it
				// reachable is judged): nothing shows it.
				break
			}
			if err == nil {
				s.a.add(s.i, ref, ChangeOther, "an object of the signed document is changed"+s.usedBy(n))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// leftovers judges the new objects no change explained: new objects an
// unchanged signed object already referred to (a dangling reference filled
// in) are other; the rest are unreachable and ignored.
func (s *chgStep) leftovers() error {
	if len(s.newObjs) == 0 {
		return nil
	}
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil {
		return err
	}
	nums := make([]uint32, 0, len(s.newObjs))
	for n := range s.newObjs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		if refs.count[n] > 0 {
			s.a.add(s.i, pdf.Ref{Num: n}, ChangeOther, fmt.Sprintf("a new object fills a reference the signed document already made while it did not exist%s", s.usedBy(n)))
			continue
		}
		if s.justified[n] {
			continue
		}
		// Object streams (their objects are judged one by one) and orphans.
	}
	return nil
}

// justify marks a new object, and the new objects it refers to, as
// explained by the change being judged.
func (s *chgStep) justify(ref pdf.Ref) error {
	if !s.newObjs[ref.Num] || s.justified[ref.Num] {
		return nil
	}
	queue := []uint32{ref.Num}
	s.justified[ref.Num] = true
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		o, err := s.cur.Get(pdf.Ref{Num: n})
		if err != nil {
			return fmt.Errorf("object %d: %w", n, err)
		}
		chgEachRef(o, 0, func(r pdf.Ref) {
			if s.newObjs[r.Num] && !s.justified[r.Num] {
				s.justified[r.Num] = true
				queue = append(queue, r.Num)
			}
		})
	}
	return nil
}

// justifyFrom justifies the new objects a value refers to.
func (s *chgStep) justifyFrom(o pdf.Object) error {
	var err error
	chgEachRef(o, 0, func(r pdf.Ref) {
		if e := s.justify(r); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// chgEachRef calls fn for every reference directly inside o (not following
// references).
func chgEachRef(o pdf.Object, depth int, fn func(pdf.Ref)) {
	if depth > 64 {
		return
	}
	switch v := o.(type) {
	case pdf.Ref:
		fn(v)
	case pdf.Array:
		for _, e := range v {
			chgEachRef(e, depth+1, fn)
		}
	case pdf.Dict:
		for _, e := range v {
			chgEachRef(e, depth+1, fn)
		}
	case *pdf.Stream:
		chgEachRef(v.Dict, depth+1, fn)
	}
}

// usedBy names, for a message, where the previous revision used object n.
func (s *chgStep) usedBy(n uint32) string {
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil || len(refs.in[n]) == 0 {
		return ""
	}
	idx, _ := s.a.index(s.i - 1)
	var parts []string
	for _, e := range refs.in[n] {
		parts = append(parts, idx.name(e.from)+" "+e.path)
	}
	more := ""
	if c := refs.count[n]; c > len(parts) {
		more = fmt.Sprintf(" and %d more", c-len(parts))
	}
	return " (used as " + strings.Join(parts, ", ") + more + ")"
}

// catalog judges a changed document catalog key by key.
func (s *chgStep) catalog(p chgPair) error {
	ref := pdf.Ref{Num: s.idx.root}
	od, _ := p.old.(pdf.Dict)
	nd, ok := p.new.(pdf.Dict)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, "the document catalog is replaced by something that is not a dictionary")
		return nil
	}
	for _, k := range chgKeys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if same {
			continue
		}
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
			s.a.add(s.i, ref, ChangeArchival, fmt.Sprintf("catalog /%s changed", k))
			if err := s.justifyFrom(nd[k]); err != nil {
				return err
			}
		case "StructTreeRoot":
			s.a.add(s.i, ref, ChangeFormFill, "document structure (tags) updated")
			if err := s.justifyFrom(nd[k]); err != nil {
				return err
			}
		case "Perms":
			s.a.add(s.i, ref, ChangeOther, "catalog /Perms changed (the certification and usage-rights signatures)")
		case "Pages":
			s.a.add(s.i, ref, ChangeOther, "catalog /Pages changed: the document shows another page tree")
		default:
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("catalog /%s changed", k))
		}
	}
	return nil
}

// acroFormValue judges the catalog's /AcroForm value changing (a new
// dictionary, a direct one edited, or another indirect one).
func (s *chgStep) acroFormValue(old, nw pdf.Object) error {
	ref, _ := nw.(pdf.Ref)
	if ref.Num != 0 && !s.newObjs[ref.Num] {
		if oref, _ := old.(pdf.Ref); oref != ref {
			s.a.add(s.i, ref, ChangeOther, "catalog /AcroForm now points at an existing object")
			return nil
		}
	}
	if ref.Num != 0 {
		s.justified[ref.Num] = true
	}
	od, err := s.prev.Dict(old)
	if err != nil {
		return err
	}
	nd, err := s.cur.Dict(nw)
	if err != nil {
		return err
	}
	return s.acroForm(pdf.Ref{Num: s.idx.root}, od, nd)
}

// acroForm judges the interactive form dictionary.
func (s *chgStep) acroForm(ref pdf.Ref, old, nw pdf.Object) error {
	od, _ := old.(pdf.Dict)
	nd, ok := nw.(pdf.Dict)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, "the interactive form (/AcroForm) is removed or not a dictionary")
		return nil
	}
	for _, k := range chgKeys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if same {
			continue
		}
		switch k {
		case "Fields":
			fref, _ := nd[k].(pdf.Ref)
			if oref, _ := od[k].(pdf.Ref); fref.Num != 0 && fref == oref {
				continue // the array object itself changed: judged on its own
			}
			if fref.Num != 0 {
				if !s.newObjs[fref.Num] {
					s.a.add(s.i, ref, ChangeOther, "/AcroForm /Fields now points at an existing object")
					continue
				}
				s.justified[fref.Num] = true
			}
			if err := s.fieldList(ref, od[k], nd[k]); err != nil {
				return err
			}
		case "SigFlags":
			s.a.add(s.i, ref, ChangeArchival, "form /SigFlags set")
		case "DR", "DA", "Q", "NeedAppearances":
			// Defaults only added (signing tools add /DA and /DR with
			// Helvetica when they add a signature field) leave every
			// existing field as it was.
			class, what := ChangeFormFill, fmt.Sprintf("form defaults (/AcroForm /%s) changed", k)
			if ext, err := s.extends(od[k], nd[k]); err != nil {
				return err
			} else if ext && k != "NeedAppearances" {
				class, what = ChangeArchival, fmt.Sprintf("form defaults (/AcroForm /%s) added", k)
			}
			s.a.add(s.i, ref, class, what)
			if err := s.justifyFrom(nd[k]); err != nil {
				return err
			}
		default:
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("/AcroForm /%s changed", k))
		}
	}
	return nil
}

// fieldList judges a change of the form's top-level field list: nothing may
// go, and only new signature fields may come.
func (s *chgStep) fieldList(ref pdf.Ref, old, nw pdf.Object) error {
	oa, err := s.prev.Array(old)
	if err != nil {
		return err
	}
	na, err := s.cur.Array(nw)
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
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("field %s removed from %s", chgQuote(s.idx.fieldName(r.Num)), where))
		}
		delete(have, r)
	}
	for _, o := range na {
		r, ok := o.(pdf.Ref)
		if !ok {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("%s gains an entry that is not a reference", where))
			continue
		}
		if !have[r] {
			continue
		}
		delete(have, r)
		if !s.newObjs[r.Num] {
			s.a.add(s.i, r, ChangeOther, fmt.Sprintf("an existing object is added to %s", where))
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
		s.a.add(s.i, ref, ChangeOther, "a field that is not a dictionary is added to the form")
		return nil
	}
	name := parent
	if t, ok := d["T"].(pdf.String); ok {
		if name != "" {
			name += "."
		}
		name += chgText(t.Bytes)
	}
	if ft, _ := d.Name("FT"); ft != "Sig" {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("new form field %s of type /%s added (only signature fields may be added after signing)", chgQuote(name), ft))
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
				s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("new signature field %s has a widget that is not a new object", chgQuote(name)))
				continue
			}
			widgets = append(widgets, kr)
		}
	} else if st, _ := d.Name("Subtype"); st == "Widget" {
		widgets = append(widgets, ref)
	}
	visible, page := false, 0
	for _, w := range widgets {
		wd, err := s.cur.Dict(w)
		if err != nil {
			return err
		}
		if chgVisible(s.cur, wd) {
			visible = true
			page = s.idx.pageOf(wd["P"])
		}
		s.newWidgets[w.Num] = name
	}
	class, what := ChangeFormFill, ""
	v, hasV := d["V"]
	if vr, ok := v.(pdf.Ref); ok && !s.newObjs[vr.Num] {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("new signature field %s reuses existing object %d as its signature", chgQuote(name), vr.Num))
		return nil
	}
	sd, _ := s.cur.Dict(v)
	switch {
	case !hasV || v == nil:
		what = fmt.Sprintf("empty signature field %s added", chgQuote(name))
	case chgIsDocTS(sd):
		what = fmt.Sprintf("document timestamp %s added", chgQuote(name))
		if !visible {
			class = ChangeArchival
		}
	default:
		what = fmt.Sprintf("signature %s added", chgQuote(name))
	}
	if visible {
		what += fmt.Sprintf(", visible on page %d", page)
		if s.a.mdp.DocMDP != 0 {
			class = ChangeOther
			what = "after the certification signature, a " + what + ": its appearance can draw over the certified content"
		}
	}
	s.a.add(s.i, ref, class, what)
	return s.justify(ref)
}

// fieldChange judges an existing field (or a widget merged with it) whose
// dictionary a later revision rewrites.
func (s *chgStep) fieldChange(ref pdf.Ref, f *chgField, old, nw pdf.Object) error {
	od, _ := chgDict(old)
	nd, ok := chgDict(nw)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("field %s is replaced by something that is not a dictionary", chgQuote(f.name)))
		return nil
	}
	var keys []string
	var bad []string
	for _, k := range chgKeys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if same {
			continue
		}
		keys = append(keys, "/"+string(k))
		switch k {
		case "V", "RV", "AP", "AS", "DA", "DS", "Q", "Ff", "F":
		case "Type":
			if t, _ := nd.Name("Type"); od[k] != nil || t != "Annot" {
				bad = append(bad, "/Type")
			}
		case "Kids":
			bad = append(bad, "/Kids")
		default:
			bad = append(bad, "/"+string(k))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	name := chgQuote(f.name)
	if len(bad) > 0 {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("field %s: %s changed, which filling in a form never changes", name, strings.Join(bad, ", ")))
		return nil
	}
	signed := f.signed || (s.a.signedField != "" && f.name == s.a.signedField)
	onlyFlags := true
	for _, k := range keys {
		if k != "/Ff" && k != "/Type" {
			onlyFlags = false
		}
	}
	if signed && !onlyFlags {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("signature field %s, already signed, is changed (%s)", name, strings.Join(keys, ", ")))
		return nil
	}
	if s.a.locked(f.name) && !onlyFlags {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("field %s is locked by a FieldMDP signature, but %s changed", name, strings.Join(keys, ", ")))
		return nil
	}
	if f.ft == "Sig" && !signed && od["V"] == nil && nd["V"] != nil {
		// An empty signature field being signed.
		vr, isRef := nd["V"].(pdf.Ref)
		if isRef && !s.newObjs[vr.Num] {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("signature field %s is given existing object %d as its signature", name, vr.Num))
			return nil
		}
		sd, _ := s.cur.Dict(nd["V"])
		class, what := ChangeFormFill, fmt.Sprintf("field %s signed", name)
		if chgIsDocTS(sd) {
			what = fmt.Sprintf("document timestamp in field %s", name)
			if !chgVisible(s.cur, nd) {
				class = ChangeArchival
			}
		}
		if err := s.apValue(ref, name, class, od["AP"], nd["AP"]); err != nil {
			return err
		}
		s.a.add(s.i, ref, class, what)
		return s.justifyFrom(nd["V"])
	}
	if f.widget && chgHiddenCleared(od, nd) {
		s.a.warn("revision %d makes the hidden widget of field %s visible", s.i, name)
	}
	if err := s.apValue(ref, name, ChangeFormFill, od["AP"], nd["AP"]); err != nil {
		return err
	}
	for _, k := range []pdf.Name{"V", "RV", "DA", "DS"} {
		if vr, ok := nd[k].(pdf.Ref); ok && !s.newObjs[vr.Num] && !chgSameDirect(od[k], nd[k]) {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("field %s /%s now points at existing object %d", name, k, vr.Num))
			return nil
		}
		if err := s.justifyFrom(nd[k]); err != nil {
			return err
		}
	}
	s.a.add(s.i, ref, ChangeFormFill, fmt.Sprintf("field %s filled in (%s)", name, strings.Join(keys, ", ")))
	return nil
}

// apValue judges a changed /AP: its appearances must be new streams (or
// the old ones, unchanged); pointing an appearance at an existing object
// would show signed content, possibly hidden, somewhere else.
func (s *chgStep) apValue(ref pdf.Ref, name string, class ChangeClass, old, nw pdf.Object) error {
	same, err := s.equal(old, nw)
	if err != nil || same {
		return err
	}
	if nr, ok := nw.(pdf.Ref); ok {
		if or, _ := old.(pdf.Ref); or == nr {
			return nil // the dictionary object itself changed: judged on its own
		}
		if !s.newObjs[nr.Num] {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the appearance (/AP) of %s now points at existing object %d", name, nr.Num))
			return nil
		}
	}
	od, err := s.prev.Dict(old)
	if err != nil {
		return err
	}
	nd, err := s.cur.Dict(nw)
	if err != nil {
		return err
	}
	if err := s.apEntries(ref, name, od, nd); err != nil {
		return err
	}
	return s.justifyFrom(nw)
}

// apEntries checks the /N /R /D entries of an appearance dictionary.
func (s *chgStep) apEntries(ref pdf.Ref, name string, od, nd pdf.Dict) error {
	oldRefs := map[pdf.Ref]bool{}
	chgEachRef(od, 0, func(r pdf.Ref) { oldRefs[r] = true })
	bad := ""
	chgEachRef(nd, 0, func(r pdf.Ref) {
		if !s.newObjs[r.Num] && !oldRefs[r] && bad == "" {
			bad = fmt.Sprintf("the appearance (/AP) of %s now uses existing object %d%s", name, r.Num, s.usedBy(r.Num))
		}
	})
	if bad != "" {
		s.a.add(s.i, ref, ChangeOther, bad)
	}
	return nil
}

// apInPlace judges an appearance stream or appearance dictionary of the
// signed revision rewritten in place. That is form filling (or an
// annotation change) only if nothing else in the document used the object,
// else the rewrite also changes that other use (shadow replace).
func (s *chgStep) apInPlace(ref pdf.Ref, ap *chgAP, p chgPair) error {
	owner := s.idx.ownerName(ap.owner)
	class := ChangeFormFill
	if a := s.idx.annots[ap.owner]; a != nil && !a.widget {
		class = ChangeAnnotation
	}
	if f := s.idx.fieldOfWidget(ap.owner); f != nil {
		if f.signed || (s.a.signedField != "" && f.name == s.a.signedField) {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the appearance of signature field %s, already signed, is rewritten", chgQuote(f.name)))
			return nil
		}
		if s.a.locked(f.name) {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the appearance of field %s, locked by a FieldMDP signature, is rewritten", chgQuote(f.name)))
			return nil
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
	only, err := s.confined(ref.Num, func(q uint32) bool { return onPath(q, 0) })
	if err != nil {
		return err
	}
	if !only {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the appearance of %s is rewritten in place, but the signed document also uses it elsewhere%s", owner, s.usedBy(ref.Num)))
		return nil
	}
	if _, isStream := p.new.(*pdf.Stream); !isStream {
		od, _ := chgDict(p.old)
		nd, ok := chgDict(p.new)
		if !ok {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the appearance of %s is replaced by something that is neither a stream nor a dictionary", owner))
			return nil
		}
		if err := s.apEntries(ref, owner, od, nd); err != nil {
			return err
		}
	}
	s.a.add(s.i, ref, class, fmt.Sprintf("the appearance of %s rewritten", owner))
	return s.justifyFrom(p.new)
}

// confined reports whether, in the previous revision, every object that
// refers to object n satisfies ok: the test that a change made for one
// purpose (an appearance, the DSS, metadata) changes nothing else the
// document shows through another reference to the same object.
func (s *chgStep) confined(n uint32, ok func(parent uint32) bool) (bool, error) {
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil {
		return false, err
	}
	if refs.over[n] {
		return false, nil
	}
	for _, p := range refs.parents[n] {
		if !ok(p) {
			return false, nil
		}
	}
	return true, nil
}

// confinedChange runs judge if object ref is used only where ok says, and
// otherwise reports the change as other.
func (s *chgStep) confinedChange(ref pdf.Ref, role string, ok func(parent uint32) bool, judge func() error) error {
	only, err := s.confined(ref.Num, ok)
	if err != nil {
		return err
	}
	if !only {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("%s is rewritten, but the signed document also uses the object elsewhere%s", role, s.usedBy(ref.Num)))
		return nil
	}
	return judge()
}

// annotChange judges an existing annotation (not a widget of a field)
// rewritten in place.
func (s *chgStep) annotChange(ref pdf.Ref, an *chgAnnot, old, nw pdf.Object) error {
	nd, ok := chgDict(nw)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("annotation /%s on page %d is replaced by something that is not a dictionary", an.subtype, an.page))
		return nil
	}
	if an.widget {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("widget annotation on page %d, which belongs to no form field, is changed", an.page))
		return nil
	}
	if st, _ := nd.Name("Subtype"); st == "Widget" || st != an.subtype {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("annotation /%s on page %d turned into /%s", an.subtype, an.page, st))
		return nil
	}
	od, _ := chgDict(old)
	what := fmt.Sprintf("annotation /%s on page %d modified", an.subtype, an.page)
	if err := s.refsToOld(ref, fmt.Sprintf("annotation /%s on page %d", an.subtype, an.page), od, nd); err != nil {
		return err
	}
	for _, k := range chgKeys(od, nd) {
		if chgResourceKeys[k] {
			if same, err := s.equal(od[k], nd[k]); err != nil || !same {
				s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("annotation /%s on page %d gains resources (/%s), which annotations never hold", an.subtype, an.page, k))
				return err
			}
			continue
		}
		if !chgDrawKeys[k] {
			continue
		}
		if k == "F" && chgVisible(s.cur, nd) {
			continue // flags changed, still shown
		}
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if !same {
			if err := s.uncovers(ref, fmt.Sprintf("annotation /%s on page %d: /%s changed", an.subtype, an.page, k)); err != nil {
				return err
			}
			break
		}
	}
	s.a.add(s.i, ref, ChangeAnnotation, what)
	return s.justifyFrom(nd)
}

// chgDrawKeys are the annotation keys that decide where and how it is drawn.
var chgDrawKeys = map[pdf.Name]bool{"Rect": true, "AP": true, "AS": true, "F": true, "CA": true, "ca": true, "C": true, "IC": true,
	"BM": true, "OC": true, "Border": true, "BS": true, "BE": true, "RD": true, "QuadPoints": true, "Vertices": true, "InkList": true,
	"L": true, "Path": true, "MK": true}

// uncovers reports a shadow hide: an annotation that the signed revision
// showed over the page, of a kind that covers what lies under it, is
// removed or drawn differently, so signed content the signer could not see
// may now show. That is invalid whatever the permissions.
func (s *chgStep) uncovers(ref pdf.Ref, what string) error {
	signed, err := s.a.index(s.a.sigRev)
	if err != nil {
		return err
	}
	an := signed.annots[ref.Num]
	if an == nil || an.widget || !chgCovering[an.subtype] {
		return nil
	}
	d, err := s.a.r.At(s.a.sigRev).Dict(ref)
	if err != nil || d == nil || !chgVisible(s.a.r.At(s.a.sigRev), d) {
		return err
	}
	s.a.rep.Problems = append(s.a.rep.Problems, Change{Revision: s.i, Object: ref, Class: ChangeAnnotation,
		What: what + fmt.Sprintf(": the /%s annotation covered part of the signed page, so signed content hidden under it may now show (shadow attack)", an.subtype)}.String())
	return nil
}

// refsToOld flags references in nd to existing objects nd did not have.
func (s *chgStep) refsToOld(ref pdf.Ref, what string, od, nd pdf.Dict) error {
	oldRefs := map[pdf.Ref]bool{}
	chgEachRef(od, 0, func(r pdf.Ref) { oldRefs[r] = true })
	bad := ""
	chgEachRef(nd, 0, func(r pdf.Ref) {
		if bad != "" || oldRefs[r] || s.newObjs[r.Num] {
			return
		}
		if s.idx.pages[r.Num] != 0 || s.idx.annots[r.Num] != nil {
			return // /P, /Popup, /Parent, /IRT links to pages and annotations
		}
		bad = fmt.Sprintf("%s now refers to existing object %d%s", what, r.Num, s.usedBy(r.Num))
	})
	if bad != "" {
		s.a.add(s.i, ref, ChangeOther, bad)
	}
	return nil
}

// pageChange judges a page dictionary rewritten in place: a page may gain
// annotations, nothing else.
func (s *chgStep) pageChange(ref pdf.Ref, page int, old, nw pdf.Object) error {
	od, _ := chgDict(old)
	nd, ok := chgDict(nw)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d is replaced by something that is not a dictionary", page))
		return nil
	}
	for _, k := range chgKeys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if same {
			continue
		}
		switch k {
		case "Annots":
			nr, _ := nd[k].(pdf.Ref)
			if or, _ := od[k].(pdf.Ref); nr.Num != 0 && nr == or {
				continue // the array object changed: judged on its own
			}
			if nr.Num != 0 {
				if !s.newObjs[nr.Num] {
					s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d /Annots now points at existing object %d", page, nr.Num))
					continue
				}
				s.justified[nr.Num] = true
			}
			oa, err := s.prev.Array(od[k])
			if err != nil {
				return err
			}
			na, err := s.cur.Array(nd[k])
			if err != nil {
				return err
			}
			if err := s.annots(ref, page, oa, na); err != nil {
				return err
			}
		case "Contents":
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d /Contents replaced: the page shows other content", page))
		case "Resources":
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d /Resources changed (fonts, images or forms the page draws)", page))
		default:
			if err := s.pageKey(ref, fmt.Sprintf("page %d", page), k, nd[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// pageNodeChange judges an intermediate node of the page tree rewritten in
// place: only bookkeeping keys may change.
func (s *chgStep) pageNodeChange(ref pdf.Ref, old, nw pdf.Object) error {
	od, _ := chgDict(old)
	nd, ok := chgDict(nw)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, "a node of the page tree is replaced by something that is not a dictionary")
		return nil
	}
	for _, k := range chgKeys(od, nd) {
		same, err := s.equal(od[k], nd[k])
		if err != nil {
			return err
		}
		if same {
			continue
		}
		if k == "Kids" || k == "Count" {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the page tree's /%s changed: pages added, removed or reordered", k))
			continue
		}
		if err := s.pageKey(ref, "a page tree node", k, nd[k]); err != nil {
			return err
		}
	}
	return nil
}

// chgPageKeys are the keys of page objects and page tree nodes (ISO
// 32000-1 Tables 29 and 30, 32000-2 Table 31) that change what a page shows
// or does; the others are bookkeeping.
var chgPageKeys = map[pdf.Name]bool{"Type": true, "Parent": true, "Kids": true, "Count": true, "Resources": true,
	"MediaBox": true, "CropBox": true, "BleedBox": true, "TrimBox": true, "ArtBox": true, "BoxColorInfo": true,
	"Contents": true, "Rotate": true, "Group": true, "Thumb": true, "B": true, "Dur": true, "Trans": true,
	"Annots": true, "AA": true, "PZ": true, "SeparationInfo": true, "TemplateInstantiated": true, "PresSteps": true,
	"UserUnit": true, "VP": true, "AF": true, "OutputIntents": true, "DPart": true}

// chgResourceKeys are the keys of a resource dictionary: never bookkeeping,
// in case the object also serves as one.
var chgResourceKeys = map[pdf.Name]bool{"ExtGState": true, "ColorSpace": true, "Pattern": true, "Shading": true,
	"XObject": true, "Font": true, "ProcSet": true, "Properties": true}

// pageKey judges a changed key of a page or page tree node other than
// /Annots, /Contents and /Resources.
func (s *chgStep) pageKey(ref pdf.Ref, where string, k pdf.Name, nv pdf.Object) error {
	switch {
	case k == "StructParents" || k == "Tabs":
		// A new field's place in the structure tree and the tab order.
		s.a.add(s.i, ref, ChangeFormFill, fmt.Sprintf("%s /%s set", where, k))
	case chgPageKeys[k] || chgResourceKeys[k]:
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("%s /%s changed", where, k))
		return nil
	default:
		// LastModified, PieceInfo, Metadata, ID and private keys: no
		// viewer draws them.
		s.a.add(s.i, ref, ChangeArchival, fmt.Sprintf("%s /%s (bookkeeping) changed", where, k))
	}
	return s.justifyFrom(nv)
}

// annotList judges a page's indirect /Annots array rewritten in place.
func (s *chgStep) annotList(ref pdf.Ref, page int, old, nw pdf.Object) error {
	oa, _ := old.(pdf.Array)
	na, ok := nw.(pdf.Array)
	if !ok {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d /Annots is replaced by something that is not an array", page))
		return nil
	}
	return s.annots(ref, page, oa, na)
}

// annots compares a page's annotation lists.
func (s *chgStep) annots(ref pdf.Ref, page int, oa, na pdf.Array) error {
	key := func(o pdf.Object) string {
		if r, ok := o.(pdf.Ref); ok {
			return fmt.Sprintf("r%d", r.Num)
		}
		return "d" + string(pdf.Bytes(o))
	}
	inNew := map[string]bool{}
	for _, o := range na {
		inNew[key(o)] = true
	}
	inOld := map[string]bool{}
	var kept []string
	for _, o := range oa {
		k := key(o)
		inOld[k] = true
		if inNew[k] {
			kept = append(kept, k)
			continue
		}
		r, _ := o.(pdf.Ref)
		if an := s.idx.annots[r.Num]; r.Num != 0 && an != nil && an.widget {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the widget of field %s is removed from page %d", chgQuote(s.idx.ownerName(r.Num)), page))
			continue
		}
		d, _ := s.prev.Dict(o)
		st, _ := d.Name("Subtype")
		if st == "Widget" {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("a widget annotation is removed from page %d", page))
			continue
		}
		what := fmt.Sprintf("annotation /%s deleted from page %d", st, page)
		aref := ref
		if r.Num != 0 {
			aref = r
			if err := s.uncovers(r, what); err != nil {
				return err
			}
		}
		s.a.add(s.i, aref, ChangeAnnotation, what)
	}
	var order []string
	for _, o := range na {
		if k := key(o); inOld[k] {
			order = append(order, k)
		}
	}
	if !slices.Equal(kept, order) {
		s.a.add(s.i, ref, ChangeAnnotation, fmt.Sprintf("annotations reordered on page %d (which one is drawn on top)", page))
	}
	for _, o := range na {
		if inOld[key(o)] {
			continue
		}
		r, isRef := o.(pdf.Ref)
		if isRef {
			if _, ok := s.newWidgets[r.Num]; ok {
				continue
			}
		}
		d, err := s.cur.Dict(o)
		if err != nil {
			return err
		}
		if d == nil {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("page %d /Annots gains an entry that is not an annotation", page))
			continue
		}
		st, _ := d.Name("Subtype")
		if st == "Widget" {
			if f := s.idx.fields[r.Num]; isRef && f != nil && f.widget {
				class := ChangeFormFill
				if s.a.locked(f.name) || f.signed || (s.a.signedField != "" && f.name == s.a.signedField) {
					if _, changed := s.changed[r.Num]; !changed {
						class = ChangeOther
					}
				}
				s.a.add(s.i, r, class, fmt.Sprintf("the widget of field %s is placed on page %d", chgQuote(f.name), page))
				continue
			}
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("a widget annotation that belongs to no new signature field is added to page %d", page))
			continue
		}
		what := fmt.Sprintf("new annotation /%s on page %d", st, page)
		aref := ref
		if isRef {
			aref = r
			if !s.newObjs[r.Num] {
				what = fmt.Sprintf("existing object %d added to page %d as an annotation /%s", r.Num, page, st)
			}
		}
		if chgVisible(s.cur, d) && chgCovering[st] {
			s.a.warn("revision %d adds a /%s annotation on page %d that can cover the signed content", s.i, st, page)
		}
		s.a.add(s.i, aref, ChangeAnnotation, what)
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

// chgCovering lists annotation types that draw an opaque or arbitrary
// appearance over the page.
var chgCovering = map[pdf.Name]bool{"FreeText": true, "Stamp": true, "Square": true, "Circle": true, "Polygon": true,
	"Ink": true, "Redact": true, "Watermark": true, "Screen": true, "RichMedia": true, "3D": true, "Caret": false}

// dssValue judges the catalog's /DSS changing to a new or edited value.
func (s *chgStep) dssValue(ref pdf.Ref, what string, old, nw pdf.Object) error {
	nr, _ := nw.(pdf.Ref)
	if or, _ := old.(pdf.Ref); nr.Num != 0 && nr == or {
		return nil // the DSS object changed: judged on its own
	}
	if nr.Num != 0 && !s.newObjs[nr.Num] {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("catalog /DSS now points at existing object %d%s", nr.Num, s.usedBy(nr.Num)))
		return nil
	}
	if nw == nil {
		s.a.add(s.i, ref, ChangeArchival, "DSS removed")
		return nil
	}
	d, err := s.cur.Dict(nw)
	if err != nil {
		return err
	}
	if bad := chgDSSKeys(d); bad != "" {
		s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the DSS holds /%s, which validation data never does", bad))
		return nil
	}
	s.a.add(s.i, ref, ChangeArchival, what)
	return s.justifyFrom(nw)
}

func chgDSSKeys(d pdf.Dict) string {
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
		d, ok := chgDict(nw)
		if !ok {
			s.a.add(s.i, ref, ChangeOther, "the DSS is replaced by something that is not a dictionary")
			return nil
		}
		if bad := chgDSSKeys(d); bad != "" {
			s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the DSS gains /%s, which validation data never holds", bad))
			return nil
		}
	case "stream":
		s.a.add(s.i, ref, ChangeOther, "validation data of the DSS is rewritten in place (it is only ever added)")
		return nil
	}
	s.a.add(s.i, ref, ChangeArchival, "DSS updated")
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

// equal compares two objects structurally: dictionaries and arrays by their
// values, references by number, streams by dictionary and raw bytes.
func (s *chgStep) equal(x, y pdf.Object) (bool, error) {
	budget := chgMaxCompare
	return s.equalDepth(x, y, 0, &budget)
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
			return true, nil
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
		return s.equalDepth(ao, bo, depth+1, budget)
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
		return chgSameBytes(s.prev.RawStream(a), s.cur.RawStream(b))
	}
	return false, nil
}

// chgSameBytes compares two readers to the end.
func chgSameBytes(x, y io.Reader) (bool, error) {
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

// chgSameDirect compares two values without resolving anything.
func chgSameDirect(x, y pdf.Object) bool {
	return bytes.Equal(pdf.Bytes(x), pdf.Bytes(y))
}

func chgDict(o pdf.Object) (pdf.Dict, bool) {
	switch v := o.(type) {
	case pdf.Dict:
		return v, true
	case *pdf.Stream:
		return v.Dict, true
	}
	return nil, false
}

// chgKeys is the sorted union of two dictionaries' keys.
func chgKeys(a, b pdf.Dict) []pdf.Name {
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

// chgVisible says whether an annotation can show anything: a non-empty
// rectangle, neither the Hidden nor the NoView flag, and something to draw
// (an appearance, or the border and background colours of /MK).
func chgVisible(r *pdf.Reader, d pdf.Dict) bool {
	if d["AP"] == nil && d["MK"] == nil {
		return false
	}
	if f, err := r.Resolve(d["F"]); err == nil {
		if n, ok := f.(pdf.Int); ok && n&(2|32) != 0 {
			return false
		}
	}
	rect, err := r.Array(d["Rect"])
	if err != nil || len(rect) != 4 {
		return false
	}
	var v [4]float64
	for i, o := range rect {
		o, _ = r.Resolve(o)
		f, ok := pdf.Number(o)
		if !ok {
			return false
		}
		v[i] = f
	}
	return v[0] != v[2] && v[1] != v[3]
}

func chgHiddenCleared(od, nd pdf.Dict) bool {
	of, _ := od["F"].(pdf.Int)
	nf, _ := nd["F"].(pdf.Int)
	return of&(2|32) != 0 && nf&(2|32) == 0
}

func chgIsDocTS(sd pdf.Dict) bool {
	t, _ := sd.Name("Type")
	sf, _ := sd.Name("SubFilter")
	return t == "DocTimeStamp" || sf == "ETSI.RFC3161"
}

// chgText decodes a PDF text string for a message (UTF-16 with a byte
// order mark, else bytes as they are, control characters dropped).
func chgText(b []byte) string {
	var sb strings.Builder
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		for i := 2; i+1 < len(b); i += 2 {
			r := rune(b[i])<<8 | rune(b[i+1])
			if r >= 0xd800 && r < 0xdc00 && i+3 < len(b) {
				lo := rune(b[i+2])<<8 | rune(b[i+3])
				r = (r-0xd800)<<10 + (lo - 0xdc00) + 0x10000
				i += 2
			}
			if r >= 0x20 {
				sb.WriteRune(r)
			}
		}
		return sb.String()
	}
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else if c >= 0xa0 {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

func chgQuote(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return fmt.Sprintf("%q", name)
}

// chgIndex says what the objects of one revision are for: the roles the
// rules need (catalog, pages, annotations, fields, DSS...). It is built by
// walking the page tree, the annotations and the form, never the content.
type chgIndex struct {
	root, info uint32
	infoParts  map[uint32]bool
	pages      map[uint32]int // page object -> page number (1-based)
	pageNodes  map[uint32]bool
	annotsArr  map[uint32]int
	annots     map[uint32]*chgAnnot
	fields     map[uint32]*chgField // field dictionaries and their widgets
	acroForm   uint32
	fieldsArr  uint32
	dss        map[uint32]string // DSS, array, VRI or stream
	metadata   uint32
	sigDicts   map[uint32]string // signature dictionary -> field name
	ap         map[uint32]*chgAP
	structs    map[uint32]string // built on demand by structRole
	budget     int
}

type chgAnnot struct {
	page    int
	subtype pdf.Name
	widget  bool
}

type chgField struct {
	name   string
	ft     pdf.Name
	signed bool // a signature field with a value
	widget bool // a widget annotation (merged with the field or a kid)
}

// chgAP is an appearance dictionary or stream and the annotation it draws.
type chgAP struct {
	owner  uint32
	parent uint32 // the object holding the reference to it
}

func (a *chgAnalysis) index(rev int) (*chgIndex, error) {
	if x, ok := a.idx[rev]; ok {
		return x, nil
	}
	v := a.r.At(rev)
	x := &chgIndex{root: v.RootRef().Num, infoParts: map[uint32]bool{}, pages: map[uint32]int{}, pageNodes: map[uint32]bool{},
		annotsArr: map[uint32]int{}, annots: map[uint32]*chgAnnot{}, fields: map[uint32]*chgField{}, dss: map[uint32]string{},
		sigDicts: map[uint32]string{}, ap: map[uint32]*chgAP{}, budget: chgMaxFieldTop}
	if ir, ok := v.Trailer()["Info"].(pdf.Ref); ok {
		x.info = ir.Num
		if d, _ := v.Dict(ir); d != nil {
			chgEachRef(d, 0, func(r pdf.Ref) { x.infoParts[r.Num] = true })
		}
	}
	cat, err := v.Catalog()
	if err != nil {
		return nil, err
	}
	if err := x.pageTree(v, cat["Pages"]); err != nil {
		return nil, err
	}
	if err := x.form(v, cat["AcroForm"]); err != nil {
		return nil, err
	}
	x.dssIndex(v, cat["DSS"])
	if m, ok := cat["Metadata"].(pdf.Ref); ok {
		x.metadata = m.Num
	}
	a.idx[rev] = x
	return x, nil
}

func (x *chgIndex) spend() error {
	x.budget--
	if x.budget < 0 {
		return errChgTooComplex
	}
	return nil
}

func (x *chgIndex) pageTree(v *pdf.Reader, root pdf.Object) error {
	seen := map[uint32]bool{}
	var walk func(o pdf.Object, depth int) error
	walk = func(o pdf.Object, depth int) error {
		ref, ok := o.(pdf.Ref)
		if !ok || seen[ref.Num] || depth > v.Limits().MaxNesting {
			return nil
		}
		seen[ref.Num] = true
		if err := x.spend(); err != nil {
			return err
		}
		d, err := v.Dict(ref)
		if err != nil || d == nil {
			return nil
		}
		t, _ := d.Name("Type")
		if kids, has := d["Kids"]; t == "Pages" || (t != "Page" && has) {
			x.pageNodes[ref.Num] = true
			arr, _ := v.Array(kids)
			if kr, ok := kids.(pdf.Ref); ok {
				x.pageNodes[kr.Num] = true
			}
			for _, k := range arr {
				if err := walk(k, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		page := len(x.pages) + 1
		x.pages[ref.Num] = page
		if ar, ok := d["Annots"].(pdf.Ref); ok {
			x.annotsArr[ar.Num] = page
		}
		arr, _ := v.Array(d["Annots"])
		for _, o := range arr {
			ar, ok := o.(pdf.Ref)
			if !ok {
				continue
			}
			if err := x.spend(); err != nil {
				return err
			}
			ad, _ := v.Dict(ar)
			if ad == nil {
				continue
			}
			st, _ := ad.Name("Subtype")
			x.annots[ar.Num] = &chgAnnot{page: page, subtype: st, widget: st == "Widget"}
			x.appearances(v, ar.Num, ad)
		}
		return nil
	}
	return walk(root, 0)
}

// appearances records the appearance dictionaries and streams of an
// annotation.
func (x *chgIndex) appearances(v *pdf.Reader, owner uint32, d pdf.Dict) {
	parent := owner
	ap := d["AP"]
	if r, ok := ap.(pdf.Ref); ok {
		x.ap[r.Num] = &chgAP{owner: owner, parent: owner}
		parent = r.Num
	}
	apd, _ := v.Dict(ap)
	for _, k := range []pdf.Name{"N", "R", "D"} {
		e := apd[k]
		p := parent
		if r, ok := e.(pdf.Ref); ok {
			x.ap[r.Num] = &chgAP{owner: owner, parent: p}
			p = r.Num
		}
		o, _ := v.Resolve(e)
		if states, ok := o.(pdf.Dict); ok {
			for _, s := range states {
				if r, ok := s.(pdf.Ref); ok {
					x.ap[r.Num] = &chgAP{owner: owner, parent: p}
				}
			}
		}
	}
}

func (x *chgIndex) form(v *pdf.Reader, af pdf.Object) error {
	if r, ok := af.(pdf.Ref); ok {
		x.acroForm = r.Num
	}
	d, _ := v.Dict(af)
	if d == nil {
		return nil
	}
	if r, ok := d["Fields"].(pdf.Ref); ok {
		x.fieldsArr = r.Num
	}
	top, _ := v.Array(d["Fields"])
	seen := map[uint32]bool{}
	var walk func(o pdf.Object, parent string, ft pdf.Name, depth int) error
	walk = func(o pdf.Object, parent string, ft pdf.Name, depth int) error {
		ref, ok := o.(pdf.Ref)
		if !ok || seen[ref.Num] || depth > v.Limits().MaxNesting {
			return nil
		}
		seen[ref.Num] = true
		if err := x.spend(); err != nil {
			return err
		}
		fd, _ := v.Dict(ref)
		if fd == nil {
			return nil
		}
		name := parent
		if t, ok := fd["T"].(pdf.String); ok {
			if name != "" {
				name += "."
			}
			name += chgText(t.Bytes)
		}
		if f, ok := fd.Name("FT"); ok {
			ft = f
		}
		_, hasV := fd["V"]
		f := &chgField{name: name, ft: ft, signed: ft == "Sig" && hasV && fd["V"] != nil}
		if st, _ := fd.Name("Subtype"); st == "Widget" {
			f.widget = true
			x.appearances(v, ref.Num, fd)
		}
		x.fields[ref.Num] = f
		if f.signed {
			if sr, ok := fd["V"].(pdf.Ref); ok {
				x.sigDicts[sr.Num] = name
			}
		}
		kids, _ := v.Array(fd["Kids"])
		for _, k := range kids {
			kr, ok := k.(pdf.Ref)
			if !ok {
				continue
			}
			kd, _ := v.Dict(kr)
			if kd == nil {
				continue
			}
			if _, named := kd["T"]; !named {
				if st, _ := kd.Name("Subtype"); st == "Widget" || kd["FT"] == nil {
					if err := x.spend(); err != nil {
						return err
					}
					seen[kr.Num] = true
					x.fields[kr.Num] = &chgField{name: name, ft: ft, signed: f.signed, widget: true}
					x.appearances(v, kr.Num, kd)
					continue
				}
			}
			if err := walk(kr, name, ft, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range top {
		if err := walk(o, "", "", 0); err != nil {
			return err
		}
	}
	return nil
}

func (x *chgIndex) dssIndex(v *pdf.Reader, o pdf.Object) {
	if r, ok := o.(pdf.Ref); ok {
		x.dss[r.Num] = "DSS"
	}
	d, _ := v.Dict(o)
	for _, k := range []pdf.Name{"Certs", "CRLs", "OCSPs"} {
		if r, ok := d[k].(pdf.Ref); ok {
			x.dss[r.Num] = "array"
		}
		arr, _ := v.Array(d[k])
		for _, e := range arr {
			if r, ok := e.(pdf.Ref); ok {
				x.dss[r.Num] = "stream"
			}
		}
	}
	if r, ok := d["VRI"].(pdf.Ref); ok {
		x.dss[r.Num] = "VRI"
	}
	vri, _ := v.Dict(d["VRI"])
	n := 0
	for _, e := range vri {
		if n++; n > 4096 {
			break
		}
		if r, ok := e.(pdf.Ref); ok {
			x.dss[r.Num] = "VRI"
		}
		ed, _ := v.Dict(e)
		for _, k := range []pdf.Name{"Cert", "CRL", "OCSP"} {
			if r, ok := ed[k].(pdf.Ref); ok {
				x.dss[r.Num] = "array"
			}
		}
		if r, ok := ed["TS"].(pdf.Ref); ok {
			x.dss[r.Num] = "stream"
		}
	}
}

// roled reports whether object n has a role that requires a dictionary.
func (x *chgIndex) roled(n uint32) bool {
	return n == x.root || n == x.info || x.infoParts[n] || x.pages[n] != 0 || x.pageNodes[n] || x.annotsArr[n] != 0 ||
		x.annots[n] != nil || x.fields[n] != nil || n == x.acroForm || n == x.fieldsArr || x.dss[n] != "" || x.sigDicts[n] != ""
}

// name names an object of the revision for a message.
func (x *chgIndex) name(n uint32) string {
	switch {
	case n == 0:
		return "the trailer"
	case n == x.root:
		return "the catalog"
	case x.pages[n] != 0:
		return fmt.Sprintf("page %d", x.pages[n])
	case x.fields[n] != nil:
		return "field " + chgQuote(x.fields[n].name)
	case x.annots[n] != nil:
		return fmt.Sprintf("annotation /%s on page %d", x.annots[n].subtype, x.annots[n].page)
	case n == x.acroForm:
		return "the form"
	case x.dss[n] == "DSS":
		return "the DSS"
	}
	return fmt.Sprintf("object %d", n)
}

func (x *chgIndex) fieldName(n uint32) string {
	if f := x.fields[n]; f != nil {
		return f.name
	}
	return fmt.Sprintf("object %d", n)
}

func (x *chgIndex) ownerName(n uint32) string {
	if f := x.fields[n]; f != nil {
		return "field " + chgQuote(f.name)
	}
	if an := x.annots[n]; an != nil {
		return fmt.Sprintf("annotation /%s on page %d", an.subtype, an.page)
	}
	return fmt.Sprintf("object %d", n)
}

func (x *chgIndex) fieldOfWidget(n uint32) *chgField { return x.fields[n] }

func (x *chgIndex) pageOf(o pdf.Object) int {
	if r, ok := o.(pdf.Ref); ok {
		return x.pages[r.Num]
	}
	return 0
}

// chgRefs records, for one revision, which objects refer to which: every
// object reachable from the catalog is read once (stream data is not).
type chgRefs struct {
	count   map[uint32]int       // references to the object (it may not exist)
	in      map[uint32][]chgEdge // the first few of them, for messages
	parents map[uint32][]uint32  // the distinct objects referring to it (0: the trailer)
	over    map[uint32]bool      // too many parents to list
}

type chgEdge struct {
	from uint32
	path string
}

const chgMaxParents = 8

// chgSeg is one step of a path inside an object: a key or an index.
type chgSeg struct {
	key pdf.Name
	idx int
}

func chgPath(segs []chgSeg) string {
	var b strings.Builder
	for _, g := range segs {
		if g.key != "" {
			b.WriteString("/" + string(g.key))
		} else {
			fmt.Fprintf(&b, "[%d]", g.idx)
		}
	}
	return b.String()
}

func (a *chgAnalysis) refIndex(rev int) (*chgRefs, error) {
	if x, ok := a.refs[rev]; ok {
		return x, nil
	}
	v := a.r.At(rev)
	x := &chgRefs{count: map[uint32]int{}, in: map[uint32][]chgEdge{}, parents: map[uint32][]uint32{}, over: map[uint32]bool{}}
	visited := map[uint32]bool{}
	var queue []uint32
	refsSeen := 0
	var path []chgSeg
	note := func(from uint32, r pdf.Ref) {
		refsSeen++
		x.count[r.Num]++
		if len(x.in[r.Num]) < 3 {
			x.in[r.Num] = append(x.in[r.Num], chgEdge{from: from, path: chgPath(path)})
		}
		if ps := x.parents[r.Num]; !x.over[r.Num] && !slices.Contains(ps, from) {
			if len(ps) == chgMaxParents {
				x.over[r.Num] = true
			} else {
				x.parents[r.Num] = append(ps, from)
			}
		}
		if !visited[r.Num] {
			if _, used := v.Lookup(r.Num); used {
				visited[r.Num] = true
				queue = append(queue, r.Num)
			}
		}
	}
	path = append(path, chgSeg{key: "Root"})
	note(0, v.RootRef())
	path = path[:0]
	var visit func(from uint32, o pdf.Object, depth int)
	visit = func(from uint32, o pdf.Object, depth int) {
		if depth > 64 {
			return
		}
		switch t := o.(type) {
		case pdf.Ref:
			note(from, t)
		case pdf.Array:
			for i, e := range t {
				switch e.(type) {
				case pdf.Ref, pdf.Array, pdf.Dict:
					path = append(path, chgSeg{idx: i})
					visit(from, e, depth+1)
					path = path[:len(path)-1]
				}
			}
		case pdf.Dict:
			for k, e := range t {
				switch e.(type) {
				case pdf.Ref, pdf.Array, pdf.Dict:
					path = append(path, chgSeg{key: k})
					visit(from, e, depth+1)
					path = path[:len(path)-1]
				}
			}
		case *pdf.Stream:
			visit(from, t.Dict, depth+1)
		}
	}
	for len(queue) > 0 {
		a.work++
		if len(visited) > chgMaxWalk || refsSeen > chgMaxRefs || a.work > chgMaxWork {
			return nil, errChgTooComplex
		}
		if len(visited)%4096 == 0 {
			if err := a.ctx.Err(); err != nil {
				return nil, err
			}
		}
		n := queue[0]
		queue = queue[1:]
		o, err := v.Get(pdf.Ref{Num: n})
		if err != nil {
			continue // a damaged object refers to nothing
		}
		visit(n, o, 0)
	}
	a.refs[rev] = x
	return x, nil
}

// structRole says what object n is in revision rev's structure tree (the
// tags of a tagged PDF): "root", "elem" or "tree" (parent tree, ID tree
// and their arrays), or "" when it is not part of it. The tree is indexed
// on first use: only changes nothing else explains need it.
func (a *chgAnalysis) structRole(rev int, n uint32) (string, error) {
	x, err := a.index(rev)
	if err != nil {
		return "", err
	}
	if x.structs == nil {
		x.structs = map[uint32]string{}
		v := a.r.At(rev)
		cat, err := v.Catalog()
		if err != nil {
			return "", err
		}
		budget := chgMaxFieldTop
		var walk func(o pdf.Object, role string, depth int)
		walk = func(o pdf.Object, role string, depth int) {
			if budget--; budget < 0 || depth > 64 {
				return
			}
			if r, ok := o.(pdf.Ref); ok {
				if x.structs[r.Num] != "" {
					return
				}
				x.structs[r.Num] = role
			}
			d, _ := v.Resolve(o)
			switch t := d.(type) {
			case pdf.Array:
				for _, e := range t {
					walk(e, role, depth+1)
				}
			case pdf.Dict:
				switch role {
				case "root":
					walk(t["K"], "elem", depth+1)
					walk(t["ParentTree"], "tree", depth+1)
					walk(t["IDTree"], "tree", depth+1)
				case "elem":
					if _, isElem := t["S"]; isElem || t["Type"] == pdf.Name("StructElem") {
						walk(t["K"], "elem", depth+1)
					}
				case "tree":
					walk(t["Kids"], "tree", depth+1)
					if nums, _ := v.Array(t["Nums"]); nums != nil {
						for i := 1; i < len(nums); i += 2 {
							walk(nums[i], "tree", depth+1)
						}
					}
				}
			}
		}
		walk(cat["StructTreeRoot"], "root", 0)
	}
	return x.structs[n], nil
}

// structChange judges a part of the structure tree rewritten in place, as
// tools do when they add a field to a tagged document: the tree may gain
// entries, but what an element says (/Alt, /ActualText, /S ...) may not
// change.
func (s *chgStep) structChange(ref pdf.Ref, role string, old, nw pdf.Object) error {
	od, oIsDict := chgDict(old)
	nd, nIsDict := chgDict(nw)
	if oIsDict != nIsDict {
		s.a.add(s.i, ref, ChangeOther, "a part of the structure tree (tags) changes kind")
		return nil
	}
	if oIsDict {
		for _, k := range chgKeys(od, nd) {
			same, err := s.equal(od[k], nd[k])
			if err != nil {
				return err
			}
			if same {
				continue
			}
			switch {
			case k == "K", role == "tree", role == "root" && (k == "ParentTree" || k == "ParentTreeNextKey" || k == "IDTree"):
			default:
				s.a.add(s.i, ref, ChangeOther, fmt.Sprintf("the structure tree (tags) entry /%s changed", k))
				return nil
			}
		}
	}
	s.a.add(s.i, ref, ChangeFormFill, "document structure (tags) updated")
	return s.justifyFrom(nw)
}
