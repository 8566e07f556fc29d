package verify

import (
	"slices"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// A hybrid update (a table whose trailer has /XRefStm) that marks a signed
// object free in its table while its stream lists it in use shows different
// documents in viewers following the table (MuPDF: the object deleted) and
// the stream (kyso, qpdf: unchanged): the signature is invalid, also when
// the disagreement was prepared before signing. The usual hybrid pattern,
// new objects free in the table and stored in an object stream that only
// the stream lists, stays valid.
func TestHybridXrefDisagreement(t *testing.T) {
	want := map[string]struct {
		id    string
		valid bool
	}{
		"isa/hybrid-table-frees-signed":      {"file.hybrid-xref-disagrees", false},
		"shadow/hybrid-table-frees-prepared": {"file.hybrid-xref-disagrees-in-signed", false},
		"legit/dss-hybrid":                   {"", true},
	}
	found := 0
	for _, c := range chgAttackCases(t) {
		w, ok := want[c.Name]
		if !ok {
			continue
		}
		found++
		t.Run(c.Name, func(t *testing.T) {
			// Each document does hold a table-free, stream-in-use entry.
			r, err := attackgen.Open(c.PDF)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(r.Revisions(), func(rv *pdf.Revision) bool { return len(rv.HybridFree) > 0 }) {
				t.Fatal("no revision has a hybrid section whose table and stream disagree")
			}
			rep := verifyBytes(t, c.PDF, Options{})
			if len(rep.Signatures) != 1 {
				t.Fatalf("%d signatures", len(rep.Signatures))
			}
			s := rep.Signatures[0]
			if w.valid {
				if s.Status == Invalid || s.Modification != "archival" {
					t.Errorf("status %s, modification %s, want not invalid and archival: %v", s.Status, s.Modification, s.Reasons)
				}
				for _, f := range rep.Findings {
					if f.ID == "file.hybrid-xref-disagrees" || f.ID == "file.hybrid-xref-disagrees-in-signed" {
						t.Errorf("finding %s on the usual hybrid pattern: %s", f.ID, f.Message)
					}
				}
				return
			}
			if rep.Status != Invalid || s.Status != Invalid || s.Modification != "other" {
				t.Errorf("file %s, signature %s, modification %s: want invalid, other", rep.Status, s.Status, s.Modification)
			}
			for _, f := range rep.Findings {
				if f.ID == w.id && f.Severity == "invalid" {
					return
				}
			}
			t.Errorf("no finding %s: %+v", w.id, rep.Findings)
		})
	}
	if found != len(want) {
		t.Fatalf("%d of %d cases generated", found, len(want))
	}
}
