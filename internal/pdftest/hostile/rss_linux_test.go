package hostile

import (
	"os"
	"syscall"
)

// peakRSS is a finished child's peak resident set size in bytes.
func peakRSS(ps *os.ProcessState) (int64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0, false
	}
	return int64(ru.Maxrss) << 10, true // Linux reports KiB
}
