// Package httpx holds the redirect policy of kyso's HTTP clients (the
// revocation fetcher and the TSA client): a few redirects, to http or
// https only, and an error that names both addresses when one is refused.
package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/kyso-project/kyso/internal/i18n"
)

// MaxRedirects is how many redirects one request may follow.
const MaxRedirects = 3

// RedirectError is a redirect that was not followed. It is permanent:
// asking again gets the same redirect.
type RedirectError struct {
	From, To string // redacted addresses
	why      int
}

const (
	whyScheme = iota
	whyLoop
	whyMany
)

func (e *RedirectError) msg() error {
	switch e.why {
	case whyScheme:
		return i18n.Errorf("redirect from %s to %s not followed: only http and https addresses are", e.From, e.To)
	case whyLoop:
		return i18n.Errorf("redirect from %s to %s not followed: a redirect loop", e.From, e.To)
	}
	return i18n.Errorf("redirect from %s to %s not followed: more than %d redirects", e.From, e.To, MaxRedirects)
}

func (e *RedirectError) Error() string { return e.msg().Error() }

// Localize says the error in p's language.
func (e *RedirectError) Localize(p *i18n.Printer) string { return p.Err(e.msg()) }

// CheckRedirect is an http.Client CheckRedirect: at most MaxRedirects
// redirects, only to http and https, never back to an address already
// asked.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	from := via[len(via)-1].URL
	e := &RedirectError{From: Redact(from), To: Redact(req.URL)}
	switch {
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		e.why = whyScheme
		return e
	case len(via) > MaxRedirects:
		e.why = whyMany
		return e
	}
	for _, r := range via {
		if r.URL.String() == req.URL.String() {
			e.why = whyLoop
			return e
		}
	}
	return nil
}

// Client returns c (nil: http.DefaultClient) with CheckRedirect set to
// the policy, sharing c's transport.
func Client(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = CheckRedirect
	return &cc
}

// IsHTTP reports whether u is an absolute http or https address.
func IsHTTP(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// Redact returns u with any password hidden.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Redacted()
}

// FinalURL returns the address a request ended at when it differs from
// asked (after redirects), redacted; "" when it is the same or unknown.
// err is what http.Client.Do returned (a *url.Error names the last
// request), resp the response when there was one.
func FinalURL(asked string, resp *http.Response, err error) string {
	var u string
	switch {
	case resp != nil && resp.Request != nil && resp.Request.URL != nil:
		u = resp.Request.URL.String()
	case err != nil:
		var ue *url.Error
		var re *RedirectError
		if errors.As(err, &re) {
			return "" // the error names both addresses
		}
		if errors.As(err, &ue) {
			u = ue.URL
		}
	}
	if u == "" || u == asked {
		return ""
	}
	p, perr := url.Parse(u)
	if perr != nil {
		return ""
	}
	return p.Redacted()
}
