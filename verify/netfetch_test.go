package verify

import (
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/revocation"
)

// TestNoFetchForUntrustedChain: the certificate of a chain that does not
// reach a trust anchor names addresses nobody vouches for; nothing is
// fetched for it (the verdict is indeterminate anyway). A trusted chain
// is still checked online.
func TestNoFetchForUntrustedChain(t *testing.T) {
	p := testpki.Serve(t, testpki.Options{}, nil)
	e := &env{pki: p, store: storeOf(t, p.Root.Cert)}
	simple := readTestdata(t, "simple.pdf")
	if len(p.Signer.Cert.OCSPServer) == 0 || len(p.Signer.Cert.CRLDistributionPoints) == 0 {
		t.Fatal("the signer's certificate names no address: the test proves nothing")
	}
	trusted := e.sign(t, simple, signer{}, attackgen.SigOptions{Field: "Sig1"})

	// The same file judged against another anchor: the chain ends at a
	// root that is not trusted.
	before := p.Counts()
	rep := verifyBytes(t, trusted, Options{Trust: storeOf(t, p.AttackerRoot.Cert), Fetcher: &revocation.Fetcher{}})
	if got := p.Counts(); got != before {
		t.Errorf("requests for an untrusted chain: %+v, before %+v", got, before)
	}
	if rep.Status != Indeterminate || rep.Signatures[0].Chain != "untrusted" {
		t.Fatalf("verdict %s, chain %s", rep.Status, rep.Signatures[0].Chain)
	}
	mustContain(t, "reasons", rep.Signatures[0].Reasons, "nothing is fetched for a certificate that does not chain to a trust anchor")

	before = p.Counts()
	rep = verifyBytes(t, trusted, Options{Trust: e.store, Fetcher: &revocation.Fetcher{}})
	if got := p.Counts(); got.OCSP != before.OCSP+1 {
		t.Errorf("trusted chain: %d OCSP requests, want 1", got.OCSP-before.OCSP)
	}
	if s := rep.Signatures[0]; s.Chain != "trusted" || s.Revocation != "good" || rep.Status != Valid {
		t.Errorf("trusted chain: verdict %s, chain %s, revocation %s, reasons %q", rep.Status, s.Chain, s.Revocation, strings.Join(s.Reasons, "; "))
	}
}
