package trust

import (
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
)

// hugeIssuer is a CA certificate with the subject of the test PKI's issuing
// CA but a 20000-bit RSA key (a random odd modulus, no key pair), signed by
// the real root: a candidate issuer for every signer of the PKI.
func hugeIssuer(t testing.TB, p *testpki.PKI, pub any) *x509.Certificate {
	t.Helper()
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: n, Subject: p.Inter.Cert.Subject, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.Root.Cert, pub, p.Root.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestChainHugeKeyCandidates: a candidate issuer whose key is over
// keycheck's bound is never used to check a signature. Alone, it ends the
// path (untrusted, naming the bound); among 600 of them the real issuer is
// still found, since refused candidates spend none of the work budget that
// checking their signatures (about 7 ms each at 20000 bits, hours at the
// megabit sizes a file can carry) would have.
func TestChainHugeKeyCandidates(t *testing.T) {
	p := testpki.Shared(t)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	huge := keychecktest.HugeRSA(20000)
	now := time.Now()

	r, err := store.Chain(p.Signer.Cert, []*x509.Certificate{hugeIssuer(t, p, huge)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Untrusted || len(r.Problems) == 0 || !strings.Contains(r.Problems[0], "is not used: the RSA key has 20000 bits, more than the 16384") {
		t.Fatalf("status %v problems %q", r.Status, r.Problems)
	}

	var pool []*x509.Certificate
	for range maxWork + 100 {
		pool = append(pool, hugeIssuer(t, p, huge))
	}
	pool = append(pool, p.Inter.Cert)
	start := time.Now()
	r, err = store.Chain(p.Signer.Cert, pool, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Trusted || len(r.Certs) != 3 {
		t.Fatalf("status %v with %d certificates; problems %q", r.Status, len(r.Certs), r.Problems)
	}
	t.Logf("%d refused candidates and the real issuer: %v", len(pool)-1, time.Since(start))

}
