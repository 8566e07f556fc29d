package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"github.com/kyso-project/kyso/internal/i18n"
	"slices"

	"github.com/kyso-project/kyso/internal/fail"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// SignOptions say who signs and how.
type SignOptions struct {
	// Signer holds the private key: RSA (PKCS#1 v1.5 signatures) or ECDSA;
	// a PKCS#11 token key is one too.
	Signer crypto.Signer
	Cert   *x509.Certificate
	// Chain is embedded with Cert, duplicates dropped; the certificates are
	// a DER SET OF, so they appear sorted by encoding, not in this order.
	Chain []*x509.Certificate
	// Hash defaults to SHA-256; SHA-384 and SHA-512 are allowed too.
	Hash crypto.Hash
	// NoCerts leaves the certificates out (an RFC 3161 reply to a request
	// without certReq).
	NoCerts bool
}

// SignDetached builds a detached SignedData (id-data, no eContent) over the
// digest of content hashed elsewhere, as PAdES B-B wants it: signed
// attributes content-type, message-digest and signing-certificate-v2, and
// no signing-time. It returns the DER ContentInfo and SignerInfo.signature,
// the input of a signature-time-stamp.
func SignDetached(ctx context.Context, digest []byte, o SignOptions) (der, signatureValue []byte, err error) {
	return sign(ctx, OIDData, nil, digest, o)
}

// SignEncapsulated builds a SignedData that carries content of type
// contentType inside it (an RFC 3161 TSTInfo, say).
func SignEncapsulated(ctx context.Context, contentType asn1.ObjectIdentifier, content []byte, o SignOptions) (der, signatureValue []byte, err error) {
	h := o.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	if err := checkSignHash(h); err != nil {
		return nil, nil, err
	}
	hh := h.New()
	hh.Write(content)
	return sign(ctx, contentType, content, hh.Sum(nil), o)
}

func checkSignHash(h crypto.Hash) error {
	switch h {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
		return nil
	case crypto.SHA1, crypto.MD5:
		return fail.Usage(i18n.Errorf("cms: %s is too weak for new signatures", HashName(h)), "use sha-256")
	}
	return fail.Usage(i18n.Errorf("cms: unsupported signature hash %s", HashName(h)), "use sha-256")
}

func sign(ctx context.Context, contentType asn1.ObjectIdentifier, content, digest []byte, o SignOptions) ([]byte, []byte, error) {
	if o.Hash == 0 {
		o.Hash = crypto.SHA256
	}
	if err := checkSignHash(o.Hash); err != nil {
		return nil, nil, err
	}
	if o.Signer == nil || o.Cert == nil || len(o.Cert.Raw) == 0 || o.Cert.SerialNumber == nil {
		return nil, nil, fail.Usage(i18n.Errorf("cms: signing needs a key and its parsed certificate"), "")
	}
	if len(digest) != o.Hash.Size() {
		return nil, nil, i18n.Errorf("cms: digest is %d bytes, %s needs %d", len(digest), HashName(o.Hash), o.Hash.Size())
	}
	pub := o.Signer.Public()
	if k, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(o.Cert.PublicKey) {
		return nil, nil, fail.Run(i18n.Errorf("cms: the certificate %q does not belong to the private key", o.Cert.Subject.CommonName),
			"pick the certificate of the key you sign with")
	}
	hashOID, _ := HashOID(o.Hash)
	sigAlg, err := signatureAlgorithm(pub, o.Hash)
	if err != nil {
		return nil, nil, err
	}

	var attrs [][]byte
	for _, a := range []struct {
		oid asn1.ObjectIdentifier
		add cryptobyte.BuilderContinuation
	}{
		{OIDContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(contentType) }},
		{OIDMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }},
		{OIDSigningCertificateV2, func(b *cryptobyte.Builder) { addSigningCertificateV2(b, o.Cert) }},
	} {
		enc, err := attribute(a.oid, a.add)
		if err != nil {
			return nil, nil, err
		}
		attrs = append(attrs, enc)
	}
	signedAttrs := setOf(attrs)
	hh := o.Hash.New()
	hh.Write(signedAttrs)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	sig, err := o.Signer.Sign(rand.Reader, hh.Sum(nil), o.Hash)
	if err != nil {
		if fail.KindOf(err) == fail.KindNone {
			err = fail.Run(err, "")
		}
		return nil, nil, i18n.Errorf("cms: sign: %v", err)
	}
	// A faulty token (or a fault attack) yields a bad signature; catch it
	// before it goes into a file.
	if err := verify(pub, sigAlg, o.Hash, signedAttrs, nil, sig); err != nil {
		return nil, nil, fail.Run(i18n.Errorf("cms: the new signature does not verify with the certificate: %v", err), "")
	}

	var certs [][]byte
	if !o.NoCerts {
		for _, c := range append([]*x509.Certificate{o.Cert}, o.Chain...) {
			if c != nil && !slices.ContainsFunc(certs, func(d []byte) bool { return bytes.Equal(d, c.Raw) }) {
				certs = append(certs, c.Raw)
			}
		}
	}
	version := int64(1)
	if !contentType.Equal(OIDData) {
		version = 3
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(tagCtx0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(version)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgorithm(b, hashOID, false) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(contentType)
					if content != nil {
						b.AddASN1(tagCtx0, func(b *cryptobyte.Builder) { b.AddASN1OctetString(content) })
					}
				})
				if len(certs) > 0 {
					b.AddBytes(retag(setOf(certs), byte(tagCtx0)))
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(o.Cert.RawIssuer)
							b.AddASN1BigInt(o.Cert.SerialNumber)
						})
						addAlgorithm(b, hashOID, false)
						b.AddBytes(retag(signedAttrs, byte(tagCtx0)))
						addAlgorithm(b, sigAlg.Algorithm, sigAlg.Parameters.Tag == asn1.TagNull)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, nil, i18n.Errorf("cms: encode signed data: %v", err)
	}
	return der, sig, nil
}

// signatureAlgorithm names the algorithm the key signs with under h.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	var oid asn1.ObjectIdentifier
	null := false
	switch pub.(type) {
	case *rsa.PublicKey:
		oid, null = map[crypto.Hash]asn1.ObjectIdentifier{
			crypto.SHA256: oidSHA256WithRSA, crypto.SHA384: oidSHA384WithRSA, crypto.SHA512: oidSHA512WithRSA,
		}[h], true
	case *ecdsa.PublicKey:
		oid = map[crypto.Hash]asn1.ObjectIdentifier{
			crypto.SHA256: oidECDSAWithSHA256, crypto.SHA384: oidECDSAWithSHA384, crypto.SHA512: oidECDSAWithSHA512,
		}[h]
	default:
		return pkix.AlgorithmIdentifier{}, fail.Run(i18n.Errorf("cms: cannot sign with a %T key", pub), "use an rsa or ecdsa key")
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: oid}
	if null {
		alg.Parameters = asn1.NullRawValue
	}
	return alg, nil
}

// addSigningCertificateV2 writes SigningCertificateV2 with one ESSCertIDv2:
// SHA-256 (the default, so its identifier is left out, as DER requires) of
// the certificate, and its issuer and serial.
func addSigningCertificateV2(b *cryptobyte.Builder, cert *x509.Certificate) {
	sum := sha256.Sum256(cert.Raw)
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(sum[:])
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
						b.AddASN1(cbasn1.Tag(4).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
						})
					})
					b.AddASN1BigInt(cert.SerialNumber)
				})
			})
		})
	})
}

func addAlgorithm(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		if null {
			b.AddASN1NULL()
		}
	})
}

// attribute encodes an Attribute with one value.
func attribute(oid asn1.ObjectIdentifier, value cryptobyte.BuilderContinuation) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oid)
		b.AddASN1(cbasn1.SET, value)
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, i18n.Errorf("cms: encode attribute %s: %v", oid, err)
	}
	return der, nil
}

// setOf encodes a DER SET OF the given elements: sorted by their encodings
// (X.690 §11.6), which encoding/asn1 does not do.
func setOf(elems [][]byte) []byte {
	sorted := slices.Clone(elems)
	slices.SortFunc(sorted, bytes.Compare)
	n := 0
	for _, e := range sorted {
		n += len(e)
	}
	content := make([]byte, 0, n)
	for _, e := range sorted {
		content = append(content, e...)
	}
	return appendTLV(nil, []byte{0x31}, content)
}

// retag returns el with its identifier octet replaced: an IMPLICIT [n] SET.
func retag(el []byte, tag byte) []byte {
	out := slices.Clone(el)
	out[0] = tag
	return out
}

// AddUnsignedAttr returns der with an unsigned attribute added to its one
// SignerInfo, e.g. a signature-time-stamp token (value: the DER
// TimeStampToken). The signature stays valid: only unsigned parts change.
func AddUnsignedAttr(der []byte, oid asn1.ObjectIdentifier, value []byte) ([]byte, error) {
	v := cryptobyte.String(value)
	var tag cbasn1.Tag
	var el cryptobyte.String
	if !v.ReadAnyASN1Element(&el, &tag) || !v.Empty() {
		return nil, i18n.Errorf("cms: attribute value is not one der element")
	}
	raw, err := outerElement(der)
	if err != nil {
		return nil, err
	}
	s := cryptobyte.String(raw)
	var ci, wrap, sd cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) || !ct.Equal(OIDSignedData) ||
		!ci.ReadASN1(&wrap, tagCtx0) || !ci.Empty() || !wrap.ReadASN1(&sd, cbasn1.SEQUENCE) || !wrap.Empty() {
		return nil, malformed("signed data")
	}
	sdElems, ok := elements(sd)
	if !ok || len(sdElems) < 4 {
		return nil, malformed("signed data")
	}
	sis := cryptobyte.String(sdElems[len(sdElems)-1])
	var set, si cryptobyte.String
	if !sis.ReadASN1(&set, cbasn1.SET) || !set.ReadASN1(&si, cbasn1.SEQUENCE) {
		return nil, malformed("signer infos")
	}
	if !set.Empty() {
		return nil, i18n.Errorf("cms: more than one signer info")
	}
	siElems, ok := elements(si)
	if !ok || len(siElems) < 5 {
		return nil, malformed("signer info")
	}
	newAttr, err := attribute(oid, func(b *cryptobyte.Builder) { b.AddBytes(value) })
	if err != nil {
		return nil, err
	}
	attrs := [][]byte{newAttr}
	if last := siElems[len(siElems)-1]; last[0] == byte(tagCtx1) {
		body := cryptobyte.String(last)
		var list cryptobyte.String
		if !body.ReadASN1(&list, tagCtx1) {
			return nil, malformed("unsigned attributes")
		}
		old, ok := elements(list)
		if !ok {
			return nil, malformed("unsigned attributes")
		}
		attrs = append(attrs, old...)
		siElems = siElems[:len(siElems)-1]
	}
	siElems = append(siElems, retag(setOf(attrs), byte(tagCtx1)))
	sdElems[len(sdElems)-1] = appendTLV(nil, []byte{0x31}, appendTLV(nil, []byte{0x30}, slices.Concat(siElems...)))
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(OIDSignedData)
		b.AddASN1(tagCtx0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, e := range sdElems {
					b.AddBytes(e)
				}
			})
		})
	})
	return b.Bytes()
}

// elements splits DER content into its top-level elements.
func elements(s cryptobyte.String) ([][]byte, bool) {
	var out [][]byte
	for !s.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !s.ReadAnyASN1Element(&el, &tag) {
			return nil, false
		}
		out = append(out, el)
	}
	return out, true
}
