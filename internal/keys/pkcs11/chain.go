package pkcs11

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"github.com/kyso-project/kyso/internal/keycheck"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/keys"
)

// CompleteChain rebuilds k.Chain as the path from k.Cert up through the
// certificates of k.Chain, of chainFile (if not empty) and, when fetch is
// set, of the caIssuers addresses. It serves any key source, a .p12 file
// as well as a token.
func CompleteChain(ctx context.Context, k *keys.Key, chainFile string,
	fetch func(context.Context, *x509.Certificate) (*x509.Certificate, error)) error {
	pool := k.Chain
	if chainFile != "" {
		extra, err := readCertFile(chainFile)
		if err != nil {
			return err
		}
		pool = append(append([]*x509.Certificate{}, k.Chain...), extra...)
	}
	k.Chain = buildChain(ctx, k.Cert, pool, fetch)
	return nil
}

// maxChain bounds the walk up a chain: real ones have 2 to 4 links.
const maxChain = 8

// buildChain walks from leaf up through its issuers, taken from pool and
// then (if fetch is set) from the caIssuers addresses, until a
// self-signed certificate or a missing issuer. It returns the issuers in
// order, without leaf. Certificates of pool that are not on the path
// (other keys' certificates, unrelated roots) are left out.
func buildChain(ctx context.Context, leaf *x509.Certificate, pool []*x509.Certificate,
	fetch func(context.Context, *x509.Certificate) (*x509.Certificate, error)) []*x509.Certificate {
	var chain []*x509.Certificate
	seen := map[string]bool{string(leaf.Raw): true}
	cur := leaf
	for len(chain) < maxChain && !selfSigned(cur) {
		next := issuerIn(cur, pool, seen)
		if next == nil && fetch != nil && len(cur.IssuingCertificateURL) > 0 && ctx.Err() == nil {
			if c, err := fetch(ctx, cur); err == nil && c != nil && !seen[string(c.Raw)] && issues(c, cur) {
				next = c
			}
		}
		if next == nil {
			break
		}
		seen[string(next.Raw)] = true
		chain = append(chain, next)
		cur = next
	}
	return chain
}

func issuerIn(c *x509.Certificate, pool []*x509.Certificate, seen map[string]bool) *x509.Certificate {
	for _, p := range pool {
		if !seen[string(p.Raw)] && issues(p, c) {
			return p
		}
	}
	return nil
}

// issues reports whether parent signed child. A signature Go refuses to
// check (SHA-1, in some older national CA chains) is taken on the names
// and key identifiers: collecting the chain is not judging it, which is
// the verifier's job.
func issues(parent, child *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, child.RawIssuer) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 && !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false
	}
	err := keycheck.CheckSignatureFrom(child, parent)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && keycheck.CheckSignatureFrom(c, c) == nil
}

// readCertFile reads the certificates of a PEM file (any number of
// CERTIFICATE blocks) or a DER file (one or more concatenated).
func readCertFile(path string) ([]*x509.Certificate, error) {
	data, err := fileutil.ReadFileMax(path, 4<<20)
	if err != nil {
		return nil, fail.Usage(i18n.Errorf("chain file %s: %v", path, err), "")
	}
	certs, err := parseCerts(data)
	if err != nil {
		return nil, fail.Usage(i18n.Errorf("chain file %s: %v", path, err), "give PEM or DER X.509 certificates")
	}
	return certs, nil
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		certs, err := x509.ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			err = errors.New("no certificate in it")
		}
		return certs, err
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, i18n.Errorf("certificate %d: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, i18n.Errorf("no CERTIFICATE block in it")
	}
	return certs, nil
}
