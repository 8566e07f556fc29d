package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
)

// Policy is the validation policy: which algorithms and key sizes a
// signature or timestamp may use, and which certificates may sign a
// document. What it rejects is never "valid": following ETSI EN 319 102-1
// (cryptographic constraints, X.509 validation constraints) the verdict is
// indeterminate, with the reason, since nothing is refuted — the signature
// may be genuine, it only cannot be relied on under this policy.
// docs/verify.md states the default; `--policy FILE` changes it.
type Policy struct {
	// Name is "default" or the policy file's path; SHA256 the file's hex
	// SHA-256 (empty for the default).
	Name   string `yaml:"-" json:"name"`
	SHA256 string `yaml:"-" json:"sha256,omitempty"`

	// MinRSABits is the smallest RSA modulus accepted for a signer or TSA key.
	MinRSABits int `yaml:"min-rsa-bits" json:"min_rsa_bits"`
	// MaxRSABits is the largest RSA modulus accepted for a signer or TSA
	// key: at most keycheck.MaxRSABits (16384), above which kyso checks no
	// signature at all, since the cost of checking grows without bound
	// with the key.
	MaxRSABits int `yaml:"max-rsa-bits" json:"max_rsa_bits"`
	// MinECBits is the smallest elliptic curve (field size) accepted.
	MinECBits int `yaml:"min-ec-bits" json:"min_ec_bits"`
	// Digests are the accepted digest algorithms, by name (sha-256,
	// sha-1, ...), each with its sunset date (YYYY-MM-DD), or "" for none.
	// After its sunset an algorithm is accepted only with proof of
	// existence (a trusted timestamp) before that date. A digest that is
	// not listed is refused.
	Digests map[string]string `yaml:"digests" json:"digests"`
	// EKUs are the extended key usages that let a certificate sign
	// documents: names (any, documentSigning, emailProtection, clientAuth,
	// adobeAuthenticDocumentsTrust, msDocumentSigning) or dotted OIDs. A
	// signer certificate without the extension may sign; one with the
	// extension must list at least one of these. An empty list turns the
	// check off.
	EKUs []string `yaml:"accepted-ekus" json:"accepted_ekus"`
}

// ekuNames are the extended key usages Policy.EKUs may name.
var ekuNames = map[string]string{
	"any":                          "2.5.29.37.0",
	"serverAuth":                   "1.3.6.1.5.5.7.3.1",
	"clientAuth":                   "1.3.6.1.5.5.7.3.2",
	"codeSigning":                  "1.3.6.1.5.5.7.3.3",
	"emailProtection":              "1.3.6.1.5.5.7.3.4",
	"timeStamping":                 "1.3.6.1.5.5.7.3.8",
	"OCSPSigning":                  "1.3.6.1.5.5.7.3.9",
	"documentSigning":              "1.3.6.1.5.5.7.3.36", // RFC 9336
	"adobeAuthenticDocumentsTrust": "1.2.840.113583.1.1.5",
	"msDocumentSigning":            "1.3.6.1.4.1.311.10.3.12",
}

// sha1Sunset is the date after which a SHA-1 signature is no longer
// accepted without proof of existence. It is the end date that the EU DSS
// library's default cryptographic constraints (which transcribe ETSI TS 119
// 312 and SOG-IS) give SHA-1 for signatures; not checked against the ETSI
// text itself. A unit that needs another date says so in --policy.
const sha1Sunset = "2009-08-01"

// DefaultPolicy is the policy in force without --policy.
func DefaultPolicy() *Policy {
	return &Policy{
		Name:       "default",
		MinRSABits: 2048,
		MaxRSABits: keycheck.MaxRSABits,
		MinECBits:  256,
		Digests: map[string]string{
			"sha-1": sha1Sunset, "sha-224": "", "sha-256": "", "sha-384": "", "sha-512": "",
			"sha3-256": "", "sha3-384": "", "sha3-512": "", "shake256": "",
		},
		// clientAuth is accepted because national signing tokens commonly
		// carry it (beside emailProtection); purposes that exclude document
		// signing — timeStamping, OCSPSigning, serverAuth, codeSigning
		// alone — are not.
		EKUs: []string{"any", "documentSigning", "emailProtection", "adobeAuthenticDocumentsTrust", "msDocumentSigning", "clientAuth"},
	}
}

// LoadPolicy reads a policy file (YAML). Keys it sets replace the default's
// (a digests or accepted-ekus list replaces the whole list); keys it does
// not set keep the default's. Unknown keys and bad values are usage errors.
func LoadPolicy(path string) (*Policy, error) {
	data, err := fileutil.ReadFileMax(path, 1<<20)
	if err != nil {
		return nil, fail.UsageWith(i18n.Errorf("policy file %s: %v", path, fileutil.UnwrapPath(err)), fail.RemedyPolicyFile)
	}
	p := DefaultPolicy()
	def := DefaultPolicy()
	// A list the file gives replaces the default's instead of merging.
	p.Digests, p.EKUs = nil, nil
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && err.Error() != "EOF" {
		return nil, fail.Usage(i18n.Errorf("policy file %s: %v", path, err),
			"keys: min-rsa-bits, max-rsa-bits, min-ec-bits, digests (name: sunset date or \"\"), accepted-ekus")
	}
	if p.Digests == nil {
		p.Digests = def.Digests
	}
	if p.EKUs == nil {
		p.EKUs = def.EKUs
	}
	sum := sha256.Sum256(data)
	p.Name, p.SHA256 = path, hex.EncodeToString(sum[:])
	if err := p.check(); err != nil {
		return nil, fail.Usage(i18n.Errorf("policy file %s: %v", path, err), "")
	}
	return p, nil
}

// check validates the values of a policy.
func (p *Policy) check() error {
	if p.MinRSABits < 0 || p.MinECBits < 0 {
		return i18n.Errorf("key sizes cannot be negative")
	}
	if p.MaxRSABits < 1 || p.MaxRSABits > keycheck.MaxRSABits {
		return i18n.Errorf("max-rsa-bits must be from 1 to %d, the largest RSA key kyso checks signatures with", keycheck.MaxRSABits)
	}
	if p.MinRSABits > p.MaxRSABits {
		return i18n.Errorf("min-rsa-bits (%d) is above max-rsa-bits (%d)", p.MinRSABits, p.MaxRSABits)
	}
	for name, sunset := range p.Digests {
		if digestByName(name) == 0 {
			return i18n.Errorf("digests: unknown algorithm %q", name)
		}
		if sunset != "" {
			if _, err := time.Parse(time.DateOnly, sunset); err != nil {
				return i18n.Errorf("digests: %s: sunset %q is not a date (YYYY-MM-DD)", name, sunset)
			}
		}
	}
	for _, e := range p.EKUs {
		if _, err := ekuOID(e); err != nil {
			return err
		}
	}
	return nil
}

func normDigest(name string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(name))
}

func digestByName(name string) crypto.Hash {
	for _, h := range []crypto.Hash{crypto.MD5, crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512,
		crypto.SHA3_256, crypto.SHA3_384, crypto.SHA3_512, hashSHAKE256} {
		if normDigest(hashName(h)) == normDigest(name) {
			return h
		}
	}
	return 0
}

func ekuOID(name string) (asn1.ObjectIdentifier, error) {
	s := name
	for k, v := range ekuNames {
		if strings.EqualFold(k, name) {
			s = v
		}
	}
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(s, ".") {
		var n int
		if _, err := fmt.Sscanf(part, "%d", &n); err != nil || fmt.Sprint(n) != part {
			return nil, i18n.Errorf("accepted-ekus: %q is neither a known name nor an OID", name)
		}
		oid = append(oid, n)
	}
	if len(oid) < 2 {
		return nil, i18n.Errorf("accepted-ekus: %q is neither a known name nor an OID", name)
	}
	return oid, nil
}

// checkDigest says why h is refused, or "" when it is accepted; proven is
// the earliest time a trusted timestamp proves (nil: none).
func (p *Policy) checkDigest(h crypto.Hash, proven *time.Time) (id, why string) {
	name := hashName(h)
	for k, sunset := range p.Digests {
		if normDigest(k) != normDigest(name) {
			continue
		}
		if sunset == "" {
			return "", ""
		}
		end, _ := time.Parse(time.DateOnly, sunset)
		if proven != nil && proven.Before(end) {
			return "", ""
		}
		return FindingDigestSunset, i18n.Sprintf("the policy (%s) accepts %s only with proof of existence before %s (ETSI TS 119 312 sunset), and no trusted timestamp proves that",
			p.Name, name, sunset)
	}
	return FindingDigestRejected, i18n.Sprintf("the policy (%s) does not accept the digest algorithm %s", p.Name, name)
}

// checkKey says why a signer's or TSA's public key is refused: too small
// for the policy, too large (max-rsa-bits), or a key keycheck refuses
// outright, with which kyso checks no signature.
func (p *Policy) checkKey(pub crypto.PublicKey) (id, why string) {
	if err := keycheck.UsableMax(pub, p.MaxRSABits); err != nil {
		var ke *keycheck.Error
		if errors.As(err, &ke) && ke.Bits > 0 {
			return FindingKeyTooLarge, i18n.Sprintf("the policy (%s) accepts RSA keys of at most %d bits; this one has %d, and its signatures are not checked", p.Name, ke.Max, ke.Bits)
		}
		return FindingKeyRefused, i18n.Sprintf("the policy (%s) does not accept this key: %v", p.Name, err)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N != nil && k.N.BitLen() < p.MinRSABits {
			return FindingKeyTooSmall, i18n.Sprintf("the policy (%s) requires RSA keys of at least %d bits; this one has %d", p.Name, p.MinRSABits, k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != nil && k.Curve.Params().BitSize < p.MinECBits {
			return FindingKeyTooSmall, i18n.Sprintf("the policy (%s) requires elliptic curves of at least %d bits; this one has %d", p.Name, p.MinECBits, k.Curve.Params().BitSize)
		}
	}
	return "", ""
}

// CheckSignerCert judges a document signer's certificate against the
// policy: its key size and its extended key usage. It returns the findings
// verify records for such a certificate (indeterminate, with the same
// messages), none when the policy accepts it. kyso sign runs it on its own
// certificate before the first file, so that it never makes a signature
// its own verify cannot accept.
func (p *Policy) CheckSignerCert(cert *x509.Certificate) []Finding {
	var out []Finding
	for _, check := range []func(*x509.Certificate) (string, string){
		func(c *x509.Certificate) (string, string) { return p.checkKey(c.PublicKey) },
		p.checkEKU,
	} {
		if id, why := check(cert); id != "" {
			out = append(out, Finding{ID: id, Severity: string(Indeterminate), Message: why})
		}
	}
	return out
}

// checkEKU says why c may not sign documents: its extended key usage
// names purposes, none of which the policy accepts.
func (p *Policy) checkEKU(c *x509.Certificate) (id, why string) {
	if len(p.EKUs) == 0 || (len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0) {
		return "", ""
	}
	var has []asn1.ObjectIdentifier
	for _, u := range c.ExtKeyUsage {
		if oid, ok := stdEKU[u]; ok {
			has = append(has, oid)
		}
	}
	has = append(has, c.UnknownExtKeyUsage...)
	var names []string
	for _, o := range has {
		names = append(names, ekuName(o))
		for _, a := range p.EKUs {
			if want, err := ekuOID(a); err == nil && want.Equal(o) {
				return "", ""
			}
		}
	}
	sort.Strings(names)
	return FindingEKU, i18n.Sprintf("the signer's certificate is restricted to %s (extended key usage), which excludes signing documents under the policy (%s)",
		strings.Join(names, ", "), p.Name)
}

var stdEKU = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageAny:             {2, 5, 29, 37, 0},
	x509.ExtKeyUsageServerAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 1},
	x509.ExtKeyUsageClientAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 2},
	x509.ExtKeyUsageCodeSigning:     {1, 3, 6, 1, 5, 5, 7, 3, 3},
	x509.ExtKeyUsageEmailProtection: {1, 3, 6, 1, 5, 5, 7, 3, 4},
	x509.ExtKeyUsageTimeStamping:    {1, 3, 6, 1, 5, 5, 7, 3, 8},
	x509.ExtKeyUsageOCSPSigning:     {1, 3, 6, 1, 5, 5, 7, 3, 9},
}

func ekuName(o asn1.ObjectIdentifier) string {
	for k, v := range ekuNames {
		if v == o.String() {
			return k
		}
	}
	return o.String()
}

// Stable identifiers of findings (Report.Findings), for scripts.
const (
	FindingDigestRejected = "policy-digest-rejected"
	FindingDigestSunset   = "policy-digest-after-sunset"
	FindingKeyTooSmall    = "policy-key-too-small"
	// FindingKeyTooLarge: an RSA key over max-rsa-bits (at most 16384),
	// with which no signature is checked.
	FindingKeyTooLarge = "policy-key-too-large"
	// FindingKeyRefused: a key kyso checks no signature with (DSA, an
	// unsupported curve, an RSA exponent over 2^32-1...).
	FindingKeyRefused      = "policy-key-refused"
	FindingEKU             = "policy-eku-excludes-document-signing"
	FindingUntrustedTS     = "timestamp-untrusted"
	FindingMetadataChanged = "signed-metadata-changed"
	// FindingMetadataUnvouched: no valid signature covers the metadata
	// taken as signed (that of the oldest intact signature).
	FindingMetadataUnvouched = "signed-metadata-unvouched"
)

// Finding is one conclusion with a stable ID: what scripts match on, where
// the message is for people.
type Finding struct {
	ID string `json:"id"`
	// Severity is invalid, indeterminate or warning.
	Severity string `json:"severity"`
	// Signature is the Index of the signature it concerns; nil for the file.
	Signature *int `json:"signature,omitempty"`
	// Message is the English text; Text the same in the language of the
	// run (kyso fills it when it writes JSON).
	Message string `json:"message"`
	Text    string `json:"text,omitempty"`

	// key and args are the message in the catalogue (reasons.go).
	key  string
	args []any
}

// Basis is what a verdict rests on beside the file: the configuration read,
// the trust anchors and the policy. It goes into every Report, so a verdict
// can be reproduced and questioned.
type Basis struct {
	// Config is the configuration file read (empty: none) and
	// ConfigSource where it was found (--config, $XDG_CONFIG_HOME, ...).
	Config       string `json:"config,omitempty"`
	ConfigSource string `json:"config_source,omitempty"`
	// Trust names where the anchors came from: the --trust paths, or
	// "system".
	Trust []string `json:"trust"`
	// Anchors are the trust anchors (from system roots, their count only:
	// AnchorCount).
	Anchors     []Anchor `json:"trust_anchors,omitempty"`
	AnchorCount int      `json:"trust_anchor_count"`
	Policy      *Policy  `json:"policy"`
}

// Anchor is one trust anchor.
type Anchor struct {
	Subject string `json:"subject"`
	SHA256  string `json:"sha256"`
}

// basis completes the caller's Basis with the anchors and the policy.
func (v *verifier) basis() *Basis {
	b := &Basis{}
	if v.o.Basis != nil {
		*b = *v.o.Basis
	}
	b.Policy = v.policy()
	st := v.o.Trust
	if st == nil || st.System {
		b.Trust = []string{"system"}
	}
	if st != nil {
		b.AnchorCount = len(st.Roots)
		if !st.System {
			for _, c := range st.Roots {
				sum := sha256.Sum256(c.Raw)
				b.Anchors = append(b.Anchors, Anchor{Subject: formatDN(c.Subject), SHA256: hex.EncodeToString(sum[:])})
			}
		}
	}
	return b
}

func (v *verifier) policy() *Policy {
	if v.o.Policy != nil {
		return v.o.Policy
	}
	return defaultPolicy
}

var defaultPolicy = DefaultPolicy()

// policyFinding records a refusal by the policy: the signature becomes
// indeterminate with the reason.
func (s *sigState) policyFinding(id, why string) {
	if id == "" {
		return
	}
	for _, f := range s.findings {
		if f.ID == id && f.Message == why {
			return
		}
	}
	s.indet = append(s.indet, why)
	m, _ := newMessage("%s", why)
	s.findings = append(s.findings, Finding{ID: id, Severity: string(Indeterminate), Message: why, key: m.key, args: m.args})
}

// applyPolicy judges a signature's algorithms, key and certificate's
// purpose against the policy; proven is the earliest proven time.
func (v *verifier) applyPolicy(s *sigState, proven *time.Time) {
	p := v.policy()
	if s.hash != 0 {
		s.policyFinding(p.checkDigest(s.hash, proven))
	}
	if s.si != nil {
		if h := signerHash(s.si); h != 0 && h != s.hash {
			s.policyFinding(p.checkDigest(h, proven))
		}
	}
	switch {
	case s.cert == nil:
	case s.isDocTS():
		// a document timestamp's certificate is a TSA's: only its key
		s.policyFinding(p.checkKey(s.cert.PublicKey))
	default:
		for _, f := range p.CheckSignerCert(s.cert) {
			s.policyFinding(f.ID, f.Message)
		}
	}
}

// timestampPolicy says why a timestamp token's algorithms are refused
// ("" when they are accepted). The time a token states is no proof for its
// own digest: a SHA-1 token claiming a date before the SHA-1 sunset could
// be forged at any time. Its digest is judged at provenAt, the earliest
// time something else proves the token existed (a later trusted document
// timestamp, itself judged so; see evalTime), else the time of checking.
func (v *verifier) timestampPolicy(h crypto.Hash, provenAt time.Time, cert *x509.Certificate) (id, why string) {
	p := v.policy()
	if h != 0 {
		t := provenAt
		if id, why := p.checkDigest(h, &t); id != "" {
			return id, i18n.Sprintf("timestamp: %s", why)
		}
	}
	if cert != nil {
		if id, why := p.checkKey(cert.PublicKey); id != "" {
			return id, "timestamp: " + strings.Replace(why, "this one", "the TSA's", 1)
		}
	}
	return "", ""
}

// collectFindings gathers the signatures' findings into the Report.
func (v *verifier) collectFindings() {
	for _, s := range v.sigs {
		for _, f := range s.findings {
			i := s.out.Index
			f.Signature = &i
			v.rep.Findings = append(v.rep.Findings, f)
		}
	}
}
