package tsp

import (
	"context"
	"crypto"
	"math/big"
	"os"
	"path/filepath"
	"testing"
)

// seedTokens are TimeStampTokens made by `openssl ts -reply` (see
// TestWriteTokenSeeds), checked in so that fuzzing needs no openssl.
func seedTokens(t testing.TB) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("testdata/tokens/*.der")
	if len(files) == 0 {
		t.Fatal("no seed tokens in testdata/tokens")
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestSeedTokensVerify(t *testing.T) {
	for name, der := range seedTokens(t) {
		tok, err := ParseToken(der)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if err := tok.Verify(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !tok.MatchesData([]byte("seed " + tok.Info.HashAlg.String())) {
			t.Errorf("%s: imprint", name)
		}
	}
}

// FuzzParseToken feeds ParseToken, Verify and the reply and request parsers
// with arbitrary bytes: none may panic.
func FuzzParseToken(f *testing.F) {
	for _, der := range seedTokens(f) {
		f.Add(der)
		f.Add(marshalResponse(statusGranted, -1, "", der))
	}
	tsa := newTSA(f)
	f.Add(tsa.server().Reply(context.Background(), mustRequest(f, true)))
	f.Add(tsa.server().Reply(context.Background(), []byte("junk")))
	f.Add(mustRequest(f, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseRequest(data)
		if r, err := parseResponse(data); err == nil {
			_ = r.describe()
			data = r.token
		}
		tok, err := ParseToken(data)
		if err != nil {
			return
		}
		_ = tok.Verify()
		_ = tok.MatchesData(data)
	})
}

func mustRequest(t testing.TB, policy bool) []byte {
	t.Helper()
	var p []int
	if policy {
		p = DefaultPolicy
	}
	q, err := marshalRequest(crypto.SHA256, sum(crypto.SHA256, []byte("seed")), p, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestWriteTokenSeeds regenerates testdata/tokens with `openssl ts -reply`
// when KYSO_WRITE_SEEDS=1.
func TestWriteTokenSeeds(t *testing.T) {
	if os.Getenv("KYSO_WRITE_SEEDS") != "1" {
		t.Skip("set KYSO_WRITE_SEEDS=1 to regenerate the seed tokens")
	}
	needOpenSSL(t)
	tsa := newTSA(t)
	if err := os.MkdirAll("testdata/tokens", 0o755); err != nil {
		t.Fatal(err)
	}
	for name, conf := range map[string]string{
		"openssl-ess-v2":      "ess_cert_id_alg = sha256\n",
		"openssl-ess-v1-name": "ess_cert_id_alg = sha1\ntsa_name = yes\nclock_precision_digits = 3\n",
	} {
		ts := opensslTSA(t, tsa, conf)
		for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
			tok, err := (&Client{URLs: []string{ts.URL}}).Timestamp(context.Background(), h, sum(h, []byte("seed "+h.String())))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata/tokens", name+"-"+h.String()+".der"), tok.DER, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
