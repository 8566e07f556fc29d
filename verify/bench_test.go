package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/samples"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
)

// signedScan writes a ten-page 200 dpi scan (about 20 MB), signed, to a
// temporary file.
func signedScan(b *testing.B) (string, *env) {
	b.Helper()
	e := newEnv(b)
	var scan bytes.Buffer
	if err := samples.Write(&scan, samples.Doc{Title: "GIẤY KHAI SINH", Lines: []string{"Họ và tên: Nguyễn Văn A"}, Pages: 10, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	doc := e.sign(b, scan.Bytes(), signer{}, attackgen.SigOptions{Field: "Sig1"})
	path := filepath.Join(b.TempDir(), "signed.pdf")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, e
}

// BenchmarkVerify verifies a signed scan from disk, change analysis
// included; compare with BenchmarkSHA256File, the floor.
func BenchmarkVerify(b *testing.B) {
	path, e := signedScan(b)
	st, _ := os.Stat(path)
	o := Options{Trust: e.store, Fetcher: &revocation.Fetcher{Offline: true}, RevocationSoft: true}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		rep, err := VerifyFile(context.Background(), path, o)
		if err != nil || rep.Status != Valid {
			b.Fatalf("%v %v %+v", err, rep.Status, rep.Signatures)
		}
	}
}

// BenchmarkSHA256File is the floor: reading the file once through SHA-256.
func BenchmarkSHA256File(b *testing.B) {
	path, _ := signedScan(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
