package pkcs11

import (
	"context"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-project/kyso/internal/fail"
)

// EnvPath names the environment variable with more places to look for
// PKCS#11 modules: files, folders or glob patterns, separated like PATH
// (":" on Linux and macOS, ";" on Windows). They are tried first.
const EnvPath = "KYSO_PKCS11_PATH"

// windowsDrivers are module names that Vietnamese CAs' token drivers and
// common tokens install on Windows (seen in public signing code; see
// docs/pkcs11.md), and OpenSC's and SoftHSM2's.
var windowsDrivers = []string{
	"vnpt-ca_csp11.dll", "vnptca_p11_v10.dll", "vnptca_p11_v9.dll", "vnptca_p11_v8.dll",
	"vnptca_p11_v7.dll", "vnptca_p11_v6.dll",
	"viettel-ca_v6.dll", "viettel-ca_v5.dll", "viettel-ca_v4.dll", "viettel-ca_v3.dll",
	"viettel-ca_v2.dll", "viettel-ca_v1.dll",
	"BkavCA.dll", "fpt-ca.dll", "SignatureP11.dll", "CA2_csp11.dll", "eTPKCS11.dll",
	"eps2003csp11.dll", "ngp11v211.dll", "safe-ca.dll", "opensc-pkcs11.dll",
}

// KnownLocations returns, for the operating system goos, the file paths
// and glob patterns where token drivers are usually installed. env looks
// up environment variables (os.Getenv), for the Windows folders.
func KnownLocations(goos string, env func(string) string) []string {
	switch goos {
	case "windows":
		sys := env("SystemRoot")
		if sys == "" {
			sys = `C:\Windows`
		}
		pf := env("ProgramFiles")
		if pf == "" {
			pf = `C:\Program Files`
		}
		var out []string
		for _, n := range windowsDrivers {
			out = append(out, filepath.Join(sys, "System32", n))
		}
		// Vendor installers also put the module in their own folder. Only
		// the 64-bit Program Files: a 64-bit kyso cannot load a 32-bit DLL.
		for _, n := range windowsDrivers {
			out = append(out, filepath.Join(pf, "*", n), filepath.Join(pf, "*", "*", n))
		}
		return append(out,
			filepath.Join(pf, "OpenSC Project", "OpenSC", "pkcs11", "opensc-pkcs11.dll"),
			`C:\SoftHSM2\lib\softhsm2-x64.dll`,
			filepath.Join(pf, "SoftHSM2", "lib", "softhsm2-x64.dll"))
	case "darwin":
		return []string{
			"/Library/OpenSC/lib/opensc-pkcs11.so",
			"/opt/homebrew/lib/opensc-pkcs11.so",
			"/usr/local/lib/opensc-pkcs11.so",
			"/usr/local/lib/libeTPkcs11.dylib",
			"/opt/homebrew/lib/softhsm/libsofthsm2.so",
			"/usr/local/lib/softhsm/libsofthsm2.so",
		}
	}
	// Linux and the BSDs: the vendor's folder, then the multiarch
	// (Debian, Ubuntu) and lib64 (Fedora, RHEL) places.
	return []string{
		"/usr/lib/libeTPkcs11.so",
		"/usr/lib/viettel-ca_v6.so",
		"/usr/lib/opensc-pkcs11.so",
		"/usr/lib/*/opensc-pkcs11.so",
		"/usr/lib64/opensc-pkcs11.so",
		"/usr/lib64/pkcs11/opensc-pkcs11.so",
		"/usr/local/lib/opensc-pkcs11.so",
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/*/softhsm/libsofthsm2.so",
		"/usr/lib64/softhsm/libsofthsm2.so",
		"/usr/lib64/pkcs11/libsofthsm2.so",
		"/usr/local/lib/softhsm/libsofthsm2.so",
	}
}

// SearchPath is where Discover looks: extra (the --pkcs11-path flag or
// the config file), then $KYSO_PKCS11_PATH, then the known locations of
// this system.
func SearchPath(extra []string) []string {
	var out []string
	out = append(out, extra...)
	if v := os.Getenv(EnvPath); v != "" {
		for _, p := range filepath.SplitList(v) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return append(out, KnownLocations(runtime.GOOS, os.Getenv)...)
}

// Tried is one place Discover looked, and what it found there.
type Tried struct {
	// Location is the path, folder or pattern as searched.
	Location string
	// Modules are the files found at Location (none: nothing there).
	Modules []string
}

// FoundModule is a module that loaded, with its tokens, or the error that
// stopped it.
type FoundModule struct {
	Path   string
	Tokens []TokenInfo
	Err    error
}

// Discover loads every module found on search (see SearchPath) and lists
// its tokens without login. A module that fails to load is reported with
// its error; the others are still listed. The same file reached twice (a
// link, a multiarch path) is loaded once.
func Discover(ctx context.Context, search []string) ([]FoundModule, []Tried, error) {
	var found []FoundModule
	var tried []Tried
	seen := map[string]bool{}
	for _, loc := range search {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		t := Tried{Location: loc}
		for _, f := range expand(loc) {
			real := f
			if r, err := filepath.EvalSymlinks(f); err == nil {
				real = r
			}
			t.Modules = append(t.Modules, f)
			if seen[real] {
				continue
			}
			seen[real] = true
			toks, err := List(ctx, f, "", nil)
			found = append(found, FoundModule{Path: f, Tokens: toks, Err: err})
		}
		tried = append(tried, t)
	}
	return found, tried, nil
}

// expand turns a search location into module files: a file is itself, a
// folder holds modules of known names (or, if none, every shared
// library in it), and a pattern is globbed.
func expand(loc string) []string {
	if strings.ContainsAny(loc, "*?[") {
		m, _ := filepath.Glob(loc)
		var out []string
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
				out = append(out, f)
			}
		}
		slices.Sort(out)
		return out
	}
	st, err := os.Stat(loc)
	if err != nil {
		return nil
	}
	if st.Mode().IsRegular() {
		return []string{loc}
	}
	if !st.IsDir() {
		return nil
	}
	ents, err := os.ReadDir(loc)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n := strings.ToLower(e.Name())
		if !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		if strings.HasSuffix(n, ".so") || strings.HasSuffix(n, ".dll") || strings.HasSuffix(n, ".dylib") {
			out = append(out, filepath.Join(loc, e.Name()))
		}
	}
	return out
}

// TriedText says, for messages, where Discover looked: the places where
// it found something, and how many places had nothing.
func TriedText(tried []Tried) string {
	var hit []string
	var miss []string
	for _, t := range tried {
		if len(t.Modules) > 0 {
			hit = append(hit, strings.Join(t.Modules, ", "))
		} else {
			miss = append(miss, t.Location)
		}
	}
	s := "modules found: none"
	if len(hit) > 0 {
		s = "modules found: " + strings.Join(hit, ", ")
	}
	if len(miss) > 0 {
		s += "; nothing at: " + strings.Join(miss, ", ")
	}
	return s
}

// FindModule returns the module holding the token whose label or serial
// is token, among the modules on search: what 'kyso sign --token LABEL'
// uses when no --pkcs11 is given.
func FindModule(ctx context.Context, search []string, token string) (string, error) {
	if token == "" {
		return "", fail.UsageWith(i18n.Errorf("no PKCS#11 module and no token given"), fail.RemedyTokenOrModule)
	}
	found, tried, err := Discover(ctx, search)
	if err != nil {
		return "", err
	}
	var hits []string
	var seen []string
	for _, m := range found {
		for _, t := range m.Tokens {
			seen = append(seen, fmt.Sprintf("'%s' (serial %s) in %s", t.Label, t.Serial, m.Path))
			if sameLabel(t.Label, token) || t.Serial == strings.TrimSpace(token) {
				hits = append(hits, m.Path)
				break
			}
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		have := "no token is present"
		if len(seen) > 0 {
			have = "tokens present: " + strings.Join(seen, ", ")
		}
		return "", fail.RunWith(i18n.Errorf("token '%s' not found in any PKCS#11 module; %s; %s", token, have, TriedText(tried)), fail.RemedyPKCS11Discover)
	}
	return "", fail.UsageWith(i18n.Errorf("token '%s' is in %d PKCS#11 modules: %s", token, len(hits), strings.Join(hits, ", ")),
		fail.RemedyModule)
}

// sameLabel compares token labels as findToken does: after trimming and
// Unicode normalization (NFC), so "Hòa" typed decomposed still matches.
func sameLabel(a, b string) bool {
	return norm.NFC.String(strings.TrimSpace(a)) == norm.NFC.String(strings.TrimSpace(b))
}
