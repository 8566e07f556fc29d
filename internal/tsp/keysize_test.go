package tsp

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/keycheck"
	"github.com/kyso-project/kyso/internal/keycheck/keychecktest"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TestHugeTSAKey: a TSA whose key is over keycheck's bound (a 20000-bit
// modulus, random; the red team's took 97 s per token at 2 megabits) is
// refused before its signature is computed with, by the client and by
// Token.Verify; the extended key usage is judged before the key.
func TestHugeTSAKey(t *testing.T) {
	root, rootKey := newRoot(t)
	huge := keychecktest.Signer{Pub: keychecktest.HugeRSA(20000)}
	cert := newTSACert(t, root, rootKey, huge, ekuGood)

	// cms.SignEncapsulated checks the signature it makes, and refuses the
	// key: the token is written by hand.
	der := hugeToken(t, cert, huge, tstInfo(t, time.Now()))
	tok, err := ParseToken(der)
	if err != nil {
		t.Fatal(err)
	}
	err = tok.Verify()
	if !errors.Is(err, keycheck.ErrRefused) || !strings.Contains(err.Error(), "20000 bits, more than the 16384") {
		t.Fatalf("Verify: %v", err)
	}

	// A certificate not for timestamping is refused for that, first.
	tok.Cert = newTSACert(t, root, rootKey, huge, ekuExtra)
	if err := tok.Verify(); err == nil || errors.Is(err, keycheck.ErrRefused) || !strings.Contains(err.Error(), "not for timestamping only") {
		t.Errorf("Verify with a wrong EKU: %v", err)
	}

	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(marshalResponse(statusGranted, -1, "", der))
	}))
	defer ts.Close()
	c := &Client{URLs: []string{ts.URL}, Backoff: time.Millisecond}
	got, err := c.Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
	if err == nil || got != nil || !strings.Contains(err.Error(), "20000 bits, more than the 16384") {
		t.Fatalf("client: %v", err)
	}
}

// hugeToken writes a TimeStampToken over info signed (random bytes) by
// signer, with cert embedded: content-type and message-digest attributes,
// SHA-256 with RSA.
func hugeToken(t *testing.T, cert *x509.Certificate, signer keychecktest.Signer, info []byte) []byte {
	t.Helper()
	var (
		oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
		oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
		oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
		oidSHA256        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
		oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
		ctx0             = cbasn1.Tag(0).ContextSpecific().Constructed()
	)
	md := sha256.Sum256(info)
	sig, _ := signer.Sign(nil, nil, nil)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(ctx0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(3)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
				})
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(cms.OIDTSTInfo)
					b.AddASN1(ctx0, func(b *cryptobyte.Builder) { b.AddASN1OctetString(info) })
				})
				b.AddASN1(ctx0, func(b *cryptobyte.Builder) { b.AddBytes(cert.Raw) })
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
						b.AddASN1(ctx0, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(oidContentType)
								b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(cms.OIDTSTInfo) })
							})
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(oidMessageDigest)
								b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md[:]) })
							})
						})
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(oidSHA256WithRSA)
							b.AddASN1NULL()
						})
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return der
}
