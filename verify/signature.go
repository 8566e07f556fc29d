package verify

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"math/big"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/tsp"
)

// sigState is one signature (or document timestamp) on its way to a verdict.
type sigState struct {
	loc sigLoc
	d   *sigDict
	out Signature

	cov    *Coverage
	ranges [][2]int64
	job    *digestJob
	hash   crypto.Hash

	sd    *cms.SignedData
	si    *cms.SignerInfo
	token *tsp.Token
	// cert is the signer's (or the TSA's) certificate; pool the other
	// certificates the signature carries.
	cert *x509.Certificate
	pool []*x509.Certificate
	// pkcs1 is the bare RSA signature of adbe.x509.rsa_sha1.
	pkcs1 []byte

	// digestOK: the signed bytes hash to the value the signature holds.
	digestOK bool
	// sigOK: the signature value verified with cert.
	sigOK bool
	// proof is the time a document timestamp proves, once it is judged
	// fit to prove it (token verified, TSA trusted and not revoked).
	proof *time.Time
	// evidenceRev is the revision whose DSS first held the revocation
	// data used for the signer (-1: none from the DSS).
	evidenceRev int

	invalid, indet []string
	// findings are the conclusions with a stable ID (Report.Findings).
	findings []Finding
}

func (s *sigState) isDocTS() bool { return s.d != nil && s.d.SubFilter == subRFC3161 }

// order sorts signatures by the end of what they sign; broken ones last.
func (s *sigState) order() int64 {
	if len(s.ranges) == 2 {
		return s.ranges[1][1]
	}
	return math.MaxInt64
}

func (s *sigState) label() string { return fieldLabel(s.loc) }

func (s *sigState) invalidf(format string, a ...any) {
	s.invalid = append(s.invalid, s.finding(string(Invalid), format, a...))
}

func (s *sigState) indeterminatef(format string, a ...any) {
	s.indet = append(s.indet, s.finding(string(Indeterminate), format, a...))
}

func (s *sigState) warnf(format string, a ...any) {
	s.out.Warnings = append(s.out.Warnings, s.finding("warning", format, a...))
}

// prepare reads a signature's dictionary, checks its byte range and parses
// its CMS, so that the digests it needs are known before the file is read.
func (v *verifier) prepare(l sigLoc) (*sigState, error) {
	s := &sigState{loc: l, evidenceRev: -1}
	view := v.r.At(l.View)
	s.d = parseSigDict(view, l.Dict)
	d := s.d
	s.out = Signature{Field: sanitize(l.Field), SubFilter: d.SubFilter, Kind: kindApproval,
		Reasons: []string{}, Covers: "partial", Modification: "none", Chain: "incomplete", Revocation: "unknown",
		Level: "", Reason: d.Reason, Location: d.Location, SigningTime: d.M, Revision: -1}
	if d.DocMDP != 0 {
		s.out.Kind, s.out.DocMDP = kindCertification, d.DocMDP
	}
	if s.isDocTS() {
		s.out.Kind = kindDocTimestamp
	}
	for _, p := range d.Problems {
		s.invalidf("%s", p)
	}
	s.out.Warnings = append(s.out.Warnings, d.Warnings...)
	if l.Orphan {
		s.warnf("no signature field refers to this signature dictionary (object %d): viewers do not show it", l.DictRef.Num)
	}

	hint := int64(-1)
	if l.DictRef.Num != 0 {
		if e, ok := view.Lookup(l.DictRef.Num); ok && e.Type == 1 {
			hint = e.Offset
		}
	}
	cov, err := CheckByteRange(v.r, l.Dict, hint)
	if err != nil {
		return nil, i18n.Errorf("reading %s: %v", v.o.FileName, err)
	}
	s.cov = &cov
	for _, p := range cov.Problems {
		if d.Contents == nil && strings.HasPrefix(p, "/Contents is") {
			continue // already said by parseSigDict
		}
		s.invalidf("%s", p)
	}
	switch {
	case len(cov.Problems) > 0:
	case cov.Whole:
		s.out.Covers = "whole"
	case cov.Revision >= 0:
		s.out.Covers = "revision"
	}
	s.out.Revision = cov.Revision
	if len(d.ByteRange) == 4 {
		a, b, c, e := d.ByteRange[0], d.ByteRange[1], d.ByteRange[2], d.ByteRange[3]
		if a+b <= c && c <= v.size && e <= v.size-c && b <= v.size {
			s.ranges = [][2]int64{{a, a + b}, {c, c + e}}
		}
	}
	if d.Contents == nil {
		return s, nil
	}
	switch d.SubFilter {
	case subRFC3161:
		tok, err := tsp.ParseToken(d.Contents)
		if err != nil {
			s.invalidf("the document timestamp is not a readable RFC 3161 token: %v", err)
			return s, nil
		}
		if tok.Cert == nil && len(tok.SignedData.SignerInfos) == 1 {
			tok.Cert = tok.SignedData.SignerInfos[0].SignerCert(v.dss.certs)
		}
		s.token = tok
		s.hash = tok.Info.HashAlg
		s.cert = tok.Cert
		if tok.SignedData != nil {
			s.pool = tok.SignedData.Certificates
		}
	case subPKCS7Detached, subCAdES, subPKCS7SHA1, "":
		sd, err := cms.Parse(d.Contents)
		if err != nil {
			s.invalidf("/Contents is not a readable CMS signature: %v", err)
			return s, nil
		}
		s.sd, s.pool = sd, sd.Certificates
		if len(sd.SignerInfos) != 1 {
			s.invalidf("the CMS holds %d signer infos, not one", len(sd.SignerInfos))
		}
		s.si = sd.SignerInfos[0]
		s.hash = signerHash(s.si)
		if d.SubFilter == subPKCS7SHA1 {
			s.hash = crypto.SHA1
		}
		s.cert = s.si.SignerCert(sd.Certificates)
		if s.cert == nil {
			s.cert = s.si.SignerCert(v.dss.certs)
		}
	case subX509RSASHA1:
		for _, der := range d.Cert {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				s.invalidf("/Cert holds a certificate that cannot be read: %v", err)
				continue
			}
			s.pool = append(s.pool, c)
		}
		if len(s.pool) > 0 {
			s.cert = s.pool[0]
		}
		sig, err := cms.ParsePKCS1Contents(d.Contents)
		if err != nil {
			s.invalidf("/Contents is not a PKCS#1 signature: %v", err)
			return s, nil
		}
		s.pkcs1 = sig
		if s.cert != nil {
			if h, ok := pkcs1Hash(s.cert.PublicKey, sig); ok {
				s.hash = h
			} else {
				s.hash = crypto.SHA1
			}
		}
	}
	if s.sd == nil && s.token == nil && s.pkcs1 == nil {
		return s, nil // an unsupported SubFilter, already a problem
	}
	if !hashOK(s.hash) {
		s.indeterminatef("the digest algorithm of the signature is not supported")
		return s, nil
	}
	if s.ranges != nil {
		s.job = &digestJob{ranges: s.ranges}
		s.job.want(s.hash)
	}
	return s, nil
}

// checkIntegrity compares the digest of the signed bytes with the one the
// signature holds and verifies the signature value.
func (v *verifier) checkIntegrity(s *sigState) {
	if s.cert != nil {
		v.describeSigner(s)
	}
	if s.job != nil && s.job.over != nil {
		s.indeterminatef("the signed bytes were not hashed: %v", s.job.over)
		return
	}
	if s.job == nil || s.job.sums[s.hash] == nil {
		return
	}
	digest := s.job.sums[s.hash]
	s.out.DigestAlg = hashName(s.hash)
	switch {
	case s.token != nil:
		v.checkDocTimestamp(s, digest)
	case s.sd != nil:
		v.checkCMS(s, digest)
	case s.pkcs1 != nil:
		if s.cert == nil {
			s.invalidf("no signer certificate in /Cert")
			return
		}
		err := cms.VerifyPKCS1(s.cert.PublicKey, s.hash, digest, s.pkcs1)
		v.classifySigErr(s, s.cert, err)
		if err == nil {
			s.digestOK = true
		}
	}
	s.out.Integrity = s.digestOK
	if s.hash == crypto.SHA1 {
		s.warnf("the signature uses SHA-1, a weak digest algorithm")
	}
}

// classifySigErr records what checking the signature with cert's key gave.
func (v *verifier) classifySigErr(s *sigState, cert *x509.Certificate, err error) {
	switch {
	case err == nil:
		s.sigOK = true
	case errors.Is(err, keycheck.ErrRefused):
		v.keyRefused(s, cert, err)
	case errors.Is(err, cms.ErrUnsupported):
		s.indeterminatef("the signature could not be checked: %v", err)
	case errors.Is(err, cms.ErrBadSignature):
		s.digestOK = false
		s.invalidf("the signature value does not verify with the signer's certificate")
	default:
		s.digestOK = false
		s.invalidf("the signature does not verify: %v", err)
	}
}

// keyRefused records that the signature was not checked because keycheck
// refuses cert's key (an RSA modulus over 16384 bits...): the verdict is
// indeterminate, with the policy's finding on the key. The policy's
// max-rsa-bits is never above keycheck's bound, so its check refuses such a
// key too, in the same words as applyPolicy does later.
func (v *verifier) keyRefused(s *sigState, cert *x509.Certificate, err error) {
	var id, why string
	if cert != nil {
		if s.isDocTS() {
			id, why = v.timestampPolicy(0, time.Time{}, cert)
		} else {
			id, why = v.policy().checkKey(cert.PublicKey)
		}
	}
	if id == "" {
		id, why = FindingKeyRefused, i18n.Sprintf("the signature could not be checked: %v", err)
	}
	s.policyFinding(id, why)
}

func (v *verifier) checkCMS(s *sigState, digest []byte) {
	sd, si := s.sd, s.si
	contentDigest := digest
	switch s.d.SubFilter {
	case subPKCS7SHA1:
		// The signed content is the SHA-1 digest of the ranges.
		if !bytes.Equal(sd.EContent, digest) {
			s.invalidf("the signed bytes do not match the SHA-1 digest inside the signature: the document was changed after signing")
			return
		}
		if !hashOK(signerHash(si)) {
			s.indeterminatef("the digest algorithm of the signer info is not supported")
			return
		}
		contentDigest = digestOf(signerHash(si), sd.EContent)
	default:
		if sd.EContent != nil {
			s.warnf("the CMS carries encapsulated content, which a detached signature should not; it is ignored")
		}
	}
	if !sd.EContentType.Equal(cms.OIDData) {
		s.invalidf("the signed content type is %s, not id-data", sd.EContentType)
	}
	if si.SignedAttrsRaw != nil {
		md, err := si.MessageDigest()
		if err != nil {
			s.invalidf("%v", err)
			return
		}
		if !bytes.Equal(md, contentDigest) {
			s.invalidf("the signed bytes do not match the digest in the signature: the document was changed after signing")
			return
		}
		if ct, err := si.ContentType(); err != nil {
			s.invalidf("%v", err)
		} else if !ct.Equal(sd.EContentType) {
			s.invalidf("the content-type attribute (%s) differs from the signed content type", ct)
		}
		if !derSorted(si.SignedAttrsRaw) {
			// Verifiers that re-encode the attributes as DER (as RFC 5652
			// says they are) compute another digest and reject the
			// signature; others accept it. PAdES leaves no room for it.
			if s.d.SubFilter == subCAdES {
				s.invalidf("the signed attributes are not DER-encoded (their SET is not sorted), which ETSI.CAdES.detached requires; verifiers disagree on such a signature")
			} else {
				s.warnf("the signed attributes are not DER-encoded (their SET is not sorted); some verifiers reject such a signature")
			}
		}
		s.digestOK = true
	}
	if s.cert == nil {
		if why := s.unreadableSignerCert(sd, si); why != "" {
			s.indeterminatef("the signer's certificate cannot be read: %s", why)
		} else {
			s.digestOK = false
			s.invalidf("the signer's certificate is not in the signature")
		}
		return
	}
	err := si.VerifySignature(s.cert, contentDigest)
	v.classifySigErr(s, s.cert, err)
	if err == nil {
		s.digestOK = true
	}
	if present, err := si.CheckSigningCertificate(s.cert); err != nil {
		s.invalidf("the signing-certificate attribute does not match the signer's certificate: %v", err)
	} else if !present && s.d.SubFilter == subCAdES {
		s.warnf("no signing-certificate-v2 attribute, which PAdES requires")
	}
	if t, ok := si.SigningTime(); ok {
		if s.out.SigningTime == nil {
			t := t.UTC()
			s.out.SigningTime = &t
		}
		if s.d.SubFilter == subCAdES {
			s.warnf("a CMS signing-time attribute, which PAdES does not allow")
		}
	}
	if si.Weak() && s.hash != crypto.SHA1 {
		s.warnf("the signature uses SHA-1, a weak digest algorithm")
	}
}

// derSorted reports whether a DER SET OF has its elements in the order DER
// wants (X.690 §11.6: ascending, compared as octet strings padded with
// trailing zeros).
func derSorted(set []byte) bool {
	s := cryptobyte.String(set)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SET) {
		return false
	}
	var prev []byte
	for !body.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !body.ReadAnyASN1Element(&el, &tag) {
			return false
		}
		if prev != nil && comparePadded(prev, el) > 0 {
			return false
		}
		prev = el
	}
	return true
}

func comparePadded(a, b []byte) int {
	n := min(len(a), len(b))
	if c := bytes.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	for _, x := range a[n:] {
		if x != 0 {
			return 1
		}
	}
	for _, x := range b[n:] {
		if x != 0 {
			return -1
		}
	}
	return 0
}

// unreadableSignerCert finds the certificate the SignerInfo names when it
// is present but cannot be parsed (an elliptic curve Go does not support,
// say): then the signature is not refuted, only not checkable. It fills who
// signed from the certificate's names and returns why it could not be
// used; "" when no certificate in the CMS is the signer's.
func (s *sigState) unreadableSignerCert(sd *cms.SignedData, si *cms.SignerInfo) string {
	if si.IssuerSerial == nil {
		return ""
	}
	for _, raw := range sd.RawCertificates {
		_, err := x509.ParseCertificate(raw)
		if err == nil {
			continue
		}
		serial, issuer, subject, ok := certNames(raw)
		if !ok || serial.Cmp(si.IssuerSerial.Serial) != 0 || !bytes.Equal(issuer, si.IssuerSerial.RawIssuer) {
			continue
		}
		s.out.Signer, s.out.Issuer = rawDN(subject), rawDN(issuer)
		s.out.Serial = strings.ToUpper(hex.EncodeToString(serial.Bytes()))
		sum := sha256.Sum256(raw)
		s.out.SignerCertSHA256 = hex.EncodeToString(sum[:])
		return err.Error()
	}
	return ""
}

// certNames reads the serial number, issuer and subject of a certificate
// without parsing the rest.
func certNames(raw []byte) (serial *big.Int, issuer, subject []byte, ok bool) {
	s := cryptobyte.String(raw)
	var cert, tbs, ser, iss, sub cryptobyte.String
	if !s.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, nil, nil, false
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(0).ContextSpecific().Constructed()) ||
		!tbs.ReadASN1(&ser, cbasn1.INTEGER) || !tbs.SkipASN1(cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&iss, cbasn1.SEQUENCE) || !tbs.SkipASN1(cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&sub, cbasn1.SEQUENCE) || len(ser) == 0 {
		return nil, nil, nil, false
	}
	serial = new(big.Int).SetBytes(ser)
	if ser[0]&0x80 != 0 {
		serial.Sub(serial, new(big.Int).Lsh(big.NewInt(1), uint(len(ser))*8))
	}
	return serial, iss, sub, true
}

func rawDN(der []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return ""
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return formatDN(n)
}

func (v *verifier) checkDocTimestamp(s *sigState, digest []byte) {
	tok := s.token
	t := tok.Info.GenTime.UTC()
	s.out.TimestampTime = &t
	if tok.Cert == nil {
		s.invalidf("the TSA certificate is neither in the timestamp token nor in the DSS")
		s.digestOK = tok.MatchesImprint(digest)
		return
	}
	if err := tok.Verify(); err != nil {
		v.classifySigErr(s, tok.Cert, i18n.Errorf("the timestamp token does not verify: %v", err))
		if errors.Is(err, cms.ErrUnsupported) || errors.Is(err, keycheck.ErrRefused) {
			s.digestOK = tok.MatchesImprint(digest)
		}
		return
	}
	s.sigOK = true
	if !tok.MatchesImprint(digest) {
		s.invalidf("the signed bytes do not match the timestamp's message imprint: the document was changed after it was timestamped")
		return
	}
	s.digestOK = true
}

// describeSigner fills who signed from the signer's certificate.
func (v *verifier) describeSigner(s *sigState) {
	c := s.cert
	s.out.Signer = formatDN(c.Subject)
	s.out.Issuer = formatDN(c.Issuer)
	if c.SerialNumber != nil {
		s.out.Serial = strings.ToUpper(hex.EncodeToString(c.SerialNumber.Bytes()))
	}
	sum := sha256.Sum256(c.Raw)
	s.out.SignerCertSHA256 = hex.EncodeToString(sum[:])
	na := c.NotAfter.UTC()
	s.out.NotAfter = &na
	if s.isDocTS() {
		s.out.TSA = s.out.Signer
		s.out.TSANotAfter = &na
	}
}

func hashName(h crypto.Hash) string {
	if h == hashSHAKE256 {
		return "shake256"
	}
	return cms.HashName(h)
}

// pkcs1Hash learns the digest algorithm of a bare RSA PKCS#1 v1.5
// signature (adbe.x509.rsa_sha1 allows more than SHA-1) by opening it with
// the public key and reading its DigestInfo, so the ranges are hashed once
// with the right algorithm. The signature is still verified afterwards.
func pkcs1Hash(pub crypto.PublicKey, sig []byte) (crypto.Hash, bool) {
	pk, ok := pub.(*rsa.PublicKey)
	if !ok || keycheck.Usable(pk) != nil {
		return 0, false
	}
	k := (pk.N.BitLen() + 7) / 8
	if len(sig) != k || k > 2048 {
		return 0, false
	}
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pk.E)), pk.N)
	em := m.FillBytes(make([]byte, k))
	if em[0] != 0 || em[1] != 1 {
		return 0, false
	}
	i := 2
	for i < len(em) && em[i] == 0xFF {
		i++
	}
	if i >= len(em) || em[i] != 0 {
		return 0, false
	}
	var di struct {
		Alg struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		Digest []byte
	}
	if _, err := asn1.Unmarshal(em[i+1:], &di); err != nil {
		return 0, false
	}
	h := cms.HashFromOID(di.Alg.Algorithm)
	return h, h != 0 && h.Available()
}
