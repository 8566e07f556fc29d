package fileutil

import (
	"os"

	"golang.org/x/sys/unix"
)

// SyncData flushes a file's data (and the metadata needed to read it back,
// such as its size, but not its times) to disk.
func SyncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

// StartWriteback asks the kernel to begin writing [off, off+n) of f to disk
// now, without waiting, so that the final SyncData finds little left to do
// and the disk works while the CPU goes on.
func StartWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
