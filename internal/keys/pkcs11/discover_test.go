package pkcs11

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys/pkcs11/softhsmtest"
)

func TestKnownLocations(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"SystemRoot": `D:\Win`, "ProgramFiles": `D:\Apps`}[k]
	}
	win := KnownLocations("windows", env)
	// Every driver name of the domain brief is looked for in System32.
	for _, n := range []string{"vnpt-ca_csp11.dll", "vnptca_p11_v6.dll", "vnptca_p11_v10.dll", "viettel-ca_v1.dll",
		"viettel-ca_v6.dll", "BkavCA.dll", "fpt-ca.dll", "SignatureP11.dll", "CA2_csp11.dll", "eTPKCS11.dll",
		"eps2003csp11.dll", "ngp11v211.dll", "safe-ca.dll", "opensc-pkcs11.dll"} {
		if !slices.Contains(win, filepath.Join(`D:\Win`, "System32", n)) {
			t.Errorf("windows: %s not searched in System32", n)
		}
		if !slices.Contains(win, filepath.Join(`D:\Apps`, "*", n)) {
			t.Errorf("windows: %s not searched in the vendors' Program Files folders", n)
		}
	}
	linux := KnownLocations("linux", env)
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/*/softhsm/libsofthsm2.so", "/usr/lib/*/opensc-pkcs11.so"} {
		if !slices.Contains(linux, p) {
			t.Errorf("linux: %s not searched", p)
		}
	}
	if mac := KnownLocations("darwin", env); !slices.Contains(mac, "/Library/OpenSC/lib/opensc-pkcs11.so") {
		t.Errorf("darwin: OpenSC's installer path not searched: %v", mac)
	}
}

func TestSearchPathOrder(t *testing.T) {
	t.Setenv(EnvPath, "/a/x.so"+string(os.PathListSeparator)+" "+string(os.PathListSeparator)+"/b")
	got := SearchPath([]string{"/flag.so"})
	if len(got) < 4 || got[0] != "/flag.so" || got[1] != "/a/x.so" || got[2] != "/b" {
		t.Fatalf("search path %v: want the flag, then %s, then the known places", got[:min(4, len(got))], EnvPath)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.so", "b.DLL", "c.dylib", "notes.txt"} {
		writeFile(t, filepath.Join(dir, n), []byte("x"))
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.so"), 0o700); err != nil {
		t.Fatal(err)
	}
	got := expand(dir)
	want := []string{filepath.Join(dir, "a.so"), filepath.Join(dir, "b.DLL"), filepath.Join(dir, "c.dylib")}
	if !slices.Equal(got, want) {
		t.Errorf("folder: %v, want %v", got, want)
	}
	if got := expand(filepath.Join(dir, "*.so")); !slices.Equal(got, want[:1]) {
		t.Errorf("pattern: %v (a folder must not match)", got)
	}
	if got := expand(filepath.Join(dir, "missing.so")); got != nil {
		t.Errorf("missing file: %v", got)
	}
}

func TestDiscoverSoftHSM(t *testing.T) {
	tok := softhsmtest.New(t)
	dir := t.TempDir()
	link := filepath.Join(dir, "link.so")
	if err := os.Symlink(tok.Module, link); err != nil {
		t.Fatal(err)
	}
	bogus := filepath.Join(dir, "bogus.so")
	writeFile(t, bogus, []byte("not a library"))
	search := []string{filepath.Join(dir, "nothing-*.so"), bogus, tok.Module, link}
	found, tried, err := Discover(context.Background(), search)
	if err != nil {
		t.Fatal(err)
	}
	defer noModulesLoaded(t)
	if len(tried) != len(search) || len(tried[0].Modules) != 0 {
		t.Errorf("tried %+v, want every place with what it held", tried)
	}
	// The bogus file fails alone; the module reached twice is loaded once.
	if len(found) != 2 || found[0].Err == nil || !strings.Contains(found[0].Err.Error(), bogus) {
		t.Fatalf("found %+v", found)
	}
	m := found[1]
	if m.Err != nil || m.Path != tok.Module {
		t.Fatalf("softhsm: %+v", m)
	}
	var labels []string
	for _, ti := range m.Tokens {
		labels = append(labels, ti.Label)
		if ti.Label == tokenLabel && (len(ti.Certs) != 3 || len(ti.Keys) != 2) {
			t.Errorf("token %s: %d certificates, %d keys; want 3 and 2", ti.Label, len(ti.Certs), len(ti.Keys))
		}
	}
	slices.Sort(labels)
	if !slices.Equal(labels, []string{otherToken, tokenLabel}) {
		t.Errorf("tokens %v", labels)
	}
	if txt := TriedText(tried); !strings.Contains(txt, tok.Module) || !strings.Contains(txt, "nothing-*.so") {
		t.Errorf("tried text %q does not say where kyso looked", txt)
	}

	got, err := FindModule(context.Background(), search, tokenLabel)
	if err != nil || got != tok.Module {
		t.Errorf("FindModule = %q, %v; want %s", got, err, tok.Module)
	}
	_, err = FindModule(context.Background(), search, "No Such Token")
	if err == nil || fail.KindOf(err) != fail.KindRun || !hasAll(err.Error(), tokenLabel, otherToken, "nothing-*.so") {
		t.Errorf("unknown token: %v; want the tokens present and the places tried", err)
	}
	_, err = FindModule(context.Background(), []string{filepath.Join(dir, "none.so")}, tokenLabel)
	if err == nil || !strings.Contains(err.Error(), "no token is present") {
		t.Errorf("no module: %v", err)
	}
	// Two different files holding the same token: the user must choose.
	cp := filepath.Join(dir, "copy.so")
	data, err := os.ReadFile(tok.Module)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cp, data)
	_, err = FindModule(context.Background(), []string{tok.Module, cp}, tokenLabel)
	if err == nil || fail.KindOf(err) != fail.KindUsage || !strings.Contains(err.Error(), "2 PKCS#11 modules") {
		t.Errorf("token in two modules: %v", err)
	}
}
