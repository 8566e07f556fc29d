//go:build !linux

package sign

import "os"

// syncData flushes a file to disk.
func syncData(f *os.File) error { return f.Sync() }

// startWriteback is a no-op where the kernel offers no early writeback.
func startWriteback(f *os.File, off, n int64) {}
