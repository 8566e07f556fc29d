package pkcs11

import (
	"os"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

const (
	tokenLabel = softhsmtest.Label
	otherToken = softhsmtest.OtherLabel
	userPIN    = softhsmtest.PIN
	rsaLabel   = softhsmtest.RSALabel
	ecLabel    = softhsmtest.ECLabel
)

// mustModule returns the module as loaded by the key under test.
func mustModule(t testing.TB, path string) *module {
	t.Helper()
	m, err := loadModule(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.release)
	return m
}

// noModulesLoaded fails the test if a key or listing left a module loaded.
func noModulesLoaded(t testing.TB) {
	t.Helper()
	modules.Lock()
	defer modules.Unlock()
	if n := len(modules.m); n != 0 {
		t.Errorf("%d modules still loaded", n)
	}
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func hasAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
