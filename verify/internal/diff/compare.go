package diff

import (
	"bytes"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"sort"

	"github.com/kyso-project/kyso/internal/pdf"
)

// equal compares two objects structurally: dictionaries and arrays by their
// values, references by number and generation, streams by dictionary and raw bytes.
// New objects found identical to the old ones they replace are justified
// (an identical copy explains itself), but only when the whole comparison
// holds, so that the result does not depend on the order keys are visited.
func (s *chgStep) equal(x, y pdf.Object) (bool, error) {
	budget := maxCompare
	s.copies = s.copies[:0]
	eq, err := s.equalDepth(x, y, 0, &budget)
	if eq && err == nil {
		for _, n := range s.copies {
			s.justified[n] = true
		}
	}
	return eq, err
}

func (s *chgStep) equalDepth(x, y pdf.Object, depth int, budget *int) (bool, error) {
	*budget--
	if depth > 64 || *budget < 0 {
		return false, nil
	}
	switch a := x.(type) {
	case nil:
		return y == nil, nil
	case pdf.Int, pdf.Real:
		fa, _ := pdf.Number(a)
		fb, ok := pdf.Number(y)
		return ok && fa == fb, nil
	case pdf.Bool:
		b, ok := y.(pdf.Bool)
		return ok && a == b, nil
	case pdf.Name:
		b, ok := y.(pdf.Name)
		return ok && a == b, nil
	case pdf.String:
		b, ok := y.(pdf.String)
		return ok && bytes.Equal(a.Bytes, b.Bytes), nil
	case pdf.Ref:
		b, ok := y.(pdf.Ref)
		if !ok {
			return false, nil
		}
		if a.Num == b.Num {
			// The generation is part of the reference: "7 5 R" in place
			// of "7 0 R" names another object (one that viewers may find
			// by scanning the file, or none), not the same one.
			return a.Gen == b.Gen, nil
		}
		if !s.newObjs[b.Num] {
			return false, nil
		}
		// A new object may be a copy of the old one (writers that rewrite
		// resources under new numbers): compare what they hold.
		ao, err := s.prev.Get(a)
		if err != nil {
			return false, nil
		}
		bo, err := s.cur.Get(b)
		if err != nil {
			return false, nil
		}
		eq, err := s.equalDepth(ao, bo, depth+1, budget)
		if eq && err == nil {
			s.copies = append(s.copies, b.Num)
		}
		return eq, err
	case pdf.Array:
		b, ok := y.(pdf.Array)
		if !ok || len(a) != len(b) {
			return false, nil
		}
		for i := range a {
			if eq, err := s.equalDepth(a[i], b[i], depth+1, budget); err != nil || !eq {
				return eq, err
			}
		}
		return true, nil
	case pdf.Dict:
		b, ok := y.(pdf.Dict)
		if !ok || len(a) != len(b) {
			return false, nil
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok {
				return false, nil
			}
			if eq, err := s.equalDepth(v, w, depth+1, budget); err != nil || !eq {
				return eq, err
			}
		}
		return true, nil
	case *pdf.Stream:
		b, ok := y.(*pdf.Stream)
		if !ok || a.Length != b.Length || (a.Data == nil) != (b.Data == nil) {
			return false, nil
		}
		da, db := a.Dict.Clone(), b.Dict.Clone()
		delete(da, "Length")
		delete(db, "Length")
		if eq, err := s.equalDepth(da, db, depth+1, budget); err != nil || !eq {
			return eq, err
		}
		if a.Data == nil && a.Offset == b.Offset {
			return true, nil
		}
		return sameBytes(s.prev.RawStream(a), s.cur.RawStream(b))
	}
	return false, nil
}

// sameBytes compares two readers to the end.
func sameBytes(x, y io.Reader) (bool, error) {
	var bx, by [32 << 10]byte
	for {
		nx, ex := io.ReadFull(x, bx[:])
		ny, ey := io.ReadFull(y, by[:])
		if nx != ny || !bytes.Equal(bx[:nx], by[:ny]) {
			return false, nil
		}
		endX := ex == io.EOF || ex == io.ErrUnexpectedEOF
		endY := ey == io.EOF || ey == io.ErrUnexpectedEOF
		if endX || endY {
			return endX == endY, nil
		}
		if ex != nil {
			return false, ex
		}
		if ey != nil {
			return false, ey
		}
	}
}

// sameDirect compares two values without resolving anything.
func sameDirect(x, y pdf.Object) bool {
	return bytes.Equal(pdf.Bytes(x), pdf.Bytes(y))
}

func asDict(o pdf.Object) (pdf.Dict, bool) {
	switch v := o.(type) {
	case pdf.Dict:
		return v, true
	case *pdf.Stream:
		return v.Dict, true
	}
	return nil, false
}

// keys is the sorted union of two dictionaries' keys.
func keys(a, b pdf.Dict) []pdf.Name {
	ks := make([]pdf.Name, 0, len(a)+len(b))
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// Annotation flags (ISO 32000-2 12.5.3, Table 167).
const (
	annotInvisible    = 1
	annotHidden       = 2
	annotPrint        = 4
	annotNoZoom       = 8
	annotNoView       = 32
	annotToggleNoView = 256
)

// standardAnnots are the annotation types of ISO 32000-2 12.5.6 (Table
// 171): the Invisible flag hides only annotations of other types.
var standardAnnots = map[pdf.Name]bool{"Text": true, "Link": true, "FreeText": true, "Line": true, "Square": true,
	"Circle": true, "Polygon": true, "PolyLine": true, "Highlight": true, "Underline": true, "Squiggly": true,
	"StrikeOut": true, "Caret": true, "Stamp": true, "Ink": true, "Popup": true, "FileAttachment": true,
	"Sound": true, "Movie": true, "Screen": true, "Widget": true, "PrinterMark": true, "TrapNet": true,
	"Watermark": true, "3D": true, "Redact": true, "Projection": true, "RichMedia": true}

// generatedAnnots are the types viewers draw from the annotation's own
// keys (colours, border, icon name, text) when it has no usable normal
// appearance stream.
var generatedAnnots = map[pdf.Name]bool{"Text": true, "FreeText": true, "Line": true, "Square": true, "Circle": true,
	"Polygon": true, "PolyLine": true, "Highlight": true, "Underline": true, "Squiggly": true, "StrikeOut": true,
	"Caret": true, "Stamp": true, "Ink": true, "FileAttachment": true, "Sound": true, "Redact": true}

// flagReads is an annotation's /F as two kinds of viewer read it. [0]
// takes only an integer in [0, 2^31) and reads anything else as no flags:
// poppler honours /F only if it fits an int, pdf.js only a positive
// integer. [1] takes the low 32 bits of the number's integer part: MuPDF
// truncates to an int. A well-formed /F reads the same both ways. Each
// viewer reads the old and the new flags its own way, so a change is
// judged reading by reading.
type flagReads [2]int64

// readFlags reads an /F value (resolved) both ways.
func readFlags(o pdf.Object) flagReads {
	switch v := o.(type) {
	case pdf.Int:
		if v >= 0 && v < 1<<31 {
			return flagReads{int64(v), int64(v)}
		}
		return flagReads{0, int64(uint32(v))}
	case pdf.Real:
		if f := float64(v); f > -(1<<63) && f < 1<<63 {
			return flagReads{0, int64(uint32(int64(f)))}
		}
	}
	return flagReads{}
}

// annotFlags reads an annotation's /F both ways (flagReads).
func annotFlags(r *pdf.Reader, d pdf.Dict) flagReads {
	f, err := r.Resolve(d["F"])
	if err != nil {
		return flagReads{}
	}
	return readFlags(f)
}

// outputs says where any reading of the flags lets viewers draw the
// annotation (flagOutputs): in doubt, shown.
func (fr flagReads) outputs() (screen, print bool) {
	for _, f := range fr {
		s, p := flagOutputs(f)
		screen, print = screen || s, print || p
	}
	return screen, print
}

// flagOutputs says where an annotation's flags let viewers draw it: on
// screen unless Hidden, or NoView without ToggleNoView (which shows it
// when the pointer comes over it); in print when Print is set and Hidden
// is not. NoView never keeps an annotation off paper.
func flagOutputs(f int64) (screen, print bool) {
	if f&annotHidden != 0 {
		return false, false
	}
	return f&annotNoView == 0 || f&annotToggleNoView != 0, f&annotPrint != 0
}

// rectDrawn says whether an annotation's /Rect lets viewers draw it: a
// rectangle with an area. A missing /Rect (which the spec requires) gives
// viewers no place to draw it. One that is present but not four finite
// numbers is read differently (poppler takes a bad entry as 0, MuPDF reads
// any array's first four entries so, pdf.js drops the annotation): in
// doubt, drawn.
func rectDrawn(r *pdf.Reader, d pdf.Dict) bool {
	o, err := r.Resolve(d["Rect"])
	if err != nil {
		return true
	}
	if o == nil {
		return false
	}
	rect, ok := r.Rect(o)
	return !ok || (rect[0] != rect[2] && rect[1] != rect[3])
}

// annotOutputs says where an annotation may show anything, on screen
// and in print: under some reading of its flags (flagReads), they allow
// it there (flagOutputs, and the Invisible flag for a type no viewer
// knows), its rectangle has an area (rectDrawn, or NoZoom draws the
// appearance at its own size), and it draws something (annotDraws). In
// doubt it says shown.
func annotOutputs(r *pdf.Reader, d pdf.Dict) (screen, print bool) {
	st, _ := d.Name("Subtype")
	drawn := rectDrawn(r, d)
	for _, f := range annotFlags(r, d) {
		if f&annotInvisible != 0 && !standardAnnots[st] {
			continue
		}
		if !drawn && f&annotNoZoom == 0 {
			continue
		}
		s, p := flagOutputs(f)
		screen, print = screen || s, print || p
	}
	if (!screen && !print) || !annotDraws(r, d) {
		return false, false
	}
	return screen, print
}

// visibleAnnot says whether an annotation can show anything, on screen or
// on paper.
func visibleAnnot(r *pdf.Reader, d pdf.Dict) bool {
	screen, print := annotOutputs(r, d)
	return screen || print
}

// annotDraws says whether an annotation has something to draw: a normal
// appearance (or one of its states) with content; with no usable normal
// appearance, the background or border of a widget's /MK, or what a
// viewer generates for the types it draws from their keys.
func annotDraws(r *pdf.Reader, d pdf.Dict) bool {
	st, _ := d.Name("Subtype")
	ap, _ := r.Dict(d["AP"])
	n, _ := r.Resolve(ap["N"])
	switch t := n.(type) {
	case *pdf.Stream:
		return nonEmptyStream(t)
	case pdf.Dict:
		for _, v := range t {
			if o, _ := r.Resolve(v); nonEmptyStream(o) {
				return true
			}
		}
	}
	if st == "Widget" {
		return d["MK"] != nil
	}
	return generatedAnnots[st]
}

func nonEmptyStream(o pdf.Object) bool {
	st, ok := o.(*pdf.Stream)
	return ok && (st.Length > 0 || len(st.Data) > 0)
}

// hiddenCleared says whether a widget's new flags show it where the old
// ones did not and the signer could not have seen it: on screen, or on
// paper when it was not on screen either, under either reading of the
// flags (flagReads).
func hiddenCleared(of, nf flagReads) bool {
	for i := range of {
		os, op := flagOutputs(of[i])
		ns, np := flagOutputs(nf[i])
		if (!os && ns) || (!os && !op && np) {
			return true
		}
	}
	return false
}

// hides says whether new flags stop showing an annotation on screen or on
// paper where the old flags showed it, under either reading of the flags
// (flagReads).
func hides(of, nf flagReads) bool {
	for i := range of {
		os, op := flagOutputs(of[i])
		ns, np := flagOutputs(nf[i])
		if (os && !ns) || (op && !np) {
			return true
		}
	}
	return false
}

func isDocTS(sd pdf.Dict) bool {
	t, _ := sd.Name("Type")
	sf, _ := sd.Name("SubFilter")
	return t == "DocTimeStamp" || sf == "ETSI.RFC3161"
}

func quote(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	return i18n.Sprintf("%q", name)
}
