// Package revocation decides whether a certificate was revoked at a given
// time, from OCSP responses and CRLs embedded in a document (DSS, CMS,
// Adobe revocationInfoArchival) or fetched online, and returns the evidence
// that decided, so that signing can embed it (PAdES B-LT).
package revocation

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"golang.org/x/crypto/ocsp"
)

// Status is what the evidence says of a certificate at the time checked.
type Status int

const (
	// Unknown: no evidence decided (none found, none valid, none current).
	Unknown Status = iota
	// Good: not revoked at the time checked.
	Good
	// Revoked: revoked at or before the time checked.
	Revoked
)

func (s Status) String() string {
	switch s {
	case Good:
		return "good"
	case Revoked:
		return "revoked"
	}
	return "unknown"
}

// Evidence is revocation data found with a signature.
type Evidence struct {
	// OCSPs are DER OCSPResponses (bare BasicOCSPResponses are accepted).
	OCSPs [][]byte
	// CRLs are DER CRLs.
	CRLs [][]byte
	// Certs are more certificates (DSS /Certs, the CMS certificates) among
	// which a delegated OCSP responder may be found when a response does
	// not carry it.
	Certs []*x509.Certificate
	// CRLCache, when set, keeps the parsed CRLs for the next checks (one
	// per file in verify).
	CRLCache *CRLCache
	// OCSPCache, when set, keeps the OCSP responses read for the next
	// checks (one per file in verify).
	OCSPCache *OCSPCache
}

// Result is the decision on one certificate.
type Result struct {
	Status Status
	// RevokedAt and Reason (a CRL reason code, see ReasonName) are set when
	// the deciding evidence names a revocation, even one after the time
	// checked (then Status is Good and Problems says so).
	RevokedAt time.Time
	Reason    int
	// Source says what decided: "embedded OCSP", "embedded CRL",
	// "online OCSP" or "online CRL"; "" when Unknown.
	Source string
	// Problems explain an Unknown status, or note a later revocation.
	Problems []string
	// UsedOCSP and UsedCRL hold the raw evidence that decided (a full
	// OCSPResponse, a DER CRL), for a DSS.
	UsedOCSP, UsedCRL [][]byte
	// Certs holds the delegated OCSP responder that signed UsedOCSP, if
	// any: it belongs in the DSS too, and needs its own revocation check
	// unless NoCheck says otherwise.
	Certs []*x509.Certificate
}

// fresh is how long after its thisUpdate an OCSP response or CRL without a
// nextUpdate counts as current: long enough for a response fetched just
// before signing to prove the status at the signing or timestamp time.
const fresh = 15 * time.Minute

// Check decides the status of cert, issued by issuer, at time at. Embedded
// evidence comes first: every item about cert whose signature checks is
// weighed, and a revocation at or before at wins over any good answer. An
// OCSP response or CRL proves "good" at at if it was issued after at (and
// before cert expired, since CAs drop expired certificates) or if at falls
// within its thisUpdate..nextUpdate; an expired nextUpdate does not matter
// for a past at, which is what archived evidence is for. Without a decision,
// Check asks the network (OCSP, then CRL) unless f is nil or f.Offline.
func Check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time, ev Evidence, f *Fetcher) Result {
	return check(ctx, cert, issuer, at, ev, f, "")
}

// CheckEmbedded is Check with the embedded evidence only; when it does not
// decide, why (a rendered message) says why nothing was fetched.
func CheckEmbedded(cert, issuer *x509.Certificate, at time.Time, ev Evidence, why string) Result {
	return check(context.Background(), cert, issuer, at, ev, nil, why)
}

func check(ctx context.Context, cert, issuer *x509.Certificate, at time.Time, ev Evidence, f *Fetcher, why string) Result {
	if cert == nil || issuer == nil {
		return Result{Problems: []string{"no issuer certificate to check revocation against"}}
	}
	var problems []string
	var good *Result
	// weigh returns the decision when fd is one. A good answer is kept in
	// case no revocation turns up, preferring one that tells of a later
	// revocation (a later keyCompromise matters to the caller).
	weigh := func(fd finding, r Result) *Result {
		r.Status, r.RevokedAt, r.Reason = fd.status, fd.revokedAt, fd.reason
		switch fd.status {
		case Revoked:
			return &r
		case Good:
			if fd.note != "" {
				r.Problems = []string{fd.note}
			}
			if good == nil || good.RevokedAt.IsZero() && !r.RevokedAt.IsZero() {
				good = &r
			}
		default:
			problems = append(problems, fd.note)
		}
		return nil
	}

	seen := map[string]bool{}
	for _, raw := range ev.OCSPs {
		resp, full, err := ev.OCSPCache.get(raw).about(cert, issuer, ev.Certs)
		if err != nil {
			// The same problem of many responses is said once.
			if msg := i18n.Sprintf("embedded OCSP: %v", err); !errors.Is(err, errOtherCert) && !seen[msg] {
				seen[msg] = true
				problems = append(problems, msg)
			}
			continue
		}
		if r := weigh(judgeOCSP(resp, cert, at, "embedded OCSP response"), ocspResult("embedded OCSP", full, resp)); r != nil {
			return *r
		}
	}
	var serial []byte
	for _, raw := range ev.CRLs {
		// Another CA's CRL costs a walk to its issuer name, no more.
		if !issuedBy(raw, issuer) {
			continue
		}
		crl, err := ev.CRLCache.get(raw)
		if err == nil {
			err = checkCRL(crl, cert, issuer)
		}
		if err != nil {
			if !errors.Is(err, errOtherCert) {
				problems = append(problems, i18n.Sprintf("embedded CRL: %v", err))
			}
			continue
		}
		if serial == nil {
			serial = serialDER(cert)
		}
		fd, err := judgeCRL(crl, serial, cert, at, "embedded CRL")
		if err != nil {
			problems = append(problems, i18n.Sprintf("embedded CRL: %v", err))
			continue
		}
		if r := weigh(fd, Result{Source: "embedded CRL", UsedCRL: [][]byte{raw}}); r != nil {
			return *r
		}
	}
	if good != nil {
		return *good
	}

	if f == nil || f.Offline {
		if why == "" {
			why = i18n.Sprintf("no embedded revocation data decides, and online checking is off")
		}
		return Result{Problems: append(problems, why)}
	}
	switch raw, resp, err := f.OCSP(ctx, cert, issuer); {
	case err != nil:
		problems = append(problems, i18n.Sprintf("online OCSP: %v", err))
	default:
		if r := weigh(judgeOCSP(resp, cert, at, "online OCSP response"), ocspResult("online OCSP", raw, resp)); r != nil {
			return *r
		}
		if good != nil {
			return *good
		}
	}
	switch raw, crl, err := f.CRL(ctx, cert, issuer); {
	case err != nil:
		problems = append(problems, i18n.Sprintf("online CRL: %v", err))
	default:
		fd, err := judgeCRL(crl, serialDER(cert), cert, at, "online CRL")
		if err != nil {
			problems = append(problems, i18n.Sprintf("online CRL: %v", err))
			break
		}
		if r := weigh(fd, Result{Source: "online CRL", UsedCRL: [][]byte{raw}}); r != nil {
			return *r
		}
		if good != nil {
			return *good
		}
	}
	return Result{Problems: problems}
}

func ocspResult(source string, raw []byte, resp *ocsp.Response) Result {
	r := Result{Source: source, UsedOCSP: [][]byte{raw}}
	if resp.Certificate != nil {
		r.Certs = []*x509.Certificate{resp.Certificate}
	}
	return r
}

// finding is what one item of evidence says.
type finding struct {
	status    Status
	revokedAt time.Time
	reason    int
	note      string
}

func judgeOCSP(resp *ocsp.Response, cert *x509.Certificate, at time.Time, what string) finding {
	switch resp.Status {
	case ocsp.Revoked:
		return judge(true, resp.RevokedAt, resp.RevocationReason, resp.ThisUpdate, resp.NextUpdate, cert, at, what)
	case ocsp.Good:
		return judge(false, time.Time{}, 0, resp.ThisUpdate, resp.NextUpdate, cert, at, what)
	}
	return finding{note: i18n.Sprintf("%s: the responder does not know the certificate", what)}
}

func judgeCRL(crl *crlInfo, serial []byte, cert *x509.Certificate, at time.Time, what string) (finding, error) {
	if len(serial) == 0 {
		// A serial that cannot be encoded is found in no CRL: that must
		// be unknown, never good.
		return finding{}, i18n.Errorf("the certificate's serial number cannot be looked up")
	}
	found, revokedAt, reason, err := crl.lookup(serial)
	if err != nil {
		return finding{}, err
	}
	return judge(found, revokedAt, reason, crl.hdr.ThisUpdate, crl.hdr.NextUpdate, cert, at, what), nil
}

func judge(revoked bool, revokedAt time.Time, reason int, thisUpdate, nextUpdate time.Time, cert *x509.Certificate, at time.Time, what string) finding {
	if revoked {
		if !revokedAt.After(at) {
			return finding{status: Revoked, revokedAt: revokedAt, reason: reason}
		}
		// A revocation dated after at says the certificate was fine before.
		return finding{status: Good, revokedAt: revokedAt, reason: reason,
			note: i18n.Sprintf("the certificate was revoked later, on %s (%s), per %s", stamp(revokedAt), ReasonName(reason), what)}
	}
	if thisUpdate.After(cert.NotAfter) {
		return finding{note: i18n.Sprintf("%s of %s was issued after the certificate expired and proves nothing", what, stamp(thisUpdate))}
	}
	if !thisUpdate.Before(at.Add(-fresh)) || !nextUpdate.IsZero() && !at.After(nextUpdate) {
		return finding{status: Good}
	}
	return finding{note: i18n.Sprintf("%s of %s is too old to prove the status on %s", what, stamp(thisUpdate), stamp(at))}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ReasonName names a CRL reason code (RFC 5280 §5.3.1).
func ReasonName(code int) string {
	names := [...]string{"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
		"cessationOfOperation", "certificateHold", "", "removeFromCRL", "privilegeWithdrawn", "aACompromise"}
	if code >= 0 && code < len(names) && names[code] != "" {
		return names[code]
	}
	return fmt.Sprintf("reason %d", code)
}

// NoCheck reports whether cert carries id-pkix-ocsp-nocheck: an OCSP
// responder certificate whose own revocation need not be checked.
func NoCheck(cert *x509.Certificate) bool {
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidOCSPNoCheck) {
			return true
		}
	}
	return false
}
