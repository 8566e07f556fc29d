package keycheck_test

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // a DSA key must be refused
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
)

func TestUsable(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	odd := &elliptic.CurveParams{Name: "odd", P: big.NewInt(23), N: big.NewInt(7), B: big.NewInt(1), Gx: big.NewInt(1), Gy: big.NewInt(1), BitSize: 5}
	withE := func(bits, e int) *rsa.PublicKey { k := keychecktest.HugeRSA(bits); k.E = e; return k }
	tests := []struct {
		name string
		pub  any
		want string // "" accepted, else a part of the reason
		bits int    // Error.Bits expected
	}{
		{"RSA-2048", keychecktest.HugeRSA(2048), "", 0},
		{"RSA-16384, the bound", keychecktest.HugeRSA(keycheck.MaxRSABits), "", 0},
		{"RSA-16385", keychecktest.HugeRSA(keycheck.MaxRSABits + 1), "has 16385 bits, more than the 16384", 16385},
		{"RSA-20000", keychecktest.HugeRSA(20000), "has 20000 bits, more than the 16384", 20000},
		{"RSA exponent 2^32-1", withE(2048, 1<<32-1), "", 0},
		{"RSA exponent 2^32+1", withE(2048, 1<<32+1), "exponent 4294967297 is outside", 0},
		{"RSA exponent 1", withE(2048, 1), "exponent 1 is outside", 0},
		{"RSA without modulus", &rsa.PublicKey{E: 65537}, "no modulus", 0},
		{"P-256", &ec.PublicKey, "", 0},
		{"unknown curve", &ecdsa.PublicKey{Curve: odd, X: big.NewInt(1), Y: big.NewInt(1)}, "curve odd", 0},
		{"Ed25519", edPub, "", 0},
		{"Ed25519 truncated", edPub[:31], "is 31 bytes", 0},
		{"DSA", &dsa.PublicKey{}, "DSA keys", 0},
		{"X25519", x.PublicKey(), "ECDH keys", 0},
		{"nil", nil, "no public key", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := keycheck.Usable(tc.pub)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			var ke *keycheck.Error
			if !errors.Is(err, keycheck.ErrRefused) || !errors.As(err, &ke) || ke.Bits != tc.bits {
				t.Fatalf("%v: not a keycheck refusal with Bits %d", err, tc.bits)
			}
		})
	}
	// A lower bound, as a policy's max-rsa-bits; never above MaxRSABits.
	if err := keycheck.UsableMax(keychecktest.HugeRSA(4096), 3072); err == nil || !strings.Contains(err.Error(), "more than the 3072") {
		t.Errorf("UsableMax 3072: %v", err)
	}
	if err := keycheck.UsableMax(keychecktest.HugeRSA(20000), 1<<20); err == nil {
		t.Error("UsableMax above MaxRSABits accepted a 20000-bit key")
	}
}

// TestCanIssue: a candidate issuer whose key is over the bound is refused
// before its key is used: the error is keycheck's, not crypto/rsa's.
func TestCanIssue(t *testing.T) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	big := keychecktest.Signer{Pub: keychecktest.HugeRSA(20000)}
	tmpl := &x509.Certificate{SerialNumber: big1(), Subject: pkix.Name{CommonName: "huge CA TEST"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	// Go will not sign with a key whose signatures do not verify: caKey
	// signs for the huge CA's name, which is all the checks need.
	hugeCA := create(t, tmpl, tmpl, big.Pub, caKey)
	leaf := create(t, &x509.Certificate{SerialNumber: big1(), Subject: pkix.Name{CommonName: "leaf TEST"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}, tmpl, &caKey.PublicKey, caKey)
	for name, err := range map[string]error{
		"CanIssue":           keycheck.CanIssue(hugeCA, leaf),
		"CheckSignatureFrom": keycheck.CheckSignatureFrom(leaf, hugeCA),
		"CheckSignature":     keycheck.CheckSignature(hugeCA, leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature),
		"self-signed":        keycheck.CheckSignatureFrom(hugeCA, hugeCA),
	} {
		if !errors.Is(err, keycheck.ErrRefused) || !strings.Contains(err.Error(), "20000 bits") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func big1() *big.Int { n, _ := rand.Int(rand.Reader, big.NewInt(1<<62)); return n }

func create(t *testing.T, tmpl, parent *x509.Certificate, pub any, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// BenchmarkUsableHuge: refusing a 20000-bit key reads its size and nothing
// more (compare BenchmarkVerifyHuge, the work refused).
func BenchmarkUsableHuge(b *testing.B) {
	k := keychecktest.HugeRSA(20000)
	for b.Loop() {
		if keycheck.Usable(k) == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkVerifyHuge is what one check with a 20000-bit key costs when
// nothing refuses it.
func BenchmarkVerifyHuge(b *testing.B) {
	k := keychecktest.HugeRSA(20000)
	sig, _ := keychecktest.Signer{Pub: k}.Sign(nil, nil, nil)
	d := make([]byte, 32)
	for b.Loop() {
		_ = rsa.VerifyPKCS1v15(k, 5, d, sig)
	}
}

func TestCost(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		pub  any
		want int
	}{
		{keychecktest.HugeRSA(1024), 1}, {keychecktest.HugeRSA(2048), 1}, {keychecktest.HugeRSA(3072), 4},
		{keychecktest.HugeRSA(4096), 4}, {keychecktest.HugeRSA(16384), 64}, {&ec.PublicKey, 1}, {nil, 1},
	} {
		if got := keycheck.Cost(tc.pub); got != tc.want {
			t.Errorf("Cost(%T of %v) = %d, want %d", tc.pub, tc.pub != nil, got, tc.want)
		}
	}
}

// An RSA modulus below MinRSABits is refused: too small for the PKCS#1
// arithmetic (a signature shorter than its own padding), whatever the
// policy says.
func TestTinyRSARefused(t *testing.T) {
	for _, bits := range []int{8, 256, keycheck.MinRSABits - 1} {
		n := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
		n.SetBit(n, 0, 1)
		if err := keycheck.Usable(&rsa.PublicKey{N: n, E: 65537}); err == nil || !errors.Is(err, keycheck.ErrRefused) {
			t.Errorf("%d bits: %v, want a refusal", bits, err)
		}
	}
	n := new(big.Int).Lsh(big.NewInt(1), keycheck.MinRSABits-1)
	n.SetBit(n, 0, 1)
	if err := keycheck.Usable(&rsa.PublicKey{N: n, E: 65537}); err != nil {
		t.Errorf("%d bits: %v", keycheck.MinRSABits, err)
	}
}
