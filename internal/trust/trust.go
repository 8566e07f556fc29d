// Package trust holds the trust anchors a verification relies on, read from
// PEM or DER files and folders (never compiled in), and builds certificate
// paths from a signer to an anchor as of a given time.
package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/smallstep/pkcs7"
)

// Store is a set of trust anchors.
type Store struct {
	// Roots are the anchors: the self-issued certificates found.
	Roots []*x509.Certificate
	// Extra are the other certificates found in trust files: usable as
	// intermediates when building a path, never anchors.
	Extra []*x509.Certificate
	// System says the store was loaded from the system's roots. When no
	// bundle file was found (Windows, macOS), Roots is empty and Chain asks
	// the platform verifier.
	System bool

	// Roots and Extra are indexed on first use; do not change them after.
	once  sync.Once
	index *certIndex
}

// certExts are the file name extensions read from a trust folder.
var certExts = map[string]bool{".pem": true, ".crt": true, ".cer": true, ".der": true, ".p7b": true, ".p7c": true}

// systemBundles are where Linux and BSD distributions keep their root
// bundle as one PEM file (the same list crypto/x509 searches). Reading the
// file ourselves keeps the roots inspectable, which x509.SystemCertPool
// does not allow.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, FreeBSD, OpenBSD
}

// Load reads anchors from paths: files, or folders read recursively, taking
// the files named *.pem, *.crt, *.cer, *.der, *.p7b or *.p7c (anything else
// in a folder, such as keys or READMEs, is skipped). A file may hold PEM
// (any number of certificates), DER or PKCS#7 certificates. Self-issued
// certificates (subject = issuer) become Roots, the others Extra. A file that cannot be read
// or holds no certificate is a usage error naming it.
//
// With no paths, Load reads the system's roots: $SSL_CERT_FILE, else the
// first bundle of systemBundles that exists, plus the folders of
// $SSL_CERT_DIR; see Store.System for platforms without a bundle.
func Load(paths []string) (*Store, error) {
	var files []string
	system := len(paths) == 0
	if system {
		if f := os.Getenv("SSL_CERT_FILE"); f != "" {
			files = append(files, f)
		} else {
			for _, f := range systemBundles {
				if _, err := os.Stat(f); err == nil {
					files = append(files, f)
					break
				}
			}
		}
		if d := os.Getenv("SSL_CERT_DIR"); d != "" {
			paths = filepath.SplitList(d)
		}
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			if system {
				continue // like crypto/x509, skip missing $SSL_CERT_DIR entries
			}
			return nil, fail.Usage(i18n.Errorf("trust anchors: %v", err), "")
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		before := len(files)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && certExts[strings.ToLower(filepath.Ext(path))] {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fail.Usage(i18n.Errorf("trust anchors: %v", err), "")
		}
		if len(files) == before && !system {
			return nil, fail.Usage(i18n.Errorf("trust anchors: no certificate files in folder %s", p),
				"put PEM or DER certificates (*.pem, *.crt, *.cer, *.der) there")
		}
	}

	s := &Store{System: system}
	seen := map[[32]byte]bool{}
	for _, f := range files {
		data, err := fileutil.ReadFileMax(f, 16<<20)
		if err != nil {
			return nil, fail.Usage(i18n.Errorf("trust anchors: %v", err), "")
		}
		certs, err := ParseCertificates(data)
		if err != nil && system && len(certs) > 0 {
			err = nil // like crypto/x509, skip what a system bundle holds that Go cannot parse
		}
		if err != nil {
			return nil, fail.Usage(i18n.Errorf("trust anchors %s: %v", f, err), "give PEM or DER certificate files")
		}
		for _, c := range certs {
			h := sha256.Sum256(c.Raw)
			if seen[h] {
				continue
			}
			seen[h] = true
			// By name alone: whatever signed it, a self-issued certificate
			// the user put in a trust file is meant as an anchor, and not
			// verifying 150 system roots keeps Load fast.
			if bytes.Equal(c.RawSubject, c.RawIssuer) {
				s.Roots = append(s.Roots, c)
			} else {
				s.Extra = append(s.Extra, c)
			}
		}
	}
	return s, nil
}

// ParseCertificates reads certificates in any of the forms CAs publish
// them: PEM (CERTIFICATE, TRUSTED CERTIFICATE and PKCS7 blocks; other
// blocks are skipped), DER (one or several certificates back to back) or a
// DER/BER PKCS#7 certs-only bundle (.p7b, .p7c). When some PEM blocks fail
// to parse, the error comes with the certificates of the blocks that did.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		var certs []*x509.Certificate
		var errs []error
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			var more []*x509.Certificate
			var err error
			switch b.Type {
			case "CERTIFICATE", "X509 CERTIFICATE":
				more, err = x509.ParseCertificates(b.Bytes)
			case "TRUSTED CERTIFICATE":
				// OpenSSL appends its trust settings after the certificate.
				var raw asn1.RawValue
				if _, err = asn1.Unmarshal(b.Bytes, &raw); err == nil {
					more, err = x509.ParseCertificates(raw.FullBytes)
				}
			case "PKCS7":
				more, err = parsePKCS7(b.Bytes)
			default:
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			certs = append(certs, more...)
		}
		if len(certs) == 0 && len(errs) == 0 {
			return nil, i18n.Errorf("no certificate in PEM data")
		}
		return certs, errors.Join(errs...)
	}
	certs, err := x509.ParseCertificates(data)
	if err == nil && len(certs) > 0 {
		return certs, nil
	}
	if p7, p7err := parsePKCS7(data); p7err == nil {
		return p7, nil
	}
	if err == nil {
		err = errors.New("no certificate found")
	}
	return nil, err
}

func parsePKCS7(der []byte) ([]*x509.Certificate, error) {
	p7, err := pkcs7.Parse(der)
	if err != nil {
		return nil, i18n.Errorf("pkcs7: %v", err)
	}
	if len(p7.Certificates) == 0 {
		return nil, i18n.Errorf("no certificate in PKCS#7 data")
	}
	return p7.Certificates, nil
}

// selfSigned reports whether c names itself as issuer and its own key
// (one keycheck accepts) verifies its signature.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && keycheck.Cert(c) == nil &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// sameCert reports whether a and b are the same subject with the same key:
// one trust anchor, however many times it was re-issued.
func sameCert(a, b *x509.Certificate) bool {
	return bytes.Equal(a.RawSubject, b.RawSubject) && bytes.Equal(a.RawSubjectPublicKeyInfo, b.RawSubjectPublicKeyInfo)
}
