package ck

import (
	"fmt"
	"runtime"
)

// Attribute is a CK_ATTRIBUTE: its type and value as the module stores it.
type Attribute struct {
	Type  uint
	Value []byte
}

// NewAttribute makes an attribute of a Go value: nil (no value, to ask for
// one), bool (CK_BBOOL), int or uint (CK_ULONG, in the platform's width),
// string or []byte.
func NewAttribute(typ uint, v any) *Attribute {
	a := &Attribute{Type: typ}
	switch x := v.(type) {
	case nil:
	case bool:
		a.Value = []byte{0}
		if x {
			a.Value[0] = 1
		}
	case int:
		a.Value = ulongBytes(uint(x))
	case uint:
		a.Value = ulongBytes(x)
	case string:
		a.Value = []byte(x)
	case []byte:
		a.Value = x
	default:
		panic(fmt.Sprintf("ck.NewAttribute: unsupported type %T", v))
	}
	return a
}

func ulongBytes(v uint) []byte {
	b := make([]byte, ulongSize)
	putULong(b, v)
	return b
}

// Mechanism is a CK_MECHANISM: the mechanism and its parameter, already
// in the module's layout.
type Mechanism struct {
	Mechanism uint
	Parameter []byte
}

func NewMechanism(mech uint, param []byte) *Mechanism {
	return &Mechanism{Mechanism: mech, Parameter: param}
}

// NewPSSParams lays out CK_RSA_PKCS_PSS_PARAMS: three CK_ULONGs (hashAlg,
// mgf, sLen), with no padding on any platform.
func NewPSSParams(hashAlg, mgf, saltLength uint) []byte {
	b := make([]byte, 3*ulongSize)
	putULong(b, hashAlg)
	putULong(b[ulongSize:], mgf)
	putULong(b[2*ulongSize:], saltLength)
	return b
}

// cTemplate is an array of CK_ATTRIBUTE in module-readable memory, with
// the values it points to.
type cTemplate struct {
	arr  []byte
	vals [][]byte
}

func marshalTemplate(template []*Attribute) *cTemplate {
	t := &cTemplate{arr: cmem(len(template) * tvlSize), vals: make([][]byte, len(template))}
	for i, a := range template {
		e := t.arr[i*tvlSize:]
		putULong(e, a.Type)
		if len(a.Value) > 0 {
			v := cmem(len(a.Value))
			copy(v, a.Value)
			t.vals[i] = v
			putPtr(e[tvlPtr:], addr(v))
		}
		putULong(e[tvlLen:], uint(len(a.Value)))
	}
	return t
}

func (t *cTemplate) addr() uintptr { return addr(t.arr) }

func (t *cTemplate) keepAlive() {
	runtime.KeepAlive(t.arr)
	runtime.KeepAlive(t.vals)
}
