package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"software.sslmate.com/src/go-pkcs12"
)

// LoadP12 reads a PKCS#12 file (.p12/.pfx), legacy (RC2/3DES, SHA-1 MAC)
// or modern (PBES2/AES, SHA-256 MAC), holding an RSA or ECDSA key and its
// certificate. The certificate is the one whose public key is the key's,
// wherever it sits in the file; the other certificates become Chain.
func LoadP12(path string, password []byte) (*Key, error) {
	Protect()
	data, err := fileutil.ReadFileMax(path, 1<<20)
	if err != nil {
		return nil, fail.Usage(i18n.Errorf("read key file: %v", err), "")
	}
	priv, first, rest, err := pkcs12.DecodeChain(data, string(password))
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
			return nil, fail.RunWith(i18n.Errorf("%s: wrong password", path), fail.RemedyWrongPassword)
		}
		return nil, fail.Run(i18n.Errorf("%s: not a usable PKCS#12 file: %v", path, err), "")
	}
	var signer crypto.Signer
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		signer = k
	case *ecdsa.PrivateKey:
		signer = k
	default:
		return nil, fail.Runf("%s: unsupported key type %T (want RSA or ECDSA)", path, priv)
	}
	pub := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	certs := append([]*x509.Certificate{first}, rest...)
	var cert *x509.Certificate
	var chain []*x509.Certificate
	for _, c := range certs {
		if cert == nil && pub.Equal(c.PublicKey) {
			cert = c
		} else {
			chain = append(chain, c)
		}
	}
	if cert == nil {
		return nil, fail.Run(i18n.Errorf("%s: the private key does not match the certificate %q", path, first.Subject.CommonName), "")
	}
	return &Key{Signer: signer, Cert: cert, Chain: chain, Description: "file " + path}, nil
}

// CheckSigningCert refuses a certificate that cannot make a signature worth
// having at now: outside its validity period, without digitalSignature or
// nonRepudiation when key usage is restricted, a CA certificate, signed
// with a weak algorithm, or with a key kyso cannot sign with. Key sizes and
// extended key usage are the validation policy's (verify.Policy
// CheckSignerCert; sign.CheckSignerCert runs both).
func CheckSigningCert(cert *x509.Certificate, now time.Time) error {
	name := fmt.Sprintf("certificate %q", cert.Subject.CommonName)
	period := fmt.Sprintf("valid from %s to %s", cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case now.After(cert.NotAfter):
		return fail.Run(i18n.Errorf("%s expired on %s (%s)", name, cert.NotAfter.UTC().Format(time.RFC3339), period),
			"sign with a current certificate; ask the CA to renew this one")
	case now.Before(cert.NotBefore):
		return fail.Run(i18n.Errorf("%s is not yet valid (%s)", name, period), "check the computer's clock")
	case cert.BasicConstraintsValid && cert.IsCA:
		return fail.Runf("%s is a CA certificate, not a signer's", name)
	case cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0:
		return fail.Runf("%s may not sign documents: its key usage has neither digitalSignature nor nonRepudiation", name)
	}
	switch cert.SignatureAlgorithm {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.DSAWithSHA256, x509.ECDSAWithSHA1:
		return fail.Runf("%s is signed with the weak algorithm %s", name, cert.SignatureAlgorithm)
	}
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return fail.Runf("%s has an unsupported %s key", name, cert.PublicKeyAlgorithm)
	}
	return nil
}
