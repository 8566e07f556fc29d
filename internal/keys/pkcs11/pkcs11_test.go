package pkcs11

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

func openKey(t *testing.T, o Options) *keys.Key {
	t.Helper()
	k, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return k
}

// verifySig checks sig over digest with the certificate's public key.
func verifySig(t *testing.T, cert *x509.Certificate, digest, sig []byte, opts crypto.SignerOpts) {
	t.Helper()
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		var err error
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			err = rsa.VerifyPSS(pub, opts.HashFunc(), digest, sig, pss)
		} else {
			err = rsa.VerifyPKCS1v15(pub, opts.HashFunc(), digest, sig)
		}
		if err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	default:
		t.Fatalf("unexpected public key %T", pub)
	}
}

func digestOf(h crypto.Hash, msg string) []byte {
	hh := h.New()
	hh.Write([]byte(msg))
	return hh.Sum(nil)
}

func TestOpenAndSign(t *testing.T) {
	tok := softhsmtest.New(t)
	p := tok.PKI
	pssOpts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	tests := []struct {
		name  string
		label string
		id    []byte
		token string
		want  *x509.Certificate
		opts  []crypto.SignerOpts
	}{
		{"rsa by label", rsaLabel, nil, tokenLabel, p.Signer.Cert, []crypto.SignerOpts{crypto.SHA256, crypto.SHA384, crypto.SHA512, pssOpts}},
		{"rsa by id", "", []byte{1}, tokenLabel, p.Signer.Cert, []crypto.SignerOpts{crypto.SHA256}},
		{"ec by label", ecLabel, nil, tokenLabel, p.SignerEC.Cert, []crypto.SignerOpts{crypto.SHA256, crypto.SHA384}},
		{"ec by id", "", []byte{2}, tokenLabel, p.SignerEC.Cert, []crypto.SignerOpts{crypto.SHA256}},
		{"label and id", ecLabel, []byte{2}, tokenLabel, p.SignerEC.Cert, []crypto.SignerOpts{crypto.SHA256}},
		{"certificate's label", "agency-ec-cert", nil, tokenLabel, p.SignerEC.Cert, []crypto.SignerOpts{crypto.SHA256}},
		{"token label decomposed (NFD)", rsaLabel, nil, norm.NFD.String(tokenLabel), p.Signer.Cert, []crypto.SignerOpts{crypto.SHA256}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := openKey(t, Options{Module: tok.Module, Token: tc.token, KeyLabel: tc.label, KeyID: tc.id, PIN: []byte(userPIN)})
			if !k.Cert.Equal(tc.want) {
				t.Fatalf("got certificate %s serial %v, want serial %v", k.Cert.Subject, k.Cert.SerialNumber, tc.want.SerialNumber)
			}
			if len(k.Chain) != 1 || !k.Chain[0].Equal(p.Inter.Cert) {
				t.Errorf("chain has %d certificates, want the issuing CA from the token", len(k.Chain))
			}
			if !strings.Contains(k.Description, tokenLabel) {
				t.Errorf("description %q does not name the token", k.Description)
			}
			if !k.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(tc.want.PublicKey) {
				t.Error("Public() is not the certificate's key")
			}
			for _, o := range tc.opts {
				d := digestOf(o.HashFunc(), "biên bản "+tc.name)
				sig, err := k.Signer.Sign(rand.Reader, d, o)
				if err != nil {
					t.Fatalf("Sign(%v): %v", o.HashFunc(), err)
				}
				verifySig(t, k.Cert, d, sig, o)
			}
		})
	}
	noModulesLoaded(t)
}

func TestSignRejectsBadDigest(t *testing.T) {
	tok := softhsmtest.New(t)
	for _, label := range []string{rsaLabel, ecLabel} {
		k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyLabel: label, PIN: []byte(userPIN)})
		if _, err := k.Signer.Sign(rand.Reader, []byte("short"), crypto.SHA256); err == nil {
			t.Errorf("%s: a 5-byte SHA-256 digest was signed", label)
		}
		if _, err := k.Signer.Sign(rand.Reader, make([]byte, 20), crypto.SHA1); err == nil && label == rsaLabel {
			t.Errorf("%s: SHA-1 was accepted for PKCS#1 v1.5", label)
		}
	}
}

func TestChain(t *testing.T) {
	tok := softhsmtest.New(t)
	p := tok.PKI
	fetched := 0
	fetch := func(_ context.Context, c *x509.Certificate) (*x509.Certificate, error) {
		fetched++
		return p.Root.Cert, nil
	}
	tests := []struct {
		name  string
		chain string
		fetch func(context.Context, *x509.Certificate) (*x509.Certificate, error)
		want  []*x509.Certificate
	}{
		{"token only", "", nil, []*x509.Certificate{p.Inter.Cert}},
		{"completed from the chain file", tok.ChainFile(t), nil, []*x509.Certificate{p.Inter.Cert, p.Root.Cert}},
		// The issuing CA has no caIssuers address, so nothing is fetched.
		{"nothing to fetch from", "", fetch, []*x509.Certificate{p.Inter.Cert}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel, PIN: []byte(userPIN), ChainFile: tc.chain, FetchIssuer: tc.fetch})
			if len(k.Chain) != len(tc.want) {
				t.Fatalf("chain has %d certificates, want %d", len(k.Chain), len(tc.want))
			}
			for i := range tc.want {
				if !k.Chain[i].Equal(tc.want[i]) {
					t.Errorf("chain[%d] is %s, want %s", i, k.Chain[i].Subject, tc.want[i].Subject)
				}
			}
		})
	}
	if fetched != 0 {
		t.Errorf("fetched %d times for a certificate with no caIssuers address", fetched)
	}
}

func TestBuildChainFetchesCAIssuers(t *testing.T) {
	p := testpki.Shared(t)
	leaf, inter, root := *p.Signer.Cert, *p.Inter.Cert, p.Root.Cert
	leaf.IssuingCertificateURL = []string{"http://ca.example/inter.crt"}
	inter.IssuingCertificateURL = []string{"http://ca.example/root.crt"}
	var asked []string
	fetch := func(_ context.Context, c *x509.Certificate) (*x509.Certificate, error) {
		asked = append(asked, c.IssuingCertificateURL[0])
		switch c.IssuingCertificateURL[0] {
		case "http://ca.example/inter.crt":
			return &inter, nil
		case "http://ca.example/root.crt":
			return root, nil
		}
		return nil, errors.New("not found")
	}
	got := buildChain(context.Background(), &leaf, nil, fetch)
	if len(got) != 2 || !got[0].Equal(p.Inter.Cert) || !got[1].Equal(root) {
		t.Fatalf("chain has %d certificates, want issuing CA then root", len(got))
	}
	if len(asked) != 2 {
		t.Errorf("fetched %d issuers, want 2", len(asked))
	}
	// A fetched certificate that did not sign the child is not taken.
	wrong := func(context.Context, *x509.Certificate) (*x509.Certificate, error) { return root, nil }
	if got := buildChain(context.Background(), &leaf, nil, wrong); len(got) != 0 {
		t.Errorf("took %d certificates that did not issue the leaf", len(got))
	}
	// Certificates of the pool off the path are left out.
	got = buildChain(context.Background(), p.Signer.Cert, []*x509.Certificate{p.TSA.Cert, p.AttackerRoot.Cert, root, p.Inter.Cert}, nil)
	if len(got) != 2 || !got[0].Equal(p.Inter.Cert) || !got[1].Equal(root) {
		t.Errorf("chain from a mixed pool has %d certificates, want issuing CA then root", len(got))
	}
}

func TestConcurrentSign(t *testing.T) {
	tok := softhsmtest.New(t)
	for _, tc := range []struct {
		name        string
		label       string
		maxSessions int // 0: as the token allows
	}{
		{"rsa parallel", rsaLabel, 0},
		{"ec parallel", ecLabel, 0},
		{"rsa on one session", rsaLabel, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyLabel: tc.label, PIN: []byte(userPIN)})
			s := k.Signer.(*signer)
			if tc.maxSessions > 0 {
				s.pool.mu.Lock()
				s.pool.max = tc.maxSessions
				s.pool.mu.Unlock()
			}
			const workers, each = 32, 8
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						d := sha256.Sum256([]byte{byte(w), byte(i)})
						sig, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA256)
						if err != nil {
							errs <- err
							continue
						}
						switch pub := k.Cert.PublicKey.(type) {
						case *rsa.PublicKey:
							if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig); err != nil {
								errs <- err
							}
						case *ecdsa.PublicKey:
							if !ecdsa.VerifyASN1(pub, d[:], sig) {
								errs <- errors.New("ECDSA signature does not verify")
							}
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			s.pool.mu.Lock()
			open, limit := s.pool.open, s.pool.max
			s.pool.mu.Unlock()
			if open > limit {
				t.Errorf("%d sessions open, limit %d", open, limit)
			}
			if tc.maxSessions == 1 && open != 1 {
				t.Errorf("%d sessions open, want 1", open)
			}
		})
	}
}

// spyModule returns OpenSC's pkcs11-spy wrapped around module, logging
// every call to the returned file, or "" if pkcs11-spy is not installed.
func spyModule(t *testing.T, module string) (spy, log string) {
	for _, pattern := range []string{"/usr/lib/*/pkcs11-spy.so", "/usr/lib/*/pkcs11/pkcs11-spy.so", "/usr/lib/pkcs11/pkcs11-spy.so"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			log = filepath.Join(t.TempDir(), "spy.log")
			t.Setenv("PKCS11SPY", module)
			t.Setenv("PKCS11SPY_OUTPUT", log)
			return m[0], log
		}
	}
	return "", ""
}

func TestWrongPIN(t *testing.T) {
	tok := softhsmtest.New(t)
	modPath := tok.Module
	spy, spyLog := spyModule(t, tok.Module)
	if spy != "" {
		modPath = spy
	} else {
		t.Log("pkcs11-spy (opensc) not installed: the number of C_Login calls is not counted")
	}
	_, err := Open(context.Background(), Options{Module: modPath, Token: tokenLabel, KeyLabel: rsaLabel, PIN: []byte("000000")})
	if err == nil {
		t.Fatal("Open with a wrong PIN succeeded")
	}
	if fail.KindOf(err) != fail.KindRun {
		t.Errorf("error kind %v, want run failure (exit 5)", fail.KindOf(err))
	}
	if msg := err.Error(); !hasAll(msg, "wrong PIN", tokenLabel, "counts failed attempts") || strings.Contains(msg, "000000") {
		t.Errorf("error %q: want the wrong-PIN message naming the token, without the PIN", msg)
	}
	noModulesLoaded(t)
	if spy != "" {
		log, err := os.ReadFile(spyLog)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(log), "C_Login")
		t.Logf("pkcs11-spy saw %d C_Login call(s)", n)
		if n != 1 {
			t.Errorf("C_Login called %d times, want exactly 1", n)
		}
	}
	// SoftHSM marks the user PIN "count low" after a failure, and clears
	// it at the next good login.
	if fl := tok.TokenFlags(t); fl&p11.CKF_USER_PIN_COUNT_LOW == 0 {
		t.Error("the token does not show the failed attempt")
	}
	k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel, PIN: []byte(userPIN)})
	d := sha256.Sum256([]byte("x"))
	if _, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
		t.Fatalf("the right PIN no longer works: %v", err)
	}
	ti, err := mustModule(t, tok.Module).ctx.GetTokenInfo(k.Signer.(*signer).tok.slot.id)
	if err != nil {
		t.Fatal(err)
	}
	if ti.Flags&(p11.CKF_USER_PIN_COUNT_LOW|p11.CKF_USER_PIN_LOCKED) != 0 {
		t.Errorf("token flags 0x%x after a good login, want the failure count cleared", ti.Flags)
	}
}

func TestOpenErrors(t *testing.T) {
	tok := softhsmtest.New(t)
	notLib := filepath.Join(t.TempDir(), "module.so")
	writeFile(t, notLib, []byte("not a library"))
	tests := []struct {
		name string
		o    Options
		kind fail.Kind
		want []string
	}{
		{"missing module", Options{Module: "/nonexistent/module.so", Token: tokenLabel, PIN: []byte(userPIN)}, fail.KindRun, []string{"/nonexistent/module.so", "cannot be loaded"}},
		{"not a library", Options{Module: notLib, Token: tokenLabel, PIN: []byte(userPIN)}, fail.KindRun, []string{notLib, "cannot be loaded"}},
		{"unknown token", Options{Module: tok.Module, Token: "No Such Token", KeyLabel: rsaLabel, PIN: []byte(userPIN)}, fail.KindRun, []string{"No Such Token", "'" + tokenLabel + "'", "'" + otherToken + "'"}},
		{"two tokens, none chosen", Options{Module: tok.Module, KeyLabel: rsaLabel, PIN: []byte(userPIN)}, fail.KindUsage, []string{tokenLabel, otherToken}},
		{"two keys, none chosen", Options{Module: tok.Module, Token: tokenLabel, PIN: []byte(userPIN)}, fail.KindUsage, []string{"more than one private key", rsaLabel, ecLabel, "id 01", "id 02"}},
		{"unknown key label", Options{Module: tok.Module, Token: tokenLabel, KeyLabel: "nope", PIN: []byte(userPIN)}, fail.KindUsage, []string{"'nope'", rsaLabel, ecLabel}},
		{"label and id disagree", Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel, KeyID: []byte{2}, PIN: []byte(userPIN)}, fail.KindUsage, []string{"with id 02"}},
		{"no PIN", Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel}, fail.KindUsage, []string{"needs a PIN"}},
		{"missing chain file", Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel, PIN: []byte(userPIN), ChainFile: "/nonexistent/chain.pem"}, fail.KindUsage, []string{"/nonexistent/chain.pem"}},
		{"empty token has no key", Options{Module: tok.Module, Token: otherToken, PIN: []byte(userPIN)}, fail.KindUsage, []string{"no private key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Open(context.Background(), tc.o)
			if err == nil {
				k.Close()
				t.Fatal("Open succeeded")
			}
			if got := fail.KindOf(err); got != tc.kind {
				t.Errorf("kind %v, want %v (%v)", got, tc.kind, err)
			}
			if !hasAll(err.Error(), tc.want...) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			noModulesLoaded(t)
		})
	}
}

func TestTokenBySerial(t *testing.T) {
	tok := softhsmtest.New(t)
	infos, err := List(context.Background(), tok.Module, tokenLabel, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := openKey(t, Options{Module: tok.Module, Token: infos[0].Serial, KeyLabel: ecLabel, PIN: []byte(userPIN)})
	if !k.Cert.Equal(tok.PKI.SignerEC.Cert) {
		t.Error("wrong certificate")
	}
}

func TestTokenGone(t *testing.T) {
	tok := softhsmtest.New(t)
	k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyLabel: rsaLabel, PIN: []byte(userPIN)})
	s := k.Signer.(*signer)
	d := sha256.Sum256([]byte("before"))
	if _, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	// What a pulled-out token looks like to the process: its sessions are
	// gone and the login with them.
	if err := s.tok.mod.ctx.CloseAllSessions(s.tok.slot.id); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA256)
		if !errors.Is(err, ErrTokenGone) {
			t.Fatalf("sign %d after removal: %v, want ErrTokenGone", i, err)
		}
		if fail.KindOf(err) != fail.KindRun {
			t.Errorf("kind %v, want run failure", fail.KindOf(err))
		}
	}
}

func TestClose(t *testing.T) {
	tok := softhsmtest.New(t)
	k, err := Open(context.Background(), Options{Module: tok.Module, Token: tokenLabel, KeyLabel: ecLabel, PIN: []byte(userPIN)})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	noModulesLoaded(t)
	d := sha256.Sum256([]byte("after"))
	if _, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA256); !errors.Is(err, ErrTokenGone) {
		t.Fatalf("Sign after Close: %v, want ErrTokenGone", err)
	}
}

// TestAlwaysAuthenticate signs with a key that asks for the PIN again at
// each signature (CKA_ALWAYS_AUTHENTICATE): SoftHSM refuses C_Sign
// without the context-specific login.
func TestAlwaysAuthenticate(t *testing.T) {
	tok := softhsmtest.New(t)
	p := tok.PKI
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1000), Subject: pkix.Name{CommonName: "UBND xã Hòa Đông (qualified TEST)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.Inter.Cert, key.Public(), p.Inter.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tok.WithSession(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		_, err := ctx.CreateObject(sh, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_EC),
			p11.NewAttribute(p11.CKA_TOKEN, true),
			p11.NewAttribute(p11.CKA_PRIVATE, true),
			p11.NewAttribute(p11.CKA_SENSITIVE, true),
			p11.NewAttribute(p11.CKA_SIGN, true),
			p11.NewAttribute(p11.CKA_ALWAYS_AUTHENTICATE, true),
			p11.NewAttribute(p11.CKA_LABEL, "qualified-key"),
			p11.NewAttribute(p11.CKA_ID, []byte{3}),
			p11.NewAttribute(p11.CKA_EC_PARAMS, []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}),
			p11.NewAttribute(p11.CKA_VALUE, key.D.FillBytes(make([]byte, 32))),
		})
		if err != nil {
			t.Fatal(err)
		}
		tok.WriteCert(t, ctx, sh, cert, "qualified-cert", []byte{3})
	})
	k := openKey(t, Options{Module: tok.Module, Token: tokenLabel, KeyID: []byte{3}, PIN: []byte(userPIN)})
	if !k.Signer.(*signer).key.alwaysAuth {
		t.Fatal("CKA_ALWAYS_AUTHENTICATE not seen")
	}
	if !k.Cert.Equal(cert) {
		t.Fatal("wrong certificate")
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			d := sha512.Sum384([]byte{byte(i)})
			sig, err := k.Signer.Sign(rand.Reader, d[:], crypto.SHA384)
			if err != nil {
				t.Error(err)
				return
			}
			if !ecdsa.VerifyASN1(&key.PublicKey, d[:], sig) {
				t.Error("signature does not verify")
			}
		})
	}
	wg.Wait()
}

func TestList(t *testing.T) {
	tok := softhsmtest.New(t)
	p := tok.PKI
	tests := []struct {
		name    string
		token   string
		pin     []byte
		tokens  int
		private bool
	}{
		{"all tokens without PIN", "", nil, 2, false},
		{"one token with PIN", tokenLabel, []byte(userPIN), 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			infos, err := List(context.Background(), tok.Module, tc.token, tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			noModulesLoaded(t)
			if len(infos) != tc.tokens {
				t.Fatalf("%d tokens, want %d", len(infos), tc.tokens)
			}
			var ti *TokenInfo
			for i := range infos {
				if infos[i].Label == tokenLabel {
					ti = &infos[i]
				}
			}
			if ti == nil {
				t.Fatalf("token %q not listed", tokenLabel)
			}
			if ti.Serial == "" || ti.Manufacturer != "SoftHSM project" || ti.LoggedIn != tc.private {
				t.Errorf("token info %+v", *ti)
			}
			want := []struct {
				label, typ string
				id         byte
				cert       *x509.Certificate
			}{{rsaLabel, "RSA-2048", 1, p.Signer.Cert}, {ecLabel, "EC P-256", 2, p.SignerEC.Cert}}
			if len(ti.Keys) != len(want) {
				t.Fatalf("%d keys, want %d: %+v", len(ti.Keys), len(want), ti.Keys)
			}
			for i, w := range want {
				k := ti.Keys[i]
				if k.Label != w.label || k.Type != w.typ || len(k.ID) != 1 || k.ID[0] != w.id || k.Private != tc.private {
					t.Errorf("key %d: %+v, want %s %s id %02x private %v", i, k, w.label, w.typ, w.id, tc.private)
				}
				if k.Cert == nil || !k.Cert.Equal(w.cert) {
					t.Errorf("key %s: certificate not matched", w.label)
				}
			}
			if len(ti.Certs) != 3 {
				t.Errorf("%d certificates, want 3", len(ti.Certs))
			}
			for _, c := range ti.Certs {
				if c.Cert.Equal(p.Signer.Cert) && !bytes.Equal(c.Cert.RawIssuer, p.Inter.Cert.RawSubject) {
					t.Errorf("certificate %s: issuer %s", c.Label, c.Cert.Issuer)
				}
			}
		})
	}
	_, err := List(context.Background(), tok.Module, "", []byte(userPIN))
	if fail.KindOf(err) != fail.KindUsage || !hasAll(fmtYes(err), tokenLabel, otherToken) {
		t.Errorf("PIN with two tokens and none chosen: %v, want a usage error listing them", err)
	}
	_, err = List(context.Background(), tok.Module, tokenLabel, []byte("999999"))
	if err == nil || !strings.Contains(err.Error(), "wrong PIN") {
		t.Errorf("List with a wrong PIN: %v", err)
	}
}

func fmtYes(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestTokenText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Token Hòa Đông                  ", "Token Hòa Đông"},
		{"VNPT-CA\x00\x00\x00", "VNPT-CA"},
		{"caf\xe9   ", "café"}, // not UTF-8: read as Latin-1
		{"", ""},
	}
	for _, tc := range tests {
		if got := tokenText(tc.in); got != tc.want {
			t.Errorf("tokenText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
