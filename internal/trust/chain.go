package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"slices"
	"sync"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/pdf"
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
	// MaxChainWork bounds the chain-building work of one Session (one
	// file): every certificate of a pool taken in, every candidate issuer
	// listed and every signature check (sigSteps per keycheck.Cost unit,
	// a check already made counting as a candidate) is a step. Ordinary
	// files take a few hundred steps; the limit is about a second.
	MaxChainWork = 1 << 22
	sigSteps     = 256
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
//
// Chain is a Session of its own; a caller that builds several paths from
// the certificates of one file uses one Session for them.
func (s *Store) Chain(leaf *x509.Certificate, pool []*x509.Certificate, at time.Time) (*ChainResult, error) {
	return s.NewSession().Chain(leaf, pool, at)
}

// Session builds the paths of one file. It indexes each certificate of the
// pools it is given once (by subject, the same certificate given twice or
// parsed twice being one), remembers the signature checks it made, and
// bounds the work of all its Chain calls together by MaxChainWork: past it
// Chain and IssuerOf return a limit error, naming MaxChainWork, for the
// rest of the session. So a file whose /DSS holds thousands of copies of a
// CA certificate costs one pass over them per path, not a comparison of
// every pair, and a hundred signatures cannot multiply the work without
// bound. It is safe for concurrent use (calls run one at a time).
type Session struct {
	store *Store
	// Max is the session's budget in steps (MaxChainWork when 0).
	Max int64

	mu    sync.Mutex
	byPtr map[*x509.Certificate]*node
	pool  *certIndex // the pools' certificates that are not the store's
	gen   uint32     // the current call: nodes marked with it are in its pool
	sigs  map[[2][32]byte]error
	// inPool marks the store's certificates that the current call's pool
	// holds too (IssuerOf looks at the pool only).
	inPool map[*node]uint32
	work   int64
	over   error
}

// NewSession starts a Session over the store's anchors.
func (s *Store) NewSession() *Session {
	return &Session{store: s, byPtr: map[*x509.Certificate]*node{}, pool: newIndex(), sigs: map[[2][32]byte]error{}, inPool: map[*node]uint32{}}
}

// Work reports the steps the session has taken (for tests).
func (x *Session) Work() int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.work
}

// spend counts n steps; it returns false once the budget is spent.
func (x *Session) spend(n int64) bool {
	if x.over != nil {
		return false
	}
	x.work += n
	max := x.Max
	if max <= 0 {
		max = MaxChainWork
	}
	if x.work > max {
		x.over = pdf.LimitErrorf("MaxChainWork", max, "building the certificate paths of the file takes more than %d steps", max)
		return false
	}
	return true
}

// Chain is Store.Chain within the session.
func (x *Session) Chain(leaf *x509.Certificate, pool []*x509.Certificate, at time.Time) (*ChainResult, error) {
	if leaf == nil {
		return nil, i18n.Errorf("trust: no certificate to build a path from")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.store
	if s.System && len(s.Roots) == 0 {
		extra := append(append([]*x509.Certificate(nil), s.Extra...), pool...)
		if !x.spend(int64(len(extra))) {
			return nil, x.over
		}
		r := systemChain(leaf, extra, at, x)
		if x.over != nil {
			return nil, x.over
		}
		return r, nil
	}
	b := &builder{sess: x, store: s.storeIndex(), at: at}
	if !x.take(pool) {
		return nil, x.over
	}
	p := b.extend([]*node{newNode(leaf)})
	if x.over != nil {
		return nil, x.over
	}
	return &ChainResult{Certs: p.certs, Status: p.status, Problems: p.problems}, nil
}

// IssuerOf finds the certificate of pool that issued c, as
// keycheck.CheckSignatureFrom decides: its subject is c's issuer, it may
// issue certificates and its key verifies c's signature. It is nil when
// none does, and an error past the session's budget.
func (x *Session) IssuerOf(c *x509.Certificate, pool []*x509.Certificate) (*x509.Certificate, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.take(pool) {
		return nil, x.over
	}
	b := &builder{sess: x, store: x.store.storeIndex()}
	child := newNode(c)
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return nil, nil // CheckSignatureFrom refuses SHA-1
	}
	for _, n := range b.candidates(child, false, true) {
		if n.sum == child.sum || n.keyErr != nil || !mayIssue(n.c) {
			continue
		}
		if b.check(child, n) == nil {
			return n.c, nil
		}
	}
	return nil, x.over
}

// take marks the certificates of pool as the current call's, indexing
// those seen for the first time.
func (x *Session) take(pool []*x509.Certificate) bool {
	if x.over != nil || !x.spend(int64(len(pool))) {
		return false
	}
	x.gen++
	st := x.store.storeIndex()
	for _, c := range pool {
		if c == nil {
			continue
		}
		n, ok := x.byPtr[c]
		if !ok {
			n = newNode(c)
			if sn := st.bySum[n.sum]; sn != nil {
				n = sn // the store's own: always a candidate
			} else if old := x.pool.bySum[n.sum]; old != nil {
				n = old // the same certificate parsed again
			} else {
				x.pool.add(n)
			}
			x.byPtr[c] = n
		}
		if n.mark != storeMark {
			n.mark = x.gen
		} else {
			x.inPool[n] = x.gen
		}
	}
	return true
}

// storeIndex indexes the store's certificates, once.
func (s *Store) storeIndex() *certIndex {
	s.once.Do(func() {
		s.index = newIndex()
		for _, set := range [][]*x509.Certificate{s.Roots, s.Extra} {
			for _, c := range set {
				if c == nil {
					continue
				}
				n := newNode(c)
				n.mark = storeMark
				if s.index.bySum[n.sum] == nil {
					s.index.add(n)
				}
			}
		}
	})
	return s.index
}

// systemChain asks the platform verifier when the system roots could not be
// read as a file.
func systemChain(leaf *x509.Certificate, extra []*x509.Certificate, at time.Time, x *Session) *ChainResult {
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
	x.take(extra)
	b := &builder{sess: x, store: x.store.storeIndex(), at: at}
	p := b.extend([]*node{newNode(leaf)})
	p.problems = append(p.problems, i18n.Sprintf("system verifier: %v", err))
	return &ChainResult{Certs: p.certs, Status: p.status, Problems: p.problems}
}

// storeMark marks the store's nodes, candidates in every call.
const storeMark = ^uint32(0)

// node is a certificate as path building sees it, with what the search
// asks of it again and again computed once.
type node struct {
	c      *x509.Certificate
	sum    [32]byte // SHA-256 of Raw: one node per certificate
	cost   int      // keycheck.Cost of its key
	keyErr error    // keycheck.Cert
	mark   uint32   // the Session call whose pool holds it, or storeMark
}

func newNode(c *x509.Certificate) *node {
	return &node{c: c, sum: sha256.Sum256(c.Raw), cost: keycheck.Cost(c.PublicKey), keyErr: keycheck.Cert(c)}
}

type builder struct {
	sess  *Session
	store *certIndex
	at    time.Time
	work  int // signature checks of this call, in keycheck.Cost units
}

// certIndex finds certificates by subject name: by the DER bytes, or, for
// CAs that re-encoded their name, by its text; each once.
type certIndex struct {
	byRaw, byText map[string][]*node
	bySum         map[[32]byte]*node
}

func newIndex() *certIndex {
	return &certIndex{byRaw: map[string][]*node{}, byText: map[string][]*node{}, bySum: map[[32]byte]*node{}}
}

func (ix *certIndex) add(n *node) {
	ix.bySum[n.sum] = n
	ix.byRaw[string(n.c.RawSubject)] = append(ix.byRaw[string(n.c.RawSubject)], n)
	text := n.c.Subject.String()
	ix.byText[text] = append(ix.byText[text], n)
}

// candidates lists the certificates of the store and of the current pool
// that may have issued child, each once, the cheapest to check first (text
// also looks them up by the text of the name; poolOnly leaves out the
// store's certificates that the pool does not hold). Each certificate
// looked at is a step of the session's budget.
func (b *builder) candidates(child *node, text, poolOnly bool) []*node {
	lists := [][]*node{b.store.byRaw[string(child.c.RawIssuer)], b.sess.pool.byRaw[string(child.c.RawIssuer)]}
	if text {
		t := child.c.Issuer.String()
		lists = append(lists, b.store.byText[t], b.sess.pool.byText[t])
	}
	var out []*node
	seen := map[*node]bool{}
	for _, l := range lists {
		if !b.sess.spend(int64(len(l))) {
			return nil
		}
		for _, n := range l {
			ok := n.mark == b.sess.gen || n.mark == storeMark && (!poolOnly || b.sess.inPool[n] == b.sess.gen)
			if ok && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	// Cheap checks first: candidates with large keys, which spend more of
	// the work budget, cannot hide an issuer behind them.
	slices.SortStableFunc(out, func(x, y *node) int { return x.cost - y.cost })
	return out
}

// check verifies child's signature with n's key, once per session.
func (b *builder) check(child, n *node) error {
	k := [2][32]byte{child.sum, n.sum}
	if err, ok := b.sess.sigs[k]; ok {
		return err
	}
	if !b.sess.spend(int64(sigSteps * n.cost)) {
		return b.sess.over
	}
	err := n.c.CheckSignature(child.c.SignatureAlgorithm, child.c.RawTBSCertificate, child.c.Signature)
	b.sess.sigs[k] = err
	return err
}

type path struct {
	certs    []*x509.Certificate
	status   ChainStatus
	problems []string
}

// extend finds the best path that continues chain, depth first.
func (b *builder) extend(chain []*node) path {
	certs := make([]*x509.Certificate, len(chain))
	for i, n := range chain {
		certs[i] = n.c
	}
	lastNode := chain[len(chain)-1]
	last := lastNode.c
	for _, a := range b.sess.store.Roots {
		if sameCert(a, last) {
			certs := append(certs[:len(certs)-1:len(certs)-1], a)
			return path{certs, Trusted, checkPath(certs, true, b.at)}
		}
	}
	end := func(status ChainStatus, problem string) path {
		return path{certs, status, append([]string{problem}, checkPath(certs, false, b.at)...)}
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
	for _, n := range b.candidates(lastNode, true, false) {
		c := n.c
		if inChain(certs, c) {
			continue
		}
		if n.keyErr != nil {
			refused, refusal = c, n.keyErr
			continue
		}
		if b.work += n.cost; b.work > maxWork {
			break
		}
		if err := b.check(lastNode, n); err != nil {
			if b.sess.over != nil {
				break
			}
			impostor = c
			continue
		}
		p := b.extend(append(chain[:len(chain):len(chain)], n))
		if b.sess.over != nil {
			break
		}
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

// mayIssue is what x509.Certificate.CheckSignatureFrom asks of a parent
// besides its signature: a CA, unless an old v1 certificate, whose key
// usage, if any, allows signing certificates.
func mayIssue(p *x509.Certificate) bool {
	if p.Version == 3 && !p.BasicConstraintsValid || p.BasicConstraintsValid && !p.IsCA {
		return false
	}
	return p.KeyUsage == 0 || p.KeyUsage&x509.KeyUsageCertSign != 0
}
