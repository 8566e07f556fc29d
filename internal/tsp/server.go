package tsp

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// DefaultPolicy is the policy a Server states when given none: the example
// policy of OpenSSL's ts configuration, fit for a test TSA only.
var DefaultPolicy = asn1.ObjectIdentifier{1, 2, 3, 4, 1}

// Server is an RFC 3161 TSA over HTTP (POST application/timestamp-query,
// reply application/timestamp-reply) for tests and `kyso demo`. Tokens are
// SHA-256 SignedData with signing-certificate-v2; the certificate and chain
// go in when the request sets certReq. Use it by pointer.
type Server struct {
	Signer crypto.Signer
	Cert   *x509.Certificate
	Chain  []*x509.Certificate
	Policy asn1.ObjectIdentifier // nil: DefaultPolicy
	// Delay holds every answer back, to play a distant TSA.
	Delay time.Duration
	Now   func() time.Time // nil: time.Now

	serial atomic.Uint64
}

const maxQuerySize = 64 << 10

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "post a timestamp query", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxQuerySize+1))
	if err != nil {
		http.Error(w, "cannot read the query", http.StatusBadRequest)
		return
	}
	if len(body) > maxQuerySize {
		http.Error(w, "query too large", http.StatusRequestEntityTooLarge)
		return
	}
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(s.Reply(r.Context(), body))
}

// Reply answers one DER TimeStampReq with a DER TimeStampResp: a token, or
// a rejection saying why.
func (s *Server) Reply(ctx context.Context, query []byte) []byte {
	req, err := parseRequest(query)
	if err != nil {
		return marshalResponse(statusRejection, failBadDataFormat, "malformed request", nil)
	}
	policy := s.Policy
	if policy == nil {
		policy = DefaultPolicy
	}
	switch {
	case req.imprint.hash != crypto.SHA256 && req.imprint.hash != crypto.SHA384 && req.imprint.hash != crypto.SHA512:
		return marshalResponse(statusRejection, failBadAlg, "imprint hash not accepted", nil)
	case req.policy != nil && !req.policy.Equal(policy):
		return marshalResponse(statusRejection, failUnacceptedPolicy, "policy not offered", nil)
	case req.hasExt:
		return marshalResponse(statusRejection, failUnacceptedExtension, "extensions not supported", nil)
	case s.Signer == nil || s.Cert == nil:
		return marshalResponse(statusRejection, failSystemFailure, "no signing key", nil)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier(policy)
		b.AddBytes(req.imprint.raw)
		b.AddASN1Uint64(s.serial.Add(1))
		b.AddASN1GeneralizedTime(now().UTC().Truncate(time.Second))
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(1) }) // accuracy: 1s
		if req.nonce != nil {
			b.AddASN1BigInt(req.nonce)
		}
	})
	tst, err := b.Bytes()
	if err != nil {
		return marshalResponse(statusRejection, failSystemFailure, "cannot encode tstinfo", nil)
	}
	token, _, err := cms.SignEncapsulated(ctx, cms.OIDTSTInfo, tst, cms.SignOptions{
		Signer: s.Signer, Cert: s.Cert, Chain: s.Chain, NoCerts: !req.certReq,
	})
	if err != nil {
		return marshalResponse(statusRejection, failSystemFailure, "signing failed", nil)
	}
	return marshalResponse(statusGranted, -1, "", token)
}
