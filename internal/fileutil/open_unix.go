//go:build !windows

package fileutil

import (
	"os"
	"syscall"
)

// openNoBlock opens with O_NONBLOCK, so that a named pipe without a writer
// does not hang the open, and O_NOCTTY, so that a terminal device does not
// become the controlling terminal. On a regular file O_NONBLOCK changes
// nothing.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
