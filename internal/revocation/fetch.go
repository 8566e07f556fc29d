package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strings"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/httpx"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/trust"
	"golang.org/x/crypto/ocsp"
)

// ErrOffline is returned by a Fetcher told not to use the network.
var ErrOffline = errors.New("offline: no network fetch")

// Size limits on what a server may send.
const (
	maxOCSPSize = 1 << 20
	maxCRLSize  = 32 << 20 // national CAs publish CRLs of several MB; see docs/verify.md
	maxCertSize = 1 << 20
)

// Defaults of a Fetcher's limits.
const (
	// DefaultTimeout bounds each request.
	DefaultTimeout = 15 * time.Second
	// DefaultBudget is the wall time all the fetches made for one file
	// (see PerFile) may take together.
	DefaultBudget = 30 * time.Second
	// DefaultMaxAddresses is how many addresses of one certificate are
	// tried for each kind of item (OCSP responders, CRL distribution
	// points, issuer certificates).
	DefaultMaxAddresses = 2
)

// Fetcher gets OCSP responses, CRLs and issuer certificates over HTTP. It
// makes at most one request per item per run: the first caller fetches,
// concurrent callers for the same item wait for that answer, later ones
// reuse it (failures included, so a dead responder costs one timeout, not
// one per file). An address that did not answer at all (no connection, a
// timeout, a refused redirect) is not asked again in the run, whatever the
// certificate. The zero value is ready to use; a Fetcher must not be
// copied after first use.
type Fetcher struct {
	// HTTP defaults to a client using the environment's proxy settings.
	// Its CheckRedirect is replaced by kyso's policy: at most
	// httpx.MaxRedirects redirects, to http or https only.
	HTTP *http.Client
	// Offline forbids every network access.
	Offline bool
	// Timeout bounds each request; default DefaultTimeout.
	Timeout time.Duration
	// Budget bounds the fetches made under one PerFile context, together;
	// default DefaultBudget.
	Budget time.Duration
	// MaxAddresses is how many http or https addresses of a certificate
	// are tried per kind, after removing duplicates; default
	// DefaultMaxAddresses.
	MaxAddresses int

	mu     sync.Mutex
	ocsps  map[string]*flight[ocspAnswer]
	crls   map[string]*flight[crlAnswer]
	certs  map[string]*flight[[]*x509.Certificate]
	kept   crlKept // the downloaded CRLs' bytes, bounded (crlscan.go)
	dead   map[string]error
	client *http.Client
}

type ocspAnswer struct {
	raw  []byte
	resp *ocsp.Response
}

type crlAnswer struct {
	raw []byte
	crl *crlInfo
}

// BudgetError says a file's network budget is spent.
type BudgetError struct{ Budget time.Duration }

func (e *BudgetError) msg() error {
	return i18n.Errorf("the network time allowed for one file (%s) is spent", e.Budget.String())
}

func (e *BudgetError) Error() string { return e.msg().Error() }

// Localize says the error in p's language.
func (e *BudgetError) Localize(p *i18n.Printer) string { return p.Err(e.msg()) }

type budgetKey struct{}

type fileBudget struct {
	mu    sync.Mutex
	start time.Time
}

// PerFile returns ctx carrying a fresh network budget: every fetch made
// under it shares one Fetcher.Budget of wall time, counted from the first
// fetch. Verifying or extending one file should run under one.
func PerFile(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &fileBudget{})
}

// limit bounds ctx by the file's budget, if it carries one.
func (f *Fetcher) limit(ctx context.Context) (context.Context, context.CancelFunc, error) {
	b, _ := ctx.Value(budgetKey{}).(*fileBudget)
	if b == nil {
		return ctx, func() {}, nil
	}
	d := f.Budget
	if d <= 0 {
		d = DefaultBudget
	}
	b.mu.Lock()
	if b.start.IsZero() {
		b.start = time.Now()
	}
	deadline := b.start.Add(d)
	b.mu.Unlock()
	cause := &BudgetError{Budget: d}
	if !time.Now().Before(deadline) {
		return nil, nil, cause
	}
	ctx, cancel := context.WithDeadlineCause(ctx, deadline, cause)
	return ctx, cancel, nil
}

// addresses picks the addresses to try among a certificate's: http and
// https only, duplicates removed, at most MaxAddresses. note says what
// was left out ("" when nothing was).
func (f *Fetcher) addresses(urls []string) (use []string, note string) {
	max := f.MaxAddresses
	if max <= 0 {
		max = DefaultMaxAddresses
	}
	seen := map[string]bool{}
	var other []string
	more := 0
	for _, u := range urls {
		u = strings.TrimSpace(u)
		if seen[u] {
			continue
		}
		seen[u] = true
		switch {
		case !httpx.IsHTTP(u):
			other = append(other, u)
		case len(use) >= max:
			more++
		default:
			use = append(use, u)
		}
	}
	var notes []string
	if len(other) > 0 {
		notes = append(notes, i18n.Sprintf("skipped addresses that are not http or https: %s", strings.Join(other, ", ")))
	}
	if more > 0 {
		if more == 1 {
			notes = append(notes, i18n.Sprintf("1 more address not tried (at most %d per certificate)", max))
		} else {
			notes = append(notes, i18n.Sprintf("%d more addresses not tried (at most %d per certificate)", more, max))
		}
	}
	return use, strings.Join(notes, "; ")
}

// withNote adds the addresses left out to err.
func withNote(err error, note string) error {
	if err == nil || note == "" {
		return err
	}
	return i18n.Errorf("%v (%s)", err, note)
}

// OCSP asks cert's OCSP responders (AIA, in order) about cert and returns
// the first answer that is about cert and signed by issuer or a responder
// it delegated to, as a full DER OCSPResponse and parsed. Freshness is the
// caller's to judge (see Check).
func (f *Fetcher) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, *ocsp.Response, error) {
	if f.Offline {
		return nil, nil, ErrOffline
	}
	urls, note := f.addresses(cert.OCSPServer)
	if len(urls) == 0 {
		return nil, nil, withNote(i18n.Errorf("the certificate names no OCSP responder"), note)
	}
	ctx, cancel, err := f.limit(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	key := string(digest(crypto.SHA256, issuer.RawSubject)) + string(digest(crypto.SHA256, issuer.RawSubjectPublicKeyInfo)) + cert.SerialNumber.String()
	a, err := do(ctx, f, &f.ocsps, key, func(ctx context.Context) (ocspAnswer, error) {
		req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
		if err != nil {
			return ocspAnswer{}, err
		}
		var errs []error
		for _, u := range urls {
			body, err := f.fetch(ctx, http.MethodPost, u, "application/ocsp-request", req, maxOCSPSize)
			if err == nil {
				var resp *ocsp.Response
				if resp, body, err = parseOCSP(body, cert, issuer, nil); err == nil {
					return ocspAnswer{body, resp}, nil
				}
				err = i18n.Errorf("%s: %v", u, err)
			}
			errs = append(errs, err)
		}
		return ocspAnswer{}, errors.Join(errs...)
	})
	return a.raw, a.resp, withNote(err, note)
}

// CRL downloads the CRLs of cert's distribution points (http and https
// only, in order) and returns the first that issuer signed and whose scope
// covers cert. Each URL is downloaded once per run whatever the
// certificate, so the signers of one CA share one download.
func (f *Fetcher) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, *crlInfo, error) {
	if f.Offline {
		return nil, nil, ErrOffline
	}
	urls, note := f.addresses(cert.CRLDistributionPoints)
	if len(urls) == 0 {
		return nil, nil, withNote(i18n.Errorf("the certificate names no http CRL distribution point"), note)
	}
	ctx, cancel, err := f.limit(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	var errs []error
	for _, u := range urls {
		a, err := do(ctx, f, &f.crls, u, func(ctx context.Context) (crlAnswer, error) {
			raw, err := f.fetch(ctx, http.MethodGet, u, "", nil, maxCRLSize)
			if err != nil {
				return crlAnswer{}, err
			}
			crl, err := parseCRL(raw)
			if err != nil {
				return crlAnswer{}, i18n.Errorf("%s: malformed CRL: %v", u, err)
			}
			f.keepCRL(u, len(raw))
			return crlAnswer{raw, crl}, nil
		})
		if err == nil {
			if err = checkCRL(a.crl, cert, issuer); err == nil {
				return a.raw, a.crl, nil
			}
			if errors.Is(err, errOtherCert) {
				err = i18n.Errorf("the CRL is another CA's or does not cover the certificate")
			}
			err = i18n.Errorf("%s: %v", u, err)
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, nil, withNote(errors.Join(errs...), note)
}

// IssuerCert downloads the certificate that issued cert from its AIA
// caIssuers addresses (DER, PEM or PKCS#7 certs-only), for completing a
// chain. The answer must name cert's issuer and verify its signature.
func (f *Fetcher) IssuerCert(ctx context.Context, cert *x509.Certificate) (*x509.Certificate, error) {
	if f.Offline {
		return nil, ErrOffline
	}
	urls, note := f.addresses(cert.IssuingCertificateURL)
	if len(urls) == 0 {
		return nil, withNote(i18n.Errorf("the certificate names no issuer certificate address"), note)
	}
	ctx, cancel, err := f.limit(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var errs []error
	for _, u := range urls {
		certs, err := do(ctx, f, &f.certs, u, func(ctx context.Context) ([]*x509.Certificate, error) {
			raw, err := f.fetch(ctx, http.MethodGet, u, "", nil, maxCertSize)
			if err != nil {
				return nil, err
			}
			certs, err := trust.ParseCertificates(raw)
			if err != nil {
				return nil, i18n.Errorf("%s: %v", u, err)
			}
			return certs, nil
		})
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		for _, c := range certs {
			if bytes.Equal(c.RawSubject, cert.RawIssuer) && keycheck.CanIssue(c, cert) == nil {
				return c, nil
			}
		}
		errs = append(errs, i18n.Errorf("%s: no certificate there issued %q", u, cert.Subject.CommonName))
	}
	return nil, withNote(errors.Join(errs...), note)
}

func (f *Fetcher) httpClient() *http.Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client == nil {
		f.client = httpx.Client(f.HTTP)
	}
	return f.client
}

// deadErr returns the failure remembered for url, if any.
func (f *Fetcher) deadErr(url string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dead[url]
}

func (f *Fetcher) markDead(url string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead == nil || len(f.dead) >= 4096 {
		f.dead = map[string]error{} // bounded: the oldest are asked again
	}
	f.dead[url] = i18n.Errorf("%v (not asked again in this run)", err)
}

// fetch makes one request. ctx is the caller's (budget included); each
// request has its own timeout besides.
func (f *Fetcher) fetch(ctx context.Context, method, url, ctype string, body []byte, limit int64) ([]byte, error) {
	if err := f.deadErr(url); err != nil {
		return nil, err
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, i18n.Errorf("%s: not a usable address", url)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	// failed words a failure of the exchange with the server (not of its
	// answer) and remembers the address as dead for the run, unless the
	// caller gave up or the file's budget ran out.
	failed := func(resp *http.Response, err error) error {
		if ctx.Err() != nil {
			return i18n.Errorf("%s: %v", url, context.Cause(ctx))
		}
		where := url
		if to := httpx.FinalURL(url, resp, err); to != "" {
			where = i18n.Sprintf("%s (redirected to %s)", url, to)
		}
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if re, ok := err.(*httpx.RedirectError); ok { // it names both addresses
			f.markDead(url, re)
			return re
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			err = i18n.Errorf("no answer within %s", timeout)
		}
		err = i18n.Errorf("%s: %v", where, err)
		f.markDead(url, err)
		return err
	}
	resp, err := f.httpClient().Do(req)
	if err != nil {
		return nil, failed(nil, err)
	}
	defer resp.Body.Close()
	where := url
	if to := httpx.FinalURL(url, resp, nil); to != "" {
		where = i18n.Sprintf("%s (redirected to %s)", url, to)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, i18n.Errorf("%s: %s", where, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, failed(resp, err)
	}
	if int64(len(data)) > limit {
		return nil, i18n.Errorf("%s: answer larger than %d bytes", where, limit)
	}
	return data, nil
}

// flight is one fetch, shared by everyone who asks for the same item.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do runs fn once per key for the Fetcher's lifetime; callers wait for
// the running call, each until its own context ends (a cancellation or
// its file's budget). The call itself is not bound to any caller's
// context, only to the per-request timeouts, so that its answer — or the
// address found dead — serves the next file instead of being asked again
// and cut short again.
// maxFlights is how many addresses' answers of one kind (OCSP, CRL,
// issuer certificates) a Fetcher keeps for the run.
const maxFlights = 64

func do[T any](ctx context.Context, f *Fetcher, m *map[string]*flight[T], key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	if ctx.Err() != nil {
		return zero, context.Cause(ctx)
	}
	f.mu.Lock()
	if *m == nil {
		*m = map[string]*flight[T]{}
	}
	fl, ok := (*m)[key]
	if !ok {
		if len(*m) >= maxFlights {
			// Answers kept for the run are bounded: past maxFlights
			// addresses, the finished ones are forgotten (asked again
			// if needed), so a batch whose files name ever new
			// addresses does not grow without end.
			for k, old := range *m {
				select {
				case <-old.done:
					delete(*m, k)
				default:
				}
			}
		}
		fl = &flight[T]{done: make(chan struct{})}
		(*m)[key] = fl
		go func() {
			defer func() {
				if r := recover(); r != nil { // no caller's recover reaches this goroutine
					fl.err = i18n.Errorf("internal error (a kyso bug that this file triggers; please report it): %v", r)
				}
				close(fl.done)
			}()
			fl.val, fl.err = fn(context.WithoutCancel(ctx))
		}()
	}
	f.mu.Unlock()
	select {
	case <-fl.done:
		return fl.val, fl.err
	case <-ctx.Done():
		return zero, context.Cause(ctx)
	}
}
