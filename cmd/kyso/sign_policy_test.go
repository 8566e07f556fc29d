package main

import (
	"bytes"
	"encoding/asn1"
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
	t.Setenv("KYSO_LANG", "en")
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)
	p := testpki.Shared(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
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
