package keys

import "sync"

var protectOnce sync.Once

// Protect keeps the secrets this process is about to hold out of core
// files and away from other users' debuggers: on Linux the process becomes
// non-dumpable (prctl PR_SET_DUMPABLE 0: no core dump, and /proc/PID/mem,
// ptrace and the like are refused to anyone but root) and its core-file
// limit is set to 0. It stays so until the process ends. Elsewhere it does
// nothing. Every function that reads a password or PIN or loads a key
// calls it first; calling it again is free.
func Protect() {
	protectOnce.Do(protect)
}
