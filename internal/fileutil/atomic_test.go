package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// onlyFiles lists dir, failing if a temporary file was left behind.
func onlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if len(got) != len(want) {
		t.Fatalf("folder holds %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("folder holds %q, want %q", got, want)
		}
	}
}

func TestAtomicCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := CreateAtomic(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	if filepath.Dir(a.TempPath()) != dir {
		t.Errorf("temporary file %s is not beside %s", a.TempPath(), out)
	}
	a.Write([]byte("new"))
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatalf("target changed before Commit: %q", b)
	}
	if err := a.Commit(true); err != nil {
		t.Fatal(err)
	}
	a.Abort() // after Commit: nothing
	if b, err := os.ReadFile(out); err != nil || string(b) != "new" {
		t.Fatalf("target = %q, %v, want new", b, err)
	}
	onlyFiles(t, dir, "out.pdf")
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(out)
		if st.Mode().Perm() != Perm(0o666) {
			t.Errorf("mode %v, want 0666 minus the umask (%v)", st.Mode().Perm(), Perm(0o666))
		}
	}
}

func TestAtomicMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows") // not counted: no Windows runner
	}
	out := filepath.Join(t.TempDir(), "catalog.db")
	a, err := CreateAtomic(out, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(true); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != Perm(0o640) {
		t.Errorf("mode %v, want %v", st.Mode().Perm(), Perm(0o640))
	}
}

// TestAtomicNoReplace: without replace an existing target, even one that
// appeared after the temporary file was made, stays as it was, and the
// temporary file is gone.
func TestAtomicNoReplace(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	a, err := CreateAtomic(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("new"))
	if err := os.WriteFile(out, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = a.Commit(false)
	if !errors.Is(err, ErrTargetExists) || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Commit(false) over an existing file = %v, want ErrTargetExists", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "someone else's" {
		t.Fatalf("target overwritten: %q", b)
	}
	onlyFiles(t, dir, "out.pdf")

	fresh := filepath.Join(dir, "fresh.pdf")
	b, err := CreateAtomic(fresh, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("x"))
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(fresh); string(got) != "x" {
		t.Fatalf("fresh = %q", got)
	}
	onlyFiles(t, dir, "fresh.pdf", "out.pdf")
}

// TestAtomicAbort: an aborted or failed write leaves the target as it was
// and no temporary file.
func TestAtomicAbort(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pdf")
	os.WriteFile(out, []byte("old"), 0o600)
	a, err := CreateAtomic(out, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("half"))
	a.Abort()
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatalf("target = %q after Abort", b)
	}
	onlyFiles(t, dir, "out.pdf")
	if err := a.Commit(true); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}

	// a rename that fails (the target is a non-empty folder)
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(filepath.Join(blocked, "x"), 0o755)
	b, err := CreateAtomic(blocked, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.Write([]byte("data"))
	if err := b.Commit(true); err == nil {
		t.Fatal("Commit over a non-empty folder succeeded")
	}
	onlyFiles(t, dir, "blocked", "out.pdf")
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	for _, data := range []string{"first", "second"} {
		if err := WriteFile(out, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(out); string(b) != data {
			t.Fatalf("file = %q, want %q", b, data)
		}
	}
	onlyFiles(t, dir, "report.json")
	if err := WriteFile(filepath.Join(dir, "missing", "r.json"), []byte("x")); err == nil {
		t.Fatal("WriteFile into a missing folder succeeded")
	}
}
