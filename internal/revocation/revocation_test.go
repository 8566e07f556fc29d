package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"golang.org/x/crypto/ocsp"
)

// responder signs OCSP responses in tests.
type responder struct {
	cert  *x509.Certificate
	key   crypto.Signer
	embed bool
}

func mkOCSP(t testing.TB, issuer *x509.Certificate, r responder, tmpl ocsp.Response) []byte {
	t.Helper()
	if r.embed {
		tmpl.Certificate = r.cert
	}
	der, err := ocsp.CreateResponse(issuer, r.cert, tmpl, r.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func mkCRL(t testing.TB, issuer *x509.Certificate, key crypto.Signer, this, next time.Time, extra []pkix.Extension, revoked ...x509.RevocationListEntry) []byte {
	t.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(this.Unix()), ThisUpdate: this, NextUpdate: next,
		RevokedCertificateEntries: revoked, ExtraExtensions: extra,
	}, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCheckEmbedded(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	inter := p.Inter.Cert
	delegated := responder{p.OCSP.Cert, p.OCSP.Key, true}
	delegatedBare := responder{p.OCSP.Cert, p.OCSP.Key, false}
	byIssuer := responder{inter, p.Inter.Key, false}
	noEKU := responder{p.SignerEC.Cert, p.SignerEC.Key, true}
	foreign := responder{p.Attacker.Cert, p.Attacker.Key, true}
	good := func(c *x509.Certificate, this, next time.Time) ocsp.Response {
		return ocsp.Response{Status: ocsp.Good, SerialNumber: c.SerialNumber, ThisUpdate: this, NextUpdate: next}
	}
	revoked := ocsp.Response{Status: ocsp.Revoked, SerialNumber: p.Revoked.Cert.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(day),
		RevokedAt: p.RevokedAt, RevocationReason: ocsp.KeyCompromise}

	goodNow := mkOCSP(t, inter, delegated, good(p.Signer.Cert, now, now.Add(day)))
	tampered := bytes.Clone(goodNow)
	tampered[len(tampered)-len(p.OCSP.Cert.Raw)-10] ^= 0xff // inside the signature
	var outer struct {
		Status   asn1.Enumerated
		Response struct {
			Type  asn1.ObjectIdentifier
			Basic []byte
		} `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(goodNow, &outer); err != nil {
		t.Fatal(err)
	}
	bare := outer.Response.Basic

	revokedCRL := p.InterCRL
	oldCRL := mkCRL(t, inter, p.Inter.Key, now.Add(-60*day), now.Add(-30*day), nil)
	tamperedCRL := bytes.Clone(revokedCRL)
	tamperedCRL[len(tamperedCRL)-5] ^= 0xff
	deltaCRL := mkCRL(t, inter, p.Inter.Key, now, now.Add(day), []pkix.Extension{{Id: oidDeltaCRLIndicator, Value: []byte{2, 1, 1}}})
	caOnlyCRL := mkCRL(t, inter, p.Inter.Key, now, now.Add(day), []pkix.Extension{{Id: oidIssuingDP, Critical: true, Value: []byte{0x30, 0x03, 0x82, 0x01, 0xff}}})
	// A CRL naming the issuing CA but signed by the attacker's key.
	forgedCRL := mkCRL(t, &x509.Certificate{Subject: inter.Subject, RawSubject: inter.RawSubject, SubjectKeyId: inter.SubjectKeyId,
		KeyUsage: x509.KeyUsageCRLSign}, p.AttackerRoot.Key, now, now.Add(day), nil)

	tests := []struct {
		name      string
		cert      *x509.Certificate
		issuer    *x509.Certificate
		at        time.Time
		ev        Evidence
		status    Status
		source    string
		responder *x509.Certificate // expected in Result.Certs
		problems  []string          // substrings expected among the problems
		noProblem string            // a substring that must not appear
	}{
		{name: "delegated responder, current", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{goodNow}}, status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "signed by the issuer itself", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{mkOCSP(t, inter, byIssuer, good(p.Signer.Cert, now, now.Add(day)))}}, status: Good, source: "embedded OCSP"},
		{name: "responder certificate found in the DSS", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegatedBare, good(p.Signer.Cert, now, now.Add(day)))}, Certs: []*x509.Certificate{p.Root.Cert, p.OCSP.Cert}},
			status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "responder certificate nowhere", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegatedBare, good(p.Signer.Cert, now, now.Add(day)))}},
			status: Unknown, problems: []string{"unknown responder"}},
		{name: "responder without OCSPSigning", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, noEKU, good(p.Signer.Cert, now, now.Add(day)))}},
			status: Unknown, problems: []string{"lacks the OCSPSigning"}},
		{name: "responder of another CA", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, foreign, good(p.Signer.Cert, now, now.Add(day)))}},
			status: Unknown, problems: []string{"not certified by the issuer"}},
		{name: "tampered signature", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{tampered}}, status: Unknown, problems: []string{"signature"}},
		{name: "bare BasicOCSPResponse", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{bare}}, status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "responses about other certificates are ignored quietly", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.SignerEC.Cert, now, now.Add(day)))}, CRLs: [][]byte{p.RootCRL}},
			status: Unknown, problems: []string{"online checking is off"}, noProblem: "embedded OCSP:"},
		{name: "revoked before the time checked", cert: p.Revoked.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, revoked)}}, status: Revoked, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "revoked after the time checked", cert: p.Revoked.Cert, at: p.RevokedAt.Add(-12 * time.Hour),
			ev: Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, revoked)}}, status: Good, source: "embedded OCSP", responder: p.OCSP.Cert,
			problems: []string{"revoked later", "keyCompromise"}},
		{name: "response issued after a past signing time", cert: p.Signer.Cert, at: now.Add(-30 * day),
			ev: Evidence{OCSPs: [][]byte{goodNow}}, status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "archived response whose nextUpdate has passed, covering the time", cert: p.Signer.Cert, at: now.Add(-5 * day),
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.Signer.Cert, now.Add(-10*day), now.Add(-3*day)))}},
			status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "response too old", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.Signer.Cert, now.Add(-10*day), now.Add(-9*day)))}},
			status: Unknown, problems: []string{"too old"}},
		{name: "no nextUpdate, issued minutes before", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.Signer.Cert, now.Add(-2*time.Minute), time.Time{}))}},
			status: Good, source: "embedded OCSP", responder: p.OCSP.Cert},
		{name: "good answer after the certificate expired", cert: p.Expired.Cert, at: p.Expired.Cert.NotAfter.Add(-day),
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.Expired.Cert, now, now.Add(day)))}},
			status: Unknown, problems: []string{"after the certificate expired"}},
		{name: "responder does not know", cert: p.Signer.Cert, at: now,
			ev:     Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, ocsp.Response{Status: ocsp.Unknown, SerialNumber: p.Signer.Cert.SerialNumber, ThisUpdate: now})}},
			status: Unknown, problems: []string{"does not know"}},
		{name: "error response", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{ocsp.TryLaterErrorResponse}}, status: Unknown, problems: []string{"try later"}},
		{name: "garbage", cert: p.Signer.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{[]byte("not DER")}, CRLs: [][]byte{[]byte("not DER")}}, status: Unknown, problems: []string{"malformed"}},
		{name: "CRL: good", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{revokedCRL}}, status: Good, source: "embedded CRL"},
		{name: "CRL: revoked", cert: p.Revoked.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{revokedCRL}}, status: Revoked, source: "embedded CRL"},
		{name: "CRL: revoked later", cert: p.Revoked.Cert, at: p.RevokedAt.Add(-time.Hour),
			ev: Evidence{CRLs: [][]byte{revokedCRL}}, status: Good, source: "embedded CRL", problems: []string{"revoked later"}},
		{name: "CRL: old revocation is conclusive however old the CRL", cert: p.Revoked.Cert, at: now.Add(300 * day),
			ev: Evidence{CRLs: [][]byte{revokedCRL}}, status: Revoked, source: "embedded CRL"},
		{name: "CRL: too old", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{oldCRL}}, status: Unknown, problems: []string{"too old"}},
		{name: "CRL: tampered", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{tamperedCRL}}, status: Unknown, problems: []string{"embedded CRL"}},
		{name: "CRL: forged with the issuer's name", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{forgedCRL}}, status: Unknown, problems: []string{"bad CRL signature"}},
		{name: "CRL: delta alone", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{deltaCRL}}, status: Unknown, problems: []string{"delta"}},
		{name: "CRL: CA certificates only", cert: p.Signer.Cert, at: now,
			ev: Evidence{CRLs: [][]byte{caOnlyCRL}}, status: Unknown, noProblem: "embedded CRL:"},
		{name: "CRL: CA certificates only, for a CA", cert: p.Inter.Cert, issuer: p.Root.Cert, at: now,
			ev:     Evidence{CRLs: [][]byte{mkCRL(t, p.Root.Cert, p.Root.Key, now, now.Add(day), []pkix.Extension{{Id: oidIssuingDP, Critical: true, Value: []byte{0x30, 0x03, 0x82, 0x01, 0xff}}})}},
			status: Good, source: "embedded CRL"},
		{name: "a good OCSP does not hide a revoking CRL", cert: p.Revoked.Cert, at: now,
			ev: Evidence{OCSPs: [][]byte{mkOCSP(t, inter, delegated, good(p.Revoked.Cert, now, now.Add(day)))}, CRLs: [][]byte{revokedCRL}}, status: Revoked, source: "embedded CRL"},
		{name: "no issuer", cert: p.Signer.Cert, at: now, issuer: &x509.Certificate{}, status: Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := tt.issuer
			if issuer == nil {
				issuer = inter
			} else if issuer.Raw == nil {
				issuer = nil
			}
			r := Check(context.Background(), tt.cert, issuer, tt.at, tt.ev, nil)
			if r.Status != tt.status || r.Source != tt.source {
				t.Fatalf("status %v from %q, want %v from %q; problems %q", r.Status, r.Source, tt.status, tt.source, r.Problems)
			}
			all := strings.Join(r.Problems, "\n")
			for _, want := range tt.problems {
				if !strings.Contains(all, want) {
					t.Errorf("problems %q do not mention %q", r.Problems, want)
				}
			}
			if tt.noProblem != "" && strings.Contains(all, tt.noProblem) {
				t.Errorf("problems %q should not mention %q", r.Problems, tt.noProblem)
			}
			if tt.status == Unknown && len(r.Problems) == 0 {
				t.Error("an unknown status must say why")
			}
			if tt.status != Unknown && len(r.UsedOCSP)+len(r.UsedCRL) != 1 {
				t.Errorf("used %d OCSP and %d CRL items, want the one that decided", len(r.UsedOCSP), len(r.UsedCRL))
			}
			if tt.status == Revoked && !r.RevokedAt.Equal(p.RevokedAt) || r.Status == Revoked && r.Reason != 1 {
				t.Errorf("revoked at %v reason %d, want %v keyCompromise", r.RevokedAt, r.Reason, p.RevokedAt)
			}
			if (tt.responder == nil) != (len(r.Certs) == 0) || tt.responder != nil && !r.Certs[0].Equal(tt.responder) {
				t.Errorf("responder certificates %d, want %v", len(r.Certs), tt.responder != nil)
			}
			for _, raw := range r.UsedOCSP {
				// What goes into a DSS is always a full OCSPResponse.
				if _, err := ocsp.ParseResponse(raw, nil); err != nil {
					t.Errorf("used OCSP item is not a full OCSPResponse: %v", err)
				}
			}
		})
	}
}

func TestNoCheck(t *testing.T) {
	p := testpki.Shared(t)
	if !NoCheck(p.OCSP.Cert) || NoCheck(p.Signer.Cert) {
		t.Error("NoCheck should hold for the OCSP responder only")
	}
}

func TestReasonName(t *testing.T) {
	for code, want := range map[int]string{0: "unspecified", 1: "keyCompromise", 6: "certificateHold", 7: "reason 7", 10: "aACompromise", -1: "reason -1"} {
		if got := ReasonName(code); got != want {
			t.Errorf("ReasonName(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestAdobeRevInfo(t *testing.T) {
	p := testpki.Shared(t)
	now := time.Now()
	resp := mkOCSP(t, p.Inter.Cert, responder{p.OCSP.Cert, p.OCSP.Key, true},
		ocsp.Response{Status: ocsp.Good, SerialNumber: p.Signer.Cert.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour)})
	tests := []struct {
		name string
		ev   Evidence
	}{
		{"both", Evidence{CRLs: [][]byte{p.InterCRL, p.RootCRL}, OCSPs: [][]byte{resp}}},
		{"ocsp only", Evidence{OCSPs: [][]byte{resp}}},
		{"crl only", Evidence{CRLs: [][]byte{p.InterCRL}}},
		{"empty", Evidence{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := MarshalAdobeRevInfo(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseAdobeRevInfo(der)
			if err != nil {
				t.Fatal(err)
			}
			if !equalLists(got.CRLs, tt.ev.CRLs) || !equalLists(got.OCSPs, tt.ev.OCSPs) {
				t.Errorf("round trip: %d CRLs %d OCSPs, want %d %d", len(got.CRLs), len(got.OCSPs), len(tt.ev.CRLs), len(tt.ev.OCSPs))
			}
			// The embedded evidence decides as it would from a DSS.
			if len(tt.ev.OCSPs) > 0 {
				if r := Check(context.Background(), p.Signer.Cert, p.Inter.Cert, now, got, nil); r.Status != Good {
					t.Errorf("status %v, problems %q", r.Status, r.Problems)
				}
			}
		})
	}
	// otherRevInfo is skipped; unknown fields and trailing data are errors.
	other := []byte{0x30, 0x06, 0xa2, 0x04, 0x30, 0x02, 0x05, 0x00}
	if ev, err := ParseAdobeRevInfo(other); err != nil || len(ev.CRLs)+len(ev.OCSPs) != 0 {
		t.Errorf("otherRevInfo: %v %v", ev, err)
	}
	for _, bad := range [][]byte{nil, {0x30, 0x02, 0xa5, 0x00}, append(bytes.Clone(other), 0), {0x30, 0x04, 0xa0, 0x02, 0x31, 0x00}} {
		if _, err := ParseAdobeRevInfo(bad); err == nil {
			t.Errorf("% x: want an error", bad)
		}
	}
	if _, err := MarshalAdobeRevInfo(Evidence{CRLs: [][]byte{{0x04, 0x00}}}); err == nil {
		t.Error("marshal should refuse an item that is not a SEQUENCE")
	}
}

func equalLists(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
