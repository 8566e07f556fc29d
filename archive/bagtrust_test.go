package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/sign"
	"github.com/kyso-project/kyso/verify"
)

// realPDFs signs testdata PDFs with the test PKI (B-B) and returns: a
// signed PDF, the same unsigned, and a signed copy altered inside the signed
// bytes, as a forger would.
func realPDFs(t *testing.T, p *testpki.PKI) (signed, unsigned, altered string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "testdata", "pdf", "simple.pdf")
	unsigned = filepath.Join(dir, "unsigned.pdf")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unsigned, data, 0o644); err != nil {
		t.Fatal(err)
	}
	signed = filepath.Join(dir, "signed.pdf")
	key := &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
	var res []*sign.Result
	err = sign.Batch(context.Background(), []sign.Job{{Input: src, Output: signed}},
		sign.BatchOptions{Options: sign.Options{Key: key, Level: sign.LevelBB}}, func(r *sign.Result) { res = append(res, r) })
	if err != nil || len(res) != 1 || res[0].Status != sign.StatusSigned {
		t.Fatalf("signing: %v %+v", err, res)
	}
	b, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("stream"))
	if i < 0 {
		t.Fatal("no stream in the signed PDF")
	}
	b = append([]byte(nil), b...)
	b[i+20] ^= 0x20
	altered = filepath.Join(dir, "altered.pdf")
	if err := os.WriteFile(altered, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return signed, unsigned, altered
}

// realVerifier is the verifier of a catalogue that trusts the test root,
// offline, revocation soft: what `kyso archive import --trust root.pem
// --offline --revocation soft` uses.
func realVerifier(roots *trust.Store) VerifyFunc {
	return func(ctx context.Context, path string) (*verify.Report, error) {
		return verify.VerifyFile(ctx, path, verify.Options{Trust: roots, RevocationSoft: true,
			Fetcher: &revocation.Fetcher{Offline: true}, FileName: path})
	}
}

// lyingVerify says every file is valid: the exporter of a forged bag.
func lyingVerify(ctx context.Context, path string) (*verify.Report, error) {
	rep, err := stubVerify(ctx, path)
	if rep != nil {
		rep.Status, rep.Errors = verify.Valid, nil
		rep.Signatures[0].Status = verify.Valid
	}
	return rep, err
}

// forgedBag exports a catalogue whose records all claim "valid": one
// really signed PDF, one unsigned, one altered after signing.
func forgedBag(t *testing.T, signWith *keys.Key, signed, unsigned, altered string) string {
	t.Helper()
	o := testOptions()
	o.Verify = lyingVerify
	path := filepath.Join(t.TempDir(), "source.db")
	c, err := Create(context.Background(), path, testUnit, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, sum := ingest(t, c, []string{signed, unsigned, altered}, IngestOptions{}); sum.Ingested != 3 {
		t.Fatalf("source ingest: %+v", sum)
	}
	bag := filepath.Join(t.TempDir(), "bag")
	if _, err := c.Export(context.Background(), bag, ExportOptions{Jobs: 2, Sign: signWith}); err != nil {
		t.Fatal(err)
	}
	return bag
}

func districtCatalogue(t *testing.T, v VerifyFunc) *Catalogue {
	t.Helper()
	o := testOptions()
	o.Verify = v
	c, err := Create(context.Background(), filepath.Join(t.TempDir(), "district.db"), Unit{Code: "000.00.H26", Name: "UBND huyện Krông Pắc", Level: "district"}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func importBag(t *testing.T, c *Catalogue, bag string, o ImportOptions) (ImportSummary, map[string]ImportResult, error) {
	t.Helper()
	res := map[string]ImportResult{}
	sum, err := c.Import(context.Background(), bag, o, func(r ImportResult) error { res[r.SHA256] = r; return nil })
	return sum, res, err
}

func TestImportReverifiesRecordByRecord(t *testing.T) {
	p := testpki.Shared(t)
	roots := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	key := &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
	signed, unsigned, altered := realPDFs(t, p)
	bag := forgedBag(t, key, signed, unsigned, altered)
	sumOf := func(path string) string { s, _ := hashFile(path); return s }

	c := districtCatalogue(t, realVerifier(roots))
	sum, res, err := importBag(t, c, bag, ImportOptions{Trust: roots})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 1 || sum.Rejected != 2 || sum.Mismatched != 3 {
		t.Fatalf("import: %+v %+v", sum, res)
	}
	// The sender is named and trusted.
	if sum.Sender == nil || !strings.Contains(sum.Sender.Subject, testpki.DefaultUnit) || !sum.Sender.Trusted() {
		t.Fatalf("sender: %+v", sum.Sender)
	}
	// The signed PDF is imported; its claimed signer (the exporter's
	// invention) is reported as differing from the real one.
	if r := res[sumOf(signed)]; r.Status != ImportImported || r.Verdict != verify.Valid || r.Claimed != verify.Valid ||
		len(r.Mismatches) != 1 || !strings.Contains(r.Mismatches[0], "signatures: the bag says [approval CN=Văn thư TEST], verified here [approval CN=UBND") {
		t.Errorf("the signed PDF: %+v", r)
	}
	for name, path := range map[string]string{"unsigned": unsigned, "altered": altered} {
		r := res[sumOf(path)]
		if r.Status != ImportRejected || r.Verdict != verify.Invalid || !strings.Contains(r.Reason, "invalid here (the bag says valid)") ||
			len(r.Mismatches) == 0 || !strings.Contains(r.Mismatches[0], "the bag says valid, verified here invalid") {
			t.Errorf("the %s PDF: %+v", name, r)
		}
	}
	// Only the signed PDF is in the catalogue and the store, with this
	// catalogue's own verdict.
	recs := listAll(t, c, Query{})
	if len(recs) != 1 || recs[0].SHA256 != sumOf(signed) || recs[0].Signatures[0].Signer == "CN=Văn thư TEST" {
		t.Fatalf("records after import: %+v", recs)
	}
	if files := storeFiles(t, c.StorePath()); len(files) != 1 {
		t.Fatalf("store after import: %v", files)
	}
	// Importing again: duplicates and the same rejections, nothing new.
	sum, _, err = importBag(t, c, bag, ImportOptions{Trust: roots})
	if err != nil || sum.Imported != 0 || sum.Duplicate != 1 || sum.Rejected != 2 {
		t.Fatalf("second import: %+v %v", sum, err)
	}
}

// rewriteTag replaces a tag file's bytes and, with fixTagManifest, its line
// in the tag manifest, as someone editing a bag by hand would.
func rewriteTag(t *testing.T, bag, name string, edit func([]byte) []byte, fixTagManifest bool) {
	t.Helper()
	p := filepath.Join(bag, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(b)
	b = edit(b)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if !fixTagManifest {
		return
	}
	now := sha256.Sum256(b)
	tm := filepath.Join(bag, bagTagManifest)
	tb, err := os.ReadFile(tm)
	if err != nil {
		t.Fatal(err)
	}
	tb = bytes.Replace(tb, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
	if err := os.WriteFile(tm, tb, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportRefusesChangedBags(t *testing.T) {
	p := testpki.Shared(t)
	roots := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	key := &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
	addLine := func(b []byte) []byte { return append(b, "Contact-Name: someone else\n"...) }
	tests := []struct {
		name   string
		signed bool
		change func(t *testing.T, bag string)
		opts   ImportOptions
		want   string
	}{
		{"a tag file changed", false, func(t *testing.T, bag string) { rewriteTag(t, bag, "bag-info.txt", addLine, false) },
			ImportOptions{}, "bag-info.txt does not match tagmanifest-sha256.txt"},
		{"the signed tag manifest changed", true, func(t *testing.T, bag string) { rewriteTag(t, bag, "bag-info.txt", addLine, true) },
			ImportOptions{}, "the tag manifest was changed"},
		{"a damaged signature", true, func(t *testing.T, bag string) {
			rewriteTag(t, bag, bagSignature, func(b []byte) []byte { b[len(b)-10] ^= 1; return b }, false)
		}, ImportOptions{}, "does not verify"},
		{"a symlink in the payload", false, func(t *testing.T, bag string) {
			target := filepath.Join(t.TempDir(), "outside.pdf")
			os.WriteFile(target, []byte("%PDF-1.7 outside"), 0o644)
			if err := os.Symlink(target, filepath.Join(bag, "data", "files", "link.pdf")); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, ImportOptions{}, "data/files/link.pdf is a symbolic link"},
		{"a symlinked tag file", false, func(t *testing.T, bag string) {
			p := filepath.Join(bag, "bag-info.txt")
			b, _ := os.ReadFile(p)
			target := filepath.Join(t.TempDir(), "bag-info.txt")
			os.WriteFile(target, b, 0o644)
			os.Remove(p)
			if err := os.Symlink(target, p); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, ImportOptions{}, "bag-info.txt is a symbolic link"},
		{"unsigned where a signature is required", false, func(t *testing.T, bag string) {}, ImportOptions{RequireSigned: true}, "it is not signed"},
		{"signed by an untrusted sender where trust is required", true, func(t *testing.T, bag string) {},
			ImportOptions{RequireSigned: true, Trust: &trust.Store{Roots: []*x509.Certificate{p.AttackerRoot.Cert}}}, "is untrusted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, src := sampleCatalogue(t)
			_ = path
			bag := filepath.Join(t.TempDir(), "bag")
			o := ExportOptions{Jobs: 1}
			if tt.signed {
				o.Sign = key
			}
			if _, err := src.Export(context.Background(), bag, o); err != nil {
				t.Fatal(err)
			}
			// Untouched, the bag imports.
			c0 := districtCatalogue(t, stubVerify)
			if sum, _, err := importBag(t, c0, bag, ImportOptions{Trust: roots}); err != nil || sum.Imported != 5 {
				t.Fatalf("untouched bag: %+v %v", sum, err)
			}
			tt.change(t, bag)
			c := districtCatalogue(t, stubVerify)
			_, _, err := importBag(t, c, bag, tt.opts)
			if !errors.Is(err, ErrBagRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("import: %v, want %q", err, tt.want)
			}
			if n := len(listAll(t, c, Query{})); n != 0 {
				t.Fatalf("%d records imported from a refused bag", n)
			}
		})
	}
}

func TestImportSameRecordTwiceIsOne(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	// Repeat the first line of records.jsonl, and make the manifests agree.
	recs := filepath.Join(bag, filepath.FromSlash(bagRecords))
	b, err := os.ReadFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(b)
	first := b[:bytes.IndexByte(b, '\n')+1]
	b = append(b, first...)
	os.WriteFile(recs, b, 0o644)
	now := sha256.Sum256(b)
	rewriteTag(t, bag, "manifest-sha256.txt", func(m []byte) []byte {
		return bytes.Replace(m, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
	}, true)

	c := districtCatalogue(t, stubVerify)
	sum, _, err := importBag(t, c, bag, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 5 || sum.Duplicate != 1 || sum.Rejected != 0 {
		t.Fatalf("import: %+v", sum)
	}
	if n := len(listAll(t, c, Query{})); n != 5 {
		t.Fatalf("%d records for 5 distinct ones", n)
	}
	rep, err := c.VerifyChain(context.Background(), ChainOptions{})
	if err != nil || !rep.OK() {
		t.Fatalf("chain after import: %+v %v", rep, err)
	}
}
