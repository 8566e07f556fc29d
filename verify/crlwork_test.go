package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
)

// addDSSCRLs appends a /DSS with the chain and the given CRLs.
func (e *env) addDSSCRLs(t testing.TB, doc []byte, crls [][]byte) []byte {
	t.Helper()
	out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		var certs, list pdf.Array
		for _, c := range e.pki.Chain() {
			certs = append(certs, u.Add(attackgen.Stream(pdf.Dict{}, c.Raw)))
		}
		for _, c := range crls {
			list = append(list, u.Add(attackgen.Stream(pdf.Dict{}, c)))
		}
		cat, err := r.Catalog()
		if err != nil {
			return err
		}
		cat = cat.Clone()
		cat["DSS"] = u.Add(pdf.Dict{"Type": pdf.Name("DSS"), "Certs": certs, "CRLs": list})
		u.Set(r.RootRef(), cat)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Many /DSS CRLs and many signatures: each CRL of a CA of the chains is
// parsed once per file and its signature checked once per issuer, the
// CRLs of other CAs are never parsed, and the lookups grow with the
// signatures, not with signatures × CRLs.
func TestManyDSSCRLsWorkIsLinear(t *testing.T) {
	e := newEnv(t)
	p := e.pki
	now := time.Now().UTC().Truncate(time.Second)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "unrelated CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := x509.ParseCertificate(der)
	var crls [][]byte
	for i := 0; i < 40; i++ {
		crls = append(crls, mkCRL(t, other, key, now, 200+i))
	}
	crls = append(crls, mkCRL(t, p.Inter.Cert, p.Inter.Key, now, 1000), mkCRL(t, p.Root.Cert, p.Root.Key, now, 10))
	simple := readTestdata(t, "simple.pdf")
	work := func(nsigs int) (parses, sigChecks, lookups int64) {
		doc := simple
		for i := 0; i < nsigs; i++ {
			doc = e.sign(t, doc, signer{timestamp: true}, attackgen.SigOptions{Field: fmt.Sprintf("Sig%d", i+1)})
		}
		doc = e.addDSSCRLs(t, doc, crls)
		p0, s0, l0 := revocation.CRLWork()
		rep := verifyBytes(t, doc, Options{Trust: e.store})
		p1, s1, l1 := revocation.CRLWork()
		if len(rep.Signatures) != nsigs {
			t.Fatalf("%d signatures judged, want %d", len(rep.Signatures), nsigs)
		}
		for _, s := range rep.Signatures {
			if s.Revocation != "good" || s.Status != Valid {
				t.Errorf("%d signatures: %s is %s, revocation %s: %q", nsigs, s.Field, s.Status, s.Revocation, s.Warnings)
			}
		}
		return p1 - p0, s1 - s0, l1 - l0
	}
	p1, s1, l1 := work(1)
	p6, s6, l6 := work(6)
	t.Logf("1 signature: %d parses, %d signature checks, %d lookups; 6: %d, %d, %d", p1, s1, l1, p6, s6, l6)
	// Two CRLs are of CAs of the chains (Inter's and Root's).
	if p1 > 2 || p6 > 2 || s1 > 2 || s6 > 2 {
		t.Errorf("CRL parses %d and %d, signature checks %d and %d: want at most 2 each", p1, p6, s1, s6)
	}
	if l1 == 0 || l6 > 6*l1 {
		t.Errorf("lookups: %d for 1 signature, %d for 6", l1, l6)
	}
}

// mkCRL is a CRL by issuer of n entries (none of the test PKI's serials).
func mkCRL(t testing.TB, issuer *x509.Certificate, key crypto.Signer, now time.Time, n int) []byte {
	t.Helper()
	var es []x509.RevocationListEntry
	for i := 0; i < n; i++ {
		es = append(es, x509.RevocationListEntry{SerialNumber: big.NewInt(int64(1e9 + i)), RevocationTime: now.Add(-time.Hour), ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(int64(n)), ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(24 * time.Hour), RevokedCertificateEntries: es}, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// A signature with many signature timestamps: identical copies count once,
// and past MaxSignatureTimestamps the others are ignored with a warning.
func TestSignatureTimestampsBounded(t *testing.T) {
	e := newEnv(t)
	many := func(signed []byte) ([]byte, error) {
		d := sha256.Sum256(signed)
		der, sigValue, err := cms.SignDetached(context.Background(), d[:], cms.SignOptions{Signer: e.pki.Signer.Key, Cert: e.pki.Signer.Cert, Chain: e.pki.Chain()})
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256(sigValue)
		for i := 0; i < MaxSignatureTimestamps+4; i++ {
			tok, err := e.token(h[:], time.Now().Add(-time.Duration(i+1)*time.Minute))
			if err != nil {
				return nil, err
			}
			for j := 0; j < 2; j++ { // each twice
				if der, err = cms.AddUnsignedAttr(der, cms.OIDSignatureTimeStampToken, tok); err != nil {
					return nil, err
				}
			}
		}
		return der, nil
	}
	doc, _, err := attackgen.Sign(readTestdata(t, "simple.pdf"), attackgen.SigOptions{Field: "Sig1", Sign: many, Placeholder: 400000})
	if err != nil {
		t.Fatal(err)
	}
	rep := verifyBytes(t, doc, Options{Trust: e.store, RevocationSoft: true})
	s := rep.Signatures[0]
	n := 0
	for _, ts := range s.Timestamps {
		if ts.Kind == "signature" {
			n++
		}
	}
	if n != MaxSignatureTimestamps {
		t.Errorf("%d signature timestamps judged, want %d", n, MaxSignatureTimestamps)
	}
	if !mentions(s.Warnings, fmt.Sprintf("more than %d different signature timestamps", MaxSignatureTimestamps)) {
		t.Errorf("no warning of the limit: %q", s.Warnings)
	}
	if s.TimestampTime == nil {
		t.Errorf("no proven time: %q", strings.Join(s.Warnings, "; "))
	}
}
