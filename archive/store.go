package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
)

// store is the content-addressed folder beside the catalogue: ab/cd/<sha256>,
// read-only once written. New content goes first to .tmp/, is fsynced (while
// it is verified), named after its hash there (the pending name), then
// hard-linked into place before
// the record that points at it is committed; the pending name goes only after
// the commit. A pending name left by a crash therefore lists every stored file
// that may lack a record, and recover() settles them without walking the store.
type store struct{ dir string }

const tmpDirName = ".tmp"

func (s store) path(sum string) string {
	return filepath.Join(s.dir, sum[0:2], sum[2:4], sum)
}

func (s store) tmpDir() string { return filepath.Join(s.dir, tmpDirName) }

// copyBufSize is large enough to stream scans at disk speed.
const copyBufSize = 1 << 20

// copyIn copies src into a temporary file of the store (.tmp/in-*), hashing
// it in the same pass. The file is not yet durable: seal makes it so, and
// the caller may verify it meanwhile. Errors of the store are fail.Run;
// errors reading src are returned as they are.
func (s store) copyIn(ctx context.Context, src io.Reader) (tmp, sum string, size int64, err error) {
	f, err := os.CreateTemp(s.tmpDir(), "in-*")
	if err != nil {
		return "", "", 0, s.fault(err)
	}
	tmp = f.Name()
	defer func() {
		if err != nil {
			f.Close()
			removeFile(tmp)
		}
	}()
	h := sha256.New()
	buf := make([]byte, copyBufSize)
	for {
		if err := ctx.Err(); err != nil {
			return "", "", 0, err
		}
		n, rerr := src.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				return "", "", 0, s.fault(err)
			}
			size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", "", 0, rerr
		}
	}
	if err := f.Close(); err != nil {
		return "", "", 0, s.fault(err)
	}
	return tmp, hex.EncodeToString(h.Sum(nil)), size, nil
}

// syncFile makes a temporary file's bytes durable.
func (s store) syncFile(tmp string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return s.fault(err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return s.fault(err)
	}
	return nil
}

// seal makes a synced temporary file read-only and gives it its pending
// name, <sha256>-<n>, which recovery reads.
func (s store) seal(tmp, sum string) (string, error) {
	if err := os.Chmod(tmp, fileutil.Perm(0o444)); err != nil {
		return "", s.fault(err)
	}
	pending := filepath.Join(s.tmpDir(), sum+"-"+strings.TrimPrefix(filepath.Base(tmp), "in-"))
	if err := fileutil.Rename(tmp, pending); err != nil {
		return "", s.fault(err)
	}
	return pending, nil
}

// fault classifies a failure of the store itself (disk full, permissions):
// no input can be archived, so the run stops.
func (s store) fault(err error) error {
	return fail.Run(i18n.Errorf("content store %s: %v", s.dir, err), "check the free space and permissions of the store folder")
}

// place links a pending file into its final name. It returns the folders
// whose entries changed, for the caller to fsync once per batch. A final name
// that already exists without a record is replaced: its bytes are not trusted.
func (s store) place(pending, sum string) ([]string, error) {
	final := s.path(sum)
	leaf := filepath.Dir(final)
	var dirs []string
	if _, err := os.Stat(leaf); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return nil, i18n.Errorf("content store %s: %v", s.dir, err)
		}
		dirs = append(dirs, s.dir, filepath.Dir(leaf))
	}
	err := os.Link(pending, final)
	if errors.Is(err, fs.ErrExist) {
		removeFile(final)
		err = os.Link(pending, final)
	}
	if err != nil {
		return nil, i18n.Errorf("content store %s: %v", s.dir, err)
	}
	return append(dirs, leaf), nil
}

// syncDirs makes renames and links in dirs durable.
func syncDirs(dirs []string) error {
	if runtime.GOOS == "windows" {
		return nil // NTFS metadata is journaled; a folder cannot be fsynced
	}
	seen := map[string]bool{}
	for _, d := range dirs {
		if seen[d] {
			continue
		}
		seen[d] = true
		f, err := os.Open(d)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return i18n.Errorf("fsync %s: %v", d, err)
		}
	}
	return nil
}

// removeFile removes a read-only file (Windows refuses otherwise).
func removeFile(path string) {
	_ = os.Chmod(path, 0o644)
	_ = os.Remove(path)
}

// dropPending removes a pending name once its content has a record. It is
// a hard link to the stored file, so its mode must not be touched: only
// where removing a read-only name fails (Windows) is the mode lifted, and
// put back on the stored file.
func (s store) dropPending(pending, sum string) {
	if err := os.Remove(pending); err == nil || errors.Is(err, fs.ErrNotExist) {
		return
	}
	removeFile(pending)
	_ = os.Chmod(s.path(sum), fileutil.Perm(0o444))
}

// pendingSum returns the hash a pending or temporary name stands for,
// hashing the file when the name does not say.
func pendingSum(path string) (string, error) {
	base := filepath.Base(path)
	if len(base) > 64 && base[64] == '-' {
		if _, err := hex.DecodeString(base[:64]); err == nil {
			return base[:64], nil
		}
	}
	return hashFile(path)
}

// recover settles what an interrupted writer left in .tmp/: a file whose
// content has a record is completed (linked into place if it is not), any
// other is removed together with its final name.
//
// With upload set (the contents live in an object store, and this folder
// only stages them), a file with a record is uploaded (a no-op when the
// object is there) and any other is just removed: its object, if the crash
// came after the upload, stays unreferenced until an operator looks (audit
// and gc --dry-run list it).
func (s store) recover(catalogued func(sums []string) (map[string]bool, error), upload func(pending, sum string) error) (adopted, removed int, err error) {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, 0, os.MkdirAll(s.tmpDir(), 0o755)
		}
		return 0, 0, err
	}
	if len(entries) == 0 {
		return 0, 0, nil
	}
	paths := make([]string, 0, len(entries))
	sums := make([]string, 0, len(entries))
	for _, e := range entries {
		p := filepath.Join(s.tmpDir(), e.Name())
		sum, err := pendingSum(p)
		if err != nil {
			return adopted, removed, i18n.Errorf("content store %s: %v", s.dir, err)
		}
		paths = append(paths, p)
		sums = append(sums, sum)
	}
	known, err := catalogued(sums)
	if err != nil {
		return 0, 0, err
	}
	var dirs []string
	for i, p := range paths {
		if upload != nil {
			if known[sums[i]] {
				if err := upload(p, sums[i]); err != nil {
					return adopted, removed, err
				}
				adopted++
			} else {
				removed++
			}
			continue
		}
		final := s.path(sums[i])
		if known[sums[i]] {
			if _, err := os.Stat(final); err != nil {
				d, err := s.place(p, sums[i])
				if err != nil {
					return adopted, removed, err
				}
				dirs = append(dirs, d...)
			}
			adopted++
		} else if _, err := os.Stat(final); err == nil {
			removeFile(final)
			dirs = append(dirs, filepath.Dir(final))
			removed++
		}
	}
	if err := syncDirs(dirs); err != nil {
		return adopted, removed, err
	}
	for i, p := range paths {
		s.dropPending(p, sums[i])
	}
	return adopted, removed, nil
}

// placement is a pending file and the content it holds.
type placement struct{ pending, sum string }

// placeAll links pending files into the store and syncs the folders that
// changed: what must be durable before the records that point at the files
// are committed. It runs inside that commit's transaction.
//
// For an object store the files were uploaded before the transaction
// (upload), and nothing is left to do here but the crash hook.
func (c *Catalogue) placeAll(files []placement) error {
	if !c.isFolder() {
		files = nil
	}
	var dirs []string
	for _, f := range files {
		d, err := c.store.place(f.pending, f.sum)
		if err != nil {
			return fail.Run(err, "")
		}
		dirs = append(dirs, d...)
	}
	if err := syncDirs(dirs); err != nil {
		return fail.Run(i18n.Errorf("content store %s: %v", c.store.dir, err), "")
	}
	if testHookBeforeCommit != nil {
		return testHookBeforeCommit()
	}
	return nil
}
