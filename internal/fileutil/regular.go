package fileutil

import (
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"io/fs"
	"os"
	"time"
)

// ErrNotRegular is the error of OpenRegular for anything but a regular file
// (a folder, a named pipe, a device, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrChanged is the error for a file that changed size or was rewritten
// while kyso read it: what was read is not one version of the file.
var ErrChanged = errors.New("the file changed while it was read")

// File is a regular file opened for reading, with the size and time it had
// when it was opened. Read it through ReaderAt or Reader, which fail with
// ErrChanged on a short read, and call Unchanged when done.
type File struct {
	*os.File
	path string
	size int64
	mod  time.Time
}

// OpenRegular opens path for reading without blocking and checks, on the
// opened file itself (so nothing can swap it in between), that it is a
// regular file. A named pipe, a device, a socket or a folder is refused with
// ErrNotRegular naming what it is; opening never waits for a writer.
// Every command reads its inputs through it.
func OpenRegular(path string) (*File, error) {
	f, err := openNoBlock(path)
	if err != nil {
		if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
			// A socket cannot be opened at all (ENXIO): say what it is.
			return nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(st.Mode())}
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(st.Mode())}
	}
	return &File{File: f, path: path, size: st.Size(), mod: st.ModTime()}, nil
}

func notRegular(m fs.FileMode) error {
	return i18n.Errorf("%v: it is %s", ErrNotRegular, Kind(m))
}

// Kind names what a file that is not a regular file is, with its article
// ("a named pipe (FIFO)"), for messages; the words are in the catalogue.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "a file of an unknown kind"
	}
	return "a special file"
}

// Size is the file's size when it was opened.
func (f *File) Size() int64 { return f.size }

// Path is the name it was opened with.
func (f *File) Path() string { return f.path }

// Unchanged reports ErrChanged when the file's size or modification time
// is no longer what it was at open: call it after reading, so a file
// rewritten meanwhile is not taken for what was read.
func (f *File) Unchanged() error {
	st, err := f.File.Stat()
	if err != nil {
		return err
	}
	if st.Size() != f.size || !st.ModTime().Equal(f.mod) {
		return i18n.Errorf("%v (%d bytes when opened, now %d)", ErrChanged, f.size, st.Size())
	}
	return nil
}

// ReaderAt reads the file as it was at open: a read that comes back short
// of the size the file had is ErrChanged, not a quiet io.EOF.
func (f *File) ReaderAt() io.ReaderAt { return strictReaderAt{f} }

// Reader reads the file from its start to the size it had at open, failing
// with ErrChanged if it ends early.
func (f *File) Reader() io.Reader { return io.NewSectionReader(strictReaderAt{f}, 0, f.size) }

type strictReaderAt struct{ f *File }

func (s strictReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.f.File.ReadAt(p, off)
	if n == len(p) {
		return n, err
	}
	want := int64(len(p))
	if off >= s.f.size {
		want = 0
	} else if off+want > s.f.size {
		want = s.f.size - off
	}
	if int64(n) < want {
		if err == nil || err == io.EOF {
			err = i18n.Errorf("%v (%d bytes when opened, it ends before byte %d)", ErrChanged, s.f.size, off+want)
		}
		return n, err
	}
	return n, err
}

// ReadFile reads a whole regular file, like os.ReadFile but never waiting
// on a named pipe or device, and failing with ErrChanged if the file
// changed meanwhile.
func ReadFile(path string) ([]byte, error) { return ReadFileMax(path, MaxReadFile) }

// MaxReadFile is the largest file ReadFile reads (a font is the largest
// kyso needs whole).
const MaxReadFile = 64 << 20

// ReadFileMax is ReadFile for a file of at most max bytes: a larger one is
// refused before it is read, naming the bound (settings and keys are small;
// a file of gigabytes given for one is a mistake or an attack).
func ReadFileMax(path string, max int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.size > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: i18n.Errorf("%d bytes, more than the %d kyso reads from such a file", f.size, max)}
	}
	data := make([]byte, f.size)
	if _, err := io.ReadFull(f.Reader(), data); err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if err := f.Unchanged(); err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, nil
}
