package fileutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A viewer holding the output open (Go opens files without
// FILE_SHARE_DELETE, as most programs do) blocks the replacement: Rename
// waits for it to close, and names the file when it does not.
func TestRenameOverOpenFile(t *testing.T) {
	old := renameWait
	renameWait = 300 * time.Millisecond
	defer func() { renameWait = old }()
	dir := t.TempDir()
	tmp, dst := filepath.Join(dir, "tmp"), filepath.Join(dir, "out.pdf")
	for _, f := range []string{tmp, dst} {
		if err := os.WriteFile(f, []byte(f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	viewer, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	err = Rename(tmp, dst)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), dst) {
		t.Errorf("rename over an open file: %v; want ErrInUse naming %s", err, dst)
	}
	go func() { time.Sleep(100 * time.Millisecond); viewer.Close() }()
	renameWait = 5 * time.Second
	if err := Rename(tmp, dst); err != nil {
		t.Errorf("rename after the viewer closed: %v", err)
	}
}
