package fileutil

import (
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"
)

// AtomicFile is a new version of a file, written to a temporary file in the
// target's folder and put in the target's place only by Commit. It is the
// one way kyso writes an output file, with one guarantee:
//
//   - The temporary file is created beside the target (same folder, so the
//     rename cannot cross file systems), named as CreateTemp names it, with
//     mode 0666 minus the umask unless another mode is given.
//   - Commit flushes the file's data to disk (fsync; fdatasync on Linux),
//     closes it, renames it over the target (Rename: on Windows retried
//     while another program holds the target open) and flushes the folder,
//     so that after a crash the target is either the old file or the
//     complete new one, never a mix or a truncated file.
//   - If anything fails, before or during Commit, the target is untouched
//     and the temporary file is removed (Abort; Commit does it itself on
//     failure).
//
// Data written to the temporary file through another handle (opened by
// TempPath) must be synced by that writer before Commit.
type AtomicFile struct {
	*os.File
	target string
	closed bool // Close ran: the data is synced and the handle closed
	done   bool // committed or aborted
}

// CreateAtomic starts a new version of target. perm is the mode the new
// file gets minus the umask; 0 means 0666 (as cp and every other tool
// create files). The target's folder must exist.
func CreateAtomic(target string, perm fs.FileMode) (*AtomicFile, error) {
	if perm == 0 {
		perm = 0o666
	}
	f, err := createTemp(target, perm)
	if err != nil {
		return nil, err
	}
	return &AtomicFile{File: f, target: target}, nil
}

// TempPath is the temporary file's name, for a step that reopens it.
func (a *AtomicFile) TempPath() string { return a.File.Name() }

// Target is the file Commit replaces.
func (a *AtomicFile) Target() string { return a.target }

// Close flushes the data written so far to disk and closes the temporary
// file, without committing it; the file can still be reopened by TempPath.
// A second Close does nothing.
func (a *AtomicFile) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	err := SyncData(a.File)
	if cerr := a.File.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return i18n.Errorf("writing %s: %v", a.TempPath(), err)
	}
	return nil
}

// ErrTargetExists is wrapped by Commit's error when replace is false and
// the target exists. It also matches fs.ErrExist.
var ErrTargetExists = fmt.Errorf("the file exists: %w", fs.ErrExist)

// Commit puts the new version in the target's place (see AtomicFile). With
// replace false an existing target is never overwritten: the new file is
// hard-linked to the target's name, which fails if something is there, and
// Commit returns ErrTargetExists; only where the file system has no hard
// links does it fall back to a rename. On failure the temporary file is
// removed and the target left as it was.
func (a *AtomicFile) Commit(replace bool) (err error) {
	if a.done {
		return errors.New("fileutil: Commit after Commit or Abort")
	}
	defer func() {
		if err != nil {
			a.Abort()
		}
	}()
	if err := a.Close(); err != nil {
		return err
	}
	tmp := a.TempPath()
	if replace {
		err = Rename(tmp, a.target)
	} else if err = os.Link(tmp, a.target); err == nil {
		os.Remove(tmp)
	} else if errors.Is(err, fs.ErrExist) {
		return &fs.PathError{Op: "create", Path: a.target, Err: ErrTargetExists}
	} else {
		err = Rename(tmp, a.target)
	}
	if err != nil {
		return err
	}
	a.done = true
	syncDir(filepath.Dir(a.target))
	return nil
}

// Abort closes and removes the temporary file, leaving the target as it
// was. After Commit it does nothing, so `defer a.Abort()` is the usual
// pattern.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	if !a.closed {
		a.closed = true
		a.File.Close()
	}
	os.Remove(a.TempPath())
}

// WriteFile writes data to path with AtomicFile's guarantee, replacing path
// if it exists; the new file's mode is 0666 minus the umask.
func WriteFile(path string, data []byte) error {
	a, err := CreateAtomic(path, 0)
	if err != nil {
		return err
	}
	defer a.Abort()
	if _, err := a.Write(data); err != nil {
		return err
	}
	return a.Commit(true)
}

// syncDir flushes a folder's entries (the rename) to disk. Windows cannot
// open a folder for flushing and some network file systems refuse it; the
// rename there is as durable as the file system makes it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
