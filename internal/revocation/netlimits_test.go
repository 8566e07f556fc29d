package revocation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/httpx"
)

// addrCert returns a certificate naming the given addresses, and its
// issuer. Nothing fetched for it can verify: the tests count requests and
// read errors.
func addrCert(t *testing.T, serial int64, ocspURLs, crlURLs, aiaURLs []string) (cert, issuer *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "limits CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	issuer, _ = x509.ParseCertificate(caDER)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "limits leaf"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		OCSPServer: ocspURLs, CRLDistributionPoints: crlURLs, IssuingCertificateURL: aiaURLs}
	der, err := x509.CreateCertificate(rand.Reader, leafT, issuer, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return cert, issuer
}

// counter is a test server that counts requests per path.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) hit(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[r.URL.Path]++
}

func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.n {
		n += v
	}
	return n
}

func (c *counter) get(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

// serve starts a server on addr ("127.0.0.1:0" or another loopback
// address) whose handler is h, after counting.
func serve(t *testing.T, addr string, c *counter, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hit(r)
		h(w, r)
	}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// hang never answers, until the client gives up or the test ends. It
// reads the request first: the server notices a client that went away
// only once the body is read.
func hang(stop <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}
}

// hangServer serves hang on 127.0.0.1; the hanging handlers are released
// before the server is closed.
func hangServer(t *testing.T, c *counter) *httptest.Server {
	stop := make(chan struct{})
	s := serve(t, "127.0.0.1:0", c, hang(stop))
	t.Cleanup(func() { close(stop) })
	return s
}

// upperBound fails the test when fn hangs: it asserts no speed, only
// that a budget or a limit stopped the work.
func upperBound(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if el := time.Since(start); el > d {
		t.Errorf("took %v, the limit did not stop the work (bound %v)", el, d)
	}
}

// TestFetcherBudget: every fetch for one file shares the budget; once it
// is spent nothing more is asked, and the next file has a budget of its
// own (the spent budget is not remembered as the address's failure).
func TestFetcherBudget(t *testing.T) {
	var c counter
	s := hangServer(t, &c)
	cert, issuer := addrCert(t, 2,
		[]string{s.URL + "/ocsp1", s.URL + "/ocsp2"}, []string{s.URL + "/a.crl", s.URL + "/b.crl"}, nil)
	f := &Fetcher{Timeout: time.Minute, Budget: 300 * time.Millisecond}
	var r Result
	upperBound(t, 20*time.Second, func() {
		r = Check(PerFile(context.Background()), cert, issuer, time.Now(), Evidence{}, f)
	})
	if r.Status != Unknown {
		t.Fatalf("status %v", r.Status)
	}
	if got := c.total(); got != 1 {
		t.Errorf("%d requests, want 1: the budget must stop the rest", got)
	}
	joined := strings.Join(r.Problems, "\n")
	if !strings.Contains(joined, "network time allowed for one file (300ms) is spent") {
		t.Errorf("problems do not name the budget: %q", r.Problems)
	}
	// The next file does not ask again while that request runs: it waits
	// for it, within its own budget.
	r = Check(PerFile(context.Background()), cert, issuer, time.Now(), Evidence{}, f)
	if got := c.total(); got != 1 || !strings.Contains(strings.Join(r.Problems, "\n"), "is spent") {
		t.Errorf("second file: %d requests, problems %q", got, r.Problems)
	}
	// A direct call with a spent budget makes no request at all.
	ctx := PerFile(context.Background())
	if _, _, err := f.OCSP(ctx, cert, issuer); err == nil {
		t.Fatal("no error")
	}
	before := c.total()
	_, _, err := f.CRL(ctx, cert, issuer)
	var be *BudgetError
	if !errors.As(err, &be) {
		t.Errorf("spent budget: %v", err)
	}
	if c.total() != before {
		t.Error("a request was made with the budget spent")
	}
}

// TestFetcherBudgetKeepsAnswer: a request cut short by one file's budget
// runs on to its own timeout, and what it finds serves the next files.
func TestFetcherBudgetKeepsAnswer(t *testing.T) {
	var c counter
	s := hangServer(t, &c)
	cert, issuer := addrCert(t, 8, []string{s.URL + "/ocsp1", s.URL + "/ocsp2"}, nil, nil)
	f := &Fetcher{Timeout: 300 * time.Millisecond, Budget: 100 * time.Millisecond}
	var be *BudgetError
	if _, _, err := f.OCSP(PerFile(context.Background()), cert, issuer); !errors.As(err, &be) {
		t.Fatalf("first file: %v", err)
	}
	// waits for the running request, without a budget
	_, _, err := f.OCSP(context.Background(), cert, issuer)
	if err == nil || strings.Count(err.Error(), "no answer within 300ms") != 2 {
		t.Fatalf("the request's own end: %v", err)
	}
	for range 3 {
		_, _, err := f.OCSP(PerFile(context.Background()), cert, issuer)
		if err == nil || errors.As(err, &be) {
			t.Errorf("next file: %v", err)
		}
	}
	if got := c.total(); got != 2 {
		t.Errorf("%d requests, want 2 (each address once)", got)
	}
}

// TestFetcherDeadAddress: an address that did not answer is not asked
// again in the run, whatever the certificate naming it.
func TestFetcherDeadAddress(t *testing.T) {
	var c counter
	s := hangServer(t, &c)
	f := &Fetcher{Timeout: 200 * time.Millisecond}
	upperBound(t, 20*time.Second, func() {
		for i := range 5 {
			cert, issuer := addrCert(t, int64(10+i), []string{s.URL + "/ocsp"}, nil, nil)
			_, _, err := f.OCSP(PerFile(context.Background()), cert, issuer)
			if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
				t.Errorf("certificate %d: %v", i, err)
			}
			if i > 0 && !strings.Contains(err.Error(), "not asked again in this run") {
				t.Errorf("certificate %d: %v", i, err)
			}
		}
	})
	if got := c.total(); got != 1 {
		t.Errorf("%d requests for 5 certificates naming one dead responder, want 1", got)
	}
}

// TestFetcherAddressLimit: duplicates count once, non-http addresses are
// skipped with a note, and at most MaxAddresses are tried.
func TestFetcherAddressLimit(t *testing.T) {
	var c counter
	s := serve(t, "127.0.0.1:0", &c, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	})
	var urls []string
	for i := range 100 {
		urls = append(urls, fmt.Sprintf("%s/ocsp%d", s.URL, i))
	}
	urls = append([]string{urls[0], urls[0], "ldap://ldap.invalid/cn=x"}, urls...)
	cert, issuer := addrCert(t, 3, urls, urls, urls)
	f := &Fetcher{}
	_, _, err := f.OCSP(context.Background(), cert, issuer)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"/ocsp0: 500", "/ocsp1: 500", "98 more addresses not tried (at most 2 per certificate)", "not http or https: ldap://ldap.invalid/cn=x"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if c.get("/ocsp0") != 1 || c.get("/ocsp1") != 1 || c.total() != 2 {
		t.Errorf("requests %v, want /ocsp0 and /ocsp1 once each", c.n)
	}
	f.CRL(context.Background(), cert, issuer)
	f.IssuerCert(context.Background(), cert)
	if c.get("/ocsp0") != 3 || c.get("/ocsp1") != 3 || c.total() != 6 {
		t.Errorf("requests %v, want the first two addresses asked for OCSP, CRL and issuer", c.n)
	}
	f3 := &Fetcher{MaxAddresses: 3}
	f3.OCSP(context.Background(), cert, issuer)
	if c.get("/ocsp2") != 1 {
		t.Errorf("MaxAddresses 3: requests %v", c.n)
	}

	ldapOnly, issuer := addrCert(t, 4, nil, []string{"ldap://ldap.invalid/cn=crl"}, nil)
	if _, _, err := f.CRL(context.Background(), ldapOnly, issuer); err == nil || !strings.Contains(err.Error(), "not http or https: ldap://ldap.invalid/cn=crl") {
		t.Errorf("ldap only: %v", err)
	}
}

// TestFetcherRedirects: at most httpx.MaxRedirects redirects, http and
// https only, no loops; a refused redirect is an error naming both
// addresses and is not asked again.
func TestFetcherRedirects(t *testing.T) {
	var c counter
	var s *httptest.Server
	s = serve(t, "127.0.0.1:0", &c, func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/loop.crl":
			http.Redirect(w, r, "/loop.crl", http.StatusFound)
		case p == "/file.crl":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusTemporaryRedirect)
		case strings.HasPrefix(p, "/hop"):
			var n int
			fmt.Sscanf(p, "/hop%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/hop%d", n+1), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	tests := []struct {
		path     string
		want     string
		requests int
	}{
		{"/loop.crl", "redirect from " + s.URL + "/loop.crl to " + s.URL + "/loop.crl not followed: a redirect loop", 1},
		{"/file.crl", "redirect from " + s.URL + "/file.crl to file:///etc/passwd not followed: only http and https addresses are", 1},
		{"/hop0", "redirect from " + s.URL + "/hop3 to " + s.URL + "/hop4 not followed: more than 3 redirects", 4},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f := &Fetcher{}
			before := c.total()
			cert, issuer := addrCert(t, 5, nil, []string{s.URL + tt.path}, nil)
			_, _, err := f.CRL(context.Background(), cert, issuer)
			var re *httpx.RedirectError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if got := c.total() - before; got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			// another certificate naming the same address: not asked again
			cert2, issuer2 := addrCert(t, 6, []string{s.URL + tt.path}, nil, nil)
			if _, _, err := f.OCSP(context.Background(), cert2, issuer2); !errors.As(err, &re) {
				t.Errorf("second certificate: %v", err)
			}
			if got := c.total() - before; got != tt.requests {
				t.Errorf("%d requests after a second certificate, want %d", got, tt.requests)
			}
		})
	}
}

// TestFetcherRedirectOtherHost: a redirect to another host is followed
// (CAs move their CRLs to CDNs), and a failure there names both addresses.
func TestFetcherRedirectOtherHost(t *testing.T) {
	var c1, c2 counter
	other := serve(t, "127.0.0.2:0", &c2, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	s := serve(t, "127.0.0.1:0", &c1, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/moved.crl", http.StatusTemporaryRedirect)
	})
	cert, issuer := addrCert(t, 7, nil, []string{s.URL + "/x.crl"}, nil)
	_, _, err := (&Fetcher{}).CRL(context.Background(), cert, issuer)
	want := s.URL + "/x.crl (redirected to " + other.URL + "/moved.crl): 410 Gone"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
	if c1.total() != 1 || c2.total() != 1 {
		t.Errorf("requests %d and %d, want 1 and 1", c1.total(), c2.total())
	}
}

// TestFetcherConcurrentBudget: many certificates of one file, fetched at
// once, all stop at the file's budget.
func TestFetcherConcurrentBudget(t *testing.T) {
	var c counter
	s := hangServer(t, &c)
	f := &Fetcher{Timeout: time.Minute, Budget: 300 * time.Millisecond}
	ctx := PerFile(context.Background())
	var n atomic.Int32
	upperBound(t, 20*time.Second, func() {
		var wg sync.WaitGroup
		for i := range 8 {
			cert, issuer := addrCert(t, int64(20+i), []string{fmt.Sprintf("%s/o%d", s.URL, i)}, []string{fmt.Sprintf("%s/c%d.crl", s.URL, i)}, nil)
			wg.Go(func() {
				if r := Check(ctx, cert, issuer, time.Now(), Evidence{}, f); r.Status == Unknown {
					n.Add(1)
				}
			})
		}
		wg.Wait()
	})
	if n.Load() != 8 {
		t.Errorf("%d unknown, want 8", n.Load())
	}
}

// The answers kept for a run are bounded: a batch whose files name ever
// new addresses does not keep them all.
func TestFetcherAnswersBounded(t *testing.T) {
	f := &Fetcher{}
	for i := range 10 * maxFlights {
		key := fmt.Sprintf("http://127.0.0.1:1/%d", i)
		if _, err := do(t.Context(), f, &f.ocsps, key, func(context.Context) (ocspAnswer, error) { return ocspAnswer{}, nil }); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		n := len(f.ocsps)
		f.mu.Unlock()
		if n > maxFlights+1 {
			t.Fatalf("%d answers kept after %d addresses", n, i+1)
		}
	}
}
