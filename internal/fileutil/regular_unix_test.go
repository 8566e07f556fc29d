//go:build unix

package fileutil

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRegularSpecialFiles: nothing but a regular file is opened, and
// no open waits (a FIFO without a writer would block a plain open forever).
func TestOpenRegularSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.pdf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.pdf")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cases := map[string]struct{ path, want string }{
		"fifo":   {fifo, "named pipe"},
		"socket": {sock, "socket"},
		"device": {"/dev/null", "character device"},
		"folder": {dir, "folder"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, err := OpenRegular(c.path)
				if err == nil {
					f.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
					t.Fatalf("OpenRegular(%s) = %v, want ErrNotRegular naming the file and %q", c.path, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("OpenRegular(%s) blocked", c.path)
			}
			if _, err := ReadFile(c.path); !errors.Is(err, ErrNotRegular) {
				t.Fatalf("ReadFile(%s) = %v, want ErrNotRegular", c.path, err)
			}
			if _, _, err := SHA256(c.path); !errors.Is(err, ErrNotRegular) {
				t.Fatalf("SHA256(%s) = %v, want ErrNotRegular", c.path, err)
			}
		})
	}
}

func TestOpenRegularUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	p := filepath.Join(t.TempDir(), "secret.pdf")
	if err := os.WriteFile(p, []byte("%PDF-1.7\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRegular(p); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("OpenRegular on an unreadable file = %v, want permission denied", err)
	}
}

// TestFileChanged: a file that shrinks or grows while it is read is
// ErrChanged, never a quietly shorter read.
func TestFileChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.pdf")
	data := []byte(strings.Repeat("0123456789", 1000))
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRegular(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(data)) {
		t.Fatalf("size %d, want %d", f.Size(), len(data))
	}
	buf := make([]byte, 100)
	if _, err := f.ReaderAt().ReadAt(buf, 9900); err != nil {
		t.Fatalf("read before the change: %v", err)
	}
	if err := f.Unchanged(); err != nil {
		t.Fatalf("Unchanged before the change: %v", err)
	}
	// Past the end as opened is a plain io.EOF, as for any ReaderAt.
	if n, err := f.ReaderAt().ReadAt(buf, 9950); n != 50 || err != io.EOF {
		t.Fatalf("read over the end = %d, %v; want 50, io.EOF", n, err)
	}
	if err := os.Truncate(p, 5000); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReaderAt().ReadAt(buf, 9900); !errors.Is(err, ErrChanged) {
		t.Fatalf("read after shrinking = %v, want ErrChanged", err)
	}
	if _, err := io.ReadAll(f.Reader()); !errors.Is(err, ErrChanged) {
		t.Fatalf("streaming after shrinking = %v, want ErrChanged", err)
	}
	if err := f.Unchanged(); !errors.Is(err, ErrChanged) {
		t.Fatalf("Unchanged after shrinking = %v, want ErrChanged", err)
	}
	// Grown back to its size with other bytes: the time gives it away.
	later := time.Now().Add(time.Hour)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, later, later)
	if err := f.Unchanged(); !errors.Is(err, ErrChanged) {
		t.Fatalf("Unchanged after a rewrite = %v, want ErrChanged", err)
	}
}
