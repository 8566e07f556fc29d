// Package pdf reads and appends to PDF files without loading them whole.
//
// It is written for signing and verifying: a Reader works over an io.ReaderAt,
// parses only the objects it is asked for, keeps every revision (each
// incremental update with its own cross-reference section) apart, and bounds
// the work any untrusted input can cause. An Update writes new and changed
// objects after the end of an existing file, never touching its bytes.
package pdf

import (
	"fmt"
	"sort"

	"github.com/kyso-project/kyso/internal/i18n"
)

// Object is one PDF object: nil (null), Bool, Int, Real, String, Name, Array,
// Dict, Ref or *Stream.
type Object interface{}

type (
	// Bool is a PDF boolean.
	Bool bool
	// Int is a PDF integer.
	Int int64
	// Real is a PDF real number.
	Real float64
	// Name is a PDF name, without its leading slash, with #xx escapes decoded.
	Name string
	// Array is a PDF array.
	Array []Object
	// Dict is a PDF dictionary.
	Dict map[Name]Object
)

// String is a PDF string; Hex records whether it was (or is to be) written
// in hexadecimal form.
type String struct {
	Bytes []byte
	Hex   bool
}

// Ref is an indirect reference.
type Ref struct {
	Num uint32
	Gen uint16
}

func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// Stream is a stream object. A stream read from a file keeps the position of
// its raw (still encoded) data; a stream built in memory holds Data.
type Stream struct {
	Dict Dict
	// Offset and Length locate the raw data in the file it was read from.
	Offset int64
	Length int64
	// Data holds the raw (encoded as Dict's /Filter says) bytes of a stream
	// built in memory. Nil for streams read from a file.
	Data []byte
}

// Raw is bytes written verbatim by the serializer. It lets a caller reserve
// a fixed-width slot (a signature's /Contents or /ByteRange) and find it
// again in the output with Update.Offset.
type Raw struct {
	Bytes []byte
	// Mark, when set, names the slot so Update.Offset can report where
	// its first byte was written.
	Mark string
}

// Str makes a literal String.
func Str(s string) String { return String{Bytes: []byte(s)} }

// Get returns d[k], or nil.
func (d Dict) Get(k Name) Object {
	if d == nil {
		return nil
	}
	return d[k]
}

// Name returns d[k] when it is a direct Name.
func (d Dict) Name(k Name) (Name, bool) {
	n, ok := d.Get(k).(Name)
	return n, ok
}

// Int returns d[k] when it is a direct integer.
func (d Dict) Int(k Name) (int64, bool) {
	n, ok := d.Get(k).(Int)
	return int64(n), ok
}

// ExactInt returns d[k] when it must be an exact integer (a count, an
// offset, an object number): ok is false when k is absent or null, and a
// value of another kind is an error naming the key. A Real is refused
// too, whole or not: it may be an integer too large for 64 bits that the
// parser read as its approximation, which no offset or count may be.
func (d Dict) ExactInt(k Name) (v int64, ok bool, err error) {
	switch o := d.Get(k).(type) {
	case nil:
		return 0, false, nil
	case Int:
		return int64(o), true, nil
	case Real:
		return 0, false, i18n.Errorf("/%s is %s, not an integer", k, formatReal(float64(o)))
	case Ref:
		return 0, false, i18n.Errorf("/%s is an indirect reference (%v), not a direct integer", k, o)
	}
	return 0, false, i18n.Errorf("/%s is not an integer", k)
}

// Keys returns the keys of d in sorted order, so output is deterministic.
func (d Dict) Keys() []Name {
	ks := make([]Name, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// Clone returns a shallow copy of d.
func (d Dict) Clone() Dict {
	c := make(Dict, len(d)+2)
	for k, v := range d {
		c[k] = v
	}
	return c
}

// Number returns o as a float64 when it is an Int or a Real.
func Number(o Object) (float64, bool) {
	switch v := o.(type) {
	case Int:
		return float64(v), true
	case Real:
		return float64(v), true
	}
	return 0, false
}
