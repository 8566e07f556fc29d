package sign

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData flushes a file's data (not its unchanged metadata) to disk.
func syncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

// startWriteback asks the kernel to begin writing [off, off+n) to disk
// now, without waiting, so the final syncData finds little left to do and
// the disk works while the CPU hashes the next blocks.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
