// Package softhsmtest builds SoftHSM2 tokens for tests: a real PKCS#11
// module holding the test PKI's keys the way a CA's USB token does, so
// kyso's token code is tested without the hardware. Tests skip, saying
// why, when SoftHSM2 is not installed.
package softhsmtest

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kyso-project/kyso/internal/testtool"

	p11 "github.com/kyso-project/kyso/internal/keys/pkcs11/ck"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// The token: "Token Hòa Đông" (diacritics on purpose) with user PIN 123456
// holds the test PKI's RSA-2048 signer as agency-key (id 01) and its
// ECDSA P-256 signer as agency-ec-key (id 02), each imported with
// softhsm2-util as users do (which also stores the public half), their
// certificates (agency-cert, agency-ec-cert) and the issuing CA's (id ca).
// The root is not on it. A second token, "Kho lưu trữ", is empty.
const (
	Label      = "Token Hòa Đông"
	OtherLabel = "Kho lưu trữ"
	PIN        = "123456"
	SOPIN      = "12345678"
	RSALabel   = "agency-key"
	ECLabel    = "agency-ec-key"
)

// Token is a SoftHSM2 token set up for one test.
type Token struct {
	// Module is the path of libsofthsm2.so.
	Module string
	// Dir holds the configuration and the token files.
	Dir string
	PKI *testpki.PKI
}

// Module returns the path of the SoftHSM2 module, or skips t.
func Module(t testing.TB) string {
	t.Helper()
	testtool.Need(t, "softhsm2-util")
	for _, pattern := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/*/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	if os.Getenv("KYSO_REQUIRE_TOOLS") == "1" {
		t.Fatalf("softhsm2 is required (KYSO_REQUIRE_TOOLS=1) but libsofthsm2.so is not found")
	}
	t.Skip("softhsm2 is not installed: libsofthsm2.so not found")
	return ""
}

// New builds the tokens in a temporary folder and points SOFTHSM2_CONF at
// it for the test (so t must not be parallel). SoftHSM reads the variable
// when it is initialized: the module must not be loaded by the process at
// this point.
func New(t testing.TB) *Token {
	t.Helper()
	tok := &Token{Module: Module(t), Dir: t.TempDir(), PKI: testpki.Shared(t)}
	tokens := filepath.Join(tok.Dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tok.Dir, "softhsm2.conf")
	writeFile(t, conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"))
	t.Setenv("SOFTHSM2_CONF", conf)
	util := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("softhsm2-util", args...).CombinedOutput(); err != nil {
			t.Fatalf("softhsm2-util %s: %v\n%s", args[0], err, out)
		}
	}
	util("--init-token", "--free", "--label", Label, "--so-pin", SOPIN, "--pin", PIN)
	util("--init-token", "--free", "--label", OtherLabel, "--so-pin", SOPIN, "--pin", PIN)
	p := tok.PKI
	for _, k := range []struct {
		leaf      *testpki.Leaf
		label, id string
	}{{p.Signer, RSALabel, "01"}, {p.SignerEC, ECLabel, "02"}} {
		der, err := x509.MarshalPKCS8PrivateKey(k.leaf.Key)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tok.Dir, k.label+".pk8")
		writeFile(t, f, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		util("--import", f, "--token", Label, "--label", k.label, "--id", k.id, "--pin", PIN)
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	tok.WithSession(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		for _, c := range []struct {
			cert  *x509.Certificate
			label string
			id    []byte
		}{{p.Signer.Cert, "agency-cert", []byte{1}}, {p.SignerEC.Cert, "agency-ec-cert", []byte{2}}, {p.Inter.Cert, "issuing-ca", []byte{0xca}}} {
			tok.WriteCert(t, ctx, sh, c.cert, c.label, c.id)
		}
	})
	return tok
}

// WriteCert stores cert on the token as a public X.509 certificate object.
func (tok *Token) WriteCert(t testing.TB, ctx *p11.Ctx, sh p11.SessionHandle, cert *x509.Certificate, label string, id []byte) {
	t.Helper()
	_, err := ctx.CreateObject(sh, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_CLASS, p11.CKO_CERTIFICATE),
		p11.NewAttribute(p11.CKA_CERTIFICATE_TYPE, p11.CKC_X_509),
		p11.NewAttribute(p11.CKA_TOKEN, true),
		p11.NewAttribute(p11.CKA_PRIVATE, false),
		p11.NewAttribute(p11.CKA_LABEL, label),
		p11.NewAttribute(p11.CKA_ID, id),
		p11.NewAttribute(p11.CKA_SUBJECT, cert.RawSubject),
		p11.NewAttribute(p11.CKA_ISSUER, cert.RawIssuer),
		p11.NewAttribute(p11.CKA_VALUE, cert.Raw),
	})
	if err != nil {
		t.Fatalf("writing certificate %s to the token: %v", label, err)
	}
}

// withSlot loads the module, finds token Label and runs fn on its slot,
// unloading the module afterwards.
func (tok *Token) withSlot(t testing.TB, fn func(ctx *p11.Ctx, slot uint, info p11.TokenInfo)) {
	t.Helper()
	ctx, err := p11.Load(tok.Module)
	if err != nil {
		t.Fatalf("cannot load %s: %v", tok.Module, err)
	}
	defer ctx.Destroy()
	if err := ctx.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	defer ctx.Finalize()
	ids, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if ti, err := ctx.GetTokenInfo(id); err == nil && ti.Label == Label {
			fn(ctx, id, ti)
			return
		}
	}
	t.Fatalf("token %q not found", Label)
}

// WithSession runs fn in a read-write session on token Label, logged in as
// the user. It loads and unloads the module itself, so no key of the code
// under test may be open meanwhile.
func (tok *Token) WithSession(t testing.TB, fn func(*p11.Ctx, p11.SessionHandle)) {
	t.Helper()
	tok.withSlot(t, func(ctx *p11.Ctx, slot uint, _ p11.TokenInfo) {
		sh, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.CloseSession(sh)
		if err := ctx.Login(sh, p11.CKU_USER, []byte(PIN)); err != nil {
			t.Fatal(err)
		}
		defer ctx.Logout(sh)
		fn(ctx, sh)
	})
}

// TokenFlags returns the token's flags (CKF_USER_PIN_COUNT_LOW and the
// like), loading the module for the call.
func (tok *Token) TokenFlags(t testing.TB) uint {
	t.Helper()
	var flags uint
	tok.withSlot(t, func(_ *p11.Ctx, _ uint, info p11.TokenInfo) { flags = info.Flags })
	return flags
}

// ChainFile writes the root CA (the certificate missing from the token)
// as PEM and returns the file's path.
func (tok *Token) ChainFile(t testing.TB) string {
	t.Helper()
	f := filepath.Join(tok.Dir, "root.pem")
	writeFile(t, f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tok.PKI.Root.Cert.Raw}))
	return f
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
