package pdf

import (
	"bytes"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"strconv"
)

// errShort means the parser ran past the end of its buffer; the caller may
// retry with a larger window.
var errShort = errors.New("unexpected end of data")

// maxDepth bounds nesting of arrays and dictionaries in untrusted input.
const maxDepth = 64

func isWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// parser reads PDF objects from an in-memory window of a file.
type parser struct {
	buf []byte
	pos int
	// eof says buf ends where the file ends, so running out is a real error.
	eof bool
	// maxDepth bounds nesting (0: the package default, maxDepth).
	maxDepth int
	// mem is the memory the values parsed so far take, as estimated by
	// the mem* constants; maxMem bounds it (0: DefaultLimits'
	// MaxObjectMemory). One parser reads one object.
	mem, maxMem int64
	// stack holds the elements of the arrays being parsed.
	stack []Object
	// dup is the first key found twice with different values in a
	// dictionary of the object (empty: none).
	dup Name
}

// The memory of parsed values, as the parser and memOf estimate it (Go on
// 64 bits): what makes a few bytes of syntax cost tens of times their size
// once parsed. An element of an array is an interface value, with slack
// for the slice's growth; an array, a string, a name and a number are boxed
// to be stored in one; a dictionary is a map whose first entry allocates a
// group of eight slots (key and value, 33 bytes each with the control
// byte), and whose entries past eight take twice their slots (load factor
// and doubling). Strings and names add their bytes.
const (
	memElem      = 20
	memArray     = 24
	memString    = 32
	memName      = 16
	memNumber    = 8
	memMap       = 48
	memMapGroup  = 8 * 33
	memMapEntry  = 2 * 33
	memStreamObj = 80
)

// round8 is n rounded up to the allocator's 8-byte granularity.
func round8(n int) int64 { return int64(n+7) &^ 7 }

// memOf estimates the memory o takes, as the parser charged it (without
// the interface value that holds o itself).
func memOf(o Object) int64 {
	switch v := o.(type) {
	case Int, Real, Ref:
		return memNumber
	case Name:
		return memName + round8(len(v))
	case String:
		return memString + round8(cap(v.Bytes))
	case Array:
		n := int64(memArray)
		for _, e := range v {
			n += memElem + memOf(e)
		}
		return n
	case Dict:
		return memOfDict(v)
	case *Stream:
		return memStreamObj + memOfDict(v.Dict) + int64(len(v.Data))
	}
	return 0
}

func memOfDict(d Dict) int64 {
	n := int64(memMap)
	if len(d) > 0 {
		n += memMapGroup + int64(max(len(d)-8, 0))*memMapEntry
	}
	for k, v := range d {
		n += round8(len(k)) + memOf(v)
	}
	return n
}

// charge adds n bytes to the memory of the values parsed, failing past
// the limit.
func (p *parser) charge(n int64) error {
	p.mem += n
	lim := p.maxMem
	if lim <= 0 {
		lim = DefaultLimits.MaxObjectMemory
	}
	if p.mem > lim {
		return limitErr("MaxObjectMemory", lim, "an object takes more than %d bytes of memory once parsed (too many arrays, strings, dictionaries or keys in it)", lim)
	}
	return nil
}

func (p *parser) short() error {
	if p.eof {
		return i18n.Errorf("unexpected end of file")
	}
	return errShort
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() {
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		if isWhite(c) {
			p.pos++
			continue
		}
		if c == '%' {
			for p.pos < len(p.buf) && p.buf[p.pos] != '\n' && p.buf[p.pos] != '\r' {
				p.pos++
			}
			continue
		}
		return
	}
}

// regular returns the run of regular characters at pos.
func (p *parser) regular() []byte {
	s := p.pos
	for p.pos < len(p.buf) && !isWhite(p.buf[p.pos]) && !isDelim(p.buf[p.pos]) {
		p.pos++
	}
	return p.buf[s:p.pos]
}

// cut says the parser stands at the end of a window that is not the end of
// the file: a token that reaches it may go on past it ("/Off" read as
// "/O", "-.5" as "-"), so nothing read up to here can be trusted whole.
func (p *parser) cut() bool { return p.pos >= len(p.buf) && !p.eof }

// word reads the run of regular characters at pos (a number, keyword or the
// body of a name), or errShort when the window cuts it.
func (p *parser) word() ([]byte, error) {
	w := p.regular()
	if p.cut() {
		return nil, errShort
	}
	return w, nil
}

// peekKeyword reads the next token if it is a bare word, without consuming
// anything; errShort when the window ends before the token does.
func (p *parser) peekKeyword() (string, error) {
	p.skipSpace()
	s := p.pos
	w, err := p.word()
	p.pos = s
	return string(w), err
}

func (p *parser) expectKeyword(k string) error {
	p.skipSpace()
	w, err := p.word()
	if err != nil {
		return err
	}
	if string(w) != k {
		return i18n.Errorf("expected %q at offset %d, found %q", k, p.pos, truncate(w))
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

// object parses one direct object (a Ref counts as one).
func (p *parser) object(depth int) (Object, error) {
	if limit := p.depthLimit(); depth > limit {
		return nil, limitErr("MaxNesting", int64(limit), "arrays or dictionaries nested deeper than %d", limit)
	}
	p.skipSpace()
	if p.pos >= len(p.buf) {
		return nil, p.short()
	}
	c := p.buf[p.pos]
	switch {
	case c == '/':
		p.pos++
		w, err := p.word()
		if err != nil {
			return nil, err
		}
		n := Name(decodeName(w))
		return n, p.charge(memName + round8(len(n)))
	case c == '(':
		return p.charged(p.literalString())
	case c == '<':
		if p.pos+1 >= len(p.buf) {
			return nil, p.short()
		}
		if p.buf[p.pos+1] == '<' {
			p.pos += 2
			return p.dict(depth)
		}
		return p.charged(p.hexString())
	case c == '[':
		p.pos++
		if err := p.charge(memArray); err != nil {
			return nil, err
		}
		// The elements gather on the parser's stack, shared by the arrays
		// it holds, and are copied to an array of their exact number at
		// the end: no slack, and no garbage from growing each array.
		base := len(p.stack)
		for {
			p.skipSpace()
			if p.pos >= len(p.buf) {
				return nil, p.short()
			}
			if p.buf[p.pos] == ']' {
				p.pos++
				arr := make(Array, len(p.stack)-base)
				copy(arr, p.stack[base:])
				clear(p.stack[base:])
				p.stack = p.stack[:base]
				return arr, nil
			}
			if err := p.charge(memElem); err != nil {
				return nil, err
			}
			o, err := p.object(depth + 1)
			if err != nil {
				return nil, err
			}
			p.stack = append(p.stack, o)
		}
	case c == ')' || c == '>' || c == ']' || c == '{' || c == '}':
		return nil, i18n.Errorf("unexpected %q at offset %d", c, p.pos)
	}
	w, err := p.word()
	if err != nil {
		return nil, err
	}
	if len(w) == 0 {
		return nil, i18n.Errorf("unexpected %q at offset %d", c, p.pos)
	}
	switch string(w) {
	case "true":
		return Bool(true), nil
	case "false":
		return Bool(false), nil
	case "null":
		return nil, nil
	}
	if isInteger(w) {
		n, err := strconv.ParseInt(string(w), 10, 64)
		var big float64
		if err != nil {
			// An integer past 64 bits. ISO 32000-1 §7.3.3 lets a reader
			// approximate an integer out of its range, and viewers read
			// one: kyso reads it as the nearest real (float64), so that
			// an object holding one is not unreadable to kyso alone.
			// Where an exact integer is needed (object numbers, offsets,
			// /Length, /Size, /W, /ByteRange ...) a Real is refused. One
			// past float64's range (over 308 digits) is no number at all.
			if big, err = strconv.ParseFloat(string(w), 64); err != nil {
				return nil, i18n.Errorf("bad integer %q", truncate(w))
			}
		}
		// "N G R"
		save := p.pos
		p.skipSpace()
		g := p.regular()
		if len(g) > 0 && isInteger(g) && g[0] != '-' && g[0] != '+' && n >= 0 && big >= 0 {
			p.skipSpace()
			if p.pos < len(p.buf) && p.buf[p.pos] == 'R' && (p.pos+1 == len(p.buf) || isWhite(p.buf[p.pos+1]) || isDelim(p.buf[p.pos+1])) {
				if p.pos+1 == len(p.buf) && !p.eof {
					return nil, errShort
				}
				p.pos++
				gen, err := strconv.ParseUint(string(g), 10, 16)
				if err != nil || n > 1<<31 || big != 0 {
					return nil, i18n.Errorf("bad reference %s %s R", truncate(w), truncate(g))
				}
				return Ref{Num: uint32(n), Gen: uint16(gen)}, p.charge(memNumber)
			}
			if p.pos >= len(p.buf) && !p.eof {
				return nil, errShort
			}
		} else if p.pos >= len(p.buf) && !p.eof {
			return nil, errShort
		}
		p.pos = save
		if big != 0 {
			return Real(big), p.charge(memNumber)
		}
		return Int(n), p.charge(memNumber)
	}
	if f, ok := parseReal(w); ok {
		return Real(f), p.charge(memNumber)
	}
	return nil, i18n.Errorf("unexpected token %q at offset %d", truncate(w), p.pos-len(w))
}

// charged charges a string's memory once it is parsed (its bytes are
// bounded by the syntax they come from).
func (p *parser) charged(o Object, err error) (Object, error) {
	if err != nil {
		return nil, err
	}
	return o, p.charge(memOf(o))
}

func (p *parser) depthLimit() int {
	if p.maxDepth > 0 {
		return p.maxDepth
	}
	return maxDepth
}

func isInteger(w []byte) bool {
	if len(w) == 0 {
		return false
	}
	i := 0
	if w[0] == '+' || w[0] == '-' {
		i = 1
	}
	if i == len(w) {
		return false
	}
	for ; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

func parseReal(w []byte) (float64, bool) {
	seenDigit := false
	for i, c := range w {
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
		case c == '.':
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, false
		}
	}
	if !seenDigit {
		return 0, false
	}
	// Tolerate "--5" style noise as 0? No: strictness keeps parsing honest.
	f, err := strconv.ParseFloat(string(w), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func (p *parser) dict(depth int) (Object, error) {
	if err := p.charge(memMap); err != nil {
		return nil, err
	}
	d := Dict{}
	var nulls map[Name]bool // keys given a null value (at most 64 kept)
	for {
		p.skipSpace()
		if p.pos+1 >= len(p.buf) {
			return nil, p.short()
		}
		if p.buf[p.pos] == '>' && p.buf[p.pos+1] == '>' {
			p.pos += 2
			return d, nil
		}
		if p.buf[p.pos] != '/' {
			return nil, i18n.Errorf("dictionary key expected at offset %d", p.pos)
		}
		p.pos++
		kw, err := p.word()
		if err != nil {
			return nil, err
		}
		k := Name(decodeName(kw))
		v, err := p.object(depth + 1)
		if err != nil {
			return nil, err
		}
		// A key given twice is undefined by ISO 32000; viewers take the
		// last value, and a null value is the same as an absent key, so
		// a later null removes an earlier value. Different values for one
		// key are remembered: readers disagree on such an object.
		old, had := d[k]
		if !had && nulls[k] {
			had = true // given as null before
		}
		if had && p.dup == "" && !sameScalar(old, v) {
			p.dup = k
		}
		if v == nil {
			delete(d, k)
			if nulls == nil {
				nulls = map[Name]bool{}
			}
			if len(nulls) < 64 {
				nulls[k] = true
			}
		} else {
			if _, dup := d[k]; !dup {
				slot := int64(memMapEntry)
				if len(d) == 0 {
					slot = memMapGroup
				} else if len(d) < 8 {
					slot = 0
				}
				if err := p.charge(slot + round8(len(k))); err != nil {
					return nil, err
				}
			}
			d[k] = v
		}
	}
}

// sameScalar says whether two values of one key are the same simple value
// (a number, name, boolean, reference, string or null). Arrays,
// dictionaries and streams given twice count as different: telling would
// cost a comparison an attacker could make long.
func sameScalar(a, b Object) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case Int, Real, Name, Bool, Ref:
		return a == b
	case String:
		y, ok := b.(String)
		return ok && bytes.Equal(x.Bytes, y.Bytes)
	}
	return false
}

func decodeName(b []byte) string {
	if bytes.IndexByte(b, '#') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

func (p *parser) literalString() (Object, error) {
	p.pos++ // (
	var out []byte
	nest := 1
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		p.pos++
		switch c {
		case '(':
			nest++
		case ')':
			nest--
			if nest == 0 {
				return String{Bytes: out}, nil
			}
		case '\\':
			if p.pos >= len(p.buf) {
				return nil, p.short()
			}
			e := p.buf[p.pos]
			p.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
					p.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && p.pos < len(p.buf) && p.buf[p.pos] >= '0' && p.buf[p.pos] <= '7'; k++ {
						v = v*8 + int(p.buf[p.pos]-'0')
						p.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return nil, p.short()
}

func (p *parser) hexString() (Object, error) {
	p.pos++ // <
	var out []byte
	var hi byte
	half := false
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		p.pos++
		var v byte
		switch {
		case c == '>':
			if half {
				out = append(out, hi<<4)
			}
			return String{Bytes: out, Hex: true}, nil
		case isWhite(c):
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return nil, i18n.Errorf("bad character %q in hex string at offset %d", c, p.pos-1)
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return nil, p.short()
}
