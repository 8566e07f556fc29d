package revocation

import (
	"bytes"
	"encoding/asn1"
	"github.com/kyso-project/kyso/internal/i18n"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDAdobeRevInfo is the signed attribute adbe-revocationInfoArchival.
var OIDAdobeRevInfo = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}

// ParseAdobeRevInfo reads the value of an adbe-revocationInfoArchival
// attribute:
//
//	RevocationInfoArchival ::= SEQUENCE {
//	    crl          [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
//	    ocsp         [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
//	    otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL }
//
// The items are returned as they are (copies), unparsed; otherRevInfo is
// skipped.
func ParseAdobeRevInfo(der []byte) (Evidence, error) {
	var ev Evidence
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return ev, i18n.Errorf("malformed adbe-revocationInfoArchival")
	}
	for !seq.Empty() {
		var field cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&field, &tag) {
			return Evidence{}, i18n.Errorf("malformed adbe-revocationInfoArchival")
		}
		var list *[][]byte
		switch tag {
		case cbasn1.Tag(0).ContextSpecific().Constructed():
			list = &ev.CRLs
		case cbasn1.Tag(1).ContextSpecific().Constructed():
			list = &ev.OCSPs
		case cbasn1.Tag(2).ContextSpecific().Constructed():
			continue
		default:
			return Evidence{}, i18n.Errorf("malformed adbe-revocationInfoArchival: unexpected field")
		}
		var items cryptobyte.String
		if !field.ReadASN1(&items, cbasn1.SEQUENCE) || !field.Empty() {
			return Evidence{}, i18n.Errorf("malformed adbe-revocationInfoArchival list")
		}
		for !items.Empty() {
			var item cryptobyte.String
			if !items.ReadASN1Element(&item, cbasn1.SEQUENCE) {
				return Evidence{}, i18n.Errorf("malformed adbe-revocationInfoArchival item")
			}
			*list = append(*list, bytes.Clone(item))
		}
	}
	return ev, nil
}

// MarshalAdobeRevInfo encodes ev's CRLs and OCSP responses (each a DER
// SEQUENCE) as an adbe-revocationInfoArchival value.
func MarshalAdobeRevInfo(ev Evidence) ([]byte, error) {
	for _, item := range append(append([][]byte(nil), ev.CRLs...), ev.OCSPs...) {
		s := cryptobyte.String(item)
		var e cryptobyte.String
		if !s.ReadASN1Element(&e, cbasn1.SEQUENCE) || !s.Empty() {
			return nil, i18n.Errorf("revocation item is not one DER SEQUENCE")
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for i, list := range [][][]byte{ev.CRLs, ev.OCSPs} {
			if len(list) == 0 {
				continue
			}
			b.AddASN1(cbasn1.Tag(i).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, item := range list {
						b.AddBytes(item)
					}
				})
			})
		}
	})
	return b.Bytes()
}
