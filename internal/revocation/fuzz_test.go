package revocation

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"golang.org/x/crypto/ocsp"
)

// seeds returns real revocation data of the shared test PKI.
func seeds(f *testing.F) (ocsps, crls [][]byte) {
	p := testpki.Shared(f)
	now := time.Now()
	for _, r := range []responder{{p.OCSP.Cert, p.OCSP.Key, true}, {p.Inter.Cert, p.Inter.Key, false}} {
		ocsps = append(ocsps, mkOCSP(f, p.Inter.Cert, r, ocsp.Response{Status: ocsp.Good, SerialNumber: p.Signer.Cert.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(time.Hour)}))
	}
	ocsps = append(ocsps, mkOCSP(f, p.Inter.Cert, responder{p.OCSP.Cert, p.OCSP.Key, true}, ocsp.Response{Status: ocsp.Revoked,
		SerialNumber: p.Signer.Cert.SerialNumber, ThisUpdate: now, RevokedAt: now, RevocationReason: ocsp.KeyCompromise}))
	ocsps = append(ocsps, ocsp.TryLaterErrorResponse)
	return ocsps, [][]byte{p.InterCRL, p.RootCRL}
}

func FuzzParseAdobeRevInfo(f *testing.F) {
	ocsps, crls := seeds(f)
	n := 0
	for _, ev := range []Evidence{{OCSPs: ocsps[:1], CRLs: crls}, {OCSPs: ocsps}, {CRLs: crls[:1]}, {}} {
		der, err := MarshalAdobeRevInfo(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
		n++
	}
	f.Add([]byte{0x30, 0x06, 0xa2, 0x04, 0x30, 0x02, 0x05, 0x00})
	if n == 0 {
		f.Fatal("no seeds")
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		ev, err := ParseAdobeRevInfo(der)
		if err != nil {
			return
		}
		// What parses re-encodes to something that parses the same.
		again, err := MarshalAdobeRevInfo(ev)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		ev2, err := ParseAdobeRevInfo(again)
		if err != nil || !equalLists(ev.OCSPs, ev2.OCSPs) || !equalLists(ev.CRLs, ev2.CRLs) {
			t.Fatalf("round trip changed the evidence: %v", err)
		}
	})
}

func FuzzParseOCSP(f *testing.F) {
	ocsps, _ := seeds(f)
	for _, o := range ocsps {
		f.Add(o)
	}
	p := testpki.Shared(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		resp, full, err := parseOCSP(der, p.Signer.Cert, p.Inter.Cert, []*x509.Certificate{p.OCSP.Cert})
		if err != nil {
			return
		}
		// Accepted means signed by the issuer or its responder: a fuzzer
		// cannot forge that, so only the seeds' own bytes get here.
		if resp.SerialNumber.Cmp(p.Signer.Cert.SerialNumber) != 0 || len(full) == 0 {
			t.Fatal("accepted a response about another certificate")
		}
		if !bytes.Contains(full, resp.TBSResponseData) {
			t.Fatal("the full response does not hold what was checked")
		}
	})
}

func FuzzCheckScope(f *testing.F) {
	for _, s := range [][]byte{
		{0x30, 0x00},
		{0x30, 0x03, 0x82, 0x01, 0xff},
		{0x30, 0x03, 0x81, 0x01, 0xff},
		{0x30, 0x04, 0x83, 0x02, 0x07, 0x80},
		{0x30, 0x1b, 0xa0, 0x19, 0xa0, 0x17, 0x86, 0x15, 'h', 't', 't', 'p', ':', '/', '/', 'x', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '/', 'a', '.', 'c', 'r', 'l'},
	} {
		f.Add(s)
	}
	p := testpki.Shared(f)
	f.Fuzz(func(t *testing.T, der []byte) {
		checkScope(der, p.Signer.Cert) // must not panic or hang
	})
}
