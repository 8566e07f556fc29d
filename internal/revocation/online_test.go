package revocation

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// noOCSP fails every POST, as a dead OCSP responder would, and passes the
// rest (CRL and certificate downloads) through.
type noOCSP struct{}

func (noOCSP) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		return nil, errors.New("connection refused (test)")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestCheckOnline(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, nil)
	ctx := context.Background()
	now := time.Now()
	crlOnly := &http.Client{Transport: noOCSP{}}
	tests := []struct {
		name     string
		fetcher  *Fetcher
		leaf     *testpki.Leaf
		status   Status
		source   string
		wantOCSP int64 // requests seen by the server
		wantCRL  int64
	}{
		{name: "good by OCSP", fetcher: &Fetcher{}, leaf: p.Signer, status: Good, source: "online OCSP", wantOCSP: 1},
		{name: "revoked by OCSP", fetcher: &Fetcher{}, leaf: p.Revoked, status: Revoked, source: "online OCSP", wantOCSP: 1},
		{name: "good by CRL when OCSP is down", fetcher: &Fetcher{HTTP: crlOnly}, leaf: p.Signer, status: Good, source: "online CRL", wantCRL: 1},
		{name: "revoked by CRL when OCSP is down", fetcher: &Fetcher{HTTP: crlOnly}, leaf: p.Revoked, status: Revoked, source: "online CRL", wantCRL: 1},
		{name: "offline never asks", fetcher: &Fetcher{Offline: true}, leaf: p.Signer, status: Unknown},
		{name: "no fetcher never asks", fetcher: nil, leaf: p.Revoked, status: Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Counts()
			r := Check(ctx, tt.leaf.Cert, p.Inter.Cert, now, Evidence{}, tt.fetcher)
			if r.Status != tt.status || r.Source != tt.source {
				t.Fatalf("status %v from %q, want %v from %q; problems %q", r.Status, r.Source, tt.status, tt.source, r.Problems)
			}
			after := p.Counts()
			if got := after.OCSP - before.OCSP; got != tt.wantOCSP {
				t.Errorf("%d OCSP requests, want %d", got, tt.wantOCSP)
			}
			if got := after.CRL - before.CRL; got != tt.wantCRL {
				t.Errorf("%d CRL requests, want %d", got, tt.wantCRL)
			}
			if tt.status != Unknown && len(r.UsedOCSP)+len(r.UsedCRL) != 1 {
				t.Error("the deciding evidence is not returned")
			}
			// What was fetched decides offline afterwards, as from a DSS.
			if tt.status != Unknown {
				again := Check(ctx, tt.leaf.Cert, p.Inter.Cert, now, Evidence{OCSPs: r.UsedOCSP, CRLs: r.UsedCRL}, &Fetcher{Offline: true})
				if again.Status != tt.status || !strings.HasPrefix(again.Source, "embedded") {
					t.Errorf("embedded again: %v from %q, problems %q", again.Status, again.Source, again.Problems)
				}
			}
		})
	}

	t.Run("the issuing CA, answered by the root itself", func(t *testing.T) {
		r := Check(ctx, p.Inter.Cert, p.Root.Cert, now, Evidence{}, &Fetcher{})
		if r.Status != Good || len(r.Certs) != 0 {
			t.Errorf("status %v, responder certificates %d; problems %q", r.Status, len(r.Certs), r.Problems)
		}
	})
	t.Run("issuer certificate from AIA", func(t *testing.T) {
		c, err := (&Fetcher{}).IssuerCert(ctx, p.Signer.Cert)
		if err != nil || !c.Equal(p.Inter.Cert) {
			t.Fatalf("got %v, %v", c, err)
		}
		if _, err := (&Fetcher{Offline: true}).IssuerCert(ctx, p.Signer.Cert); !errors.Is(err, ErrOffline) {
			t.Errorf("offline: %v", err)
		}
	})
	t.Run("a certificate without addresses", func(t *testing.T) {
		r := Check(ctx, p.Root.Cert, p.Root.Cert, now, Evidence{}, &Fetcher{})
		if r.Status != Unknown || !strings.Contains(strings.Join(r.Problems, " "), "no OCSP responder") {
			t.Errorf("status %v, problems %q", r.Status, r.Problems)
		}
	})
}

// TestFetcherDedupe: twenty signings of one signer in parallel cost one
// OCSP request, and the signers of one CA share one CRL download.
func TestFetcherDedupe(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, nil)
	ctx := context.Background()
	f := &Fetcher{}
	var wg sync.WaitGroup
	results := make([]Result, 20)
	for i := range results {
		wg.Go(func() { results[i] = Check(ctx, p.Signer.Cert, p.Inter.Cert, time.Now(), Evidence{}, f) })
	}
	wg.Wait()
	for i, r := range results {
		if r.Status != Good {
			t.Fatalf("check %d: %v %q", i, r.Status, r.Problems)
		}
	}
	for i := range 20 {
		leaf := []*testpki.Leaf{p.Signer, p.SignerEC, p.Revoked}[i%3]
		wg.Go(func() {
			if _, _, err := f.CRL(ctx, leaf.Cert, p.Inter.Cert); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c := p.Counts(); c.OCSP != 1 || c.CRL != 1 {
		t.Errorf("server saw %d OCSP and %d CRL requests, want 1 and 1", c.OCSP, c.CRL)
	}
}

// TestFetcherCanceledCaller: a caller that gives up does not poison the
// cache for the next one.
func TestFetcherCanceledCaller(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, nil)
	f := &Fetcher{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.OCSP(ctx, p.Signer.Cert, p.Inter.Cert); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	if _, resp, err := f.OCSP(context.Background(), p.Signer.Cert, p.Inter.Cert); err != nil || resp == nil {
		t.Fatalf("next caller: %v", err)
	}
}

// TestOpenSSLResponder judges the client against OpenSSL's responder, an
// independent implementation. `openssl ocsp -port` binds every interface,
// so instead a loopback server runs `openssl ocsp -reqin/-respout` per
// request: the responses are OpenSSL's all the same.
func TestOpenSSLResponder(t *testing.T) {
	testtool.Need(t, "openssl")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := testpki.New(testpki.Options{Dir: dir, BaseURL: "http://" + ln.Addr().String(), ReuseKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	requests := 0
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		requests++
		tmp, err := os.MkdirTemp(dir, "req")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		req, resp := filepath.Join(tmp, "req.der"), filepath.Join(tmp, "resp.der")
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		os.WriteFile(req, body, 0o600)
		cmd := exec.CommandContext(r.Context(), "openssl", "ocsp", "-index", "index.txt", "-CA", "inter.crt",
			"-rsigner", "ocsp.crt", "-rkey", "ocsp.key", "-reqin", req, "-respout", resp)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("openssl ocsp: %v\n%s", err, out)
			http.Error(w, err.Error(), 500)
			return
		}
		der, _ := os.ReadFile(resp)
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	f := &Fetcher{}
	ctx := context.Background()
	tests := []struct {
		name   string
		leaf   *testpki.Leaf
		at     time.Time
		status Status
	}{
		{"good, no nextUpdate", p.Signer, time.Now(), Good},
		{"good EC", p.SignerEC, time.Now(), Good},
		{"revoked", p.Revoked, time.Now(), Revoked},
		{"revoked later than a past signing time", p.Revoked, p.RevokedAt.Add(-time.Hour), Good},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(ctx, tt.leaf.Cert, p.Inter.Cert, tt.at, Evidence{}, f)
			if r.Status != tt.status || r.Source != "online OCSP" {
				t.Fatalf("status %v from %q, want %v; problems %q", r.Status, r.Source, tt.status, r.Problems)
			}
			if len(r.Certs) != 1 || !r.Certs[0].Equal(p.OCSP.Cert) {
				t.Error("the delegated responder is not reported")
			}
			if !r.RevokedAt.IsZero() && !r.RevokedAt.Equal(p.RevokedAt) {
				t.Errorf("revoked at %v, want %v", r.RevokedAt, p.RevokedAt)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 3 { // the fourth check reuses the revoked signer's answer
		t.Errorf("openssl answered %d requests, want 3", requests)
	}
}
