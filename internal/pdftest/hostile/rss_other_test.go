//go:build !linux

package hostile

// selfPeakRSS is not measured here (units and availability differ).
func selfPeakRSS() int64 { return 0 }
