package sign

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	pdfsign "github.com/digitorus/pdfsign/sign"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// pdfcpu is a third reader of kyso's output, beside pdfsig and qpdf: its
// validator must accept the file and must not find the signature invalid.
func TestPdfcpuAcceptsOutputs(t *testing.T) {
	api.DisableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.Offline = true // nothing in tests reaches outside the machine
	conf.ValidationMode = model.ValidationRelaxed
	p := testpki.Shared(t)
	// pdfcpu reads its trust anchors from a folder of its own.
	model.TrustedCertDir = t.TempDir()
	root := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Cert.Raw})
	if err := os.WriteFile(filepath.Join(model.TrustedCertDir, "root.pem"), root, 0o644); err != nil {
		t.Fatal(err)
	}
	res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}},
		fixture(t, "simple.pdf"), fixture(t, "xrefstream.pdf"), fixture(t, "form.pdf"))
	for _, r := range res {
		if err := api.ValidateFile(r.Output, conf); err != nil {
			t.Fatalf("pdfcpu validate %s: %v", r.Output, err)
		}
		results, err := api.ValidateSignatures(r.Output, true, conf)
		if err != nil {
			t.Fatalf("pdfcpu signatures %s: %v", r.Output, err)
		}
		if len(results) != 1 {
			t.Fatalf("pdfcpu finds %d signatures in %s", len(results), r.Output)
		}
		if results[0].Status == model.SignatureStatusInvalid {
			t.Fatalf("pdfcpu: signature in %s invalid: %v", r.Output, results[0].Problems)
		}
	}
	// The same judge does reject a changed byte, so its verdict above means something.
	data, _ := os.ReadFile(res[0].Output)
	data[200] ^= 1
	forged := filepath.Join(t.TempDir(), "forged.pdf")
	os.WriteFile(forged, data, 0o644)
	results, err := api.ValidateSignatures(forged, true, conf)
	if err == nil && len(results) == 1 && results[0].Status != model.SignatureStatusInvalid {
		t.Fatalf("pdfcpu does not notice a changed byte: %v", results[0].Status)
	}
}

// BenchmarkPeerPdfsign signs the same scan with digitorus/pdfsign, the
// library the project started from, for comparison with BenchmarkSignScan.
func BenchmarkPeerPdfsign(b *testing.B) {
	p := testpki.Shared(b)
	in := fixture(b, "scan200.pdf")
	out := filepath.Join(b.TempDir(), "peer.pdf")
	st, _ := os.Stat(in)
	b.SetBytes(st.Size())
	for i := 0; i < b.N; i++ {
		err := pdfsign.SignFile(in, out, pdfsign.SignData{
			Signature: pdfsign.SignDataSignature{CertType: pdfsign.ApprovalSignature,
				Info: pdfsign.SignDataSignatureInfo{Name: "bench", Date: time.Now()}},
			Signer: p.Signer.Key, Certificate: p.Signer.Cert, DigestAlgorithm: crypto.SHA256,
			CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{p.Signer.Cert}, p.Chain()...)},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
