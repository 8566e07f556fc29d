// Legacy certificates with negative serial numbers must still be read.
//go:debug x509negativeserial=1

package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
)

// env is a test PKI with a trust store anchored at its root.
type env struct {
	pki   *testpki.PKI
	store *trust.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	p := testpki.Shared(t)
	return &env{pki: p, store: storeOf(t, p.Root.Cert)}
}

func storeOf(t testing.TB, roots ...*x509.Certificate) *trust.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roots.pem")
	var buf bytes.Buffer
	for _, c := range roots {
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := trust.Load([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signer makes CMS signatures by leaf, optionally with a signature
// timestamp from the test TSA.
type signer struct {
	e         *env
	leaf      *testpki.Leaf
	chain     []*x509.Certificate
	timestamp bool
	tsTime    time.Time
}

func (s signer) sign(signed []byte) ([]byte, error) {
	d := sha256.Sum256(signed)
	der, sigValue, err := cms.SignDetached(context.Background(), d[:], cms.SignOptions{Signer: s.leaf.Key, Cert: s.leaf.Cert, Chain: s.chain})
	if err != nil {
		return nil, err
	}
	if s.timestamp {
		h := sha256.Sum256(sigValue)
		tok, err := s.e.token(h[:], s.tsTime)
		if err != nil {
			return nil, err
		}
		return cms.AddUnsignedAttr(der, cms.OIDSignatureTimeStampToken, tok)
	}
	return der, nil
}

// token is an RFC 3161 token by the test TSA over digest (SHA-256).
func (e *env) token(digest []byte, at time.Time) ([]byte, error) {
	if at.IsZero() {
		at = time.Now().Add(-time.Minute)
	}
	type messageImprint struct {
		Alg  pkix.AlgorithmIdentifier
		Hash []byte
	}
	type tstInfo struct {
		Version int
		Policy  asn1.ObjectIdentifier
		Imprint messageImprint
		Serial  *big.Int
		GenTime time.Time `asn1:"generalized"`
	}
	oid, _ := cms.HashOID(crypto.SHA256)
	info, err := asn1.Marshal(tstInfo{Version: 1, Policy: asn1.ObjectIdentifier{1, 2, 3, 4}, Serial: big.NewInt(time.Now().UnixNano()),
		Imprint: messageImprint{Alg: pkix.AlgorithmIdentifier{Algorithm: oid}, Hash: digest}, GenTime: at.UTC().Truncate(time.Second)})
	if err != nil {
		return nil, err
	}
	der, _, err := cms.SignEncapsulated(context.Background(), cms.OIDTSTInfo, info,
		cms.SignOptions{Signer: e.pki.TSA.Key, Cert: e.pki.TSA.Cert, Chain: e.pki.Chain()})
	return der, err
}

func (e *env) docTimestamp(t testing.TB, doc []byte) []byte {
	t.Helper()
	out, _, err := attackgen.Sign(doc, attackgen.SigOptions{Field: "DocTS", DocTimeStamp: true, Sign: func(signed []byte) ([]byte, error) {
		d := sha256.Sum256(signed)
		return e.token(d[:], time.Time{})
	}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) sign(t testing.TB, doc []byte, s signer, o attackgen.SigOptions) []byte {
	t.Helper()
	s.e = e
	if s.leaf == nil {
		s.leaf = e.pki.Signer
	}
	if s.chain == nil {
		s.chain = e.pki.Chain()
	}
	o.Sign = s.sign
	out, _, err := attackgen.Sign(doc, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ocspResponse is the test responder's answer on leaf.
func (e *env) ocspResponse(t testing.TB, leaf *x509.Certificate, status int, revokedAt time.Time) []byte {
	t.Helper()
	now := time.Now()
	der, err := ocsp.CreateResponse(e.pki.Inter.Cert, e.pki.OCSP.Cert, ocsp.Response{
		Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(24 * time.Hour),
		RevokedAt: revokedAt, RevocationReason: ocsp.KeyCompromise, Certificate: e.pki.OCSP.Cert,
	}, e.pki.OCSP.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// addDSS appends a /DSS with the chain and the given OCSP responses.
func (e *env) addDSS(t testing.TB, doc []byte, ocsps ...[]byte) []byte {
	t.Helper()
	out, err := attackgen.Append(doc, func(r *pdf.Reader, u *pdf.Update) error {
		var certs, resp pdf.Array
		for _, c := range e.pki.Chain() {
			certs = append(certs, u.Add(attackgen.Stream(pdf.Dict{}, c.Raw)))
		}
		for _, o := range ocsps {
			resp = append(resp, u.Add(attackgen.Stream(pdf.Dict{}, o)))
		}
		cat, err := r.Catalog()
		if err != nil {
			return err
		}
		cat = cat.Clone()
		dss := pdf.Dict{"Type": pdf.Name("DSS"), "Certs": certs}
		if len(resp) > 0 {
			dss["OCSPs"] = resp
		}
		cat["DSS"] = u.Add(dss)
		u.Set(r.RootRef(), cat)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verifyBytes(t testing.TB, doc []byte, o Options) *Report {
	t.Helper()
	if o.Fetcher == nil {
		o.Fetcher = &revocation.Fetcher{Offline: true}
	}
	rep, err := Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)), o)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func mustContain(t *testing.T, what string, list []string, sub string) {
	t.Helper()
	for _, s := range list {
		if strings.Contains(s, sub) {
			return
		}
	}
	t.Errorf("%s: no entry contains %q in %q", what, sub, list)
}

func TestVerifyVerdicts(t *testing.T) {
	e := newEnv(t)
	p := e.pki
	simple := readTestdata(t, "simple.pdf")
	signed := e.sign(t, simple, signer{}, attackgen.SigOptions{Field: "Sig1"})
	good := e.ocspResponse(t, p.Signer.Cert, ocsp.Good, time.Time{})
	withGood := e.addDSS(t, signed, good)
	tampered := bytes.Clone(withGood)
	i := bytes.Index(tampered, []byte("/Type /Page"))
	if i < 0 {
		i = bytes.Index(tampered, []byte("/Type/Page"))
	}
	tampered[i+1] = 'X'
	revoked := e.sign(t, simple, signer{leaf: p.Revoked}, attackgen.SigOptions{Field: "Sig1"})
	revoked = e.addDSS(t, revoked, e.ocspResponse(t, p.Revoked.Cert, ocsp.Revoked, p.RevokedAt))
	untrusted := e.sign(t, simple, signer{leaf: p.Attacker, chain: []*x509.Certificate{p.AttackerRoot.Cert}}, attackgen.SigOptions{Field: "Sig1"})
	untrusted = e.addDSS(t, untrusted, good)
	stamped := e.sign(t, simple, signer{timestamp: true}, attackgen.SigOptions{Field: "Sig1"})
	lta := e.docTimestamp(t, e.addDSS(t, stamped, good))
	docts := e.docTimestamp(t, withGood)

	tests := []struct {
		name   string
		doc    []byte
		soft   bool
		status Status
		check  func(t *testing.T, r *Report)
	}{
		{"valid with embedded OCSP", withGood, false, Valid, func(t *testing.T, r *Report) {
			s := r.Signatures[0]
			if !s.Integrity || s.Chain != "trusted" || s.Revocation != "good" || s.Covers != "revision" || s.Level != "B-B" {
				t.Errorf("signature %+v", s)
			}
			if !strings.Contains(s.Signer, "Hòa Đông") || s.Field != "Sig1" || s.SubFilter != subPKCS7Detached {
				t.Errorf("signer %q field %q subfilter %q", s.Signer, s.Field, s.SubFilter)
			}
		}},
		{"a byte changed", tampered, false, Invalid, func(t *testing.T, r *Report) {
			if r.Signatures[0].Integrity {
				t.Error("integrity kept after tampering")
			}
			mustContain(t, "reasons", r.Signatures[0].Reasons, "changed after signing")
		}},
		{"untrusted root", untrusted, false, Indeterminate, func(t *testing.T, r *Report) {
			s := r.Signatures[0]
			if s.Chain != "untrusted" || !s.Integrity {
				t.Errorf("chain %s integrity %v", s.Chain, s.Integrity)
			}
		}},
		{"revoked, embedded OCSP", revoked, false, Invalid, func(t *testing.T, r *Report) {
			if r.Signatures[0].Revocation != "revoked" {
				t.Errorf("revocation %s", r.Signatures[0].Revocation)
			}
			mustContain(t, "reasons", r.Signatures[0].Reasons, "revoked")
		}},
		{"offline, no revocation data", signed, false, Indeterminate, func(t *testing.T, r *Report) {
			if r.Signatures[0].Revocation != "unknown" || r.Signatures[0].Covers != "whole" {
				t.Errorf("%+v", r.Signatures[0])
			}
		}},
		{"offline, soft revocation", signed, true, Valid, func(t *testing.T, r *Report) {
			if r.Signatures[0].Revocation != "unknown" {
				t.Errorf("revocation %s", r.Signatures[0].Revocation)
			}
			mustContain(t, "warnings", r.Warnings, "revocation status")
		}},
		{"signature timestamp", stamped, true, Valid, func(t *testing.T, r *Report) {
			s := r.Signatures[0]
			if s.Level != "B-T" || s.TimestampTime == nil || len(s.Timestamps) != 1 || !s.Timestamps[0].Proves {
				t.Errorf("level %s timestamp %v %+v", s.Level, s.TimestampTime, s.Timestamps)
			}
		}},
		{"document timestamp after the signature", docts, false, Valid, func(t *testing.T, r *Report) {
			if len(r.Signatures) != 2 {
				t.Fatalf("%d signatures", len(r.Signatures))
			}
			s, ts := r.Signatures[0], r.Signatures[1]
			if ts.SubFilter != subRFC3161 || ts.Kind != kindDocTimestamp || ts.TimestampTime == nil || !ts.Integrity {
				t.Errorf("document timestamp %+v", ts)
			}
			if s.TimestampTime == nil || s.Level != "B-LTA" {
				t.Errorf("signature level %s timestamp %v", s.Level, s.TimestampTime)
			}
		}},
		{"B-LTA", lta, false, Valid, func(t *testing.T, r *Report) {
			if r.Signatures[0].Level != "B-LTA" {
				t.Errorf("level %s", r.Signatures[0].Level)
			}
		}},
		{"not a PDF", []byte("plain text, not a PDF"), false, Invalid, func(t *testing.T, r *Report) {
			mustContain(t, "errors", r.Errors, "not a readable PDF")
		}},
		{"empty", nil, false, Invalid, func(t *testing.T, r *Report) {
			mustContain(t, "errors", r.Errors, "not a readable PDF")
		}},
		{"unsigned", simple, false, Invalid, func(t *testing.T, r *Report) {
			mustContain(t, "errors", r.Errors, "no signature")
			if len(r.Signatures) != 0 {
				t.Errorf("%d signatures", len(r.Signatures))
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := verifyBytes(t, tc.doc, Options{Trust: e.store, RevocationSoft: tc.soft})
			if r.Status != tc.status {
				t.Errorf("status %s, want %s; errors %q; signatures %+v", r.Status, tc.status, r.Errors, r.Signatures)
			}
			tc.check(t, r)
		})
	}
}

func mustReader(t testing.TB, doc []byte) *pdf.Reader {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func pdfRef(n uint32) pdf.Ref { return pdf.Ref{Num: n} }

// legacySign signs simple.pdf with a legacy SubFilter: the dictionary
// attackgen writes is rewritten in place (same length up to /Contents) and
// given a /Cert for adbe.x509.rsa_sha1.
func (e *env) legacySign(t *testing.T, subFilter string) []byte {
	t.Helper()
	leaf := e.pki.Signer
	sign := func(signed []byte) ([]byte, error) {
		d := sha1.Sum(signed)
		switch subFilter {
		case subPKCS7SHA1:
			der, _, err := cms.SignEncapsulated(context.Background(), cms.OIDData, d[:],
				cms.SignOptions{Signer: leaf.Key, Cert: leaf.Cert, Chain: e.pki.Chain()})
			return der, err
		default:
			sig, err := leaf.Key.Sign(rand.Reader, d[:], crypto.SHA1)
			if err != nil {
				return nil, err
			}
			return asn1.Marshal(sig)
		}
	}
	also := func(r *pdf.Reader, u *pdf.Update, field pdf.Ref) error {
		fd, _ := u.Object(field).(pdf.Dict)
		ref := fd["V"].(pdf.Ref)
		raw := u.Object(ref).(pdf.Raw)
		b := bytes.Replace(raw.Bytes, []byte("/adbe.pkcs7.detached"), []byte(fmt.Sprintf("/%-19s", subFilter)), 1)
		if subFilter == subX509RSASHA1 {
			var certs bytes.Buffer
			for _, c := range append([]*x509.Certificate{leaf.Cert}, e.pki.Chain()...) {
				fmt.Fprintf(&certs, "<%X>", c.Raw)
			}
			b = append(b[:len(b)-2:len(b)-2], []byte("/Cert ["+certs.String()+"]>>")...)
		}
		u.Set(ref, pdf.Raw{Bytes: b, Mark: raw.Mark})
		return nil
	}
	out, _, err := attackgen.Sign(readTestdata(t, "simple.pdf"), attackgen.SigOptions{Field: "Legacy", Sign: sign, Also: also})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLegacySubFilters(t *testing.T) {
	e := newEnv(t)
	interop, err := trust.Load([]string{filepath.Join("..", "testdata", "pdf", "interop-root.pem")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		doc       []byte
		store     *trust.Store
		subFilter string
		check     func(t *testing.T, s Signature)
	}{
		// SHA-1 is judged by a policy that still accepts it (the default
		// refuses it without proof of existence before its sunset: see
		// TestPolicyVerdicts).
		{"adbe.pkcs7.sha1", e.legacySign(t, subPKCS7SHA1), e.store, subPKCS7SHA1, func(t *testing.T, s Signature) {
			mustContain(t, "warnings", s.Warnings, "SHA-1")
		}},
		{"adbe.x509.rsa_sha1", e.legacySign(t, subX509RSASHA1), e.store, subX509RSASHA1, func(t *testing.T, s Signature) {
			mustContain(t, "warnings", s.Warnings, "SHA-1")
			if s.Chain != "trusted" || !strings.Contains(s.Signer, "Hòa Đông") {
				t.Errorf("chain %s signer %q", s.Chain, s.Signer)
			}
		}},
		{"certification by pdfsign", readTestdata(t, "pdfsign-certified-xrefstream.pdf"), interop, subPKCS7Detached, func(t *testing.T, s Signature) {
			if s.Kind != kindCertification || s.DocMDP != 2 || s.Covers != "whole" {
				t.Errorf("kind %s docmdp %d covers %s", s.Kind, s.DocMDP, s.Covers)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Trust: tc.store, RevocationSoft: true, Policy: sha1Accepted()}
			if tc.store == interop {
				o.At = interop.Roots[0].NotBefore.Add(7 * 24 * time.Hour)
			}
			r := verifyBytes(t, tc.doc, o)
			if r.Status != Valid || len(r.Signatures) != 1 {
				t.Fatalf("status %s, %d signatures: %+v", r.Status, len(r.Signatures), r.Signatures)
			}
			s := r.Signatures[0]
			if s.SubFilter != tc.subFilter || !s.Integrity {
				t.Errorf("subfilter %s integrity %v", s.SubFilter, s.Integrity)
			}
			tc.check(t, s)
			// One byte changed in the signed range breaks it.
			bad := bytes.Clone(tc.doc)
			bad[20] ^= 1
			if r := verifyBytes(t, bad, o); r.Status != Invalid || r.Signatures[0].Integrity {
				t.Errorf("tampered: status %s integrity %v", r.Status, r.Signatures[0].Integrity)
			}
		})
	}
}

// TestDetachedSignatureStillJudged: an update that unhooks a signature from
// the form cannot make it disappear from the verdict.
func TestDetachedSignatureStillJudged(t *testing.T) {
	e := newEnv(t)
	signed := e.sign(t, readTestdata(t, "simple.pdf"), signer{}, attackgen.SigOptions{Field: "Sig1"})
	unhooked, err := attackgen.Append(signed, func(r *pdf.Reader, u *pdf.Update) error {
		cat, err := r.Catalog()
		if err != nil {
			return err
		}
		cat = cat.Clone()
		delete(cat, "AcroForm")
		u.Set(r.RootRef(), cat)
		pages, err := r.Pages()
		if err != nil {
			return err
		}
		pg := pages[0].Dict.Clone()
		delete(pg, "Annots")
		u.Set(pages[0].Ref, pg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := verifyBytes(t, unhooked, Options{Trust: e.store, RevocationSoft: true})
	if len(r.Signatures) != 1 || r.Signatures[0].Field != "Sig1" {
		t.Fatalf("signatures %+v", r.Signatures)
	}
	if r.Status != Invalid || r.Signatures[0].Modification != "other" {
		t.Errorf("status %s modification %s reasons %q", r.Status, r.Signatures[0].Modification, r.Signatures[0].Reasons)
	}
}

// sha1Accepted is the default policy loosened to accept SHA-1 at any time.
func sha1Accepted() *Policy {
	p := DefaultPolicy()
	p.Name = "sha1-accepted (test)"
	p.Digests["sha-1"] = ""
	return p
}
