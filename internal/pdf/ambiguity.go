package pdf

import (
	"strconv"

	"github.com/kyso-project/kyso/internal/i18n"
)

// AmbiguityKind is a kind of construct PDF readers resolve differently.
type AmbiguityKind int

const (
	// DuplicateKey: a dictionary gives one key twice with different
	// values (or a value and null). ISO 32000 leaves it undefined; most
	// viewers take the last, some the first.
	DuplicateKey AmbiguityKind = iota + 1
	// GenerationMismatch: a reference names a generation of an object
	// that the cross-reference lists with another. The spec makes it
	// null; some viewers take the listed object, others rebuild the
	// cross-reference by scanning the file for "N G obj".
	GenerationMismatch
	// HeaderGeneration: an object's header ("N G obj") gives another
	// generation than the cross-reference entry that points at it. Readers
	// that check (poppler) take the entry as wrong and rebuild the
	// cross-reference by scanning the file; others take the object.
	HeaderGeneration
	// XrefEntryType: a cross-reference stream gives an object an entry
	// type past 2, which the spec reads as null and poppler and qpdf as a
	// broken stream (they rebuild the cross-reference from the file). Gen
	// holds the type.
	XrefEntryType
	// DuplicateInObjStm: an object stream's header lists one object number
	// twice, at objects written differently. The cross-reference names
	// one index; MuPDF keeps the first definition, qpdf the last.
	DuplicateInObjStm
)

// Ambiguity is one construct, found while reading the file, that makes
// readers show different documents from the same bytes.
type Ambiguity struct {
	Kind AmbiguityKind
	// Num is the object: the one holding the dictionary (DuplicateKey),
	// the one referred to (GenerationMismatch) or the one listed twice
	// (DuplicateInObjStm).
	Num uint32
	// Stream is the object stream that lists Num twice (DuplicateInObjStm).
	Stream uint32
	// Trailer says the dictionary is a trailer (DuplicateKey; Num is 0).
	Trailer bool
	// Key is the key given twice (DuplicateKey).
	Key Name
	// Gen is the reference's generation (GenerationMismatch) or the
	// object header's (HeaderGeneration), and ListedGen the
	// cross-reference's.
	Gen, ListedGen uint16
}

// String says what the ambiguity is, in the catalogue's English.
func (a Ambiguity) String() string {
	n := strconv.FormatUint(uint64(a.Num), 10)
	switch a.Kind {
	case DuplicateKey:
		if a.Trailer {
			return i18n.Sprintf("a trailer gives /%s twice with different values", string(a.Key))
		}
		return i18n.Sprintf("object %s gives /%s twice with different values", n, string(a.Key))
	case GenerationMismatch:
		return i18n.Sprintf("a reference names object %s generation %s, which the cross-reference lists as generation %s",
			n, strconv.Itoa(int(a.Gen)), strconv.Itoa(int(a.ListedGen)))
	case XrefEntryType:
		return i18n.Sprintf("a cross-reference stream gives object %s the entry type %s, which readers resolve differently", n, strconv.Itoa(int(a.Gen)))
	case HeaderGeneration:
		return i18n.Sprintf("object %s is written as generation %s where the cross-reference lists generation %s",
			n, strconv.Itoa(int(a.Gen)), strconv.Itoa(int(a.ListedGen)))
	case DuplicateInObjStm:
		return i18n.Sprintf("object stream %s holds object %s twice, written differently",
			strconv.FormatUint(uint64(a.Stream), 10), n)
	}
	return ""
}

// maxAmbiguities bounds the ambiguities a Reader keeps: one is enough to
// distrust the file; a few name the objects to look at.
const maxAmbiguities = 16

func (r *Reader) noteAmbiguity(a Ambiguity) {
	sh := r.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.ambiguous) >= maxAmbiguities {
		return
	}
	for _, b := range sh.ambiguous {
		if b == a {
			return
		}
	}
	sh.ambiguous = append(sh.ambiguous, a)
}

// Ambiguities returns what was found so far, in any view of the file,
// that readers resolve differently (at most 16). It covers only the
// objects read: a caller that needs a verdict on some objects reads them
// first.
func (r *Reader) Ambiguities() []Ambiguity {
	sh := r.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return append([]Ambiguity(nil), sh.ambiguous...)
}
