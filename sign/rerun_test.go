package sign

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
)

// addSquare appends, as an incremental update, a white /Square annotation
// on page 1 of the file at path: a change made after signing that an
// approval signature tolerates, but a re-run must not keep.
func addSquare(t *testing.T, path string) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		pages, err := r.Pages()
		if err != nil {
			return err
		}
		a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "F": pdf.Int(4),
			"Rect": pdf.Array{pdf.Int(72), pdf.Int(600), pdf.Int(372), pdf.Int(724)},
			"IC":   pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)},
			"P": pages[0].Ref})
		return appendAnnot(r, u, pages[0], []pdf.Ref{a})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExistingOutputChangedAfterSigning: an output that gained a revision
// after kyso's signature is stale, at every level; at B-LTA the DSS and
// document-timestamp revisions kyso itself writes are not such a change.
func TestExistingOutputChangedAfterSigning(t *testing.T) {
	p, tsa := serveTSA(t)
	ctx := context.Background()
	in := fixture(t, "simple.pdf")

	res, out := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, in)
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	o := filepath.Join(out, "simple.pdf")
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBB, nil); err != nil {
		t.Fatalf("intact B-B output: %v", err)
	}
	addSquare(t, o)
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBB, nil); err == nil || !strings.Contains(err.Error(), "changed after its signature") {
		t.Errorf("B-B output with a later annotation: %v", err)
	}

	store := &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}
	pol := &SignerPolicy{Trust: store, Configured: true, Level: LevelBLTA}
	client := &tsp.Client{URLs: []string{tsa}}
	ltv := &LTV{Trust: store, Fetcher: &revocation.Fetcher{}, TSA: client, CheckTimestamp: pol.CheckTimestamp}
	res, out = signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBLTA, TSA: client, LTV: ltv}}, in)
	if res[0].Status != StatusSigned {
		t.Fatal(res[0])
	}
	o = filepath.Join(out, "simple.pdf")
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBLTA, store); err != nil {
		t.Fatalf("intact B-LTA output: %v", err)
	}
	// with no trust anchor the level is still judged as written
	if err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBLTA, &trust.Store{}); err != nil {
		t.Fatalf("intact B-LTA output, empty trust store: %v", err)
	}
	if err := CheckExistingOutput(ctx, in, o, p.SignerEC.Cert, LevelBLTA, store); err == nil || !strings.Contains(err.Error(), "(certificate SHA-256 ") {
		t.Errorf("other certificate: %v", err)
	}
	addSquare(t, o)
	err := CheckExistingOutput(ctx, in, o, p.Signer.Cert, LevelBLTA, store)
	if err == nil || !strings.Contains(err.Error(), "changed after its signature") {
		t.Errorf("B-LTA output with a later annotation: %v", err)
	}
}
