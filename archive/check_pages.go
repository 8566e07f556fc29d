package archive

import (
	"encoding/binary"
	"github.com/kyso-project/kyso/internal/i18n"
	"hash/fnv"
	"io"
)

// The raw check reads bbolt's file format itself, with every offset and
// page number bounded, before bbolt is trusted with the file: bbolt reads
// its pages without checks and would panic, fault or recurse without end
// on a damaged one (and its own Check runs in a goroutine no one can
// recover). Format (bbolt 1.x, little-endian): a page is a 16-byte header
// (id u64, flags u16, count u16, overflow u32) and elements; pages 0 and 1
// are the meta pages.
const (
	pageHeaderSize = 16
	elemSize       = 16
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	leafFlagBucket = 0x01
	boltMagic      = 0xED0CDAED
	noFreelist     = ^uint64(0)
	// maxCheckedPages bounds what one damaged header may make the check
	// read at once (an overflow count is a u32).
	maxPageRun = 1 << 16
)

type rawMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	hwm      uint64
	txid     uint64
}

// readMeta reads and validates the meta page at off (page id: 0 or 1);
// ok is false when it fails, header included.
func readMeta(r io.ReaderAt, off int64, id uint64) (rawMeta, bool) {
	b := make([]byte, pageHeaderSize+64)
	if _, err := r.ReadAt(b, off); err != nil {
		return rawMeta{}, false
	}
	m := b[pageHeaderSize:]
	le := binary.LittleEndian
	if le.Uint64(b) != id || le.Uint16(b[8:]) != flagMeta || le.Uint16(b[10:]) != 0 || le.Uint32(b[12:]) != 0 || le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != 2 {
		return rawMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return rawMeta{}, false
	}
	return rawMeta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]),
		hwm: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

type pageWalker struct {
	env  *CheckEnv
	r    io.ReaderAt
	size int64
	ps   int64
	hwm  uint64
	seen map[uint64]bool
}

func (w *pageWalker) problem(format string, a ...any) error {
	return w.env.Report("pages", 0, format, a...)
}

// page reads page id (with its overflow) after checking it is in range,
// of a wanted type and not reached before; nil when it is not usable.
func (w *pageWalker) page(id uint64, from string, wantFlags uint16) ([]byte, error) {
	if id < 2 || id >= w.hwm {
		return nil, w.problem("page %d (%s) is outside the file's %d pages", id, from, w.hwm)
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := w.r.ReadAt(hdr, int64(id)*w.ps); err != nil {
		return nil, w.problem("page %d (%s) is past the end of the file", id, from)
	}
	le := binary.LittleEndian
	if got := le.Uint64(hdr); got != id {
		return nil, w.problem("page %d (%s) says it is page %d", id, from, got)
	}
	flags, overflow := le.Uint16(hdr[8:]), uint64(le.Uint32(hdr[12:]))
	if flags&wantFlags == 0 || flags&^(flagBranch|flagLeaf|flagMeta|flagFreelist) != 0 {
		return nil, w.problem("page %d (%s) has type %#x", id, from, flags)
	}
	if overflow >= maxPageRun || id+overflow >= w.hwm || int64(id+overflow+1)*w.ps > w.size {
		return nil, w.problem("page %d (%s) runs over %d more pages, past the end", id, from, overflow)
	}
	for i := id; i <= id+overflow; i++ {
		if w.seen[i] {
			return nil, w.problem("page %d (%s) is reached twice: the tree has a cycle or a shared page", i, from)
		}
		w.seen[i] = true
	}
	b := make([]byte, (overflow+1)*uint64(w.ps))
	if _, err := w.r.ReadAt(b, int64(id)*w.ps); err != nil {
		return nil, w.problem("page %d (%s): %v", id, from, err)
	}
	return b, nil
}

// node checks the elements of a branch or leaf page held in b (a page, or
// an inline bucket's page inside a value) and descends.
func (w *pageWalker) node(b []byte, id uint64, from string, depth int) error {
	if depth > 64 {
		return w.problem("page %d (%s): the tree is deeper than any bbolt file", id, from)
	}
	le := binary.LittleEndian
	if len(b) < pageHeaderSize {
		return w.problem("%s: an inline bucket of %d bytes", from, len(b))
	}
	flags, count := le.Uint16(b[8:]), int(le.Uint16(b[10:]))
	if pageHeaderSize+count*elemSize > len(b) {
		return w.problem("page %d (%s): %d elements do not fit in it", id, from, count)
	}
	here := i18n.Sprintf("page %d", id)
	switch {
	case flags&flagBranch != 0:
		if count == 0 {
			return w.problem("%s (%s): an empty branch", here, from)
		}
		for i := 0; i < count; i++ {
			e := pageHeaderSize + i*elemSize
			pos, ksize, child := int(le.Uint32(b[e:])), int(le.Uint32(b[e+4:])), le.Uint64(b[e+8:])
			if e+pos+ksize > len(b) || pos < 0 {
				return w.problem("%s (%s): element %d lies outside the page", here, from, i)
			}
			cb, err := w.page(child, here, flagBranch|flagLeaf)
			if err != nil || cb == nil {
				if err != nil {
					return err
				}
				continue
			}
			if err := w.node(cb, child, here, depth+1); err != nil {
				return err
			}
		}
	case flags&flagLeaf != 0:
		for i := 0; i < count; i++ {
			e := pageHeaderSize + i*elemSize
			eflags, pos, ksize, vsize := le.Uint32(b[e:]), uint64(le.Uint32(b[e+4:])), uint64(le.Uint32(b[e+8:])), uint64(le.Uint32(b[e+12:]))
			if uint64(e)+pos+ksize+vsize > uint64(len(b)) {
				return w.problem("%s (%s): element %d lies outside the page", here, from, i)
			}
			if eflags&leafFlagBucket == 0 {
				continue
			}
			v := b[uint64(e)+pos+ksize : uint64(e)+pos+ksize+vsize]
			name := printable(b[uint64(e)+pos : uint64(e)+pos+ksize])
			if len(v) < 16 {
				return w.problem("%s (%s): bucket %q has a value of %d bytes", here, from, name, len(v))
			}
			where := i18n.Sprintf("bucket %q on %s", name, here)
			if root := le.Uint64(v); root == 0 {
				if err := w.node(v[16:], id, where+", inline", depth+1); err != nil {
					return err
				}
			} else if err := w.bucket(root, where, depth+1); err != nil {
				return err
			}
		}
	default:
		return w.problem("%s (%s) has type %#x where a branch or leaf belongs", here, from, flags)
	}
	return nil
}

func (w *pageWalker) bucket(root uint64, from string, depth int) error {
	b, err := w.page(root, from, flagBranch|flagLeaf)
	if err != nil || b == nil {
		return err
	}
	return w.node(b, root, from, depth)
}

// checkPagesRaw walks the file from the newest valid meta page: every page
// reached is in range, of its type, reached once, with its elements inside
// it, and the freelist lists pages in range, each once and none in use.
func checkPagesRaw(env *CheckEnv) error {
	st, err := env.File.Stat()
	if err != nil {
		return err
	}
	m0, ok0 := readMeta(env.File, 0, 0)
	ps := int64(m0.pageSize)
	if !ok0 {
		// The second meta page sits one page in; find its size from it.
		for _, try := range []int64{4096, 8192, 16384, 65536, 1024, 2048} {
			if m1, ok := readMeta(env.File, try, 1); ok && int64(m1.pageSize) == try {
				ps = try
				break
			}
		}
	}
	m1, ok1 := readMeta(env.File, ps, 1)
	m := m0
	switch {
	case !ok0 && !ok1:
		return env.Report("pages", 0, "neither meta page is valid")
	case !ok0:
		m = m1
		if err := env.Report("pages", 0, "meta page 0 is damaged (bbolt uses page 1)"); err != nil {
			return err
		}
	case !ok1:
		if err := env.Report("pages", 0, "meta page 1 is damaged (bbolt uses page 0)"); err != nil {
			return err
		}
	case m1.txid > m0.txid:
		m = m1
	}
	ps = int64(m.pageSize)
	if ps < 1024 || ps > 1<<20 || ps&(ps-1) != 0 {
		return env.Report("pages", 0, "page size %d", ps)
	}
	if int64(m.hwm)*ps > st.Size() {
		return env.Report("pages", 0, "the meta page counts %d pages, the file holds %d", m.hwm, st.Size()/ps)
	}
	w := &pageWalker{env: env, r: env.File, size: st.Size(), ps: ps, hwm: m.hwm, seen: map[uint64]bool{0: true, 1: true}}
	before := env.found
	if err := w.bucket(m.root, "the root bucket", 0); err != nil {
		return err
	}
	if m.freelist == noFreelist || env.found > before {
		return nil
	}
	used := w.seen
	w.seen = map[uint64]bool{}
	b, err := w.page(m.freelist, "the freelist", flagFreelist)
	if err != nil || b == nil {
		return err
	}
	le := binary.LittleEndian
	count, start := uint64(le.Uint16(b[10:])), uint64(pageHeaderSize)
	if count == 0xFFFF {
		if len(b) < pageHeaderSize+8 {
			return w.problem("the freelist page is cut short")
		}
		count, start = le.Uint64(b[pageHeaderSize:]), pageHeaderSize+8
	}
	if count > (uint64(len(b))-start)/8 {
		return w.problem("the freelist counts %d pages, its page holds %d", count, (uint64(len(b))-start)/8)
	}
	free := map[uint64]bool{}
	for i := uint64(0); i < count; i++ {
		id := le.Uint64(b[start+i*8:])
		switch {
		case id < 2 || id >= m.hwm:
			err = w.problem("the freelist lists page %d, outside the file's %d pages", id, m.hwm)
		case free[id]:
			err = w.problem("the freelist lists page %d twice", id)
		case used[id]:
			err = w.problem("page %d is both in use and free", id)
		}
		if err != nil {
			return err
		}
		free[id] = true
	}
	return nil
}
