package termsafe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want, lines string }{
		{"contract.pdf", "contract.pdf", "contract.pdf"},
		{"Giấy chứng nhận đăng ký hộ kinh doanh.pdf", "Giấy chứng nhận đăng ký hộ kinh doanh.pdf", ""},
		{"Nguyễn Văn Ả", "Nguyễn Văn Ả", ""},
		{"a\rVALID", `a\rVALID`, `a\rVALID`},
		{"\x1b[2K\x1b[32mVALID contract.pdf\x1b[0m\x1b[8m.pdf", `\x1b[2K\x1b[32mVALID contract.pdf\x1b[0m\x1b[8m.pdf`, ""},
		{"bell\a", `bell\x07`, ""},
		{"del\x7f", `del\x7f`, ""},
		{"nul\x00", `nul\x00`, ""},
		{"two\nlines\tand tab", `two\nlines\tand tab`, "two\nlines\tand tab"},
		{"c1 \u009b31m csi", `c1 \u009b31m csi`, ""},
		{"c1 next line \u0085", `c1 next line \u0085`, ""},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`, ""},
		{"cut \xe1\xba", `cut \xe1\xba`, ""},
		{"real \ufffd stays", "real \ufffd stays", ""},
		{"invoice\u202Efdp.exe", `invoice\u202efdp.exe`, ""},
		{"\u202a\u202b\u202c\u202d", `\u202a\u202b\u202c\u202d`, ""},
		{"\u2066x\u2067y\u2068z\u2069", `\u2066x\u2067y\u2068z\u2069`, ""},
		{"mark\u200f\u200e\u061c", `mark\u200f\u200e\u061c`, ""},
		{"sep\u2028\u2029", `sep\u2028\u2029`, ""},
		{"C:\\Users\\an\\hồ sơ.pdf", "C:\\Users\\an\\hồ sơ.pdf", ""},
		{"", "", ""},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
		want := tc.lines
		if want == "" {
			want = tc.want
		}
		if got := Lines(tc.in); got != want {
			t.Errorf("Lines(%q) = %q, want %q", tc.in, got, want)
		}
		for _, got := range []string{String(tc.in), Lines(tc.in)} {
			if !utf8.ValidString(got) || strings.ContainsAny(got, "\x1b\r\a\x7f\u009b\u202e\u2066") {
				t.Errorf("%q: unsafe result %q", tc.in, got)
			}
		}
	}
}

// The Writer escapes what String escapes, except newlines and tabs, and
// keeps a character split between writes whole.
func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	text := "KẾT LUẬN\tTỆP\nKHÔNG HỢP LỆ    a\rVALID \x1b[32mVALID\x1b[0m \u202Eabc \xff\n"
	b := []byte(text)
	// One byte at a time: every multi-byte character is split.
	for i := range b {
		if n, err := w.Write(b[i : i+1]); n != 1 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "KẾT LUẬN\tTỆP\nKHÔNG HỢP LỆ    a\\rVALID \\x1b[32mVALID\\x1b[0m \\u202eabc \\xff\n"
	if buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
	// An incomplete sequence at the very end comes out escaped on Flush.
	buf.Reset()
	w.Write([]byte("end \xe1\xba"))
	if buf.String() != "end " {
		t.Errorf("before Flush: %q", buf.String())
	}
	w.Flush()
	if buf.String() != `end \xe1\xba` {
		t.Errorf("after Flush: %q", buf.String())
	}
	if RawWriter(w) != &buf || RawWriter(&buf) != &buf {
		t.Error("RawWriter")
	}
}
