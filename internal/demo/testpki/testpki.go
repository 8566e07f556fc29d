// Package testpki builds a small, complete test PKI in memory: a root, an
// issuing CA, signers (RSA, ECDSA, revoked, expired), a TSA and a delegated
// OCSP responder, plus an attacker root that copies the real root's name. It
// serves OCSP, CRLs and CA certificates over HTTP for loopback tests and for
// `kyso demo`. Every name in it says TEST: nothing here is fit for real use.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Issuer is a CA: its certificate and key.
type Issuer struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Leaf is an end-entity certificate and its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// PKI is a built test PKI.
type PKI struct {
	Root, Inter *Issuer
	// Signer (RSA-2048) and SignerEC (P-256) carry the unit's name and the
	// key usages of a document signer. Revoked is revoked at RevokedAt
	// (keyCompromise); Expired was valid only in 2020.
	Signer, SignerEC, Revoked, Expired *Leaf
	// TSA carries EKU timeStamping (critical, alone); OCSP carries
	// OCSPSigning and id-pkix-ocsp-nocheck and signs the Handler's answers
	// for certificates of Inter.
	TSA, OCSP *Leaf
	// AttackerRoot has Root's exact subject but its own key; Attacker has
	// Signer's subject and is issued by AttackerRoot.
	AttackerRoot *Issuer
	Attacker     *Leaf
	RevokedAt    time.Time
	// InterCRL (lists Revoked) and RootCRL are DER CRLs.
	InterCRL, RootCRL []byte
	Password          []byte
	BaseURL           string
	Dir               string

	clock  func() time.Time
	counts struct{ ocsp, crl, cert, tsa atomic.Int64 }
}

// Options shape a PKI.
type Options struct {
	// Dir receives the PKI as files (see New); "" writes nothing.
	Dir string
	// BaseURL (e.g. http://127.0.0.1:PORT) goes into the AIA (OCSP
	// BaseURL+"/ocsp", caIssuers BaseURL+"/inter.crt") and CRL distribution
	// point (BaseURL+"/inter.crl") of the leaves; "" leaves them out.
	BaseURL string
	// Unit is the signer's O and CN; default DefaultUnit.
	Unit string
	// Password protects the .p12 files; default DefaultPassword.
	Password []byte
	// Now anchors validity periods and revocation times; default time.Now().
	Now time.Time
	// ReuseKeys takes keys generated earlier in this process instead of
	// fresh ones: certificates cost a signature, RSA keys cost far more, so
	// tests that each need their own PKI (for their own BaseURL) stay fast.
	ReuseKeys bool
}

// DefaultUnit and DefaultPassword are used when Options leave them empty.
const (
	DefaultUnit     = "UBND xã Hòa Đông (TEST)"
	DefaultPassword = "kyso-test-pass"
)

var (
	oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	oidExtKeyUsage     = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidTimeStamping    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidOCSPSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}
	oidOCSPNoCheck     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
)

// New builds a PKI. When o.Dir is set it writes there: root.crt, inter.crt,
// attacker-root.crt (PEM); chain.pem (inter + root); trust.pem (root);
// signer.p12, signer-ec.p12, revoked.p12, expired.p12 (key, certificate and
// chain; attacker.p12 with the attacker root), AES-256 PKCS#12 protected by
// Password; tsa.crt/tsa.key and ocsp.crt/ocsp.key (PEM, PKCS#8 keys);
// inter.crl and root.crl (DER); index.txt (+ index.txt.attr), Inter's
// issued certificates in the database format of `openssl ca` and
// `openssl ocsp -index`.
func New(o Options) (*PKI, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	unit := o.Unit
	if unit == "" {
		unit = DefaultUnit
	}
	pass := o.Password
	if pass == nil {
		pass = []byte(DefaultPassword)
	}
	p := &PKI{Password: pass, BaseURL: strings.TrimRight(o.BaseURL, "/"), Dir: o.Dir, RevokedAt: now.Add(-24 * time.Hour)}
	if o.Now.IsZero() {
		p.clock = time.Now
	} else {
		// Keep the given time ticking, so answers served later stay later.
		start := time.Now()
		p.clock = func() time.Time { return now.Add(time.Since(start)) }
	}
	b := builder{reuse: o.ReuseKeys, from: now.Add(-48 * time.Hour), baseURL: p.BaseURL}

	pkiName := func(cn string) pkix.Name {
		return pkix.Name{Country: []string{"VN"}, Organization: []string{"kyso TEST PKI"}, CommonName: cn}
	}
	unitName := func(u string) pkix.Name {
		return pkix.Name{Country: []string{"VN"}, Province: []string{"Đắk Lắk"}, Organization: []string{u}, CommonName: u}
	}
	ca := func(name pkix.Name, until time.Time, pathLen int) *x509.Certificate {
		return &x509.Certificate{
			Subject: name, NotAfter: until,
			BasicConstraintsValid: true, IsCA: true, MaxPathLen: pathLen, MaxPathLenZero: pathLen == 0,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
	}
	signer := func(name pkix.Name) *x509.Certificate {
		return &x509.Certificate{
			Subject: name, NotAfter: now.AddDate(3, 0, 0), BasicConstraintsValid: true,
			KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
			UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
		}
	}
	p.Root = b.issuer("root", ca(pkiName("kyso TEST Root CA"), now.AddDate(20, 0, 0), 1), nil)
	p.Inter = b.issuer("inter", b.withAIA(ca(pkiName("kyso TEST Issuing CA"), now.AddDate(10, 0, 0), 0), "root"), p.Root)
	p.Signer = b.leaf("signer", b.withAIA(signer(unitName(unit)), "inter"), p.Inter)
	p.SignerEC = b.leaf("signer-ec", b.withAIA(signer(unitName(unit)), "inter"), p.Inter)
	p.Revoked = b.leaf("revoked", b.withAIA(signer(unitName("UBND xã Ea Kly (TEST)")), "inter"), p.Inter)
	expired := b.withAIA(signer(unitName(unit)), "inter")
	expired.NotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	expired.NotAfter = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Expired = b.leaf("expired", expired, p.Inter)
	p.TSA = b.leaf("tsa", b.withAIA(&x509.Certificate{
		Subject: pkiName("kyso TEST TSA"), NotAfter: now.AddDate(3, 0, 0), BasicConstraintsValid: true,
		KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtraExtensions: []pkix.Extension{ekuExtension(true, oidTimeStamping)},
	}, "inter"), p.Inter)
	p.OCSP = b.leaf("ocsp", &x509.Certificate{
		Subject: pkiName("kyso TEST OCSP"), NotAfter: now.AddDate(3, 0, 0), BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{
			ekuExtension(true, oidOCSPSigning),
			{Id: oidOCSPNoCheck, Value: []byte{0x05, 0x00}},
		},
	}, p.Inter)
	p.AttackerRoot = b.issuer("attacker-root", ca(pkiName("kyso TEST Root CA"), now.AddDate(20, 0, 0), 1), nil)
	p.Attacker = b.leaf("attacker", signer(unitName(unit)), p.AttackerRoot)
	if b.err != nil {
		return nil, fmt.Errorf("testpki: %w", b.err)
	}

	var err error
	p.InterCRL, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 0, 30),
		RevokedCertificateEntries: []x509.RevocationListEntry{{
			SerialNumber: p.Revoked.Cert.SerialNumber, RevocationTime: p.RevokedAt, ReasonCode: 1, // keyCompromise
		}},
	}, p.Inter.Cert, p.Inter.Key)
	if err != nil {
		return nil, fmt.Errorf("testpki: inter crl: %w", err)
	}
	p.RootCRL, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.AddDate(0, 0, 30),
	}, p.Root.Cert, p.Root.Key)
	if err != nil {
		return nil, fmt.Errorf("testpki: root crl: %w", err)
	}
	if o.Dir != "" {
		if err := p.write(o.Dir); err != nil {
			return nil, fmt.Errorf("testpki: write %s: %w", o.Dir, err)
		}
	}
	return p, nil
}

// Chain returns the issuing CA and root, the chain above every leaf but the
// attacker's.
func (p *PKI) Chain() []*x509.Certificate { return []*x509.Certificate{p.Inter.Cert, p.Root.Cert} }

// builder issues certificates, keeping the first error.
type builder struct {
	reuse   bool
	from    time.Time
	baseURL string
	err     error
}

// withAIA points t at its issuer's OCSP responder, certificate and CRL.
func (b *builder) withAIA(t *x509.Certificate, issuer string) *x509.Certificate {
	if b.baseURL != "" {
		t.OCSPServer = []string{b.baseURL + "/ocsp"}
		t.IssuingCertificateURL = []string{b.baseURL + "/" + issuer + ".crt"}
		t.CRLDistributionPoints = []string{b.baseURL + "/" + issuer + ".crl"}
	}
	return t
}

func (b *builder) issuer(role string, t *x509.Certificate, parent *Issuer) *Issuer {
	cert, key := b.issue(role, t, parent)
	return &Issuer{Cert: cert, Key: key}
}

func (b *builder) leaf(role string, t *x509.Certificate, parent *Issuer) *Leaf {
	cert, key := b.issue(role, t, parent)
	return &Leaf{Cert: cert, Key: key}
}

func (b *builder) issue(role string, t *x509.Certificate, parent *Issuer) (*x509.Certificate, crypto.Signer) {
	if b.err != nil {
		return nil, nil
	}
	key, err := roleKey(role, b.reuse)
	if err != nil {
		b.err = err
		return nil, nil
	}
	return b.issueWith(key, t, parent)
}

// issueWith issues t for key, signed by parent (self-signed when nil).
func (b *builder) issueWith(key crypto.Signer, t *x509.Certificate, parent *Issuer) (*x509.Certificate, crypto.Signer) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		b.err = err
		return nil, nil
	}
	t.SerialNumber = serial.Add(serial, big.NewInt(1))
	if t.NotBefore.IsZero() {
		t.NotBefore = b.from
	}
	t.SubjectKeyId = keyID(key.Public())
	parentCert, parentKey := t, key
	if parent != nil {
		parentCert, parentKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parentCert, key.Public(), parentKey)
	if err != nil {
		b.err = fmt.Errorf("%s certificate: %w", t.Subject.CommonName, err)
		return nil, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		b.err = err
		return nil, nil
	}
	return cert, key
}

// keyID is the SHA-1 of the subjectPublicKey bits (RFC 5280 §4.2.1.2 method 1).
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil
	}
	h := sha1.Sum(spki.Key.RightAlign())
	return h[:]
}

func ekuExtension(critical bool, oids ...asn1.ObjectIdentifier) pkix.Extension {
	v, _ := asn1.Marshal(oids) // a SEQUENCE OF OID never fails to marshal
	return pkix.Extension{Id: oidExtKeyUsage, Critical: critical, Value: v}
}

// rsaRoles get RSA-2048 keys (what real CAs, TSAs and most signers use);
// the rest get P-256, which also keeps key generation cheap.
var rsaRoles = map[string]bool{"root": true, "inter": true, "signer": true, "tsa": true}

var keyCache sync.Map // role -> *cachedKey

type cachedKey struct {
	once sync.Once
	key  crypto.Signer
	err  error
}

func roleKey(role string, reuse bool) (crypto.Signer, error) {
	gen := func() (crypto.Signer, error) {
		if rsaRoles[role] {
			return rsa.GenerateKey(rand.Reader, 2048)
		}
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if !reuse {
		return gen()
	}
	v, _ := keyCache.LoadOrStore(role, &cachedKey{})
	c := v.(*cachedKey)
	c.once.Do(func() { c.key, c.err = gen() })
	return c.key, c.err
}

func (p *PKI) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pemOf := func(certs ...*x509.Certificate) []byte {
		var out []byte
		for _, c := range certs {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return out
	}
	keyPEM := func(k crypto.Signer) ([]byte, error) {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	p12 := func(l *Leaf, chain ...*x509.Certificate) ([]byte, error) {
		return pkcs12.Modern.Encode(l.Key, l.Cert, chain, string(p.Password))
	}
	files := []struct {
		name string
		data func() ([]byte, error)
		mode os.FileMode
	}{
		{"root.crt", func() ([]byte, error) { return pemOf(p.Root.Cert), nil }, 0o644},
		{"inter.crt", func() ([]byte, error) { return pemOf(p.Inter.Cert), nil }, 0o644},
		{"attacker-root.crt", func() ([]byte, error) { return pemOf(p.AttackerRoot.Cert), nil }, 0o644},
		{"chain.pem", func() ([]byte, error) { return pemOf(p.Inter.Cert, p.Root.Cert), nil }, 0o644},
		{"trust.pem", func() ([]byte, error) { return pemOf(p.Root.Cert), nil }, 0o644},
		{"tsa.crt", func() ([]byte, error) { return pemOf(p.TSA.Cert), nil }, 0o644},
		{"ocsp.crt", func() ([]byte, error) { return pemOf(p.OCSP.Cert), nil }, 0o644},
		{"tsa.key", func() ([]byte, error) { return keyPEM(p.TSA.Key) }, 0o600},
		{"ocsp.key", func() ([]byte, error) { return keyPEM(p.OCSP.Key) }, 0o600},
		{"signer.p12", func() ([]byte, error) { return p12(p.Signer, p.Chain()...) }, 0o600},
		{"signer-ec.p12", func() ([]byte, error) { return p12(p.SignerEC, p.Chain()...) }, 0o600},
		{"revoked.p12", func() ([]byte, error) { return p12(p.Revoked, p.Chain()...) }, 0o600},
		{"expired.p12", func() ([]byte, error) { return p12(p.Expired, p.Chain()...) }, 0o600},
		{"attacker.p12", func() ([]byte, error) { return p12(p.Attacker, p.AttackerRoot.Cert) }, 0o600},
		{"inter.crl", func() ([]byte, error) { return p.InterCRL, nil }, 0o644},
		{"root.crl", func() ([]byte, error) { return p.RootCRL, nil }, 0o644},
		{"index.txt", func() ([]byte, error) { return p.opensslIndex(), nil }, 0o644},
		// The signers share a subject, which openssl's database refuses by default.
		{"index.txt.attr", func() ([]byte, error) { return []byte("unique_subject = no\n"), nil }, 0o644},
	}
	var errs []error
	for _, f := range files {
		data, err := f.data()
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, f.name), data, f.mode)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	return errors.Join(errs...)
}

// opensslIndex renders Inter's issued certificates as an `openssl ca`
// database: status, expiry, revocation[,reason], serial (hex of the bytes,
// as openssl prints it), file name, subject. Expired certificates stay "V",
// as `openssl ocsp` answers only V and R entries.
func (p *PKI) opensslIndex() []byte {
	var sb strings.Builder
	for _, l := range p.interLeaves() {
		status, revoked := "V", ""
		if l == p.Revoked {
			status, revoked = "R", opensslTime(p.RevokedAt)+",keyCompromise"
		}
		fmt.Fprintf(&sb, "%s\t%s\t%s\t%X\tunknown\t%s\n", status, opensslTime(l.Cert.NotAfter), revoked,
			l.Cert.SerialNumber.Bytes(), opensslDN(l.Cert.Subject))
	}
	return []byte(sb.String())
}

func (p *PKI) interLeaves() []*Leaf {
	return []*Leaf{p.Signer, p.SignerEC, p.Revoked, p.Expired, p.TSA, p.OCSP}
}

func opensslTime(t time.Time) string { return t.UTC().Format("060102150405Z") }

func opensslDN(n pkix.Name) string {
	var sb strings.Builder
	add := func(k string, vs []string) {
		for _, v := range vs {
			sb.WriteString("/" + k + "=" + v)
		}
	}
	add("C", n.Country)
	add("ST", n.Province)
	add("O", n.Organization)
	add("CN", []string{n.CommonName})
	return sb.String()
}
