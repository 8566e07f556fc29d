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
