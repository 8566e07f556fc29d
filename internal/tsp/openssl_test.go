package tsp

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/cms"
)

// opensslTSA is `openssl ts -reply` behind HTTP: an independent TSA for
// the client to judge.
func opensslTSA(t *testing.T, tsa *testTSA, extra string) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	cert, key, root := tsa.writeFiles(t, dir)
	cnf := filepath.Join(dir, "ts.cnf")
	conf := `[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ` + filepath.Join(dir, "serial") + `
signer_cert = ` + cert + `
certs = ` + root + `
signer_key = ` + key + `
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
` + extra
	if err := os.WriteFile(cnf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "q")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		io.Copy(f, r.Body)
		f.Close()
		out := f.Name() + ".tsr"
		if msg, err := exec.Command("openssl", "ts", "-reply", "-config", cnf, "-queryfile", f.Name(), "-out", out).CombinedOutput(); err != nil {
			http.Error(w, string(msg), 500)
			return
		}
		b, _ := os.ReadFile(out)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(b)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestClientWithOpenSSLTSA(t *testing.T) {
	needOpenSSL(t)
	tsa := newTSA(t)
	for _, tc := range []struct {
		name, conf string
		policy     []int
		check      func(*testing.T, *Token)
	}{
		{"ess v2", "ess_cert_id_alg = sha256\ntsa_name = no\n", nil, nil},
		{"ess v1 (sha-1 cert id)", "ess_cert_id_alg = sha1\n", nil, func(t *testing.T, tok *Token) {
			if tok.SignedData.SignerInfos[0].SignedAttr(cms.OIDSigningCertificate) == nil {
				t.Error("openssl wrote no signing-certificate (v1) attribute")
			}
		}},
		{"tsa name, milliseconds", "tsa_name = yes\nclock_precision_digits = 3\naccuracy = secs:1, millisecs:500, microsecs:100\n", nil,
			func(t *testing.T, tok *Token) {
				if !strings.Contains(tok.Info.TSAName, "CN=kyso TEST TSA") ||
					tok.Info.Accuracy != time.Second+500*time.Millisecond+100*time.Microsecond {
					t.Errorf("tsa name %q, accuracy %v", tok.Info.TSAName, tok.Info.Accuracy)
				}
			}},
		{"asked policy", "", []int{1, 2, 3, 4, 5}, func(t *testing.T, tok *Token) {
			if tok.Info.Policy.String() != "1.2.3.4.5" {
				t.Errorf("policy %s", tok.Info.Policy)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := opensslTSA(t, tsa, tc.conf)
			c := &Client{URLs: []string{deadURL(t), ts.URL}, Policy: tc.policy, Backoff: time.Millisecond}
			for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
				data := []byte("signature value " + h.String())
				tok, err := c.Timestamp(context.Background(), h, sum(h, data))
				if err != nil {
					t.Fatal(err)
				}
				if !tok.MatchesData(data) || tok.Cert == nil || time.Since(tok.Info.GenTime).Abs() > time.Hour {
					t.Errorf("token %+v", tok.Info)
				}
				if tc.check != nil {
					tc.check(t, tok)
				}
			}
		})
	}
	// openssl refuses a policy it does not offer; the client says so
	ts := opensslTSA(t, tsa, "")
	_, err := (&Client{URLs: []string{ts.URL}, Policy: []int{1, 2, 3, 99}}).Timestamp(context.Background(), crypto.SHA256, sum(crypto.SHA256, nil))
	if err == nil || !strings.Contains(err.Error(), "refused: rejection") {
		t.Errorf("unoffered policy: %v", err)
	}
}

func TestOpenSSLVerifiesServerTokens(t *testing.T) {
	needOpenSSL(t)
	tsa := newTSA(t)
	ts := httptest.NewServer(tsa.server())
	defer ts.Close()
	dir := t.TempDir()
	_, _, root := tsa.writeFiles(t, dir)
	data := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(data, bytes.Repeat([]byte("page "), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, md := range []string{"-sha256", "-sha384", "-sha512"} {
		t.Run(md, func(t *testing.T) {
			q, r := filepath.Join(dir, "q.tsq"), filepath.Join(dir, "r.tsr")
			if out, err := exec.Command("openssl", "ts", "-query", "-data", data, md, "-cert", "-out", q).CombinedOutput(); err != nil {
				t.Fatalf("openssl ts -query: %v %s", err, out)
			}
			query, _ := os.ReadFile(q)
			resp, err := http.Post(ts.URL, "application/timestamp-query", bytes.NewReader(query))
			if err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if ct := resp.Header.Get("Content-Type"); ct != "application/timestamp-reply" {
				t.Errorf("content type %q", ct)
			}
			if err := os.WriteFile(r, reply, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("openssl", "ts", "-verify", "-queryfile", q, "-in", r, "-CAfile", root).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Verification: OK") {
				t.Errorf("openssl ts -verify: %v\n%s", err, out)
			}
			// openssl notices other data
			if err := os.WriteFile(filepath.Join(dir, "other.bin"), []byte("other"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("openssl", "ts", "-verify", "-data", filepath.Join(dir, "other.bin"), "-in", r,
				"-CAfile", root).CombinedOutput(); err == nil {
				t.Errorf("openssl verified a token over other data: %s", out)
			}
		})
	}
}
