package pdf

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// withFields writes an update giving simple.pdf a form: fields is built
// with the update's Add and returns the /Fields array.
func withFields(t *testing.T, fields func(u *Update) Array) *Reader {
	t.Helper()
	r, data := open(t, "simple.pdf")
	u := NewUpdate(r)
	cat, _ := r.Catalog()
	cat = cat.Clone()
	cat["AcroForm"] = Dict{"Fields": fields(u)}
	u.Set(r.RootRef(), cat)
	var out bytes.Buffer
	out.Write(data)
	if _, err := u.Write(&out); err != nil {
		t.Fatal(err)
	}
	r2, err := NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return r2
}

func formFields(t *testing.T, r *Reader) Array {
	cat, _ := r.Catalog()
	af, _ := r.Dict(cat["AcroForm"])
	arr, _ := r.Array(af["Fields"])
	return arr
}

func TestWalkFields(t *testing.T) {
	r := withFields(t, func(u *Update) Array {
		widget := u.Add(Dict{"Type": Name("Annot"), "Subtype": Name("Widget")})
		kid := u.Add(Dict{"T": String{Bytes: []byte("\xfe\xff\x00\xe0")}, "Kids": Array{widget}})
		parent := u.Reserve()
		u.Set(parent, Dict{"T": Str("order"), "FT": Name("Tx"), "Kids": Array{kid, parent}}) // a cycle
		sig := u.Add(Dict{"T": Str("Sig1"), "FT": Name("Sig")})
		return Array{parent, sig, Int(3)}
	})
	var got []string
	err := r.WalkFields(formFields(t, r), nil, func(f *Field) (bool, error) {
		w := ""
		if f.Widget() {
			w = " widget"
		}
		got = append(got, f.Name+" "+string(f.FT)+w)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "order Tx|order.à Tx|order.à Tx widget|Sig1 Sig"; strings.Join(got, "|") != want {
		t.Errorf("walk %q, want %q", strings.Join(got, "|"), want)
	}
	// fn decides whether to descend.
	n := 0
	r.WalkFields(formFields(t, r), nil, func(f *Field) (bool, error) { n++; return false, nil })
	if n != 2 {
		t.Errorf("without descending: %d nodes, want 2", n)
	}
}

func TestWalkFieldsDepth(t *testing.T) {
	for _, depth := range []int{DefaultLimits.MaxNesting, DefaultLimits.MaxNesting + 1} {
		r := withFields(t, func(u *Update) Array {
			var node Object = u.Add(Dict{"T": Str("leaf")})
			for range depth {
				node = u.Add(Dict{"T": Str("n"), "Kids": Array{node}})
			}
			return Array{node}
		})
		deepest := 0
		err := r.WalkFields(formFields(t, r), nil, func(f *Field) (bool, error) {
			deepest = max(deepest, f.Depth)
			return true, nil
		})
		switch {
		case depth == DefaultLimits.MaxNesting && (err != nil || deepest != DefaultLimits.MaxNesting):
			t.Errorf("depth %d: %v, deepest %d", depth, err, deepest)
		case depth > DefaultLimits.MaxNesting && !errors.Is(err, ErrFieldDepth):
			t.Errorf("depth %d: %v, want ErrFieldDepth", depth, err)
		}
	}
}
