package ck

import (
	"runtime"
	"testing"
)

// The offsets of the structures kyso lays out by hand, against the C
// layout of the PKCS#11 headers on each 64-bit platform: natural
// alignment with an 8-byte CK_ULONG on Unix, 1-byte packing with a 4-byte
// CK_ULONG on Windows.
func TestLayout(t *testing.T) {
	if ptrSize != 8 {
		t.Skipf("layout expectations are for 64-bit platforms (%s)", runtime.GOARCH)
	}
	type want struct{ ulong, tvlPtr, tvlLen, tvlSize, initFlags, initReserved, initSize, fnFirst int }
	w := want{8, 8, 16, 24, 32, 40, 48, 8}
	if runtime.GOOS == "windows" {
		w = want{4, 4, 12, 16, 32, 36, 44, 2}
	}
	got := want{ulongSize, tvlPtr, tvlLen, tvlSize, initFlags, initReserved, initSize, fnListFirst}
	if got != w {
		t.Errorf("layout on %s/%s: %+v, want %+v", runtime.GOOS, runtime.GOARCH, got, w)
	}
}

func TestULongCoding(t *testing.T) {
	b := make([]byte, ulongSize)
	putULong(b, CK_UNAVAILABLE_INFORMATION)
	if getULong(b) != CK_UNAVAILABLE_INFORMATION {
		t.Errorf("CK_UNAVAILABLE_INFORMATION does not survive encoding: %x", b)
	}
	putULong(b, 0x1041)
	if getULong(b) != 0x1041 {
		t.Errorf("0x1041 read back as %x", getULong(b))
	}
	p := NewPSSParams(CKM_SHA256, CKG_MGF1_SHA256, 32)
	if len(p) != 3*ulongSize || getULong(p) != CKM_SHA256 || getULong(p[ulongSize:]) != CKG_MGF1_SHA256 || getULong(p[2*ulongSize:]) != 32 {
		t.Errorf("PSS params % x", p)
	}
	if a := NewAttribute(CKA_TOKEN, true); len(a.Value) != 1 || a.Value[0] != 1 {
		t.Errorf("CK_BBOOL true = % x", a.Value)
	}
	if a := NewAttribute(CKA_CLASS, CKO_PRIVATE_KEY); len(a.Value) != ulongSize || getULong(a.Value) != CKO_PRIVATE_KEY {
		t.Errorf("CK_ULONG attribute = % x", a.Value)
	}
}

func TestErrorText(t *testing.T) {
	if got := Error(CKR_PIN_INCORRECT).Error(); got != "pkcs11: 0xA0: CKR_PIN_INCORRECT" {
		t.Errorf("error text %q", got)
	}
	if got := Error(0x80000001).Error(); got != "pkcs11: 0x80000001" {
		t.Errorf("vendor error text %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load("/nonexistent/module.so"); err == nil {
		t.Error("loading a missing file succeeded")
	}
}
