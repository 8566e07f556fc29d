package testpki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Counts says how many requests of each kind a Handler has answered.
type Counts struct{ OCSP, CRL, Cert, TSA int64 }

// Counts returns the requests answered so far by this PKI's Handler.
func (p *PKI) Counts() Counts {
	return Counts{OCSP: p.counts.ocsp.Load(), CRL: p.counts.crl.Load(), Cert: p.counts.cert.Load(), TSA: p.counts.tsa.Load()}
}

// Handler serves the PKI: OCSP (POST / and /ocsp) for Inter's certificates,
// signed by the delegated OCSP leaf, and for Inter itself, signed by Root;
// GET /inter.crl, /root.crl (DER) and /inter.crt, /root.crt (DER); and tsa,
// when not nil, at /tsa.
func (p *PKI) Handler(tsa http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", p.serveOCSP)
	mux.HandleFunc("POST /{$}", p.serveOCSP)
	static := func(counter func(), ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			counter()
			w.Header().Set("Content-Type", ctype)
			w.Write(body)
		}
	}
	crl := func() { p.counts.crl.Add(1) }
	crt := func() { p.counts.cert.Add(1) }
	mux.HandleFunc("GET /inter.crl", static(crl, "application/pkix-crl", p.InterCRL))
	mux.HandleFunc("GET /root.crl", static(crl, "application/pkix-crl", p.RootCRL))
	mux.HandleFunc("GET /inter.crt", static(crt, "application/pkix-cert", p.Inter.Cert.Raw))
	mux.HandleFunc("GET /root.crt", static(crt, "application/pkix-cert", p.Root.Cert.Raw))
	if tsa != nil {
		mux.Handle("/tsa", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.counts.tsa.Add(1)
			tsa.ServeHTTP(w, r)
		}))
	}
	return mux
}

func (p *PKI) serveOCSP(w http.ResponseWriter, r *http.Request) {
	p.counts.ocsp.Add(1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, "cannot read request", http.StatusBadRequest)
		return
	}
	resp, err := p.answerOCSP(body)
	if err != nil {
		resp = ocsp.MalformedRequestErrorResponse
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	w.Write(resp)
}

// answerOCSP answers one OCSP request the way a CA's responder would.
func (p *PKI) answerOCSP(der []byte) ([]byte, error) {
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		return nil, err
	}
	now := p.clock().UTC().Truncate(time.Second)
	tmpl := ocsp.Response{
		SerialNumber: req.SerialNumber, IssuerHash: req.HashAlgorithm,
		ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour), Status: ocsp.Unknown,
	}
	switch {
	case issuedBy(req, p.Inter.Cert):
		for _, l := range p.interLeaves() {
			if l.Cert.SerialNumber.Cmp(req.SerialNumber) == 0 {
				tmpl.Status = ocsp.Good
			}
		}
		if p.Revoked.Cert.SerialNumber.Cmp(req.SerialNumber) == 0 {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, p.RevokedAt, ocsp.KeyCompromise
		}
		tmpl.Certificate = p.OCSP.Cert
		return ocsp.CreateResponse(p.Inter.Cert, p.OCSP.Cert, tmpl, p.OCSP.Key)
	case issuedBy(req, p.Root.Cert):
		if p.Inter.Cert.SerialNumber.Cmp(req.SerialNumber) == 0 {
			tmpl.Status = ocsp.Good
		}
		return ocsp.CreateResponse(p.Root.Cert, p.Root.Cert, tmpl, p.Root.Key)
	}
	return ocsp.UnauthorizedErrorResponse, nil
}

// issuedBy reports whether the request's CertID names ca as the issuer.
func issuedBy(req *ocsp.Request, ca *x509.Certificate) bool {
	if req.HashAlgorithm == 0 || !req.HashAlgorithm.Available() {
		return false
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}
	sum := func(h crypto.Hash, b []byte) []byte { d := h.New(); d.Write(b); return d.Sum(nil) }
	return bytes.Equal(req.IssuerNameHash, sum(req.HashAlgorithm, ca.RawSubject)) &&
		bytes.Equal(req.IssuerKeyHash, sum(req.HashAlgorithm, spki.Key.RightAlign()))
}

// Start reserves a listener on 127.0.0.1, builds a PKI whose certificates
// point at it (o.BaseURL is replaced), and serves the PKI's Handler there,
// with tsa(pki) at /tsa when tsa is not nil. stop closes the server; it is
// safe to call more than once.
func Start(o Options, tsa func(*PKI) http.Handler) (*PKI, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	o.BaseURL = "http://" + ln.Addr().String()
	p, err := New(o)
	if err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	var extra http.Handler
	if tsa != nil {
		extra = tsa(p)
	}
	srv := &http.Server{Handler: p.Handler(extra), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) // returns ErrServerClosed once stopped
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			<-done
		})
	}
	return p, o.BaseURL, stop, nil
}

// TB is the part of testing.TB the test helpers use (so that this package,
// which `kyso demo` links, does not import testing).
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

var shared struct {
	once sync.Once
	pki  *PKI
	err  error
}

// Shared returns one PKI per test binary, without files and without
// network addresses in its certificates: for tests that need certificates
// and keys but no responder.
func Shared(t TB) *PKI {
	t.Helper()
	shared.once.Do(func() { shared.pki, shared.err = New(Options{ReuseKeys: true}) })
	if shared.err != nil {
		t.Fatalf("testpki: %v", shared.err)
	}
	return shared.pki
}

// Serve starts a PKI of its own for the test t (keys reused, see
// Options.ReuseKeys) with its responder on 127.0.0.1, stopped when t ends.
func Serve(t TB, o Options, tsa func(*PKI) http.Handler) *PKI {
	t.Helper()
	o.ReuseKeys = true
	p, _, stop, err := Start(o, tsa)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	t.Cleanup(stop)
	return p
}
