package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"encoding/asn1"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/httpx"
)

// Client asks timestamp authorities for tokens. It is safe for concurrent
// use and must not be copied after first use.
type Client struct {
	// URLs are tried in order until one gives a good token. One that failed
	// recently is tried after the others, so a batch does not wait on a
	// dead TSA for every file.
	URLs []string
	HTTP *http.Client // nil: a shared client with connection reuse
	// Timeout bounds each attempt (default 15s).
	Timeout time.Duration
	// Retries is how often a transient failure (timeout, 5xx, 429, a reset
	// connection) is retried per URL: 0 means 2, negative means none. A
	// refused connection or an unknown host moves on at once.
	Retries int
	// Backoff is the first wait before a retry, doubled each time
	// (default 500ms).
	Backoff time.Duration
	// Policy, if set, is asked for and must be the token's policy.
	Policy asn1.ObjectIdentifier

	mu   sync.Mutex
	down map[string]time.Time
}

const (
	maxReplySize = 1 << 20
	downFor      = 5 * time.Minute
)

var defaultHTTP = &http.Client{Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 32 // a batch signs on every core against one TSA
	return t
}()}

// transientError is a failure worth retrying on the same URL.
type transientError struct {
	err        error
	retryAfter time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// Timestamp gets a token over digest (made with h: SHA-256, -384 or -512)
// and checks it: status granted, imprint, nonce, policy, the CMS signature
// and the TSA certificate (see Token.Verify). When every URL fails, the
// fail.Run error lists what went wrong with each.
func (c *Client) Timestamp(ctx context.Context, h crypto.Hash, digest []byte) (*Token, error) {
	if len(c.URLs) == 0 {
		return nil, fail.UsageWith(i18n.Errorf("timestamp: no timestamp authority url"), fail.RemedyTSA)
	}
	switch h {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return nil, fail.Usage(i18n.Errorf("timestamp: unsupported imprint hash %v", h), "use sha-256")
	}
	if len(digest) != h.Size() {
		return nil, i18n.Errorf("timestamp: digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	nb := make([]byte, 16)
	if _, err := rand.Read(nb); err != nil {
		return nil, fail.Run(i18n.Errorf("timestamp: nonce: %v", err), "")
	}
	nonce := new(big.Int).SetBytes(nb)
	req, err := marshalRequest(h, digest, c.Policy, nonce)
	if err != nil {
		return nil, err
	}
	var failures []string
	for _, u := range c.order() {
		tok, err := c.try(ctx, u, req)
		if err == nil {
			// Token.Verify bounds the TSA's key before the signature
			// (keycheck): checking costs milliseconds, not minutes.
			if err = ctx.Err(); err == nil {
				err = c.check(tok, h, digest, nonce)
			}
		}
		if err == nil {
			c.mark(u, false)
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, i18n.Errorf("timestamp: %v", ctx.Err())
		}
		c.mark(u, true)
		failures = append(failures, redact(u)+": "+err.Error())
	}
	return nil, fail.RunWith(i18n.Errorf("timestamp: no timestamp authority gave a usable token: %s", strings.Join(failures, "; ")),
		fail.RemedyTSAUnreachable)
}

func (c *Client) check(tok *Token, h crypto.Hash, digest []byte, nonce *big.Int) error {
	if err := tok.Verify(); err != nil {
		return err
	}
	switch {
	case tok.Info.HashAlg != h || !tok.MatchesImprint(digest):
		return i18n.Errorf("the token's imprint is not the one asked for")
	case tok.Info.Nonce == nil || tok.Info.Nonce.Cmp(nonce) != 0:
		return i18n.Errorf("the token's nonce is not the one sent")
	case c.Policy != nil && !tok.Info.Policy.Equal(c.Policy):
		return i18n.Errorf("the token's policy %s is not %s", tok.Info.Policy, c.Policy)
	}
	return nil
}

// order returns the URLs, those that failed recently last.
func (c *Client) order() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var up, down []string
	for _, u := range c.URLs {
		if t, ok := c.down[u]; ok && time.Since(t) < downFor {
			down = append(down, u)
		} else {
			up = append(up, u)
		}
	}
	return append(up, down...)
}

func (c *Client) mark(u string, failed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !failed {
		delete(c.down, u)
		return
	}
	if c.down == nil {
		c.down = make(map[string]time.Time)
	}
	c.down[u] = time.Now()
}

// try asks one URL, retrying transient failures, and parses the token.
func (c *Client) try(ctx context.Context, u string, req []byte) (*Token, error) {
	retries := c.Retries
	if retries == 0 {
		retries = 2
	}
	wait := c.Backoff
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	for attempt := 0; ; attempt++ {
		body, err := c.post(ctx, u, req)
		if err == nil {
			resp, err := parseResponse(body)
			if err != nil {
				return nil, i18n.Errorf("the reply is not an rfc 3161 timestamp reply")
			}
			if resp.status != statusGranted && resp.status != statusGrantedWithMods {
				return nil, i18n.Errorf("refused: %s", resp.describe())
			}
			if resp.token == nil {
				return nil, i18n.Errorf("granted, but the reply holds no token")
			}
			return ParseToken(resp.token)
		}
		var te *transientError
		if !errors.As(err, &te) || attempt >= retries || ctx.Err() != nil {
			if attempt > 0 {
				err = i18n.Errorf("%v (after %d attempts)", err, attempt+1)
			}
			return nil, err
		}
		d := wait<<min(attempt, 6) + mrand.N(wait) // jitter spreads a batch's retries
		d = min(max(d, te.retryAfter), 30*time.Second)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(d):
		}
	}
}

func (c *Client) post(ctx context.Context, u string, req []byte) ([]byte, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, u, bytes.NewReader(req))
	if err != nil {
		return nil, i18n.Errorf("not a usable url")
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	hreq.Header.Set("Accept", "application/timestamp-reply")
	resp, err := httpx.Client(hc).Do(hreq)
	if err != nil {
		return nil, atFinal(u, httpx.FinalURL(u, nil, err), classify(err, timeout))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		err := atFinal(u, httpx.FinalURL(u, resp, nil), i18n.Errorf("http status %s", resp.Status))
		switch {
		case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
			var after time.Duration
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				after = time.Duration(s) * time.Second
			}
			return nil, &transientError{err: err, retryAfter: after}
		}
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize+1))
	if err != nil {
		return nil, atFinal(u, httpx.FinalURL(u, resp, nil), classify(err, timeout))
	}
	if len(body) > maxReplySize {
		return nil, atFinal(u, httpx.FinalURL(u, resp, nil), i18n.Errorf("the reply is larger than 1 MiB"))
	}
	return body, nil
}

// atFinal names the address that failed, to, when a redirect led away
// from u (the caller names u), keeping err's transient or permanent kind.
func atFinal(u, to string, err error) error {
	if to == "" || to == redact(u) {
		return err
	}
	if te, ok := err.(*transientError); ok {
		return &transientError{err: i18n.Errorf("redirected to %s: %v", to, te.err), retryAfter: te.retryAfter}
	}
	return i18n.Errorf("redirected to %s: %v", to, err)
}

// classify words a transport error and says whether a retry may help: a
// refused connection, an unknown host or a bad TLS certificate will not
// change in a second; a timeout or a reset connection may.
func classify(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the URL is named by the caller, passwords removed
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var redirErr *httpx.RedirectError
	switch {
	case errors.As(err, &redirErr):
		return redirErr // asking again gets the same redirect
	case errors.Is(err, syscall.ECONNREFUSED):
		return i18n.Errorf("connection refused")
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return i18n.Errorf("host unreachable")
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return i18n.Errorf("unknown host %s", dnsErr.Name)
	case errors.As(err, &certErr):
		return i18n.Errorf("tls: %v", certErr)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return &transientError{err: i18n.Errorf("no answer within %s", timeout)}
	case errors.Is(err, context.Canceled):
		return err
	}
	return &transientError{err: err}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redact hides a password in a URL.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return p.Redacted()
}
