package diff

import (
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"slices"
	"strings"

	"github.com/kyso-project/kyso/internal/pdf"
)

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
	// direct are the annotation dictionaries written directly in a
	// page's /Annots, by page and by what decides how they draw (drawSig):
	// they have no number to follow from one revision to the next.
	direct    map[int]map[string]pdf.Dict
	fields    map[uint32]*chgField // field dictionaries and their widgets
	acroForm  uint32
	fieldsArr uint32
	dss       map[uint32]string // DSS, array, VRI or stream
	metadata  uint32
	sigDicts  map[uint32]string // signature dictionary -> field name
	ap        map[uint32]*chgAP
	structs   map[uint32]string // built on demand by structRole
	// extensions are the catalog's indirect /Extensions and /MarkInfo
	// and the extension dictionaries in /Extensions; extName names them.
	extensions map[uint32]bool
	extName    map[uint32]string
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
		annotsArr: map[uint32]int{}, annots: map[uint32]*chgAnnot{}, direct: map[int]map[string]pdf.Dict{}, fields: map[uint32]*chgField{}, dss: map[uint32]string{},
		sigDicts: map[uint32]string{}, ap: map[uint32]*chgAP{}, budget: maxFieldTop,
		extensions: map[uint32]bool{}, extName: map[uint32]string{}}
	if ir, ok := v.Trailer()["Info"].(pdf.Ref); ok {
		x.info = ir.Num
		if d, _ := v.Dict(ir); d != nil {
			eachRef(d, 0, func(r pdf.Ref) { x.infoParts[r.Num] = true })
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
	x.extensionsIndex(v, cat)
	a.idx[rev] = x
	return x, nil
}

func (x *chgIndex) spend() error {
	x.budget--
	if x.budget < 0 {
		return ErrTooComplex
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
			if err := x.spend(); err != nil {
				return err
			}
			ar, ok := o.(pdf.Ref)
			if !ok {
				if ad, isDict := o.(pdf.Dict); isDict {
					if x.direct[page] == nil {
						x.direct[page] = map[string]pdf.Dict{}
					}
					x.direct[page][drawSig(v, ad)] = ad
				}
				continue
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
	return v.WalkFields(top, nil, func(f *pdf.Field) (bool, error) {
		n := f.Ref.Num
		if n == 0 {
			return false, nil // a field written directly in /Kids: not an object a revision can change
		}
		if err := x.spend(); err != nil {
			return false, err
		}
		if f.Parent != nil {
			if _, named := f.Dict["T"]; !named && (f.Widget() || f.Dict["FT"] == nil) {
				// A widget of its parent field.
				parent := x.fields[f.Parent.Ref.Num]
				x.fields[n] = &chgField{name: f.Name, ft: f.FT, signed: parent != nil && parent.signed, widget: true}
				x.appearances(v, n, f.Dict)
				return false, nil
			}
		}
		v0, hasV := f.Dict["V"]
		fl := &chgField{name: f.Name, ft: f.FT, signed: f.FT == "Sig" && hasV && v0 != nil, widget: f.Widget()}
		if fl.widget {
			x.appearances(v, n, f.Dict)
		}
		x.fields[n] = fl
		if sr, ok := v0.(pdf.Ref); ok && fl.signed {
			x.sigDicts[sr.Num] = f.Name
		}
		return true, nil
	})
}

func (x *chgIndex) dssIndex(v *pdf.Reader, o pdf.Object) {
	x.dssPart(o, "DSS")
	d, _ := v.Dict(o)
	for _, k := range []pdf.Name{"Certs", "CRLs", "OCSPs"} {
		x.dssPart(d[k], "array")
		arr, _ := v.Array(d[k])
		for _, e := range arr {
			x.dssPart(e, "stream")
		}
	}
	x.dssPart(d["VRI"], "VRI")
	vri, _ := v.Dict(d["VRI"])
	n := 0
	for _, e := range vri {
		if n++; n > 4096 {
			break
		}
		x.dssPart(e, "VRI")
		ed, _ := v.Dict(e)
		for _, k := range []pdf.Name{"Cert", "CRL", "OCSP"} {
			x.dssPart(ed[k], "array")
		}
		x.dssPart(ed["TS"], "stream")
	}
}

// dssPart records o, when it is a reference, as a part of the DSS in this
// role.
func (x *chgIndex) dssPart(o pdf.Object, role string) {
	if r, ok := o.(pdf.Ref); ok {
		x.dss[r.Num] = role
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
		return i18n.Sprintf("page %d", x.pages[n])
	case x.fields[n] != nil:
		return "field " + quote(x.fields[n].name)
	case x.annots[n] != nil:
		return i18n.Sprintf("annotation /%s on page %d", x.annots[n].subtype, x.annots[n].page)
	case n == x.acroForm:
		return "the form"
	case x.dss[n] == "DSS":
		return "the DSS"
	}
	return i18n.Sprintf("object %d", n)
}

func (x *chgIndex) fieldName(n uint32) string {
	if f := x.fields[n]; f != nil {
		return f.name
	}
	return i18n.Sprintf("object %d", n)
}

func (x *chgIndex) ownerName(n uint32) string {
	if f := x.fields[n]; f != nil {
		return "field " + quote(f.name)
	}
	if an := x.annots[n]; an != nil {
		return i18n.Sprintf("annotation /%s on page %d", an.subtype, an.page)
	}
	return i18n.Sprintf("object %d", n)
}

// extensionsIndex records the catalog's /Extensions and /MarkInfo when
// they are indirect objects, and the developer extension dictionaries (or
// arrays of them, ISO 32000-2 7.12) that /Extensions refers to: they
// declare what the file uses and show nothing.
func (x *chgIndex) extensionsIndex(v *pdf.Reader, cat pdf.Dict) {
	for _, k := range []pdf.Name{"Extensions", "MarkInfo"} {
		if r, ok := cat[k].(pdf.Ref); ok {
			x.extensions[r.Num] = true
			x.extName[r.Num] = "/" + string(k)
		}
	}
	ext, _ := v.Dict(cat["Extensions"])
	for prefix, e := range ext {
		name := "/Extensions /" + string(prefix)
		if r, ok := e.(pdf.Ref); ok {
			x.extensions[r.Num] = true
			x.extName[r.Num] = name
		}
		arr, _ := v.Array(e)
		for i, d := range arr {
			if i >= 64 {
				break
			}
			if r, ok := d.(pdf.Ref); ok {
				x.extensions[r.Num] = true
				x.extName[r.Num] = name
			}
		}
	}
}

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
	// damaged are the reachable objects that cannot be read (sorted), and
	// damagedErr why the first cannot: what they refer to is unknown, so
	// the index is incomplete and no object is provably unused or used
	// only where the index says.
	damaged    []uint32
	damagedErr error
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
	// entry visits e, an entry of a container, under path segment seg.
	entry := func(from uint32, seg chgSeg, e pdf.Object, depth int) {
		switch e.(type) {
		case pdf.Ref, pdf.Array, pdf.Dict:
			path = append(path, seg)
			visit(from, e, depth)
			path = path[:len(path)-1]
		}
	}
	visit = func(from uint32, o pdf.Object, depth int) {
		if depth > v.Limits().MaxNesting {
			return
		}
		switch t := o.(type) {
		case pdf.Ref:
			note(from, t)
		case pdf.Array:
			for i, e := range t {
				entry(from, chgSeg{idx: i}, e, depth+1)
			}
		case pdf.Dict:
			for k, e := range t {
				entry(from, chgSeg{key: k}, e, depth+1)
			}
		case *pdf.Stream:
			visit(from, t.Dict, depth+1)
		}
	}
	for len(queue) > 0 {
		a.work++
		if len(visited) > maxWalk || refsSeen > maxRefs || a.work > maxWork {
			return nil, ErrTooComplex
		}
		if len(visited)%4096 == 0 {
			if err := a.ctx.Err(); err != nil {
				return nil, err
			}
		}
		n := queue[0]
		queue = queue[1:]
		o, err := v.GetNum(n)
		if err != nil {
			// What a damaged object refers to is unknown: the index
			// records it, and the judges that need a complete one
			// (unused, confined, orphan) refuse instead.
			if x.damagedErr == nil {
				x.damagedErr = err
			}
			x.damaged = append(x.damaged, n)
			continue
		}
		visit(n, o, 0)
	}
	slices.Sort(x.damaged)
	a.refs[rev] = x
	return x, nil
}

// hiddenUse reports whether the previous revision reaches objects kyso
// cannot read, and if so records a finding of rule
// object.unreadable-referrer about ref (what says what happens to it):
// what those objects refer to is unknown, so ref may be used by them and
// cannot be judged unused, orphaned or used only where the index says.
func (s *chgStep) hiddenUse(ref pdf.Ref, what string) (bool, error) {
	refs, err := s.a.refIndex(s.i - 1)
	if err != nil {
		return false, err
	}
	if len(refs.damaged) == 0 {
		return false, nil
	}
	s.find(ref, ruleHidden, i18n.Sprintf("%s, but the document has objects kyso cannot read, which may use it (%v)%s",
		what, refs.damagedErr, listNums(refs.damaged)))
	return true, nil
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
		budget := maxFieldTop
		var walk func(o pdf.Object, role string, depth int)
		walk = func(o pdf.Object, role string, depth int) {
			if budget--; budget < 0 || depth > v.Limits().MaxNesting {
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
