// Package termsafe makes untrusted text safe to show on a terminal.
//
// File names, signer names, reasons and any text read from a document or a
// catalogue may hold bytes a terminal obeys rather than shows: ESC starts
// sequences that recolour, erase or hide text and move the cursor, CR
// returns to the start of the line so that later text overwrites earlier,
// BEL rings, C1 controls (U+0080 to U+009F) are read as ESC sequences by
// some terminals, and the bidirectional overrides and isolates reorder what
// follows them. A file that failed could then show as a green
// "VALID contract.pdf". termsafe shows each such character as a visible
// escape instead (\x1b, \r, \u202e), and each byte that is not UTF-8 as
// \xNN; all other text, Vietnamese included, is left as it is.
package termsafe

import (
	"io"
	"strconv"
	"sync"
	"unicode/utf8"
)

// String returns s with every character a terminal would act on escaped,
// newlines and tabs included: for one value (a file name, a signer) that
// must stay on its line.
func String(s string) string {
	if clean(s, false) {
		return s
	}
	return string(appendSafe(nil, []byte(s), false))
}

// Lines is String for text made of lines: newlines and tabs are kept.
func Lines(s string) string {
	if clean(s, true) {
		return s
	}
	return string(appendSafe(nil, []byte(s), true))
}

// clean reports whether s needs no escaping.
func clean(s string, lines bool) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			if lines && (b == '\n' || b == '\t') {
				continue
			}
			return false
		}
	}
	return true
}

// unsafeRune reports whether r is shown escaped: C0 and C1 controls, DEL,
// and the characters that change the direction or order of text.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

// appendSafe appends b to dst with the unsafe characters escaped; lines
// keeps newlines and tabs.
func appendSafe(dst, b []byte, lines bool) []byte {
	for len(b) > 0 {
		c := b[0]
		if c >= 0x20 && c < 0x7f || lines && (c == '\n' || c == '\t') {
			dst = append(dst, c)
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r < 0x80:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case unsafeRune(r):
			dst = append(dst, `\u`...)
			h := strconv.FormatInt(int64(r), 16)
			for i := len(h); i < 4; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, h...)
		default:
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// Writer passes text to a terminal (or a file a person reads) with the
// unsafe characters of every line escaped; newlines and tabs pass. A
// UTF-8 sequence split between two writes is held back until the next
// write (or Flush) completes it. It is safe for concurrent use.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
	buf     []byte
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Raw is the writer underneath, for output that is not text for people
// (JSON Lines, which escape by themselves, binary reports) and for the
// control sequences kyso itself draws (the progress bar).
func (s *Writer) Raw() io.Writer { return s.w }

// Write writes p escaped. It reports len(p) when the escaped text was
// written.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := p
	if len(s.pending) > 0 {
		b = append(s.pending, p...)
		s.pending = nil
	}
	// Hold back an incomplete UTF-8 sequence at the end.
	if k := incompleteTail(b); k > 0 {
		s.pending = append([]byte(nil), b[len(b)-k:]...)
		b = b[:len(b)-k]
	}
	s.buf = appendSafe(s.buf[:0], b, true)
	if len(s.buf) == 0 {
		return len(p), nil
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return 0, err
	}
	if cap(s.buf) > 64<<10 {
		s.buf = nil
	}
	return len(p), nil
}

// Flush writes a held-back incomplete sequence, escaped.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	out := appendSafe(nil, s.pending, true)
	s.pending = nil
	_, err := s.w.Write(out)
	return err
}

// incompleteTail is the length of a UTF-8 sequence that b ends with and
// that more bytes could complete (0 when none).
func incompleteTail(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xc0 { // a leading byte
			if utf8.FullRune(b[len(b)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// RawWriter is w's underlying writer when w is a Writer, else w.
func RawWriter(w io.Writer) io.Writer {
	if s, ok := w.(*Writer); ok {
		return s.w
	}
	return w
}
