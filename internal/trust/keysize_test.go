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

// TestChainCostlyCandidates: candidates with large keys (16384 bits, which
// keycheck accepts, about 5 ms a check) spend the work budget by their
// cost, and are tried after cheaper ones, so they can neither make chain
// building slow nor hide the real issuer.
func TestChainCostlyCandidates(t *testing.T) {
	p := testpki.Shared(t)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	big := keychecktest.HugeRSA(16384)
	var pool []*x509.Certificate
	for range 100 {
		pool = append(pool, hugeIssuer(t, p, big))
	}
	// Alone, at most maxWork/64 of them are checked.
	b := &builder{anchors: store.Roots, at: time.Now(), indexes: []*certIndex{newIndex(store.Roots), newIndex(pool)}}
	b.extend([]*x509.Certificate{p.Signer.Cert})
	if b.work > maxWork+64 || b.work < maxWork {
		t.Errorf("work %d, want the budget (%d) spent by a few costly checks", b.work, maxWork)
	}
	r, err := store.Chain(p.Signer.Cert, append(pool, p.Inter.Cert), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != Trusted || len(r.Certs) != 3 {
		t.Fatalf("status %v with %d certificates; problems %q", r.Status, len(r.Certs), r.Problems)
	}
}
