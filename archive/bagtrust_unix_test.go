//go:build unix

package archive

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO in a bag would block a reader forever: import refuses the bag
// without opening it.
func TestImportRefusesFIFO(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	if err := syscall.Mkfifo(filepath.Join(bag, "data", "files", "pipe.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := districtCatalogue(t, stubVerify)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := c.Import(ctx, bag, ImportOptions{}, nil)
	if !errors.Is(err, ErrBagRefused) || !strings.Contains(err.Error(), "data/files/pipe.pdf is a named pipe (FIFO)") {
		t.Fatalf("import: %v", err)
	}
}
