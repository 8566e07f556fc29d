// Package keycheck bounds the public keys kyso checks signatures with.
//
// Checking a signature costs time that grows with the key: an RSA
// verification is a modular exponentiation whose cost grows with the square
// of the modulus and with the length of the exponent, and nothing in X.509
// or CMS limits either. A file whose signer certificate carries a 2-megabit
// modulus keeps a verifier busy for minutes per signature check, and a file
// holds up to a thousand signatures and hundreds of candidate issuers. So
// every public key that comes from input — a CMS signer's, a certificate
// that may have issued another, a timestamp authority's, an OCSP
// responder's, a CRL issuer's — passes Usable before kyso checks any
// signature with it; a key it refuses is never used.
package keycheck

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // only to name DSA keys, which are refused
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"

	"github.com/kyso-project/kyso/internal/i18n"
)

const (
	// MaxRSABits is the largest RSA modulus kyso checks a signature with.
	// 16384 bits is the bound common verifiers and TLS stacks apply; the
	// largest keys CAs issue are 8192 bits. A verification with a 16384-bit
	// key takes a few milliseconds.
	MaxRSABits = 16384
	// MaxRSAExponent is the largest RSA public exponent accepted (2^32 - 1;
	// virtually every key uses 65537). A longer exponent only makes the
	// verification slower.
	MaxRSAExponent = 1<<32 - 1
)

// ErrRefused is what every refusal of Usable wraps (errors.Is).
var ErrRefused = errors.New("public key refused")

// Error says why a key is refused. It wraps ErrRefused.
type Error struct {
	// Reason is the catalogue error that says why.
	Reason error
	// Bits is the size of an RSA modulus refused for its size, Max the
	// bound it exceeds; both 0 otherwise.
	Bits, Max int
}

func (e *Error) Error() string { return e.Reason.Error() }

// Unwrap lets errors.Is find ErrRefused and the catalogue error.
func (e *Error) Unwrap() []error { return []error{ErrRefused, e.Reason} }

// Localize says the refusal in p's language.
func (e *Error) Localize(p *i18n.Printer) string { return p.Err(e.Reason) }

// MinRSABits is the smallest RSA modulus kyso checks a signature with, far
// below any policy's minimum (the default policy asks for 2048 bits).
const MinRSABits = 512

// Usable says why kyso will not check a signature with pub, nil when it
// will: an RSA key with a modulus of MinRSABits to MaxRSABits and an
// exponent from 3 to MaxRSAExponent, an ECDSA key on P-224, P-256, P-384
// or P-521, or an Ed25519 key. DSA and every other kind of key are
// refused. It costs no more than reading the key's size.
func Usable(pub crypto.PublicKey) error { return UsableMax(pub, MaxRSABits) }

// UsableMax is Usable with a lower bound on the RSA modulus, such as a
// validation policy's; a maxRSABits above MaxRSABits (or not positive)
// means MaxRSABits.
func UsableMax(pub crypto.PublicKey, maxRSABits int) error {
	if maxRSABits <= 0 || maxRSABits > MaxRSABits {
		maxRSABits = MaxRSABits
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil || k.N.Sign() <= 0 {
			return &Error{Reason: i18n.Errorf("the RSA public key has no modulus")}
		}
		if n := k.N.BitLen(); n < MinRSABits {
			// Not a policy question: moduli this small break the
			// arithmetic of the PKCS#1 checks (a signature shorter than
			// its own padding).
			return &Error{Reason: i18n.Errorf("the RSA key has %d bits, fewer than the %d kyso checks signatures with", n, MinRSABits)}
		} else if n > maxRSABits {
			return &Error{Reason: i18n.Errorf("the RSA key has %d bits, more than the %d kyso checks signatures with", n, maxRSABits),
				Bits: n, Max: maxRSABits}
		}
		if k.E < 3 || int64(k.E) > MaxRSAExponent {
			return &Error{Reason: i18n.Errorf("the RSA public exponent %d is outside 3 to 2^32-1", k.E)}
		}
		return nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return &Error{Reason: i18n.Errorf("the elliptic curve public key has no curve")}
		}
		switch k.Curve {
		case elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return &Error{Reason: i18n.Errorf("the elliptic curve %s is not one kyso checks signatures with", k.Curve.Params().Name)}
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return &Error{Reason: i18n.Errorf("the Ed25519 public key is %d bytes, not %d", len(k), ed25519.PublicKeySize)}
		}
		return nil
	case nil:
		return &Error{Reason: i18n.Errorf("no public key")}
	}
	return &Error{Reason: i18n.Errorf("kyso does not check signatures made with %s keys", keyKind(pub))}
}

// Cost is the relative cost of checking one signature with pub, in units
// of an RSA-2048 check: an RSA check grows with the square of the modulus
// (a 16384-bit key costs 64 units, some 5 ms); elliptic curve and Ed25519
// checks cost one unit. Budgets of signature checks (chain building) count
// in these units, so that large keys cannot multiply the time they allow.
func Cost(pub crypto.PublicKey) int {
	if k, ok := pub.(*rsa.PublicKey); ok && k != nil && k.N != nil {
		r := (k.N.BitLen() + 2047) / 2048
		return max(1, r*r)
	}
	return 1
}

// Cert is Usable for a certificate's key (nil certificate: refused).
func Cert(c *x509.Certificate) error {
	if c == nil {
		return &Error{Reason: i18n.Errorf("no public key")}
	}
	return Usable(c.PublicKey)
}

// CanIssue reports whether parent's key is usable and verifies child's
// signature: x509.Certificate.CheckSignatureFrom with the bound first (and
// without its CA checks, which chain building makes itself).
func CanIssue(parent, child *x509.Certificate) error {
	if err := Cert(parent); err != nil {
		return err
	}
	return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
}

// CheckSignatureFrom is child.CheckSignatureFrom(parent) with parent's key
// bounded first.
func CheckSignatureFrom(child, parent *x509.Certificate) error {
	if err := Cert(parent); err != nil {
		return err
	}
	return child.CheckSignatureFrom(parent)
}

// CheckSignature is c.CheckSignature with c's key bounded first.
func CheckSignature(c *x509.Certificate, alg x509.SignatureAlgorithm, signed, signature []byte) error {
	if err := Cert(c); err != nil {
		return err
	}
	return c.CheckSignature(alg, signed, signature)
}

func keyKind(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	case *dsa.PublicKey:
		return "DSA"
	case *ecdh.PublicKey:
		return "ECDH"
	}
	return i18n.Sprintf("unknown (%T)", pub)
}
