package verify

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/tsp"
)

// sha1Token is a signature timestamp from the test PKI's trusted TSA whose
// message imprint is SHA-1 and whose TSTInfo claims genTime: what anyone
// holding a TSA key (or a SHA-1 collision) can make at any date.
func (e *env) sha1Token(t *testing.T, sigValue []byte, genTime time.Time) []byte {
	t.Helper()
	type imprint struct {
		Alg  pkix.AlgorithmIdentifier
		Hash []byte
	}
	type tstInfo struct {
		Version int
		Policy  asn1.ObjectIdentifier
		Imprint imprint
		Serial  *big.Int
		GenTime time.Time `asn1:"generalized"`
	}
	h := sha1.Sum(sigValue)
	tst, err := asn1.Marshal(tstInfo{
		Version: 1, Policy: tsp.DefaultPolicy,
		Imprint: imprint{Alg: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}}, Hash: h[:]},
		Serial:  big.NewInt(42), GenTime: genTime.UTC(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// A TSA certificate of the trusted PKI valid since 2005 (the test PKI's
	// own TSA is younger than the claimed time).
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}}) // timeStamping
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(20050101), Subject: pkix.Name{CommonName: "old TSA (TEST)"},
		NotBefore: time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: e.pki.TSA.Cert.NotAfter,
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, e.pki.Inter.Cert, e.pki.TSA.Key.Public(), e.pki.Inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := cms.SignEncapsulated(context.Background(), cms.OIDTSTInfo, tst, cms.SignOptions{
		Signer: e.pki.TSA.Key, Cert: cert, Chain: e.pki.Chain(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A timestamp's own stated time is no proof for its own weak digest: a
// SHA-1 token claiming a time before the SHA-1 sunset (2009-08-01) is
// judged when it is checked, and proves nothing, instead of passing
// forever on its own word. The signature stays valid at B-B.
func TestSHA1TimestampDoesNotProveItself(t *testing.T) {
	e := newEnv(t)
	claimed := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	sign := func(signed []byte) ([]byte, error) {
		d := sha256.Sum256(signed)
		der, sigValue, err := cms.SignDetached(context.Background(), d[:], cms.SignOptions{Signer: e.pki.Signer.Key, Cert: e.pki.Signer.Cert, Chain: e.pki.Chain()})
		if err != nil {
			return nil, err
		}
		return cms.AddUnsignedAttr(der, cms.OIDSignatureTimeStampToken, e.sha1Token(t, sigValue, claimed))
	}
	doc, _, err := attackgen.Sign(readTestdata(t, "simple.pdf"), attackgen.SigOptions{Field: "Sig1", Sign: sign})
	if err != nil {
		t.Fatal(err)
	}
	r := verifyBytes(t, doc, Options{Trust: e.store, RevocationSoft: true})
	if len(r.Signatures) != 1 {
		t.Fatalf("signatures %+v", r.Signatures)
	}
	s := r.Signatures[0]
	if len(s.Timestamps) != 1 {
		t.Fatalf("timestamps %+v", s.Timestamps)
	}
	ts := s.Timestamps[0]
	if !ts.Verified || ts.Chain != "trusted" {
		t.Fatalf("the token itself should verify and chain: %+v", ts)
	}
	if ts.Proves || s.TimestampTime != nil || s.Level != "B-B" {
		t.Errorf("a SHA-1 token proved its own 2008 time: proves %v, timestamp %v, level %s", ts.Proves, s.TimestampTime, s.Level)
	}
	mustContain(t, "timestamp problems", ts.Problems, "sha-1 only with proof of existence before 2009-08-01")
}
