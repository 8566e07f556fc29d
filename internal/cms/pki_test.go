package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"
)

// A throwaway PKI: root -> intermediate -> signers with RSA, ECDSA and
// Ed25519 keys. Keys are made once per test binary: RSA key generation is
// the slow part of these tests.
type testSigner struct {
	name string
	key  crypto.Signer
	cert *x509.Certificate
}

type testPKI struct {
	root, inter        *testSigner
	rsa, ec, ec384, ed *testSigner
}

var (
	pkiOnce sync.Once
	pki     *testPKI
)

func getPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		rootKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		root := issue(t, "root", rootKey, nil, true)
		interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		inter := issue(t, "inter", interKey, root, true)
		rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ec384Key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		_, edKey, _ := ed25519.GenerateKey(rand.Reader)
		pki = &testPKI{
			root: root, inter: inter,
			rsa:   issue(t, "signer-rsa", rsaKey, inter, false),
			ec:    issue(t, "signer-ec", ecKey, inter, false),
			ec384: issue(t, "signer-ec384", ec384Key, inter, false),
			ed:    issue(t, "signer-ed25519", edKey, inter, false),
		}
	})
	if pki == nil {
		t.Fatal("test pki could not be built")
	}
	return pki
}

var serial int64 = 1000

// issue makes a certificate for key, signed by parent (self-signed if nil).
func issue(t testing.TB, name string, key crypto.Signer, parent *testSigner, ca bool) *testSigner {
	t.Helper()
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "kyso TEST " + name, Organization: []string{"kyso TEST"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		IsCA:                  ca,
	}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatalf("issue %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigner{name: name, key: key, cert: cert}
}

// writePEM writes the signer's certificate and key as PEM files in dir.
func (s *testSigner) writePEM(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(dir, s.name+".crt")
	keyFile = filepath.Join(dir, s.name+".key")
	writePEMFile(t, certFile, "CERTIFICATE", s.cert.Raw)
	k, err := x509.MarshalPKCS8PrivateKey(s.key)
	if err != nil {
		t.Fatal(err)
	}
	writePEMFile(t, keyFile, "PRIVATE KEY", k)
	return certFile, keyFile
}

func writePEMFile(t testing.TB, name, typ string, der ...[]byte) {
	t.Helper()
	var out []byte
	for _, d := range der {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
	}
	if err := os.WriteFile(name, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func needOpenSSL(t testing.TB) {
	t.Helper()
	testtool.Need(t, "openssl")
}

func openssl(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := runOpenSSL(args...)
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return out
}

func runOpenSSL(args ...string) ([]byte, error) {
	return exec.Command("openssl", args...).CombinedOutput()
}
