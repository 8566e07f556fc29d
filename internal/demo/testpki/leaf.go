package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// LeafOptions shape an extra signer certificate, for tests of what a
// verifier must refuse: a weak key, or a certificate meant for another
// purpose.
type LeafOptions struct {
	// CommonName is the subject's CN and O; default the unit's name.
	CommonName string
	// RSABits makes an RSA key of that size (1024 for a weak one); 0 makes
	// a P-256 key.
	RSABits int
	// EKUs replace the signer's extended key usages (documentSigning and
	// emailProtection) with these OIDs; Critical marks the extension so.
	EKUs     []asn1.ObjectIdentifier
	Critical bool
}

// Well-known extended key usages, for LeafOptions.EKUs.
var (
	EKUTimeStamping    = oidTimeStamping
	EKUDocumentSigning = oidDocumentSigning
	EKUServerAuth      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
)

// NewLeaf issues one more signer certificate under the issuing CA, with a
// fresh key. It is not in the OCSP index: check it with --revocation soft
// or embedded data.
func (p *PKI) NewLeaf(o LeafOptions) (*Leaf, error) {
	var key crypto.Signer
	var err error
	if o.RSABits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, o.RSABits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("testpki: leaf key: %w", err)
	}
	cn := o.CommonName
	if cn == "" {
		cn = DefaultUnit
	}
	t := &x509.Certificate{
		Subject:   pkix.Name{Country: []string{"VN"}, Organization: []string{cn}, CommonName: cn},
		NotBefore: p.Inter.Cert.NotBefore, NotAfter: p.Signer.Cert.NotAfter, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	if o.EKUs != nil {
		t.ExtraExtensions = []pkix.Extension{ekuExtension(o.Critical, o.EKUs...)}
	} else {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		t.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidDocumentSigning}
	}
	b := builder{from: t.NotBefore, baseURL: p.BaseURL}
	b.withAIA(t, "inter")
	cert, _ := b.issueWith(key, t, p.Inter)
	if b.err != nil {
		return nil, fmt.Errorf("testpki: %w", b.err)
	}
	return &Leaf{Cert: cert, Key: key}, nil
}
