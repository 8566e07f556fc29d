package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadFileMax refuses a file over its bound before reading it, naming the
// bound; a file at the bound is read.
func TestReadFileMax(t *testing.T) {
	p := filepath.Join(t.TempDir(), "settings.yaml")
	if err := os.WriteFile(p, make([]byte, 1025), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFileMax(p, 1024); err == nil || !strings.Contains(err.Error(), "1025 bytes, more than the 1024") || !strings.Contains(err.Error(), p) {
		t.Errorf("over the bound: %v", err)
	}
	if b, err := ReadFileMax(p, 1025); err != nil || len(b) != 1025 {
		t.Errorf("at the bound: %d %v", len(b), err)
	}
}
