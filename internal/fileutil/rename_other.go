//go:build !windows

package fileutil

import "os"

func rename(tmp, dst string) error { return os.Rename(tmp, dst) }
