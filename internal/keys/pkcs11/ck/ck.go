// Package ck calls a PKCS#11 (Cryptoki) module without cgo: it loads the
// module (dlopen, or LoadLibrary on Windows), asks it for its function list
// and calls the functions through github.com/ebitengine/purego. Structures
// crossing the boundary are laid out by hand, byte by byte, in the C ABI
// of the platform (see layout.go). Only the calls kyso needs are here.
package ck

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Error is a PKCS#11 return value (CK_RV) other than CKR_OK.
type Error uint

func (e Error) Error() string {
	if n, ok := rvNames[uint(e)]; ok {
		return fmt.Sprintf("pkcs11: 0x%X: %s", uint(e), n)
	}
	return fmt.Sprintf("pkcs11: 0x%X", uint(e))
}

// SessionHandle and ObjectHandle are the module's CK_SESSION_HANDLE and
// CK_OBJECT_HANDLE.
type (
	SessionHandle uint
	ObjectHandle  uint
)

// Indexes of the functions kyso calls in CK_FUNCTION_LIST (the order of
// the standard's pkcs11f.h).
const (
	fnInitialize        = 0
	fnFinalize          = 1
	fnGetSlotList       = 4
	fnGetTokenInfo      = 6
	fnOpenSession       = 12
	fnCloseSession      = 13
	fnCloseAllSessions  = 14
	fnLogin             = 18
	fnLogout            = 19
	fnCreateObject      = 20
	fnGetAttributeValue = 24
	fnFindObjectsInit   = 26
	fnFindObjects       = 27
	fnFindObjectsFinal  = 28
	fnSignInit          = 42
	fnSign              = 43
	fnCount             = 44
)

// Ctx is a loaded module.
type Ctx struct {
	lib uintptr
	fns [fnCount]uintptr

	mu     sync.Mutex
	closed bool
}

// Load loads the module at path (a bare file name is left to the system's
// library search) and reads its function list. It does not initialize it.
func Load(path string) (*Ctx, error) {
	lib, err := openLibrary(path)
	if err != nil {
		return nil, err
	}
	getList, err := symbol(lib, "C_GetFunctionList")
	if err != nil {
		closeLibrary(lib)
		return nil, err
	}
	out := cmem(ptrSize)
	r, _, _ := purego.SyscallN(getList, addr(out))
	runtime.KeepAlive(out)
	if code := rv(r); code != CKR_OK {
		closeLibrary(lib)
		return nil, i18n.Errorf("C_GetFunctionList: %v", Error(code))
	}
	// The list is the module's memory; the pointer to it was written into
	// out, and is read back as a pointer, never through a uintptr.
	list := *(*unsafe.Pointer)(unsafe.Pointer(unsafe.SliceData(out)))
	if list == nil {
		closeLibrary(lib)
		return nil, errors.New("C_GetFunctionList returned no function list")
	}
	raw := unsafe.Slice((*byte)(list), fnListFirst+fnCount*ptrSize)
	c := &Ctx{lib: lib}
	for i := range c.fns {
		c.fns[i] = getPtr(raw[fnListFirst+i*ptrSize:])
	}
	return c, nil
}

// call calls function fn of the list; a NULL entry is
// CKR_FUNCTION_NOT_SUPPORTED, as the standard says it should have been.
func (c *Ctx) call(fn int, args ...uintptr) error {
	p := c.fns[fn]
	if p == 0 {
		return Error(CKR_FUNCTION_NOT_SUPPORTED)
	}
	r, _, _ := purego.SyscallN(p, args...)
	if code := rv(r); code != CKR_OK {
		return Error(code)
	}
	return nil
}

// Destroy unloads the module; c must not be used afterwards.
func (c *Ctx) Destroy() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		closeLibrary(c.lib)
	}
}

// Initialize calls C_Initialize saying the module may use the operating
// system's locking: kyso calls it from several threads at once.
func (c *Ctx) Initialize() error {
	args := cmem(initSize)
	putULong(args[initFlags:], CKF_OS_LOCKING_OK)
	err := c.call(fnInitialize, addr(args))
	runtime.KeepAlive(args)
	return err
}

// Finalize calls C_Finalize.
func (c *Ctx) Finalize() error { return c.call(fnFinalize, 0) }

// GetSlotList lists the slots (those with a token in them, if
// tokenPresent).
func (c *Ctx) GetSlotList(tokenPresent bool) ([]uint, error) {
	present := uintptr(0)
	if tokenPresent {
		present = 1
	}
	for range 8 {
		n := cmem(ulongSize)
		if err := c.call(fnGetSlotList, present, 0, addr(n)); err != nil {
			return nil, err
		}
		count := getULong(n)
		if count == 0 {
			return nil, nil
		}
		ids := cmem(int(count) * ulongSize)
		err := c.call(fnGetSlotList, present, addr(ids), addr(n))
		runtime.KeepAlive(ids)
		runtime.KeepAlive(n)
		if errors.Is(err, Error(CKR_BUFFER_TOO_SMALL)) {
			continue // a token came in between the two calls
		}
		if err != nil {
			return nil, err
		}
		count = min(getULong(n), count)
		out := make([]uint, count)
		for i := range out {
			out[i] = getULong(ids[i*ulongSize:])
		}
		return out, nil
	}
	return nil, Error(CKR_BUFFER_TOO_SMALL)
}

// TokenInfo is CK_TOKEN_INFO, with the blank padding of its text fields
// removed (the text is the module's bytes: UTF-8 by the standard).
type TokenInfo struct {
	Label, ManufacturerID, Model, SerialNumber string

	Flags                                 uint
	MaxSessionCount, SessionCount         uint
	MaxRwSessionCount, RwSessionCount     uint
	MaxPinLen, MinPinLen                  uint
	TotalPublicMemory, FreePublicMemory   uint
	TotalPrivateMemory, FreePrivateMemory uint
}

// GetTokenInfo describes the token in slot.
func (c *Ctx) GetTokenInfo(slot uint) (TokenInfo, error) {
	b := cmem(tokenInfoAlloc)
	err := c.call(fnGetTokenInfo, uintptr(slot), addr(b))
	runtime.KeepAlive(b)
	if err != nil {
		return TokenInfo{}, err
	}
	var u [tokenULongs]uint
	for i := range u {
		u[i] = getULong(b[tokenText+i*ulongSize:])
	}
	return TokenInfo{
		Label: text(b[0:32]), ManufacturerID: text(b[32:64]), Model: text(b[64:80]), SerialNumber: text(b[80:96]),
		Flags: u[0], MaxSessionCount: u[1], SessionCount: u[2], MaxRwSessionCount: u[3], RwSessionCount: u[4],
		MaxPinLen: u[5], MinPinLen: u[6], TotalPublicMemory: u[7], FreePublicMemory: u[8],
		TotalPrivateMemory: u[9], FreePrivateMemory: u[10],
	}, nil
}

// OpenSession opens a session on slot (flags: CKF_SERIAL_SESSION, and
// CKF_RW_SESSION to write), with no notification callback.
func (c *Ctx) OpenSession(slot uint, flags uint) (SessionHandle, error) {
	h := cmem(ulongSize)
	err := c.call(fnOpenSession, uintptr(slot), uintptr(flags), 0, 0, addr(h))
	runtime.KeepAlive(h)
	if err != nil {
		return 0, err
	}
	return SessionHandle(getULong(h)), nil
}

// CloseSession closes one session.
func (c *Ctx) CloseSession(sh SessionHandle) error { return c.call(fnCloseSession, uintptr(sh)) }

// CloseAllSessions closes every session of the process on slot.
func (c *Ctx) CloseAllSessions(slot uint) error { return c.call(fnCloseAllSessions, uintptr(slot)) }

// Login logs userType in with pin. The copy handed to the module is
// cleared when the call returns. An empty pin is passed as NULL, which is
// how a token with a PIN pad (protected authentication path) is told to
// ask for it itself.
func (c *Ctx) Login(sh SessionHandle, userType uint, pin []byte) error {
	if len(pin) == 0 {
		return c.call(fnLogin, uintptr(sh), uintptr(userType), 0, 0)
	}
	p := cmem(len(pin))
	copy(p, pin)
	err := c.call(fnLogin, uintptr(sh), uintptr(userType), addr(p), uintptr(len(pin)))
	clear(p)
	runtime.KeepAlive(p)
	return err
}

// Logout logs the user out of every session of the token.
func (c *Ctx) Logout(sh SessionHandle) error { return c.call(fnLogout, uintptr(sh)) }

// CreateObject creates an object from template.
func (c *Ctx) CreateObject(sh SessionHandle, template []*Attribute) (ObjectHandle, error) {
	t := marshalTemplate(template)
	h := cmem(ulongSize)
	err := c.call(fnCreateObject, uintptr(sh), t.addr(), uintptr(len(template)), addr(h))
	t.keepAlive()
	runtime.KeepAlive(h)
	if err != nil {
		return 0, err
	}
	return ObjectHandle(getULong(h)), nil
}

// FindObjectsInit starts a search for the objects matching template.
func (c *Ctx) FindObjectsInit(sh SessionHandle, template []*Attribute) error {
	t := marshalTemplate(template)
	err := c.call(fnFindObjectsInit, uintptr(sh), t.addr(), uintptr(len(template)))
	t.keepAlive()
	return err
}

// FindObjects returns up to max more handles of the search; none at the
// end. The bool is always false (kept for the shape of the call).
func (c *Ctx) FindObjects(sh SessionHandle, max int) ([]ObjectHandle, bool, error) {
	hs := cmem(max * ulongSize)
	n := cmem(ulongSize)
	err := c.call(fnFindObjects, uintptr(sh), addr(hs), uintptr(max), addr(n))
	runtime.KeepAlive(hs)
	runtime.KeepAlive(n)
	if err != nil {
		return nil, false, err
	}
	count := min(int(getULong(n)), max)
	out := make([]ObjectHandle, count)
	for i := range out {
		out[i] = ObjectHandle(getULong(hs[i*ulongSize:]))
	}
	return out, false, nil
}

// FindObjectsFinal ends the search.
func (c *Ctx) FindObjectsFinal(sh SessionHandle) error {
	return c.call(fnFindObjectsFinal, uintptr(sh))
}

// GetAttributeValue reads the attributes of object h named by the types in
// template (their values are ignored). It asks for the lengths first, then
// the values; an attribute the object lacks or hides has a nil Value, but
// then the error is not nil (CKR_ATTRIBUTE_TYPE_INVALID or _SENSITIVE).
func (c *Ctx) GetAttributeValue(sh SessionHandle, h ObjectHandle, template []*Attribute) ([]*Attribute, error) {
	n := len(template)
	t := cmem(n * tvlSize)
	for i, a := range template {
		putULong(t[i*tvlSize:], a.Type)
	}
	err := c.call(fnGetAttributeValue, uintptr(sh), uintptr(h), addr(t), uintptr(n))
	runtime.KeepAlive(t)
	if err != nil {
		return nil, err
	}
	vals := make([][]byte, n)
	for i := range template {
		l := getULong(t[i*tvlSize+tvlLen:])
		if l == CK_UNAVAILABLE_INFORMATION {
			continue
		}
		vals[i] = cmem(int(l))
		putPtr(t[i*tvlSize+tvlPtr:], addr(vals[i]))
	}
	err = c.call(fnGetAttributeValue, uintptr(sh), uintptr(h), addr(t), uintptr(n))
	runtime.KeepAlive(t)
	runtime.KeepAlive(vals)
	if err != nil {
		return nil, err
	}
	out := make([]*Attribute, n)
	for i, a := range template {
		out[i] = &Attribute{Type: a.Type}
		l := getULong(t[i*tvlSize+tvlLen:])
		if vals[i] == nil || l == CK_UNAVAILABLE_INFORMATION {
			continue
		}
		out[i].Value = bytes.Clone(vals[i][:min(int(l), len(vals[i]))])
		if out[i].Value == nil {
			out[i].Value = []byte{}
		}
	}
	return out, nil
}

// SignInit starts a signature with the first of mech and key.
func (c *Ctx) SignInit(sh SessionHandle, mech []*Mechanism, key ObjectHandle) error {
	if len(mech) == 0 {
		return Error(CKR_MECHANISM_INVALID)
	}
	m := mech[0]
	b := cmem(tvlSize)
	putULong(b, m.Mechanism)
	var param []byte
	if len(m.Parameter) > 0 {
		param = cmem(len(m.Parameter))
		copy(param, m.Parameter)
		putPtr(b[tvlPtr:], addr(param))
		putULong(b[tvlLen:], uint(len(param)))
	}
	err := c.call(fnSignInit, uintptr(sh), addr(b), uintptr(key))
	runtime.KeepAlive(b)
	runtime.KeepAlive(param)
	return err
}

// Sign signs data in one part. The output buffer is sized for keys up to
// 8192 bits; a module that needs more says so and is asked again.
func (c *Ctx) Sign(sh SessionHandle, data []byte) ([]byte, error) {
	in := cmem(len(data))
	copy(in, data)
	size := 1024
	for range 2 {
		out := cmem(size)
		n := cmem(ulongSize)
		putULong(n, uint(size))
		err := c.call(fnSign, uintptr(sh), addr(in), uintptr(len(data)), addr(out), addr(n))
		runtime.KeepAlive(in)
		runtime.KeepAlive(out)
		runtime.KeepAlive(n)
		if errors.Is(err, Error(CKR_BUFFER_TOO_SMALL)) && getULong(n) > uint(size) {
			size = int(getULong(n))
			continue
		}
		if err != nil {
			return nil, err
		}
		return bytes.Clone(out[:min(int(getULong(n)), size)]), nil
	}
	return nil, Error(CKR_BUFFER_TOO_SMALL)
}

// text trims the blank (or, from careless modules, NUL) padding of a
// fixed-size CK_UTF8CHAR field.
func text(b []byte) string { return strings.TrimRight(string(b), " \x00") }
