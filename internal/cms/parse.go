// Package cms reads, verifies and writes CMS SignedData (RFC 5652) as PAdES
// uses it: the signer side builds a detached CAdES signature over a digest
// computed elsewhere (the PDF is streamed, never held whole) through any
// crypto.Signer, a PKCS#11 key included; the verifier side parses untrusted
// SignedData from PDFs without panicking and checks signatures, message
// digests and ESS signing-certificate attributes.
package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignedData is a parsed CMS SignedData.
type SignedData struct {
	// Raw is the DER ContentInfo, without trailing padding; BER input is
	// converted to DER first.
	Raw              []byte
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier
	EContentType     asn1.ObjectIdentifier
	EContent         []byte // nil if detached
	// Certificates holds the certificates that parse; RawCertificates every
	// certificate entry, parsable or not.
	Certificates    []*x509.Certificate
	RawCertificates [][]byte
	CRLs            [][]byte // DER CertificateList entries
	// OtherRevocation holds the otherRevInfo of each "other"
	// RevocationInfoChoice, and OtherRevocationFormats its format at the same
	// index (OIDOCSPResponseFormat for an OCSPResponse).
	OtherRevocation        [][]byte
	OtherRevocationFormats []asn1.ObjectIdentifier
	SignerInfos            []*SignerInfo
}

// IssuerAndSerial identifies a certificate by its issuer's DER Name and serial.
type IssuerAndSerial struct {
	RawIssuer []byte
	Serial    *big.Int
}

// Attribute is a CMS attribute with its values as raw DER elements.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values [][]byte
}

// SignerInfo is one signer of a SignedData.
type SignerInfo struct {
	Raw     []byte
	Version int
	// Exactly one of IssuerSerial and SubjectKeyID is set.
	IssuerSerial    *IssuerAndSerial
	SubjectKeyID    []byte
	DigestAlgorithm pkix.AlgorithmIdentifier
	Hash            crypto.Hash // 0 if unknown
	// SignedAttrsRaw is the signed attributes re-tagged as a SET (0x31):
	// exactly the bytes the signature covers. Nil when there are none.
	SignedAttrsRaw     []byte
	SignedAttrs        []Attribute
	UnsignedAttrs      []Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

var (
	tagCtx0  = cbasn1.Tag(0).ContextSpecific().Constructed()
	tagCtx1  = cbasn1.Tag(1).ContextSpecific().Constructed()
	tagCtx0P = cbasn1.Tag(0).ContextSpecific()
)

func malformed(what string) error {
	return fail.Inputf("cms: malformed %s", what)
}

// Parse parses a ContentInfo holding a SignedData. Zero bytes after the
// structure are ignored, since a PDF /Contents is zero padded; anything else
// after it is an error. BER (indefinite lengths, segmented OCTET STRINGs) is
// accepted by converting it to DER. The result shares memory with der:
// do not change der while it is in use.
func Parse(der []byte) (*SignedData, error) {
	raw, err := outerElement(der)
	if err == nil {
		var sd *SignedData
		if sd, err = parseContentInfo(raw); err == nil {
			return sd, nil
		}
	}
	conv, rest, cerr := berToDER(der)
	if cerr != nil || !allZero(rest) || bytes.Equal(conv, raw) {
		return nil, err
	}
	return parseContentInfo(conv)
}

// outerElement returns the DER element at the start of der, checking that
// only zero padding follows.
func outerElement(der []byte) ([]byte, error) {
	s := cryptobyte.String(der)
	var el cryptobyte.String
	if !s.ReadASN1Element(&el, cbasn1.SEQUENCE) {
		return nil, malformed("content info")
	}
	if !allZero(s) {
		return nil, fail.Inputf("cms: data after the signed data")
	}
	return el, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func parseContentInfo(raw []byte) (*SignedData, error) {
	s := cryptobyte.String(raw)
	var ci, content, sdSeq cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, malformed("content info")
	}
	if !ct.Equal(OIDSignedData) {
		return nil, fail.Inputf("cms: content type %s is not signed data", ct)
	}
	if !ci.ReadASN1(&content, tagCtx0) || !ci.Empty() ||
		!content.ReadASN1(&sdSeq, cbasn1.SEQUENCE) || !content.Empty() {
		return nil, malformed("content info")
	}
	sd := &SignedData{Raw: raw}
	var algs, eci cryptobyte.String
	if !sdSeq.ReadASN1Integer(&sd.Version) || !sdSeq.ReadASN1(&algs, cbasn1.SET) {
		return nil, malformed("signed data header")
	}
	for !algs.Empty() {
		alg, ok := readAlgorithm(&algs)
		if !ok {
			return nil, malformed("digest algorithms")
		}
		sd.DigestAlgorithms = append(sd.DigestAlgorithms, alg)
	}
	if !sdSeq.ReadASN1(&eci, cbasn1.SEQUENCE) || !eci.ReadASN1ObjectIdentifier(&sd.EContentType) {
		return nil, malformed("encapsulated content info")
	}
	if eci.PeekASN1Tag(tagCtx0) {
		var wrap, oct cryptobyte.String
		if !eci.ReadASN1(&wrap, tagCtx0) || !wrap.ReadASN1(&oct, cbasn1.OCTET_STRING) || !wrap.Empty() {
			return nil, malformed("encapsulated content")
		}
		sd.EContent = append([]byte{}, oct...)
	}
	if !eci.Empty() {
		return nil, malformed("encapsulated content info")
	}
	if sdSeq.PeekASN1Tag(tagCtx0) {
		var certs cryptobyte.String
		if !sdSeq.ReadASN1(&certs, tagCtx0) {
			return nil, malformed("certificates")
		}
		for !certs.Empty() {
			var el cryptobyte.String
			var tag cbasn1.Tag
			if !certs.ReadAnyASN1Element(&el, &tag) {
				return nil, malformed("certificates")
			}
			if tag != cbasn1.SEQUENCE {
				continue // attribute or other certificate formats: not used
			}
			sd.RawCertificates = append(sd.RawCertificates, el)
			if c, err := x509.ParseCertificate(el); err == nil {
				sd.Certificates = append(sd.Certificates, c)
			}
		}
	}
	if sdSeq.PeekASN1Tag(tagCtx1) {
		var crls cryptobyte.String
		if !sdSeq.ReadASN1(&crls, tagCtx1) {
			return nil, malformed("revocation information")
		}
		for !crls.Empty() {
			var el cryptobyte.String
			var tag cbasn1.Tag
			if !crls.ReadAnyASN1Element(&el, &tag) {
				return nil, malformed("revocation information")
			}
			switch tag {
			case cbasn1.SEQUENCE:
				sd.CRLs = append(sd.CRLs, el)
			case tagCtx1:
				var body cryptobyte.String
				var format asn1.ObjectIdentifier
				if !el.ReadASN1(&body, tagCtx1) || !body.ReadASN1ObjectIdentifier(&format) {
					return nil, malformed("other revocation information")
				}
				sd.OtherRevocation = append(sd.OtherRevocation, body)
				sd.OtherRevocationFormats = append(sd.OtherRevocationFormats, format)
			}
		}
	}
	var sis cryptobyte.String
	if !sdSeq.ReadASN1(&sis, cbasn1.SET) || !sdSeq.Empty() {
		return nil, malformed("signer infos")
	}
	for !sis.Empty() {
		var el cryptobyte.String
		if !sis.ReadASN1Element(&el, cbasn1.SEQUENCE) {
			return nil, malformed("signer info")
		}
		si, err := parseSignerInfo(el)
		if err != nil {
			return nil, err
		}
		sd.SignerInfos = append(sd.SignerInfos, si)
	}
	if len(sd.SignerInfos) == 0 {
		return nil, fail.Inputf("cms: no signer info")
	}
	return sd, nil
}

func parseSignerInfo(raw []byte) (*SignerInfo, error) {
	si := &SignerInfo{Raw: raw}
	s := cryptobyte.String(raw)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SEQUENCE) || !body.ReadASN1Integer(&si.Version) {
		return nil, malformed("signer info")
	}
	switch {
	case body.PeekASN1Tag(cbasn1.SEQUENCE):
		var ias, issuer cryptobyte.String
		if !body.ReadASN1(&ias, cbasn1.SEQUENCE) || !ias.ReadASN1Element(&issuer, cbasn1.SEQUENCE) {
			return nil, malformed("signer identifier")
		}
		serial, ok := readLenientInt(&ias)
		if !ok || !ias.Empty() {
			return nil, malformed("signer serial number")
		}
		si.IssuerSerial = &IssuerAndSerial{RawIssuer: issuer, Serial: serial}
	case body.PeekASN1Tag(tagCtx0P):
		var ski cryptobyte.String
		if !body.ReadASN1(&ski, tagCtx0P) {
			return nil, malformed("signer key identifier")
		}
		si.SubjectKeyID = ski
	default:
		return nil, malformed("signer identifier")
	}
	var ok bool
	if si.DigestAlgorithm, ok = readAlgorithm(&body); !ok {
		return nil, malformed("signer digest algorithm")
	}
	si.Hash = HashFromOID(si.DigestAlgorithm.Algorithm)
	if body.PeekASN1Tag(tagCtx0) {
		var el cryptobyte.String
		if !body.ReadASN1Element(&el, tagCtx0) {
			return nil, malformed("signed attributes")
		}
		si.SignedAttrsRaw = append([]byte{0x31}, el[1:]...)
		attrs, err := parseAttributes(si.SignedAttrsRaw)
		if err != nil {
			return nil, err
		}
		si.SignedAttrs = attrs
	}
	if si.SignatureAlgorithm, ok = readAlgorithm(&body); !ok {
		return nil, malformed("signature algorithm")
	}
	var sig cryptobyte.String
	if !body.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return nil, malformed("signature value")
	}
	si.Signature = sig
	if body.PeekASN1Tag(tagCtx1) {
		var el cryptobyte.String
		if !body.ReadASN1Element(&el, tagCtx1) {
			return nil, malformed("unsigned attributes")
		}
		attrs, err := parseAttributes(append([]byte{0x31}, el[1:]...))
		if err != nil {
			return nil, err
		}
		si.UnsignedAttrs = attrs
	}
	if !body.Empty() {
		return nil, malformed("signer info")
	}
	return si, nil
}

func parseAttributes(set []byte) ([]Attribute, error) {
	s := cryptobyte.String(set)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.SET) {
		return nil, malformed("attributes")
	}
	var attrs []Attribute
	for !body.Empty() {
		var a, vals cryptobyte.String
		var at Attribute
		if !body.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&at.Type) ||
			!a.ReadASN1(&vals, cbasn1.SET) || !a.Empty() {
			return nil, malformed("attribute")
		}
		for !vals.Empty() {
			var v cryptobyte.String
			var tag cbasn1.Tag
			if !vals.ReadAnyASN1Element(&v, &tag) {
				return nil, malformed(fmt.Sprintf("value of attribute %s", at.Type))
			}
			at.Values = append(at.Values, v)
		}
		attrs = append(attrs, at)
	}
	return attrs, nil
}

// readAlgorithm reads an AlgorithmIdentifier, keeping its parameters raw.
func readAlgorithm(s *cryptobyte.String) (pkix.AlgorithmIdentifier, bool) {
	var seq cryptobyte.String
	var alg pkix.AlgorithmIdentifier
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&alg.Algorithm) {
		return alg, false
	}
	if seq.Empty() {
		return alg, true
	}
	var params cryptobyte.String
	var tag cbasn1.Tag
	if !seq.ReadAnyASN1Element(&params, &tag) || !seq.Empty() {
		return alg, false
	}
	if _, err := asn1.Unmarshal(params, &alg.Parameters); err != nil {
		return alg, false
	}
	return alg, true
}

// readLenientInt reads an INTEGER without insisting on minimal encoding:
// real certificates have serial numbers with needless leading bytes, and a
// signer identifier must still find them.
func readLenientInt(s *cryptobyte.String) (*big.Int, bool) {
	var b cryptobyte.String
	if !s.ReadASN1(&b, cbasn1.INTEGER) || len(b) == 0 {
		return nil, false
	}
	n := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 { // two's complement negative
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n, true
}

// SignedAttr returns the values of the signed attribute oid (of all its
// occurrences), or nil.
func (si *SignerInfo) SignedAttr(oid asn1.ObjectIdentifier) [][]byte {
	return attrValues(si.SignedAttrs, oid)
}

// UnsignedAttr returns the values of the unsigned attribute oid, or nil.
func (si *SignerInfo) UnsignedAttr(oid asn1.ObjectIdentifier) [][]byte {
	return attrValues(si.UnsignedAttrs, oid)
}

func attrValues(attrs []Attribute, oid asn1.ObjectIdentifier) [][]byte {
	var out [][]byte
	for _, a := range attrs {
		if a.Type.Equal(oid) {
			out = append(out, a.Values...)
		}
	}
	return out
}

// singleSignedAttr returns the one value of a signed attribute that RFC 5652
// allows only once with one value; several are an error, none is (nil, nil).
func (si *SignerInfo) singleSignedAttr(oid asn1.ObjectIdentifier, name string) ([]byte, error) {
	n := 0
	for _, a := range si.SignedAttrs {
		if a.Type.Equal(oid) {
			n++
		}
	}
	v := si.SignedAttr(oid)
	if n == 0 {
		return nil, nil
	}
	if n > 1 || len(v) != 1 {
		return nil, fail.Inputf("cms: %s attribute must have exactly one value", name)
	}
	return v[0], nil
}

// MessageDigest returns the message-digest signed attribute.
func (si *SignerInfo) MessageDigest() ([]byte, error) {
	v, err := si.singleSignedAttr(OIDMessageDigest, "message-digest")
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fail.Inputf("cms: no message-digest attribute")
	}
	s := cryptobyte.String(v)
	var d cryptobyte.String
	if !s.ReadASN1(&d, cbasn1.OCTET_STRING) || !s.Empty() {
		return nil, malformed("message-digest attribute")
	}
	return d, nil
}

// ContentType returns the content-type signed attribute.
func (si *SignerInfo) ContentType() (asn1.ObjectIdentifier, error) {
	v, err := si.singleSignedAttr(OIDContentType, "content-type")
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fail.Inputf("cms: no content-type attribute")
	}
	s := cryptobyte.String(v)
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1ObjectIdentifier(&oid) || !s.Empty() {
		return nil, malformed("content-type attribute")
	}
	return oid, nil
}

// SigningTime returns the signing-time signed attribute, a claim of the
// signer and not trusted time.
func (si *SignerInfo) SigningTime() (time.Time, bool) {
	v, err := si.singleSignedAttr(OIDSigningTime, "signing-time")
	if err != nil || v == nil {
		return time.Time{}, false
	}
	t, err := ParseTime(v)
	return t, err == nil
}

// ParseTime parses a DER UTCTime or GeneralizedTime element, allowing the
// fractional seconds of RFC 3161 genTime.
func ParseTime(el []byte) (time.Time, error) {
	var t time.Time
	if rest, err := asn1.Unmarshal(el, &t); err == nil && len(rest) == 0 {
		return t, nil
	}
	s := cryptobyte.String(el)
	var body cryptobyte.String
	if !s.ReadASN1(&body, cbasn1.GeneralizedTime) || !s.Empty() {
		return t, fail.Inputf("cms: malformed time")
	}
	str := string(body)
	if !strings.HasSuffix(str, "Z") || len(str) < 15 {
		return t, fail.Inputf("cms: malformed time %q", str)
	}
	t, err := time.Parse("20060102150405Z", str)
	if err != nil {
		return t, fail.Inputf("cms: malformed time %q", str)
	}
	return t, nil
}

// SignerCert returns the certificate of certs that the signer identifier
// names, or nil.
func (si *SignerInfo) SignerCert(certs []*x509.Certificate) *x509.Certificate {
	for _, c := range certs {
		switch {
		case si.IssuerSerial != nil:
			if c.SerialNumber != nil && c.SerialNumber.Cmp(si.IssuerSerial.Serial) == 0 &&
				bytes.Equal(c.RawIssuer, si.IssuerSerial.RawIssuer) {
				return c
			}
		case si.SubjectKeyID != nil:
			if bytes.Equal(c.SubjectKeyId, si.SubjectKeyID) {
				return c
			}
		}
	}
	return nil
}
