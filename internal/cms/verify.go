package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // registers the hashes that signatures name
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keycheck"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Errors a verifier tells apart: a signature that is wrong (ErrBadSignature,
// ErrDigestMismatch, ErrSigningCertMismatch) from one that kyso cannot check
// (ErrUnsupported).
var (
	ErrBadSignature        = errors.New("cms: signature does not verify")
	ErrDigestMismatch      = errors.New("cms: message digest does not match the signed content")
	ErrSigningCertMismatch = errors.New("cms: signing-certificate attribute does not match the signer certificate")
	ErrUnsupported         = errors.New("cms: unsupported algorithm")
)

func unsupported(format string, a ...any) error {
	return fail.Input(i18n.Errorf("%v: "+format, append([]any{ErrUnsupported}, a...)...), "")
}

// VerifySignature checks the signature with cert's public key. With signed
// attributes it covers SignedAttrsRaw, and when contentDigest is not nil the
// message-digest attribute must equal it; without signed attributes the
// signature covers contentDigest itself. RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA
// and Ed25519 are accepted, SHA-1 included (see Weak); MD5 is refused. A
// key keycheck.Usable refuses (an RSA modulus over 16384 bits...) is
// refused before any computation: the error wraps keycheck.ErrRefused.
func (si *SignerInfo) VerifySignature(cert *x509.Certificate, contentDigest []byte) error {
	if cert == nil {
		return fail.Inputf("cms: no signer certificate")
	}
	if si.SignedAttrsRaw != nil && contentDigest != nil {
		md, err := si.MessageDigest()
		if err != nil {
			return err
		}
		if !bytes.Equal(md, contentDigest) {
			return fail.Input(ErrDigestMismatch, "")
		}
	}
	if si.SignedAttrsRaw == nil && contentDigest == nil {
		return fail.Inputf("cms: no signed attributes and no content digest to verify")
	}
	return verify(cert.PublicKey, si.SignatureAlgorithm, si.Hash, si.SignedAttrsRaw, contentDigest, si.Signature)
}

// verify checks sig over msg (hashed with the hash the signature algorithm
// names, else digestHash) or, when msg is nil, over digest made with
// digestHash.
func verify(pub crypto.PublicKey, alg pkix.AlgorithmIdentifier, digestHash crypto.Hash, msg, digest, sig []byte) error {
	if err := keycheck.Usable(pub); err != nil {
		return keyRefused(err)
	}
	scheme, ok := sigSchemeOf(alg.Algorithm)
	if !ok {
		return unsupported("signature algorithm %s", alg.Algorithm)
	}
	h := scheme.hash
	var pss *rsa.PSSOptions
	if scheme.kind == sigRSAPSS {
		var err error
		if h, pss, err = pssParams(alg.Parameters.FullBytes); err != nil {
			return err
		}
	}
	if h == 0 {
		h = digestHash
	}
	if scheme.kind == sigEd25519 {
		pk, ok := pub.(ed25519.PublicKey)
		if !ok {
			return fail.Inputf("cms: ed25519 signature but the certificate key is %T", pub)
		}
		if msg == nil {
			return unsupported("ed25519 without signed attributes")
		}
		if !ed25519.Verify(pk, msg, sig) {
			return fail.Input(ErrBadSignature, "")
		}
		return nil
	}
	switch h {
	case crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512:
	case 0:
		return unsupported("unknown digest algorithm")
	default:
		return unsupported("digest algorithm %s", HashName(h))
	}
	if msg != nil {
		hh := h.New()
		hh.Write(msg)
		digest = hh.Sum(nil)
	} else if h != digestHash || len(digest) != h.Size() {
		return fail.Inputf("cms: content digest is not %s", HashName(h))
	}
	var err error
	switch scheme.kind {
	case sigRSAPKCS1, sigRSAPSS:
		pk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return fail.Inputf("cms: rsa signature but the certificate key is %T", pub)
		}
		if pss != nil {
			err = rsa.VerifyPSS(pk, h, digest, sig, pss)
		} else {
			err = rsa.VerifyPKCS1v15(pk, h, digest, sig)
		}
	case sigECDSA:
		pk, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fail.Inputf("cms: ecdsa signature but the certificate key is %T", pub)
		}
		if !ecdsa.VerifyASN1(pk, digest, sig) {
			err = ErrBadSignature
		}
	}
	if err != nil {
		return fail.Input(ErrBadSignature, "")
	}
	return nil
}

// keyRefused is the error for a signer key keycheck refuses: not a wrong
// signature, one kyso will not check.
func keyRefused(err error) error {
	return fail.Input(i18n.Errorf("cms: %v", err), "")
}

// pssParams reads RSASSA-PSS-params (RFC 4055). Go's verifier uses MGF1
// with the message hash, so any other mask hash is refused.
func pssParams(der []byte) (crypto.Hash, *rsa.PSSOptions, error) {
	h, mgfHash, salt, trailer := crypto.SHA1, crypto.SHA1, int64(20), int64(1)
	bad := fail.Inputf("cms: malformed rsassa-pss parameters")
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return 0, nil, bad
	}
	if seq.PeekASN1Tag(tagCtx0) {
		var w cryptobyte.String
		if !seq.ReadASN1(&w, tagCtx0) {
			return 0, nil, bad
		}
		a, ok := readAlgorithm(&w)
		if !ok || !w.Empty() {
			return 0, nil, bad
		}
		h = HashFromOID(a.Algorithm)
	}
	if seq.PeekASN1Tag(tagCtx1) {
		var w cryptobyte.String
		if !seq.ReadASN1(&w, tagCtx1) {
			return 0, nil, bad
		}
		mgf, ok := readAlgorithm(&w)
		if !ok || !w.Empty() || !mgf.Algorithm.Equal(oidMGF1) {
			return 0, nil, unsupported("rsassa-pss mask generation %s", mgf.Algorithm)
		}
		p := cryptobyte.String(mgf.Parameters.FullBytes)
		inner, ok := readAlgorithm(&p)
		if !ok || !p.Empty() {
			return 0, nil, bad
		}
		mgfHash = HashFromOID(inner.Algorithm)
	}
	if seq.PeekASN1Tag(cbasn1.Tag(2).ContextSpecific().Constructed()) {
		var w cryptobyte.String
		if !seq.ReadASN1(&w, cbasn1.Tag(2).ContextSpecific().Constructed()) || !w.ReadASN1Integer(&salt) || !w.Empty() {
			return 0, nil, bad
		}
	}
	if seq.PeekASN1Tag(cbasn1.Tag(3).ContextSpecific().Constructed()) {
		var w cryptobyte.String
		if !seq.ReadASN1(&w, cbasn1.Tag(3).ContextSpecific().Constructed()) || !w.ReadASN1Integer(&trailer) || !w.Empty() {
			return 0, nil, bad
		}
	}
	if !seq.Empty() || !s.Empty() || salt < 0 || salt > 1024 || trailer != 1 {
		return 0, nil, bad
	}
	if h != mgfHash {
		return 0, nil, unsupported("rsassa-pss with mgf1 over %s and message hash %s", HashName(mgfHash), HashName(h))
	}
	return h, &rsa.PSSOptions{SaltLength: int(salt), Hash: h}, nil
}

// Weak reports whether the signature rests on SHA-1 (or MD5): acceptable for
// reading old files, not for new signatures.
func (si *SignerInfo) Weak() bool {
	weak := func(h crypto.Hash) bool { return h == crypto.SHA1 || h == crypto.MD5 }
	if weak(si.Hash) {
		return true
	}
	scheme, ok := sigSchemeOf(si.SignatureAlgorithm.Algorithm)
	if !ok {
		return false
	}
	if scheme.kind == sigRSAPSS {
		h, _, err := pssParams(si.SignatureAlgorithm.Parameters.FullBytes)
		return err == nil && weak(h)
	}
	return weak(scheme.hash)
}

// CheckSigningCertificate checks the ESS signing-certificate-v2 and
// signing-certificate attributes, whichever are present: the first
// certificate each names must be cert (its hash, and its serial number when
// given). It reports whether any was present.
func (si *SignerInfo) CheckSigningCertificate(cert *x509.Certificate) (bool, error) {
	if cert == nil {
		return false, fail.Inputf("cms: no signer certificate")
	}
	present := false
	for _, v2 := range []bool{true, false} {
		oid, name := OIDSigningCertificate, "signing-certificate"
		if v2 {
			oid, name = OIDSigningCertificateV2, "signing-certificate-v2"
		}
		v, err := si.singleSignedAttr(oid, name)
		if err != nil {
			return present, err
		}
		if v == nil {
			continue
		}
		present = true
		if err := checkESSCertID(v, v2, cert); err != nil {
			return present, err
		}
	}
	return present, nil
}

func checkESSCertID(v []byte, v2 bool, cert *x509.Certificate) error {
	bad := malformed("signing-certificate attribute")
	s := cryptobyte.String(v)
	var sc, ids, id, certHash cryptobyte.String
	if !s.ReadASN1(&sc, cbasn1.SEQUENCE) || !s.Empty() || !sc.ReadASN1(&ids, cbasn1.SEQUENCE) ||
		!ids.ReadASN1(&id, cbasn1.SEQUENCE) {
		return bad
	}
	h := crypto.SHA1
	if v2 {
		h = crypto.SHA256
		if id.PeekASN1Tag(cbasn1.SEQUENCE) {
			alg, ok := readAlgorithm(&id)
			if !ok {
				return bad
			}
			h = HashFromOID(alg.Algorithm)
		}
	}
	if !id.ReadASN1(&certHash, cbasn1.OCTET_STRING) {
		return bad
	}
	switch h {
	case crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return unsupported("signing-certificate hash")
	}
	hh := h.New()
	hh.Write(cert.Raw)
	if !bytes.Equal(hh.Sum(nil), certHash) {
		return fail.Input(ErrSigningCertMismatch, "")
	}
	if id.Empty() {
		return nil
	}
	var is cryptobyte.String
	if !id.ReadASN1(&is, cbasn1.SEQUENCE) || !is.SkipASN1(cbasn1.SEQUENCE) {
		return bad
	}
	serial, ok := readLenientInt(&is)
	if !ok {
		return bad
	}
	if cert.SerialNumber == nil || serial.Cmp(cert.SerialNumber) != 0 {
		return fail.Input(ErrSigningCertMismatch, "")
	}
	return nil
}

// AdobeRevocationInfo returns the CRLs and OCSP responses of the Adobe
// revocation-info-archival signed attribute (1.2.840.113583.1.1.8), which
// Acrobat-era signers embed instead of a DSS.
func (si *SignerInfo) AdobeRevocationInfo() (crls, ocsps [][]byte, err error) {
	v, err := si.singleSignedAttr(OIDAdobeRevocationInfoArchival, "adobe revocation-info-archival")
	if err != nil || v == nil {
		return nil, nil, err
	}
	bad := malformed("adobe revocation-info-archival attribute")
	s := cryptobyte.String(v)
	var seq cryptobyte.String
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() {
		return nil, nil, bad
	}
	for _, f := range []struct {
		tag cbasn1.Tag
		out *[][]byte
	}{{tagCtx0, &crls}, {tagCtx1, &ocsps}} {
		if !seq.PeekASN1Tag(f.tag) {
			continue
		}
		var w, list cryptobyte.String
		if !seq.ReadASN1(&w, f.tag) || !w.ReadASN1(&list, cbasn1.SEQUENCE) || !w.Empty() {
			return nil, nil, bad
		}
		for !list.Empty() {
			var el cryptobyte.String
			if !list.ReadASN1Element(&el, cbasn1.SEQUENCE) {
				return nil, nil, bad
			}
			*f.out = append(*f.out, el)
		}
	}
	return crls, ocsps, nil
}

// VerifyPKCS1 checks a bare RSA PKCS#1 v1.5 signature over digest, as the
// legacy adbe.x509.rsa_sha1 subfilter stores it (see ParsePKCS1Contents).
func VerifyPKCS1(pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) error {
	pk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return fail.Inputf("cms: pkcs#1 signature but the certificate key is %T", pub)
	}
	if err := keycheck.Usable(pub); err != nil {
		return keyRefused(err)
	}
	if h == crypto.MD5 || !h.Available() {
		return unsupported("digest algorithm %s", HashName(h))
	}
	if err := rsa.VerifyPKCS1v15(pk, h, digest, sig); err != nil {
		return fail.Input(ErrBadSignature, "")
	}
	return nil
}

// ParsePKCS1Contents returns the signature inside the DER OCTET STRING of an
// adbe.x509.rsa_sha1 /Contents, ignoring its zero padding.
func ParsePKCS1Contents(der []byte) ([]byte, error) {
	s := cryptobyte.String(der)
	var sig cryptobyte.String
	if !s.ReadASN1(&sig, cbasn1.OCTET_STRING) || !allZero(s) || len(sig) == 0 {
		return nil, malformed("pkcs#1 signature contents")
	}
	return sig, nil
}
