package pdf

import (
	"strings"
	"unicode/utf16"
)

// TextString decodes a PDF text string (ISO 32000-2 7.9.2.2): UTF-16BE
// after the byte order mark FE FF, UTF-8 after EF BB BF (PDF 2.0), else
// PDFDocEncoding (Annex D). Undefined and invalid bytes become U+FFFD;
// nothing else is dropped (callers that print it filter control
// characters). It is the one decoder of text strings in kyso.
func TextString(b []byte) string {
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		b = b[2:]
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		if len(b)%2 == 1 {
			u = append(u, 0xFFFD)
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		switch {
		case c >= 0x18 && c <= 0x1F:
			sb.WriteRune(pdfDocLow[c-0x18])
		case c >= 0x80 && c <= 0x9F:
			sb.WriteRune(pdfDocHigh[c-0x80])
		case c == 0x7F || c == 0xAD:
			sb.WriteRune('\uFFFD')
		default:
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// Text decodes the string as a text string (TextString).
func (s String) Text() string { return TextString(s.Bytes) }

// PDFDocEncoding where it differs from Latin-1: 0x18-0x1F and 0x80-0x9F.
var pdfDocLow = [8]rune{'˘', 'ˇ', 'ˆ', '˙', '˝', '˛', '˚', '˜'}

var pdfDocHigh = [32]rune{
	'•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘',
	'’', '‚', '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž', '\uFFFD',
}
