package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// openssl is the independent judge: it must accept what SignDetached writes,
// and Parse/VerifySignature must accept what it writes.

func TestOpenSSLVerifiesSignDetached(t *testing.T) {
	needOpenSSL(t)
	p := getPKI(t)
	dir := t.TempDir()
	content := filepath.Join(dir, "content.bin")
	data := bytes.Repeat([]byte("scanned page "), 1000)
	if err := os.WriteFile(content, data, 0o600); err != nil {
		t.Fatal(err)
	}
	rootFile, _ := p.root.writePEM(t, dir)
	for _, tc := range []struct {
		s *testSigner
		h crypto.Hash
	}{{p.rsa, crypto.SHA256}, {p.rsa, crypto.SHA512}, {p.ec, crypto.SHA256}, {p.ec384, crypto.SHA384}} {
		t.Run(tc.s.name+" "+HashName(tc.h), func(t *testing.T) {
			der, _, err := SignDetached(context.Background(), digestOf(tc.h, data), SignOptions{
				Signer: tc.s.key, Cert: tc.s.cert, Hash: tc.h, Chain: []*x509.Certificate{p.inter.cert}})
			if err != nil {
				t.Fatal(err)
			}
			sig := filepath.Join(dir, "sig.der")
			if err := os.WriteFile(sig, der, 0o600); err != nil {
				t.Fatal(err)
			}
			out := openssl(t, "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content,
				"-CAfile", rootFile, "-purpose", "any", "-out", os.DevNull)
			if !bytes.Contains(out, []byte("Verification successful")) {
				t.Errorf("openssl: %s", out)
			}
			// and openssl notices a change of content
			if err := os.WriteFile(filepath.Join(dir, "other.bin"), append(data, '!'), 0o600); err != nil {
				t.Fatal(err)
			}
			if o, err := runOpenSSL("cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content",
				filepath.Join(dir, "other.bin"), "-CAfile", rootFile, "-purpose", "any", "-out", os.DevNull); err == nil {
				t.Errorf("openssl verified changed content: %s", o)
			}
		})
	}
}

func TestVerifyOpenSSLSignatures(t *testing.T) {
	needOpenSSL(t)
	p := getPKI(t)
	dir := t.TempDir()
	content := filepath.Join(dir, "content.bin")
	data := []byte("a small scanned document\n")
	if err := os.WriteFile(content, data, 0o600); err != nil {
		t.Fatal(err)
	}
	interFile, _ := p.inter.writePEM(t, dir)
	tests := []struct {
		name      string
		s         *testSigner
		args      []string
		h         crypto.Hash
		weak      bool
		embedded  bool
		noAttrs   bool
		essSigner bool
	}{
		{name: "rsa sha-256", s: p.rsa, args: []string{"-md", "sha256"}, h: crypto.SHA256},
		{name: "ecdsa sha-256", s: p.ec, args: []string{"-md", "sha256"}, h: crypto.SHA256},
		{name: "ecdsa p-384 sha-384", s: p.ec384, args: []string{"-md", "sha384"}, h: crypto.SHA384},
		{name: "rsa no signed attributes", s: p.rsa, args: []string{"-md", "sha256", "-noattr"}, h: crypto.SHA256, noAttrs: true},
		{name: "ecdsa no signed attributes", s: p.ec, args: []string{"-md", "sha256", "-noattr"}, h: crypto.SHA256, noAttrs: true},
		{name: "rsa-pss", s: p.rsa, args: []string{"-md", "sha256", "-keyopt", "rsa_padding_mode:pss"}, h: crypto.SHA256},
		{name: "rsa-pss sha-384 salt 20", s: p.rsa, args: []string{"-md", "sha384", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:20"}, h: crypto.SHA384},
		{name: "rsa sha-1", s: p.rsa, args: []string{"-md", "sha1"}, h: crypto.SHA1, weak: true},
		{name: "ber streamed, embedded", s: p.rsa, args: []string{"-md", "sha256", "-stream", "-nodetach"}, h: crypto.SHA256, embedded: true},
		{name: "cades v2", s: p.ec, args: []string{"-md", "sha256", "-cades"}, h: crypto.SHA256, essSigner: true},
		{name: "cades v1", s: p.rsa, args: []string{"-md", "sha1", "-cades"}, h: crypto.SHA1, weak: true, essSigner: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			certFile, keyFile := tc.s.writePEM(t, dir)
			out := filepath.Join(dir, "out.der")
			args := append([]string{"cms", "-sign", "-binary", "-outform", "DER", "-in", content, "-signer", certFile,
				"-inkey", keyFile, "-certfile", interFile, "-out", out}, tc.args...)
			openssl(t, args...)
			der, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(append(der, 0, 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if streamed := slices.Contains(args, "-stream"); bytes.Equal(sd.Raw, der) == streamed {
				t.Errorf("streamed %v, but Raw equals the input: %v", streamed, !streamed)
			}
			if tc.embedded != bytes.Equal(sd.EContent, data) {
				t.Errorf("embedded content %q", sd.EContent)
			}
			if len(sd.SignerInfos) != 1 {
				t.Fatalf("%d signer infos", len(sd.SignerInfos))
			}
			si := sd.SignerInfos[0]
			cert := si.SignerCert(sd.Certificates)
			if cert == nil || !bytes.Equal(cert.Raw, tc.s.cert.Raw) {
				t.Fatal("signer certificate not found")
			}
			if si.Hash != tc.h || si.Weak() != tc.weak {
				t.Errorf("hash %v weak %v, want %v %v", si.Hash, si.Weak(), tc.h, tc.weak)
			}
			if (si.SignedAttrsRaw == nil) != tc.noAttrs {
				t.Errorf("signed attributes present: %v", si.SignedAttrsRaw != nil)
			}
			if _, ok := si.SigningTime(); ok == tc.noAttrs {
				t.Errorf("openssl's signing-time read: %v", ok)
			}
			if err := si.VerifySignature(cert, digestOf(tc.h, data)); err != nil {
				t.Errorf("verify: %v", err)
			}
			other := digestOf(tc.h, []byte("tampered"))
			err = si.VerifySignature(cert, other)
			if !errors.Is(err, ErrDigestMismatch) && !errors.Is(err, ErrBadSignature) {
				t.Errorf("verify tampered content: %v", err)
			}
			if present, err := si.CheckSigningCertificate(cert); present != tc.essSigner || err != nil {
				t.Errorf("signing-certificate: present %v, %v", present, err)
			}
			if tc.essSigner {
				if _, err := si.CheckSigningCertificate(p.inter.cert); !errors.Is(err, ErrSigningCertMismatch) {
					t.Errorf("signing-certificate against the wrong cert: %v", err)
				}
			}
		})
	}
}
