package trust

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
)

func pemOf(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoad(t *testing.T) {
	p := testpki.Shared(t)
	dir := t.TempDir()
	root, inter := p.Root.Cert, p.Inter.Cert
	rootPEM := writeFile(t, filepath.Join(dir, "root.pem"), pemOf(root))
	chainPEM := writeFile(t, filepath.Join(dir, "chain.pem"), pemOf(inter, root))
	rootDER := writeFile(t, filepath.Join(dir, "root.cer"), root.Raw)
	withNoise := writeFile(t, filepath.Join(dir, "noise.pem"), append([]byte("Bundle made by hand\n"),
		append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), pemOf(root)...)...))
	folder := filepath.Join(dir, "anchors")
	writeFile(t, filepath.Join(folder, "national-root.crt"), pemOf(root))
	writeFile(t, filepath.Join(folder, "sub", "issuing.der"), inter.Raw)
	writeFile(t, filepath.Join(folder, "README.txt"), []byte("not a certificate"))
	writeFile(t, filepath.Join(folder, "key.key"), []byte("-----BEGIN PRIVATE KEY-----\n"))
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	garbage := writeFile(t, filepath.Join(dir, "garbage.crt"), []byte("this is not a certificate"))

	tests := []struct {
		name         string
		paths        []string
		roots, extra int
		errIn        string // "" = success
	}{
		{"one PEM root", []string{rootPEM}, 1, 0, ""},
		{"chain file: root anchors, intermediate extra", []string{chainPEM}, 1, 1, ""},
		{"DER", []string{rootDER}, 1, 0, ""},
		{"PEM with other blocks and text", []string{withNoise}, 1, 0, ""},
		{"duplicates count once", []string{rootPEM, rootDER, chainPEM}, 1, 1, ""},
		{"folder, recursive, other files skipped", []string{folder}, 1, 1, ""},
		{"garbage file", []string{garbage}, 0, 0, garbage},
		{"missing file", []string{filepath.Join(dir, "nope.pem")}, 0, 0, "nope.pem"},
		{"empty folder", []string{empty}, 0, 0, empty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.paths)
			if tt.errIn != "" {
				if err == nil || fail.KindOf(err) != fail.KindUsage || !strings.Contains(err.Error(), tt.errIn) {
					t.Fatalf("err %v, want a usage error naming %s", err, tt.errIn)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Roots) != tt.roots || len(s.Extra) != tt.extra || s.System {
				t.Errorf("roots %d extra %d system %v, want %d %d false", len(s.Roots), len(s.Extra), s.System, tt.roots, tt.extra)
			}
			if tt.roots > 0 && !s.Roots[0].Equal(root) {
				t.Error("the anchor is not the root")
			}
		})
	}

	t.Run("system bundle", func(t *testing.T) {
		t.Setenv("SSL_CERT_FILE", "")
		t.Setenv("SSL_CERT_DIR", "")
		bundle := ""
		for _, f := range systemBundles {
			if _, err := os.Stat(f); err == nil {
				bundle = f
				break
			}
		}
		s, err := Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !s.System || bundle != "" && len(s.Roots) == 0 || bundle == "" && len(s.Roots) != 0 {
			t.Errorf("bundle %q: system %v, %d roots", bundle, s.System, len(s.Roots))
		}
	})
	t.Run("bad block in a user's file fails, in a system bundle is skipped", func(t *testing.T) {
		mixed := writeFile(t, filepath.Join(dir, "mixed.pem"), append(pemOf(root), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x00}})...))
		if _, err := Load([]string{mixed}); err == nil || !strings.Contains(err.Error(), mixed) {
			t.Errorf("user file: %v", err)
		}
		t.Setenv("SSL_CERT_FILE", mixed)
		t.Setenv("SSL_CERT_DIR", "")
		if s, err := Load(nil); err != nil || len(s.Roots) != 1 {
			t.Errorf("system bundle: %v", err)
		}
	})
	t.Run("system roots from SSL_CERT_FILE", func(t *testing.T) {
		t.Setenv("SSL_CERT_FILE", chainPEM)
		t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "does-not-exist"))
		s, err := Load(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !s.System || len(s.Roots) != 1 || len(s.Extra) != 1 {
			t.Errorf("system %v roots %d extra %d", s.System, len(s.Roots), len(s.Extra))
		}
	})
}

// TestParseCertificatesOpenSSLForms reads what openssl writes: PKCS#7
// bundles (DER and PEM) and OpenSSL's TRUSTED CERTIFICATE PEM.
func TestParseCertificatesOpenSSLForms(t *testing.T) {
	testtool.Need(t, "openssl")
	p := testpki.Shared(t)
	dir := t.TempDir()
	chain := writeFile(t, filepath.Join(dir, "chain.pem"), pemOf(p.Inter.Cert, p.Root.Cert))
	forms := map[string][]string{
		"p7b-der":     {"crl2pkcs7", "-nocrl", "-certfile", chain, "-outform", "DER"},
		"p7b-pem":     {"crl2pkcs7", "-nocrl", "-certfile", chain},
		"trusted-pem": {"x509", "-in", chain, "-trustout", "-addtrust", "anyExtendedKeyUsage"},
	}
	want := map[string]int{"p7b-der": 2, "p7b-pem": 2, "trusted-pem": 1}
	for name, args := range forms {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command("openssl", args...).Output()
			if err != nil {
				t.Fatalf("openssl %v: %v", args, err)
			}
			certs, err := ParseCertificates(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(certs) != want[name] || !certs[0].Equal(p.Inter.Cert) {
				t.Errorf("%d certificates, want %d starting with the issuing CA", len(certs), want[name])
			}
		})
	}
}

func TestChain(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now()
	// The store holds its own parsed copy of the root: anchors must match
	// by subject and key, not by pointer.
	rootCopy, err := x509.ParseCertificate(p.Root.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	store := &Store{Roots: []*x509.Certificate{rootCopy}}
	withExtra := &Store{Roots: []*x509.Certificate{rootCopy}, Extra: []*x509.Certificate{p.Inter.Cert}}
	attackerTrusting := &Store{Roots: []*x509.Certificate{p.AttackerRoot.Cert}}

	// A certificate issued by a signer (not a CA), and a sub-CA under the
	// issuing CA, whose path length is 0.
	notCA := issue(t, p.Signer.Cert, p.Signer.Key, &x509.Certificate{Subject: pkix.Name{CommonName: "issued by a signer TEST"}})
	subCA := issue(t, p.Inter.Cert, p.Inter.Key, &x509.Certificate{Subject: pkix.Name{CommonName: "sub CA TEST"},
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign})
	underSub := issue(t, subCA, p.SignerEC.Key, &x509.Certificate{Subject: pkix.Name{CommonName: "under sub CA TEST"}})

	tests := []struct {
		name     string
		store    *Store
		leaf     *x509.Certificate
		pool     []*x509.Certificate
		at       time.Time
		status   ChainStatus
		length   int
		problems []string // substrings, each in some problem; nil = no problems
	}{
		{"signer via pool", store, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, now, Trusted, 3, nil},
		{"signer, pool has the root too", store, p.Signer.Cert, []*x509.Certificate{p.Root.Cert, p.Inter.Cert}, now, Trusted, 3, nil},
		{"signer via store extra", withExtra, p.Signer.Cert, nil, now, Trusted, 3, nil},
		{"EC signer", store, p.SignerEC.Cert, []*x509.Certificate{p.Inter.Cert}, now, Trusted, 3, nil},
		{"TSA (timeStamping EKU only)", store, p.TSA.Cert, []*x509.Certificate{p.Inter.Cert}, now, Trusted, 3, nil},
		{"root itself", store, p.Root.Cert, nil, now, Trusted, 1, nil},
		{"issuer missing", store, p.Signer.Cert, nil, now, Incomplete, 1, []string{"issuer", "missing"}},
		{"attacker with its root", store, p.Attacker.Cert, []*x509.Certificate{p.AttackerRoot.Cert}, now, Untrusted, 2, []string{"not a trust anchor"}},
		{"attacker without its root meets the real root's name", store, p.Attacker.Cert, nil, now, Untrusted, 1, []string{"does not verify"}},
		{"real signer, attacker root trusted", attackerTrusting, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, now, Untrusted, 2, []string{"does not verify"}},
		{"real signer, attacker root trusted, real root in pool", attackerTrusting, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert, p.Root.Cert}, now, Untrusted, 3, []string{"not a trust anchor"}},
		{"expired signer now", store, p.Expired.Cert, []*x509.Certificate{p.Inter.Cert}, now, Trusted, 3, []string{"expired on 2021-01-01"}},
		{"signer before its validity", store, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, p.Signer.Cert.NotBefore.Add(-time.Hour), Trusted, 3, []string{"not yet valid"}},
		{"signer at its first hour", store, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, p.Signer.Cert.NotBefore.Add(time.Hour), Trusted, 3, nil},
		{"issued by a non-CA", store, notCA, []*x509.Certificate{p.Signer.Cert, p.Inter.Cert}, now, Trusted, 4, []string{"is not a CA"}},
		{"path length exceeded", store, underSub, []*x509.Certificate{subCA, p.Inter.Cert}, now, Trusted, 4, []string{"allows 0 CA certificates below it"}},
		{"system store without a bundle", &Store{System: true}, p.Signer.Cert, []*x509.Certificate{p.Inter.Cert, p.Root.Cert}, now, Untrusted, 3, []string{"system verifier"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.store.Chain(tt.leaf, tt.pool, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.status || len(r.Certs) != tt.length {
				t.Fatalf("status %v with %d certificates, want %v with %d; problems %q", r.Status, len(r.Certs), tt.status, tt.length, r.Problems)
			}
			if !r.Certs[0].Equal(tt.leaf) {
				t.Error("the path does not start at the leaf")
			}
			if r.Status == Trusted && r.Certs[len(r.Certs)-1] != tt.store.Roots[0] {
				t.Error("a trusted path should end at the store's own anchor")
			}
			if tt.problems == nil && len(r.Problems) > 0 {
				t.Errorf("unexpected problems %q", r.Problems)
			}
			for _, want := range tt.problems {
				if !strings.Contains(strings.Join(r.Problems, "\n"), want) {
					t.Errorf("problems %q do not mention %q", r.Problems, want)
				}
			}
			// Go's own verifier, an independent judge, agrees on trusted
			// paths without problems.
			if r.Status == Trusted && len(r.Problems) == 0 {
				roots, inter := x509.NewCertPool(), x509.NewCertPool()
				roots.AddCert(tt.store.Roots[0])
				for _, c := range append(tt.pool, tt.store.Extra...) {
					inter.AddCert(c)
				}
				if _, err := tt.leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: tt.at,
					KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
					t.Errorf("crypto/x509 disagrees: %v", err)
				}
			}
		})
	}
	if _, err := store.Chain(nil, nil, now); err == nil {
		t.Error("a nil leaf should be an error")
	}
}

func issue(t testing.TB, parent *x509.Certificate, key any, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	signer := testpki.Shared(t).SignerEC
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, signer.Key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// BenchmarkChainSystemSized builds a path with a pool the size of a system
// bundle in the store.
func BenchmarkChainSystemSized(b *testing.B) {
	p := testpki.Shared(b)
	roots := []*x509.Certificate{p.Root.Cert}
	for i := range 150 {
		tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: fmt.Sprintf("other root %d TEST", i)}, IsCA: true, BasicConstraintsValid: true}
		tmpl.SubjectKeyId = []byte{byte(i)}
		roots = append(roots, issue(b, tmpl, p.SignerEC.Key, tmpl))
	}
	s := &Store{Roots: roots}
	for b.Loop() {
		if r, _ := s.Chain(p.Signer.Cert, []*x509.Certificate{p.Inter.Cert}, time.Now()); r.Status != Trusted {
			b.Fatal(r.Status)
		}
	}
}

// BenchmarkLoadSystem reads this machine's system roots.
func BenchmarkLoadSystem(b *testing.B) {
	for b.Loop() {
		if _, err := Load(nil); err != nil {
			b.Fatal(err)
		}
	}
}
