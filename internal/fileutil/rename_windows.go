package fileutil

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// renameWait bounds how long Rename waits for another program to let go
// of the file it replaces.
var renameWait = 5 * time.Second

// rename is os.Rename (MoveFileEx with MOVEFILE_REPLACE_EXISTING), retried
// while dst or tmp is held open without FILE_SHARE_DELETE.
func rename(tmp, dst string) error {
	deadline := time.Now().Add(renameWait)
	wait := 20 * time.Millisecond
	for {
		err := os.Rename(tmp, dst)
		if err == nil || !inUse(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cannot replace %s: %w (close it, e.g. in the PDF viewer, and run again): %w", dst, ErrInUse, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 500*time.Millisecond)
	}
}

func inUse(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}
