//go:build !linux

package fileutil

import "os"

// SyncData flushes a file to disk.
func SyncData(f *os.File) error { return f.Sync() }

// StartWriteback is a no-op where the kernel offers no early writeback.
func StartWriteback(f *os.File, off, n int64) {}
