package diff

import (
	"bytes"
	"context"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"fmt"
	"github.com/kyso-project/kyso/internal/pdf"
)

// Finding is one conclusion of the analysis: a rule that explains (or
// refuses) a change of one object in one revision.
type Finding struct {
	Rule     string
	Revision int // -1: after the last revision
	Object   pdf.Ref
	Level    Level
	// What says it for people: "page 1 /Contents replaced".
	What string
}

func (f Finding) String() string {
	if f.Revision < 0 {
		return f.What
	}
	if f.Object.Num == 0 {
		return i18n.Sprintf("revision %d: %s", f.Revision, f.What)
	}
	return i18n.Sprintf("revision %d: %s (object %d)", f.Revision, f.What, f.Object.Num)
}

// Problem is a finding that makes the signature invalid, and why.
type Problem struct {
	Finding
	Message string
}

// Result is what the revisions after a signature changed.
type Result struct {
	// Level is the worst level of all findings.
	Level    Level
	Findings []Finding
	// Problems are the findings the permission does not allow (see
	// problems), each with a message naming the object and what changed.
	Problems []Problem
	Warnings []string
}

// Options are what a signature permits after it.
type Options struct {
	// SignedField is the signature's own field, which no later revision
	// may change.
	SignedField string
	// DocMDP is P of a certification signature (1, 2 or 3), 0 for none.
	DocMDP int
	// FieldLocks are the FieldMDP locks in force (a /TransformParams or
	// /Lock dictionary each).
	FieldLocks []pdf.Dict
	// Policy is the rules in force; nil for DefaultPolicy.
	Policy *Policy
}

// Bounds on the work one analysis may do; beyond them it fails closed.
const (
	maxWalk    = 1 << 20 // objects visited by one reference walk
	maxRefs    = 1 << 23 // references followed by one walk
	maxCompare = 1 << 16 // values compared in one object
	maxTail    = 1 << 24 // bytes after the last %%EOF that are scanned
	// maxTailSpace is the white space after the last %%EOF that is
	// nothing; more keeps startxref out of the last 1024 bytes.
	maxTailSpace = 512
	maxFieldTop  = 1 << 16 // fields and annotations indexed per revision
	maxWork      = 1 << 22 // objects visited by all walks of one analysis
)

// ErrTooComplex is the reason a document is judged other when its
// analysis would do too much work.
var ErrTooComplex = errors.New("the document is too large or too deeply linked to analyse")

// defaultPolicy is made on first use: the rules register as package
// variables, which a package-level policy could be initialised before.
var defaultPolicy = sync.OnceValue(DefaultPolicy)

// Analyze compares every revision after the signed one (sigRev, the
// revision the signature covers) with the one before it, object by object:
// each changed, new or freed object is judged by the rules of its role,
// and nothing is allowed unless a rule explains it.
//
// Only objects listed by later revisions and what they refer to are read;
// stream data is compared raw and never decoded. The error is for a
// cancelled context and for arguments out of range; a damaged later
// revision is a finding, not an error.
func Analyze(ctx context.Context, r *pdf.Reader, sigRev int, o Options) (*Result, error) {
	revs := r.Revisions()
	if sigRev < 0 || sigRev >= len(revs) {
		return nil, i18n.Errorf("signed revision %d out of range (the file has %d)", sigRev, len(revs))
	}
	pol := o.Policy
	if pol == nil {
		pol = defaultPolicy()
	}
	a := &chgAnalysis{ctx: ctx, r: r, sigRev: sigRev, opt: o, pol: pol,
		rep: &Result{}, idx: map[int]*chgIndex{}, refs: map[int]*chgRefs{}}
	for _, l := range o.FieldLocks {
		a.locks = append(a.locks, readLock(r, l))
	}
	if err := a.tail(); err != nil {
		return nil, err
	}
	a.signedRevisions()
	scan := int64(maxUpdateScan)
	for i := sigRev + 1; i < len(revs); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		err := a.revision(i)
		if err == nil {
			err = a.rebuildRisks(i, &scan)
		}
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			a.find(i, pdf.Ref{}, RoleFile, ruleUnanalysable, i18n.Sprintf("the revision cannot be analysed: %v", err))
		}
	}
	a.ambiguities()
	a.rep.problems(pol, o.DocMDP)
	return a.rep, nil
}

// problems derives the level and the problems from the findings: the one
// place where a permission is applied. A finding is a problem when its
// level is Other, when its rule rejects whatever the permission, or when a
// certification signature's P does not allow its level.
func (res *Result) problems(pol *Policy, docMDP int) {
	for _, f := range res.Findings {
		res.Level = max(res.Level, f.Level)
		ru := pol.rules[f.Rule]
		switch {
		case f.Level == Other || ru.Reject:
			res.Problems = append(res.Problems, Problem{f, f.String()})
		case docMDP != 0 && !Allowed(f.Level, docMDP):
			res.Problems = append(res.Problems, Problem{f, i18n.Sprintf("%s: the certification signature (DocMDP P=%d) does not permit %s", f, docMDP, levelNoun[f.Level])})
		}
	}
}

type chgAnalysis struct {
	ctx    context.Context
	r      *pdf.Reader
	sigRev int
	opt    Options
	pol    *Policy
	rep    *Result
	locks  []lock
	idx    map[int]*chgIndex
	refs   map[int]*chgRefs
	// work counts the objects the reference walks visited, so that many
	// revisions of a large document fail closed instead of running long.
	work int
}

func (a *chgAnalysis) locked(name string) bool { return locked(a.locks, name) }

// find records a finding of rule id about an object of the given role. A
// rule that is not in the policy, or that does not judge objects of that
// role, explains nothing: the change becomes Unexplained.
func (a *chgAnalysis) find(rev int, ref pdf.Ref, role Role, id string, what string) {
	ru, ok := a.pol.rules[id]
	switch {
	case !ok:
		ru = a.pol.rules[Unexplained]
		what = i18n.Sprintf("%s (rule %s is not in the policy)", what, id)
	case id != Unexplained && !slices.Contains(ru.Roles, role):
		ru = a.pol.rules[Unexplained]
		what = i18n.Sprintf("%s (rule %s does not judge the role %s)", what, id, role)
	}
	a.rep.Findings = append(a.rep.Findings, Finding{Rule: ru.ID, Revision: rev, Object: ref, Level: ru.Level, What: what})
}

func (a *chgAnalysis) warn(format string, args ...any) {
	a.rep.Warnings = append(a.rep.Warnings, i18n.Sprintf(format, args...))
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
	n := min(size-last.End, maxTail)
	buf := make([]byte, n)
	if _, err := a.r.ReaderAt().ReadAt(buf, last.End); err != nil && err != io.EOF {
		return i18n.Errorf("reading the end of the file: %v", err)
	}
	if len(bytes.Trim(buf, " \t\r\n\f\x00")) == 0 {
		// qpdf looks for startxref in the last 1024 bytes: past that it
		// rebuilds the cross-reference from the file.
		if size-last.End > maxTailSpace {
			a.find(-1, pdf.Ref{}, RoleFile, ruleTailUpdate, i18n.Sprintf("the %d bytes of white space after the last %%%%EOF (offset %d) push startxref out of the last 1024 bytes, where some readers look for it: they rebuild the cross-reference from the file instead", size-last.End, last.End))
		}
		return nil
	}
	if m := chgUpdateSyntax.Find(buf); m != nil {
		a.find(-1, pdf.Ref{}, RoleFile, ruleTailUpdate, i18n.Sprintf("the %d bytes after the last %%%%EOF (offset %d) hold %q: an update without a usable cross-reference section, which some viewers show",
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
	a         *chgAnalysis
	i         int
	prev, cur *pdf.Reader
	idx       *chgIndex
	changed   map[uint32]chgPair
	newObjs   map[uint32]bool
	done      map[uint32]bool
	// justified are the new objects an accepted change refers to (or
	// identical copies of signed objects); any other new object that a
	// changed object reaches is Unexplained.
	justified  map[uint32]bool
	copies     []uint32          // identical copies seen by the comparison running
	unused     map[uint32]bool   // changed objects neither revision uses
	newWidgets map[uint32]string // widget of a new signature field -> field name
	// role is the role of the object being judged: a rule explains only
	// objects of the roles it declares.
	role Role
}

// find records a finding about an object of the role being judged.
func (s *chgStep) find(ref pdf.Ref, id, what string) { s.a.find(s.i, ref, s.role, id, what) }

// as judges a part of an object in another role: a form written directly
// in the catalog is judged as the form, its field list as a field list.
func (s *chgStep) as(role Role, judge func() error) error {
	saved := s.role
	s.role = role
	defer func() { s.role = saved }()
	return judge()
}

func (a *chgAnalysis) revision(i int) error {
	revs := a.r.Revisions()
	rv := revs[i]
	s := &chgStep{a: a, i: i, prev: a.r.At(i - 1), cur: a.r.At(i), changed: map[uint32]chgPair{},
		newObjs: map[uint32]bool{}, done: map[uint32]bool{}, justified: map[uint32]bool{}, unused: map[uint32]bool{},
		newWidgets: map[uint32]string{}, role: RoleFile}
	signedEnd := revs[a.sigRev].End
	if rv.XrefOffset < signedEnd {
		s.find(pdf.Ref{}, ruleXrefInSigned, i18n.Sprintf("its cross-reference section lies at offset %d, inside the signed bytes (which end at %d)", rv.XrefOffset, signedEnd))
	}
	if len(rv.Duplicates) > 0 {
		d := slices.Clone(rv.Duplicates)
		slices.Sort(d)
		d = slices.Compact(d)
		s.find(pdf.Ref{Num: d[0]}, ruleXrefDup, i18n.Sprintf("its cross-reference section lists %s twice, which readers resolve differently%s", plural(len(d), "object"), listNums(d)))
	}
	if d := hybridFreed(rv, a.r.At(a.sigRev)); len(d) > 0 {
		s.find(pdf.Ref{Num: d[0]}, ruleHybrid, i18n.Sprintf("its hybrid cross-reference section marks %s of the signed document free in its table but in use in its /XRefStm stream: viewers that follow the table delete what the others (and this analysis) show%s",
			plural(len(d), "object"), listNums(d)))
	}
	pt, ct := s.prev.Trailer(), s.cur.Trailer()
	newRoot := false
	if or, nr := s.prev.RootRef(), s.cur.RootRef(); or != nr {
		// Some writers (pdfsign) write the catalog anew under a new number
		// in every update: judge it as a change of the old catalog. An
		// existing object becoming the catalog is never right.
		if _, used := s.prev.Lookup(nr.Num); used {
			s.find(nr, ruleRootExisting, i18n.Sprintf("the trailer's /Root makes existing object %d the document catalog (it was object %d)", nr.Num, or.Num))
		} else {
			newRoot = true
		}
	}
	if !sameDirect(pt["Encrypt"], ct["Encrypt"]) {
		s.find(pdf.Ref{}, ruleEncrypt, "the trailer's /Encrypt changed")
	}
	xrefObj := map[uint32]bool{}
	for _, x := range rv.XrefObjects {
		xrefObj[x] = true
		if _, used := s.prev.Lookup(x); used {
			s.find(pdf.Ref{Num: x}, ruleXrefNumber, i18n.Sprintf("its cross-reference stream takes the number of existing object %d", x))
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
				s.a.find(i, pdf.Ref{Num: n}, RoleFreed, ruleFreed, "an object of the signed document is deleted (freed)"+s.usedBy(n))
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
		old, err := s.prev.GetNum(n)
		if err != nil {
			s.a.find(i, pdf.Ref{Num: n}, RoleObject, ruleUnreadable, i18n.Sprintf("the object as revision %d had it cannot be read: %v", i-1, err))
			continue
		}
		nw, err := s.cur.GetNum(n)
		if err != nil {
			s.a.find(i, pdf.Ref{Num: n}, RoleObject, ruleUnreadable, i18n.Sprintf("the object as this revision writes it cannot be read: %v", err))
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
				s.a.find(i, pdf.Ref{Num: n}, RoleObjStm, ruleObjStm, "an object stream of the signed document is replaced, changing every object stored in it")
				continue
			}
		}
		s.changed[n] = chgPair{old, nw}
	}
	if !sameDirect(pt["Info"], ct["Info"]) {
		s.find(pdf.Ref{}, ruleInfoReplaced, "document information (/Info) replaced")
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
			s.a.find(i, pdf.Ref{Num: idx.root}, RoleCatalog, ruleCatalogTwice, "the old catalog is rewritten while a new one takes its place")
		}
		s.changed[idx.root] = chgPair{old, nw}
	}
	if err := s.classify(); err != nil {
		return err
	}
	return s.newObjects()
}

// judgeOne runs a role's judge on one changed object; a judge that
// explains nothing leaves the object Unexplained.
func (s *chgStep) judgeOne(n uint32, judge func() error) error {
	s.done[n] = true
	before := len(s.a.rep.Findings)
	s.role = RoleObject
	if err := judge(); err != nil {
		return err
	}
	if len(s.a.rep.Findings) == before {
		s.find(pdf.Ref{Num: n}, Unexplained, "an object of the signed document is changed and no rule explains it"+s.usedBy(n))
	}
	return nil
}

// classify explains each changed object, in an order where containers come
// before what they contain (the form before pages, so that widgets of new
// signature fields are known when pages gain them).
func (s *chgStep) classify() error {
	if p, ok := s.changed[s.idx.root]; ok {
		if err := s.judgeOne(s.idx.root, func() error { return s.as(RoleCatalog, func() error { return s.catalog(p) }) }); err != nil {
			return err
		}
	}
	for _, n := range []uint32{s.idx.acroForm, s.idx.fieldsArr} {
		if p, ok := s.changed[n]; ok && n != 0 && !s.done[n] {
			if err := s.judgeOne(n, func() error { return s.judge(n, p) }); err != nil {
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
		p := s.changed[n]
		if err := s.judgeOne(n, func() error { return s.judge(n, p) }); err != nil {
			return err
		}
	}
	return nil
}

// RoleOf says what object n is for in the signed revision: its most
// sensitive role.
func (s *chgStep) roleOf(n uint32) (Role, string, error) {
	x := s.idx
	switch {
	case n == x.root:
		return RoleCatalog, "", nil
	case n == x.acroForm:
		return RoleForm, "", nil
	case n == x.fieldsArr:
		return RoleFieldList, "", nil
	case x.sigDicts[n] != "":
		return RoleSignature, "", nil
	case x.pages[n] != 0:
		return RolePage, "", nil
	case x.pageNodes[n]:
		return RolePageNode, "", nil
	case x.annotsArr[n] != 0:
		return RoleAnnotList, "", nil
	case x.fields[n] != nil:
		return RoleField, "", nil
	case x.annots[n] != nil:
		return RoleAnnot, "", nil
	case x.dss[n] != "":
		return RoleDSS, "", nil
	case x.metadata == n:
		return RoleMetadata, "", nil
	case x.ap[n] != nil:
		return RoleAppearance, "", nil
	case x.info == n || x.infoParts[n]:
		return RoleInfo, "", nil
	case x.extensions[n]:
		return RoleExtensions, "", nil
	}
	role, err := s.a.structRole(s.i-1, n)
	if err != nil || role != "" {
		return RoleStruct, role, err
	}
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil {
		return "", "", err
	}
	if refs.count[n] == 0 {
		return RoleUnused, "", nil
	}
	return RoleObject, "", nil
}

// judge runs the judge of a changed object's role.
func (s *chgStep) judge(n uint32, p chgPair) error {
	ref := pdf.Ref{Num: n}
	role, sub, err := s.roleOf(n)
	if err != nil {
		return err
	}
	s.role = role
	_, oldStream := p.old.(*pdf.Stream)
	_, newStream := p.new.(*pdf.Stream)
	if (oldStream || newStream) && s.idx.roled(n) && role != RoleAppearance && role != RoleMetadata && s.idx.dss[n] != "stream" {
		// A page, field, annotation... that is (or becomes) a stream
		// can also be drawn as a form XObject.
		s.find(ref, ruleNotDict, "an object that must be a dictionary is, or becomes, a stream"+s.usedBy(n))
		return nil
	}
	switch role {
	case RoleCatalog:
		return s.catalog(p)
	case RoleForm:
		return s.acroForm(ref, p.old, p.new)
	case RoleFieldList:
		return s.fieldList(ref, p.old, p.new)
	case RoleSignature:
		s.find(ref, ruleSigDict, i18n.Sprintf("the signature dictionary of field %s is changed", quote(s.idx.sigDicts[n])))
	case RolePage:
		return s.pageChange(ref, s.idx.pages[n], p.old, p.new)
	case RolePageNode:
		return s.pageNodeChange(ref, p.old, p.new)
	case RoleAnnotList:
		return s.confinedChange(ref, "a page's /Annots array", func(q uint32) bool { return s.idx.pages[q] != 0 }, func() error {
			return s.annotList(ref, s.idx.annotsArr[n], p.old, p.new)
		})
	case RoleField:
		return s.fieldChange(ref, s.idx.fields[n], p.old, p.new)
	case RoleAnnot:
		return s.annotChange(ref, s.idx.annots[n], p.old, p.new)
	case RoleDSS:
		return s.confinedChange(ref, "a part of the DSS", func(q uint32) bool { return q == s.idx.root || s.idx.dss[q] != "" }, func() error {
			return s.dssPart(ref, s.idx.dss[n], p.old, p.new)
		})
	case RoleMetadata:
		return s.confinedChange(ref, "the XMP metadata stream", func(q uint32) bool { return q == s.idx.root }, func() error {
			s.find(ref, ruleMetadata, "XMP metadata updated")
			return s.justifyFrom(p.new)
		})
	case RoleAppearance:
		return s.apInPlace(ref, s.idx.ap[n], p)
	case RoleInfo:
		// Only if nothing in the document itself uses it.
		return s.confinedChange(ref, "the document information (/Info)", func(uint32) bool { return false }, func() error {
			s.find(ref, ruleInfoUpdated, "document information (/Info) updated")
			return s.justifyFrom(p.new)
		})
	case RoleExtensions:
		return s.confinedChange(ref, "the catalog's "+s.idx.extName[n], func(q uint32) bool { return q == s.idx.root || s.idx.extensions[q] }, func() error {
			s.find(ref, ruleExtensions, i18n.Sprintf("catalog %s updated", s.idx.extName[n]))
			return s.justifyFrom(p.new)
		})
	case RoleStruct:
		return s.confinedChange(ref, "a part of the structure tree", func(q uint32) bool {
			r, _ := s.a.structRole(s.i-1, q)
			return q == s.idx.root || r != ""
		}, func() error { return s.structChange(ref, sub, p.old, p.new) })
	case RoleUnused:
		// Unreachable before and after (else a change that makes it
		// reachable is judged): nothing shows it, unless an object kyso
		// cannot read refers to it.
		if hidden, err := s.hiddenUse(ref, "an object no readable object uses is rewritten"); err != nil || hidden {
			return err
		}
		s.unused[n] = true
		s.find(ref, ruleUnused, "an object nothing uses is rewritten")
	}
	// RoleObject: no rule explains a change of an object the signed
	// document uses for nothing known; judgeOne makes it Unexplained.
	return nil
}

// newObjects judges the new objects. One that an unchanged signed object
// already referred to fills a dangling reference (other); one that a
// changed object reaches must have been referred to by an accepted change
// (justified), else it is Unexplained; the rest nothing reaches (orphans,
// object streams) and are nothing.
func (s *chgStep) newObjects() error {
	if len(s.newObjs) == 0 {
		return nil
	}
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil {
		return err
	}
	reached := map[uint32]bool{}
	var queue []uint32
	reach := func(o pdf.Object) {
		eachRef(o, 0, func(r pdf.Ref) {
			if s.newObjs[r.Num] && !reached[r.Num] {
				reached[r.Num] = true
				queue = append(queue, r.Num)
			}
		})
	}
	for n, p := range s.changed {
		if !s.unused[n] {
			reach(p.new)
		}
	}
	ct := s.cur.Trailer()
	reach(ct["Root"])
	reach(ct["Info"])
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if len(reached) > maxWalk {
			return ErrTooComplex
		}
		if o, err := s.cur.GetNum(n); err == nil {
			reach(o)
		}
	}
	nums := make([]uint32, 0, len(s.newObjs))
	for n := range s.newObjs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	s.role = RoleNew
	for _, n := range nums {
		switch {
		case refs.count[n] > 0:
			s.find(pdf.Ref{Num: n}, ruleDangling, i18n.Sprintf("a new object fills a reference the signed document already made while it did not exist%s", s.usedBy(n)))
		case reached[n] && !s.justified[n]:
			s.find(pdf.Ref{Num: n}, ruleNewUnref, "a new object is referred to by a change that no rule accepted")
		case !reached[n] && !s.justified[n]:
			// An orphan is nothing, unless an object kyso cannot read
			// refers to it (a dangling reference filled).
			if _, err := s.hiddenUse(pdf.Ref{Num: n}, "a new object that nothing readable refers to is added"); err != nil {
				return err
			}
		}
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
		o, err := s.cur.GetNum(n)
		if err != nil {
			return i18n.Errorf("object %d: %v", n, err)
		}
		eachRef(o, 0, func(r pdf.Ref) {
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
	eachRef(o, 0, func(r pdf.Ref) {
		if e := s.justify(r); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// eachRef calls fn for every reference directly inside o (not following
// references).
func eachRef(o pdf.Object, depth int, fn func(pdf.Ref)) {
	if depth > 64 {
		return
	}
	switch v := o.(type) {
	case pdf.Ref:
		fn(v)
	case pdf.Array:
		for _, e := range v {
			eachRef(e, depth+1, fn)
		}
	case pdf.Dict:
		for _, e := range v {
			eachRef(e, depth+1, fn)
		}
	case *pdf.Stream:
		eachRef(v.Dict, depth+1, fn)
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
		more = i18n.Sprintf(" and %d more", c-len(parts))
	}
	return " (used as " + strings.Join(parts, ", ") + more + ")"
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
	if refs.over[n] || len(refs.damaged) > 0 {
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
// otherwise refuses the change (object.shared).
func (s *chgStep) confinedChange(ref pdf.Ref, role string, ok func(parent uint32) bool, judge func() error) error {
	if hidden, err := s.hiddenUse(ref, i18n.Sprintf("%s is rewritten", role)); err != nil || hidden {
		return err
	}
	only, err := s.confined(ref.Num, ok)
	if err != nil {
		return err
	}
	if !only {
		s.find(ref, ruleShared, i18n.Sprintf("%s is rewritten, but the signed document also uses the object elsewhere%s", role, s.usedBy(ref.Num)))
		return nil
	}
	return judge()
}

// newValue judges a value that now points at another indirect object: a
// new object is fine (the caller's rule justifies it), an existing one is
// refused by rule id. It returns whether the caller may go on.
func (s *chgStep) newValue(owner pdf.Ref, id string, old, nw pdf.Object, what string) bool {
	nr, ok := nw.(pdf.Ref)
	if !ok || nr.Num == 0 {
		return true
	}
	if or, _ := old.(pdf.Ref); or == nr {
		return true
	}
	if !s.newObjs[nr.Num] {
		s.find(owner, id, i18n.Sprintf(what, nr.Num))
		return false
	}
	return true
}

// container justifies a new container object (a form, a field list, an
// annotation list) alone: what it holds is judged entry by entry.
func (s *chgStep) container(o pdf.Object) {
	if r, ok := o.(pdf.Ref); ok && s.newObjs[r.Num] {
		s.justified[r.Num] = true
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return i18n.Sprintf("%d %s", n, what)
	}
	return i18n.Sprintf("%d %ss", n, what)
}

// listNums names the first few object numbers: " (5, 7, 9 ...)", or
// nothing for one (the finding names it).
func listNums(nums []uint32) string {
	if len(nums) < 2 {
		return ""
	}
	var b strings.Builder
	b.WriteString(" (")
	for i, n := range nums {
		if i == 5 {
			b.WriteString(" ...")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", n)
	}
	b.WriteString(")")
	return b.String()
}
