package diff

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

var cases struct {
	once   sync.Once
	byName map[string]attackgen.Case
	bases  attackgen.Bases
	err    error
}

// attackCases builds the generated documents (a signed base and updates,
// in memory) once per test binary.
func attackCases(t testing.TB) (map[string]attackgen.Case, attackgen.Bases) {
	t.Helper()
	cases.once.Do(func() {
		dir := filepath.Join("..", "..", "..", "testdata", "pdf")
		b := &cases.bases
		for name, dst := range map[string]*[]byte{"simple.pdf": &b.Simple, "xrefstream.pdf": &b.XrefStream, "form.pdf": &b.Form, "scan200.pdf": &b.Scan} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				cases.err = err
				return
			}
			*dst = data
		}
		list, err := attackgen.Cases(*b)
		if err != nil {
			cases.err = err
			return
		}
		cases.byName = map[string]attackgen.Case{}
		for _, c := range list {
			cases.byName[c.Name] = c
		}
	})
	if cases.err != nil {
		t.Fatal(cases.err)
	}
	return cases.byName, cases.bases
}

// signedRevision is the revision that holds the signature of field.
func signedRevision(t testing.TB, r *pdf.Reader, field string) int {
	t.Helper()
	for i := len(r.Revisions()) - 1; i >= 0; i-- {
		_, fd, _ := attackgen.FieldRef(r.At(i), field)
		if fd == nil {
			continue
		}
		sref, ok := fd["V"].(pdf.Ref)
		if !ok {
			t.Fatalf("field %s has no signature", field)
		}
		for _, rv := range r.Revisions() {
			if _, ok := rv.Entries[sref.Num]; ok {
				return rv.Index
			}
		}
	}
	t.Fatalf("field %s not found", field)
	return -1
}

// analyse runs the engine on doc for the signature in field.
func analyse(t testing.TB, doc []byte, field string, o Options) *Result {
	t.Helper()
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	o.SignedField = field
	res, err := Analyze(context.Background(), r, signedRevision(t, r, field), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func caseOptions(c attackgen.Case) Options {
	o := Options{DocMDP: c.DocMDP}
	if c.Lock != nil {
		var fields pdf.Array
		for _, f := range c.Lock.Fields {
			fields = append(fields, pdf.Str(f))
		}
		o.FieldLocks = append(o.FieldLocks, pdf.Dict{"Action": pdf.Name(c.Lock.Action), "Fields": fields})
	}
	return o
}

func pdfRef(n uint32) pdf.Ref { return pdf.Ref{Num: n} }
