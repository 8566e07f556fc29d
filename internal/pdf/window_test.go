package pdf

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
)

// classicPDF writes a one-page document whose object 4 has the given body
// preceded by pad spaces.
func classicPDF(body4 []byte, pad int) []byte {
	return classicDoc(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /X 4 0 R >>",
		strings.Repeat(" ", pad)+string(body4),
	)
}

// TestTokenCutByWindow: an object is first read through a window of a few
// kilobytes. Whatever token the window's end cuts — a name, a number, a
// keyword, a reference, the "stream" keyword after a dictionary — the value
// read must be the whole one, never its head: "/Off" read as "/O" would
// hide a change made after signing (an appearance state flipped to /On),
// and "-.5" read as "-" would refuse a sound file. Every position of the
// token across the window's end is tried.
func TestTokenCutByWindow(t *testing.T) {
	const header = len("4 0 obj\n")
	tests := []struct {
		body string
		want Object
	}{
		{"/Off", Name("Off")},
		{"/A#42C", Name("ABC")},
		{"-.5", Real(-.5)},
		{"123456.25", Real(123456.25)},
		{"1234567", Int(1234567)},
		{"false", Bool(false)},
		{"[/On /Off]", Array{Name("On"), Name("Off")}},
		{"<< /AS /Off >>", Dict{"AS": Name("Off")}},
		{"12 0 R", Ref{Num: 12}},
		{"<< /Length 3 >>\nstream\nabc\nendstream", nil}, // a stream, checked below
	}
	for _, tt := range tests {
		// The first window is 4096 bytes from the object's offset: put the
		// token's every byte, in turn, at its last position.
		for end := 4096 - header - len(tt.body) - 2; end <= 4096-header+2; end++ {
			pad := end
			data := classicPDF([]byte(tt.body), pad)
			r, err := NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("%q pad %d: %v", tt.body, pad, err)
			}
			got, err := r.Get(Ref{Num: 4})
			if err != nil {
				t.Errorf("%q pad %d: %v", tt.body, pad, err)
				continue
			}
			if tt.want == nil {
				st, ok := got.(*Stream)
				if !ok {
					t.Errorf("%q pad %d: read as %#v, not a stream", tt.body, pad, got)
				} else if st.Length != 3 {
					t.Errorf("%q pad %d: stream length %d", tt.body, pad, st.Length)
				}
				continue
			}
			if r, ok := tt.want.(Real); ok {
				if g, ok := got.(Real); !ok || math.Abs(float64(g-r)) > 1e-9 {
					t.Errorf("%q pad %d: read %#v", tt.body, pad, got)
				}
				continue
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%q pad %d: read %#v, want %#v", tt.body, pad, got, tt.want)
			}
		}
	}
}
