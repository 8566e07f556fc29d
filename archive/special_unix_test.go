//go:build unix

package archive

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
)

// bounded fails the test when f has not returned within a minute: a named
// pipe must never be waited on.
func bounded(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("still running after a minute: waiting on a named pipe?")
	}
}

// TestIngestSpecialFiles: a named pipe or device among the inputs is
// rejected with what it is; the others are ingested.
func TestIngestSpecialFiles(t *testing.T) {
	_, c := newCatalogue(t)
	dir := t.TempDir()
	files := writeFiles(t, dir, map[string]string{"a.pdf": "a"})
	pipe := filepath.Join(dir, "pipe.pdf")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "dev.pdf")
	os.Symlink("/dev/zero", dev)
	bounded(t, func() {
		res, sum := ingest(t, c, append(files, pipe, dev), IngestOptions{})
		if sum.Ingested != 1 || sum.Rejected != 2 {
			t.Fatalf("summary %+v", sum)
		}
		if r := res["pipe.pdf"]; !strings.Contains(r.Reason, "named pipe") {
			t.Errorf("pipe: %+v", r)
		}
		if r := res["dev.pdf"]; !strings.Contains(r.Reason, "character device") {
			t.Errorf("device: %+v", r)
		}
	})
}

// TestImportSpecialFiles: a named pipe anywhere in a bag, in its payload or
// in place of its own files, refuses the whole bag (ErrBagRefused, nothing
// imported), without waiting on the pipe.
func TestImportSpecialFiles(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	var victim string
	filepath.WalkDir(filepath.Join(bag, "data"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && victim == "" && len(filepath.Base(p)) == 64+len(".pdf") {
			victim = p
		}
		return nil
	})
	if victim == "" {
		t.Fatal("no payload file in the bag")
	}
	os.Remove(victim)
	if err := syscall.Mkfifo(victim, 0o644); err != nil {
		t.Fatal(err)
	}
	_, dst := newCatalogue(t)
	bounded(t, func() {
		sum, err := dst.Import(context.Background(), bag, ImportOptions{}, nil)
		if !errors.Is(err, ErrBagRefused) || sum.Imported != 0 {
			t.Fatalf("import of a bag with a pipe in its payload: %+v %v, want the bag refused", sum, err)
		}
	})
	os.Remove(filepath.Join(bag, "manifest-sha256.txt"))
	syscall.Mkfifo(filepath.Join(bag, "manifest-sha256.txt"), 0o644)
	_, dst2 := newCatalogue(t)
	bounded(t, func() {
		_, err := dst2.Import(context.Background(), bag, ImportOptions{}, nil)
		if err == nil || fail.KindOf(err) != fail.KindInput {
			t.Fatalf("import of a bag whose manifest is a pipe: %v (kind %v), want an input failure", err, fail.KindOf(err))
		}
		if errors.Is(err, ErrDamaged) {
			t.Fatal("a bad bag is not a damaged catalogue")
		}
	})
}
