//go:build !linux

package hostile

import "os"

// peakRSS is not measured here (units and availability differ).
func peakRSS(*os.ProcessState) (int64, bool) { return 0, false }
