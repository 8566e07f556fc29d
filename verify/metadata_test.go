package verify

import (
	"crypto/x509"
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

// TestSignedMetadataNotFromAnUnvouchedSignature: an attacker swaps the
// metadata in an incremental update and signs it with a certificate of
// their own (issued by a root nobody trusts, with the unit's subject):
// the signed values stay those the trusted signature covers and the swap
// is named. A second signature that is valid does make its values the
// signed ones, and the change it made is still named (issue 12).
func TestSignedMetadataNotFromAnUnvouchedSignature(t *testing.T) {
	e := newEnv(t)
	signed := map[string]string{"dossier_code": "H26.TEST-2026-0001", "issued_date": "2026-01-10", "unit_code": "000.00.00.H26-TEST"}
	swapped := map[string]string{"dossier_code": "H26.TEST-2026-0999", "issued_date": "2026-02-01", "unit_code": "000.00.00.H26-TEST"}
	o := Options{Trust: e.store, RevocationSoft: true}
	swap := func(doc []byte, m map[string]string) []byte {
		out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error { withInfo(u, m); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	base := swap(signedMetadataDoc(t, e, signed, nil), swapped)
	attacker := signer{leaf: e.pki.Attacker, chain: []*x509.Certificate{e.pki.AttackerRoot.Cert}}

	for _, tc := range []struct {
		name      string
		s         signer
		wantSig   int // the signature whose values are the signed ones
		wantValue string
	}{
		{"attacker", attacker, 0, "H26.TEST-2026-0001"},
		{"valid second signature", signer{}, 1, "H26.TEST-2026-0999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := e.sign(t, base, tc.s, attackgen.SigOptions{Field: "Sig2"})
			r := verifyBytes(t, doc, o)
			if len(r.Signatures) != 2 {
				t.Fatalf("%d signatures", len(r.Signatures))
			}
			if tc.name == "attacker" && r.Signatures[1].Status == Valid {
				t.Fatalf("the attacker's signature is valid: %+v", r.Signatures[1])
			}
			if tc.name != "attacker" && r.Signatures[1].Status != Valid {
				t.Fatalf("the second signature is %s: %q", r.Signatures[1].Status, r.Signatures[1].Reasons)
			}
			if r.SignedMetadata == nil || r.SignedMetadata.Signature != tc.wantSig || r.SignedMetadata.Fields["dossier_code"] != tc.wantValue {
				t.Fatalf("signed metadata %+v, want signature %d's %s", r.SignedMetadata, tc.wantSig, tc.wantValue)
			}
			mustContain(t, "warnings", r.Warnings, `the signed metadata was changed after signing: dossier_code "H26.TEST-2026-0001" -> "H26.TEST-2026-0999"; issued_date "2026-01-10" -> "2026-02-01" (between revisions 1 and 3; revision 3 is signed by signature 2, `)
			var n int
			for _, f := range r.Findings {
				if f.ID == FindingMetadataChanged {
					n++
					if f.Severity != "warning" || f.Signature == nil || *f.Signature != 1 {
						t.Errorf("finding %+v", f)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d %s findings: %+v", n, FindingMetadataChanged, r.Findings)
			}
		})
	}

	// Changed twice: by a valid second signer, then in an unsigned
	// revision; both changes are named.
	doc := swap(e.sign(t, base, signer{}, attackgen.SigOptions{Field: "Sig2"}), signed)
	r := verifyBytes(t, doc, o)
	if r.SignedMetadata == nil || r.SignedMetadata.Fields["dossier_code"] != "H26.TEST-2026-0999" {
		t.Fatalf("signed metadata %+v", r.SignedMetadata)
	}
	mustContain(t, "warnings", r.Warnings, `dossier_code "H26.TEST-2026-0001" -> "H26.TEST-2026-0999"; issued_date "2026-01-10" -> "2026-02-01" (between revisions 1 and 3; revision 3 is signed by signature 2, valid); the signed values are those of revision 3`)
	mustContain(t, "warnings", r.Warnings, `dossier_code "H26.TEST-2026-0999" -> "H26.TEST-2026-0001"; issued_date "2026-02-01" -> "2026-01-10" (between revisions 3 and 4; revision 4 is signed by no one); the signed values are those of revision 3`)

	// No valid signature at all: the oldest intact one's values, with a
	// warning that nobody vouches for them.
	only := e.sign(t, readTestdata(t, "simple.pdf"), attacker, attackgen.SigOptions{Field: "Sig1",
		Also: func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error { withInfo(u, signed); return nil }})
	only = e.sign(t, swap(only, swapped), attacker, attackgen.SigOptions{Field: "Sig2"})
	r = verifyBytes(t, only, o)
	if r.Status == Valid || r.SignedMetadata == nil || r.SignedMetadata.Signature != 0 || r.SignedMetadata.Fields["dossier_code"] != "H26.TEST-2026-0001" {
		t.Fatalf("%s %+v", r.Status, r.SignedMetadata)
	}
	if !hasFinding(r, FindingMetadataUnvouched) || !hasFinding(r, FindingMetadataChanged) {
		t.Errorf("findings %+v", r.Findings)
	}
}
