package sign

import (
	"context"
	"crypto/x509"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/verify"
)

// SignerPolicy is what the signer and the TSA are judged against before
// and while a batch signs.
type SignerPolicy struct {
	// Trust holds the anchors for the signer's and the TSA's chains: those
	// the unit configured (--trust, config), else the system roots.
	Trust *trust.Store
	// Configured says the anchors were given (not the system roots): a TSA
	// that does not chain to them is then refused at every level.
	Configured bool
	// Fetcher asks OCSP, else the CRL; nil or Offline skips revocation.
	Fetcher *revocation.Fetcher
	// Level is the level the batch signs at: an untrusted signer is a
	// warning at B-B and B-T, an error at B-LT and B-LTA.
	Level Level
	// Skew is how far in the future a timestamp may be (clocks differ);
	// default 2 minutes.
	Skew time.Duration
	// Now is the time (tests); default time.Now.
	Now func() time.Time
	// Warn receives each warning once (the library never prints), with the
	// remedy, if any, that the command line words.
	Warn func(msg string, r fail.Remedy)
	// Policy is the validation policy the signer's certificate must pass
	// (key size, extended key usage); nil is verify's default.
	Policy *verify.Policy

	warned sync.Map
}

func (p *SignerPolicy) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *SignerPolicy) warn(msg string, r fail.Remedy) {
	if _, dup := p.warned.LoadOrStore(msg, true); !dup && p.Warn != nil {
		p.Warn(msg, r)
	}
}

func (p *SignerPolicy) strict() bool { return p.Level == LevelBLT || p.Level == LevelBLTA }

// CheckSignerCert refuses, as a run failure (exit 5), a signer certificate
// that cannot make a signature at now (keys.CheckSigningCert: validity,
// key usage, CA, algorithm) or that the validation policy pol (nil: the
// default) would not accept from a document signer: the reasons are those
// kyso verify would give, so kyso never makes a signature its own verify
// calls indeterminate for the certificate.
func CheckSignerCert(cert *x509.Certificate, now time.Time, pol *verify.Policy) error {
	if err := keys.CheckSigningCert(cert, now); err != nil {
		return err
	}
	if pol == nil {
		pol = verify.DefaultPolicy()
	}
	if f := pol.CheckSignerCert(cert); len(f) > 0 {
		why := make([]string, len(f))
		for i := range f {
			why[i] = f[i].Message
		}
		return fail.Run(i18n.Errorf("certificate %q cannot sign documents: %s", cert.Subject.CommonName, i18n.Join(why)),
			"sign with a document signing certificate (digital signature, at least RSA-2048 or P-256)")
	}
	return nil
}

// CheckSigner judges the signing certificate before the first file: valid
// now, chained to the trust anchors, and not revoked (OCSP, else the CRL,
// when the responders can be reached). A revoked or expired certificate is
// a run failure (exit 5) before anything is written; an untrusted chain
// or an unknown status is a warning at B-B and B-T, and a run failure at
// B-LT and B-LTA, whose validation data need both.
func (p *SignerPolicy) CheckSigner(ctx context.Context, key *keys.Key) error {
	ctx = revocation.PerFile(ctx) // one network budget for the check
	now := p.now()
	if err := CheckSignerCert(key.Cert, now, p.Policy); err != nil {
		return err
	}
	name := key.Cert.Subject.CommonName
	store := p.Trust
	if store == nil {
		store = &trust.Store{}
	}
	var issuer *x509.Certificate
	pool := key.Chain
	if !hasIssuer(key.Cert, pool) && p.Fetcher != nil && !p.Fetcher.Offline {
		// a token often holds the signer's certificate alone: complete the
		// chain from the certificate's AIA, as a verifier would
		if c, err := p.Fetcher.IssuerCert(ctx, key.Cert); err == nil {
			pool = append(append([]*x509.Certificate(nil), pool...), c)
		}
	}
	cr, err := store.Chain(key.Cert, pool, now)
	switch {
	case err != nil:
		return fail.Run(i18n.Errorf("building the signer's chain: %v", err), "")
	case cr.Status == trust.Trusted && len(cr.Certs) >= 2:
		issuer = cr.Certs[1]
	default:
		msg := i18n.Sprintf("the signer certificate %q does not chain to a trusted root (%s)", name, i18n.Join(cr.Problems))
		if len(cr.Problems) == 0 {
			msg = i18n.Sprintf("the signer certificate %q does not chain to a trusted root", name)
		}
		if p.strict() {
			return fail.RunWith(i18n.Errorf("%s", msg), fail.RemedyTrustSigner)
		}
		p.warn(i18n.Sprintf("%s; verifiers will not trust these signatures without that root", msg), fail.RemedyTrustSigner)
		for _, c := range pool {
			if keycheck.CheckSignatureFrom(key.Cert, c) == nil {
				issuer = c
				break
			}
		}
	}
	if p.Fetcher == nil || p.Fetcher.Offline {
		return nil
	}
	res := revocation.Check(ctx, key.Cert, issuer, now, revocation.Evidence{}, p.Fetcher)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	switch res.Status {
	case revocation.Revoked:
		return fail.Run(i18n.Errorf("the signer certificate %q was revoked on %s (%s)", name, res.RevokedAt.In(vnZone).Format(time.RFC3339), res.Source),
			"the key must not sign any more; ask the CA for a new certificate")
	case revocation.Good:
		return nil
	}
	msg := i18n.Sprintf("the revocation status of the signer certificate %q could not be established: %s", name, i18n.Join(res.Problems))
	if p.strict() {
		return fail.Run(i18n.Errorf("%s", msg), "B-LT needs the CA's OCSP or CRL service to be reachable")
	}
	p.warn(msg, fail.RemedyNone)
	return nil
}

// CheckTimestamp judges a signature timestamp the TSA returned: its time
// must not be in the future (beyond Skew), and its TSA must chain to the
// trust anchors. Either failing is a run failure for that file (exit 5):
// a TSA that lies about the time or is not trusted gives every file the
// same worthless proof. Without configured anchors at B-T, a TSA outside
// the system roots is a warning, as an untrusted signer is.
func (p *SignerPolicy) CheckTimestamp(ctx context.Context, tok *tsp.Token) error {
	now := p.now()
	skew := p.Skew
	if skew <= 0 {
		skew = 2 * time.Minute
	}
	gen := tok.Info.GenTime
	if gen.After(now.Add(skew + tok.Info.Accuracy)) {
		return fail.Run(i18n.Errorf("the timestamp authority's token is dated %s, %s ahead of this computer's clock",
			gen.In(vnZone).Format(time.RFC3339), gen.Sub(now).Round(time.Second)),
			"check the clocks of this computer and of the timestamp authority")
	}
	if tok.Cert == nil {
		return fail.Runf("the timestamp token does not carry its TSA's certificate")
	}
	store := p.Trust
	if store == nil {
		store = &trust.Store{}
	}
	var pool []*x509.Certificate
	if tok.SignedData != nil {
		pool = tok.SignedData.Certificates
	}
	cr, err := store.Chain(tok.Cert, pool, gen)
	if err != nil {
		return fail.Run(i18n.Errorf("building the TSA's chain: %v", err), "")
	}
	if cr.Status == trust.Trusted {
		return nil
	}
	msg := i18n.Sprintf("the timestamp authority %q does not chain to a trusted root", tok.Cert.Subject.CommonName)
	if p.Configured || p.strict() {
		return fail.RunWith(i18n.Errorf("%s", msg), fail.RemedyTrustTSA)
	}
	p.warn(i18n.Sprintf("%s; verifiers will not accept its timestamps without that root", msg), fail.RemedyTrustTSA)
	return nil
}

// hasIssuer says whether pool holds the certificate that signed cert.
func hasIssuer(cert *x509.Certificate, pool []*x509.Certificate) bool {
	for _, c := range pool {
		if keycheck.CheckSignatureFrom(cert, c) == nil {
			return true
		}
	}
	return false
}
