package main

import (
	"path/filepath"
	"strings"
)

// slashPath is the form in which kyso shows and records a path: with
// forward slashes on every system, so outputs, logs and JSON read the same
// on Windows as on Linux (Windows accepts "/" as a separator everywhere
// but in \\?\ paths, which are left as they are).
func slashPath(p string) string {
	if strings.HasPrefix(p, `\\?\`) {
		return p
	}
	return filepath.ToSlash(p)
}
