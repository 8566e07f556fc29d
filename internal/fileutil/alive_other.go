//go:build !unix

package fileutil

import "os"

// processAlive reports whether a process with this id may exist. Where the
// platform cannot tell cheaply, a process is taken as alive, and only the
// age of its temporary files marks them as abandoned.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
