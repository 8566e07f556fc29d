package pdf

import "testing"

func TestTextString(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"plain", "plain"},
		{"\xfe\xff\x00H\x00\xe0\x1e\xa1", "Hàạ"},
		{"\xfe\xff\xd8\x3d\xde\x00", "😀"},
		{"\xfe\xff\x00A\x00", "A\uFFFD"},                         // odd length
		{"\xef\xbb\xbfTh\xc3\xa0nh ph\xe1\xbb\x91", "Thành phố"}, // UTF-8 BOM (PDF 2.0)
		{"\xef\xbb\xbf\xff", "\uFFFD"},
		{"\x80\x18\x9e\x9f\xe9", "•˘ž\uFFFDé"}, // PDFDocEncoding, not Latin-1
		{"\xad\x7f", "\uFFFD\uFFFD"},           // undefined in PDFDocEncoding
	} {
		if got := TextString([]byte(tc.in)); got != tc.want {
			t.Errorf("TextString(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Str(tc.in).Text(); got != tc.want {
			t.Errorf("String.Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
