// Package tsp speaks RFC 3161 (with RFC 5816): a client that asks a list of
// timestamp authorities in turn and checks every answer before trusting it,
// a parser and verifier for TimeStampTokens found in PDFs (untrusted input),
// and a small TSA server for tests and `kyso demo`.
package tsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"github.com/kyso-project/kyso/internal/i18n"
	"math/big"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keycheck"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Token is a TimeStampToken: a SignedData over a TSTInfo.
type Token struct {
	DER        []byte // the DER ContentInfo
	SignedData *cms.SignedData
	Info       TSTInfo
	// Cert is the TSA certificate, found among the token's certificates. A
	// caller that found it elsewhere (a DSS) may set it before Verify.
	Cert *x509.Certificate
}

// TSTInfo is what the TSA asserts: this imprint existed at GenTime.
type TSTInfo struct {
	Version int
	Policy  asn1.ObjectIdentifier
	// HashAlg is the hash the imprint was made with, the one to hash the
	// timestamped data with before MatchesImprint.
	HashAlg       crypto.Hash
	HashedMessage []byte
	Serial        *big.Int
	GenTime       time.Time
	Accuracy      time.Duration // 0 if not given
	Nonce         *big.Int      // nil if absent
	TSAName       string        // "" if absent
}

var (
	oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}
	tagCtx0        = cbasn1.Tag(0).ContextSpecific()
	tagCtx1        = cbasn1.Tag(1).ContextSpecific()
)

func malformed(what string) error { return fail.Inputf("timestamp: malformed %s", what) }

// ParseToken parses a TimeStampToken (trailing zero padding allowed, as in a
// document timestamp's /Contents). It does not verify it: see Verify.
func ParseToken(der []byte) (*Token, error) {
	sd, err := cms.Parse(der)
	if err != nil {
		return nil, i18n.Errorf("timestamp token: %v", err)
	}
	if !sd.EContentType.Equal(cms.OIDTSTInfo) {
		return nil, fail.Inputf("timestamp token: content type %s is not tstinfo", sd.EContentType)
	}
	if sd.EContent == nil {
		return nil, fail.Inputf("timestamp token: no tstinfo")
	}
	info, err := parseTSTInfo(sd.EContent)
	if err != nil {
		return nil, err
	}
	t := &Token{DER: sd.Raw, SignedData: sd, Info: info}
	if len(sd.SignerInfos) > 0 {
		t.Cert = sd.SignerInfos[0].SignerCert(sd.Certificates)
	}
	return t, nil
}

// MatchesImprint reports whether the token's imprint is digest, which the
// caller made with Info.HashAlg.
func (t *Token) MatchesImprint(digest []byte) bool {
	return len(digest) > 0 && bytes.Equal(t.Info.HashedMessage, digest)
}

// MatchesData reports whether the token's imprint is the hash of data, such
// as the SignerInfo.signature a signature-time-stamp covers.
func (t *Token) MatchesData(data []byte) bool {
	if !t.Info.HashAlg.Available() {
		return false
	}
	h := t.Info.HashAlg.New()
	h.Write(data)
	return t.MatchesImprint(h.Sum(nil))
}

// Verify checks the token: one signer, content-type and message-digest
// attributes that fit the TSTInfo, a signature that verifies with the TSA
// certificate, an ESS signing-certificate(-v2) attribute naming that
// certificate, and a certificate fit for timestamping (extended key usage
// id-kp-timeStamping only, critical) and valid at GenTime. The certificate's
// purpose and its key (keycheck.Usable: an RSA modulus of at most 16384
// bits...) are checked before the signature, whose cost is then a few
// milliseconds at most. Chain and revocation of the TSA certificate are
// the caller's.
func (t *Token) Verify() error {
	sd := t.SignedData
	if sd == nil || len(sd.SignerInfos) != 1 {
		return fail.Inputf("timestamp token: must have exactly one signer")
	}
	si := sd.SignerInfos[0]
	if t.Cert == nil {
		return fail.Inputf("timestamp token: the tsa certificate is not in the token")
	}
	if si.SignedAttrsRaw == nil {
		return fail.Inputf("timestamp token: no signed attributes")
	}
	if t.Info.Version != 1 {
		return fail.Inputf("timestamp token: tstinfo version %d", t.Info.Version)
	}
	ct, err := si.ContentType()
	if err != nil {
		return i18n.Errorf("timestamp token: %v", err)
	}
	if !ct.Equal(cms.OIDTSTInfo) {
		return fail.Inputf("timestamp token: signed content type %s is not tstinfo", ct)
	}
	if !si.Hash.Available() || si.Hash == crypto.MD5 {
		return fail.Inputf("timestamp token: unsupported digest algorithm %s", si.DigestAlgorithm.Algorithm)
	}
	// What costs nothing comes before the signature: the certificate's
	// purpose, and its key against keycheck's bound, so that a hostile
	// token never makes kyso compute with a huge key.
	if err := checkTSACert(t.Cert); err != nil {
		return err
	}
	if err := keycheck.Cert(t.Cert); err != nil {
		return i18n.Errorf("timestamp token: tsa certificate %q: %v", t.Cert.Subject.CommonName, err)
	}
	present, err := si.CheckSigningCertificate(t.Cert)
	if err != nil {
		return i18n.Errorf("timestamp token: %v", err)
	}
	if !present {
		return fail.Inputf("timestamp token: no ess signing-certificate attribute")
	}
	h := si.Hash.New()
	h.Write(sd.EContent)
	if err := si.VerifySignature(t.Cert, h.Sum(nil)); err != nil {
		return i18n.Errorf("timestamp token: %v", err)
	}
	if t.Info.GenTime.Before(t.Cert.NotBefore) || t.Info.GenTime.After(t.Cert.NotAfter) {
		return fail.Inputf("timestamp token: tsa certificate %q is not valid at %s", t.Cert.Subject.CommonName,
			t.Info.GenTime.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkTSACert applies RFC 3161 §2.3: the extended key usage is critical
// and holds id-kp-timeStamping alone.
func checkTSACert(c *x509.Certificate) error {
	critical, found := false, false
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			critical, found = e.Critical, true
		}
	}
	name := c.Subject.CommonName
	switch {
	case !found:
		return fail.Inputf("timestamp token: tsa certificate %q has no extended key usage", name)
	case !critical:
		return fail.Inputf("timestamp token: tsa certificate %q has a non-critical extended key usage", name)
	case len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0:
		return fail.Inputf("timestamp token: tsa certificate %q is not for timestamping only", name)
	}
	return nil
}

func parseTSTInfo(der []byte) (TSTInfo, error) {
	var info TSTInfo
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() || !seq.ReadASN1Integer(&info.Version) ||
		!seq.ReadASN1ObjectIdentifier(&info.Policy) {
		return info, malformed("tstinfo")
	}
	imp, err := readImprint(&seq)
	if err != nil {
		return info, err
	}
	info.HashAlg, info.HashedMessage = imp.hash, imp.hashed
	if info.HashAlg == 0 {
		return info, fail.Inputf("timestamp token: unknown imprint hash %s", imp.oid)
	}
	info.Serial = new(big.Int)
	if !seq.ReadASN1Integer(info.Serial) {
		return info, malformed("tstinfo serial number")
	}
	var gt cryptobyte.String
	if !seq.ReadASN1Element(&gt, cbasn1.GeneralizedTime) {
		return info, malformed("tstinfo time")
	}
	if info.GenTime, err = cms.ParseTime(gt); err != nil {
		return info, malformed("tstinfo time")
	}
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		if info.Accuracy, err = readAccuracy(&seq); err != nil {
			return info, err
		}
	}
	var ordering bool
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !seq.ReadASN1Boolean(&ordering) {
		return info, malformed("tstinfo ordering")
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		info.Nonce = new(big.Int)
		if !seq.ReadASN1Integer(info.Nonce) {
			return info, malformed("tstinfo nonce")
		}
	}
	if seq.PeekASN1Tag(tagCtx0.Constructed()) {
		var w cryptobyte.String
		if !seq.ReadASN1(&w, tagCtx0.Constructed()) {
			return info, malformed("tstinfo tsa name")
		}
		info.TSAName = generalName(w)
	}
	if !seq.SkipOptionalASN1(tagCtx1.Constructed()) || !seq.Empty() {
		return info, malformed("tstinfo")
	}
	return info, nil
}

func readAccuracy(s *cryptobyte.String) (time.Duration, error) {
	var acc cryptobyte.String
	if !s.ReadASN1(&acc, cbasn1.SEQUENCE) {
		return 0, malformed("tstinfo accuracy")
	}
	var sec, ms, us int64
	if acc.PeekASN1Tag(cbasn1.INTEGER) && !acc.ReadASN1Integer(&sec) ||
		acc.PeekASN1Tag(tagCtx0) && !acc.ReadASN1Int64WithTag(&ms, tagCtx0) ||
		acc.PeekASN1Tag(tagCtx1) && !acc.ReadASN1Int64WithTag(&us, tagCtx1) ||
		!acc.Empty() || sec < 0 || sec > 1<<30 || ms < 0 || ms > 999 || us < 0 || us > 999 {
		return 0, malformed("tstinfo accuracy")
	}
	return time.Duration(sec)*time.Second + time.Duration(ms)*time.Millisecond + time.Duration(us)*time.Microsecond, nil
}

// generalName renders the GeneralName forms a TSA name uses.
func generalName(s cryptobyte.String) string {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return ""
	}
	switch tag {
	case cbasn1.Tag(4).ContextSpecific().Constructed(): // directoryName
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(v, &rdn); err != nil || len(rest) != 0 {
			return ""
		}
		var n pkix.Name
		n.FillFromRDNSequence(&rdn)
		return n.String()
	case cbasn1.Tag(1).ContextSpecific(), cbasn1.Tag(2).ContextSpecific(), cbasn1.Tag(6).ContextSpecific():
		return string(v)
	}
	return ""
}

type imprint struct {
	raw    []byte // the whole MessageImprint element
	oid    asn1.ObjectIdentifier
	hash   crypto.Hash
	hashed []byte
}

func readImprint(s *cryptobyte.String) (imprint, error) {
	var imp imprint
	var el, seq, alg, hashed cryptobyte.String
	if !s.ReadASN1Element(&el, cbasn1.SEQUENCE) {
		return imp, malformed("message imprint")
	}
	imp.raw = el
	if !el.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&imp.oid) || !seq.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !seq.Empty() {
		return imp, malformed("message imprint")
	}
	// parameters: absent or NULL
	if !alg.Empty() && (!alg.SkipASN1(cbasn1.NULL) || !alg.Empty()) {
		return imp, malformed("message imprint algorithm")
	}
	imp.hash, imp.hashed = cms.HashFromOID(imp.oid), hashed
	if imp.hash != 0 && len(hashed) != imp.hash.Size() {
		return imp, malformed("message imprint length")
	}
	return imp, nil
}
