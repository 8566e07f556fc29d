package diff

import (
	"strings"

	"github.com/kyso-project/kyso/internal/pdf"
)

// lock is a FieldMDP lock read: a signature's FieldMDP /TransformParams or
// a signature field's /Lock, with /Action (All, Include or Exclude) and
// /Fields (fully qualified names).
type lock struct {
	action string
	fields []string
}

// readLock reads a lock dictionary. An unknown action locks every field,
// failing closed.
func readLock(r *pdf.Reader, d pdf.Dict) lock {
	l := lock{action: "All"}
	if a, err := r.Resolve(d["Action"]); err == nil {
		if a, ok := a.(pdf.Name); ok && (a == "Include" || a == "Exclude") {
			l.action = string(a)
		}
	}
	arr, _ := r.Array(d["Fields"])
	for _, o := range arr {
		if o, err := r.Resolve(o); err == nil {
			if s, ok := o.(pdf.String); ok {
				l.fields = append(l.fields, pdf.TextString(s.Bytes))
			}
		}
	}
	return l
}

// locked reports whether the locks freeze the field named name. A lock on
// a field also freezes the fields below it.
func locked(locks []lock, name string) bool {
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
