package tsp

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"
)

// A throwaway PKI: a root CA and TSA certificates under it, with the
// extended key usage right (critical, timeStamping only) or wrong.
type ekuMode int

const (
	ekuGood ekuMode = iota
	ekuNotCritical
	ekuNone
	ekuExtra
)

type testTSA struct {
	key     crypto.Signer
	cert    *x509.Certificate
	root    *x509.Certificate
	rootKey crypto.Signer
}

var testSerial atomic.Int64

func newRoot(t testing.TB) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(testSerial.Add(1)), Subject: pkix.Name{CommonName: "kyso TEST root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// newTSACert issues a TSA certificate for key under root.
func newTSACert(t testing.TB, root *x509.Certificate, rootKey, key crypto.Signer, mode ekuMode) *x509.Certificate {
	t.Helper()
	tsOID := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(testSerial.Add(1)), Subject: pkix.Name{CommonName: "kyso TEST TSA", Organization: []string{"kyso TEST"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, BasicConstraintsValid: true,
	}
	ekus := []asn1.ObjectIdentifier{tsOID}
	if mode == ekuExtra {
		ekus = append(ekus, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4})
	}
	val, _ := asn1.Marshal(ekus)
	if mode != ekuNone {
		// Go writes ExtKeyUsage non-critical; RFC 3161 wants it critical.
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: mode != ekuNotCritical, Value: val}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), rootKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// tsaKey is one RSA key for all tests: generating it is the slow part.
var tsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// newTSA makes a root and a good RSA TSA under it.
func newTSA(t testing.TB) *testTSA {
	t.Helper()
	root, rootKey := newRoot(t)
	key, err := tsaKey()
	if err != nil {
		t.Fatal(err)
	}
	return &testTSA{key: key, cert: newTSACert(t, root, rootKey, key, ekuGood), root: root, rootKey: rootKey}
}

func (a *testTSA) server() *Server {
	return &Server{Signer: a.key, Cert: a.cert, Chain: []*x509.Certificate{a.root}}
}

func writePEM(t testing.TB, name, typ string, der ...[]byte) string {
	t.Helper()
	var out []byte
	for _, d := range der {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
	}
	if err := os.WriteFile(name, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// writeFiles writes the TSA's certificate, key and root as PEM into dir.
func (a *testTSA) writeFiles(t testing.TB, dir string) (cert, key, root string) {
	t.Helper()
	k, err := x509.MarshalPKCS8PrivateKey(a.key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, filepath.Join(dir, "tsa.crt"), "CERTIFICATE", a.cert.Raw),
		writePEM(t, filepath.Join(dir, "tsa.key"), "PRIVATE KEY", k),
		writePEM(t, filepath.Join(dir, "root.crt"), "CERTIFICATE", a.root.Raw)
}

func needOpenSSL(t testing.TB) {
	t.Helper()
	testtool.Need(t, "openssl")
}

func newTSAName() pkix.Name { return pkix.Name{CommonName: "kyso TEST TSA"} }
