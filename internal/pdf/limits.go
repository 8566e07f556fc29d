package pdf

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"sort"

	"github.com/kyso-project/kyso/internal/i18n"
)

// Limits bound the work and memory one untrusted file can cause. Every
// package that reads PDFs (verify, sign, timestamp, archive, the stamp's
// page reader) goes through a Reader and so through these bounds. With
// DefaultLimits one file costs at most a few hundred megabytes of memory
// and time roughly linear in its size, whatever its bytes.
//
// A zero field takes its value from DefaultLimits.
type Limits struct {
	// MaxSections bounds the cross-reference sections followed through
	// /Prev (each incremental update adds one): against /Prev chains that
	// make every later step loop over thousands of revisions.
	MaxSections int
	// MaxObjectSize bounds the bytes of one object outside streams (a
	// dictionary, array or string): against objects that never close.
	MaxObjectSize int
	// MaxDecoded bounds the bytes one stream decodes to: against
	// decompression bombs.
	MaxDecoded int64
	// MaxDecodedTotal bounds the bytes all streams of the file decode to
	// together, counting a stream decoded twice twice: against many bombs
	// each under MaxDecoded.
	MaxDecodedTotal int64
	// MaxObjectMemory bounds the memory the values parsed from one object
	// take, as kyso estimates it (about 40 bytes for an element of an
	// array, 300 for a small dictionary, plus the bytes of strings and
	// names): against objects within MaxObjectSize that parse to tens of
	// times their size ("[][][]...", "<</A 1>><</A 1>>...", a dictionary
	// of millions of keys).
	MaxObjectMemory int64
	// MaxCached bounds the decoded object streams, and separately the
	// parsed objects (by their memory, estimated as for MaxObjectMemory),
	// a Reader keeps in memory at once (it drops its caches beyond it).
	MaxCached int64
	// MaxParsed and ParsedPerByte bound the bytes of PDF syntax parsed for
	// one file, counting re-parses and scans for endstream: at most
	// MaxParsed + ParsedPerByte × file size. Against objects that overlap
	// (strings that never close, object streams whose objects all start at
	// one place) and make parsing quadratic.
	MaxParsed     int64
	ParsedPerByte int64
	// MaxParsedMemory and ParsedMemoryPerByte bound the memory of all the
	// values parsed from one file (objects and trailers, estimated as for
	// MaxObjectMemory), counting an object parsed again (after the cache
	// dropped it) again: at most MaxParsedMemory + ParsedMemoryPerByte ×
	// file size. Callers may keep what they read (the page walk keeps
	// every page, with its resources), so this bounds what they can hold:
	// against many objects, each under MaxObjectMemory, that together
	// take gigabytes (pages in compressed object streams that each hold
	// an array of a few hundred thousand empty arrays).
	MaxParsedMemory     int64
	ParsedMemoryPerByte int64
	// MaxLookups bounds the object lookups (Get, cached or not) made on one
	// file, plus one per 8 bytes of it: against walks repeated per revision
	// (a thousand updates over a page tree of thousands of pages) that make
	// the work grow as the product of two sizes.
	MaxLookups int64
	// MaxObjects bounds the cross-reference entries of all sections
	// together. The entries are also bounded by the file's bytes: no more
	// than one per byte of the file, since every entry must be encoded
	// somewhere in it. Against /Size, /Index and row counts that claim
	// billions of objects.
	MaxObjects int
	// MaxObjectNumber is the largest object number kyso reads from a
	// cross-reference section or writes in an update. The default is the
	// limit on indirect objects of PDF 1.7 (ISO 32000-1 Annex C),
	// 8 388 607; numbers past it in an update (from a hostile /Size) are
	// refused rather than wrapped round.
	MaxObjectNumber uint32
	// MaxNesting bounds how deep arrays and dictionaries nest, and how
	// deep kyso walks trees (page tree, form fields) and chains of
	// references: against stack exhaustion.
	MaxNesting int
	// MaxPages bounds the pages of the page tree.
	MaxPages int
	// MaxSignatures bounds the signature dictionaries verify judges in one
	// file (signature fields of every revision, or orphan signature
	// dictionaries). Real documents carry a handful; each signature costs
	// its own parsing, hashing and chain building, so thousands of small
	// bogus ones would cost time and memory out of proportion to the file.
	MaxSignatures int
	// MaxHashed and HashedPerByte bound the bytes verify hashes for the
	// signatures of one file: at most MaxHashed + HashedPerByte × file
	// size. Signatures share their hashing where they sign the same bytes
	// (the same ranges, a common start), but a signature's bytes up to the
	// end of the file cannot be shared with another's that starts
	// elsewhere, so N signatures can cost N times the file. Against a
	// thousand signatures that each sign almost the whole file. The
	// signatures past the budget (the latest ones in signing order) are
	// not checked: they are indeterminate.
	MaxHashed     int64
	HashedPerByte int64
}

// DefaultLimits are generous for real documents and small enough to keep
// memory bounded.
var DefaultLimits = Limits{
	MaxSections:         1024,
	MaxObjectSize:       16 << 20,
	MaxDecoded:          16 << 20,
	MaxDecodedTotal:     128 << 20,
	MaxObjectMemory:     16 << 20,
	MaxCached:           16 << 20,
	MaxParsed:           256 << 20,
	ParsedPerByte:       16,
	MaxParsedMemory:     64 << 20,
	ParsedMemoryPerByte: 8,
	MaxLookups:          1 << 20,
	MaxObjects:          1 << 21,
	MaxObjectNumber:     1<<23 - 1,
	MaxNesting:          64,
	MaxPages:            1 << 20,
	MaxSignatures:       1000,
	MaxHashed:           64 << 20,
	HashedPerByte:       16,
}

// withDefaults fills zero (or negative) fields from DefaultLimits: every
// field is a number, and none means anything at zero.
func (l Limits) withDefaults() Limits {
	v, d := reflect.ValueOf(&l).Elem(), reflect.ValueOf(DefaultLimits)
	for i := range v.NumField() {
		if f := v.Field(i); f.IsZero() || f.CanInt() && f.Int() < 0 {
			f.Set(d.Field(i))
		}
	}
	return l
}

// LimitError says a file needs more than a limit allows. Callers classify
// it as a problem of the input file.
type LimitError struct {
	// Limit is the name of the Limits field ("MaxDecodedTotal").
	Limit string
	// Max is the limit's value for this file.
	Max int64
	// What says what went over it, with the limit's value.
	What string
}

func (e *LimitError) Error() string {
	return i18n.Sprintf("%s (kyso's limit %s)", e.What, e.Limit)
}

// Localize says the error in p's language: What was made by i18n.Sprintf,
// so it translates; the limit's name stays as the Limits field is named.
func (e *LimitError) Localize(p *i18n.Printer) string {
	return p.T("%s (kyso's limit %s)", p.Translate(e.What), e.Limit)
}

// IsLimit reports whether err is, or wraps, a LimitError.
func IsLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
}

// LimitErrorf makes a LimitError; format is a catalogue key (i18n).
func LimitErrorf(limit string, max int64, format string, a ...any) *LimitError {
	return limitErr(limit, max, format, a...)
}

func limitErr(limit string, max int64, format string, a ...any) *LimitError {
	return &LimitError{Limit: limit, Max: max, What: i18n.Sprintf(format, a...)}
}

// Limits returns the limits the reader applies.
func (r *Reader) Limits() Limits { return r.limits }

// Err returns the first limit the file went over, if any. Once over a
// budget (decoded or parsed bytes, lookups, memory of parsed values) every
// later read fails too, so a caller that tolerated a failed lookup must
// check Err before trusting a result built from lookups.
func (r *Reader) Err() error {
	sh := r.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.over != nil {
		return sh.over
	}
	return nil
}

// overLocked records the first budget overrun; sh.mu is held.
func (sh *shared) overLocked(e *LimitError) *LimitError {
	if sh.over == nil {
		sh.over = e
	}
	return sh.over
}

// spend charges n to one of the file's budgets (a counter of sh, under
// sh.mu) and records the overrun when it goes past max: every later
// charge to any budget then fails with it.
// format is a catalogue key.
func (r *Reader) spend(counter func(*shared) *int64, n, max int64, limit, format string) error {
	sh := r.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.over != nil {
		return sh.over
	}
	c := counter(sh)
	*c += n
	if *c > max {
		return sh.overLocked(limitErr(limit, max, format, max))
	}
	return nil
}

// spendDecoded charges n decoded bytes to the file's budget.
func (r *Reader) spendDecoded(n int64) error {
	return r.spend(func(sh *shared) *int64 { return &sh.decoded }, n, r.limits.MaxDecodedTotal,
		"MaxDecodedTotal", "the streams of the file decode to more than %d bytes")
}

// parseBudget is the bytes of syntax one file may cost.
func (r *Reader) parseBudget() int64 {
	return r.limits.MaxParsed + r.limits.ParsedPerByte*r.size
}

// spendParsed charges n parsed or scanned bytes to the file's budget.
func (r *Reader) spendParsed(n int) error {
	return r.spend(func(sh *shared) *int64 { return &sh.parsed }, int64(n), r.parseBudget(),
		"MaxParsed", "parsing the file takes more than %d bytes of syntax (objects overlap or never end)")
}

// memoryBudget is the memory of parsed values one file may cost.
func (r *Reader) memoryBudget() int64 {
	return r.limits.MaxParsedMemory + r.limits.ParsedMemoryPerByte*r.size
}

// spendMemory charges n bytes of memory of parsed values to the file's
// budget.
func (r *Reader) spendMemory(n int64) error {
	return r.spend(func(sh *shared) *int64 { return &sh.memory }, n, r.memoryBudget(),
		"MaxParsedMemory", "the values parsed from the file take more than %d bytes of memory in all")
}

// budgetErr returns the recorded overrun, if any.
func (r *Reader) budgetErr() error {
	if err := r.Err(); err != nil {
		return err
	}
	return nil
}

// tokenIndex finds a token in the file one chunk at a time, each chunk
// scanned once, so that recovering many wrong stream lengths costs one pass
// over the file, not one each, and a single one costs only the chunks up to
// its end.
type tokenIndex struct {
	hits    [][]int64 // per chunk: occurrences starting in it; nil: not scanned
	scanned []bool
}

const tokenChunk = 64 << 10

// nextPosition returns the first occurrence of tok at or after from, or -1.
func (r *Reader) nextPosition(tok string, from int64) (int64, error) {
	if from < 0 || from >= r.size {
		return -1, nil
	}
	sh := r.shared
	sh.mu.Lock()
	ix := sh.tokens[tok]
	if ix == nil {
		n := int((r.size + tokenChunk - 1) / tokenChunk)
		ix = &tokenIndex{hits: make([][]int64, n), scanned: make([]bool, n)}
		sh.tokens[tok] = ix
	}
	sh.mu.Unlock()
	t := []byte(tok)
	var buf []byte
	for c := int(from / tokenChunk); c < len(ix.hits); c++ {
		sh.mu.Lock()
		done, hits := ix.scanned[c], ix.hits[c]
		sh.mu.Unlock()
		if !done {
			off := int64(c) * tokenChunk
			n := min(tokenChunk+int64(len(t))-1, r.size-off)
			if buf == nil {
				buf = make([]byte, tokenChunk+len(t)-1)
			}
			b := buf[:n]
			if m, err := r.ra.ReadAt(b, off); m < len(b) {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return -1, err
			}
			hits = nil
			for i := 0; ; {
				j := bytes.Index(b[i:], t)
				if j < 0 || i+j >= tokenChunk {
					break
				}
				hits = append(hits, off+int64(i+j))
				i += j + 1
			}
			if err := r.spendParsed(len(b)); err != nil {
				return -1, err
			}
			sh.mu.Lock()
			ix.scanned[c], ix.hits[c] = true, hits
			sh.mu.Unlock()
		}
		i := sort.Search(len(hits), func(i int) bool { return hits[i] >= from })
		if i < len(hits) {
			return hits[i], nil
		}
	}
	return -1, nil
}
