package pdf

import (
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
)

// ErrFieldDepth is returned (wrapped with a LimitError) by WalkFields for a
// field tree deeper than Limits.MaxNesting: real forms (ISO 32000-2
// 12.7.4) nest a few levels; an attacker's can nest until the stack or the
// clock gives out.
var ErrFieldDepth = errors.New("form field tree too deep")

// Field is one node of the field tree: a field, or a widget annotation
// that is a kid of one (or merged with it).
type Field struct {
	// Ref is the node's object; zero for a node written directly in its
	// parent's /Kids.
	Ref  Ref
	Dict Dict
	// Name is the fully qualified name (12.7.4.2): the parent's name and
	// this node's /T (a text string) joined by a dot; a node without /T
	// has its parent's name.
	Name string
	// FT is the field type, inherited from the parents (12.7.4.1).
	FT     Name
	Parent *Field
	Depth  int
}

// Widget says whether the node is a widget annotation.
func (f *Field) Widget() bool {
	st, _ := f.Dict.Name("Subtype")
	return st == "Widget"
}

// WalkFields visits the field trees under roots (an /AcroForm /Fields
// array, or single nodes) depth first: fn is called for every node and
// says whether to visit its /Kids. An object is visited once (seen, which
// may be shared by several walks, records the visited ones; nil for a
// fresh set), so a cycle ends. A tree deeper than Limits.MaxNesting stops the
// walk with ErrFieldDepth; an error from fn stops it with that error.
// Nodes that are not dictionaries are skipped; one that cannot be read
// stops the walk with the error.
func (r *Reader) WalkFields(roots Array, seen map[Ref]bool, fn func(f *Field) (descend bool, err error)) error {
	if seen == nil {
		seen = map[Ref]bool{}
	}
	var walk func(o Object, parent *Field) error
	walk = func(o Object, parent *Field) error {
		f := &Field{Parent: parent}
		if parent != nil {
			f.Name, f.FT, f.Depth = parent.Name, parent.FT, parent.Depth+1
		}
		if max := r.Limits().MaxNesting; f.Depth > max {
			return i18n.Errorf("%v: %v", limitErr("MaxNesting", int64(max), "form field tree deeper than %d levels", max), ErrFieldDepth)
		}
		if ref, ok := o.(Ref); ok {
			if seen[ref] {
				return nil
			}
			seen[ref] = true
			f.Ref = ref
		}
		d, err := r.Dict(o)
		if err != nil {
			// A node that cannot be read may be the one that matters
			// (a signature hidden behind a broken object): say so.
			return err
		}
		if d == nil {
			return nil
		}
		f.Dict = d
		if t, err := r.Resolve(d["T"]); err == nil {
			if s, ok := t.(String); ok {
				if f.Name != "" {
					f.Name += "."
				}
				f.Name += s.Text()
			}
		}
		if ft, ok := d.Name("FT"); ok {
			f.FT = ft
		}
		descend, err := fn(f)
		if err != nil || !descend {
			return err
		}
		kids, _ := r.Array(d["Kids"])
		for _, k := range kids {
			if err := walk(k, f); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range roots {
		if err := walk(o, nil); err != nil {
			return err
		}
	}
	return nil
}
