package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

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

// Fetcher gets OCSP responses, CRLs and issuer certificates over HTTP. It
// makes at most one request per item per run: the first caller fetches,
// concurrent callers for the same item wait for that answer, later ones
// reuse it (failures included, so a dead responder costs one timeout, not
// one per file). The zero value is ready to use; a Fetcher must not be
// copied after first use.
type Fetcher struct {
	// HTTP defaults to a client using the environment's proxy settings.
	HTTP *http.Client
	// Offline forbids every network access.
	Offline bool
	// Timeout bounds each request; default 15s.
	Timeout time.Duration

	mu    sync.Mutex
	ocsps map[string]*flight[ocspAnswer]
	crls  map[string]*flight[crlAnswer]
	certs map[string]*flight[[]*x509.Certificate]
	kept  crlKept // the downloaded CRLs' bytes, bounded (crlscan.go)
}

type ocspAnswer struct {
	raw  []byte
	resp *ocsp.Response
}

type crlAnswer struct {
	raw []byte
	crl *crlInfo
}

// OCSP asks cert's OCSP responders (AIA, in order) about cert and returns
// the first answer that is about cert and signed by issuer or a responder
// it delegated to, as a full DER OCSPResponse and parsed. Freshness is the
// caller's to judge (see Check).
func (f *Fetcher) OCSP(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, *ocsp.Response, error) {
	if f.Offline {
		return nil, nil, ErrOffline
	}
	urls := httpURLs(cert.OCSPServer)
	if len(urls) == 0 {
		return nil, nil, i18n.Errorf("the certificate names no OCSP responder")
	}
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
	return a.raw, a.resp, err
}

// CRL downloads the CRLs of cert's distribution points (http and https
// only, in order) and returns the first that issuer signed and whose scope
// covers cert. Each URL is downloaded once per run whatever the
// certificate, so the signers of one CA share one download.
func (f *Fetcher) CRL(ctx context.Context, cert, issuer *x509.Certificate) ([]byte, *crlInfo, error) {
	if f.Offline {
		return nil, nil, ErrOffline
	}
	urls := httpURLs(cert.CRLDistributionPoints)
	if len(urls) == 0 {
		return nil, nil, i18n.Errorf("the certificate names no http CRL distribution point")
	}
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
	}
	return nil, nil, errors.Join(errs...)
}

// IssuerCert downloads the certificate that issued cert from its AIA
// caIssuers addresses (DER, PEM or PKCS#7 certs-only), for completing a
// chain. The answer must name cert's issuer and verify its signature.
func (f *Fetcher) IssuerCert(ctx context.Context, cert *x509.Certificate) (*x509.Certificate, error) {
	if f.Offline {
		return nil, ErrOffline
	}
	urls := httpURLs(cert.IssuingCertificateURL)
	if len(urls) == 0 {
		return nil, i18n.Errorf("the certificate names no issuer certificate address")
	}
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
			continue
		}
		for _, c := range certs {
			if bytes.Equal(c.RawSubject, cert.RawIssuer) && keycheck.CanIssue(c, cert) == nil {
				return c, nil
			}
		}
		errs = append(errs, i18n.Errorf("%s: no certificate there issued %q", u, cert.Subject.CommonName))
	}
	return nil, errors.Join(errs...)
}

func (f *Fetcher) fetch(ctx context.Context, method, url, ctype string, body []byte, limit int64) ([]byte, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	client := f.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, i18n.Errorf("%s: %s", url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, i18n.Errorf("%s: %v", url, err)
	}
	if int64(len(data)) > limit {
		return nil, i18n.Errorf("%s: answer larger than %d bytes", url, limit)
	}
	return data, nil
}

func httpURLs(urls []string) []string {
	var out []string
	for _, u := range urls {
		if l := strings.ToLower(u); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			out = append(out, u)
		}
	}
	return out
}

// flight is one fetch, shared by everyone who asks for the same item.
type flight[T any] struct {
	done     chan struct{}
	val      T
	err      error
	canceled bool // the fetching caller gave up: others must try again
}

// do runs fn once per key for the Fetcher's lifetime; concurrent callers
// wait for the running call. A call abandoned because its caller's context
// ended is not kept, so the next caller fetches afresh.
func do[T any](ctx context.Context, f *Fetcher, m *map[string]*flight[T], key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		f.mu.Lock()
		if *m == nil {
			*m = map[string]*flight[T]{}
		}
		fl, ok := (*m)[key]
		if !ok {
			fl = &flight[T]{done: make(chan struct{})}
			(*m)[key] = fl
			f.mu.Unlock()
			fl.val, fl.err = fn(ctx)
			if fl.err != nil && ctx.Err() != nil {
				fl.canceled = true
				f.mu.Lock()
				delete(*m, key)
				f.mu.Unlock()
			}
			close(fl.done)
			return fl.val, fl.err
		}
		f.mu.Unlock()
		select {
		case <-fl.done:
			if fl.canceled && ctx.Err() == nil {
				continue
			}
			return fl.val, fl.err
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}
