package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/keys/pkcs11"
	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

// Without --pkcs11, kyso keys finds the module on the search path and
// lists its tokens; kyso sign --token finds the module holding the token.
func TestKeysDiscover(t *testing.T) {
	tok := softhsmtest.New(t)
	t.Setenv(pkcs11.EnvPath, filepath.Join(t.TempDir(), "nothing-here.so")+string(filepath.ListSeparator)+tok.Module)
	t.Setenv("KYSO_TEST_PIN", softhsmtest.PIN)

	code, out, errs := runForKeys(t, "keys")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !hasAllOf(out, softhsmtest.Label, softhsmtest.OtherLabel, softhsmtest.RSALabel, softhsmtest.ECLabel, tok.Module, testpki.DefaultUnit) {
		t.Errorf("the listing lacks the tokens, keys, subjects or module:\n%s", out)
	}
	if !strings.Contains(errs, "modules found") || !strings.Contains(errs, tok.Module) {
		t.Errorf("stderr does not say where kyso looked: %q", errs)
	}

	code, out, errs = runForKeys(t, "keys", "--token", softhsmtest.Label, "--pin-env", "KYSO_TEST_PIN", "--json")
	if code != 0 || !strings.Contains(out, `"private-key"`) || !strings.Contains(out, `"module":"`+tok.Module+`"`) {
		t.Errorf("keys --token without --pkcs11: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = runForKeys(t, "keys", "--login")
	if code != exitUsage || !strings.Contains(errs, "--token") {
		t.Errorf("a PIN without --token: exit %d, %q", code, errs)
	}
	code, _, errs = runForKeys(t, "keys", "--token", "No Such Token", "--pkcs11-path", filepath.Join(t.TempDir(), "x.dll"))
	if code != exitRun || !hasAllOf(errs, softhsmtest.Label, "x.dll", pkcs11.EnvPath) {
		t.Errorf("unknown token: exit %d, %q; want the tokens present, the places tried and a hint", code, errs)
	}

	errb := &bytes.Buffer{}
	g := &globalOptions{io: &streams{in: strings.NewReader(""), out: &bytes.Buffer{}, err: errb}}
	f := keyFlags{Token: softhsmtest.Label, KeyLabel: softhsmtest.RSALabel, PinEnv: "KYSO_TEST_PIN"}
	k, err := f.load(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	d := sha256.Sum256([]byte("x"))
	if _, err := k.Signer.Sign(nil, d[:], crypto.SHA256); err != nil {
		t.Errorf("sign: %v", err)
	}
	if !strings.Contains(errb.String(), tok.Module) {
		t.Errorf("no note of the module used: %q", errb.String())
	}
}

func hasAllOf(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
