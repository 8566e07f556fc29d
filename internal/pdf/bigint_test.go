package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// An integer too large for 64 bits is read as viewers read it (ISO
// 32000-1 §7.3.3 lets a reader approximate it): the nearest Real, which
// writes back to a token that parses to the same value.
func TestBigIntegerIsReal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"123456789012345678901234", 123456789012345678901234},
		{"-123456789012345678901234", -123456789012345678901234},
		{"+9223372036854775808", 9223372036854775808},
		{"-9223372036854775809", -9223372036854775809},
		{"1" + strings.Repeat("0", 300), 1e300},
	} {
		p := &parser{buf: []byte(tc.in), eof: true}
		o, err := p.object(0)
		if err != nil {
			t.Fatalf("%.30s: %v", tc.in, err)
		}
		r, ok := o.(Real)
		if !ok || float64(r) != tc.want {
			t.Fatalf("%.30s: parsed to %#v, want Real(%g)", tc.in, o, tc.want)
		}
		w := Bytes(o)
		back, err := (&parser{buf: w, eof: true}).object(0)
		if err != nil || back != o {
			t.Fatalf("%.30s: written as %.40s, parsed back to %#v (%v)", tc.in, w, back, err)
		}
	}
	// The largest and smallest 64-bit integers stay integers.
	for _, in := range []string{"9223372036854775807", "-9223372036854775808"} {
		o, err := (&parser{buf: []byte(in), eof: true}).object(0)
		if _, ok := o.(Int); err != nil || !ok {
			t.Errorf("%s: %#v, %v; want an Int", in, o, err)
		}
	}
	// Past float64's range it is no number.
	if o, err := (&parser{buf: []byte("1" + strings.Repeat("0", 400)), eof: true}).object(0); err == nil {
		t.Errorf("a 401-digit integer parsed to %v", o)
	}
}

// A dictionary holding one is readable, with its other entries intact.
func TestBigIntegerInDict(t *testing.T) {
	in := "<</Producer 123456789012345678901234/XObject<</X 7 0 R>>/N 5>>"
	o, err := (&parser{buf: []byte(in), eof: true}).object(0)
	if err != nil {
		t.Fatal(err)
	}
	d := o.(Dict)
	if _, ok := d["Producer"].(Real); !ok {
		t.Errorf("/Producer = %#v", d["Producer"])
	}
	if x, _ := d["XObject"].(Dict); x["X"] != (Ref{Num: 7}) {
		t.Errorf("/XObject = %#v", d["XObject"])
	}
	if d["N"] != Int(5) {
		t.Errorf("/N = %#v", d["N"])
	}
}

// A reference never takes an approximated number.
func TestBigIntegerReference(t *testing.T) {
	for _, in := range []string{"[123456789012345678901234 0 R]", "<</A 99999999999999999999 0 R>>"} {
		if o, err := (&parser{buf: []byte(in), eof: true}).object(0); err == nil || !strings.Contains(err.Error(), "bad reference") {
			t.Errorf("%s: %#v, %v; want a bad reference", in, o, err)
		}
	}
}

// Where an exact integer is needed, an approximated one is refused with
// an error naming it, never used.
func TestExactIntRefusesReal(t *testing.T) {
	d := Dict{"A": Int(4), "B": Real(1.2345678901234568e23), "C": Ref{Num: 3}, "D": Name("x")}
	if v, ok, err := d.ExactInt("A"); v != 4 || !ok || err != nil {
		t.Errorf("A: %d %v %v", v, ok, err)
	}
	if _, ok, err := d.ExactInt("Z"); ok || err != nil {
		t.Errorf("absent: %v %v", ok, err)
	}
	for _, k := range []Name{"B", "C", "D"} {
		if _, ok, err := d.ExactInt(k); ok || err == nil || !strings.Contains(err.Error(), "/"+string(k)) {
			t.Errorf("%s: %v %v", k, ok, err)
		}
	}
}

// bigDoc is a one-page document whose trailer (or object 1, or the xref
// subsection header) carries what the caller substitutes.
func bigDoc(trailerExtra, header string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := []int{}
	objs := []string{
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources 4 0 R>>",
		"<</Producer 123456789012345678901234/ProcSet[/PDF]>>",
	}
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	if header == "" {
		header = fmt.Sprintf("0 %d", len(objs)+1)
	}
	fmt.Fprintf(&b, "xref\n%s\n0000000000 65535 f\r\n", header)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R%s>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailerExtra, x)
	return b.Bytes()
}

// A document whose page resources hold a big integer reads; one whose
// cross-reference data needs an exact integer and has a big one does not,
// and says so.
func TestBigIntegerDocument(t *testing.T) {
	doc := bigDoc("", "")
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages: %v %v", pages, err)
	}
	if _, ok := pages[0].Resources["Producer"].(Real); !ok {
		t.Errorf("resources: %#v", pages[0].Resources)
	}
	for name, tc := range map[string]struct{ doc []byte }{
		"prev":       {bigDoc("/Prev 123456789012345678901234", "")},
		"xrefstm":    {bigDoc("/XRefStm 123456789012345678901234", "")},
		"size":       {bytes.Replace(bigDoc("", ""), []byte("/Size 5"), []byte("/Size 123456789012345678901234"), 1)},
		"subsection": {bigDoc("", "0 123456789012345678901234")},
	} {
		_, err := NewReader(bytes.NewReader(tc.doc), int64(len(tc.doc)))
		if err == nil {
			t.Errorf("%s: read without error", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	// A startxref past 64 bits.
	bad := bytes.Replace(doc, []byte(fmt.Sprintf("startxref\n%d", bytes.Index(doc, []byte("xref\n0 ")))), []byte("startxref\n123456789012345678901234"), 1)
	if _, err := NewReader(bytes.NewReader(bad), int64(len(bad))); err == nil {
		t.Errorf("startxref: read without error")
	} else {
		t.Logf("startxref: %v", err)
	}
}

// The predictor parameters of a stream are exact integers.
func TestPredictorParamsExact(t *testing.T) {
	if _, err := unpredict([]byte{0, 1, 2}, Dict{"Predictor": Int(12), "Columns": Real(1e23)}); err == nil {
		t.Error("a real /Columns was used")
	}
	if _, err := unpredict([]byte{0, 1, 2}, Dict{"Predictor": Real(1e23)}); err == nil {
		t.Error("a real /Predictor was used")
	}
}
