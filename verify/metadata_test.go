package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// withInfo sets the TTHC metadata in the Info dictionary of update u, the
// way kyso sign does (JSON in a text string).
func withInfo(u *pdf.Update, meta map[string]string) {
	b, _ := json.Marshal(meta)
	if u.Trailer == nil {
		u.Trailer = pdf.Dict{}
	}
	u.Trailer["Info"] = u.Add(pdf.Dict{"Producer": pdf.Str("kyso"), pdf.Name(MetadataInfoKey): pdf.Str(string(b))})
}

// SignedMetadataDoc signs simple.pdf with metadata in the signed revision,
// then (when swapped is set) appends an unsigned revision that rewrites it.
func signedMetadataDoc(t *testing.T, e *env, signed, swapped map[string]string) []byte {
	t.Helper()
	doc := e.sign(t, readTestdata(t, "simple.pdf"), signer{}, attackgen.SigOptions{Field: "Sig1",
		Also: func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error { withInfo(u, signed); return nil }})
	if swapped == nil {
		return doc
	}
	out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error { withInfo(u, swapped); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSignedMetadata: the metadata is read from the revision the signature
// covers; a later change is a named warning and never taken for it (issue 12).
func TestSignedMetadata(t *testing.T) {
	e := newEnv(t)
	signed := map[string]string{"dossier_code": "H26.TEST-2026-0001", "procedure_code": "1.001193", "issued_date": "2026-01-10", "unit_code": "000.00.00.H26-TEST"}
	swapped := map[string]string{"dossier_code": "H26.TEST-2026-0999", "procedure_code": "1.001193", "issued_date": "2026-01-10", "unit_code": "000.00.00.H26-TEST"}
	o := Options{Trust: e.store, RevocationSoft: true}

	r := verifyBytes(t, signedMetadataDoc(t, e, signed, nil), o)
	if r.Status != Valid || r.SignedMetadata == nil || r.SignedMetadata.Fields["dossier_code"] != "H26.TEST-2026-0001" || hasFinding(r, FindingMetadataChanged) {
		t.Fatalf("untouched: %s %+v %+v", r.Status, r.SignedMetadata, r.Findings)
	}

	r = verifyBytes(t, signedMetadataDoc(t, e, signed, swapped), o)
	if r.SignedMetadata == nil || r.SignedMetadata.Fields["dossier_code"] != "H26.TEST-2026-0001" || r.SignedMetadata.Revision != 1 {
		t.Fatalf("signed metadata %+v: the unsigned revision's values were taken", r.SignedMetadata)
	}
	if !hasFinding(r, FindingMetadataChanged) {
		t.Fatalf("no %s finding: %+v", FindingMetadataChanged, r.Findings)
	}
	mustContain(t, "warnings", r.Warnings, `the signed metadata was changed after signing: dossier_code "H26.TEST-2026-0001" -> "H26.TEST-2026-0999"`)
	if r.Status == Valid && len(r.Warnings) == 0 {
		t.Errorf("valid without a warning")
	}

	// Metadata added in an unsigned revision is not signed metadata.
	unsignedOnly, err := attackgen.Append(e.sign(t, readTestdata(t, "simple.pdf"), signer{}, attackgen.SigOptions{Field: "Sig1"}),
		func(r *pdf.Reader, u *pdf.Update) error { withInfo(u, swapped); return nil })
	if err != nil {
		t.Fatal(err)
	}
	r = verifyBytes(t, unsignedOnly, o)
	if r.SignedMetadata != nil || !hasFinding(r, FindingMetadataChanged) {
		t.Errorf("added after signing: %+v %+v", r.SignedMetadata, r.Findings)
	}
	for _, f := range r.Findings {
		if f.ID == FindingMetadataChanged && !strings.Contains(f.Message, "added after signing") {
			t.Errorf("message %q", f.Message)
		}
	}
}
