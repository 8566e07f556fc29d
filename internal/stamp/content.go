package stamp

import (
	"bytes"
	"context"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"strconv"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Resolver is what reading a page's images needs from a PDF reader;
// *pdf.Reader satisfies it.
type Resolver interface {
	Resolve(o pdf.Object) (pdf.Object, error)
	StreamData(s *pdf.Stream) ([]byte, error)
}

// matrix is a PDF transformation [a b c d e f]; points are row vectors,
// p' = p × m.
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// then returns m followed by n (m × n).
func (m matrix) then(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// finite says whether every entry is a finite number.
func (m matrix) finite() bool {
	for _, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// placement is one image drawn on a page: m maps the image's unit square
// to default user space.
type placement struct {
	m             matrix
	width, height int
	// image is the XObject; nil for an inline image.
	image *pdf.Stream
}

// area is the drawn area in square points.
func (p placement) area() float64 { return math.Abs(p.m[0]*p.m[3] - p.m[1]*p.m[2]) }

// dpi is the effective resolution: pixels per inch drawn, the smaller of
// the two directions.
func (p placement) dpi(userUnit float64) float64 {
	w := math.Hypot(p.m[0], p.m[1]) * userUnit / 72
	h := math.Hypot(p.m[2], p.m[3]) * userUnit / 72
	if w == 0 || h == 0 {
		return math.Inf(1)
	}
	return math.Min(float64(p.width)/w, float64(p.height)/h)
}

// Bounds on the work an untrusted page can cause.
const (
	maxFormDepth  = 8
	maxPlacements = 10000
	maxQDepth     = 256
)

var errTooManyImages = errors.New("page draws too many images")

// imageFinder collects the images a page draws, through form XObjects.
// Each form is scanned once; its images are cached in form space.
type imageFinder struct {
	ctx   context.Context
	r     Resolver
	forms map[*pdf.Stream][]placement
	busy  map[*pdf.Stream]bool
}

// pageImages lists the images drawn by a page's content, in default user
// space.
func pageImages(ctx context.Context, r Resolver, page pdf.Dict, resources pdf.Dict) ([]placement, error) {
	c, err := r.Resolve(page.Get("Contents"))
	if err != nil {
		return nil, err
	}
	var data []byte
	streams := []pdf.Object{c}
	if a, ok := c.(pdf.Array); ok {
		streams = a
	}
	// The page's streams are one content stream cut in parts: together
	// they get the limit of one stream.
	limit := pdf.DefaultLimits.MaxDecoded
	if l, ok := r.(interface{ Limits() pdf.Limits }); ok {
		limit = l.Limits().MaxDecoded
	}
	for _, s := range streams {
		s, err := r.Resolve(s)
		if err != nil {
			return nil, err
		}
		st, ok := s.(*pdf.Stream)
		if !ok {
			continue
		}
		b, err := r.StreamData(st)
		if err != nil {
			return nil, i18n.Errorf("page content: %v", err)
		}
		if int64(len(data)+len(b)) >= limit {
			return nil, pdf.LimitErrorf("MaxDecoded", limit, "page content: the page's content streams decode to more than %d bytes together", limit)
		}
		data = append(append(data, b...), '\n')
	}
	f := &imageFinder{ctx: ctx, r: r, forms: map[*pdf.Stream][]placement{}, busy: map[*pdf.Stream]bool{}}
	return f.scan(data, resources, 0)
}

// scan runs a content stream and returns the images it draws, in the
// stream's own space.
func (f *imageFinder) scan(data []byte, res pdf.Dict, depth int) ([]placement, error) {
	var out []placement
	ctm := identity
	var stack []matrix
	var err error
	xobjects := func() pdf.Dict {
		d, _ := f.r.Resolve(res.Get("XObject"))
		x, _ := d.(pdf.Dict)
		return x
	}
	add := func(ps ...placement) error {
		if len(out)+len(ps) > maxPlacements {
			return errTooManyImages
		}
		for _, p := range ps {
			// A matrix that overflowed (a hostile cm) places the image
			// nowhere: its area and resolution would be NaN or infinite.
			if p.m.finite() {
				out = append(out, p)
			}
		}
		return nil
	}
	// Viewers draw what they can of a damaged content stream; so does the
	// image finder: the images found before the damage still count, and
	// scanOps's syntax error is dropped.
	scanOps(data, func(op string, args []operand, inline pdf.Dict) bool {
		switch op {
		case "q":
			if len(stack) < maxQDepth {
				stack = append(stack, ctm)
			}
		case "Q":
			if len(stack) > 0 {
				ctm, stack = stack[len(stack)-1], stack[:len(stack)-1]
			}
		case "cm":
			if m, ok := numbers6(args); ok {
				ctm = m.then(ctm)
			}
		case "BI":
			w, _ := pdf.Number(inlineGet(inline, "W", "Width"))
			h, _ := pdf.Number(inlineGet(inline, "H", "Height"))
			if w > 0 && h > 0 && w < 1<<31 && h < 1<<31 {
				err = add(placement{m: ctm, width: int(w), height: int(h)})
			}
		case "Do":
			if len(args) == 0 || args[len(args)-1].name == "" {
				return true
			}
			err = f.do(pdf.Name(args[len(args)-1].name), xobjects(), ctm, depth, add)
		}
		if err == nil && f.ctx != nil {
			err = f.ctx.Err()
		}
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (f *imageFinder) do(name pdf.Name, xobjects pdf.Dict, ctm matrix, depth int, add func(...placement) error) error {
	o, err := f.r.Resolve(xobjects.Get(name))
	if err != nil {
		return nil // a broken resource draws nothing; PageDPI is advisory
	}
	st, ok := o.(*pdf.Stream)
	if !ok {
		return nil
	}
	sub, _ := st.Dict.Name("Subtype")
	switch sub {
	case "Image":
		w, _ := f.r.Resolve(st.Dict.Get("Width"))
		h, _ := f.r.Resolve(st.Dict.Get("Height"))
		wf, _ := pdf.Number(w)
		hf, _ := pdf.Number(h)
		if wf > 0 && hf > 0 && wf < 1<<31 && hf < 1<<31 {
			return add(placement{m: ctm, width: int(wf), height: int(hf), image: st})
		}
	case "Form":
		if depth >= maxFormDepth || f.busy[st] {
			return nil
		}
		ps, ok := f.forms[st]
		if !ok {
			data, err := f.r.StreamData(st)
			if err != nil {
				return nil
			}
			res := st.Dict.Get("Resources")
			rd, _ := f.r.Resolve(res)
			fres, ok := rd.(pdf.Dict)
			if !ok {
				fres = nil
			}
			f.busy[st] = true
			ps, err = f.scan(data, fres, depth+1)
			delete(f.busy, st)
			if err != nil {
				return err
			}
			f.forms[st] = ps
		}
		fm := identity
		if a, err := f.r.Resolve(st.Dict.Get("Matrix")); err == nil {
			if arr, ok := a.(pdf.Array); ok && len(arr) == 6 {
				var m matrix
				ok := true
				for i, v := range arr {
					m[i], ok = pdf.Number(v)
					if !ok {
						break
					}
				}
				if ok {
					fm = m
				}
			}
		}
		full := fm.then(ctm)
		moved := make([]placement, len(ps))
		for i, p := range ps {
			p.m = p.m.then(full)
			moved[i] = p
		}
		return add(moved...)
	}
	return nil
}

func numbers6(args []operand) (matrix, bool) {
	var m matrix
	if len(args) < 6 {
		return m, false
	}
	for i, a := range args[len(args)-6:] {
		if !a.isNum {
			return m, false
		}
		m[i] = a.num
	}
	return m, true
}

func inlineGet(d pdf.Dict, keys ...pdf.Name) pdf.Object {
	for _, k := range keys {
		if v, ok := d[k]; ok {
			return v
		}
	}
	return nil
}

// operand is a content-stream operand, reduced to what the image finder
// uses: numbers and names. Strings, arrays and dictionaries are skipped.
type operand struct {
	num   float64
	isNum bool
	name  string
}

const maxOperands = 32

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelimiter(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// scanOps tokenises a content stream and calls fn for each operator with
// its last operands (and, for "BI", the inline image's dictionary). It stops
// when fn returns false. An unterminated string or inline image ends the
// scan with an error.
func scanOps(data []byte, fn func(op string, args []operand, inline pdf.Dict) bool) error {
	var args []operand
	push := func(o operand) {
		if len(args) == maxOperands {
			copy(args, args[1:])
			args = args[:maxOperands-1]
		}
		args = append(args, o)
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case isSpace(c):
			i++
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '/':
			j := i + 1
			for j < len(data) && !isSpace(data[j]) && !isDelimiter(data[j]) {
				j++
			}
			push(operand{name: string(data[i+1 : j])})
			i = j
		case c == '(':
			j, err := skipLiteral(data, i)
			if err != nil {
				return err
			}
			push(operand{})
			i = j
		case c == '<' && i+1 < len(data) && data[i+1] == '<', c == '>' && i+1 < len(data) && data[i+1] == '>':
			push(operand{})
			i += 2
		case c == '<':
			j := bytes.IndexByte(data[i:], '>')
			if j < 0 {
				return i18n.Errorf("content stream: unterminated hex string")
			}
			push(operand{})
			i += j + 1
		case c == '[' || c == ']' || c == '{' || c == '}':
			push(operand{})
			i++
		case c == ')' || c == '>':
			i++ // stray delimiter: skipped, as viewers do
		default:
			j := i
			for j < len(data) && !isSpace(data[j]) && !isDelimiter(data[j]) {
				j++
			}
			tok := data[i:j]
			i = j
			if c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
				if v, err := strconv.ParseFloat(string(tok), 64); err == nil {
					push(operand{num: v, isNum: true})
					continue
				}
			}
			op := string(tok)
			switch op {
			case "true", "false", "null":
				push(operand{})
				continue
			case "BI":
				d, next, err := inlineImage(data, i)
				if err != nil {
					return err
				}
				i = next
				if !fn(op, nil, d) {
					return nil
				}
			default:
				if !fn(op, args, nil) {
					return nil
				}
			}
			args = args[:0]
		}
	}
	return nil
}

// skipLiteral returns the index after the literal string starting at i.
func skipLiteral(data []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, i18n.Errorf("content stream: unterminated string")
}

// inlineKeys are the keys of an inline image's dictionary the image
// finder reads; inlineImage keeps no other.
var inlineKeys = map[pdf.Name]bool{
	"W": true, "Width": true, "H": true, "Height": true, "BPC": true, "BitsPerComponent": true,
	"CS": true, "ColorSpace": true, "F": true, "Filter": true,
}

// inlineImage reads an inline image's dictionary (after "BI", up to "ID")
// and skips its data and "EI". Only numeric and name values are kept.
func inlineImage(data []byte, i int) (pdf.Dict, int, error) {
	d := pdf.Dict{}
	var key pdf.Name
	for i < len(data) {
		for i < len(data) && isSpace(data[i]) {
			i++
		}
		if i == len(data) {
			break
		}
		if i+2 <= len(data) && string(data[i:i+2]) == "ID" && (i+2 == len(data) || isSpace(data[i+2])) {
			i = min(i+3, len(data))
			end := inlineEnd(data, i, d)
			if end < 0 {
				return nil, 0, i18n.Errorf("content stream: inline image without EI")
			}
			return d, end, nil
		}
		if i < len(data) && (data[i] == '(' || data[i] == '<') {
			// A string value (a palette): skip it whole, it may hold anything.
			j, err := skipLiteral(data, i)
			if data[i] == '<' {
				j, err = i+bytes.IndexByte(data[i:], '>')+1, nil
				if j == i {
					err = errors.New("content stream: unterminated hex string")
				}
			}
			if err != nil {
				return nil, 0, err
			}
			i, key = j, ""
			continue
		}
		j := i
		if j < len(data) && data[j] == '/' {
			j++
		}
		for j < len(data) && !isSpace(data[j]) && !isDelimiter(data[j]) {
			j++
		}
		if j == i {
			// Arrays or strings as values (a /Decode array, a palette):
			// step over one byte; they never contain "ID" as a token.
			j = i + 1
		}
		tok := string(data[i:j])
		i = j
		switch {
		case len(tok) > 1 && tok[0] == '/' && key == "":
			key = pdf.Name(tok[1:])
		case key != "" && !inlineKeys[key]:
			// A key the finder never reads: its value is skipped, not
			// kept (a dictionary of millions of keys would cost hundreds
			// of megabytes).
			if tok != "[" {
				key = ""
			}
		case key != "":
			if tok[0] == '/' {
				d[key] = pdf.Name(tok[1:])
			} else if v, err := strconv.ParseFloat(tok, 64); err == nil {
				d[key] = pdf.Real(v)
			}
			if tok != "[" {
				key = ""
			}
		}
	}
	return nil, 0, i18n.Errorf("content stream: inline image without ID")
}

// inlineEnd finds the end of "EI" after inline image data starting at i.
// Unfiltered data has a known length; otherwise the first "EI" between
// white space ends it, as readers do.
func inlineEnd(data []byte, i int, d pdf.Dict) int {
	if _, filtered := d["F"]; !filtered {
		if _, filtered = d["Filter"]; !filtered {
			w, _ := pdf.Number(inlineGet(d, "W", "Width"))
			h, _ := pdf.Number(inlineGet(d, "H", "Height"))
			bpc, ok := pdf.Number(inlineGet(d, "BPC", "BitsPerComponent"))
			if !ok {
				bpc = 1 // image masks
			}
			comps := 1.0
			if cs, _ := inlineGet(d, "CS", "ColorSpace").(pdf.Name); cs == "RGB" || cs == "DeviceRGB" {
				comps = 3
			} else if cs == "CMYK" || cs == "DeviceCMYK" {
				comps = 4
			}
			n := math.Ceil(w*comps*bpc/8) * h
			if n >= 0 && n < float64(len(data)-i) {
				j := i + int(n)
				for j < len(data) && isSpace(data[j]) {
					j++
				}
				if j+2 <= len(data) && string(data[j:j+2]) == "EI" {
					return j + 2
				}
			}
		}
	}
	for j := i; j+2 <= len(data); j++ {
		if data[j] == 'E' && data[j+1] == 'I' && (j == 0 || isSpace(data[j-1])) && (j+2 == len(data) || isSpace(data[j+2]) || isDelimiter(data[j+2])) {
			return j + 2
		}
	}
	return -1
}
