package pdf

import (
	"bytes"
	"strings"
	"testing"
)

// A key given twice: the last value counts, a null value removes the key,
// and different values are remembered as an ambiguity; the same value
// twice is not one.
func TestDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Dict
		dup  Name
	}{
		{"<</A 1 /A 2>>", Dict{"A": Int(2)}, "A"},
		{"<</A 1 /A null>>", Dict{}, "A"},
		{"<</A null /A 1>>", Dict{"A": Int(1)}, "A"},
		{"<</A 1 /B 2 /A 1>>", Dict{"A": Int(1), "B": Int(2)}, ""},
		{"<</A 3 0 R /A 3 0 R>>", Dict{"A": Ref{Num: 3}}, ""},
		{"<</A 3 0 R /A 3 1 R>>", Dict{"A": Ref{Num: 3, Gen: 1}}, "A"},
		{"<</A (x) /A <78>>>", Dict{"A": String{Bytes: []byte("x"), Hex: true}}, ""},
		{"<</A [1] /A [1]>>", Dict{"A": Array{Int(1)}}, "A"}, // composites are not compared
		{"<</A null /A null>>", Dict{}, ""},
		{"<</A null>>", Dict{}, ""},
		{"<</B <</A 1 /A 2>> >>", Dict{"B": Dict{"A": Int(2)}}, "A"},
	} {
		p := &parser{buf: []byte(tc.in), eof: true}
		o, err := p.object(0)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := string(Bytes(o)); got != string(Bytes(tc.want)) {
			t.Errorf("%s parsed to %s, want %s", tc.in, got, Bytes(tc.want))
		}
		if p.dup != tc.dup {
			t.Errorf("%s: duplicate %q, want %q", tc.in, p.dup, tc.dup)
		}
	}
}

// The reader remembers, for the objects it read, a dictionary giving a
// key twice and a reference naming a generation the cross-reference does
// not list; GetNum, which follows no reference, remembers nothing.
func TestReaderAmbiguities(t *testing.T) {
	doc := simplePDF(t)
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	root := r.RootRef()
	u := NewUpdate(r)
	dupRef := u.Add(Dict{"X": Raw{Bytes: []byte("1 /Y 2 /X null")}})
	var out bytes.Buffer
	out.Write(doc)
	if _, err := u.Write(&out); err != nil {
		t.Fatal(err)
	}
	r, err = NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetNum(root.Num); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(root); err != nil {
		t.Fatal(err)
	}
	if a := r.Ambiguities(); len(a) != 0 {
		t.Fatalf("ambiguities %v before any is read", a)
	}
	o, err := r.Get(dupRef)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := o.(Dict); d == nil || d["X"] != nil || d["Y"] != Int(2) {
		t.Errorf("object %v read as %s, want X removed by its null", dupRef, Bytes(o))
	}
	if _, err := r.Get(Ref{Num: root.Num, Gen: root.Gen + 5}); err != nil {
		t.Fatal(err)
	}
	got := r.Ambiguities()
	want := []Ambiguity{
		{Kind: DuplicateKey, Num: dupRef.Num, Key: "X"},
		{Kind: GenerationMismatch, Num: root.Num, Gen: root.Gen + 5, ListedGen: root.Gen},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ambiguities %+v, want %+v", got, want)
	}
	if s := got[0].String(); !strings.Contains(s, "/X twice") {
		t.Errorf("%q does not name the key", s)
	}
	if s := got[1].String(); !strings.Contains(s, "generation 5") {
		t.Errorf("%q does not name the generations", s)
	}
}

// A trailer giving a key twice is remembered when the file is opened,
// whether the trailer fits the table's read window or not.
func TestTrailerDuplicateKey(t *testing.T) {
	doc := docWith([]string{"<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[]/Count 0>>"}, noGap)
	d := bytes.Replace(doc, []byte("<</Size 3/Root 1 0 R>>"), []byte("<</Size 3/Root 1 0 R/Info 5 0 R/Info 6 0 R>>"), 1)
	if bytes.Equal(d, doc) {
		t.Fatal("trailer not found")
	}
	r, err := NewReader(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	want := Ambiguity{Kind: DuplicateKey, Trailer: true, Key: "Info"}
	if a := r.Ambiguities(); len(a) != 1 || a[0] != want {
		t.Errorf("ambiguities %+v, want %+v", a, want)
	}
}
