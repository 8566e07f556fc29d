package pdf

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
)

// XrefKind is the form of a cross-reference section.
type XrefKind int

const (
	XrefTable  XrefKind = iota // classic "xref" table
	XrefStream                 // cross-reference stream (PDF 1.5)
	XrefHybrid                 // table whose trailer has /XRefStm
)

// XrefEntry locates one object.
type XrefEntry struct {
	// Type is 0 (free), 1 (at Offset) or 2 (inside object stream Stream at Index).
	Type   byte
	Offset int64
	Gen    uint16
	Stream uint32
	Index  int
}

// Revision is one version of the document: the original or an incremental
// update, with the cross-reference sections that belong to it.
type Revision struct {
	Index int
	// XrefOffset is where its (newest) cross-reference section starts.
	XrefOffset int64
	// End is the offset just past its %%EOF marker and end-of-line: the
	// length of the file as it was when this revision was written.
	End     int64
	Trailer Dict
	Kind    XrefKind
	// Entries are the objects this revision's sections list (not merged
	// with earlier revisions).
	Entries map[uint32]XrefEntry
	// XrefObject is the object number of its xref stream, if any.
	XrefObjects []uint32
	// XrefStreamAt maps where each of its cross-reference streams starts
	// ("N G obj") to its object number.
	XrefStreamAt map[int64]uint32
	// Duplicates are the object numbers one of its sections lists more
	// than once. Like qpdf and MuPDF, the reader keeps the first entry;
	// readers that keep the last one show other content, so a revision
	// with duplicates can show different documents in different viewers.
	Duplicates []uint32
	// HybridFree are the object numbers a hybrid section's table marks
	// free while its /XRefStm stream lists them in use, sorted. The reader
	// takes the stream's entry, as ISO 32000-1 §7.5.8.4 has it (an entry
	// the table does not give is looked up in the stream) and as qpdf and
	// pdf.js do; MuPDF keeps the table's free entry and shows the object
	// deleted. For objects new in the revision (those written in object
	// streams) that is the usual hybrid pattern; for an object the
	// document already had, viewers show different documents.
	HybridFree []uint32
}

// Reader reads a PDF file through an io.ReaderAt.
type Reader struct {
	ra     io.ReaderAt
	size   int64
	limits Limits
	revs   []*Revision
	// rev is the revision this view reads (index into revs).
	rev     int
	version string
	// nentries counts cross-reference entries while the file is opened.
	nentries int64

	shared *shared
}

// shared is what all views of one file have in common.
type shared struct {
	mu sync.Mutex
	// index lists, for each object number, its entries in the revisions
	// that list it, oldest first. Built when the file is opened.
	index map[uint32][]revEntry
	// newest is the merged cross-reference of the newest revision.
	newest  map[uint32]XrefEntry
	objects map[objKey]Object
	objstms map[int64]*objStm
	// objBytes and stmBytes are what the caches hold, roughly.
	objBytes, stmBytes int64
	// decoded, parsed, lookups and memory are the budgets spent (see
	// Limits).
	decoded, parsed, lookups, memory int64
	over                             *LimitError
	tokens                           map[string]*tokenIndex
	// ambiguous lists what readers resolve differently, as found while
	// reading (at most maxAmbiguities).
	ambiguous []Ambiguity
}

type revEntry struct {
	rev int
	e   XrefEntry
}

type objKey struct {
	off   int64
	stm   uint32
	index int
}

type objStm struct {
	data    []byte
	offsets []uint32 // offset of each object in data (after first)
	nums    []uint32
	first   int
}

// NewReader opens a PDF of the given size.
func NewReader(ra io.ReaderAt, size int64) (*Reader, error) {
	return NewReaderLimits(ra, size, DefaultLimits)
}

// ErrCycle is wrapped by the errors about references that lead back to
// themselves.
var ErrCycle = errors.New("reference cycle")

// ErrNotPDF says the input is not a PDF at all.
var ErrNotPDF = errors.New("not a PDF file")

// NewReaderLimits opens a PDF with explicit limits.
func NewReaderLimits(ra io.ReaderAt, size int64, lim Limits) (*Reader, error) {
	lim = lim.withDefaults()
	r := &Reader{ra: ra, size: size, limits: lim, shared: &shared{
		objects: map[objKey]Object{}, objstms: map[int64]*objStm{}, tokens: map[string]*tokenIndex{},
	}}
	if size < 8 {
		return nil, i18n.Errorf("%v: %d bytes", ErrNotPDF, size)
	}
	head := make([]byte, min(1024, size))
	if _, err := ra.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, err
	}
	i := bytes.Index(head, []byte("%PDF-"))
	if i < 0 {
		return nil, i18n.Errorf("%v: no %%PDF- header", ErrNotPDF)
	}
	v := head[i+5:]
	j := 0
	for j < len(v) && j < 4 && (v[j] == '.' || (v[j] >= '0' && v[j] <= '9')) {
		j++
	}
	r.version = string(v[:j])
	start, err := r.findStartxref()
	if err != nil {
		return nil, err
	}
	if err := r.readSections(start); err != nil {
		return nil, err
	}
	r.rev = len(r.revs) - 1
	r.buildIndex()
	if cat, ok := r.Trailer()["Root"].(Ref); !ok {
		return nil, i18n.Errorf("trailer has no /Root reference")
	} else if o, err := r.Get(cat); err != nil {
		return nil, i18n.Errorf("document catalog: %v", err)
	} else if _, err := r.Resolve(o); err != nil {
		return nil, i18n.Errorf("document catalog: %v", err)
	}
	return r, nil
}

// Size is the length of the file.
func (r *Reader) Size() int64 { return r.size }

// ReaderAt gives the underlying file.
func (r *Reader) ReaderAt() io.ReaderAt { return r.ra }

// Version is the version in the file header ("1.7").
func (r *Reader) Version() string { return r.version }

// Revisions lists the file's revisions, oldest first.
func (r *Reader) Revisions() []*Revision { return r.revs }

// Revision is the index of the revision this view reads.
func (r *Reader) Revision() int { return r.rev }

// At returns a view of the document as it was at revision i.
func (r *Reader) At(i int) *Reader {
	if i < 0 || i >= len(r.revs) {
		panic("pdf: revision out of range")
	}
	v := *r
	v.rev = i
	return &v
}

// Trailer is the trailer dictionary of the view's revision.
func (r *Reader) Trailer() Dict { return r.revs[r.rev].Trailer }

func (r *Reader) readAt(off int64, n int) ([]byte, bool, error) {
	if off < 0 || off >= r.size {
		return nil, false, i18n.Errorf("offset %d outside the file (%d bytes)", off, r.size)
	}
	eof := false
	if int64(n) >= r.size-off {
		n = int(r.size - off)
		eof = true
	}
	b := make([]byte, n)
	m, err := r.ra.ReadAt(b, off)
	if m < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, false, err
	}
	return b, eof, nil
}

func (r *Reader) findStartxref() (int64, error) {
	for _, win := range []int64{2048, 1 << 20} {
		n := min(win, r.size)
		buf, _, err := r.readAt(r.size-n, int(n))
		if err != nil {
			return 0, err
		}
		i := bytes.LastIndex(buf, []byte("startxref"))
		if i < 0 {
			if n == r.size {
				break
			}
			continue
		}
		n, ok := startxrefValue(buf[i+9:])
		if !ok {
			return 0, i18n.Errorf("startxref is not followed by a plain offset (digits after white space)")
		}
		if n >= r.size {
			return 0, i18n.Errorf("startxref does not point inside the file")
		}
		return n, nil
	}
	return 0, i18n.Errorf("%v: no startxref (truncated or damaged file)", ErrNotPDF)
}

type section struct {
	off     int64
	kind    XrefKind
	trailer Dict
	entries map[uint32]XrefEntry
	end     int64 // offset just past the section's own "%%EOF"+EOL, or -1
	// tail is where the section's trailer was read (a table's), from
	// which its "%%EOF" is searched: a table of many thousand entries
	// lies between the section's start and its end.
	tail     int64
	xrefObj  []uint32
	streamAt map[int64]uint32 // where its xref streams start, and their numbers
	dups     []uint32         // numbers listed twice (the first entry is kept)
	// hybridFree are the numbers the table marks free and its /XRefStm
	// lists in use (see Revision.HybridFree).
	hybridFree []uint32
}

// put records an entry unless the section lists n already: the first
// entry for a number wins within one section, as in qpdf and MuPDF. A
// second, different entry for n is a duplicate (readers disagree on which
// counts); the same entry twice is harmless and not one.
func (s *section) put(n uint32, e XrefEntry) {
	if old, dup := s.entries[n]; dup {
		if n != 0 && old != e {
			s.dups = append(s.dups, n)
		}
		return
	}
	s.entries[n] = e
}

// maxEntries is how many cross-reference entries the file may list in all:
// no more than one per byte of it, and at most Limits.MaxObjects.
func (r *Reader) maxEntries() int64 {
	return min(int64(r.limits.MaxObjects), r.size)
}

// countEntries charges n more entries to the file.
func (r *Reader) countEntries(n int64) error {
	r.nentries += n
	if max := r.maxEntries(); r.nentries > max {
		name := "MaxObjects"
		if max < int64(r.limits.MaxObjects) {
			name = "MaxObjects, or one per byte of the file"
		}
		return limitErr(name, max, "the cross-reference sections list more than %d entries, more than a file of %d bytes can hold", max, r.size)
	}
	return nil
}

func (r *Reader) readSections(start int64) error {
	var secs []*section
	seen := map[int64]bool{}
	off := start
	for {
		if seen[off] {
			return i18n.Errorf("cross-reference /Prev loop at offset %d", off)
		}
		seen[off] = true
		if len(secs) >= r.limits.MaxSections {
			return limitErr("MaxSections", int64(r.limits.MaxSections), "more than %d cross-reference sections (incremental updates)", r.limits.MaxSections)
		}
		s, err := r.readSection(off)
		if err != nil {
			return i18n.Errorf("cross-reference section at offset %d: %v", off, err)
		}
		stm, hasStm, err := s.trailer.ExactInt("XRefStm")
		if err != nil {
			return i18n.Errorf("cross-reference section at offset %d: trailer %v", off, err)
		}
		if hasStm && s.kind == XrefTable {
			if stm < 0 || stm >= r.size {
				return i18n.Errorf("hybrid /XRefStm %d points outside the file", stm)
			}
			xs, err := r.readSection(stm)
			if err != nil {
				return i18n.Errorf("hybrid /XRefStm at offset %d: %v", stm, err)
			}
			s.kind = XrefHybrid
			for n, e := range xs.entries {
				te, ok := s.entries[n]
				if !ok || te.Type == 0 {
					// A free table entry gives way to the stream's (the
					// search goes on to the stream); readers that keep
					// the table's see the object deleted.
					if ok && e.Type != 0 && n != 0 {
						s.hybridFree = append(s.hybridFree, n)
					}
					s.entries[n] = e
				}
			}
			slices.Sort(s.hybridFree)
			s.xrefObj = append(s.xrefObj, xs.xrefObj...)
			for at, n := range xs.streamAt {
				s.streamAt[at] = n
			}
			s.dups = append(s.dups, xs.dups...)
		}
		size, hasSize, err := s.trailer.ExactInt("Size")
		if err != nil {
			return i18n.Errorf("cross-reference section at offset %d: trailer %v", off, err)
		}
		if hasSize && (size < 0 || size > int64(r.limits.MaxObjectNumber)+1) {
			return limitErr("MaxObjectNumber", int64(r.limits.MaxObjectNumber), "trailer /Size %d at offset %d goes past object number %d", size, off, r.limits.MaxObjectNumber)
		}
		// Every revision keeps its trailer: charge what they take.
		if err := r.spendMemory(memOf(s.trailer)); err != nil {
			return err
		}
		s.end = r.sectionEnd(s)
		secs = append(secs, s)
		prev, ok, err := s.trailer.ExactInt("Prev")
		if err != nil {
			return i18n.Errorf("cross-reference section at offset %d: trailer %v", off, err)
		}
		if !ok {
			break
		}
		if prev < 0 || prev >= r.size {
			return i18n.Errorf("/Prev %d points outside the file", prev)
		}
		off = prev
	}
	// secs is newest first. Group into revisions: a section located before
	// the one it points to (first-page xref of a linearized file) belongs
	// to the same revision as that one.
	var revs []*Revision
	for i := len(secs) - 1; i >= 0; i-- {
		s := secs[i]
		// The file's final startxref must name the merged section, as a
		// linearized file's does; otherwise an update could adopt a stray
		// section hidden inside signed bytes as part of a signed revision.
		if n := len(revs); n > 0 && i < len(secs)-1 && s.off < secs[i+1].off && s.end <= revs[n-1].End &&
			r.startxrefBefore(revs[n-1].End) == s.off {
			rv := revs[n-1]
			for k, e := range s.entries {
				rv.Entries[k] = e
			}
			rv.Trailer = mergeTrailer(rv.Trailer, s.trailer)
			// The chain starts at the newer section: an update's /Prev
			// must point there, or readers lose the objects it lists.
			rv.XrefOffset = s.off
			rv.XrefObjects = append(rv.XrefObjects, s.xrefObj...)
			for at, n := range s.streamAt {
				rv.XrefStreamAt[at] = n
			}
			rv.Duplicates = append(rv.Duplicates, s.dups...)
			rv.HybridFree = append(rv.HybridFree, s.hybridFree...)
			slices.Sort(rv.HybridFree)
			rv.HybridFree = slices.Compact(rv.HybridFree)
			continue
		}
		rv := &Revision{XrefOffset: s.off, End: s.end, Trailer: s.trailer, Kind: s.kind, Entries: s.entries, XrefObjects: s.xrefObj, XrefStreamAt: s.streamAt, Duplicates: s.dups, HybridFree: s.hybridFree}
		if rv.XrefStreamAt == nil {
			rv.XrefStreamAt = map[int64]uint32{}
		}
		if rv.End < 0 {
			rv.End = r.size
		}
		revs = append(revs, rv)
	}
	for i, rv := range revs {
		rv.Index = i
	}
	r.revs = revs
	return nil
}

func mergeTrailer(older, newer Dict) Dict {
	t := older.Clone()
	for k, v := range newer {
		t[k] = v
	}
	return t
}

// startxrefBefore returns the offset named by the last "startxref" in the
// bytes just before end, or -1.
func (r *Reader) startxrefBefore(end int64) int64 {
	n := min(end, 1024)
	if n <= 0 {
		return -1
	}
	buf, _, err := r.readAt(end-n, int(n))
	if err != nil {
		return -1
	}
	i := bytes.LastIndex(buf, []byte("startxref"))
	if i < 0 {
		return -1
	}
	if v, ok := startxrefValue(buf[i+9:]); ok {
		return v
	}
	return -1
}

// startxrefValue reads the offset after "startxref": white space, then
// digits, then white space or the end (or the "%%EOF" that follows). A
// sign, a comment or anything else in between is refused: readers that
// take only digits (poppler) read no offset there and rebuild the
// cross-reference from the file, so a lenient reading would show another
// document than theirs.
func startxrefValue(b []byte) (int64, bool) {
	i := 0
	for i < len(b) && isWhite(b[i]) {
		i++
	}
	j := i
	var v int64
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		if v > (1<<62)/10 {
			return 0, false
		}
		v = v*10 + int64(b[j]-'0')
		j++
	}
	if j == i || j < len(b) && !isWhite(b[j]) && b[j] != '%' {
		return 0, false
	}
	return v, true
}

// sectionEnd finds the %%EOF that closes a section: after the table's
// trailer or the stream object, "startxref N %%EOF" and one end of line.
func (r *Reader) sectionEnd(s *section) int64 {
	// Search forward from the section for "%%EOF", at most 256 KiB.
	const win = 4096
	from := max(s.off, s.tail)
	buf := make([]byte, win)
	for tries := 0; tries < 64 && from < r.size; tries++ {
		n := min(win, r.size-from)
		if m, _ := r.ra.ReadAt(buf[:n], from); int64(m) < n {
			return -1
		}
		i := bytes.Index(buf[:n], []byte("%%EOF"))
		if i >= 0 {
			end := from + int64(i) + 5
			tail, _, err := r.readAt(end, 2)
			if err == nil {
				if tail[0] == '\r' {
					end++
					if len(tail) > 1 && tail[1] == '\n' {
						end++
					}
				} else if tail[0] == '\n' {
					end++
				}
			}
			return end
		}
		if n < win {
			break
		}
		from += win - 5
	}
	return -1
}

func (r *Reader) readSection(off int64) (*section, error) {
	buf, eof, err := r.readAt(off, 32)
	if err != nil {
		return nil, err
	}
	p := r.parser(buf, eof)
	p.skipSpace()
	if bytes.HasPrefix(buf[p.pos:], []byte("xref")) {
		return r.readTable(off)
	}
	return r.readXrefStream(off)
}

// tableWindow is how much of a classic cross-reference table is read at
// once. The table is parsed one window at a time, each entry (20 bytes) and
// each subsection header as it comes, so its memory does not grow with the
// file, whatever the bytes between its parts.
const tableWindow = 64 << 10

// readTable parses a classic table and its trailer.
func (r *Reader) readTable(off int64) (*section, error) {
	s := &section{off: off, kind: XrefTable, entries: map[uint32]XrefEntry{}, streamAt: map[int64]uint32{}}
	pos := off // where the next window starts: everything before is parsed
	// num is the next entry's object number and left the entries still to
	// read in the current subsection.
	var num, left int64
	started, inComment := false, false
	window := make([]byte, min(tableWindow, r.size-off))
	for {
		if pos >= r.size {
			return nil, i18n.Errorf("unexpected end of file")
		}
		buf, eof := window, false
		if int64(len(buf)) >= r.size-pos {
			buf, eof = buf[:r.size-pos], true
		}
		if n, err := r.ra.ReadAt(buf, pos); n < len(buf) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if err := r.spendParsed(len(buf)); err != nil {
			return nil, err
		}
		p := r.parser(buf, eof)
		if inComment {
			for p.pos < len(p.buf) && p.buf[p.pos] != '\n' && p.buf[p.pos] != '\r' {
				p.pos++
			}
			if p.pos == len(p.buf) {
				if eof {
					return nil, p.short()
				}
				pos += int64(len(buf))
				continue
			}
			inComment = false
		}
		if !started {
			if err := p.expectKeyword("xref"); err != nil {
				return nil, err
			}
			started = true
		}
		// done is how far the window is parsed: the next window starts
		// there. Each window parses at least one part of the table or
		// fails, so the whole costs one pass over it.
		done := 0
		for {
			inComment = skipTableSpace(p)
			done = p.pos
			if p.pos >= len(p.buf) {
				if eof {
					return nil, p.short()
				}
				break
			}
			if left > 0 {
				if p.pos+18 > len(p.buf) {
					if eof {
						return nil, p.short()
					}
					break
				}
				line := p.buf[p.pos : p.pos+18]
				if line[10] != ' ' || line[16] != ' ' {
					return nil, i18n.Errorf("bad xref entry %q", line)
				}
				// The entry ends with its type letter and white space
				// (ISO 32000-1 7.5.4: 20 bytes with a two-byte end of
				// line; one byte is tolerated). A letter glued to the
				// next token ("ntrailer") is a syntax error to readers
				// that split the line into tokens, which then rebuild the
				// cross-reference from the file.
				if p.pos+18 < len(p.buf) && !isWhite(p.buf[p.pos+18]) {
					return nil, i18n.Errorf("bad xref entry %q: no white space after it", p.buf[p.pos:p.pos+19])
				}
				// Within a subsection the entries are fixed records
				// (MuPDF reads them so, and rebuilds the cross-reference
				// from the file when one is not): after the type letter,
				// one or two bytes of end of line, then the next entry.
				if left > 1 {
					end := p.pos + 18
					if end+3 > len(p.buf) && !eof {
						break
					}
					k := end
					for k < len(p.buf) && k < end+3 && isWhite(p.buf[k]) {
						k++
					}
					if k-end > 2 || k >= len(p.buf) || p.buf[k] < '0' || p.buf[k] > '9' {
						return nil, i18n.Errorf("bad xref entry %q: entries are 20 bytes long (19 tolerated)", line)
					}
				}
				if !allDigits(line[:10]) || !allDigits(line[11:16]) {
					return nil, i18n.Errorf("bad xref entry %q", line)
				}
				o, err := strconv.ParseInt(string(line[:10]), 10, 64)
				g, err2 := strconv.ParseUint(string(line[11:16]), 10, 32)
				if err != nil || err2 != nil {
					return nil, i18n.Errorf("bad xref entry %q", line)
				}
				if g > 65535 && line[17] == 'n' {
					// A generation is at most 65535; a reader that keeps
					// 16 bits and one that rebuilds disagree past it. (A
					// free entry's 65536, as MuPDF writes for object 0,
					// names nothing.)
					return nil, i18n.Errorf("bad xref entry %q: generation past 65535", line)
				}
				g = min(g, 65535)
				n := uint32(num)
				switch line[17] {
				case 'n':
					if n != 0 {
						s.put(n, XrefEntry{Type: 1, Offset: o, Gen: uint16(g)})
					}
				case 'f':
					s.put(n, XrefEntry{Type: 0, Gen: uint16(g)})
				default:
					return nil, i18n.Errorf("bad xref entry type %q", line[17])
				}
				p.pos += 18
				num++
				left--
				continue
			}
			w, werr := p.peekKeyword()
			if werr != nil && done > 0 {
				break // the word may go on in the next window
			}
			if w == "trailer" {
				// The trailer in the window, or from a window of its own
				// when it does not fit.
				p.pos += len(w)
				p.mem = 0
				t, err := p.object(0)
				s.tail = pos + int64(p.pos)
				if errors.Is(err, errShort) && !eof {
					s.tail = pos + int64(done+len(w))
					t, err = r.objectAt(s.tail)
				} else if err == nil && p.dup != "" {
					r.noteAmbiguity(Ambiguity{Kind: DuplicateKey, Key: p.dup, Trailer: true})
				}
				if err != nil {
					return nil, err
				}
				d, ok := t.(Dict)
				if !ok {
					return nil, i18n.Errorf("trailer is not a dictionary")
				}
				s.trailer = d
				return s, nil
			}
			// A subsection header: two numbers, read afresh from a
			// window that starts with them when they do not fit.
			p.mem = 0
			first, err1 := p.object(0)
			count, err2 := p.object(0)
			f, ok1 := first.(Int)
			c, ok2 := count.(Int)
			if (errors.Is(err1, errShort) || errors.Is(err2, errShort)) && done > 0 {
				p.pos = done
				break
			}
			if err1 != nil || err2 != nil || !ok1 || !ok2 || f < 0 || c < 0 {
				return nil, i18n.Errorf("bad subsection header in xref table")
			}
			// Each entry takes 20 bytes: a count the rest of the file
			// cannot hold is a lie, not a reason to wait for more.
			if rest := r.size - pos - int64(p.pos); int64(c) > rest/18+1 {
				return nil, i18n.Errorf("xref subsection claims %d entries, more than the %d bytes left in the file can hold", c, rest)
			}
			if max := int64(r.limits.MaxObjectNumber); c > 0 && (int64(f) > max || int64(c) > max-int64(f)+1) {
				return nil, limitErr("MaxObjectNumber", max, "xref subsection %d %d lists object numbers past %d", f, c, max)
			}
			if err := r.countEntries(int64(c)); err != nil {
				return nil, err
			}
			num, left = int64(f), int64(c)
		}
		pos += int64(done)
	}
}

// skipTableSpace skips white space and comments, and reports whether the
// window ends inside a comment (the next one goes on skipping it).
// allDigits says whether b is ASCII digits only (no sign, no space).
func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func skipTableSpace(p *parser) bool {
	for p.pos < len(p.buf) {
		c := p.buf[p.pos]
		if isWhite(c) {
			p.pos++
			continue
		}
		if c != '%' {
			return false
		}
		for p.pos < len(p.buf) && p.buf[p.pos] != '\n' && p.buf[p.pos] != '\r' {
			p.pos++
		}
		if p.pos == len(p.buf) {
			return true
		}
	}
	return false
}

// objectAt parses one direct object at off (a trailer dictionary), from a
// window that grows up to MaxObjectSize.
func (r *Reader) objectAt(off int64) (Object, error) {
	window := 4096
	for {
		if off >= r.size {
			return nil, i18n.Errorf("unexpected end of file")
		}
		buf, eof, err := r.readAt(off, window)
		if err != nil {
			return nil, err
		}
		p := r.parser(buf, eof)
		o, err := p.object(0)
		if errors.Is(err, errShort) && !eof {
			if serr := r.spendParsed(len(buf)); serr != nil {
				return nil, serr
			}
			if window >= r.limits.MaxObjectSize {
				return nil, limitErr("MaxObjectSize", int64(r.limits.MaxObjectSize), "object at offset %d is larger than %d bytes or never ends", off, r.limits.MaxObjectSize)
			}
			window = min(window*8, r.limits.MaxObjectSize)
			continue
		}
		if serr := r.spendParsed(p.pos); serr != nil {
			return nil, serr
		}
		if p.dup != "" {
			r.noteAmbiguity(Ambiguity{Kind: DuplicateKey, Key: p.dup, Trailer: true})
		}
		return o, err
	}
}

// readXrefStream parses "N G obj <<...>> stream" at off.
func (r *Reader) readXrefStream(off int64) (*section, error) {
	num, obj, _, err := r.parseIndirect(off, true, nil)
	if err != nil {
		return nil, err
	}
	st, ok := obj.(*Stream)
	if !ok {
		return nil, i18n.Errorf("neither an xref table nor an xref stream")
	}
	if t, _ := st.Dict.Name("Type"); t != "XRef" {
		return nil, i18n.Errorf("stream is not of /Type /XRef")
	}
	data, err := r.decode(st, r.limits.MaxDecoded)
	if err != nil {
		return nil, err
	}
	s := &section{off: off, kind: XrefStream, trailer: st.Dict, entries: map[uint32]XrefEntry{}, xrefObj: []uint32{num}, streamAt: map[int64]uint32{off: num}}
	wArr, _ := st.Dict["W"].(Array)
	if len(wArr) != 3 {
		return nil, i18n.Errorf("xref stream /W must have 3 entries")
	}
	var w [3]int
	for i, o := range wArr {
		n, ok := o.(Int)
		if !ok || n < 0 || n > 8 {
			return nil, i18n.Errorf("bad xref stream /W")
		}
		w[i] = int(n)
	}
	size, _, err := st.Dict.ExactInt("Size")
	if err != nil {
		return nil, i18n.Errorf("xref stream %v", err)
	}
	index := []int64{0, size}
	if ia, ok := st.Dict["Index"].(Array); ok {
		index = index[:0]
		for _, o := range ia {
			n, ok := o.(Int)
			if !ok || n < 0 {
				return nil, i18n.Errorf("bad xref stream /Index")
			}
			index = append(index, int64(n))
		}
		if len(index)%2 != 0 {
			return nil, i18n.Errorf("odd-length xref stream /Index")
		}
	}
	rowLen := w[0] + w[1] + w[2]
	if rowLen == 0 {
		return nil, i18n.Errorf("xref stream /W sums to zero")
	}
	// The rows must be in the data, and the entries in the file.
	var rows int64
	for i := 0; i+1 < len(index); i += 2 {
		first, count := index[i], index[i+1]
		if count > int64(len(data)/rowLen)-rows {
			return nil, i18n.Errorf("xref stream /Index or /Size lists more entries than its %d bytes of rows hold", len(data))
		}
		rows += count
		// Compared without adding, which could overflow and wrap round
		// to the document's own object numbers.
		if max := int64(r.limits.MaxObjectNumber); count > 0 && (first > max || count > max-first+1) {
			return nil, limitErr("MaxObjectNumber", max, "xref stream /Index %d %d lists object numbers past %d", first, count, max)
		}
	}
	if err := r.countEntries(rows); err != nil {
		return nil, err
	}
	pos := 0
	field := func(b []byte, def int64) int64 {
		if len(b) == 0 {
			return def
		}
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	for i := 0; i+1 < len(index); i += 2 {
		first, count := index[i], index[i+1]
		for k := int64(0); k < count; k++ {
			if pos+rowLen > len(data) {
				return nil, i18n.Errorf("xref stream shorter than its /Index says")
			}
			row := data[pos : pos+rowLen]
			pos += rowLen
			t := field(row[:w[0]], 1)
			a := field(row[w[0]:w[0]+w[1]], 0)
			b := field(row[w[0]+w[1]:], 0)
			n := first + k
			switch t {
			case 0:
				s.put(uint32(n), XrefEntry{Type: 0, Gen: uint16(b)})
			case 1:
				if b > 65535 {
					return nil, i18n.Errorf("xref stream entry of object %d: generation %d past 65535", n, b)
				}
				s.put(uint32(n), XrefEntry{Type: 1, Offset: a, Gen: uint16(b)})
			case 2:
				s.put(uint32(n), XrefEntry{Type: 2, Stream: uint32(a), Index: int(b)})
			default:
				// ISO 32000-1 7.5.8.3 makes other types references to
				// null, for types to come; poppler and qpdf take the
				// stream as broken and rebuild the cross-reference.
				r.noteAmbiguity(Ambiguity{Kind: XrefEntryType, Num: uint32(n), Gen: uint16(min(t, 65535))})
			}
		}
	}
	return s, nil
}

// buildIndex indexes every revision's entries by object number, so that a
// lookup in any revision costs no more than one in the newest, and memory
// stays proportional to the entries whatever the number of revisions.
func (r *Reader) buildIndex() {
	idx := make(map[uint32][]revEntry, len(r.revs[len(r.revs)-1].Entries))
	for i, rv := range r.revs {
		for n, e := range rv.Entries {
			idx[n] = append(idx[n], revEntry{rev: i, e: e})
		}
	}
	r.shared.index = idx
}

// Entries returns the merged cross-reference of the view's revision.
// Callers must not change it.
func (r *Reader) Entries() map[uint32]XrefEntry {
	sh := r.shared
	newest := r.rev == len(r.revs)-1
	if newest {
		sh.mu.Lock()
		m := sh.newest
		sh.mu.Unlock()
		if m != nil {
			return m
		}
	}
	m := map[uint32]XrefEntry{}
	for n := range sh.index {
		if e, ok := r.entry(n); ok {
			m[n] = e
		}
	}
	if newest {
		sh.mu.Lock()
		sh.newest = m
		sh.mu.Unlock()
	}
	return m
}

// entry is the newest entry for num at or before the view's revision.
func (r *Reader) entry(num uint32) (XrefEntry, bool) {
	list := r.shared.index[num]
	for j := len(list) - 1; j >= 0; j-- {
		if list[j].rev <= r.rev {
			return list[j].e, true
		}
	}
	return XrefEntry{}, false
}

// Lookup returns the cross-reference entry of an object in this view.
func (r *Reader) Lookup(num uint32) (XrefEntry, bool) {
	e, ok := r.entry(num)
	return e, ok && e.Type != 0
}

// Get returns the object ref points to, as of the view's revision. A
// missing or free object is null (nil) without error, as the spec says.
func (r *Reader) Get(ref Ref) (Object, error) {
	return r.get(ref, nil)
}

// get looks ref up on behalf of the objects in chain, which are being
// parsed: a stream's /Length that leads back to one of them is a cycle.
func (r *Reader) get(ref Ref, chain []uint32) (Object, error) {
	e, ok := r.Lookup(ref.Num)
	if !ok {
		return nil, nil
	}
	// A reference whose generation is not the listed one names an object
	// that does not exist (null, ISO 32000-1 7.3.10); some viewers take
	// the listed object all the same, others rebuild the cross-reference
	// from "N G obj" in the file. kyso reads the listed object, as the
	// lenient viewers do, and remembers that readers disagree here.
	if listed := e.Gen; e.Type == 2 {
		listed = 0
		if ref.Gen != 0 {
			r.noteAmbiguity(Ambiguity{Kind: GenerationMismatch, Num: ref.Num, Gen: ref.Gen, ListedGen: listed})
		}
	} else if ref.Gen != listed {
		r.noteAmbiguity(Ambiguity{Kind: GenerationMismatch, Num: ref.Num, Gen: ref.Gen, ListedGen: listed})
	}
	return r.getEntry(ref.Num, e, chain)
}

// GetNum returns object num, whatever its generation, as of the view's
// revision: for walking the objects a cross-reference lists, where no
// reference (and so no generation) is involved.
func (r *Reader) GetNum(num uint32) (Object, error) {
	e, ok := r.Lookup(num)
	if !ok {
		return nil, nil
	}
	return r.getEntry(num, e, nil)
}

// parser makes a parser with the reader's nesting limit.
func (r *Reader) parser(buf []byte, eof bool) *parser {
	return &parser{buf: buf, eof: eof, maxDepth: r.limits.MaxNesting, maxMem: r.limits.MaxObjectMemory}
}

func (r *Reader) getEntry(num uint32, e XrefEntry, chain []uint32) (Object, error) {
	for _, c := range chain {
		if c == num {
			return nil, i18n.Errorf("object %d: %v: it is needed to read itself (through %s)", num, ErrCycle, chainString(chain))
		}
	}
	if len(chain) >= r.limits.MaxNesting {
		return nil, limitErr("MaxNesting", int64(r.limits.MaxNesting), "object %d: reading it needs a chain of more than %d objects", num, r.limits.MaxNesting)
	}
	key := objKey{off: e.Offset, stm: e.Stream, index: e.Index}
	if e.Type == 1 {
		// The number is part of the key so that a cached object is never
		// returned for an entry naming a different object at that offset.
		key.stm, key.index = num, -1
	} else if e.Type == 2 {
		// Key by where the object stream itself lies: a later revision may
		// replace object stream N, and the objects inside the old and the
		// new one must not share a cache slot. The number is part of the
		// key too: an entry naming another number at the same index must
		// fail the check of the stream's header, not get the cached object.
		se, ok := r.Lookup(e.Stream)
		if !ok || se.Type != 1 {
			return nil, i18n.Errorf("object %d: object stream %d not found", num, e.Stream)
		}
		key.off, key.stm = se.Offset, num
	}
	sh := r.shared
	sh.mu.Lock()
	sh.lookups++
	if b := r.limits.MaxLookups + r.size/8; sh.lookups > b && sh.over == nil {
		sh.overLocked(limitErr("MaxLookups", b, "reading the file takes more than %d object lookups (its structure is walked again and again)", b))
	}
	o, ok := sh.objects[key]
	over := sh.over
	sh.mu.Unlock()
	if over != nil {
		return nil, over
	}
	if ok {
		return o, nil
	}
	var err error
	switch e.Type {
	case 1:
		var n uint32
		var gen uint16
		n, o, gen, err = r.parseIndirect(e.Offset, false, append(chain, num))
		if err == nil && n != num {
			err = i18n.Errorf("xref says object %d is at offset %d, found object %d", num, e.Offset, n)
		}
		if err == nil && gen != e.Gen {
			// "N 7 obj" where the xref lists generation 0: readers that
			// check make the entry wrong and rebuild the cross-reference
			// by scanning the file (poppler), which an update can plant
			// objects for; others take the object as it is.
			r.noteAmbiguity(Ambiguity{Kind: HeaderGeneration, Num: num, Gen: gen, ListedGen: e.Gen})
		}
	case 2:
		o, _, err = r.fromObjStm(num, e, append(chain, num))
	}
	if err != nil {
		return nil, i18n.Errorf("object %d: %v", num, err)
	}
	// The cache holds parsed values: charge it their memory, which can be
	// tens of times the bytes of syntax they come from.
	mem := memOf(o) + memCacheEntry
	if err := r.spendMemory(mem); err != nil {
		return nil, err
	}
	sh.mu.Lock()
	sh.objBytes += mem
	if sh.objBytes > r.limits.MaxCached || len(sh.objects) >= 1<<20 {
		clear(sh.objects)
		sh.objBytes = mem
	}
	sh.objects[key] = o
	sh.mu.Unlock()
	return o, nil
}

// memCacheEntry is the memory of one entry of the object cache besides
// the object: its key and interface value in the map.
const memCacheEntry = 64

func chainString(chain []uint32) string {
	var b []byte
	for i, n := range chain {
		if i > 0 {
			b = append(b, " → "...)
		}
		b = strconv.AppendUint(b, uint64(n), 10)
	}
	return string(b)
}

// parseIndirect parses "N G obj ... endobj" at off, returning N, the
// object and G. Streams get their data located, not read.
func (r *Reader) parseIndirect(off int64, rawLength bool, chain []uint32) (uint32, Object, uint16, error) {
	window := 4096
	for {
		buf, eof, err := r.readAt(off, window)
		if err != nil {
			return 0, nil, 0, err
		}
		num, gen, o, n, err := r.parseIndirectBuf(buf, eof, off, rawLength, chain)
		if serr := r.spendParsed(n); serr != nil {
			return 0, nil, 0, serr
		}
		if errors.Is(err, errShort) && !eof {
			if window >= r.limits.MaxObjectSize {
				return 0, nil, 0, limitErr("MaxObjectSize", int64(r.limits.MaxObjectSize), "object at offset %d is larger than %d bytes or never ends", off, r.limits.MaxObjectSize)
			}
			window = min(window*8, r.limits.MaxObjectSize)
			continue
		}
		return num, o, gen, err
	}
}

// parseIndirectBuf parses an indirect object in buf; n is how far it got.
func (r *Reader) parseIndirectBuf(buf []byte, eof bool, off int64, rawLength bool, chain []uint32) (num uint32, gen uint16, o Object, n int, err error) {
	p := r.parser(buf, eof)
	defer func() { n = p.pos }()
	nO, err := p.object(0)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	g, err := p.object(0)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	numI, ok1 := nO.(Int)
	genI, ok2 := g.(Int)
	if !ok1 || !ok2 || numI < 0 || numI > 1<<31 || genI < 0 || genI > 65535 {
		return 0, 0, nil, 0, i18n.Errorf("no object header at offset %d", off)
	}
	if err := p.expectKeyword("obj"); err != nil {
		return 0, 0, nil, 0, err
	}
	o, err = p.object(0)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	if p.dup != "" {
		r.noteAmbiguity(Ambiguity{Kind: DuplicateKey, Num: uint32(numI), Key: p.dup})
	}
	d, isDict := o.(Dict)
	if !isDict {
		return uint32(numI), uint16(genI), o, 0, nil
	}
	// A dictionary is a stream's when "stream" follows; the window must
	// hold the whole next token to tell ("str" at its end may be "stream").
	kw, err := p.peekKeyword()
	if err != nil {
		return 0, 0, nil, 0, err
	}
	if kw != "stream" {
		return uint32(numI), uint16(genI), o, 0, nil
	}
	p.skipSpace()
	p.pos += len("stream")
	if p.pos < len(p.buf) && p.buf[p.pos] == '\r' {
		p.pos++
	}
	if p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
		p.pos++
	}
	if p.pos >= len(p.buf) && !eof {
		return 0, 0, nil, 0, errShort
	}
	st := &Stream{Dict: d, Offset: off + int64(p.pos)}
	length := int64(-1)
	switch l := d["Length"].(type) {
	case Int:
		length = int64(l)
	case Ref:
		if !rawLength {
			lo, err := r.get(l, chain)
			if err != nil && (IsLimit(err) || errors.Is(err, ErrCycle)) {
				return 0, 0, nil, 0, i18n.Errorf("stream /Length %v: %v", l, err)
			}
			if li, ok := lo.(Int); err == nil && ok {
				length = int64(li)
			}
		}
	}
	if length < 0 || st.Offset+length > r.size || !r.hasEndstream(st.Offset+length) {
		// Recover the length by looking for "endstream".
		l, err := r.findEndstream(st.Offset)
		if err != nil {
			return 0, 0, nil, 0, err
		}
		length = l
	}
	st.Length = length
	return uint32(numI), uint16(genI), st, 0, nil
}

func (r *Reader) hasEndstream(at int64) bool {
	b, _, err := r.readAt(at, 12)
	if err != nil {
		return false
	}
	b = bytes.TrimLeft(b, "\r\n \t")
	return bytes.HasPrefix(b, []byte("endstream"))
}

// findEndstream returns the length of the stream data starting at from, up
// to the next "endstream". Every "endstream" of the file is found in one
// pass, so a file of many streams with wrong lengths costs one scan.
func (r *Reader) findEndstream(from int64) (int64, error) {
	end, err := r.nextPosition("endstream", from)
	if err != nil {
		return 0, err
	}
	if end < 0 {
		return 0, i18n.Errorf("stream without endstream")
	}
	// Drop the EOL before endstream.
	if end > from {
		t, _, _ := r.readAt(end-2, 2)
		if len(t) == 2 && t[1] == '\n' {
			end--
			if t[0] == '\r' && end > from {
				end--
			}
		} else if len(t) == 2 && t[1] == '\r' {
			end--
		}
	}
	return end - from, nil
}

func (r *Reader) fromObjStm(num uint32, e XrefEntry, chain []uint32) (Object, int, error) {
	se, ok := r.Lookup(e.Stream)
	if !ok || se.Type != 1 {
		return nil, 0, i18n.Errorf("object stream %d not found", e.Stream)
	}
	sh := r.shared
	sh.mu.Lock()
	os := sh.objstms[se.Offset]
	sh.mu.Unlock()
	if os == nil {
		for _, c := range chain[:len(chain)-1] {
			if c == e.Stream {
				return nil, 0, i18n.Errorf("%v: object stream %d is needed to read itself (through %s)", ErrCycle, e.Stream, chainString(chain))
			}
		}
		o, err := r.getEntry(e.Stream, se, chain)
		if err != nil {
			return nil, 0, err
		}
		st, ok := o.(*Stream)
		if !ok {
			return nil, 0, i18n.Errorf("object stream %d is not a stream", e.Stream)
		}
		if os, err = r.loadObjStm(e.Stream, st); err != nil {
			if IsLimit(err) {
				return nil, 0, err
			}
			return nil, 0, i18n.Errorf("object stream %d: %v", e.Stream, err)
		}
		// The cache holds the data and the index of its objects (up to
		// one per four bytes of data).
		mem := int64(len(os.data) + 8*len(os.offsets))
		sh.mu.Lock()
		sh.stmBytes += mem
		if sh.stmBytes > r.limits.MaxCached || len(sh.objstms) > 64 {
			clear(sh.objstms)
			sh.stmBytes = mem
		}
		sh.objstms[se.Offset] = os
		sh.mu.Unlock()
	}
	if e.Index < 0 || e.Index >= len(os.offsets) {
		return nil, 0, i18n.Errorf("index %d outside object stream %d", e.Index, e.Stream)
	}
	if os.nums[e.Index] != num {
		return nil, 0, i18n.Errorf("object stream %d holds object %d at index %d, not %d", e.Stream, os.nums[e.Index], e.Index, num)
	}
	start := os.first + int(os.offsets[e.Index])
	if start < 0 || start > len(os.data) {
		return nil, 0, i18n.Errorf("bad offset in object stream %d", e.Stream)
	}
	p := r.parser(os.data[start:], true)
	o, err := p.object(0)
	if serr := r.spendParsed(p.pos); serr != nil {
		return nil, 0, serr
	}
	if err == nil && p.dup != "" {
		r.noteAmbiguity(Ambiguity{Kind: DuplicateKey, Num: num, Key: p.dup})
	}
	return o, p.pos, err
}

func (r *Reader) loadObjStm(stm uint32, st *Stream) (*objStm, error) {
	if t, _ := st.Dict.Name("Type"); t != "ObjStm" {
		return nil, i18n.Errorf("not of /Type /ObjStm")
	}
	n, _, err := st.Dict.ExactInt("N")
	if err != nil {
		return nil, i18n.Errorf("object stream %v", err)
	}
	first, _, err := st.Dict.ExactInt("First")
	if err != nil {
		return nil, i18n.Errorf("object stream %v", err)
	}
	data, err := r.decode(st, r.limits.MaxDecoded)
	if err != nil {
		return nil, err
	}
	// Each object takes at least two numbers and two spaces of the header.
	if n < 0 || n > int64(len(data))/4+1 || first < 0 || first > int64(len(data)) {
		return nil, i18n.Errorf("bad /N or /First")
	}
	p := r.parser(data[:first], true)
	os := &objStm{data: data, first: int(first), nums: make([]uint32, 0, n), offsets: make([]uint32, 0, n)}
	for i := int64(0); i < n; i++ {
		p.mem = 0 // numbers read and dropped: nothing is kept
		a, err1 := p.object(0)
		b, err2 := p.object(0)
		an, ok1 := a.(Int)
		bn, ok2 := b.(Int)
		if err1 != nil || err2 != nil || !ok1 || !ok2 || an < 0 || bn < 0 || an > 1<<31 || int64(bn) > int64(len(data)) {
			return nil, i18n.Errorf("bad object stream header")
		}
		os.nums = append(os.nums, uint32(an))
		os.offsets = append(os.offsets, uint32(bn))
	}
	if err := r.spendParsed(p.pos); err != nil {
		return nil, err
	}
	if err := r.objStmDuplicates(stm, os); err != nil {
		return nil, err
	}
	return os, nil
}

// objStmDuplicates notes an ambiguity for each number the header of object
// stream stm lists twice with different objects: the cross-reference picks
// one index, but readers that go by the header take the first definition
// (MuPDF) or the last (qpdf). The same bytes twice are no ambiguity.
func (r *Reader) objStmDuplicates(stm uint32, os *objStm) error {
	if len(os.nums) < 2 {
		return nil
	}
	idx := make([]int32, len(os.nums))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(os.nums[a], os.nums[b]) })
	found := 0
	for i := 1; i < len(idx) && found < maxAmbiguities; i++ {
		a, b := idx[i-1], idx[i]
		if os.nums[a] != os.nums[b] {
			continue
		}
		same, err := r.sameObjStmObject(os, int(a), int(b))
		if err != nil {
			return err
		}
		if !same {
			r.noteAmbiguity(Ambiguity{Kind: DuplicateInObjStm, Num: os.nums[a], Stream: stm})
			found++
			// One note per number: skip its other copies.
			for i+1 < len(idx) && os.nums[idx[i+1]] == os.nums[a] {
				i++
			}
		}
	}
	return nil
}

// sameObjStmObject says the objects at indexes i and j of an object stream
// are written with the same bytes. An object that does not parse is the
// same as another only at the same offset.
func (r *Reader) sameObjStmObject(os *objStm, i, j int) (bool, error) {
	if os.offsets[i] == os.offsets[j] {
		return true, nil
	}
	var text [2][]byte
	for k, x := range []int{i, j} {
		start := os.first + int(os.offsets[x])
		if start < 0 || start > len(os.data) {
			return false, nil
		}
		p := r.parser(os.data[start:], true)
		_, err := p.object(0)
		if serr := r.spendParsed(p.pos); serr != nil {
			return false, serr
		}
		if err != nil {
			if IsLimit(err) {
				return false, err
			}
			return false, nil
		}
		text[k] = bytes.TrimSpace(os.data[start : start+p.pos])
	}
	return bytes.Equal(text[0], text[1]), nil
}

// Resolve follows references until it reaches a direct object.
func (r *Reader) Resolve(o Object) (Object, error) {
	var first Ref
	for i := 0; i < 32; i++ {
		ref, ok := o.(Ref)
		if !ok {
			return o, nil
		}
		if i == 0 {
			first = ref
		}
		var err error
		if o, err = r.Get(ref); err != nil {
			return nil, err
		}
	}
	return nil, i18n.Errorf("reference %v: %v, or a chain of more than 32 references", first, ErrCycle)
}

// Dict resolves o and returns it as a dictionary (a stream's dictionary
// counts); nil when o is null or not a dictionary.
func (r *Reader) Dict(o Object) (Dict, error) {
	o, err := r.Resolve(o)
	if err != nil {
		return nil, err
	}
	switch v := o.(type) {
	case Dict:
		return v, nil
	case *Stream:
		return v.Dict, nil
	}
	return nil, nil
}

// Array resolves o as an array (nil if it is not one).
func (r *Reader) Array(o Object) (Array, error) {
	o, err := r.Resolve(o)
	if err != nil {
		return nil, err
	}
	a, _ := o.(Array)
	return a, nil
}

// Catalog returns the document catalog.
func (r *Reader) Catalog() (Dict, error) {
	d, err := r.Dict(r.Trailer()["Root"])
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, i18n.Errorf("document catalog missing")
	}
	return d, nil
}

// RootRef is the catalog's reference.
func (r *Reader) RootRef() Ref {
	ref, _ := r.Trailer()["Root"].(Ref)
	return ref
}

// NextObjectNumber is the first object number free for an update: past
// the trailer's /Size and every number any revision lists. It is an error
// (a LimitError) when that number would go past Limits.MaxObjectNumber,
// rather than one that wraps round to the document's own objects.
func (r *Reader) NextObjectNumber() (uint32, error) {
	size, _ := r.Trailer().Int("Size")
	n := uint64(max(size, 1))
	for k := range r.shared.index {
		n = max(n, uint64(k)+1)
	}
	if lim := uint64(r.limits.MaxObjectNumber); n > lim {
		return 0, limitErr("MaxObjectNumber", int64(lim), "the document uses object numbers up to %d: a new object would go past %d", n-1, lim)
	}
	return uint32(n), nil
}

// Listed reports whether any revision of the file lists object number n,
// as an object or as free.
func (r *Reader) Listed(n uint32) bool {
	_, ok := r.shared.index[n]
	return ok
}

// EntriesPastEnd returns, sorted, the object numbers that revision i lists
// at an offset at or past its own end: bytes that did not exist when the
// revision was written, so that whatever is appended there later (after
// a signature, say) becomes part of the revision. No writer makes them.
func (r *Reader) EntriesPastEnd(i int) []uint32 {
	if i < 0 || i >= len(r.revs) {
		return nil
	}
	rv := r.revs[i]
	var out []uint32
	for n, e := range rv.Entries {
		if e.Type == 1 && (e.Offset < 0 || e.Offset >= rv.End) {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

// Page is one page with its inherited attributes resolved.
type Page struct {
	Ref       Ref
	Dict      Dict
	MediaBox  [4]float64
	CropBox   [4]float64
	Rotate    int
	Resources Dict
	// BoxErr says why MediaBox or CropBox cannot be computed with: a
	// coordinate beyond ±MaxCoordinate or a width or height that is not a
	// finite number. It names the page (1-based) and the box. Reading the
	// page tree does not fail on it, as verifying a signature does no
	// geometry with the page; placing a stamp refuses such a page.
	BoxErr error
}

// MaxCoordinate bounds the coordinates of the page boxes kyso computes
// with, in default user space units. ISO 32000-1 (Annex C) lets a page be
// at most 14 400 units (200 inches) across, and real numbers reach about
// ±3.403e38; kyso accepts ±1 000 000 units (about 350 m), some seventy
// times the largest conforming page, so that producers' offset or
// oversized boxes still sign. Past it a number is no page size: sums of
// coordinates overflow to infinity and conversions to cell indices no
// longer mean anything.
const MaxCoordinate = 1e6

// CheckBox says why a rectangle read by Rect is no box to compute with: a
// width or height that is not a finite number, or a coordinate beyond
// ±MaxCoordinate. name is how the error names it ("page 1: /MediaBox").
func CheckBox(name string, b [4]float64) error {
	box := fmt.Sprintf("[%g %g %g %g]", b[0], b[1], b[2], b[3])
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(b[2] - b[0]) {
		return i18n.Errorf("%s width is not a finite number: %s", name, box)
	}
	if !finite(b[3] - b[1]) {
		return i18n.Errorf("%s height is not a finite number: %s", name, box)
	}
	for _, v := range b {
		if !(math.Abs(v) <= MaxCoordinate) {
			return i18n.Errorf("%s %s: %g is beyond ±%.0f, the coordinates kyso computes with (ISO 32000 pages are at most 14 400 units across)", name, box, v, float64(MaxCoordinate))
		}
	}
	return nil
}

// Pages walks the page tree in order.
func (r *Reader) Pages() ([]Page, error) {
	cat, err := r.Catalog()
	if err != nil {
		return nil, err
	}
	root, ok := cat["Pages"].(Ref)
	if !ok {
		return nil, i18n.Errorf("catalog has no /Pages reference")
	}
	var pages []Page
	seen := map[Ref]bool{}
	var walk func(ref Ref, inh Dict, depth int) error
	walk = func(ref Ref, inh Dict, depth int) error {
		if seen[ref] {
			return i18n.Errorf("page tree loop (%v): node %v is reached twice", ErrCycle, ref)
		}
		if depth > r.limits.MaxNesting {
			return limitErr("MaxNesting", int64(r.limits.MaxNesting), "page tree deeper than %d levels", r.limits.MaxNesting)
		}
		seen[ref] = true
		d, err := r.Dict(ref)
		if err != nil {
			return err
		}
		if d == nil {
			return i18n.Errorf("page tree node %v missing", ref)
		}
		next := inh.Clone()
		for _, k := range []Name{"Resources", "MediaBox", "CropBox", "Rotate"} {
			if v, ok := d[k]; ok {
				next[k] = v
			}
		}
		t, _ := d.Name("Type")
		kids, hasKids := d["Kids"]
		if t == "Pages" || (t != "Page" && hasKids) {
			arr, err := r.Array(kids)
			if err != nil {
				return err
			}
			for _, k := range arr {
				kr, ok := k.(Ref)
				if !ok {
					return i18n.Errorf("page tree /Kids entry is not a reference")
				}
				if err := walk(kr, next, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		pg := Page{Ref: ref, Dict: d}
		pg.MediaBox = r.rect(next["MediaBox"], [4]float64{0, 0, 612, 792})
		pg.CropBox = r.rect(next["CropBox"], pg.MediaBox)
		pg.BoxErr = CheckBox(i18n.Sprintf("page %d: /MediaBox", len(pages)+1), pg.MediaBox)
		if pg.BoxErr == nil {
			pg.BoxErr = CheckBox(i18n.Sprintf("page %d: /CropBox", len(pages)+1), pg.CropBox)
		}
		if rot, err := r.Resolve(next["Rotate"]); err == nil {
			if n, ok := rot.(Int); ok {
				pg.Rotate = ((int(n) % 360) + 360) % 360
			}
		}
		pg.Resources, _ = r.Dict(next["Resources"])
		pages = append(pages, pg)
		if len(pages) > r.limits.MaxPages {
			return limitErr("MaxPages", int64(r.limits.MaxPages), "more than %d pages", r.limits.MaxPages)
		}
		return nil
	}
	if err := walk(root, Dict{}, 0); err != nil {
		return nil, err
	}
	return pages, nil
}

func (r *Reader) rect(o Object, def [4]float64) [4]float64 {
	if rc, ok := r.Rect(o); ok {
		return rc
	}
	return def
}

// Rect reads a rectangle (a /Rect, /MediaBox, ...): an array of four
// numbers, each possibly indirect, normalised so that the lower-left
// corner comes first. ok is false unless o is such an array. The numbers
// are finite (the parser reads no others) but not bounded: a caller that
// computes with the rectangle checks it with CheckBox or clamps it.
func (r *Reader) Rect(o Object) (rect [4]float64, ok bool) {
	a, err := r.Array(o)
	if err != nil || len(a) != 4 {
		return rect, false
	}
	for i, v := range a {
		v, _ = r.Resolve(v)
		f, isNum := Number(v)
		if !isNum || math.IsNaN(f) || math.IsInf(f, 0) {
			return [4]float64{}, false
		}
		rect[i] = f
	}
	if rect[0] > rect[2] {
		rect[0], rect[2] = rect[2], rect[0]
	}
	if rect[1] > rect[3] {
		rect[1], rect[3] = rect[3], rect[1]
	}
	return rect, true
}

// StreamData returns a stream's decoded data, within the reader's limits.
func (r *Reader) StreamData(s *Stream) ([]byte, error) {
	return r.decode(s, r.limits.MaxDecoded)
}

// RawStream returns a reader over a stream's raw (encoded) bytes.
func (r *Reader) RawStream(s *Stream) io.Reader {
	if s.Data != nil {
		return bytes.NewReader(s.Data)
	}
	return io.NewSectionReader(r.ra, s.Offset, s.Length)
}

// ObjectNumbers lists the objects in use in this view, sorted.
func (r *Reader) ObjectNumbers() []uint32 {
	var ns []uint32
	for n, e := range r.Entries() {
		if e.Type != 0 {
			ns = append(ns, n)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	return ns
}
