package cms

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
)

// TestHugeKeyRefused: a signer key over keycheck's bound is refused before
// the signature is computed with, by every path: the error is keycheck's
// (the signature, random bytes, would not verify either, with another error).
func TestHugeKeyRefused(t *testing.T) {
	k := keychecktest.HugeRSA(20000)
	sig, _ := keychecktest.Signer{Pub: k}.Sign(nil, nil, nil)
	d := sha256.Sum256([]byte("signed"))
	for name, err := range map[string]error{
		"pkcs1 v1.5 over a message": verify(k, pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA}, crypto.SHA256, []byte("attrs"), nil, sig),
		"pkcs1 v1.5 over a digest":  verify(k, pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA}, crypto.SHA256, nil, d[:], sig),
		"adbe.x509.rsa_sha1":        VerifyPKCS1(k, crypto.SHA256, d[:], sig),
	} {
		if !errors.Is(err, keycheck.ErrRefused) || errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "20000 bits, more than the 16384") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// At the bound the signature is checked (and fails: random bytes).
	k = keychecktest.HugeRSA(keycheck.MaxRSABits)
	sig, _ = keychecktest.Signer{Pub: k}.Sign(nil, nil, nil)
	if err := VerifyPKCS1(k, crypto.SHA256, d[:], sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("16384 bits: %v, want a bad signature", err)
	}
}
