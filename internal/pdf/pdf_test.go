package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func open(t testing.TB, name string) (*Reader, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r, data
}

func TestReadFixtures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		revs  int
		pages int
		kind  XrefKind
	}{
		{"simple.pdf", 1, 1, XrefTable},
		{"xrefstream.pdf", 1, 1, XrefStream},
		{"form.pdf", 1, 1, XrefTable},
		{"scan200.pdf", 1, 1, XrefTable},
		{"rotated.pdf", 2, 1, XrefTable},
		{"pdfsign-certified-xrefstream.pdf", 2, 1, XrefStream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, data := open(t, tc.name)
			if got := len(r.Revisions()); got != tc.revs {
				t.Fatalf("revisions = %d, want %d", got, tc.revs)
			}
			if last := r.Revisions()[len(r.Revisions())-1]; last.End != int64(len(data)) || last.Kind != tc.kind {
				t.Errorf("last revision end %d kind %v, want %d %v", last.End, last.Kind, len(data), tc.kind)
			}
			pages, err := r.Pages()
			if err != nil || len(pages) != tc.pages {
				t.Fatalf("pages = %d, %v", len(pages), err)
			}
			for _, n := range r.ObjectNumbers() {
				if _, err := r.Get(Ref{Num: n}); err != nil {
					t.Errorf("object %d: %v", n, err)
				}
			}
		})
	}
}

func TestRotateInherited(t *testing.T) {
	r, _ := open(t, "rotated.pdf")
	pages, _ := r.Pages()
	if pages[0].Rotate != 90 {
		t.Fatalf("rotate = %d", pages[0].Rotate)
	}
	old, _ := r.At(0).Pages()
	if old[0].Rotate != 0 {
		t.Fatalf("revision 0 rotate = %d", old[0].Rotate)
	}
}

func TestObjectStream(t *testing.T) {
	r, _ := open(t, "xrefstream.pdf")
	info, err := r.Dict(r.Trailer()["Info"])
	if err != nil || info == nil {
		t.Fatalf("info from object stream: %v %v", info, err)
	}
	if s, _ := info["Title"].(String); string(s.Bytes) != "Check xref-stream contract" {
		t.Fatalf("title %q", s.Bytes)
	}
}

func TestUpdateRoundTrip(t *testing.T) {
	for _, name := range []string{"simple.pdf", "xrefstream.pdf", "form.pdf"} {
		t.Run(name, func(t *testing.T) {
			r, data := open(t, name)
			u := NewUpdate(r)
			cat, _ := r.Catalog()
			cat = cat.Clone()
			note := u.Add(Dict{"Type": Name("Test"), "Text": Str("Hòa (Đông)\\"), "Hex": String{Bytes: []byte{0, 1, 255}, Hex: true},
				"Slot": Raw{Bytes: []byte("[0 0000000000 0000000000 0000000000]"), Mark: "slot"}})
			cat["KysoTest"] = note
			u.Set(r.RootRef(), cat)
			var out bytes.Buffer
			out.Write(data)
			if _, err := u.Write(&out); err != nil {
				t.Fatal(err)
			}
			off, ok := u.Offset("slot")
			if !ok || !bytes.HasPrefix(out.Bytes()[off:], []byte("[0 0000000000")) {
				t.Fatalf("mark offset %d wrong", off)
			}
			r2, err := NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
			if err != nil {
				t.Fatal(err)
			}
			if len(r2.Revisions()) != len(r.Revisions())+1 {
				t.Fatalf("revisions %d", len(r2.Revisions()))
			}
			cat2, _ := r2.Catalog()
			d, _ := r2.Dict(cat2["KysoTest"])
			if s, _ := d["Text"].(String); string(s.Bytes) != "Hòa (Đông)\\" {
				t.Fatalf("round trip text %q", s.Bytes)
			}
			if s, _ := d["Hex"].(String); !bytes.Equal(s.Bytes, []byte{0, 1, 255}) {
				t.Fatalf("round trip hex %x", s.Bytes)
			}
			if _, err := exec.LookPath("qpdf"); err == nil {
				f := filepath.Join(t.TempDir(), "out.pdf")
				os.WriteFile(f, out.Bytes(), 0o644)
				if o, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
					t.Fatalf("qpdf --check: %v\n%s", err, o)
				}
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	_, good := open(t, "simple.pdf")
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("plain text, not a PDF"),
		"truncated": good[:600],
		"prev loop": bytes.Replace(good, []byte("trailer\n<<"), []byte("trailer\n<</Prev 0 "), 1),
	} {
		if _, err := NewReader(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzReader(f *testing.F) {
	ents, _ := os.ReadDir(filepath.Join("..", "..", "testdata", "pdf"))
	n := 0
	for _, e := range ents {
		if filepath.Ext(e.Name()) == ".pdf" {
			b, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", e.Name()))
			if len(b) < 20000 {
				f.Add(b)
				n++
			}
		}
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	lim := Limits{MaxSections: 64, MaxDecoded: 1 << 20, MaxObjectSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReaderLimits(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		r.Pages()
		for _, num := range r.ObjectNumbers() {
			o, _ := r.Get(Ref{Num: num})
			if s, ok := o.(*Stream); ok {
				r.StreamData(s)
			}
		}
	})
}
