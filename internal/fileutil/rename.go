package fileutil

import "errors"

// ErrInUse is wrapped by Rename's error when the file to replace stayed
// open in another program (Windows only: see rename_windows.go).
var ErrInUse = errors.New("the file is open in another program")

// Rename moves the finished temporary file tmp onto dst, replacing dst if
// it exists. On Linux and macOS this is rename(2), atomic even when
// someone has dst open. On Windows a file that another program holds open
// (a PDF viewer, an antivirus or indexer scanning the new file) cannot be
// replaced: Rename retries for a few seconds, then fails with ErrInUse
// naming dst, leaving dst as it was and tmp in place for the caller to
// remove.
func Rename(tmp, dst string) error { return rename(tmp, dst) }
