package cms

import (
	"crypto"
	"encoding/asn1"
)

// Object identifiers of the content types and attributes kyso reads or writes.
var (
	OIDData                        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData                  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDTSTInfo                     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDContentType                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDMessageDigest               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDSigningTime                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDSigningCertificate          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	OIDSignatureTimeStampToken     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	OIDSigningCertificateV2        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAdobeRevocationInfoArchival = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
	// OIDOCSPResponseFormat marks an OCSPResponse in a RevocationInfoChoice
	// "other" entry (RFC 5940).
	OIDOCSPResponseFormat = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 16, 2}
)

var (
	oidMD5    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}

	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidMD5WithRSA      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA1WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA224WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidRSAPSS          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

var hashOIDs = []struct {
	oid asn1.ObjectIdentifier
	h   crypto.Hash
}{
	{oidSHA256, crypto.SHA256}, {oidSHA384, crypto.SHA384}, {oidSHA512, crypto.SHA512},
	{oidSHA224, crypto.SHA224}, {oidSHA1, crypto.SHA1}, {oidMD5, crypto.MD5},
}

// HashOID returns the digest algorithm identifier of h.
func HashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, e := range hashOIDs {
		if e.h == h {
			return e.oid, true
		}
	}
	return nil, false
}

// HashFromOID returns the hash named by a digest algorithm identifier, or 0
// if kyso does not know it. Some signers put a signature algorithm
// (sha256WithRSAEncryption, ecdsa-with-SHA256) where a digest algorithm
// belongs; those name their hash too and are accepted.
func HashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for _, e := range hashOIDs {
		if e.oid.Equal(oid) {
			return e.h
		}
	}
	if s, ok := sigSchemeOf(oid); ok {
		return s.hash
	}
	return 0
}

// HashName is the lowercase name of a digest algorithm used in messages
// and reports ("sha-256").
func HashName(h crypto.Hash) string {
	switch h {
	case crypto.MD5:
		return "md5"
	case crypto.SHA1:
		return "sha-1"
	case crypto.SHA224:
		return "sha-224"
	case crypto.SHA256:
		return "sha-256"
	case crypto.SHA384:
		return "sha-384"
	case crypto.SHA512:
		return "sha-512"
	}
	return h.String()
}

type sigKind int

const (
	sigRSAPKCS1 sigKind = iota + 1
	sigRSAPSS
	sigECDSA
	sigEd25519
)

// sigScheme is what a signatureAlgorithm OID says: the key kind and, for the
// combined OIDs, the hash (0 when the digest algorithm decides).
type sigScheme struct {
	kind sigKind
	hash crypto.Hash
}

var sigSchemes = []struct {
	oid asn1.ObjectIdentifier
	s   sigScheme
}{
	{oidRSAEncryption, sigScheme{sigRSAPKCS1, 0}},
	{oidSHA256WithRSA, sigScheme{sigRSAPKCS1, crypto.SHA256}},
	{oidSHA384WithRSA, sigScheme{sigRSAPKCS1, crypto.SHA384}},
	{oidSHA512WithRSA, sigScheme{sigRSAPKCS1, crypto.SHA512}},
	{oidSHA224WithRSA, sigScheme{sigRSAPKCS1, crypto.SHA224}},
	{oidSHA1WithRSA, sigScheme{sigRSAPKCS1, crypto.SHA1}},
	{oidMD5WithRSA, sigScheme{sigRSAPKCS1, crypto.MD5}},
	{oidRSAPSS, sigScheme{sigRSAPSS, 0}},
	{oidECPublicKey, sigScheme{sigECDSA, 0}},
	{oidECDSAWithSHA256, sigScheme{sigECDSA, crypto.SHA256}},
	{oidECDSAWithSHA384, sigScheme{sigECDSA, crypto.SHA384}},
	{oidECDSAWithSHA512, sigScheme{sigECDSA, crypto.SHA512}},
	{oidECDSAWithSHA224, sigScheme{sigECDSA, crypto.SHA224}},
	{oidECDSAWithSHA1, sigScheme{sigECDSA, crypto.SHA1}},
	{oidEd25519, sigScheme{sigEd25519, 0}},
}

func sigSchemeOf(oid asn1.ObjectIdentifier) (sigScheme, bool) {
	for _, e := range sigSchemes {
		if e.oid.Equal(oid) {
			return e.s, true
		}
	}
	return sigScheme{}, false
}
