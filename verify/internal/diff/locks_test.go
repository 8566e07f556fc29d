package diff

import (
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

func TestFieldLocks(t *testing.T) {
	lk := func(action string, fields ...string) lock { return lock{action: action, fields: fields} }
	for _, tc := range []struct {
		locks []lock
		field string
		want  bool
	}{
		{nil, "quantity", false},
		{[]lock{lk("All")}, "quantity", true},
		{[]lock{lk("Include", "quantity")}, "quantity", true},
		{[]lock{lk("Include", "quantity")}, "address", false},
		{[]lock{lk("Include", "order")}, "order.quantity", true},
		{[]lock{lk("Include", "order")}, "orders", false},
		{[]lock{lk("Exclude", "quantity")}, "quantity", false},
		{[]lock{lk("Exclude", "quantity")}, "address", true},
		{[]lock{lk("Include", "a"), lk("Include", "b")}, "b", true},
	} {
		if got := locked(tc.locks, tc.field); got != tc.want {
			t.Errorf("%+v locks %q = %v, want %v", tc.locks, tc.field, got, tc.want)
		}
	}
	_, b := attackCases(t)
	r, err := attackgen.Open(b.Simple)
	if err != nil {
		t.Fatal(err)
	}
	l := readLock(r, pdf.Dict{"Type": pdf.Name("TransformParams"), "Action": pdf.Name("Exclude"),
		"Fields": pdf.Array{pdf.Str("a"), pdf.String{Bytes: []byte("\xfe\xff\x00b\x00.\x00c"), Hex: true}, pdf.Int(3)}})
	if l.action != "Exclude" || strings.Join(l.fields, ",") != "a,b.c" {
		t.Errorf("read %+v", l)
	}
	if l := readLock(r, pdf.Dict{"Action": pdf.Name("Nonsense")}); l.action != "All" {
		t.Errorf("unknown action gives %+v, want All (fail closed)", l)
	}
}
