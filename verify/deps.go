package verify

import (
	"crypto/x509"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
)

var (
	systemOnce  sync.Once
	systemStore *trust.Store
	systemErr   error
)

// store is the trust store of the run: the caller's, else the system roots.
func (v *verifier) store() (*trust.Store, error) {
	if v.o.Trust != nil {
		return v.o.Trust, nil
	}
	systemOnce.Do(func() { systemStore, systemErr = trust.Load(nil) })
	return systemStore, systemErr
}

// session is the file's chain-building session (see trust.Session): over
// the run's trust store, or over none when it could not be loaded.
func (v *verifier) session() *trust.Session {
	if v.chains == nil {
		st, err := v.store()
		if err != nil || st == nil {
			st = &trust.Store{}
		}
		v.chains = st.NewSession()
	}
	return v.chains
}

type chainVerdict struct {
	status string
	certs  []*x509.Certificate
	pool   []*x509.Certificate
}

// judgeChain builds cert's chain at time at and records it on s: anything
// short of a trusted chain makes the verdict indeterminate.
func (v *verifier) judgeChain(s *sigState, cert *x509.Certificate, pool []*x509.Certificate, at time.Time, tsa bool) chainVerdict {
	cv := chainVerdict{status: "incomplete", pool: pool}
	_, err := v.store()
	if err != nil {
		s.indeterminatef("no trust anchors: %v", err)
		s.out.Chain = cv.status
		return cv
	}
	res, err := v.session().Chain(cert, pool, at)
	if err != nil {
		s.indeterminatef("building the chain: %v", err)
		s.out.Chain = cv.status
		return cv
	}
	// A missing issuer may be fetched from the AIA address of the last
	// certificate reached, when the network may be used.
	for tries := 0; res.Status == trust.Incomplete && len(res.Certs) > 0 && tries < 3; tries++ {
		f := v.o.Fetcher
		if f == nil || f.Offline {
			break
		}
		issuer, err := f.IssuerCert(v.ctx, res.Certs[len(res.Certs)-1])
		if err != nil || issuer == nil {
			break
		}
		pool = append(pool, issuer)
		cv.pool = pool
		if res, err = v.chains.Chain(cert, pool, at); err != nil {
			s.indeterminatef("building the chain: %v", err)
			s.out.Chain = cv.status
			return cv
		}
	}
	cv.certs = res.Certs
	who := "the signer's certificate"
	if tsa {
		who = "the TSA certificate"
	}
	problems := res.Problems
	first := func() string {
		if len(problems) == 0 {
			return ""
		}
		p := problems[0]
		problems = problems[1:]
		return i18n.Sprintf(": %s", p)
	}
	switch res.Status {
	case trust.Trusted:
		cv.status = "trusted"
	case trust.Untrusted:
		cv.status = "untrusted"
		s.indeterminatef("%s does not chain to a trusted root%s", who, first())
	default:
		cv.status = "incomplete"
		s.indeterminatef("%s chain is incomplete%s", who, first())
	}
	for _, p := range problems {
		s.indeterminatef("%s chain: %s", who, p)
	}
	s.out.Chain = cv.status
	s.out.ChainSubjects = s.out.ChainSubjects[:0]
	for _, c := range res.Certs {
		s.out.ChainSubjects = append(s.out.ChainSubjects, formatDN(c.Subject))
	}
	return cv
}

type revVerdict struct {
	status  string
	fromDSS int
}

// judgeRevocation establishes cert's revocation status at time at from the
// embedded evidence, then online unless the run is offline. soft makes an
// unknown status a warning (the TSA case, or --revocation soft).
func (v *verifier) judgeRevocation(s *sigState, cert *x509.Certificate, chain chainVerdict, at time.Time, ev evidenceSet, soft bool) revVerdict {
	rv := revVerdict{status: "unknown", fromDSS: -1}
	defer func() { s.out.Revocation = rv.status }()
	who := "the signer's certificate"
	if soft {
		who = "the TSA certificate"
	}
	var issuer *x509.Certificate
	if len(chain.certs) > 1 {
		issuer = chain.certs[1]
	} else {
		var err error
		issuer, err = v.session().IssuerOf(cert, chain.pool)
		if issuer == nil && err == nil && v.o.Trust != nil {
			issuer, err = v.session().IssuerOf(cert, append(append([]*x509.Certificate{}, v.o.Trust.Roots...), v.o.Trust.Extra...))
		}
		if err != nil {
			v.unknownRevocation(s, soft, i18n.Sprintf("the revocation status of %s is unknown: %s", who, err))
			return rv
		}
	}
	if issuer == nil {
		v.unknownRevocation(s, soft, i18n.Sprintf("the revocation status of %s is unknown: its issuer is not known", who))
		return rv
	}
	evidence := revocation.Evidence{OCSPs: ev.ocsps, CRLs: ev.crls, Certs: chain.pool, CRLCache: v.crls, OCSPCache: v.ocsps}
	var res revocation.Result
	if f := v.o.Fetcher; chain.status != "trusted" && f != nil && !f.Offline {
		// The verdict is indeterminate whatever the status, and the
		// addresses are the unvouched certificate's: asking them would be
		// a request to wherever the file's author chose.
		res = revocation.CheckEmbedded(cert, issuer, at, evidence,
			i18n.Sprintf("no embedded revocation data decides; nothing is fetched for a certificate that does not chain to a trust anchor"))
	} else {
		res = revocation.Check(v.ctx, cert, issuer, at, evidence, v.o.Fetcher)
	}
	switch res.Status {
	case revocation.Good:
		rv.status = "good"
		if !res.RevokedAt.IsZero() {
			s.warnf("%s was revoked on %s (%s), after %s", who, res.RevokedAt.UTC().Format(time.RFC3339),
				revocation.ReasonName(res.Reason), at.UTC().Format(time.RFC3339))
		}
	case revocation.Revoked:
		rv.status = "revoked"
		s.invalidf("%s was revoked on %s (%s), before %s", who, res.RevokedAt.UTC().Format(time.RFC3339),
			revocation.ReasonName(res.Reason), at.UTC().Format(time.RFC3339))
	default:
		msg := i18n.Sprintf("the revocation status of %s is unknown", who)
		if len(res.Problems) > 0 {
			msg = i18n.Sprintf("the revocation status of %s is unknown: %s", who, joinMessages(res.Problems))
		}
		v.unknownRevocation(s, soft, msg)
		return rv
	}
	for _, der := range append(append([][]byte{}, res.UsedOCSP...), res.UsedCRL...) {
		if i := v.dss.revisionOf(der); i >= 0 && (rv.fromDSS < 0 || i > rv.fromDSS) {
			rv.fromDSS = i
		}
	}
	return rv
}

func (v *verifier) unknownRevocation(s *sigState, soft bool, msg string) {
	if soft || v.o.RevocationSoft {
		s.warnf("%s", msg)
	} else {
		s.indeterminatef("%s", msg)
	}
}
