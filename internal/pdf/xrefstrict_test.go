package pdf

import (
	"bytes"
	"strings"
	"testing"
)

// startxref is read as readers that take only digits read it: white space,
// then digits; a sign, a comment or a word gives no offset.
func TestStartxrefValue(t *testing.T) {
	for in, want := range map[string]int64{"\n15966\n%%EOF": 15966, " 0\r\n": 0, "\r\n42": 42, "\n7%%EOF": 7} {
		if v, ok := startxrefValue([]byte(in)); !ok || v != want {
			t.Errorf("%q: %d %v, want %d", in, v, ok, want)
		}
	}
	for _, in := range []string{"\n+15966\n", "\n%c\n15966\n", "\n-1\n", "\n\n", "\n12x\n", "\n1.5\n", "\n99999999999999999999999\n"} {
		if v, ok := startxrefValue([]byte(in)); ok {
			t.Errorf("%q read as %d, want no offset", in, v)
		}
	}
}

// simpleWith rewrites the last cross-reference table of simple.pdf with
// edit and reads the result.
func simpleWith(t *testing.T, edit func(doc []byte) []byte) error {
	t.Helper()
	doc := edit(simplePDF(t))
	_, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	return err
}

// Table entries glued to the next token, generations past 65535 and a
// startxref with a sign are refused: poppler and qpdf rebuild the
// cross-reference from such files, so a lenient reading shows another
// document than theirs.
func TestXrefTableStrict(t *testing.T) {
	if err := simpleWith(t, func(d []byte) []byte { return d }); err != nil {
		t.Fatal(err)
	}
	cases := map[string]func([]byte) []byte{
		"glued": func(d []byte) []byte {
			i := bytes.LastIndex(d, []byte(" n \ntrailer"))
			if i < 0 {
				i = bytes.LastIndex(d, []byte(" n\r\ntrailer"))
			}
			if i < 0 {
				t.Skip("fixture's table layout changed")
			}
			return append(append(append([]byte{}, d[:i]...), []byte(" ntrailer  ")...), d[i+len(" n \ntrailer"):]...)
		},
		"generation": func(d []byte) []byte {
			i := bytes.LastIndex(d, []byte(" 00000 n"))
			return append(append(append([]byte{}, d[:i]...), []byte(" 65536 n")...), d[i+8:]...)
		},
		"startxref sign": func(d []byte) []byte {
			i := bytes.LastIndex(d, []byte("startxref"))
			j := i + len("startxref")
			for d[j] == '\r' || d[j] == '\n' {
				j++
			}
			return append(append(append([]byte{}, d[:j]...), '+'), d[j+1:]...) // same length: the first digit becomes '+'
		},
	}
	for name, edit := range cases {
		err := simpleWith(t, edit)
		if err == nil {
			t.Errorf("%s: read without error", name)
		} else if name != "startxref sign" && !strings.Contains(err.Error(), "xref entry") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Inside a subsection the entries are 20-byte records (19 tolerated): an
// entry followed by more white space, a comment or a sign is refused, as
// MuPDF (fixed records) and qpdf (digits only) would rebuild the file.
func TestXrefEntriesFixed(t *testing.T) {
	ok := docWith([]string{"<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[]/Count 0>>"}, noGap)
	if _, err := NewReader(bytes.NewReader(ok), int64(len(ok))); err != nil {
		t.Fatal(err)
	}
	x := bytes.Index(ok, []byte("xref"))
	for name, edit := range map[string]func([]byte) []byte{
		"21 bytes": func(t []byte) []byte { return bytes.Replace(t, []byte(" n\r\n0"), []byte(" n\r\n 0"), 1) },
		"comment":  func(t []byte) []byte { return bytes.Replace(t, []byte(" n\r\n0"), []byte(" n\r\n%x\n0"), 1) },
		"signed":   func(t []byte) []byte { return bytes.Replace(t, []byte("\n0000000009"), []byte("\n+000000009"), 1) },
	} {
		tab := edit(append([]byte{}, ok[x:]...))
		if bytes.Equal(tab, ok[x:]) {
			t.Fatalf("%s: nothing edited", name)
		}
		d := append(append([]byte{}, ok[:x]...), tab...)
		if _, err := NewReader(bytes.NewReader(d), int64(len(d))); err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	// A free entry's generation 65536, as MuPDF writes for object 0, is read.
	mu := bytes.Replace(ok, []byte("0000000000 65535 f"), []byte("0000000000 65536 f"), 1)
	if _, err := NewReader(bytes.NewReader(mu), int64(len(mu))); err != nil {
		t.Errorf("free entry 65536: %v", err)
	}
}

// A revision ends at the %%EOF after its trailer, however long its table:
// a table of 15,000 entries (over 256 KiB) is not taken to run to the end
// of the file (which made kyso sign such a file and then reject its own
// signature, the section seeming to lie inside the signed bytes).
func TestRevisionEndAfterLongTable(t *testing.T) {
	bodies := []string{"<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[]/Count 0>>"}
	for i := 0; i < 15000; i++ {
		bodies = append(bodies, "0")
	}
	doc := docWith(bodies, noGap)
	tail := append(append([]byte{}, doc...), "\n% bytes after the revision\n"...)
	r, err := NewReader(bytes.NewReader(tail), int64(len(tail)))
	if err != nil {
		t.Fatal(err)
	}
	if end := r.Revisions()[0].End; end != int64(len(doc)) {
		t.Errorf("revision ends at %d, want %d (its %%%%EOF)", end, len(doc))
	}
}
