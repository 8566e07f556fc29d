package trust

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
	"github.com/kyso-project/kyso/internal/pdf"
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
	x := store.NewSession()
	x.take(pool)
	b := &builder{sess: x, store: store.storeIndex(), at: time.Now()}
	b.extend([]*node{newNode(p.Signer.Cert)})
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

// nearCopies returns n certificates with c's subject, key and length,
// differing from c and from each other in the last two bytes of the
// signature: what a hostile /DSS holds to make path building compare
// every pair.
func nearCopies(t testing.TB, c *x509.Certificate, n int) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for i := range n {
		raw := append([]byte(nil), c.Raw...)
		raw[len(raw)-2], raw[len(raw)-1] = byte(i>>8)^0x5a, byte(i)^0xa5
		d, err := x509.ParseCertificate(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Equal(c) {
			out = append(out, d)
		}
	}
	return out
}

// TestSessionManySameSubject: a pool of thousands of certificates with
// the issuing CA's subject and key costs each path a pass over them (the
// session indexes them once), not a comparison of every pair, whatever
// the number of paths built; the same certificate parsed again is one.
func TestSessionManySameSubject(t *testing.T) {
	p := testpki.Shared(t)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	for _, n := range []int{512, 2048} {
		copies := nearCopies(t, p.Inter.Cert, n)
		x := store.NewSession()
		const calls = 50
		for i := range calls {
			// Each signature's CMS holds the issuer, parsed anew; the
			// /DSS is the same for all.
			inter, _ := x509.ParseCertificate(p.Inter.Cert.Raw)
			pool := append([]*x509.Certificate{inter}, copies...)
			if i%2 == 1 {
				pool = append(copies[:len(copies):len(copies)], inter) // the issuer last
			}
			r, err := x.Chain(p.Signer.Cert, pool, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != Trusted || len(r.Certs) != 3 {
				t.Fatalf("status %v with %d certificates; problems %q", r.Status, len(r.Certs), r.Problems)
			}
		}
		// Per path: the pool taken in, the candidates listed (by name
		// bytes and by name text), a few signature checks made once.
		if max := int64(calls*(3*(n+1)+16) + 8*sigSteps); x.Work() > max {
			t.Errorf("%d same-subject certificates, %d paths: %d steps, want at most %d (linear)", n, calls, x.Work(), max)
		}
		if len(x.pool.bySum) != n+1 {
			t.Errorf("%d certificates indexed, want %d", len(x.pool.bySum), n+1)
		}
		t.Logf("%d copies, %d paths: %d steps", n, calls, x.Work())
	}

	// The same certificate parsed a thousand times is one candidate.
	var same []*x509.Certificate
	for range 1000 {
		c, _ := x509.ParseCertificate(p.Inter.Cert.Raw)
		same = append(same, c)
	}
	x := store.NewSession()
	r, err := x.Chain(p.Signer.Cert, same, time.Now())
	if err != nil || r.Status != Trusted {
		t.Fatalf("%v %v", r, err)
	}
	if x.Work() > 1000+8+2*sigSteps {
		t.Errorf("1000 copies of one certificate: %d steps", x.Work())
	}
}

// TestSessionWorkLimit: past its budget a session fails closed: Chain and
// IssuerOf return an error naming MaxChainWork, for every later call too,
// never a path found with part of the candidates.
func TestSessionWorkLimit(t *testing.T) {
	p := testpki.Shared(t)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	// Copies that verify the signer (the issuer's key) but whose own
	// signature is broken: every one is a path to try, and only the
	// per-call bound stops a path; many paths with different leaves
	// (signers) each try them afresh.
	copies := nearCopies(t, p.Inter.Cert, 300)
	x := store.NewSession()
	x.Max = 200_000
	var err error
	calls := 0
	for ; calls < 100 && err == nil; calls++ {
		leaf := issue(t, p.Inter.Cert, p.Inter.Key, &x509.Certificate{Subject: pkix.Name{CommonName: fmt.Sprintf("signer %d TEST", calls)}})
		_, err = x.Chain(leaf, copies, time.Now())
	}
	if !pdf.IsLimit(err) || !strings.Contains(err.Error(), "MaxChainWork") {
		t.Fatalf("after %d paths: %v, want the MaxChainWork limit", calls, err)
	}
	if x.Work() > x.Max+64*sigSteps {
		t.Errorf("%d steps spent, budget %d", x.Work(), x.Max)
	}
	if _, err := x.Chain(p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, time.Now()); !pdf.IsLimit(err) {
		t.Errorf("a later path: %v, want the limit", err)
	}
	if _, err := x.IssuerOf(p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}); !pdf.IsLimit(err) {
		t.Errorf("a later issuer look-up: %v, want the limit", err)
	}
	// A fresh session (another file) is not affected.
	if r, err := store.Chain(p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, time.Now()); err != nil || r.Status != Trusted {
		t.Errorf("%v %v", r, err)
	}
}

// TestSessionIssuerOf: the issuer is found among the pool only, through
// the index, and a certificate that is not a CA is not one.
func TestSessionIssuerOf(t *testing.T) {
	p := testpki.Shared(t)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	x := store.NewSession()
	pool := append(nearCopies(t, p.Inter.Cert, 200), p.Signer.Cert, p.Inter.Cert)
	// Any of the copies is the issuer: same name, same key.
	if c, err := x.IssuerOf(p.Signer.Cert, pool); err != nil || c == nil || !sameCert(c, p.Inter.Cert) {
		t.Errorf("issuer %v, %v", c != nil, err)
	}
	if c, err := x.IssuerOf(p.Signer.Cert, pool[len(pool)-2:]); err != nil || c == nil || !sameCert(c, p.Inter.Cert) {
		t.Errorf("issuer %v, %v", c != nil, err)
	}
	if c, err := x.IssuerOf(p.Inter.Cert, pool); err != nil || c != nil {
		t.Errorf("the root is not in the pool: got %v, %v", c != nil, err)
	}
	if c, err := x.IssuerOf(p.Inter.Cert, []*x509.Certificate{p.Root.Cert}); err != nil || c == nil {
		t.Errorf("the store's root in the pool: got %v, %v", c != nil, err)
	}
}

// BenchmarkSessionManySameSubject: one path through a pool of 4096
// certificates with the issuer's subject, as a hostile /DSS holds.
func BenchmarkSessionManySameSubject(b *testing.B) {
	p := testpki.Shared(b)
	store := &Store{Roots: []*x509.Certificate{p.Root.Cert}}
	pool := append(nearCopies(b, p.Inter.Cert, 4096), p.Inter.Cert)
	for b.Loop() {
		if r, err := store.NewSession().Chain(p.Signer.Cert, pool, time.Now()); err != nil || r.Status != Trusted {
			b.Fatal(r, err)
		}
	}
}
