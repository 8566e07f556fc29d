package verify

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// TestHugeSignerKey: a signer whose certificate (issued by the trusted test
// CA) carries a 20000-bit RSA key, over keycheck's bound: the signature is
// not computed with, the verdict is indeterminate with the policy's
// finding naming the bound. The red team's 2-megabit key took 105 s.
func TestHugeSignerKey(t *testing.T) {
	e := newEnv(t)
	huge := keychecktest.Signer{Pub: keychecktest.HugeRSA(20000)}
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: n, Subject: pkix.Name{CommonName: "huge key signer TEST"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, e.pki.Inter.Cert, huge.Pub, e.pki.Inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(signed []byte) ([]byte, error) {
		sd, err := pkcs7.NewSignedData(signed)
		if err != nil {
			return nil, err
		}
		sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
		if err := sd.AddSigner(cert, huge, pkcs7.SignerInfoConfig{}); err != nil {
			return nil, err
		}
		sd.AddCertificate(e.pki.Inter.Cert)
		sd.Detach()
		return sd.Finish()
	}
	doc, _, err := attackgen.Sign(readTestdata(t, "simple.pdf"), attackgen.SigOptions{Field: "Sig1", Sign: sign, Placeholder: 16384})
	if err != nil {
		t.Fatal(err)
	}
	r := verifyBytes(t, doc, Options{Trust: e.store, RevocationSoft: true})
	if r.Status != Indeterminate || len(r.Signatures) != 1 {
		t.Fatalf("status %s, signatures %+v", r.Status, r.Signatures)
	}
	s := r.Signatures[0]
	if s.Chain != "trusted" {
		t.Errorf("chain %s: the signer's own key has no part in its chain", s.Chain)
	}
	if !hasFinding(r, FindingKeyTooLarge) {
		t.Fatalf("no %s finding in %+v", FindingKeyTooLarge, r.Findings)
	}
	mustContain(t, "reasons", s.Reasons, "at most 16384 bits; this one has 20000")
	count := 0
	for _, f := range r.Findings {
		if strings.HasPrefix(f.ID, "policy-key") {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d key findings, want one: %+v", count, r.Findings)
	}
}

// TestPolicyMaxRSABits: max-rsa-bits may lower the bound, not raise it
// above keycheck's.
func TestPolicyMaxRSABits(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := DefaultPolicy(); p.MaxRSABits != 16384 {
		t.Errorf("default max-rsa-bits %d", p.MaxRSABits)
	}
	for name, body := range map[string]string{
		"above the bound": "max-rsa-bits: 16385\n",
		"zero":            "max-rsa-bits: 0\n",
		"below the min":   "max-rsa-bits: 1024\n",
	} {
		if _, err := LoadPolicy(write(strings.ReplaceAll(name, " ", "-")+".yaml", body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	low, err := LoadPolicy(write("low.yaml", "min-rsa-bits: 1024\nmax-rsa-bits: 1536\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The test signer's RSA-2048 key is over a max-rsa-bits of 1536.
	r := verifyBytes(t, e.signTS(t, e.pki.Signer, nil), Options{Trust: e.store, RevocationSoft: true, Policy: low})
	if r.Status != Indeterminate || !hasFinding(r, FindingKeyTooLarge) {
		t.Fatalf("RSA-2048 under max-rsa-bits 1536: %s %+v", r.Status, r.Findings)
	}
	mustContain(t, "reasons", r.Signatures[0].Reasons, "at most 1536 bits; this one has 2048")
}
