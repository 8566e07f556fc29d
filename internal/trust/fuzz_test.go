package trust

import (
	"encoding/pem"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

func FuzzParseCertificates(f *testing.F) {
	p := testpki.Shared(f)
	seeds := [][]byte{
		p.Root.Cert.Raw,
		append(append([]byte(nil), p.Inter.Cert.Raw...), p.Root.Cert.Raw...),
		pemOf(p.Inter.Cert, p.Root.Cert),
		pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: []byte{0x30, 0x03, 0x06, 0x01, 0x00}}),
		[]byte("-----BEGIN TRUSTED CERTIFICATE-----\n-----END TRUSTED CERTIFICATE-----\n"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificate")
		}
		for _, c := range certs {
			if c == nil {
				t.Fatal("nil certificate")
			}
		}
	})
}
