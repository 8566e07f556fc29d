package revocation

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// mkBigOCSP builds an OCSP response signed by the issuing CA holding n
// statuses about certificates that do not exist (serials from base on),
// then good statuses about the certificates of extra.
func mkBigOCSP(t testing.TB, base int64, n int, extra ...*x509.Certificate) []byte {
	t.Helper()
	p := testpki.Shared(t)
	issuer := p.Inter.Cert
	now := time.Now().UTC().Truncate(time.Second)
	sha1 := asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	id := func(serial *big.Int) ocspCertID {
		return ocspCertID{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: sha1, Parameters: asn1.NullRawValue},
			IssuerNameHash: digest(crypto.SHA1, issuer.RawSubject), IssuerKeyHash: digest(crypto.SHA1, subjectKeyBits(issuer)), SerialNumber: serial}
	}
	var data ocspResponseData
	data.ResponderID = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: issuer.RawSubject}
	data.ProducedAt = now
	for i := range n {
		data.Responses = append(data.Responses, ocspSingleResponse{CertID: id(big.NewInt(base + int64(i))), Good: true, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)})
	}
	for _, c := range extra {
		data.Responses = append(data.Responses, ocspSingleResponse{CertID: id(c.SerialNumber), Good: true, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)})
	}
	tbs, err := asn1.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(tbs)
	sig, err := p.Inter.Key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	basic, err := asn1.Marshal(basicOCSPResponse{TBSResponseData: asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, Parameters: asn1.NullRawValue},
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	full, err := asn1.Marshal(ocspResponseASN1{Response: ocspResponseBytes{ResponseType: oidOCSPBasic, Response: basic}})
	if err != nil {
		t.Fatal(err)
	}
	return full
}

// TestOCSPCacheManyStatuses: the OCSP responses of a file are each decoded
// and indexed once, whatever the number of certificates checked against
// them, and a status deep in a large response is found by its CertID.
func TestOCSPCacheManyStatuses(t *testing.T) {
	p := testpki.Shared(t)
	const responses, per = 12, 1000
	var ocsps [][]byte
	for i := range responses {
		ocsps = append(ocsps, mkBigOCSP(t, int64(1e9+i*per), per))
	}
	ocsps = append(ocsps, mkBigOCSP(t, 5e9, per-1, p.Signer.Cert)) // the signer's status last
	cache := &OCSPCache{}
	ev := Evidence{OCSPs: ocsps, OCSPCache: cache}
	reads0, statuses0, sigs0 := OCSPWork()
	const checks = 40
	for range checks {
		for _, c := range []*x509.Certificate{p.Signer.Cert, p.SignerEC.Cert} {
			r := CheckEmbedded(c, p.Inter.Cert, time.Now(), ev, "offline")
			if want := c == p.Signer.Cert; (r.Status == Good) != want {
				t.Fatalf("%s: status %v, problems %q", c.Subject.CommonName, r.Status, r.Problems)
			}
		}
	}
	reads, statuses, sigs := OCSPWork()
	if reads-reads0 != responses+1 {
		t.Errorf("%d responses read for %d checks, want each once (%d)", reads-reads0, 2*checks, responses+1)
	}
	if statuses-statuses0 != (responses+1)*per {
		t.Errorf("%d statuses decoded, want %d", statuses-statuses0, (responses+1)*per)
	}
	if sigs-sigs0 != 1 {
		t.Errorf("%d OCSP signatures checked, want 1", sigs-sigs0)
	}
}

// TestOCSPStatusLimits: a response of more than MaxOCSPStatuses statuses
// is not decoded, nor are responses past MaxOCSPStatusesPerFile statuses
// in a file; each is unusable with an error naming its limit, said once.
func TestOCSPStatusLimits(t *testing.T) {
	p := testpki.Shared(t)
	huge := mkBigOCSP(t, 1e9, MaxOCSPStatuses, p.Signer.Cert)
	_, statuses0, _ := OCSPWork()
	ev := Evidence{OCSPs: [][]byte{huge, huge}, OCSPCache: &OCSPCache{}}
	r := CheckEmbedded(p.Signer.Cert, p.Inter.Cert, time.Now(), ev, "offline")
	if r.Status != Unknown || len(r.Problems) != 2 || !strings.Contains(r.Problems[0], "MaxOCSPStatuses") {
		t.Errorf("status %v, problems %q; want unknown, the limit said once", r.Status, r.Problems)
	}
	if _, statuses, _ := OCSPWork(); statuses != statuses0 {
		t.Errorf("%d statuses decoded from a response over the limit", statuses-statuses0)
	}
	// Without a cache (an online answer) the same bound holds.
	if _, _, err := parseOCSP(huge, p.Signer.Cert, p.Inter.Cert, nil); err == nil || !strings.Contains(err.Error(), "MaxOCSPStatuses") {
		t.Errorf("parseOCSP: %v", err)
	}

	// Per file: responses within the per-response limit, too many of them.
	n := MaxOCSPStatusesPerFile/MaxOCSPStatuses + 1
	var ocsps [][]byte
	for i := range n {
		ocsps = append(ocsps, mkBigOCSP(t, int64(1e9+i*MaxOCSPStatuses), MaxOCSPStatuses-1))
	}
	ocsps = append(ocsps, mkBigOCSP(t, 9e9, 0, p.Signer.Cert))
	_, statuses0, _ = OCSPWork()
	ev = Evidence{OCSPs: ocsps, OCSPCache: &OCSPCache{}}
	r = CheckEmbedded(p.Signer.Cert, p.Inter.Cert, time.Now(), ev, "offline")
	if r.Status != Good {
		t.Errorf("status %v, problems %q", r.Status, r.Problems)
	}
	ev.OCSPs = ocsps[:n]
	r = CheckEmbedded(p.SignerEC.Cert, p.Inter.Cert, time.Now(), ev, "offline")
	if !strings.Contains(strings.Join(r.Problems, "\n"), "MaxOCSPStatusesPerFile") {
		t.Errorf("problems %q do not name MaxOCSPStatusesPerFile", r.Problems)
	}
	if _, statuses, _ := OCSPWork(); statuses-statuses0 > MaxOCSPStatusesPerFile {
		t.Errorf("%d statuses decoded in one file, limit %d", statuses-statuses0, MaxOCSPStatusesPerFile)
	}
}

// BenchmarkCheckManyOCSP: a certificate checked against a file's dozen
// responses of a thousand statuses each, the responses read once.
func BenchmarkCheckManyOCSP(b *testing.B) {
	p := testpki.Shared(b)
	var ocsps [][]byte
	for i := range 12 {
		ocsps = append(ocsps, mkBigOCSP(b, int64(1e9+i*1000), 1000))
	}
	ev := Evidence{OCSPs: append(ocsps, mkBigOCSP(b, 5e9, 0, p.Signer.Cert)), OCSPCache: &OCSPCache{}}
	for b.Loop() {
		if r := CheckEmbedded(p.Signer.Cert, p.Inter.Cert, time.Now(), ev, "offline"); r.Status != Good {
			b.Fatal(r.Problems)
		}
	}
}
