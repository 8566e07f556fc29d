// Package keys loads the key a signature is made with: a PKCS#12 file, or
// (in the pkcs11 sub-package) a key on a token; and reads secrets (passwords,
// PINs) from the environment, a file or a no-echo prompt, never from argv.
package keys

import (
	"crypto"
	"crypto/x509"
)

// Key is a private key able to sign, with its certificate and the rest of
// the chain it came with.
type Key struct {
	// Signer signs digests; for a token it calls the token.
	Signer crypto.Signer
	// Cert is the signer's certificate.
	Cert *x509.Certificate
	// Chain holds the other certificates that came with the key
	// (intermediates, maybe the root), not Cert itself.
	Chain []*x509.Certificate
	// Description names where the key lives, for messages ("file unit.p12",
	// "token 'Token Hòa Đông' key 'agency-key'"). Never a secret.
	Description string
	// Close releases the key (logs out of a token). May be nil.
	Close func() error
}
