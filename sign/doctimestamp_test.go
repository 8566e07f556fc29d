package sign

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/verify"
)

// kyso's document timestamps (kyso timestamp, sign --level B-LTA, archive
// renew) are hidden fields: /Rect [0 0 0 0] and no appearance stream, as
// PAdES and ISO 32000-2 have a DocTimeStamp. With an appearance stream,
// independent validators call adding one form filling and reject it after
// a P=1 certification (issue 17); verify must call it archival.
func TestDocTimestampIsInvisibleAndArchival(t *testing.T) {
	base, err := os.ReadFile(fixture(t, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := attackgen.Sign(base, attackgen.SigOptions{DocMDP: 1, Field: "Certify"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "certified-p1.pdf")
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	_, url := serveTSA(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := AddDocTimestamp(context.Background(), f, &tsp.Client{URLs: []string{url}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := attackgen.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	_, w, err := attackgen.FieldRef(r, "DocTimeStamp1")
	if err != nil || w == nil {
		t.Fatalf("no timestamp field DocTimeStamp1: %v", err)
	}
	if _, has := w["AP"]; has {
		t.Errorf("the timestamp widget has an appearance: %v", w["AP"])
	}
	rect, _ := r.Array(w["Rect"])
	for _, v := range rect {
		if n, _ := pdf.Number(v); n != 0 {
			t.Errorf("the timestamp widget's /Rect is %v, want [0 0 0 0]", rect)
			break
		}
	}
	rep, err := verify.VerifyFile(context.Background(), path, verify.Options{Trust: &trust.Store{}, RevocationSoft: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != 2 || rep.Signatures[0].DocMDP != 1 {
		t.Fatalf("signatures: %+v", rep.Signatures)
	}
	cert := rep.Signatures[0]
	if cert.Modification != "archival" || slices.ContainsFunc(rep.Findings, func(f verify.Finding) bool { return f.Severity == string(verify.Invalid) }) {
		t.Fatalf("after P=1, the timestamp is judged %s: %v %+v", cert.Modification, cert.Reasons, rep.Findings)
	}
	ch, err := verify.AnalyzeChanges(context.Background(), r, 1, "Certify", verify.MDP{DocMDP: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ch.Changes, func(c verify.Change) bool {
		return c.Rule == "field.new-document-timestamp" && c.Class == verify.ChangeArchival
	}) || len(ch.Problems) > 0 {
		t.Fatalf("changes: %+v problems %v", ch.Changes, ch.Problems)
	}
}
