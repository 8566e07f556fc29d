package revocation

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidIssuingDP         = asn1.ObjectIdentifier{2, 5, 29, 28}
)

// checkCRL checks that crl is a complete CRL signed by issuer whose scope
// includes cert. A CRL of some other CA is errOtherCert.
func checkCRL(info *crlInfo, cert, issuer *x509.Certificate) error {
	crl := info.hdr
	if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) ||
		len(crl.AuthorityKeyId) > 0 && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(crl.AuthorityKeyId, issuer.SubjectKeyId) {
		return errOtherCert
	}
	if err := keycheck.Cert(issuer); err != nil {
		return i18n.Errorf("the CRL issuer's key is not used: %v", err)
	}
	if err := info.checkSignature(issuer); err != nil {
		return i18n.Errorf("bad CRL signature: %v", err)
	}
	for _, e := range crl.Extensions {
		switch {
		case e.Id.Equal(oidDeltaCRLIndicator):
			return i18n.Errorf("a delta CRL alone cannot prove a status")
		case e.Id.Equal(oidIssuingDP):
			if err := checkScope(e.Value, cert); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkScope reads an IssuingDistributionPoint (RFC 5280 §5.2.5) and
// refuses a CRL that does not cover every revocation of cert.
func checkScope(der []byte, cert *x509.Certificate) error {
	in := cryptobyte.String(der)
	var idp cryptobyte.String
	if !in.ReadASN1(&idp, cbasn1.SEQUENCE) || !in.Empty() {
		return i18n.Errorf("malformed CRL issuing distribution point")
	}
	var dp cryptobyte.String
	var hasDP bool
	if !idp.ReadOptionalASN1(&dp, &hasDP, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return i18n.Errorf("malformed CRL issuing distribution point")
	}
	flag := func(tag uint8) (bool, bool) {
		var v cryptobyte.String
		var present bool
		if !idp.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
			return false, false
		}
		return present && len(v) == 1 && v[0] != 0, true
	}
	userOnly, ok1 := flag(1)
	caOnly, ok2 := flag(2)
	var reasons cryptobyte.String
	var someReasons bool
	ok3 := idp.ReadOptionalASN1(&reasons, &someReasons, cbasn1.Tag(3).ContextSpecific())
	indirect, ok4 := flag(4)
	attrOnly, ok5 := flag(5)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return i18n.Errorf("malformed CRL issuing distribution point")
	}
	isCA := cert.BasicConstraintsValid && cert.IsCA
	switch {
	case someReasons:
		return i18n.Errorf("the CRL covers only some revocation reasons")
	case indirect:
		return i18n.Errorf("indirect CRLs are not supported")
	case attrOnly, userOnly && isCA, caOnly && !isCA:
		return errOtherCert
	}
	if hasDP && len(cert.CRLDistributionPoints) > 0 {
		uris := dpURIs(dp)
		if len(uris) > 0 && !slices.ContainsFunc(uris, func(u string) bool { return slices.Contains(cert.CRLDistributionPoints, u) }) {
			return errOtherCert // a partition of the CA's CRL for other certificates
		}
	}
	return nil
}

// dpURIs returns the URIs of a DistributionPointName's fullName.
func dpURIs(dp cryptobyte.String) []string {
	var names cryptobyte.String
	if !dp.ReadASN1(&names, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return nil // nameRelativeToCRLIssuer: no URIs to compare
	}
	var uris []string
	for !names.Empty() {
		var v cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&v, &tag) {
			return nil
		}
		if tag == cbasn1.Tag(6).ContextSpecific() {
			uris = append(uris, string(v))
		}
	}
	return uris
}
