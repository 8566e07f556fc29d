package ck

// On Windows, CK_ULONG is a C unsigned long, which is 32 bits wide even on
// 64-bit Windows (LLP64), and the PKCS#11 headers wrap every structure in
// "#pragma pack(push, cryptoki, 1)": no padding anywhere, so a pointer
// after a CK_ULONG starts 4 bytes in, unaligned.
type culong = uint32

const packed = true
