package pkcs11

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

func TestECDSADER(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		r, s int64
		ok   bool
	}{
		{"small values", []byte{0, 1, 0, 2}, 1, 2, true},
		{"high bit gets a zero byte", []byte{0x80, 0x7f}, 0x80, 0x7f, true},
		{"odd length", []byte{1, 2, 3}, 0, 0, false},
		{"empty", nil, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, err := ecdsaDER(tc.raw)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok {
				return
			}
			var sig struct{ R, S *big.Int }
			if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
				t.Fatalf("not DER: %v", err)
			}
			if sig.R.Int64() != tc.r || sig.S.Int64() != tc.s {
				t.Errorf("r, s = %v, %v; want %d, %d", sig.R, sig.S, tc.r, tc.s)
			}
		})
	}
}

func TestParseECPoint(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := asn1.Marshal(raw)
	tests := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"DER OCTET STRING (the standard)", wrapped, true},
		{"bare point (some tokens)", raw, true},
		{"off the curve", append([]byte{4}, bytes.Repeat([]byte{1}, 64)...), false},
		{"truncated", wrapped[:20], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := parseECPoint(elliptic.P256(), tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && !pub.Equal(&k.PublicKey) {
				t.Error("wrong point")
			}
		})
	}
}

func TestParseECParams(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, "P-256"},
		{[]byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}, "P-384"},
		{[]byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}, "P-521"},
		{[]byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a}, ""}, // secp256k1
		{[]byte{0x05, 0x00}, ""},
	}
	for _, tc := range tests {
		c, err := parseECParams(tc.in)
		got := ""
		if err == nil {
			got = c.Params().Name
		}
		if got != tc.want {
			t.Errorf("parseECParams(% x) = %q (%v), want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseCerts(t *testing.T) {
	p := testpki.Shared(t)
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Cert.Raw})
	pemBoth := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Inter.Cert.Raw}), rootPEM...)
	withKey := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), rootPEM...)
	tests := []struct {
		name string
		in   []byte
		n    int
	}{
		{"two PEM", pemBoth, 2},
		{"PEM with other blocks", withKey, 1},
		{"one DER", p.Root.Cert.Raw, 1},
		{"concatenated DER", append(append([]byte{}, p.Inter.Cert.Raw...), p.Root.Cert.Raw...), 2},
		{"empty", nil, 0},
		{"PEM without certificates", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), 0},
		{"garbage", []byte("hello"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := parseCerts(tc.in)
			if tc.n == 0 {
				if err == nil {
					t.Fatalf("got %d certificates and no error", len(certs))
				}
				return
			}
			if err != nil || len(certs) != tc.n {
				t.Fatalf("got %d certificates, %v; want %d", len(certs), err, tc.n)
			}
		})
	}
}

// FuzzParseCerts: the chain file comes from the user.
func FuzzParseCerts(f *testing.F) {
	p := testpki.Shared(f)
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Cert.Raw})
	seeds := [][]byte{rootPEM, p.Root.Cert.Raw, append(append([]byte{}, p.Inter.Cert.Raw...), p.Root.Cert.Raw...), []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := parseCerts(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
	})
}

// FuzzTokenAttributes: EC parameters and points come from the token,
// and ECDSA signatures from its C_Sign.
func FuzzTokenAttributes(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw, _ := k.PublicKey.Bytes()
	wrapped, _ := asn1.Marshal(raw)
	f.Add([]byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, wrapped)
	f.Add([]byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}, raw)
	f.Add([]byte{}, []byte{4})
	f.Fuzz(func(t *testing.T, params, point []byte) {
		if c, err := parseECParams(params); err == nil {
			if pub, err := parseECPoint(c, point); err == nil && !pub.Curve.IsOnCurve(pub.X, pub.Y) {
				t.Fatal("accepted a point off the curve")
			}
		}
		if der, err := ecdsaDER(point); err == nil {
			var sig struct{ R, S *big.Int }
			if _, err := asn1.Unmarshal(der, &sig); err != nil {
				t.Fatalf("ecdsaDER wrote invalid DER: %v", err)
			}
		}
	})
}
