package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
)

const testPass = "mật khẩu thử 123" // non-ASCII on purpose: PKCS#12 passwords are BMPString

// opensslP12 exports leaf (+ chain) to a .p12 with openssl, the way a CA or
// a user would make one.
func opensslP12(t *testing.T, dir, name string, leaf *testpki.Leaf, chain []*x509.Certificate, args ...string) string {
	t.Helper()
	testtool.Need(t, "openssl")
	keyDER, err := x509.MarshalPKCS8PrivateKey(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile, chainFile := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".crt"), filepath.Join(dir, name+"-chain.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Cert.Raw}), 0o644)
	var chainPEM []byte
	for _, c := range chain {
		chainPEM = append(chainPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	os.WriteFile(chainFile, chainPEM, 0o644)
	out := filepath.Join(dir, name+".p12")
	cmd := exec.Command("openssl", append([]string{"pkcs12", "-export", "-inkey", keyFile, "-in", certFile,
		"-certfile", chainFile, "-passout", "env:P12PASS", "-out", out}, args...)...)
	cmd.Env = append(os.Environ(), "P12PASS="+testPass)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12 %v: %v\n%s", args, err, b)
	}
	return out
}

func TestLoadP12(t *testing.T) {
	p := testpki.Shared(t)
	dir := t.TempDir()
	legacy := []string{"-legacy"}
	legacyExplicit := []string{"-provider", "legacy", "-provider", "default", "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-RC2-40", "-macalg", "sha1"}
	modern := []string{"-keypbe", "AES-256-CBC", "-certpbe", "AES-256-CBC", "-macalg", "sha256"}
	tests := []struct {
		name string
		leaf *testpki.Leaf
		args []string
	}{
		{"rsa-legacy", p.Signer, legacy},
		{"rsa-rc2-40", p.Signer, legacyExplicit},
		{"rsa-aes", p.Signer, modern},
		{"ec-legacy", p.SignerEC, legacy},
		{"ec-aes", p.SignerEC, modern},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := opensslP12(t, dir, tt.name, tt.leaf, p.Chain(), tt.args...)
			k, err := LoadP12(file, []byte(testPass))
			if err != nil {
				t.Fatal(err)
			}
			if !k.Cert.Equal(tt.leaf.Cert) {
				t.Errorf("certificate %q, want %q", k.Cert.Subject, tt.leaf.Cert.Subject)
			}
			if len(k.Chain) != 2 || !k.Chain[0].Equal(p.Inter.Cert) || !k.Chain[1].Equal(p.Root.Cert) {
				t.Errorf("chain has %d certificates, want inter and root", len(k.Chain))
			}
			if !strings.Contains(k.Description, file) {
				t.Errorf("description %q does not name the file", k.Description)
			}
			// The key must really sign for the certificate.
			digest := make([]byte, 32)
			sig, err := k.Signer.Sign(rand.Reader, digest, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if !verifyDigest(k.Cert, digest, sig) {
				t.Error("signature does not verify with the certificate")
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		file := opensslP12(t, dir, "wrongpass", p.Signer, p.Chain(), modern...)
		_, err := LoadP12(file, []byte("not the password"))
		if err == nil || fail.KindOf(err) != fail.KindRun {
			t.Fatalf("err %v, want a run failure", err)
		}
		if want := file + ": wrong password"; err.Error() != want {
			t.Errorf("message %q, want %q", err, want)
		}
		if strings.Contains(err.Error(), "not the password") {
			t.Error("the password leaks into the error")
		}
	})
	t.Run("wrong password legacy", func(t *testing.T) {
		file := opensslP12(t, dir, "wrongpass-legacy", p.Signer, p.Chain(), legacy...)
		if _, err := LoadP12(file, []byte("x")); err == nil || !strings.Contains(err.Error(), "wrong password") {
			t.Fatalf("err %v, want wrong password", err)
		}
	})
	t.Run("key does not match certificate", func(t *testing.T) {
		data, err := pkcs12.Modern.Encode(p.SignerEC.Key, p.Signer.Cert, p.Chain(), testPass)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "mismatch.p12")
		os.WriteFile(file, data, 0o600)
		_, err = LoadP12(file, []byte(testPass))
		if err == nil || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("err %v, want a run failure about the mismatch", err)
		}
	})
	t.Run("not a p12", func(t *testing.T) {
		file := filepath.Join(dir, "cert.pem")
		os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Signer.Cert.Raw}), 0o644)
		_, err := LoadP12(file, []byte(testPass))
		if err == nil || fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), file) {
			t.Fatalf("err %v, want a run failure naming the file", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadP12(filepath.Join(dir, "nope.p12"), []byte(testPass))
		if err == nil || fail.KindOf(err) != fail.KindUsage || !strings.Contains(err.Error(), "nope.p12") {
			t.Fatalf("err %v, want a usage error naming the file", err)
		}
	})
}

func verifyDigest(c *x509.Certificate, digest, sig []byte) bool {
	switch pub := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digest, sig)
	}
	return false
}

func TestCheckSigningCert(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now()
	mk := func(t *testing.T, tmpl *x509.Certificate, pub any) *x509.Certificate {
		t.Helper()
		tmpl.SerialNumber = big.NewInt(7)
		tmpl.Subject = pkix.Name{CommonName: "test"}
		tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(time.Hour)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, p.Inter.Cert, pub, p.Inter.Key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		at   time.Time
		want []string // substrings of the error; nil = accepted
	}{
		{"rsa signer", p.Signer.Cert, now, nil},
		{"ec signer", p.SignerEC.Cert, now, nil},
		{"expired", p.Expired.Cert, now, []string{"expired", "2021-01-01", "2020-01-01"}},
		{"not yet valid", p.Signer.Cert, p.Signer.Cert.NotBefore.Add(-time.Hour), []string{"not yet valid", p.Signer.Cert.NotBefore.UTC().Format("2006-01-02")}},
		{"ca", p.Inter.Cert, now, []string{"CA certificate"}},
		{"key usage without signing", mk(t, &x509.Certificate{KeyUsage: x509.KeyUsageKeyEncipherment}, p.Signer.Cert.PublicKey), now, []string{"key usage"}},
		{"no key usage at all", mk(t, &x509.Certificate{}, p.Signer.Cert.PublicKey), now, nil},
		// key sizes are the validation policy's: cmd/kyso
		// TestSignRefusesCertTheVerifyPolicyRefuses
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSigningCert(tt.cert, tt.at)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || fail.KindOf(err) != fail.KindRun {
				t.Fatalf("err %v, want a run failure", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}
