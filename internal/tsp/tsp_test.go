package tsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
	"github.com/kyso-project/kyso/internal/fail"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

func sum(h crypto.Hash, data []byte) []byte {
	hh := h.New()
	hh.Write(data)
	return hh.Sum(nil)
}

// deadURL is a loopback URL where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/tsa"
}

func TestClientServerRoundTrip(t *testing.T) {
	tsa := newTSA(t)
	srv := tsa.server()
	clock := time.Now().Add(-time.Minute).Truncate(time.Second).Add(589 * time.Millisecond)
	srv.Now = func() time.Time { return clock }
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := &Client{URLs: []string{ts.URL}}
	data := []byte("the signature value")
	for i, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			tok, err := c.Timestamp(context.Background(), h, sum(h, data))
			if err != nil {
				t.Fatal(err)
			}
			if !tok.Info.GenTime.Equal(clock.Truncate(time.Second)) || tok.Info.HashAlg != h ||
				!tok.Info.Policy.Equal(DefaultPolicy) || tok.Info.Accuracy != time.Second ||
				tok.Info.Serial.Cmp(big.NewInt(int64(i+1))) != 0 || tok.Info.Nonce == nil || tok.Info.Version != 1 {
				t.Errorf("tstinfo %+v", tok.Info)
			}
			if tok.Cert == nil || !bytes.Equal(tok.Cert.Raw, tsa.cert.Raw) || len(tok.SignedData.Certificates) != 2 {
				t.Error("tsa certificate and chain not embedded")
			}
			if !tok.MatchesData(data) || tok.MatchesData([]byte("other")) || tok.MatchesImprint(nil) {
				t.Error("imprint matching is wrong")
			}
			again, err := ParseToken(append(bytes.Clone(tok.DER), 0, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if err := again.Verify(); err != nil {
				t.Errorf("reparsed token: %v", err)
			}
			// the token goes into a signature as an unsigned attribute and
			// must stay DER
			if tok.SignedData.SignerInfos[0].Weak() {
				t.Error("token signed with a weak hash")
			}
		})
	}
	if _, err := c.Timestamp(context.Background(), crypto.SHA1, sum(crypto.SHA1, data)); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("sha-1 imprint: %v", err)
	}
	if _, err := c.Timestamp(context.Background(), crypto.SHA256, []byte{1, 2}); err == nil {
		t.Error("short digest accepted")
	}
	if _, err := (&Client{}).Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, data)); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("no url: %v", err)
	}
}

func TestDeadFirstURL(t *testing.T) {
	tsa := newTSA(t)
	ts := httptest.NewServer(tsa.server())
	defer ts.Close()
	dead := deadURL(t)
	c := &Client{URLs: []string{dead, ts.URL}}
	digest := sum(crypto.SHA256, []byte("x"))
	if _, err := c.Timestamp(context.Background(), crypto.SHA256, digest); err != nil {
		t.Fatal(err)
	}
	if got := c.order(); got[0] != ts.URL {
		t.Errorf("after a failure the dead url is still tried first: %v", got)
	}
	_, err := (&Client{URLs: []string{dead}}).Timestamp(context.Background(), crypto.SHA256, digest)
	if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), dead+": connection refused") ||
		fail.RemedyOf(err) != fail.RemedyTSAUnreachable {
		t.Errorf("only a dead tsa: %v (remedy %v)", err, fail.RemedyOf(err))
	}
}

// lying wraps srv to change the query before it and the reply after it.
func lying(srv *Server, query func(*request) []byte, reply func([]byte) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if query != nil {
			req, err := parseRequest(body)
			if err != nil {
				panic(err)
			}
			body = query(req)
		}
		out := srv.Reply(r.Context(), body)
		if reply != nil {
			out = reply(out)
		}
		w.Write(out)
	})
}

// requestBytes re-encodes a (changed) request.
func requestBytes(r *request, certReq bool) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(r.imprint.oid) })
			b.AddASN1OctetString(r.imprint.hashed)
		})
		if r.policy != nil {
			b.AddASN1ObjectIdentifier(r.policy)
		}
		b.AddASN1BigInt(r.nonce)
		b.AddASN1Boolean(certReq)
	})
	return b.BytesOrPanic()
}

func TestClientRejects(t *testing.T) {
	tsa := newTSA(t)
	other := asn1.ObjectIdentifier{1, 2, 3, 9}
	badCert := func(mode ekuMode) *Server {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return &Server{Signer: key, Cert: newTSACert(t, tsa.root, tsa.rootKey, key, mode)}
	}
	tests := []struct {
		name    string
		handler http.Handler
		policy  asn1.ObjectIdentifier
		want    string
	}{
		{"nonce changed", lying(tsa.server(), func(r *request) []byte {
			r.nonce = new(big.Int).Add(r.nonce, big.NewInt(1))
			return requestBytes(r, true)
		}, nil), nil, "nonce"},
		{"imprint changed", lying(tsa.server(), func(r *request) []byte {
			r.imprint.hashed = sum(crypto.SHA256, []byte("something else"))
			return requestBytes(r, true)
		}, nil), nil, "imprint"},
		{"imprint hash changed", lying(tsa.server(), func(r *request) []byte {
			r.imprint.oid, r.imprint.hashed = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, make([]byte, 48)
			return requestBytes(r, true)
		}, nil), nil, "imprint"},
		{"policy ignored", lying(&Server{Signer: tsa.key, Cert: tsa.cert, Policy: asn1.ObjectIdentifier{1, 2, 3, 8}},
			func(r *request) []byte { r.policy = nil; return requestBytes(r, true) }, nil), other, "policy 1.2.3.8 is not 1.2.3.9"},
		{"policy refused", tsa.server(), other, "refused: rejection: policy not accepted"},
		{"certificate left out", lying(tsa.server(), func(r *request) []byte { return requestBytes(r, false) }, nil), nil,
			"tsa certificate is not in the token"},
		{"token changed", lying(tsa.server(), nil, func(b []byte) []byte {
			resp, _ := parseResponse(b)
			sd, _ := cms.Parse(resp.token)
			i := bytes.Index(b, sd.EContent) + len(sd.EContent) - 1 // the nonce's last byte
			b[i] ^= 0xff
			return b
		}), nil, "message digest does not match"},
		{"garbage reply", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }), nil,
			"not an rfc 3161 timestamp reply"},
		{"granted without token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write(marshalResponse(statusGranted, -1, "", nil))
		}), nil, "no token"},
		{"not found", http.NotFoundHandler(), nil, "http status 404"},
		{"eku not critical", badCert(ekuNotCritical), nil, "non-critical extended key usage"},
		{"no eku", badCert(ekuNone), nil, "has no extended key usage"},
		{"eku not only timestamping", badCert(ekuExtra), nil, "not for timestamping only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tc.handler.ServeHTTP(w, r)
			}))
			defer ts.Close()
			c := &Client{URLs: []string{ts.URL}, Policy: tc.policy, Backoff: time.Millisecond}
			tok, err := c.Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
			if err == nil || tok != nil {
				t.Fatal("token accepted")
			}
			if fail.KindOf(err) != fail.KindRun || !strings.Contains(err.Error(), ts.URL+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want a run error naming the url and %q", err, tc.want)
			}
			if hits.Load() != 1 {
				t.Errorf("%d requests: a wrong answer is not worth a retry", hits.Load())
			}
		})
	}
}

func TestClientRetries(t *testing.T) {
	tsa := newTSA(t)
	srv := tsa.server()
	for _, tc := range []struct {
		name      string
		failures  int32
		status    int
		retries   int
		wantHits  int32
		wantError string
	}{
		{"two 503 then good", 2, http.StatusServiceUnavailable, 0, 3, ""},
		{"three 503: give up", 3, http.StatusServiceUnavailable, 0, 3, "http status 503 Service Unavailable (after 3 attempts)"},
		{"429 then good", 1, http.StatusTooManyRequests, 0, 2, ""},
		{"no retries", 1, http.StatusBadGateway, -1, 1, "http status 502"},
		{"five retries", 5, http.StatusInternalServerError, 5, 6, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) <= tc.failures {
					http.Error(w, "busy", tc.status)
					return
				}
				srv.ServeHTTP(w, r)
			}))
			defer ts.Close()
			c := &Client{URLs: []string{ts.URL}, Retries: tc.retries, Backoff: time.Millisecond}
			_, err := c.Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
			if tc.wantError == "" && err != nil || tc.wantError != "" && (err == nil || !strings.Contains(err.Error(), tc.wantError)) {
				t.Errorf("error %v, want %q", err, tc.wantError)
			}
			if hits.Load() != tc.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tc.wantHits)
			}
		})
	}
}

func TestClientTimeout(t *testing.T) {
	tsa := newTSA(t)
	srv := tsa.server()
	srv.Delay = time.Minute // the handler ends when the client gives up
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := &Client{URLs: []string{ts.URL}, Timeout: 20 * time.Millisecond, Retries: 1, Backoff: time.Millisecond}
	_, err := c.Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
	if err == nil || !strings.Contains(err.Error(), "no answer within 20ms (after 2 attempts)") {
		t.Errorf("slow tsa: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = (&Client{URLs: []string{ts.URL}}).Timestamp(ctx, crypto.SHA256, sum(crypto.SHA256, []byte("doc")))
	if !errors.Is(err, context.Canceled) || fail.KindOf(err) == fail.KindRun {
		t.Errorf("cancelled: %v", err)
	}
}

func TestServerRejects(t *testing.T) {
	tsa := newTSA(t)
	srv := tsa.server()
	good, _ := marshalRequest(crypto.SHA256, make([]byte, 32), nil, big.NewInt(7))
	sha1Req := requestBytes(&request{imprint: imprint{oid: asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26},
		hashed: make([]byte, 20)}, nonce: big.NewInt(1)}, true)
	body := cryptobyte.String(good)
	body.ReadASN1(&body, cbasn1.SEQUENCE)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(body)
		b.AddASN1(tagCtx0.Constructed(), func(*cryptobyte.Builder) {})
	})
	withExt := b.BytesOrPanic()
	for _, tc := range []struct {
		name  string
		query []byte
		fail  int
	}{
		{"garbage", []byte("hello"), failBadDataFormat},
		{"sha-1 imprint", sha1Req, failBadAlg},
		{"extensions", withExt, failUnacceptedExtension},
	} {
		resp, err := parseResponse(srv.Reply(context.Background(), tc.query))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.status != statusRejection || len(resp.failBits) != 1 || resp.failBits[0] != tc.fail || resp.token != nil {
			t.Errorf("%s: %+v", tc.name, resp)
		}
	}
	resp, err := parseResponse((&Server{}).Reply(context.Background(), good))
	if err != nil || resp.status != statusRejection || resp.failBits[0] != failSystemFailure {
		t.Errorf("server without key: %+v %v", resp, err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	r, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %s", r.Status)
	}
}

func TestParseToken(t *testing.T) {
	tsa := newTSA(t)
	der, _, err := cms.SignDetached(context.Background(), make([]byte, 32), cms.SignOptions{Signer: tsa.key, Cert: tsa.cert})
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string][]byte{
		"empty":            nil,
		"garbage":          []byte("garbage"),
		"not a tstinfo":    der,
		"bad tstinfo":      mustSign(t, tsa, []byte{0x30, 0x03, 0x02, 0x01, 0x01}),
		"tstinfo trailing": mustSign(t, tsa, append(tstInfo(t, time.Now()), 0x05, 0x00)),
	} {
		if _, err := ParseToken(in); err == nil || fail.KindOf(err) != fail.KindInput {
			t.Errorf("%s: %v", name, err)
		}
	}
	tok, err := ParseToken(mustSign(t, tsa, tstInfo(t, time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Info.Accuracy != 1500*time.Millisecond+7*time.Microsecond || tok.Info.TSAName != "CN=kyso TEST TSA" {
		t.Errorf("accuracy %v, tsa name %q", tok.Info.Accuracy, tok.Info.TSAName)
	}
	if err := tok.Verify(); err != nil {
		t.Error(err)
	}
	// genTime outside the certificate's validity
	tok, err = ParseToken(mustSign(t, tsa, tstInfo(t, time.Now().Add(-48*time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(); err == nil || !strings.Contains(err.Error(), "not valid at") {
		t.Errorf("token from before the tsa certificate: %v", err)
	}
}

// tstInfo encodes a TSTInfo with every optional field.
func tstInfo(t *testing.T, at time.Time) []byte {
	var b cryptobyte.Builder
	d := sha256.Sum256([]byte("x"))
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier(DefaultPolicy)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1})
				b.AddASN1NULL()
			})
			b.AddASN1OctetString(d[:])
		})
		b.AddASN1Int64(42)
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) {
			b.AddBytes([]byte(at.UTC().Format("20060102150405") + ".25Z"))
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(1)
			b.AddASN1Int64WithTag(500, tagCtx0)
			b.AddASN1Int64WithTag(7, tagCtx1)
		})
		b.AddASN1Boolean(true)
		b.AddASN1Int64(99)
		b.AddASN1(tagCtx0.Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
				b.AddBytes(mustMarshalName(t))
			})
		})
	})
	return b.BytesOrPanic()
}

func mustMarshalName(t *testing.T) []byte {
	der, err := asn1.Marshal(newTSAName().ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func mustSign(t *testing.T, tsa *testTSA, content []byte) []byte {
	t.Helper()
	der, _, err := cms.SignEncapsulated(context.Background(), cms.OIDTSTInfo, content, cms.SignOptions{Signer: tsa.key, Cert: tsa.cert})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
