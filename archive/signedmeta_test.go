package archive

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/verify"
)

// TestIngestRecordsSignedMetadata: a document whose TTHC metadata was
// swapped in an unsigned revision after signing is catalogued with the
// signed values, and the swap is in the record's history (issue 12). The
// verifier is the real one.
func TestIngestRecordsSignedMetadata(t *testing.T) {
	p := testpki.Shared(t)
	dir := t.TempDir()
	rootPEM := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(rootPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root.Cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := trust.Load([]string{rootPEM})
	if err != nil {
		t.Fatal(err)
	}
	setInfo := func(u *pdf.Update, m Meta) {
		b, _ := json.Marshal(m)
		if u.Trailer == nil {
			u.Trailer = pdf.Dict{}
		}
		u.Trailer["Info"] = u.Add(pdf.Dict{pdf.Name(InfoKey): pdf.Str(string(b))})
	}
	signedMeta := Meta{Dossier: "H26.TEST-2026-0001", Procedure: "1.001193", Unit: testUnit.Code, Issued: "2026-01-10"}
	swapped := signedMeta
	swapped.Dossier, swapped.Issued = "H26.TEST-2026-0999", "2026-02-01"

	src, err := os.ReadFile(filepath.Join("..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := attackgen.Sign(src, attackgen.SigOptions{Field: "Sig1",
		Sign: func(signed []byte) ([]byte, error) {
			d := sha256.Sum256(signed)
			der, _, err := cms.SignDetached(context.Background(), d[:], cms.SignOptions{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain()})
			return der, err
		},
		Also: func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error { setInfo(u, signedMeta); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	doc, err = attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error { setInfo(u, swapped); return nil })
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "swapped.pdf")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		t.Fatal(err)
	}

	o := testOptions()
	o.Verify = func(ctx context.Context, path string) (*verify.Report, error) {
		return verify.VerifyFile(ctx, path, verify.Options{Trust: store, RevocationSoft: true, Fetcher: &revocation.Fetcher{Offline: true}})
	}
	c, err := Create(context.Background(), filepath.Join(dir, "kyso.db"), testUnit, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, sum := ingest(t, c, []string{in}, IngestOptions{})
	if sum.Ingested != 1 {
		t.Fatalf("%+v %+v", sum, res)
	}
	r := res["swapped.pdf"]
	if r.Dossier != signedMeta.Dossier || len(r.Warnings) == 0 || !strings.Contains(strings.Join(r.Warnings, " "), "changed after signing") {
		t.Errorf("result %+v", r)
	}
	if es, err := c.Find(t.Context(), swapped.Dossier); err == nil && len(es) > 0 {
		t.Errorf("the unsigned dossier code %s was catalogued", swapped.Dossier)
	}
	es, err := c.Find(t.Context(), signedMeta.Dossier)
	if err != nil || len(es) != 1 {
		t.Fatalf("find %s: %v %d", signedMeta.Dossier, err, len(es))
	}
	if got := es[0].Record.Meta; got.Dossier != signedMeta.Dossier || got.Issued != signedMeta.Issued {
		t.Errorf("record meta %+v, want the signed %+v", got, signedMeta)
	}
	var found bool
	for _, ev := range es[0].History {
		if ev.Type == EventMetadataChanged && strings.Contains(ev.Detail, `dossier_code "H26.TEST-2026-0001" -> "H26.TEST-2026-0999"`) {
			found = true
		}
	}
	if !found || es[0].HistoryError != "" {
		t.Errorf("history %+v (%s)", es[0].History, es[0].HistoryError)
	}
	// The ingest event names the policy and the anchors the verdict rested on.
	if d := es[0].History[0].Detail; !strings.Contains(d, "verdict valid under policy default, trust anchors sha256 ") {
		t.Errorf("ingest event %q", d)
	}
}
