package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/tsp"
)

// realTSA serves p's TSA over RFC 3161 on 127.0.0.1 and returns a client.
func realTSA(t *testing.T, p *testpki.PKI) *tsp.Client {
	t.Helper()
	srv := httptest.NewServer(&tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()})
	t.Cleanup(srv.Close)
	return &tsp.Client{URLs: []string{srv.URL}}
}

// signTS signs doc with leaf and, when tsa is set, a signature timestamp
// fetched from it.
func (e *env) signTS(t *testing.T, leaf *testpki.Leaf, tsa *tsp.Client) []byte {
	t.Helper()
	sign := func(signed []byte) ([]byte, error) {
		d := sha256.Sum256(signed)
		der, sigValue, err := cms.SignDetached(context.Background(), d[:], cms.SignOptions{Signer: leaf.Key, Cert: leaf.Cert, Chain: e.pki.Chain()})
		if err != nil || tsa == nil {
			return der, err
		}
		h := sha256.Sum256(sigValue)
		tok, err := tsa.Timestamp(context.Background(), crypto.SHA256, h[:])
		if err != nil {
			return nil, err
		}
		return cms.AddUnsignedAttr(der, cms.OIDSignatureTimeStampToken, tok.DER)
	}
	out, _, err := attackgen.Sign(readTestdata(t, "simple.pdf"), attackgen.SigOptions{Field: "Sig1", Sign: sign})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasFinding(r *Report, id string) bool {
	for _, f := range r.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// TestPolicyVerdicts: what the policy rejects is never valid (issue 12).
func TestPolicyVerdicts(t *testing.T) {
	e := newEnv(t)
	trusted := realTSA(t, e.pki)
	// A TSA of another PKI: a real RFC 3161 server whose root is not trusted.
	other, err := testpki.New(testpki.Options{Unit: "Other (TEST)"})
	if err != nil {
		t.Fatal(err)
	}
	untrusted := realTSA(t, other)
	weak, err := e.pki.NewLeaf(testpki.LeafOptions{RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	tsOnly, err := e.pki.NewLeaf(testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUTimeStamping}, Critical: true})
	if err != nil {
		t.Fatal(err)
	}
	serverOnly, err := e.pki.NewLeaf(testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	docSigning, err := e.pki.NewLeaf(testpki.LeafOptions{EKUs: []asn1.ObjectIdentifier{testpki.EKUDocumentSigning}})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Trust: e.store, RevocationSoft: true}
	tests := []struct {
		name    string
		doc     []byte
		want    Status
		finding string
		check   func(t *testing.T, s Signature)
	}{
		{"trusted timestamp, B-T", e.signTS(t, e.pki.Signer, trusted), Valid, "", func(t *testing.T, s Signature) {
			if s.Level != "B-T" || s.TimestampTime == nil || s.TSA == "" {
				t.Errorf("level %s timestamp %v tsa %q", s.Level, s.TimestampTime, s.TSA)
			}
		}},
		{"untrusted timestamp proves nothing", e.signTS(t, e.pki.Signer, untrusted), Valid, FindingUntrustedTS, func(t *testing.T, s Signature) {
			if s.Level != "B-B" || s.TimestampTime != nil || s.TSA != "" {
				t.Errorf("level %s timestamp %v tsa %q: an untrusted TSA's time was taken as proven", s.Level, s.TimestampTime, s.TSA)
			}
			if len(s.Timestamps) != 1 || s.Timestamps[0].Proves || s.Timestamps[0].Chain == "trusted" {
				t.Errorf("timestamps %+v", s.Timestamps)
			}
		}},
		{"RSA-1024 signer", e.signTS(t, weak, trusted), Indeterminate, FindingKeyTooSmall, func(t *testing.T, s Signature) {
			mustContain(t, "reasons", s.Reasons, "at least 2048 bits; this one has 1024")
		}},
		{"SHA-1 without proof of existence", e.legacySign(t, subPKCS7SHA1), Indeterminate, FindingDigestSunset, func(t *testing.T, s Signature) {
			mustContain(t, "reasons", s.Reasons, "sha-1 only with proof of existence before 2009-08-01")
		}},
		{"timeStamping-only certificate cannot sign", e.signTS(t, tsOnly, nil), Indeterminate, FindingEKU, func(t *testing.T, s Signature) {
			mustContain(t, "reasons", s.Reasons, "restricted to timeStamping")
		}},
		{"serverAuth-only certificate cannot sign", e.signTS(t, serverOnly, nil), Indeterminate, FindingEKU, nil},
		{"documentSigning certificate signs", e.signTS(t, docSigning, nil), Valid, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyBytes(t, tc.doc, o)
			if r.Status != tc.want || len(r.Signatures) != 1 {
				t.Fatalf("status %s, want %s; signatures %+v", r.Status, tc.want, r.Signatures)
			}
			s := r.Signatures[0]
			if !s.Integrity || s.Chain != "trusted" {
				t.Errorf("integrity %v chain %s", s.Integrity, s.Chain)
			}
			if tc.finding != "" && !hasFinding(r, tc.finding) {
				t.Errorf("no finding %s in %+v", tc.finding, r.Findings)
			}
			if tc.finding == "" && len(refusals(r)) > 0 {
				t.Errorf("unexpected findings %+v", r.Findings)
			}
			if r.Basis == nil || r.Basis.Policy == nil || r.Basis.Policy.Name != "default" {
				t.Errorf("basis %+v", r.Basis)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// TestPolicyFile: --policy loosens or tightens the default explicitly, and
// the file is named, with its SHA-256, in the report.
func TestPolicyFile(t *testing.T) {
	e := newEnv(t)
	weak, err := e.pki.NewLeaf(testpki.LeafOptions{RSABits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	loose := write("loose.yaml", "min-rsa-bits: 1024\n")
	strict := write("strict.yaml", "digests:\n  sha-512: \"\"\n")
	p, err := LoadPolicy(loose)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(loose)
	sum := sha256.Sum256(data)
	if p.Name != loose || p.SHA256 != hex.EncodeToString(sum[:]) || p.MinRSABits != 1024 || p.Digests["sha-256"] != "" || len(p.EKUs) == 0 {
		t.Fatalf("loaded %+v", p)
	}
	r := verifyBytes(t, e.signTS(t, weak, nil), Options{Trust: e.store, RevocationSoft: true, Policy: p})
	if r.Status != Valid || r.Basis.Policy.Name != loose || r.Basis.Policy.SHA256 == "" {
		t.Errorf("RSA-1024 under min-rsa-bits 1024: %s, basis %+v, reasons %q", r.Status, r.Basis.Policy, r.Signatures[0].Reasons)
	}
	sp, err := LoadPolicy(strict)
	if err != nil {
		t.Fatal(err)
	}
	r = verifyBytes(t, e.signTS(t, e.pki.Signer, nil), Options{Trust: e.store, RevocationSoft: true, Policy: sp})
	if r.Status != Indeterminate || !hasFinding(r, FindingDigestRejected) {
		t.Errorf("SHA-256 under a SHA-512-only policy: %s %+v", r.Status, r.Findings)
	}
	for name, body := range map[string]string{
		"unknown key":  "min-rsa-bit: 1024\n",
		"bad digest":   "digests:\n  sha-999: \"\"\n",
		"bad sunset":   "digests:\n  sha-1: soon\n",
		"bad eku name": "accepted-ekus: [docSigning]\n",
	} {
		if _, err := LoadPolicy(write(strings.ReplaceAll(name, " ", "-")+".yaml", body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// The anchors are named with their fingerprints.
	if len(r.Basis.Anchors) != 1 || !strings.Contains(r.Basis.Anchors[0].Subject, "kyso TEST Root CA") || len(r.Basis.Anchors[0].SHA256) != 64 {
		t.Fatalf("anchors %+v", r.Basis.Anchors)
	}
	// The printable report names the same basis and the finding.
	var buf bytes.Buffer
	if err := WriteHTML(&buf, []*Report{r}, HTMLOptions{Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Validation policy", strict, sp.SHA256, r.Basis.Anchors[0].SHA256, FindingDigestRejected} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the HTML report does not show %q", want)
		}
	}
}

// refusals are the findings that are not warnings.
func refusals(r *Report) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Severity != "warning" {
			out = append(out, f)
		}
	}
	return out
}
