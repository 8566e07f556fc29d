package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse and everything a verifier then calls with arbitrary
// bytes: none of it may panic, and what parses once parses again from Raw.
// Seeds: kyso's own output here, openssl's (BER, PSS, no attributes, CAdES)
// in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/fuzz/FuzzParse/*")
	if len(seeds) == 0 {
		f.Fatal("no seeds in testdata/fuzz/FuzzParse")
	}
	p := getPKI(f)
	digest := digestOf(crypto.SHA256, []byte("seed"))
	for _, s := range []*testSigner{p.rsa, p.ec} {
		der, _, err := SignDetached(context.Background(), digest, SignOptions{Signer: s.key, Cert: s.cert, Chain: []*x509.Certificate{p.inter.cert}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
		withTS, err := AddUnsignedAttr(der, OIDSignatureTimeStampToken, der)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(withTS, 0, 0, 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = berToDER(data)
		_, _ = AddUnsignedAttr(data, OIDSignatureTimeStampToken, []byte{5, 0})
		_, _ = ParsePKCS1Contents(data)
		sd, err := Parse(data)
		if err != nil {
			return
		}
		again, err := Parse(sd.Raw)
		if err != nil || !bytes.Equal(again.Raw, sd.Raw) {
			t.Fatalf("Raw does not parse again: %v", err)
		}
		certs := append(sd.Certificates, p.rsa.cert, p.ec.cert)
		for _, si := range sd.SignerInfos {
			cert := si.SignerCert(certs)
			if cert == nil {
				cert = p.rsa.cert
			}
			_, _ = si.MessageDigest()
			_, _ = si.ContentType()
			_, _ = si.SigningTime()
			_, _ = si.CheckSigningCertificate(cert)
			_, _, _ = si.AdobeRevocationInfo()
			_ = si.Weak()
			_ = si.VerifySignature(cert, digest)
			_ = si.VerifySignature(cert, nil)
		}
	})
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzParse from openssl when
// KYSO_WRITE_SEEDS=1; the seeds are checked in so fuzzing needs no openssl.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("KYSO_WRITE_SEEDS") != "1" {
		t.Skip("set KYSO_WRITE_SEEDS=1 to regenerate the fuzz seeds")
	}
	needOpenSSL(t)
	p := getPKI(t)
	dir := t.TempDir()
	content := filepath.Join(dir, "content.bin")
	if err := os.WriteFile(content, []byte("seed content"), 0o600); err != nil {
		t.Fatal(err)
	}
	interFile, _ := p.inter.writePEM(t, dir)
	out := "testdata/fuzz/FuzzParse"
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"openssl-rsa-ber-stream": {"-md", "sha256", "-stream", "-nodetach"},
		"openssl-rsa-pss":        {"-md", "sha256", "-keyopt", "rsa_padding_mode:pss"},
		"openssl-ec-noattr":      {"-md", "sha256", "-noattr"},
		"openssl-ec-cades":       {"-md", "sha256", "-cades"},
		"openssl-rsa-sha1-cades": {"-md", "sha1", "-cades"},
	} {
		s := p.ec
		if bytes.Contains([]byte(name), []byte("rsa")) {
			s = p.rsa
		}
		certFile, keyFile := s.writePEM(t, dir)
		der := filepath.Join(dir, name)
		openssl(t, append([]string{"cms", "-sign", "-binary", "-outform", "DER", "-in", content, "-signer", certFile,
			"-inkey", keyFile, "-certfile", interFile, "-out", der}, args...)...)
		b, err := os.ReadFile(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, name), corpusFile(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// corpusFile encodes one []byte argument in the go test fuzz v1 format.
func corpusFile(b []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("go test fuzz v1\n[]byte(\"")
	for _, c := range b {
		buf.WriteString(`\x`)
		buf.WriteByte("0123456789abcdef"[c>>4])
		buf.WriteByte("0123456789abcdef"[c&15])
	}
	buf.WriteString("\")\n")
	return buf.Bytes()
}
