//go:build !windows

package ck

// On Linux, macOS and the BSDs, CK_ULONG is a C unsigned long: as wide as
// a pointer (LP64 on 64-bit systems, ILP32 on 32-bit ones), which is Go's
// uint. Structures have the C compiler's natural alignment.
type culong = uint

const packed = false
