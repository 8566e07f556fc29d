package trust

import (
	"bytes"
	"crypto/x509"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"slices"
	"time"
)

// ChainStatus says where a certificate path ends.
type ChainStatus int

const (
	// Untrusted: the path ends at a self-signed certificate that is not an
	// anchor, or at an issuer whose key does not verify the signature.
	Untrusted ChainStatus = iota
	// Incomplete: an issuer is missing; fetching it (AIA caIssuers) may
	// complete the path.
	Incomplete
	// Trusted: the path ends at an anchor of the Store.
	Trusted
)

func (s ChainStatus) String() string {
	switch s {
	case Trusted:
		return "trusted"
	case Incomplete:
		return "incomplete"
	}
	return "untrusted"
}

// ChainResult is the best path found from a leaf.
type ChainResult struct {
	// Certs runs from the leaf to the last certificate reached: the anchor
	// (the Store's own copy) when Trusted.
	Certs  []*x509.Certificate
	Status ChainStatus
	// Problems found on the path: certificates not valid at the time
	// checked, issuers that are not CAs, path length or key usage
	// violations, unhandled critical extensions. The caller decides what
	// they mean; Status does not change with them.
	Problems []string
}

const (
	maxDepth = 10 // certificates in a path
	// maxWork bounds the signature checks of one Chain call, in units of
	// an RSA-2048 check (keycheck.Cost: a 16384-bit key counts 64): bounds
	// hostile pools in time, not only in number.
	maxWork = 500
)

// Chain builds a path from leaf to an anchor, taking issuers from pool
// (certificates of the CMS, the DSS...), from s.Extra and from the anchors.
// Anchors are matched by subject and public key, never by identity, so a
// pool's copy of a root counts and an impostor with the root's name does
// not. Validity periods are judged at at. Extended key usage is ignored on
// purpose: signers carry emailProtection or documentSigning, TSAs
// timeStamping, and a path is the same whatever it is used for. Name
// constraints and certificate policies are not checked. A candidate issuer
// whose key keycheck refuses (an RSA modulus over 16384 bits...) is never
// used to check a signature: a path through it ends Untrusted.
func (s *Store) Chain(leaf *x509.Certificate, pool []*x509.Certificate, at time.Time) (*ChainResult, error) {
	if leaf == nil {
		return nil, i18n.Errorf("trust: no certificate to build a path from")
	}
	if s.System && len(s.Roots) == 0 {
		return systemChain(leaf, append(append([]*x509.Certificate(nil), s.Extra...), pool...), at), nil
	}
	s.once.Do(func() { s.index = newIndex(s.Roots, s.Extra) })
	b := &builder{anchors: s.Roots, at: at, indexes: []*certIndex{s.index, newIndex(pool)}}
	p := b.extend([]*x509.Certificate{leaf})
	return &ChainResult{Certs: p.certs, Status: p.status, Problems: p.problems}, nil
}

// systemChain asks the platform verifier when the system roots could not be
// read as a file.
func systemChain(leaf *x509.Certificate, extra []*x509.Certificate, at time.Time) *ChainResult {
	inter := x509.NewCertPool()
	for _, c := range extra {
		if keycheck.Cert(c) == nil {
			inter.AddCert(c)
		}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err == nil && len(chains) > 0 {
		return &ChainResult{Certs: chains[0], Status: Trusted, Problems: checkPath(chains[0], true, at)}
	}
	b := &builder{at: at, indexes: []*certIndex{newIndex(extra)}}
	p := b.extend([]*x509.Certificate{leaf})
	p.problems = append(p.problems, i18n.Sprintf("system verifier: %v", err))
	return &ChainResult{Certs: p.certs, Status: p.status, Problems: p.problems}
}

type builder struct {
	anchors []*x509.Certificate
	indexes []*certIndex // where issuers are looked up, in order
	at      time.Time
	work    int
}

// certIndex finds certificates by subject name: by the DER bytes, or, for
// CAs that re-encoded their name, by its text.
type certIndex struct {
	byRaw, byText map[string][]*x509.Certificate
}

func newIndex(sets ...[]*x509.Certificate) *certIndex {
	ix := &certIndex{byRaw: map[string][]*x509.Certificate{}, byText: map[string][]*x509.Certificate{}}
	seen := map[string]bool{}
	for _, set := range sets {
		for _, c := range set {
			if c == nil || seen[string(c.Raw)] {
				continue
			}
			seen[string(c.Raw)] = true
			ix.byRaw[string(c.RawSubject)] = append(ix.byRaw[string(c.RawSubject)], c)
			text := c.Subject.String()
			ix.byText[text] = append(ix.byText[text], c)
		}
	}
	return ix
}

// candidates lists the certificates that may have issued child, each once,
// the cheapest to check first.
func (b *builder) candidates(child *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	add := func(cs []*x509.Certificate) {
	next:
		for _, c := range cs {
			for _, d := range out {
				if c == d || bytes.Equal(c.Raw, d.Raw) {
					continue next
				}
			}
			out = append(out, c)
		}
	}
	text := child.Issuer.String()
	for _, ix := range b.indexes {
		add(ix.byRaw[string(child.RawIssuer)])
	}
	for _, ix := range b.indexes {
		add(ix.byText[text])
	}
	// Cheap checks first: candidates with large keys, which spend more of
	// the work budget, cannot hide an issuer behind them.
	slices.SortStableFunc(out, func(x, y *x509.Certificate) int {
		return keycheck.Cost(x.PublicKey) - keycheck.Cost(y.PublicKey)
	})
	return out
}

type path struct {
	certs    []*x509.Certificate
	status   ChainStatus
	problems []string
}

// extend finds the best path that continues chain, depth first.
func (b *builder) extend(chain []*x509.Certificate) path {
	last := chain[len(chain)-1]
	for _, a := range b.anchors {
		if sameCert(a, last) {
			certs := append(chain[:len(chain)-1:len(chain)-1], a)
			return path{certs, Trusted, checkPath(certs, true, b.at)}
		}
	}
	end := func(status ChainStatus, problem string) path {
		return path{chain, status, append([]string{problem}, checkPath(chain, false, b.at)...)}
	}
	if selfSigned(last) {
		return end(Untrusted, i18n.Sprintf("%s is self-signed and not a trust anchor", name(last)))
	}
	if len(chain) >= maxDepth {
		return end(Incomplete, i18n.Sprintf("no anchor within %d certificates", maxDepth))
	}
	var best *path
	var impostor, refused *x509.Certificate
	var refusal error
	for _, c := range b.candidates(last) {
		if inChain(chain, c) {
			continue
		}
		if err := keycheck.Cert(c); err != nil {
			refused, refusal = c, err
			continue
		}
		if b.work += keycheck.Cost(c.PublicKey); b.work > maxWork {
			break
		}
		if c.CheckSignature(last.SignatureAlgorithm, last.RawTBSCertificate, last.Signature) != nil {
			impostor = c
			continue
		}
		p := b.extend(append(chain[:len(chain):len(chain)], c))
		if best == nil || better(p, *best) {
			best = &p
		}
		if best.status == Trusted && len(best.problems) == 0 {
			break
		}
	}
	switch {
	case best != nil:
		return *best
	case impostor != nil:
		return end(Untrusted, i18n.Sprintf("the signature on %s does not verify with the key of %s", name(last), name(impostor)))
	case refused != nil:
		return end(Untrusted, i18n.Sprintf("the key of %s, which may have issued %s, is not used: %v", name(refused), name(last), refusal))
	}
	return end(Incomplete, i18n.Sprintf("the issuer of %s (%s) is missing", name(last), last.Issuer))
}

// better ranks paths: trusted, then incomplete (more data may make it
// trusted), then untrusted; then fewer problems; then shorter.
func better(a, b path) bool {
	if a.status != b.status {
		return a.status > b.status
	}
	if len(a.problems) != len(b.problems) {
		return len(a.problems) < len(b.problems)
	}
	return len(a.certs) < len(b.certs)
}

// checkPath lists what is wrong along certs at time at. anchored says the
// last certificate is a trust anchor, whose CA attributes are configuration
// rather than something to check (RFC 5280 §6.1.1 d).
func checkPath(certs []*x509.Certificate, anchored bool, at time.Time) []string {
	var problems []string
	add := func(format string, a ...any) { problems = append(problems, i18n.Sprintf(format, a...)) }
	for i, c := range certs {
		switch {
		case at.After(c.NotAfter):
			add("%s expired on %s, before %s", name(c), c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
		case at.Before(c.NotBefore):
			add("%s was not yet valid on %s (valid from %s)", name(c), at.UTC().Format(time.RFC3339), c.NotBefore.UTC().Format(time.RFC3339))
		}
		if anchored && i == len(certs)-1 {
			continue
		}
		if len(c.UnhandledCriticalExtensions) > 0 {
			add("%s has unhandled critical extensions %v", name(c), c.UnhandledCriticalExtensions)
		}
		if i == 0 {
			continue
		}
		if c.Version >= 3 && !(c.BasicConstraintsValid && c.IsCA) {
			add("%s issued %s but is not a CA", name(c), name(certs[i-1]))
		}
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			add("%s issued %s but its key usage lacks keyCertSign", name(c), name(certs[i-1]))
		}
		if c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
			below := 0 // CA certificates under c, self-issued ones excepted (RFC 5280 §6.1.4 l)
			for _, d := range certs[1:i] {
				if !bytes.Equal(d.RawSubject, d.RawIssuer) {
					below++
				}
			}
			if below > c.MaxPathLen {
				add("%s allows %d CA certificates below it, the path has %d", name(c), c.MaxPathLen, below)
			}
		}
	}
	return problems
}

func inChain(chain []*x509.Certificate, c *x509.Certificate) bool {
	for _, d := range chain {
		if sameCert(c, d) {
			return true
		}
	}
	return false
}

func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return i18n.Sprintf("certificate %q", c.Subject.CommonName)
	}
	return i18n.Sprintf("certificate %q", c.Subject.String())
}
