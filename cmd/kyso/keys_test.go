package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

func runForKeys(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Setenv("KYSO_LANG", "en") // the messages tests look for are English
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeyFlagsCheck(t *testing.T) {
	tests := []struct {
		name string
		f    keyFlags
		want string // "" for no error
	}{
		{"nothing", keyFlags{}, "no key given"},
		{"password with token", keyFlags{PKCS11: "m.so", PassFile: "f"}, "--pass-file can only be used with --p12"},
		{"password while looking for tokens", keyFlags{discover: true, PassEnv: "X"}, "--pass-env can only be used with --p12"},
		{"bad key id", keyFlags{PKCS11: "m.so", KeyID: "zz"}, "not hex"},
		{"p12", keyFlags{P12: "a.p12", PassEnv: "X", Chain: "c.pem"}, ""},
		{"token", keyFlags{PKCS11: "m.so", Token: "T", KeyID: "0x0A:0b", PinFile: "f"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.check()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if fail.KindOf(err) != fail.KindUsage {
				t.Errorf("kind %v, want usage", fail.KindOf(err))
			}
		})
	}
	id, err := (&keyFlags{KeyID: "0x0A:0b"}).keyID()
	if err != nil || !bytes.Equal(id, []byte{0x0a, 0x0b}) {
		t.Errorf("keyID = % x, %v", id, err)
	}
}

// TestKeyFlagGroups: the key flags that exclude each other (cobra flag
// groups, config values included) are refused as usage errors (exit 2)
// before any key or secret is touched, by every command that takes them.
func TestKeyFlagGroups(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kyso.yaml")
	if err := os.WriteFile(cfg, []byte("p12: unit.p12\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string // the flags named in the error
	}{
		{[]string{"keys", "--p12", "a.p12", "--pkcs11", "m.so"}, "[p12 pkcs11]"},
		{[]string{"sign", "x.pdf", "--out", "o", "--p12", "a.p12", "--pin-env", "X"}, "[p12 pin-env]"},
		{[]string{"sign", "x.pdf", "--out", "o", "--p12", "a.p12", "--token", "T"}, "[p12 token]"},
		{[]string{"sign", "x.pdf", "--out", "o", "--p12", "a.p12", "--key-id", "01"}, "[p12 key-id]"},
		{[]string{"sign", "x.pdf", "--out", "o", "--token", "T", "--pass-file", "f"}, "[pass-file token]"},
		{[]string{"keys", "--pkcs11", "m.so", "--pin-env", "X", "--pin-file", "f"}, "[pin-env pin-file]"},
		{[]string{"archive", "export", "--out", "o", "--sign", "--p12", "a.p12", "--pass-env", "X", "--pass-file", "f"}, "[pass-env pass-file]"},
		{[]string{"archive", "report", "--sign", "--p12", "a.p12", "--pkcs11", "m.so"}, "[p12 pkcs11]"},
		// a .p12 from the config file and a token on the command line
		{[]string{"--config", cfg, "keys", "--pkcs11", "m.so"}, "[p12 pkcs11]"},
	}
	for _, tc := range tests {
		code, _, stderr := runForKeys(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("kyso %s: exit %d, %q; want exit 2 naming %s", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}

func TestKeyIDHex(t *testing.T) {
	id, err := (&keyFlags{KeyID: "0x0A:0b"}).keyID()
	if err != nil || !bytes.Equal(id, []byte{0x0a, 0x0b}) {
		t.Errorf("keyID = % x, %v", id, err)
	}
}

func TestKeysCommandToken(t *testing.T) {
	tok := softhsmtest.New(t)
	t.Setenv("KYSO_TEST_PIN", softhsmtest.PIN)
	t.Setenv("KYSO_BAD_PIN", "000000")

	code, out, errs := runForKeys(t, "keys", "--pkcs11", tok.Module)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, softhsmtest.Label) || !strings.Contains(out, softhsmtest.RSALabel) || !strings.Contains(out, softhsmtest.ECLabel) {
		t.Errorf("without a PIN, the listing lacks the token or key labels:\n%s", out)
	}
	if !strings.Contains(errs, "without login") {
		t.Errorf("no note that private keys are hidden: %q", errs)
	}

	code, out, errs = runForKeys(t, "keys", "--pkcs11", tok.Module, "--token", softhsmtest.Label, "--pin-env", "KYSO_TEST_PIN", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out, softhsmtest.PIN) || strings.Contains(errs, softhsmtest.PIN) {
		t.Error("the PIN is in the output")
	}
	var rows []keyRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r keyRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	want := map[string]string{softhsmtest.RSALabel: "01", softhsmtest.ECLabel: "02"}
	for _, r := range rows {
		if r.Token != softhsmtest.Label || r.TokenSerial == "" {
			t.Errorf("row %+v: wrong token", r)
		}
		if id, ok := want[r.Label]; ok {
			if r.Object != "private-key" || r.ID != id || !r.HasCert || r.NotAfter == nil || !strings.Contains(r.Subject, testpki.DefaultUnit) {
				t.Errorf("row %+v", r)
			}
			delete(want, r.Label)
		}
	}
	if len(want) != 0 {
		t.Errorf("keys missing from the JSON: %v", want)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong PIN", []string{"--token", softhsmtest.Label, "--pin-env", "KYSO_BAD_PIN"}, exitRun, "wrong PIN"},
		{"unknown token", []string{"--token", "No Such Token"}, exitRun, softhsmtest.Label},
		{"PIN for two tokens", []string{"--pin-env", "KYSO_TEST_PIN"}, exitUsage, "--token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runForKeys(t, append([]string{"keys", "--pkcs11", tok.Module}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	code, _, errs = runForKeys(t, "keys", "--pkcs11", "/nonexistent/module.so")
	if code != exitRun || !strings.Contains(errs, "/nonexistent/module.so") {
		t.Errorf("missing module: exit %d, %q", code, errs)
	}
}

func TestKeyFlagsLoad(t *testing.T) {
	tok := softhsmtest.New(t)
	dir := t.TempDir()
	pki, err := testpki.New(testpki.Options{Dir: dir, ReuseKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KYSO_TEST_PIN", softhsmtest.PIN)
	t.Setenv("KYSO_TEST_PASS", string(pki.Password))
	g := &globalOptions{io: &streams{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &bytes.Buffer{}}}
	tests := []struct {
		name  string
		f     keyFlags
		cert  string // CommonName
		chain int
	}{
		{"token key by id, chain completed from a file", keyFlags{PKCS11: tok.Module, Token: softhsmtest.Label, KeyID: "02", PinEnv: "KYSO_TEST_PIN", Chain: tok.ChainFile(t)}, testpki.DefaultUnit, 2},
		{"token key by label", keyFlags{PKCS11: tok.Module, Token: softhsmtest.Label, KeyLabel: softhsmtest.RSALabel, PinEnv: "KYSO_TEST_PIN"}, testpki.DefaultUnit, 1},
		{"p12", keyFlags{P12: dir + "/signer.p12", PassEnv: "KYSO_TEST_PASS"}, pki.Signer.Cert.Subject.CommonName, 2},
		{"p12 with chain file", keyFlags{P12: dir + "/signer.p12", PassEnv: "KYSO_TEST_PASS", Chain: dir + "/chain.pem"}, pki.Signer.Cert.Subject.CommonName, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := tc.f.load(context.Background(), g)
			if err != nil {
				t.Fatal(err)
			}
			if k.Close != nil {
				defer k.Close()
			}
			if k.Cert.Subject.CommonName != tc.cert || len(k.Chain) != tc.chain {
				t.Errorf("certificate %s with %d in the chain; want %s with %d", k.Cert.Subject, len(k.Chain), tc.cert, tc.chain)
			}
			d := sha256.Sum256([]byte("x"))
			if _, err := k.Signer.Sign(nil, d[:], crypto.SHA256); err != nil {
				t.Errorf("sign: %v", err)
			}
		})
	}
}
