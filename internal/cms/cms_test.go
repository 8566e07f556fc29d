package cms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"slices"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
)

func digestOf(h crypto.Hash, data []byte) []byte {
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}

func TestSignDetached(t *testing.T) {
	p := getPKI(t)
	content := []byte("%PDF-1.7 signed bytes")
	tests := []struct {
		name     string
		signer   *testSigner
		hash     crypto.Hash
		wantAlg  asn1.ObjectIdentifier
		wantNull bool
	}{
		{"rsa sha-256 default", p.rsa, 0, oidSHA256WithRSA, true},
		{"rsa sha-384", p.rsa, crypto.SHA384, oidSHA384WithRSA, true},
		{"rsa sha-512", p.rsa, crypto.SHA512, oidSHA512WithRSA, true},
		{"ecdsa p-256", p.ec, crypto.SHA256, oidECDSAWithSHA256, false},
		{"ecdsa p-384 sha-384", p.ec384, crypto.SHA384, oidECDSAWithSHA384, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.hash
			if h == 0 {
				h = crypto.SHA256
			}
			digest := digestOf(h, content)
			der, sigValue, err := SignDetached(context.Background(), digest, SignOptions{
				Signer: tc.signer.key, Cert: tc.signer.cert, Hash: tc.hash,
				Chain: []*x509.Certificate{p.inter.cert, tc.signer.cert, p.inter.cert},
			})
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sd.Raw, der) {
				t.Error("Raw is not the input")
			}
			if sd.Version != 1 || !sd.EContentType.Equal(OIDData) || sd.EContent != nil {
				t.Errorf("version %d, content type %s, econtent %v: want 1, id-data, detached", sd.Version, sd.EContentType, sd.EContent)
			}
			if len(sd.RawCertificates) != 2 || len(sd.Certificates) != 2 {
				t.Errorf("%d certificates, want signer + intermediate, deduplicated", len(sd.RawCertificates))
			}
			if len(sd.SignerInfos) != 1 {
				t.Fatalf("%d signer infos", len(sd.SignerInfos))
			}
			si := sd.SignerInfos[0]
			if si.Version != 1 || si.IssuerSerial == nil || si.Hash != h {
				t.Errorf("signer info version %d, issuer/serial %v, hash %v", si.Version, si.IssuerSerial, si.Hash)
			}
			if !bytes.Equal(si.Signature, sigValue) {
				t.Error("returned signature value differs from SignerInfo.signature")
			}
			if !si.SignatureAlgorithm.Algorithm.Equal(tc.wantAlg) {
				t.Errorf("signature algorithm %s, want %s", si.SignatureAlgorithm.Algorithm, tc.wantAlg)
			}
			if gotNull := bytes.Equal(si.SignatureAlgorithm.Parameters.FullBytes, asn1.NullBytes); gotNull != tc.wantNull ||
				(!tc.wantNull && len(si.SignatureAlgorithm.Parameters.FullBytes) != 0) {
				t.Errorf("signature algorithm parameters %x, want NULL: %v", si.SignatureAlgorithm.Parameters.FullBytes, tc.wantNull)
			}
			var types []string
			for _, a := range si.SignedAttrs {
				types = append(types, a.Type.String())
			}
			want := []string{OIDContentType.String(), OIDMessageDigest.String(), OIDSigningCertificateV2.String()}
			if !slices.Equal(types, want) {
				t.Errorf("signed attributes %v, want %v (DER order, no signing-time)", types, want)
			}
			if si.UnsignedAttrs != nil {
				t.Error("unexpected unsigned attributes")
			}
			if _, ok := si.SigningTime(); ok {
				t.Error("signing-time present: PAdES baseline forbids it")
			}
			if ct, err := si.ContentType(); err != nil || !ct.Equal(OIDData) {
				t.Errorf("content type %v, %v", ct, err)
			}
			if md, err := si.MessageDigest(); err != nil || !bytes.Equal(md, digest) {
				t.Errorf("message digest %x, %v", md, err)
			}
			cert := si.SignerCert(sd.Certificates)
			if cert == nil || !bytes.Equal(cert.Raw, tc.signer.cert.Raw) {
				t.Fatal("signer certificate not found by issuer and serial")
			}
			if err := si.VerifySignature(cert, digest); err != nil {
				t.Errorf("verify: %v", err)
			}
			if err := si.VerifySignature(cert, nil); err != nil {
				t.Errorf("verify without content digest: %v", err)
			}
			if err := si.VerifySignature(cert, digestOf(h, []byte("other"))); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("verify other content: %v, want ErrDigestMismatch", err)
			}
			if err := si.VerifySignature(p.rsa.cert, nil); err == nil && tc.signer != p.rsa {
				t.Error("signature verified with another signer's certificate")
			}
			if present, err := si.CheckSigningCertificate(cert); !present || err != nil {
				t.Errorf("signing certificate: present %v, %v", present, err)
			}
			if _, err := si.CheckSigningCertificate(p.inter.cert); !errors.Is(err, ErrSigningCertMismatch) {
				t.Errorf("signing certificate against another cert: %v", err)
			}
			if si.Weak() {
				t.Error("weak reported for a sha-2 signature")
			}
			// ESSCertIDv2 for SHA-256 must leave out its hash algorithm.
			v := si.SignedAttr(OIDSigningCertificateV2)[0]
			sum := sha256.Sum256(cert.Raw)
			prefix := append([]byte{0x30, byte(len(v) - 2), 0x30, byte(len(v) - 4), 0x30, byte(len(v) - 6), 0x04, 0x20}, sum[:]...)
			if !bytes.HasPrefix(v, prefix) {
				t.Errorf("ESSCertIDv2 does not start with the bare certHash: %x", v)
			}
		})
	}
}

func TestSignDetachedRefuses(t *testing.T) {
	p := getPKI(t)
	d := make([]byte, 32)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		dig  []byte
		o    SignOptions
		kind fail.Kind
	}{
		{"sha-1", context.Background(), make([]byte, 20), SignOptions{Signer: p.rsa.key, Cert: p.rsa.cert, Hash: crypto.SHA1}, fail.KindUsage},
		{"md5", context.Background(), make([]byte, 16), SignOptions{Signer: p.rsa.key, Cert: p.rsa.cert, Hash: crypto.MD5}, fail.KindUsage},
		{"no key", context.Background(), d, SignOptions{Cert: p.rsa.cert}, fail.KindUsage},
		{"digest length", context.Background(), d[:20], SignOptions{Signer: p.rsa.key, Cert: p.rsa.cert}, fail.KindNone},
		{"key and certificate differ", context.Background(), d, SignOptions{Signer: other, Cert: p.ec.cert}, fail.KindRun},
		{"ed25519 key", context.Background(), d, SignOptions{Signer: p.ed.key, Cert: p.ed.cert}, fail.KindRun},
		{"cancelled", cancelled, d, SignOptions{Signer: p.ec.key, Cert: p.ec.cert}, fail.KindNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, _, err := SignDetached(tc.ctx, tc.dig, tc.o)
			if err == nil || der != nil {
				t.Fatalf("signed anyway")
			}
			if k := fail.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v (%v)", k, tc.kind, err)
			}
		})
	}
}

func TestSignEncapsulated(t *testing.T) {
	p := getPKI(t)
	content := []byte("tst info")
	oid := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	for _, noCerts := range []bool{false, true} {
		der, _, err := SignEncapsulated(context.Background(), oid, content, SignOptions{Signer: p.ec.key, Cert: p.ec.cert, NoCerts: noCerts})
		if err != nil {
			t.Fatal(err)
		}
		sd, err := Parse(der)
		if err != nil {
			t.Fatal(err)
		}
		if sd.Version != 3 || !sd.EContentType.Equal(oid) || !bytes.Equal(sd.EContent, content) {
			t.Errorf("version %d type %s content %q", sd.Version, sd.EContentType, sd.EContent)
		}
		if got := len(sd.Certificates); (got == 0) != noCerts {
			t.Errorf("NoCerts %v: %d certificates", noCerts, got)
		}
		if err := sd.SignerInfos[0].VerifySignature(p.ec.cert, digestOf(crypto.SHA256, content)); err != nil {
			t.Error(err)
		}
	}
}

func TestAddUnsignedAttr(t *testing.T) {
	p := getPKI(t)
	digest := digestOf(crypto.SHA256, []byte("x"))
	der, _, err := SignDetached(context.Background(), digest, SignOptions{Signer: p.ec.key, Cert: p.ec.cert})
	if err != nil {
		t.Fatal(err)
	}
	token := []byte{0x30, 0x03, 0x02, 0x01, 0x07}
	other := asn1.ObjectIdentifier{1, 2, 3}
	padded := append(slices.Clone(der), make([]byte, 100)...)
	der1, err := AddUnsignedAttr(padded, OIDSignatureTimeStampToken, token)
	if err != nil {
		t.Fatal(err)
	}
	der2, err := AddUnsignedAttr(der1, other, []byte{0x05, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der2)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.SignerInfos[0]
	if v := si.UnsignedAttr(OIDSignatureTimeStampToken); len(v) != 1 || !bytes.Equal(v[0], token) {
		t.Errorf("timestamp attribute %x", v)
	}
	if len(si.UnsignedAttrs) != 2 || !si.UnsignedAttrs[0].Type.Equal(other) {
		t.Errorf("unsigned attributes not a sorted set of two: %v", si.UnsignedAttrs)
	}
	if err := si.VerifySignature(si.SignerCert(sd.Certificates), digest); err != nil {
		t.Errorf("signature broken by the unsigned attribute: %v", err)
	}
	for name, bad := range map[string][]byte{"empty": nil, "two elements": {5, 0, 5, 0}, "truncated": {0x30, 0x05, 0x02}} {
		if _, err := AddUnsignedAttr(der, other, bad); err == nil {
			t.Errorf("value %s accepted", name)
		}
	}
	if _, err := AddUnsignedAttr(der[:len(der)-1], other, token); err == nil {
		t.Error("truncated signed data accepted")
	}
}

func TestParseRejects(t *testing.T) {
	p := getPKI(t)
	der, _, err := SignDetached(context.Background(), make([]byte, 32), SignOptions{Signer: p.ec.key, Cert: p.ec.cert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(append(slices.Clone(der), make([]byte, 8192)...)); err != nil {
		t.Errorf("zero padding refused: %v", err)
	}
	idData := []byte{0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02, 0x04, 0x00}
	tests := map[string][]byte{
		"empty":                nil,
		"garbage":              []byte("not a signature at all"),
		"zeros":                make([]byte, 64),
		"truncated":            der[:len(der)/2],
		"trailing data":        append(slices.Clone(der), 0, 0, 1),
		"not signed data":      idData,
		"integer":              {0x02, 0x01, 0x00},
		"unterminated ber":     {0x30, 0x80, 0x06, 0x01, 0x00},
		"deep ber":             slices.Repeat([]byte{0x30, 0x80}, 200),
		"huge length":          {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00},
		"high tag":             {0x3f, 0x81, 0x01, 0x00},
		"eoc in definite":      {0x30, 0x02, 0x00, 0x00},
		"indefinite primitive": {0x04, 0x80, 0x00, 0x00},
	}
	for name, in := range tests {
		if sd, err := Parse(in); err == nil || sd != nil {
			t.Errorf("%s: accepted", name)
		} else if fail.KindOf(err) != fail.KindInput {
			t.Errorf("%s: error %v is not an input error", name, err)
		}
	}
}

func TestBERToDER(t *testing.T) {
	tests := []struct {
		name    string
		in, out []byte
	}{
		{"definite kept", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"indefinite", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"nested indefinite", []byte{0x30, 0x80, 0xa0, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00}, []byte{0x30, 0x04, 0xa0, 0x02, 0x05, 0x00}},
		{"segmented octet string", []byte{0x24, 0x80, 0x04, 0x02, 'a', 'b', 0x24, 0x03, 0x04, 0x01, 'c', 0x00, 0x00}, []byte{0x04, 0x03, 'a', 'b', 'c'}},
		{"long form length", []byte{0x04, 0x81, 0x01, 'x'}, []byte{0x04, 0x01, 'x'}},
	}
	for _, tc := range tests {
		got, rest, err := berToDER(append(slices.Clone(tc.in), 0, 0))
		if err != nil || !bytes.Equal(got, tc.out) || !bytes.Equal(rest, []byte{0, 0}) {
			t.Errorf("%s: %x rest %x err %v, want %x", tc.name, got, rest, err, tc.out)
		}
	}
	for name, in := range map[string][]byte{
		"indefinite primitive":     {0x04, 0x80, 0x00, 0x00},
		"missing end of contents":  {0x30, 0x80, 0x05, 0x00},
		"segment of another type":  {0x24, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},
		"length past the end":      {0x04, 0x05, 'a'},
		"too deep":                 slices.Repeat([]byte{0x30, 0x80}, maxBERDepth+2),
		"end of contents at start": {0x00, 0x00},
	} {
		if _, _, err := berToDER(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// OpenSSL 3.0 cannot write Ed25519 CMS, so the signer info is put together
// here around signed attributes from SignDetached.
func TestVerifyEd25519(t *testing.T) {
	p := getPKI(t)
	digest := digestOf(crypto.SHA512, []byte("content"))
	der, _, err := SignDetached(context.Background(), digest, SignOptions{Signer: p.ec.key, Cert: p.ec.cert, Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	si := *sd.SignerInfos[0]
	si.SignatureAlgorithm = pkix.AlgorithmIdentifier{Algorithm: oidEd25519}
	si.Signature = ed25519.Sign(p.ed.key.(ed25519.PrivateKey), si.SignedAttrsRaw)
	if err := si.VerifySignature(p.ed.cert, digest); err != nil {
		t.Errorf("ed25519: %v", err)
	}
	si.Signature[0] ^= 1
	if err := si.VerifySignature(p.ed.cert, digest); !errors.Is(err, ErrBadSignature) {
		t.Errorf("ed25519 bad signature: %v", err)
	}
	if err := si.VerifySignature(p.ec.cert, digest); err == nil {
		t.Error("ed25519 signature checked with an ecdsa key")
	}
	si.SignedAttrsRaw = nil
	if err := si.VerifySignature(p.ed.cert, digest); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ed25519 without signed attributes: %v", err)
	}
}

func TestParsePKCS1Contents(t *testing.T) {
	p := getPKI(t)
	digest := digestOf(crypto.SHA1, []byte("legacy"))
	sig, err := p.rsa.key.Sign(rand.Reader, digest, crypto.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, _ := asn1.Marshal(sig)
	got, err := ParsePKCS1Contents(append(wrapped, 0, 0, 0))
	if err != nil || !bytes.Equal(got, sig) {
		t.Fatalf("unwrap: %v", err)
	}
	if err := VerifyPKCS1(p.rsa.cert.PublicKey, crypto.SHA1, digest, got); err != nil {
		t.Error(err)
	}
	if err := VerifyPKCS1(p.rsa.cert.PublicKey, crypto.SHA1, digestOf(crypto.SHA1, []byte("x")), got); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong digest: %v", err)
	}
	if err := VerifyPKCS1(p.ec.cert.PublicKey, crypto.SHA1, digest, got); err == nil {
		t.Error("ecdsa key accepted")
	}
	if _, err := ParsePKCS1Contents(append(wrapped, 1)); err == nil {
		t.Error("trailing data accepted")
	}
}

func BenchmarkSignDetached(b *testing.B) {
	p := getPKI(b)
	digest := digestOf(crypto.SHA256, []byte("bench"))
	for _, s := range []*testSigner{p.rsa, p.ec} {
		o := SignOptions{Signer: s.key, Cert: s.cert, Chain: []*x509.Certificate{p.inter.cert, p.root.cert}}
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := SignDetached(context.Background(), digest, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseVerify(b *testing.B) {
	p := getPKI(b)
	digest := digestOf(crypto.SHA256, []byte("bench"))
	der, _, err := SignDetached(context.Background(), digest, SignOptions{Signer: p.rsa.key, Cert: p.rsa.cert,
		Chain: []*x509.Certificate{p.inter.cert, p.root.cert}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sd, err := Parse(der)
		if err != nil {
			b.Fatal(err)
		}
		si := sd.SignerInfos[0]
		if err := si.VerifySignature(si.SignerCert(sd.Certificates), digest); err != nil {
			b.Fatal(err)
		}
	}
}
