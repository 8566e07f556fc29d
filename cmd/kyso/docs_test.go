package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The checked-in CLI reference (docs/cli) must be what the command tree
// generates now: `make docs` regenerates it.
func TestCLIReferenceUpToDate(t *testing.T) {
	dir := t.TempDir()
	if code := run([]string{"docs", "--out", dir}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("kyso docs: exit %d", code)
	}
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join("..", "..", "docs", "cli", "*.md"))
	if len(want) != len(have) {
		t.Fatalf("docs/cli has %d pages, the commands make %d: run make docs", len(have), len(want))
	}
	for _, w := range want {
		a, _ := os.ReadFile(w)
		b, err := os.ReadFile(filepath.Join("..", "..", "docs", "cli", filepath.Base(w)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("docs/cli/%s is out of date: run make docs", filepath.Base(w))
		}
	}
}
