package archive

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/kyso-project/kyso/internal/fileutil"
	"strings"

	"github.com/kyso-project/kyso/internal/i18n"
)

// What a bag says is bounded before it is believed (docs/catalogue.md,
// "Import: limits, and an incomplete bag"). Import holds, per content file
// of the bag, its SHA-256 and a few flags (48 bytes). Manifests are read
// one line at a time, records and totals one JSON value at a time, each
// within its bound; nothing is kept of them once their batch is done.
const (
	// maxBagFiles is the most regular files a bag may hold (about 100 MiB
	// of memory at the most).
	maxBagFiles = 2_000_000
	// maxBagDepth is the deepest a folder of a bag may be, in names from
	// the bag (kyso writes data/files/ab/: depth 3).
	maxBagDepth = 32
	// maxManifestLine is the longest line of a manifest: a SHA-256, two
	// spaces and a path.
	maxManifestLine = 64 << 10
	// maxRecordLine is the most bytes of data/records.jsonl one record
	// (with its whole history) may take, white space included.
	maxRecordLine = 4 << 20
	// maxRecordValues is the most JSON values (objects, arrays, members
	// and elements) one record may have: a few bytes of JSON such as "{},"
	// decode into a hundred bytes or more, so bytes alone do not bound
	// memory. A record with a long history has a few thousand.
	maxRecordValues = 1 << 15
	// maxBatchBytes and maxBatchValues bound what one batch of records
	// holds.
	maxBatchBytes  = 8 << 20
	maxBatchValues = 1 << 16
	// maxTotalsLine and maxBagTotals bound data/totals.jsonl: bytes per
	// row, rows.
	maxTotalsLine  = 64 << 10
	maxBagTotals   = 100_000
	maxTotalsBytes = 32 << 20
	// maxMissingNamed is how many files a report names when the manifest
	// lists files the bag does not hold; all of them are counted.
	maxMissingNamed = 10
)

// errLineTooLong is a line, or a JSON value, longer than its bound.
var errLineTooLong = errors.New("longer than its bound")

// budgetReader reads at most left bytes, then fails with errLineTooLong:
// under a json.Decoder, whose buffer holds one value (and what it read
// ahead), left set before each value bounds that buffer.
type budgetReader struct {
	r    io.Reader
	left int
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errLineTooLong
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

// lineReader reads lines of at most max bytes, numbering them from 1. A
// longer line is an error as soon as max bytes are read: the rest of it is
// never held.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	n   int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its end of line ("\n" or "\r\n"),
// valid until the following call; io.EOF after the last line.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.r.ReadSlice('\n')
		if len(lr.buf)+len(frag) > lr.max+2 { // +2: room for "\r\n"
			lr.n++
			return nil, errLineTooLong
		}
		lr.buf = append(lr.buf, frag...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(lr.buf) == 0:
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, err
		}
		lr.n++
		line := bytes.TrimSuffix(lr.buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > lr.max {
			return nil, errLineTooLong
		}
		return line, nil
	}
}

// jsonValues counts the values of a JSON text: every object, array, and
// member or element after the first ("{", "[" and "," outside strings).
// It is an upper bound on what decoding it allocates per value, and is
// computed without allocating.
func jsonValues(b []byte) int {
	n := 0
	in, esc := false, false
	for _, c := range b {
		switch {
		case esc:
			esc = false
		case in:
			switch c {
			case '\\':
				esc = true
			case '"':
				in = false
			}
		case c == '"':
			in = true
		case c == '{' || c == '[' || c == ',':
			n++
		}
	}
	return n
}

// bagContent is a content file of a bag (data/files/ab/<sha256>.pdf), as
// the walk found it; the flags say what the manifest and the records said
// of it.
type bagContent struct {
	sum   [32]byte
	flags uint8
	// first is the bag's id of the first record read for this content.
	first uint64
}

const (
	contentListed   = 1 << iota // the manifest lists it, with its own SHA-256
	contentMisnamed             // the manifest lists it with another SHA-256
	contentClaimed              // a record of the bag was read for it
	contentUsed                 // a record of the bag will copy it (as any of its versions)
)

// bagContents is what the walk of a bag found.
type bagContents struct {
	files int // regular files
	// content holds the content files by the first byte of their sum,
	// each list sorted: no list is ever copied whole as it grows.
	content [256][]bagContent
}

// contentSum returns the SHA-256 a bag path names when it is a content
// file, data/files/ab/<sha256>.pdf in lower case.
func contentSum(p string) ([32]byte, bool) {
	var sum [32]byte
	if len(p) != len("data/files/ab/")+64+len(".pdf") || !strings.HasPrefix(p, "data/files/") || !strings.HasSuffix(p, ".pdf") {
		return sum, false
	}
	h := p[len("data/files/ab/") : len(p)-len(".pdf")]
	if p[len("data/files/"):len("data/files/ab")] != h[:2] || p[len("data/files/ab")] != '/' || strings.ToLower(h) != h {
		return sum, false
	}
	if _, err := hex.Decode(sum[:], []byte(h)); err != nil {
		return sum, false
	}
	return sum, true
}

// find returns the content file with this SHA-256 (hex, any case), or nil.
func (bc *bagContents) find(hexSum string) *bagContent {
	var sum [32]byte
	if len(hexSum) != 64 {
		return nil
	}
	if _, err := hex.Decode(sum[:], []byte(hexSum)); err != nil {
		return nil
	}
	return bc.findSum(sum)
}

func (bc *bagContents) findSum(sum [32]byte) *bagContent {
	list := bc.content[sum[0]]
	i := sort.Search(len(list), func(i int) bool { return bytes.Compare(list[i].sum[:], sum[:]) >= 0 })
	if i < len(list) && list[i].sum == sum {
		return &list[i]
	}
	return nil
}

// walkBag refuses a bag that holds anything but regular files and folders,
// more than maxBagFiles files or folders deeper than maxBagDepth, and lists
// its content files. Entries are never followed (the types are those of
// the folder entries, as Lstat gives them), and folders are read a chunk of
// entries at a time, so a folder of millions of names is refused without
// being held.
func walkBag(dir string) (*bagContents, error) {
	bc := &bagContents{}
	var walk func(rel string, depth int) error
	walk = func(rel string, depth int) error {
		if depth > maxBagDepth {
			return refuse(dir, "%s: folders nested deeper than %d", rel, maxBagDepth)
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return refuse(dir, "%v", err)
		}
		defer f.Close()
		for {
			entries, err := f.ReadDir(1024)
			for _, d := range entries {
				p := path.Join(rel, d.Name())
				switch t := d.Type(); {
				case t.IsDir():
					if err := walk(p, depth+1); err != nil {
						return err
					}
				case t.IsRegular():
					bc.files++
					if bc.files > maxBagFiles {
						return refuse(dir, "it holds more than %d files", maxBagFiles)
					}
					if sum, ok := contentSum(p); ok {
						bc.content[sum[0]] = append(bc.content[sum[0]], bagContent{sum: sum})
					}
				default:
					return refuse(dir, "%s is %s, not a regular file", p, fileutil.Kind(t))
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return refuse(dir, "%v", err)
			}
		}
	}
	if err := walk("", 0); err != nil {
		return nil, err
	}
	for _, list := range bc.content {
		sort.Slice(list, func(i, j int) bool { return bytes.Compare(list[i].sum[:], list[j].sum[:]) < 0 })
	}
	return bc, nil
}

// bagManifest is what manifest-sha256.txt says of the files import reads:
// the small payload files by path, the content files as flags on
// bagContents; and which of the files it lists the bag does not hold.
type bagManifest struct {
	small        map[string]string
	missing      int
	missingNamed []string
}

// readBagManifest reads the payload manifest one line at a time, checking
// each entry against the walk: a content file it lists is marked listed, a
// file the bag does not hold is counted (and the first maxMissingNamed
// named). Nothing is kept of the other entries: memory stays within what
// the walk holds, however long the manifest is.
func readBagManifest(r io.Reader, name, dir string, bc *bagContents) (*bagManifest, error) {
	m := &bagManifest{small: map[string]string{}}
	err := scanManifest(r, name, func(n int, p, sum string) error {
		if s, ok := contentSum(p); ok {
			if c := bc.findSum(s); c != nil {
				if c.flags&(contentListed|contentMisnamed) != 0 {
					return i18n.Errorf("%s line %d: %s is listed twice", name, n, p)
				}
				// contentSum took the lower-case hex of the name.
				if sum == p[len("data/files/ab/"):len(p)-len(".pdf")] {
					c.flags |= contentListed
				} else {
					c.flags |= contentMisnamed
				}
				return nil
			}
		} else {
			switch p {
			case bagCatalogue, bagRecords, bagTotals:
				if _, dup := m.small[p]; dup {
					return i18n.Errorf("%s line %d: %s is listed twice", name, n, p)
				}
				m.small[p] = sum
			}
			// Another payload file kyso does not read: only whether it is
			// there matters. Never followed: a link was refused by the walk.
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
				return nil
			}
		}
		m.missing++
		if len(m.missingNamed) < maxMissingNamed {
			m.missingNamed = append(m.missingNamed, p)
		}
		return nil
	})
	return m, err
}

// scanManifest calls fn for each entry of a BagIt manifest: "<hex digest>
// <path>" lines of at most maxManifestLine bytes. Paths must stay inside
// the bag; sums come lower case.
func scanManifest(r io.Reader, name string, fn func(n int, p, sum string) error) error {
	lr := newLineReader(r, maxManifestLine)
	for {
		b, err := lr.next()
		if err == io.EOF {
			return nil
		}
		n := lr.n
		if errors.Is(err, errLineTooLong) {
			return i18n.Errorf("%s line %d: longer than %d bytes", name, n, maxManifestLine)
		}
		if err != nil {
			return i18n.Errorf("%s: %v", name, err)
		}
		line := string(b)
		if strings.TrimSpace(line) == "" {
			continue
		}
		sum, p, ok := strings.Cut(line, " ")
		p = strings.TrimLeft(p, " *")
		if !ok || len(sum) != 64 || p == "" {
			return i18n.Errorf("%s line %d: want \"<sha256> <path>\"", name, n)
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return i18n.Errorf("%s line %d: %q is not a SHA-256", name, n, sum)
		}
		p = strings.ReplaceAll(p, "%0A", "\n")
		p = strings.ReplaceAll(p, "%0D", "\r")
		p = strings.ReplaceAll(p, "%25", "%")
		if clean := path.Clean(p); clean != p || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, `\`) {
			return i18n.Errorf("%s line %d: path %q leaves the bag", name, n, p)
		}
		if err := fn(n, p, strings.ToLower(sum)); err != nil {
			return err
		}
	}
}
