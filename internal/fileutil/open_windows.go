//go:build windows

package fileutil

import "os"

// openNoBlock opens path; Windows has no named pipes in the file system
// that an open would wait on, and OpenRegular checks the kind after.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
