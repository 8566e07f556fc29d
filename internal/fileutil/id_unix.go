//go:build !windows

package fileutil

import (
	"errors"
	"os"
	"syscall"
)

func fileID(f *os.File) (FileID, error) {
	st, err := f.Stat()
	if err != nil {
		return FileID{}, err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}, errors.New("no device and inode number")
	}
	return FileID{Dev: uint64(sys.Dev), Ino: uint64(sys.Ino)}, nil
}
