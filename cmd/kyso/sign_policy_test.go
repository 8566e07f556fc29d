package main

import (
	"bytes"
	"encoding/asn1"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// kyso sign refuses, before the first file and with exit 5, a certificate
// that its own verify would call indeterminate under the validation
// policy: one restricted to timeStamping, and one with an RSA-1024 key.
// Nothing is written.
func TestSignRefusesCertTheVerifyPolicyRefuses(t *testing.T) {
	p, dir, in := signPolicySetup(t)
	cases := []struct {
		name string
		opts testpki.LeafOptions
		want []string
	}{
		{"timeStamping only", testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUTimeStamping}},
			[]string{"cannot sign documents", "restricted to timeStamping (extended key usage)"}},
		{"rsa-1024", testpki.LeafOptions{RSABits: 1024},
			[]string{"cannot sign documents", "at least 2048 bits; this one has 1024"}},
		{"document signing", testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUDocumentSigning}}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			leaf, err := p.NewLeaf(c.opts)
			if err != nil {
				t.Fatal(err)
			}
			der, err := pkcs12.Modern.Encode(leaf.Key, leaf.Cert, p.Chain(), testpki.DefaultPassword)
			if err != nil {
				t.Fatal(err)
			}
			p12 := filepath.Join(dir, c.name+".p12")
			if err := os.WriteFile(p12, der, 0o600); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out"+string(rune('0'+i)))
			var so, se bytes.Buffer
			code := run([]string{"sign", in, "--out", out, "--p12", p12, "--pass-env", "KYSO_PASS", "--no-stamp"}, strings.NewReader(""), &so, &se)
			stderr := se.String()
			if c.want == nil {
				if code != 0 {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
				}
				return
			}
			if code != 5 {
				t.Errorf("exit %d, want 5; stderr:\n%s", code, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s written (%v)", out, err)
			}
		})
	}
}

// kyso sign --policy judges the signer's certificate by the unit's policy
// file, as verify --policy judges signatures: RSA-3072 required refuses the
// usual RSA-2048 signer (exit 5, nothing written), and a policy that drops
// the EKU check accepts a timeStamping-only certificate the default refuses.
func TestSignPolicyFile(t *testing.T) {
	p, dir, in := signPolicySetup(t)
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	strict := write("rsa3072.yaml", "min-rsa-bits: 3072\n")
	noEKU := write("no-eku.yaml", "accepted-ekus: []\n")
	p12 := func(name string, opts testpki.LeafOptions) string {
		leaf, err := p.NewLeaf(opts)
		if err != nil {
			t.Fatal(err)
		}
		der, err := pkcs12.Modern.Encode(leaf.Key, leaf.Cert, p.Chain(), testpki.DefaultPassword)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, der, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rsa2048 := p12("rsa2048.p12", testpki.LeafOptions{RSABits: 2048})
	tsOnly := p12("ts-only.p12", testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUTimeStamping}})
	for i, c := range []struct {
		name, p12, policy string
		code              int
		want              string
	}{
		{"RSA-2048 under the default policy", rsa2048, "", 0, ""},
		{"RSA-2048 under a policy requiring 3072 bits", rsa2048, strict, 5, "at least 3072 bits; this one has 2048"},
		{"timeStamping-only under the default policy", tsOnly, "", 5, "restricted to timeStamping"},
		{"timeStamping-only under a policy without the EKU check", tsOnly, noEKU, 0, ""},
		{"a policy file that is not there", rsa2048, filepath.Join(dir, "missing.yaml"), 2, "missing.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("out%d", i))
			args := []string{"sign", in, "--out", out, "--p12", c.p12, "--pass-env", "KYSO_PASS", "--no-stamp"}
			if c.policy != "" {
				args = append(args, "--policy", c.policy)
			}
			var so, se bytes.Buffer
			code := run(args, strings.NewReader(""), &so, &se)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, se.String())
			}
			if c.want != "" && !strings.Contains(se.String(), c.want) {
				t.Errorf("stderr does not say %q:\n%s", c.want, se.String())
			}
			_, err := os.Stat(filepath.Join(out, "a.pdf"))
			if signed := err == nil; signed != (c.code == 0) {
				t.Errorf("output written: %v, want %v", signed, c.code == 0)
			}
		})
	}
}

// signPolicySetup is the shared test PKI, a temporary folder and, in it, a
// folder in/ holding one unsigned PDF (a.pdf).
func signPolicySetup(t *testing.T) (p *testpki.PKI, dir, in string) {
	t.Helper()
	t.Setenv("KYSO_LANG", "en")
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)
	p = testpki.Shared(t)
	dir = t.TempDir()
	in = filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	simple, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "a.pdf"), simple, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, dir, in
}
