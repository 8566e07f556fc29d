package revocation

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
)

// TestHugeKeys: an OCSP responder, or a CRL issuer, whose key is over
// keycheck's bound (20000 bits, random) checks no signature; the evidence
// is set aside with the reason.
func TestHugeKeys(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now().UTC().Truncate(time.Second)
	huge := keychecktest.Signer{Pub: keychecktest.HugeRSA(20000)}
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, key any) *x509.Certificate {
		t.Helper()
		tmpl.SerialNumber, _ = rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, huge.Pub, key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// A delegated responder, properly issued by the CA, with a huge key.
	responderCert := issue(&x509.Certificate{Subject: pkix.Name{CommonName: "huge OCSP TEST"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}}, p.Inter.Cert, p.Inter.Key)
	resp := mkOCSP(t, p.Inter.Cert, responder{responderCert, huge, true},
		ocsp.Response{Status: ocsp.Good, SerialNumber: p.Signer.Cert.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour)})
	r := Check(context.Background(), p.Signer.Cert, p.Inter.Cert, now, Evidence{OCSPs: [][]byte{resp}}, nil)
	if r.Status != Unknown || !strings.Contains(strings.Join(r.Problems, "\n"), "20000 bits, more than the 16384") {
		t.Errorf("huge responder: %v %q", r.Status, r.Problems)
	}

	// An issuer with a huge key (the CA's name; signed by the CA so that it
	// parses): neither its OCSP answers nor its CRLs are checked.
	hugeCA := issue(&x509.Certificate{Subject: p.Inter.Cert.Subject, SubjectKeyId: p.Inter.Cert.SubjectKeyId, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, p.Root.Cert, p.Root.Key)
	crl := mkCRL(t, p.Inter.Cert, p.Inter.Key, now, now.Add(time.Hour), nil)
	r = Check(context.Background(), p.Signer.Cert, hugeCA, now, Evidence{CRLs: [][]byte{crl}}, nil)
	if r.Status != Unknown || !strings.Contains(strings.Join(r.Problems, "\n"), "CRL issuer's key is not used: the RSA key has 20000 bits") {
		t.Errorf("huge CRL issuer: %v %q", r.Status, r.Problems)
	}
}
