// Package keychecktest makes keys larger than keycheck accepts, for tests,
// without generating a key pair: a modulus that is a random odd number of
// the size wanted, and a "signer" whose signatures are random bytes of that
// size. Nothing made with them verifies; kyso must refuse them before
// trying.
package keychecktest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"math/big"
)

// HugeRSA returns an RSA public key with a random odd modulus of exactly
// bits bits and exponent 65537.
func HugeRSA(bits int) *rsa.PublicKey {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	if err != nil {
		panic(err)
	}
	n.SetBit(n, bits-1, 1)
	n.SetBit(n, 0, 1)
	return &rsa.PublicKey{N: n, E: 65537}
}

// Signer "signs" with Pub: its signatures are random bytes as long as the
// modulus. It lets x509.CreateCertificate and CMS writers put Pub in a
// certificate or a SignerInfo.
type Signer struct{ Pub *rsa.PublicKey }

// Public returns the key.
func (s Signer) Public() crypto.PublicKey { return s.Pub }

// Sign returns random bytes of the modulus's length.
func (s Signer) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	b := make([]byte, s.Pub.Size())
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] &= 0x7f // below the modulus, as a signature is
	return b, nil
}
