package ck

import (
	"encoding/binary"
	"unsafe"
)

// Sizes of the C types, and the offsets of the structure fields kyso
// passes to or reads from a module. See docs/architecture.md ("PKCS#11
// without cgo") for why they differ between Windows and the rest.
const (
	ulongSize = int(unsafe.Sizeof(culong(0)))
	ptrSize   = int(unsafe.Sizeof(uintptr(0)))
)

// align rounds off up to a multiple of a, unless structures are packed.
func align(off, a int) int {
	if packed {
		return off
	}
	return (off + a - 1) / a * a
}

// CK_ATTRIBUTE and CK_MECHANISM share one shape:
//
//	{ CK_ULONG type; void *pValue; CK_ULONG ulValueLen; }
//
// 24 bytes at offsets 0, 8, 16 on 64-bit Unix; 16 bytes at 0, 4, 12 on
// 64-bit Windows.
var (
	tvlPtr  = align(ulongSize, ptrSize)
	tvlLen  = tvlPtr + ptrSize
	tvlSize = align(tvlLen+ulongSize, max(ulongSize, ptrSize))
)

// CK_C_INITIALIZE_ARGS: four function pointers (the mutex callbacks, left
// NULL), CK_FLAGS flags, void *pReserved.
var (
	initFlags    = 4 * ptrSize
	initReserved = align(initFlags+ulongSize, ptrSize)
	initSize     = align(initReserved+ptrSize, ptrSize)
)

// CK_FUNCTION_LIST: CK_VERSION (two bytes) then the function pointers, so
// the first pointer is at offset 2 on Windows and 8 on 64-bit Unix.
var fnListFirst = align(2, ptrSize)

// CK_TOKEN_INFO: label[32], manufacturerID[32], model[16],
// serialNumber[16] (96 bytes, a multiple of any CK_ULONG's alignment),
// then flags and ten CK_ULONG counters, two CK_VERSIONs and utcTime[16].
const (
	tokenText      = 96
	tokenULongs    = 11
	tokenInfoAlloc = 256 // more than the 208 bytes of the largest layout
)

func putULong(b []byte, v uint) {
	if ulongSize == 4 {
		binary.NativeEndian.PutUint32(b, uint32(v))
	} else {
		binary.NativeEndian.PutUint64(b, uint64(v))
	}
}

// getULong reads a CK_ULONG. A 32-bit CK_UNAVAILABLE_INFORMATION (~0) is
// widened to ^uint(0), so callers compare with one constant everywhere.
func getULong(b []byte) uint {
	if ulongSize == 4 {
		v := binary.NativeEndian.Uint32(b)
		if v == ^uint32(0) {
			return ^uint(0)
		}
		return uint(v)
	}
	return uint(binary.NativeEndian.Uint64(b))
}

func putPtr(b []byte, p uintptr) {
	if ptrSize == 4 {
		binary.NativeEndian.PutUint32(b, uint32(p))
	} else {
		binary.NativeEndian.PutUint64(b, uint64(p))
	}
}

func getPtr(b []byte) uintptr {
	if ptrSize == 4 {
		return uintptr(binary.NativeEndian.Uint32(b))
	}
	return uintptr(binary.NativeEndian.Uint64(b))
}

// rv keeps the CK_RV of a return register: on Windows only its low 32
// bits are the value, the upper half of RAX is undefined.
func rv(r1 uintptr) uint {
	if ulongSize == 4 {
		return uint(uint32(r1))
	}
	return uint(r1)
}

// cmem allocates memory the module reads or writes during a call. It is
// on the Go heap (the collector does not move heap objects) and the caller
// keeps it alive with runtime.KeepAlive until the call returns; a zero
// size still gets a valid address.
//
//go:noinline
func cmem(n int) []byte {
	return make([]byte, max(n, 1))
}

func addr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
