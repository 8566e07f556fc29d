// Package pkcs11 signs with a private key held on a token (a USB key or
// smart card from a CA) through the vendor's PKCS#11 module, and lists
// what the tokens of a module hold, so the officer can pick the right key.
//
// The run logs in once and shares the login between all workers; a wrong
// PIN is never retried, because tokens count failed attempts and lock.
package pkcs11

import (
	"context"
	"crypto/x509"
	"errors"
)

// ErrTokenGone is wrapped by the errors of a key whose token was pulled
// out, stopped answering or lost its login, and of a key already closed:
// a batch driver stops issuing work when it sees it.
var ErrTokenGone = errors.New("the token was removed or stopped answering")

// Options say which token and key to sign with.
type Options struct {
	// Module is the vendor's PKCS#11 library (a path, or a bare file name
	// for the system loader to find).
	Module string
	// Token is the token's label (as UTF-8, compared after Unicode
	// normalization) or its serial number. Empty: the only token present.
	Token string
	// KeyLabel and KeyID select the private key (both may be given). With
	// neither, the token must hold exactly one private key.
	KeyLabel string
	KeyID    []byte
	// PIN is the user PIN. It is kept in memory only while the key is
	// open, for keys that ask for it again at each signature.
	PIN []byte
	// ChainFile holds extra certificates (PEM or DER) to complete the
	// chain when the token holds only some of it.
	ChainFile string
	// FetchIssuer, if set, fetches a certificate's issuer from its
	// caIssuers (AIA) address when neither the token nor ChainFile has
	// it. Errors leave the chain as it is.
	FetchIssuer func(ctx context.Context, c *x509.Certificate) (*x509.Certificate, error)
}

// TokenInfo is what List found on one token.
type TokenInfo struct {
	Slot         uint
	Label        string
	Serial       string
	Manufacturer string
	Model        string
	// LoggedIn says the objects were read after login. Without it, tokens
	// hide private keys (CKA_PRIVATE), so Keys come from the public halves
	// stored beside them, when the token stores them.
	LoggedIn bool
	Keys     []KeyInfo
	// Certs holds every X.509 certificate on the token, those of Keys too.
	Certs []CertInfo
}

// KeyInfo describes a key pair on a token.
type KeyInfo struct {
	Label string
	ID    []byte
	// Type is "RSA-2048", "EC P-256" and the like.
	Type string
	// Private says the private key itself was seen; false when the key is
	// known only from its public half (listed without login).
	Private bool
	// AlwaysAuthenticate: the token asks for the PIN again at each signature.
	AlwaysAuthenticate bool
	// Cert is the key's certificate, nil if the token holds none.
	Cert *x509.Certificate
}

// CertInfo is a certificate on a token.
type CertInfo struct {
	Label string
	ID    []byte
	Cert  *x509.Certificate
}
