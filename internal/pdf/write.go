package pdf

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Serialize writes o in PDF syntax.
func Serialize(w io.Writer, o Object) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriter(w)
	}
	if err := ser(bw, o, 0); err != nil {
		return err
	}
	return bw.Flush()
}

// Bytes is o in PDF syntax.
func Bytes(o Object) []byte {
	var b bytes.Buffer
	_ = Serialize(&b, o)
	return b.Bytes()
}

type byteWriter interface {
	io.Writer
	io.ByteWriter
	io.StringWriter
}

func ser(w byteWriter, o Object, depth int) error {
	if depth > maxDepth {
		return i18n.Errorf("object nested too deep to write")
	}
	switch v := o.(type) {
	case nil:
		w.WriteString("null")
	case Bool:
		if v {
			w.WriteString("true")
		} else {
			w.WriteString("false")
		}
	case Int:
		w.WriteString(strconv.FormatInt(int64(v), 10))
	case int:
		w.WriteString(strconv.Itoa(v))
	case Real:
		w.WriteString(formatReal(float64(v)))
	case float64:
		w.WriteString(formatReal(v))
	case Name:
		writeName(w, v)
	case String:
		writeString(w, v)
	case Ref:
		fmt.Fprintf(w, "%d %d R", v.Num, v.Gen)
	case Array:
		w.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.WriteByte(' ')
			}
			if err := ser(w, e, depth+1); err != nil {
				return err
			}
		}
		w.WriteByte(']')
	case Dict:
		w.WriteString("<<")
		for _, k := range v.Keys() {
			writeName(w, k)
			w.WriteByte(' ')
			if err := ser(w, v[k], depth+1); err != nil {
				return err
			}
		}
		w.WriteString(">>")
	case *Stream:
		if v.Data == nil && v.Length > 0 {
			return i18n.Errorf("cannot write a stream read from a file; copy its data first")
		}
		d := v.Dict.Clone()
		d["Length"] = Int(len(v.Data))
		if err := ser(w, d, depth+1); err != nil {
			return err
		}
		w.WriteString("\nstream\n")
		w.Write(v.Data)
		w.WriteString("\nendstream")
	case Raw:
		w.Write(v.Bytes)
	default:
		return i18n.Errorf("cannot write %T as a PDF object", o)
	}
	return nil
}

func formatReal(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'f', 4, 64)
	s = trimZeros(s)
	if math.Abs(f) >= 1e15 && !strings.Contains(s, ".") {
		// Past what an integer token may hold: keep it a real.
		s += ".0"
	}
	return s
}

func trimZeros(s string) string {
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func writeName(w byteWriter, n Name) {
	w.WriteByte('/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || isDelim(c) {
			fmt.Fprintf(w, "#%02X", c)
			continue
		}
		w.WriteByte(c)
	}
}

func writeString(w byteWriter, s String) {
	if s.Hex {
		const digits = "0123456789ABCDEF"
		w.WriteByte('<')
		for _, c := range s.Bytes {
			w.WriteByte(digits[c>>4])
			w.WriteByte(digits[c&15])
		}
		w.WriteByte('>')
		return
	}
	w.WriteByte('(')
	for _, c := range s.Bytes {
		switch c {
		case '(', ')', '\\':
			w.WriteByte('\\')
			w.WriteByte(c)
		case '\r':
			w.WriteString("\\r")
		case '\n':
			w.WriteString("\\n")
		default:
			w.WriteByte(c)
		}
	}
	w.WriteByte(')')
}

// Update collects the objects of an incremental update to a document.
type Update struct {
	base    *Reader
	next    uint32
	first   uint32 // the first number Add gives
	err     error  // no number is free for new objects
	objs    map[uint32]Object
	gens    map[uint32]uint16
	marks   map[string]int64
	written bool
	// Trailer holds keys to set in the new trailer (such as a new /Info).
	Trailer Dict
	// XrefForm overrides the form of the new cross-reference section.
	// By default it follows the base file's newest section.
	XrefForm *XrefKind
}

// NewUpdate starts an update to the newest revision of r. Write refuses an
// update whose object numbers would go past r's Limits.MaxObjectNumber.
func NewUpdate(r *Reader) *Update {
	next, err := r.NextObjectNumber()
	if err != nil {
		next = math.MaxUint32
	}
	return &Update{base: r, next: next, first: next, err: err, objs: map[uint32]Object{}, gens: map[uint32]uint16{}, marks: map[string]int64{}}
}

// Add stores a new object and returns its reference.
func (u *Update) Add(o Object) Ref {
	n := u.next
	if u.next < math.MaxUint32 {
		u.next++
	}
	u.objs[n] = o
	return Ref{Num: n}
}

// Reserve allocates a reference to be filled later with Set.
func (u *Update) Reserve() Ref { return u.Add(nil) }

// Set replaces the object ref refers to.
func (u *Update) Set(ref Ref, o Object) {
	u.objs[ref.Num] = o
	u.gens[ref.Num] = ref.Gen
}

// Has reports whether the update writes object ref.
func (u *Update) Has(ref Ref) bool { _, ok := u.objs[ref.Num]; return ok }

// Object returns what the update writes for ref.
func (u *Update) Object(ref Ref) Object { return u.objs[ref.Num] }

// Offset returns the absolute file offset of a Raw's first byte by its
// mark, once Write has run.
func (u *Update) Offset(mark string) (int64, bool) {
	o, ok := u.marks[mark]
	return o, ok
}

type countWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
func (c *countWriter) WriteByte(b byte) error {
	err := c.w.WriteByte(b)
	if err == nil {
		c.n++
	}
	return err
}
func (c *countWriter) WriteString(s string) (int, error) {
	n, err := c.w.WriteString(s)
	c.n += int64(n)
	return n, err
}

// Write appends the update to w, assuming w continues the base file right
// after its last byte. It returns the number of bytes written.
func (u *Update) Write(w io.Writer) (int64, error) {
	base := u.base
	if u.err != nil {
		return 0, u.err
	}
	cw := &countWriter{w: bufio.NewWriterSize(w, 64<<10)}
	start := base.Size()
	// The update must start on a new line.
	last, _, err := base.readAt(start-1, 1)
	if err != nil {
		return 0, err
	}
	if last[0] != '\n' && last[0] != '\r' {
		cw.WriteByte('\n')
	}
	// Object numbers past the limit (a hostile /Size) would wrap round to
	// the document's own objects in a 32-bit count: refuse them.
	kind := base.revs[len(base.revs)-1].Kind
	if u.XrefForm != nil {
		kind = *u.XrefForm
	}
	highest := uint64(u.next) - 1 // u.next is at least 1
	if kind == XrefStream {
		highest++ // the xref stream takes the next number
	}
	if max := base.limits.MaxObjectNumber; highest > uint64(max) || u.next == math.MaxUint32 {
		return 0, limitErr("MaxObjectNumber", int64(max), "the update would number its objects up to %d, past %d", highest, max)
	}
	nums := make([]uint32, 0, len(u.objs))
	for n := range u.objs {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	offsets := map[uint32]int64{}
	for _, n := range nums {
		// A new object never takes a number the file already lists: that
		// would replace one of the document's own objects.
		if n >= u.first && base.Listed(n) {
			return 0, i18n.Errorf("new object %d would take the number of an object the document already has", n)
		}
	}
	for _, n := range nums {
		o := u.objs[n]
		if o == nil {
			if _, isNew := base.Lookup(n); !isNew && n >= u.first {
				return 0, i18n.Errorf("reserved object %d was never set", n)
			}
		}
		offsets[n] = start + cw.n
		fmt.Fprintf(cw, "%d %d obj\n", n, u.gens[n])
		if err := u.serMarked(cw, start, o); err != nil {
			return 0, i18n.Errorf("object %d: %v", n, err)
		}
		cw.WriteString("\nendobj\n")
	}
	trailer := Dict{}
	for _, k := range []Name{"Root", "Info", "ID", "Encrypt"} {
		if v, ok := base.Trailer()[k]; ok {
			trailer[k] = v
		}
	}
	for k, v := range u.Trailer {
		trailer[k] = v
	}
	if _, ok := trailer["Root"]; !ok {
		trailer["Root"] = base.RootRef()
	}
	trailer["Prev"] = Int(base.revs[len(base.revs)-1].XrefOffset)
	size := u.next
	xrefOff := start + cw.n
	if kind == XrefStream {
		xnum := size
		size++
		offsets[xnum] = xrefOff
		nums = append(nums, xnum)
		trailer["Type"] = Name("XRef")
		trailer["Size"] = Int(size)
		var rows bytes.Buffer
		var index Array
		for _, run := range XrefRuns(nums) {
			index = append(index, Int(run[0]), Int(run[1]-run[0]+1))
			for n := run[0]; n <= run[1]; n++ {
				off := offsets[n]
				rows.Write([]byte{1, byte(off >> 32), byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), byte(u.gens[n] >> 8), byte(u.gens[n])})
			}
		}
		trailer["W"] = Array{Int(1), Int(5), Int(2)}
		trailer["Index"] = index
		fmt.Fprintf(cw, "%d 0 obj\n", xnum)
		if err := ser(cw, &Stream{Dict: trailer, Data: rows.Bytes()}, 0); err != nil {
			return 0, err
		}
		cw.WriteString("\nendobj\n")
	} else {
		cw.WriteString("xref\n")
		for _, run := range XrefRuns(nums) {
			fmt.Fprintf(cw, "%d %d\n", run[0], run[1]-run[0]+1)
			for n := run[0]; n <= run[1]; n++ {
				fmt.Fprintf(cw, "%010d %05d n\r\n", offsets[n], u.gens[n])
			}
		}
		trailer["Size"] = Int(size)
		cw.WriteString("trailer\n")
		if err := ser(cw, trailer, 0); err != nil {
			return 0, err
		}
		cw.WriteString("\n")
	}
	fmt.Fprintf(cw, "startxref\n%d\n%%%%EOF\n", xrefOff)
	if err := cw.w.Flush(); err != nil {
		return cw.n, err
	}
	u.written = true
	return cw.n, nil
}

func (u *Update) serMarked(cw *countWriter, start int64, o Object) error {
	// Marks are found by serialising into a buffer and locating the Raw
	// bytes, which callers make unique (placeholders).
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if err := ser(bw, o, 0); err != nil {
		return err
	}
	bw.Flush()
	for _, raw := range collectRaws(o, nil) {
		if raw.Mark == "" {
			continue
		}
		i := bytes.Index(buf.Bytes(), raw.Bytes)
		if i < 0 {
			return i18n.Errorf("placeholder %s not found", raw.Mark)
		}
		u.marks[raw.Mark] = start + cw.n + int64(i)
	}
	_, err := cw.Write(buf.Bytes())
	return err
}

func collectRaws(o Object, out []Raw) []Raw {
	switch v := o.(type) {
	case Raw:
		out = append(out, v)
	case Array:
		for _, e := range v {
			out = collectRaws(e, out)
		}
	case Dict:
		for _, e := range v {
			out = collectRaws(e, out)
		}
	case *Stream:
		out = collectRaws(v.Dict, out)
	}
	return out
}

// XrefRuns sorts object numbers (in place) and groups them into [first,
// last] runs of consecutive numbers: the subsections of a cross-reference
// table, the /Index pairs of a cross-reference stream.
func XrefRuns(nums []uint32) [][2]uint32 {
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	var out [][2]uint32
	for _, n := range nums {
		if len(out) > 0 && out[len(out)-1][1]+1 == n {
			out[len(out)-1][1] = n
			continue
		}
		out = append(out, [2]uint32{n, n})
	}
	return out
}
