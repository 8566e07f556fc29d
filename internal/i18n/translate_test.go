package i18n

import (
	"fmt"
	"testing"
)

// The English text of a catalogue error, kept as a string (a report's
// errors, a result's reason), is still shown in the reader's language:
// with its nested catalogue error, and an argument that is a catalogue
// word (a kind of file).
func TestTranslateErrorText(t *testing.T) {
	inner := Errorf("%v: it is %s", fmt.Errorf("not a regular file"), "a named pipe (FIFO)")
	err := Errorf("cannot read %s: %v", "scans/ong.pdf", inner)
	text := err.Error()
	got := New(VI).Translate(text)
	want := "không đọc được scans/ong.pdf: không phải tệp thường: nó là một ống có tên (FIFO)"
	if got != want {
		t.Errorf("Translate(%q) = %q, want %q", text, got, want)
	}
	if en := New(EN).Translate(text); en != text {
		t.Errorf("English: %q", en)
	}
}
