package verify

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesStaySmall keeps the verify packages readable: no Go file of
// verify/ (the verdict logic and the change-analysis rule engine) grows
// past 800 lines; split it by concern instead.
func TestFilesStaySmall(t *testing.T) {
	const max = 800
	n := 0
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if lines := bytes.Count(b, []byte("\n")); lines > max {
			t.Errorf("%s has %d lines, more than %d", p, lines, max)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}
