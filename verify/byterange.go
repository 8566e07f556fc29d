package verify

import (
	"bytes"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Coverage is what a signature's /ByteRange covers, judged strictly.
type Coverage struct {
	// Ranges are the two (offset, length) pairs.
	Ranges [2][2]int64
	// Whole says the ranges end at the end of the file.
	Whole bool
	// Revision is the index of the revision whose end the ranges reach, -1
	// if none.
	Revision int
	// Problems says why the ByteRange cannot be trusted; any problem makes
	// the signature invalid.
	Problems []string
}

// maxHintGap bounds how far before the gap a signature dictionary may start
// when CheckByteRange is told where its object lies.
const maxHintGap = 1 << 20

// CheckByteRange checks a signature dictionary's /ByteRange against the file
// bytes: exactly four non-negative direct integers [0 b c d]; the gap [b, c)
// holds exactly the /Contents hex string with its brackets, and decodes to
// the parsed /Contents (a widened gap is signature wrapping); the second
// range lies inside the file and ends where some revision ends (the
// %%EOF, with or without its end of line).
//
// contentsOffsetHint binds the gap to this dictionary when the caller knows
// where it is: either the offset of the /Contents value (it must be b), or
// the offset of the signature dictionary's "N G obj" (the gap must then be
// this object's /Contents value). Zero or less means unknown. A dictionary
// stored in an object stream has no such offset and cannot own a gap.
//
// The error is for I/O failures only; a bad ByteRange is reported in
// Coverage.Problems.
func CheckByteRange(r *pdf.Reader, sigDict pdf.Dict, contentsOffsetHint int64) (Coverage, error) {
	cov := Coverage{Revision: -1}
	bad := func(format string, a ...any) (Coverage, error) {
		cov.Problems = append(cov.Problems, fmt.Sprintf(format, a...))
		return cov, nil
	}
	size := r.Size()
	raw, ok := sigDict["ByteRange"]
	if !ok {
		return bad("signature dictionary has no /ByteRange")
	}
	arr, ok := raw.(pdf.Array)
	if !ok {
		if _, isRef := raw.(pdf.Ref); isRef {
			return bad("/ByteRange is an indirect object; a signature dictionary must hold it directly")
		}
		return bad("/ByteRange is not an array")
	}
	if len(arr) != 4 {
		return bad("/ByteRange has %d entries, want 4", len(arr))
	}
	var v [4]int64
	for i, o := range arr {
		n, ok := o.(pdf.Int)
		if !ok {
			return bad("/ByteRange entry %d is %s, not an integer", i+1, brKind(o))
		}
		if n < 0 {
			return bad("/ByteRange entry %d is negative (%d)", i+1, n)
		}
		v[i] = int64(n)
	}
	a, b, c, d := v[0], v[1], v[2], v[3]
	cov.Ranges = [2][2]int64{{a, b}, {c, d}}
	switch {
	case a != 0:
		return bad("/ByteRange starts at %d, not at the beginning of the file", a)
	case b > size || c > size || d > size || c+d > size:
		return bad("/ByteRange [%d %d %d %d] reaches past the end of the file (%d bytes)", a, b, c, d, size)
	case c <= a+b:
		return bad("/ByteRange ranges overlap or touch: the second starts at %d, the first ends at %d", c, a+b)
	}
	cov.Whole = c+d == size

	contents, ok := sigDict["Contents"].(pdf.String)
	if !ok {
		if _, has := sigDict["Contents"]; !has {
			cov.Problems = append(cov.Problems, "signature dictionary has no /Contents")
		} else if _, isRef := sigDict["Contents"].(pdf.Ref); isRef {
			cov.Problems = append(cov.Problems, "/Contents is an indirect object; its bytes cannot be the ByteRange gap")
		} else {
			cov.Problems = append(cov.Problems, fmt.Sprintf("/Contents is %s, not a string", brKind(sigDict["Contents"])))
		}
	} else if err := brCheckGap(r, b, c, contents.Bytes, &cov); err != nil {
		return cov, err
	}
	if contentsOffsetHint > 0 && contentsOffsetHint != b {
		if err := brCheckOwner(r, contentsOffsetHint, b, &cov); err != nil {
			return cov, err
		}
	}
	rev, err := brRevisionAt(r, c+d)
	if err != nil {
		return cov, err
	}
	cov.Revision = rev
	if rev < 0 {
		cov.Problems = append(cov.Problems, fmt.Sprintf("the signed bytes end at offset %d, which is not the end of any revision (the file has %d bytes)", c+d, size))
	}
	return cov, nil
}

// brCheckGap requires the bytes [b, c) to be exactly "<hex>" of contents.
func brCheckGap(r *pdf.Reader, b, c int64, contents []byte, cov *Coverage) error {
	gap := c - b
	want := 2*int64(len(contents)) + 2
	if gap != want {
		cov.Problems = append(cov.Problems, fmt.Sprintf("the ByteRange gap [%d, %d) is %d bytes but /Contents takes %d: the gap holds more than this signature's /Contents (signature wrapping)", b, c, gap, want))
		return nil
	}
	buf := make([]byte, gap)
	if _, err := r.ReaderAt().ReadAt(buf, b); err != nil && err != io.EOF {
		return i18n.Errorf("reading the byte range gap: %v", err)
	}
	if buf[0] != '<' || buf[gap-1] != '>' {
		cov.Problems = append(cov.Problems, fmt.Sprintf("the ByteRange gap at offset %d is not a hex string in < >", b))
		return nil
	}
	for i, ch := range buf[1 : gap-1] {
		hi := brHexVal(ch)
		if hi < 0 {
			cov.Problems = append(cov.Problems, fmt.Sprintf("the ByteRange gap holds %q at offset %d, not a hex digit", ch, b+1+int64(i)))
			return nil
		}
	}
	for i := range contents {
		if byte(brHexVal(buf[1+2*i])<<4|brHexVal(buf[2+2*i])) != contents[i] {
			cov.Problems = append(cov.Problems, fmt.Sprintf("the ByteRange gap at offset %d is not this signature's /Contents: the bytes differ at byte %d", b, i))
			return nil
		}
	}
	return nil
}

// brCheckOwner requires the gap at b to be the /Contents value of the
// object whose "N G obj" starts at objOff (or b itself to be the offset).
func brCheckOwner(r *pdf.Reader, objOff, b int64, cov *Coverage) error {
	fail := func(why string) error {
		cov.Problems = append(cov.Problems, fmt.Sprintf("the ByteRange gap at offset %d is not the /Contents of the signature dictionary at offset %d: %s", b, objOff, why))
		return nil
	}
	if objOff >= b {
		return fail("the gap lies before the dictionary")
	}
	if b-objOff > maxHintGap {
		return fail("the gap lies too far after the dictionary's start")
	}
	buf := make([]byte, b-objOff)
	if _, err := r.ReaderAt().ReadAt(buf, objOff); err != nil && err != io.EOF {
		return i18n.Errorf("reading the signature dictionary: %v", err)
	}
	// "N G obj" header (xref offsets may point at the white space before it).
	p := bytes.TrimLeft(buf, " \t\r\n\f\x00")
	for k := 0; k < 2; k++ {
		i := 0
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		if i == 0 {
			return fail("no object header there")
		}
		p = bytes.TrimLeft(p[i:], " \t\r\n\f\x00")
	}
	if !bytes.HasPrefix(p, []byte("obj")) {
		return fail("no object header there")
	}
	if bytes.Contains(p, []byte("endobj")) {
		return fail("the dictionary's object ends before the gap")
	}
	if !bytes.HasSuffix(bytes.TrimRight(p, " \t\r\n\f\x00"), []byte("/Contents")) {
		return fail("the gap does not follow its /Contents key")
	}
	return nil
}

// brRevisionAt returns the revision that ends at end (counting the end of
// line after %%EOF as optional), or -1.
func brRevisionAt(r *pdf.Reader, end int64) (int, error) {
	for _, rv := range r.Revisions() {
		if rv.End == end {
			return rv.Index, nil
		}
		if end >= rv.End || end < rv.End-2 || end < 5 {
			continue
		}
		buf := make([]byte, rv.End-end+5)
		if _, err := r.ReaderAt().ReadAt(buf, end-5); err != nil && err != io.EOF {
			return -1, i18n.Errorf("reading the end of revision %d: %v", rv.Index, err)
		}
		if bytes.HasPrefix(buf, []byte("%%EOF")) && len(bytes.Trim(buf[5:], "\r\n")) == 0 {
			return rv.Index, nil
		}
	}
	return -1, nil
}

func brHexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func brKind(o pdf.Object) string {
	switch o.(type) {
	case nil:
		return "null"
	case pdf.Bool:
		return "a boolean"
	case pdf.Int:
		return "an integer"
	case pdf.Real:
		return "a real number"
	case pdf.String:
		return "a string"
	case pdf.Name:
		return "a name"
	case pdf.Array:
		return "an array"
	case pdf.Dict:
		return "a dictionary"
	case pdf.Ref:
		return "an indirect reference"
	case *pdf.Stream:
		return "a stream"
	}
	return fmt.Sprintf("%T", o)
}
