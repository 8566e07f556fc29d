package pkcs11

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

// BenchmarkSign compares a signature on SoftHSM2 (through the module,
// sessions and the login) with the same key in memory, one at a time and
// from all cores at once.
func BenchmarkSign(b *testing.B) {
	tok := softhsmtest.New(b)
	p := tok.PKI
	for _, tc := range []struct {
		name  string
		label string
		mem   crypto.Signer
	}{{"RSA-2048", rsaLabel, p.Signer.Key}, {"EC-P256", ecLabel, p.SignerEC.Key}} {
		k, err := Open(context.Background(), Options{Module: tok.Module, Token: tokenLabel, KeyLabel: tc.label, PIN: []byte(userPIN)})
		if err != nil {
			b.Fatal(err)
		}
		d := sha256.Sum256([]byte("benchmark"))
		for _, s := range []struct {
			name   string
			signer crypto.Signer
		}{{"softhsm", k.Signer}, {"memory", tc.mem}} {
			b.Run(tc.name+"/"+s.name, func(b *testing.B) {
				for b.Loop() {
					if _, err := s.signer.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(tc.name+"/"+s.name+"-parallel", func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.signer.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
		if err := k.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
