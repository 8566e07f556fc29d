package revocation

import (
	"bytes"
	"crypto"
	_ "crypto/sha1" // OCSP CertIDs and responder key hashes use SHA-1
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/pdf"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// The OCSP structures of RFC 6960 §4.2.1. x/crypto/ocsp parses them too,
// but matches a response to a certificate by serial number alone, trusts a
// delegated responder without looking at its EKU, and cannot take the
// responder certificate from anywhere but the first embedded one; so kyso
// parses them itself and keeps x/crypto for requests and its Response type.
type ocspResponseASN1 struct {
	Status   asn1.Enumerated
	Response ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type basicOCSPResponse struct {
	TBSResponseData    asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseData struct {
	Version     int `asn1:"optional,default:0,explicit,tag:0"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []ocspSingleResponse
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspCertID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

type ocspSingleResponse struct {
	CertID     ocspCertID
	Good       asn1.Flag        `asn1:"tag:0,optional"`
	Revoked    ocspRevokedInfo  `asn1:"tag:1,optional"`
	Unknown    asn1.Flag        `asn1:"tag:2,optional"`
	ThisUpdate time.Time        `asn1:"generalized"`
	NextUpdate time.Time        `asn1:"generalized,explicit,tag:0,optional"`
	Extensions []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type ocspRevokedInfo struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

var (
	oidOCSPBasic   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidRSAPSS      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
)

var hashByOID = map[string]crypto.Hash{
	"1.3.14.3.2.26":          crypto.SHA1,
	"2.16.840.1.101.3.4.2.1": crypto.SHA256,
	"2.16.840.1.101.3.4.2.2": crypto.SHA384,
	"2.16.840.1.101.3.4.2.3": crypto.SHA512,
}

var sigAlgByOID = map[string]x509.SignatureAlgorithm{
	"1.2.840.113549.1.1.5":  x509.SHA1WithRSA,
	"1.2.840.113549.1.1.11": x509.SHA256WithRSA,
	"1.2.840.113549.1.1.12": x509.SHA384WithRSA,
	"1.2.840.113549.1.1.13": x509.SHA512WithRSA,
	"1.2.840.10045.4.1":     x509.ECDSAWithSHA1,
	"1.2.840.10045.4.3.2":   x509.ECDSAWithSHA256,
	"1.2.840.10045.4.3.3":   x509.ECDSAWithSHA384,
	"1.2.840.10045.4.3.4":   x509.ECDSAWithSHA512,
	"1.3.101.112":           x509.PureEd25519,
}

// errOtherCert marks evidence about some other certificate: not a problem,
// just not this certificate's (a DSS holds the responses of every signer).
var errOtherCert = errors.New("not about this certificate")

// parseOCSP reads an OCSPResponse (or a bare BasicOCSPResponse, as some
// writers embed) about cert, issued by issuer, and checks it was signed by
// the issuer or by a responder the issuer delegated to (issued directly by
// it, with EKU OCSPSigning, valid when the response was produced). The
// responder certificate is looked for in the response and then in extra.
// A key keycheck refuses checks no signature.
// It returns the response with Certificate set to the delegated responder
// (nil when the issuer signed), and the response as a full OCSPResponse.
func parseOCSP(raw []byte, cert, issuer *x509.Certificate, extra []*x509.Certificate) (*ocsp.Response, []byte, error) {
	return readOCSP(raw, MaxOCSPStatuses).about(cert, issuer, extra)
}

// MaxOCSPStatuses bounds the certificate statuses (SingleResponses) of one
// OCSP response kyso reads; MaxOCSPStatusesPerFile those of all the
// responses of one file (an OCSPCache). A response over either is not
// used, and says which limit it went over. Responders answer for the one
// certificate asked about, or a handful; a response of ten thousand
// statuses is there to cost time.
const (
	MaxOCSPStatuses        = 1024
	MaxOCSPStatusesPerFile = 16384
)

// ocspWork counts the OCSP responses read, for tests.
var ocspWork struct{ reads, statuses, sigChecks atomic.Int64 }

// OCSPWork reports how many OCSP responses were read (each decoded once),
// how many certificate statuses they held, and how many OCSP signatures
// were checked since the program started. It is for tests that check the
// work is linear.
func OCSPWork() (reads, statuses, sigChecks int64) {
	return ocspWork.reads.Load(), ocspWork.statuses.Load(), ocspWork.sigChecks.Load()
}

// ocspInfo is an OCSP response read once: decoded, its embedded
// certificates parsed and its statuses indexed by CertID, so that looking
// a certificate up costs a map look-up, not a decoding of every status.
type ocspInfo struct {
	err      error // why it cannot be used: malformed, over a limit
	full     []byte
	basic    basicOCSPResponse
	data     ocspResponseData
	embedded []*x509.Certificate
	// index finds the statuses by CertID (hash algorithm, issuer name
	// and key hashes, serial), in the order of the response.
	index    map[string][]int
	algs     []string // the hash algorithms the CertIDs use
	statuses int

	mu       sync.Mutex
	verdicts map[[32]byte]error // signature check by signer certificate
}

// readOCSP reads raw; a response of more than max statuses is refused
// before it is decoded.
func readOCSP(raw []byte, max int) *ocspInfo {
	ocspWork.reads.Add(1)
	basicDER, full, err := unwrapOCSP(raw)
	if err != nil {
		return &ocspInfo{err: err}
	}
	info := &ocspInfo{full: full}
	if rest, err := asn1.Unmarshal(basicDER, &info.basic); err != nil || len(rest) > 0 {
		return &ocspInfo{err: i18n.Errorf("malformed OCSP response: %v", errOr(err, "trailing data"))}
	}
	n, counted := countStatuses(info.basic.TBSResponseData.FullBytes)
	if counted && n > max {
		return &ocspInfo{err: ocspLimit(n, max)}
	}
	if rest, err := asn1.Unmarshal(info.basic.TBSResponseData.FullBytes, &info.data); err != nil || len(rest) > 0 {
		return &ocspInfo{err: i18n.Errorf("malformed OCSP response data: %v", errOr(err, "trailing data"))}
	}
	info.statuses = len(info.data.Responses)
	ocspWork.statuses.Add(int64(info.statuses))
	if info.statuses > max {
		return &ocspInfo{err: ocspLimit(info.statuses, max)}
	}
	for _, rc := range info.basic.Certificates {
		if c, err := x509.ParseCertificate(rc.FullBytes); err == nil {
			info.embedded = append(info.embedded, c)
		}
	}
	info.index = map[string][]int{}
	for i := range info.data.Responses {
		id := &info.data.Responses[i].CertID
		alg := id.HashAlgorithm.Algorithm.String()
		k := certIDKey(alg, id.IssuerNameHash, id.IssuerKeyHash, id.SerialNumber)
		if !slices.Contains(info.algs, alg) {
			info.algs = append(info.algs, alg)
		}
		info.index[k] = append(info.index[k], i)
	}
	return info
}

func ocspLimit(n, max int) error {
	if max == MaxOCSPStatuses {
		return pdf.LimitErrorf("MaxOCSPStatuses", int64(max), "the OCSP response holds %d certificate statuses, more than %d", n, max)
	}
	return pdf.LimitErrorf("MaxOCSPStatusesPerFile", MaxOCSPStatusesPerFile, "the OCSP responses of the file hold more than %d certificate statuses", MaxOCSPStatusesPerFile)
}

// certIDKey is the index key of a CertID. Keys may collide (the parts are
// not length-prefixed); findSingle compares the parts themselves.
func certIDKey(alg string, nameHash, keyHash []byte, serial *big.Int) string {
	s := ""
	if serial != nil {
		s = serial.Text(16)
	}
	return alg + "|" + string(nameHash) + "|" + string(keyHash) + "|" + s
}

// countStatuses counts the SingleResponses of a ResponseData without
// decoding them; ok is false when it cannot be walked (decoding then says
// why).
func countStatuses(tbs []byte) (n int, ok bool) {
	in := cryptobyte.String(tbs)
	var data cryptobyte.String
	if !in.ReadASN1(&data, cbasn1.SEQUENCE) {
		return 0, false
	}
	var skip cryptobyte.String
	var tag cbasn1.Tag
	if data.PeekASN1Tag(cbasn1.Tag(0).ContextSpecific().Constructed()) && !data.ReadAnyASN1Element(&skip, &tag) {
		return 0, false
	}
	// responderID, producedAt
	if !data.ReadAnyASN1Element(&skip, &tag) || !data.ReadAnyASN1Element(&skip, &tag) {
		return 0, false
	}
	var list cryptobyte.String
	if !data.ReadASN1(&list, cbasn1.SEQUENCE) {
		return 0, false
	}
	for !list.Empty() {
		if !list.ReadAnyASN1Element(&skip, &tag) {
			return n, false
		}
		n++
	}
	return n, true
}

// about is the response's answer on cert (see parseOCSP).
func (info *ocspInfo) about(cert, issuer *x509.Certificate, extra []*x509.Certificate) (*ocsp.Response, []byte, error) {
	if info.err != nil {
		return nil, nil, info.err
	}
	basic, data, full := &info.basic, &info.data, info.full
	single, err := info.findSingle(cert, issuer)
	if err != nil {
		return nil, nil, err
	}
	sigAlg, err := signatureAlgorithm(basic.SignatureAlgorithm)
	if err != nil {
		return nil, nil, err
	}
	resp := &ocsp.Response{
		Raw:                full,
		SerialNumber:       single.CertID.SerialNumber,
		ProducedAt:         data.ProducedAt,
		ThisUpdate:         single.ThisUpdate,
		NextUpdate:         single.NextUpdate,
		TBSResponseData:    basic.TBSResponseData.FullBytes,
		Signature:          basic.Signature.RightAlign(),
		SignatureAlgorithm: sigAlg,
		IssuerHash:         hashByOID[single.CertID.HashAlgorithm.Algorithm.String()],
		Extensions:         single.Extensions,
	}
	switch {
	case bool(single.Good):
		resp.Status = ocsp.Good
	case bool(single.Unknown):
		resp.Status = ocsp.Unknown
	case !single.Revoked.RevocationTime.IsZero():
		resp.Status = ocsp.Revoked
		resp.RevokedAt = single.Revoked.RevocationTime
		resp.RevocationReason = int(single.Revoked.Reason)
	default:
		return nil, nil, i18n.Errorf("malformed OCSP response: no certificate status")
	}
	switch data.ResponderID.Tag {
	case 1: // byName
		resp.RawResponderName = data.ResponderID.Bytes
	case 2: // byKey
		if rest, err := asn1.Unmarshal(data.ResponderID.Bytes, &resp.ResponderKeyHash); err != nil || len(rest) > 0 {
			return nil, nil, i18n.Errorf("malformed OCSP responder key hash")
		}
	default:
		return nil, nil, i18n.Errorf("malformed OCSP responder id")
	}
	for _, e := range single.Extensions {
		if e.Critical {
			return nil, nil, i18n.Errorf("OCSP response has an unknown critical extension %v", e.Id)
		}
	}

	// Who signed: the issuer itself, or a delegated responder.
	var tried []string
	for _, c := range append(append([]*x509.Certificate{issuer}, info.embedded...), extra...) {
		if !responderMatches(resp, c) {
			continue
		}
		if sameKey(c, issuer) {
			if err := info.checkSignature(issuer, sigAlg, resp); err != nil {
				return nil, nil, i18n.Errorf("bad OCSP signature by the issuer: %v", err)
			}
			return resp, full, nil
		}
		if err := delegated(c, issuer, data.ProducedAt); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		if err := info.checkSignature(c, sigAlg, resp); err != nil {
			tried = append(tried, fmt.Sprintf("bad OCSP signature by %q: %v", c.Subject.CommonName, err))
			continue
		}
		resp.Certificate = c
		return resp, full, nil
	}
	if len(tried) > 0 {
		return nil, nil, errors.New(tried[0])
	}
	return nil, nil, i18n.Errorf("OCSP response signed by an unknown responder")
}

// checkSignature is keycheck.CheckSignature of the response by c, once
// per signer certificate.
func (info *ocspInfo) checkSignature(c *x509.Certificate, alg x509.SignatureAlgorithm, resp *ocsp.Response) error {
	k := sha256.Sum256(c.Raw)
	info.mu.Lock()
	defer info.mu.Unlock()
	if err, ok := info.verdicts[k]; ok {
		return err
	}
	ocspWork.sigChecks.Add(1)
	err := keycheck.CheckSignature(c, alg, resp.TBSResponseData, resp.Signature)
	if info.verdicts == nil {
		info.verdicts = map[[32]byte]error{}
	}
	if len(info.verdicts) < 64 {
		info.verdicts[k] = err
	}
	return err
}

// OCSPCache keeps the OCSP responses of one file read (decoded, indexed,
// their signature checks made), keyed by the SHA-256 of their bytes, so
// that each is decoded once whatever the number of certificates checked
// against it. It reads at most MaxOCSPStatusesPerFile statuses in all;
// past that, further responses are not used (their error names the limit).
// A nil *OCSPCache caches nothing. It is safe for concurrent use.
type OCSPCache struct {
	mu       sync.Mutex
	m        map[[32]byte]*ocspInfo
	statuses int
}

// get returns raw read, from the cache when it is there.
func (c *OCSPCache) get(raw []byte) *ocspInfo {
	if c == nil {
		return readOCSP(raw, MaxOCSPStatuses)
	}
	k := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if info, ok := c.m[k]; ok {
		return info
	}
	max := min(MaxOCSPStatuses, MaxOCSPStatusesPerFile-c.statuses)
	info := readOCSP(raw, max)
	if max < MaxOCSPStatuses && pdf.IsLimit(info.err) {
		info = &ocspInfo{err: ocspLimit(0, MaxOCSPStatusesPerFile)}
	}
	c.statuses += info.statuses
	if c.m == nil {
		c.m = map[[32]byte]*ocspInfo{}
	}
	c.m[k] = info
	return info
}

// unwrapOCSP returns the BasicOCSPResponse inside raw and raw as a full
// OCSPResponse (which is what a DSS must hold).
func unwrapOCSP(raw []byte) (basic, full []byte, err error) {
	var outer ocspResponseASN1
	rest, err := asn1.Unmarshal(raw, &outer)
	if err != nil {
		// Not an OCSPResponse: perhaps a bare BasicOCSPResponse.
		var b basicOCSPResponse
		if rest, err2 := asn1.Unmarshal(raw, &b); err2 == nil && len(rest) == 0 {
			full, err := asn1.Marshal(ocspResponseASN1{Response: ocspResponseBytes{ResponseType: oidOCSPBasic, Response: raw}})
			return raw, full, err
		}
		return nil, nil, i18n.Errorf("malformed OCSP response: %v", err)
	}
	if len(rest) > 0 {
		return nil, nil, i18n.Errorf("malformed OCSP response: trailing data")
	}
	if outer.Status != 0 {
		return nil, nil, i18n.Errorf("OCSP responder answered %q", ocsp.ResponseStatus(outer.Status))
	}
	if !outer.Response.ResponseType.Equal(oidOCSPBasic) {
		return nil, nil, i18n.Errorf("unsupported OCSP response type %v", outer.Response.ResponseType)
	}
	return outer.Response.Response, raw, nil
}

// findSingle returns the first SingleResponse whose CertID names cert and
// issuer: serial, issuer name hash and issuer key hash all equal.
func (info *ocspInfo) findSingle(cert, issuer *x509.Certificate) (*ocspSingleResponse, error) {
	keyBits := subjectKeyBits(issuer)
	best := -1
	for _, alg := range info.algs {
		h, ok := hashByOID[alg]
		if !ok || !h.Available() {
			continue
		}
		nameHash, keyHash := digest(h, issuer.RawSubject), digest(h, keyBits)
		for _, i := range info.index[certIDKey(alg, nameHash, keyHash, cert.SerialNumber)] {
			id := &info.data.Responses[i].CertID
			if (best < 0 || i < best) && id.SerialNumber != nil && id.SerialNumber.Cmp(cert.SerialNumber) == 0 &&
				bytes.Equal(id.IssuerNameHash, nameHash) && bytes.Equal(id.IssuerKeyHash, keyHash) {
				best = i
				break
			}
		}
	}
	if best < 0 {
		return nil, errOtherCert
	}
	return &info.data.Responses[best], nil
}

// delegated checks that c may answer for issuer's certificates at t
// (RFC 6960 §4.2.2.2).
func delegated(c, issuer *x509.Certificate, t time.Time) error {
	who := fmt.Sprintf("OCSP responder %q", c.Subject.CommonName)
	if !bytes.Equal(c.RawIssuer, issuer.RawSubject) || keycheck.CanIssue(issuer, c) != nil {
		return i18n.Errorf("%s is not certified by the issuer %q", who, issuer.Subject.CommonName)
	}
	ok := false
	for _, u := range c.ExtKeyUsage {
		ok = ok || u == x509.ExtKeyUsageOCSPSigning
	}
	if !ok {
		return i18n.Errorf("%s lacks the OCSPSigning extended key usage", who)
	}
	if t.Before(c.NotBefore) || t.After(c.NotAfter) {
		return i18n.Errorf("%s was not valid when the response was produced (%s)", who, t.UTC().Format(time.RFC3339))
	}
	return nil
}

func responderMatches(resp *ocsp.Response, c *x509.Certificate) bool {
	if resp.RawResponderName != nil {
		return bytes.Equal(resp.RawResponderName, c.RawSubject)
	}
	return bytes.Equal(resp.ResponderKeyHash, digest(crypto.SHA1, subjectKeyBits(c)))
}

func signatureAlgorithm(ai pkix.AlgorithmIdentifier) (x509.SignatureAlgorithm, error) {
	if alg, ok := sigAlgByOID[ai.Algorithm.String()]; ok {
		return alg, nil
	}
	if ai.Algorithm.Equal(oidRSAPSS) {
		// RSASSA-PSS-params: only the hash matters to crypto/x509, which
		// expects MGF1 with the same hash and a salt of the hash's length.
		var params struct {
			Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0,optional"`
		}
		if _, err := asn1.Unmarshal(ai.Parameters.FullBytes, &params); err == nil {
			switch hashByOID[params.Hash.Algorithm.String()] {
			case crypto.SHA256:
				return x509.SHA256WithRSAPSS, nil
			case crypto.SHA384:
				return x509.SHA384WithRSAPSS, nil
			case crypto.SHA512:
				return x509.SHA512WithRSAPSS, nil
			}
		}
	}
	return 0, i18n.Errorf("unsupported OCSP signature algorithm %v", ai.Algorithm)
}

// subjectKeyBits returns the subjectPublicKey BIT STRING's content, which
// OCSP hashes (no tag, length or unused-bits byte).
func subjectKeyBits(c *x509.Certificate) []byte {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil
	}
	return spki.Key.RightAlign()
}

func sameKey(a, b *x509.Certificate) bool {
	return bytes.Equal(a.RawSubject, b.RawSubject) && bytes.Equal(a.RawSubjectPublicKeyInfo, b.RawSubjectPublicKeyInfo)
}

func digest(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

func errOr(err error, msg string) string {
	if err != nil {
		return err.Error()
	}
	return msg
}
