package pkcs11

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"github.com/kyso-project/kyso/internal/i18n"
	"math/big"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"
)

// findObjects returns the handles of the objects matching template.
func (t *token) findObjects(sh p11.SessionHandle, template []*p11.Attribute) ([]p11.ObjectHandle, error) {
	ctx := t.mod.ctx
	if err := ctx.FindObjectsInit(sh, template); err != nil {
		return nil, t.wrap(err, "searching objects")
	}
	var all []p11.ObjectHandle
	for {
		hs, _, err := ctx.FindObjects(sh, 64)
		if err != nil {
			_ = ctx.FindObjectsFinal(sh)
			return nil, t.wrap(err, "searching objects")
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := ctx.FindObjectsFinal(sh); err != nil {
		return nil, t.wrap(err, "searching objects")
	}
	return all, nil
}

// attributes reads the attributes types of an object. An attribute the
// object lacks or keeps secret is absent from the map: tokens answer a
// whole request with an error for one such attribute, so on error each is
// asked for alone.
func (t *token) attributes(sh p11.SessionHandle, h p11.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	ctx := t.mod.ctx
	req := make([]*p11.Attribute, len(types))
	for i, ty := range types {
		req[i] = p11.NewAttribute(ty, nil)
	}
	out := make(map[uint][]byte, len(types))
	got, err := ctx.GetAttributeValue(sh, h, req)
	if err == nil {
		for _, a := range got {
			if a.Value != nil {
				out[a.Type] = a.Value
			}
		}
		return out, nil
	}
	if isGone(err) {
		return nil, t.wrap(err, "reading an object")
	}
	for _, ty := range types {
		got, err := ctx.GetAttributeValue(sh, h, []*p11.Attribute{p11.NewAttribute(ty, nil)})
		if err != nil {
			if isGone(err) {
				return nil, t.wrap(err, "reading an object")
			}
			continue
		}
		if got[0].Value != nil {
			out[ty] = got[0].Value
		}
	}
	return out, nil
}

// keyObjects lists the keys of class (CKO_PRIVATE_KEY or CKO_PUBLIC_KEY)
// visible in the session.
func (t *token) keyObjects(sh p11.SessionHandle, class uint) ([]*keyObject, error) {
	hs, err := t.findObjects(sh, []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, class)})
	if err != nil {
		return nil, err
	}
	var out []*keyObject
	for _, h := range hs {
		a, err := t.attributes(sh, h, p11.CKA_LABEL, p11.CKA_ID, p11.CKA_KEY_TYPE, p11.CKA_ALWAYS_AUTHENTICATE,
			p11.CKA_MODULUS, p11.CKA_PUBLIC_EXPONENT, p11.CKA_EC_PARAMS, p11.CKA_EC_POINT)
		if err != nil {
			return nil, err
		}
		k := &keyObject{
			handle:     h,
			label:      tokenText(string(a[p11.CKA_LABEL])),
			id:         a[p11.CKA_ID],
			keyType:    ulong(a[p11.CKA_KEY_TYPE]),
			alwaysAuth: isTrue(a[p11.CKA_ALWAYS_AUTHENTICATE]),
		}
		if k.id == nil {
			k.id = []byte{}
		}
		switch k.keyType {
		case p11.CKK_RSA:
			if n, e := a[p11.CKA_MODULUS], a[p11.CKA_PUBLIC_EXPONENT]; len(n) > 0 && len(e) > 0 && len(e) <= 4 {
				k.public = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
			}
		case p11.CKK_EC:
			if c, err := parseECParams(a[p11.CKA_EC_PARAMS]); err == nil {
				k.curve = c.Params().Name
				if pt := a[p11.CKA_EC_POINT]; pt != nil {
					if pub, err := parseECPoint(c, pt); err == nil {
						k.public = pub
					}
				}
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// certificates lists the X.509 certificates on the token; objects that do
// not parse are skipped (they cannot be in a chain anyway).
func (t *token) certificates(sh p11.SessionHandle) ([]certObject, error) {
	hs, err := t.findObjects(sh, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
	})
	if err != nil {
		return nil, err
	}
	var out []certObject
	for _, h := range hs {
		a, err := t.attributes(sh, h, p11.CKA_LABEL, p11.CKA_ID, p11.CKA_VALUE)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(a[p11.CKA_VALUE])
		if err != nil {
			continue
		}
		out = append(out, certObject{label: tokenText(string(a[p11.CKA_LABEL])), id: a[p11.CKA_ID], cert: c})
	}
	return out, nil
}

// ulong decodes a CK_ULONG attribute (native byte order and width).
func ulong(b []byte) uint {
	var v uint
	switch len(b) {
	case 4:
		v = uint(binary.NativeEndian.Uint32(b))
	case 8:
		v = uint(binary.NativeEndian.Uint64(b))
	default:
		return ^uint(0)
	}
	return v
}

func isTrue(b []byte) bool { return len(b) == 1 && b[0] != 0 }

var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
	oidP521 = asn1.ObjectIdentifier{1, 3, 132, 0, 35}
)

// parseECParams reads CKA_EC_PARAMS: the DER of a named curve's OID.
func parseECParams(b []byte) (elliptic.Curve, error) {
	var oid asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(b, &oid)
	if err != nil || len(rest) != 0 {
		return nil, i18n.Errorf("EC parameters are not a named curve")
	}
	switch {
	case oid.Equal(oidP256):
		return elliptic.P256(), nil
	case oid.Equal(oidP384):
		return elliptic.P384(), nil
	case oid.Equal(oidP521):
		return elliptic.P521(), nil
	}
	return nil, i18n.Errorf("EC curve %v is not supported", oid)
}

// parseECPoint reads CKA_EC_POINT: an uncompressed point, which the
// standard wraps in a DER OCTET STRING and some tokens do not.
func parseECPoint(c elliptic.Curve, b []byte) (*ecdsa.PublicKey, error) {
	var inner []byte
	if rest, err := asn1.Unmarshal(b, &inner); err == nil && len(rest) == 0 {
		if pub, err := ecdsa.ParseUncompressedPublicKey(c, inner); err == nil {
			return pub, nil
		}
	}
	return ecdsa.ParseUncompressedPublicKey(c, b)
}
