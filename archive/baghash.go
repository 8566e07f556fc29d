package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"sync"

	"github.com/kyso-project/kyso/internal/fileutil"
)

// bagHasher hashes the files of a bag for one import, each distinct file
// once: an entry is opened as a regular file inside the bag (openRegular:
// never a link, a FIFO or a device), and a file already hashed, under this
// path or another (a hard link: the same device and inode), is answered
// from what was found then. So the bytes an import hashes are at most the
// bytes the bag's distinct files hold, however many entries name them: a
// tag manifest listing thousands of hard links to one large file costs one
// read of it. Content files are copied into the store as they are hashed
// (claim): a content file that is the same file as another entry of the
// bag is refused instead, since two content names cannot both match one
// file's bytes.
type bagHasher struct {
	dir  string
	mu   sync.Mutex
	seen map[fileutil.FileID]*bagHashed
	// files and bytes count the distinct files hashed and their bytes;
	// reused counts entries answered from a file already hashed.
	files  int
	bytes  int64
	reused int
}

type bagHashed struct {
	name string
	sum  string // "" while a content file is being copied
}

func newBagHasher(dir string) *bagHasher {
	return &bagHasher{dir: dir, seen: map[fileutil.FileID]*bagHashed{}}
}

// sum returns the SHA-256 of the bag file name, hashing it only if this
// file was not hashed before.
func (h *bagHasher) sum(name string) (string, error) {
	f, err := openRegular(filepath.Join(h.dir, filepath.FromSlash(name)))
	if err != nil {
		return "", err
	}
	defer f.Close()
	id, err := f.ID()
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	if e, ok := h.seen[id]; ok && e.sum != "" {
		h.reused++
		h.mu.Unlock()
		return e.sum, nil
	}
	h.mu.Unlock()
	sh := sha256.New()
	n, err := io.Copy(sh, f.Reader())
	if err != nil {
		return "", err
	}
	if err := f.Unchanged(); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(sh.Sum(nil))
	h.mu.Lock()
	if _, ok := h.seen[id]; !ok {
		h.seen[id] = &bagHashed{name: name, sum: sum}
	}
	h.files++
	h.bytes += n
	h.mu.Unlock()
	return sum, nil
}

// claim reserves the opened content file f, named name, for one copy into
// the store. It returns "" when f was not seen before (the caller copies
// it, then calls done), or the name of the entry that is already this file.
func (h *bagHasher) claim(f *fileutil.File, name string) (other string, err error) {
	id, err := f.ID()
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.seen[id]; ok {
		return e.name, nil
	}
	h.seen[id] = &bagHashed{name: name}
	return "", nil
}

// done counts the bytes of a claimed content file that was copied.
func (h *bagHasher) done(n int64) {
	h.mu.Lock()
	h.files++
	h.bytes += n
	h.mu.Unlock()
}
