package testpki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"

	"golang.org/x/crypto/ocsp"
	"software.sslmate.com/src/go-pkcs12"
)

func TestNewWritesFiles(t *testing.T) {
	dir := t.TempDir()
	p, err := New(Options{Dir: dir, ReuseKeys: true, BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"root.crt", "inter.crt", "chain.pem", "trust.pem", "signer.p12", "signer-ec.p12",
		"revoked.p12", "expired.p12", "attacker.p12", "attacker-root.crt", "tsa.crt", "tsa.key", "ocsp.crt", "ocsp.key",
		"inter.crl", "root.crl", "index.txt", "index.txt.attr"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", name, err)
		}
	}
	tests := []struct {
		file string
		leaf *Leaf
	}{
		{"signer.p12", p.Signer}, {"signer-ec.p12", p.SignerEC}, {"revoked.p12", p.Revoked}, {"expired.p12", p.Expired},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		key, cert, chain, err := pkcs12.DecodeChain(data, DefaultPassword)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !cert.Equal(tt.leaf.Cert) || len(chain) != 2 || !chain[1].Equal(p.Root.Cert) {
			t.Errorf("%s: wrong certificates", tt.file)
		}
		if k, ok := key.(crypto.Signer); !ok || !tt.leaf.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
			t.Errorf("%s: wrong key", tt.file)
		}
	}
	trust, _ := os.ReadFile(filepath.Join(dir, "trust.pem"))
	if b, _ := pem.Decode(trust); b == nil || !bytes.Equal(b.Bytes, p.Root.Cert.Raw) {
		t.Error("trust.pem does not hold the root")
	}
}

func TestCertificates(t *testing.T) {
	p := Shared(t)
	s := p.Signer.Cert
	if s.Subject.CommonName != DefaultUnit || s.Subject.Organization[0] != DefaultUnit || s.Subject.Province[0] != "Đắk Lắk" {
		t.Errorf("signer subject %q", s.Subject)
	}
	if s.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("signer key usage %v", s.KeyUsage)
	}
	if len(s.UnknownExtKeyUsage) != 1 || !s.UnknownExtKeyUsage[0].Equal(oidDocumentSigning) ||
		len(s.ExtKeyUsage) != 1 || s.ExtKeyUsage[0] != x509.ExtKeyUsageEmailProtection {
		t.Errorf("signer EKU %v %v", s.ExtKeyUsage, s.UnknownExtKeyUsage)
	}
	for _, c := range []*x509.Certificate{p.Root.Cert, p.Inter.Cert, p.Signer.Cert, p.TSA.Cert, p.OCSP.Cert, p.Revoked.Cert} {
		if !strings.Contains(c.Subject.String(), "TEST") {
			t.Errorf("%s: name does not say TEST", c.Subject)
		}
	}
	eku := func(c *x509.Certificate) (critical bool, oids []asn1.ObjectIdentifier) {
		for _, e := range c.Extensions {
			if e.Id.Equal(oidExtKeyUsage) {
				asn1.Unmarshal(e.Value, &oids)
				return e.Critical, oids
			}
		}
		return false, nil
	}
	if crit, oids := eku(p.TSA.Cert); !crit || len(oids) != 1 || !oids[0].Equal(oidTimeStamping) {
		t.Errorf("TSA EKU critical=%v %v", crit, oids)
	}
	if _, oids := eku(p.OCSP.Cert); len(oids) != 1 || !oids[0].Equal(oidOCSPSigning) {
		t.Errorf("OCSP EKU %v", oids)
	}
	nocheck := false
	for _, e := range p.OCSP.Cert.Extensions {
		nocheck = nocheck || e.Id.Equal(oidOCSPNoCheck)
	}
	if !nocheck {
		t.Error("OCSP certificate lacks ocsp-nocheck")
	}
	if !p.Expired.Cert.NotAfter.Before(time.Now()) {
		t.Error("expired certificate is not expired")
	}
	if !bytes.Equal(p.AttackerRoot.Cert.RawSubject, p.Root.Cert.RawSubject) || p.AttackerRoot.Cert.Equal(p.Root.Cert) {
		t.Error("attacker root should copy the root's name, not its key")
	}
	if p.Signer.Cert.OCSPServer != nil {
		t.Error("shared PKI should carry no network addresses")
	}
	crl, err := x509.ParseRevocationList(p.InterCRL)
	if err != nil || crl.CheckSignatureFrom(p.Inter.Cert) != nil {
		t.Fatalf("inter CRL: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(p.Revoked.Cert.SerialNumber) != 0 {
		t.Error("inter CRL should list only the revoked signer")
	}
}

// TestOpenSSLAgrees has openssl, an independent implementation, judge the
// chain and read the .p12 files.
func TestOpenSSLAgrees(t *testing.T) {
	testtool.Need(t, "openssl")
	dir := t.TempDir()
	p, err := New(Options{Dir: dir, ReuseKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]*Leaf{"signer": p.Signer, "signer-ec": p.SignerEC, "tsa": p.TSA, "ocsp": p.OCSP} {
		f := filepath.Join(dir, name+".pem")
		os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Cert.Raw}), 0o644)
		out, err := exec.Command("openssl", "verify", "-CAfile", filepath.Join(dir, "root.crt"),
			"-untrusted", filepath.Join(dir, "inter.crt"), f).CombinedOutput()
		if err != nil {
			t.Errorf("openssl verify %s: %v\n%s", name, err, out)
		}
	}
	cmd := exec.Command("openssl", "pkcs12", "-in", filepath.Join(dir, "signer-ec.p12"), "-passin", "env:P12PASS", "-nokeys")
	cmd.Env = append(os.Environ(), "P12PASS="+DefaultPassword)
	if out, err := cmd.CombinedOutput(); err != nil || !bytes.Contains(out, []byte("BEGIN CERTIFICATE")) {
		t.Errorf("openssl pkcs12: %v\n%s", err, out)
	}
}

func TestHandler(t *testing.T) {
	p := Serve(t, Options{}, func(*PKI) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "tsa") })
	})
	post := func(t *testing.T, cert, issuer *x509.Certificate) *ocsp.Response {
		req, err := ocsp.CreateRequest(cert, issuer, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(p.BaseURL+"/ocsp", "application/ocsp-request", bytes.NewReader(req))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		der, _ := io.ReadAll(resp.Body)
		r, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name         string
		cert, issuer *x509.Certificate
		status       int
	}{
		{"signer", p.Signer.Cert, p.Inter.Cert, ocsp.Good},
		{"revoked", p.Revoked.Cert, p.Inter.Cert, ocsp.Revoked},
		{"inter, answered by the root", p.Inter.Cert, p.Root.Cert, ocsp.Good},
		{"unknown serial", p.Root.Cert, p.Inter.Cert, ocsp.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, tt.cert, tt.issuer)
			if r.Status != tt.status {
				t.Errorf("status %d, want %d", r.Status, tt.status)
			}
			if tt.status == ocsp.Revoked && !r.RevokedAt.Equal(p.RevokedAt) {
				t.Errorf("revoked at %v, want %v", r.RevokedAt, p.RevokedAt)
			}
		})
	}
	for _, path := range []string{"/inter.crl", "/root.crl", "/inter.crt", "/root.crt", "/tsa"} {
		resp, err := http.Get(p.BaseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %s", path, resp.Status)
		}
	}
	if got, want := p.Counts(), (Counts{OCSP: int64(len(tests)), CRL: 2, Cert: 2, TSA: 1}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if want := p.BaseURL + "/inter.crl"; len(p.Signer.Cert.CRLDistributionPoints) != 1 || p.Signer.Cert.CRLDistributionPoints[0] != want {
		t.Errorf("signer CRL DP %v, want %s", p.Signer.Cert.CRLDistributionPoints, want)
	}
}

func BenchmarkNewReusedKeys(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{ReuseKeys: true}); err != nil {
			b.Fatal(err)
		}
	}
}
