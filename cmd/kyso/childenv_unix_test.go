//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Chromium, started to print the report, does not inherit kyso's secrets:
// a stand-in browser (KYSO_CHROMIUM) dumps the environment it was given,
// which must lack the --pass-env and --pin-env variables, KYSO_PASS,
// KYSO_PIN and anything else outside what a browser needs, and keep PATH
// and the temporary HOME.
func TestPrintPDFFiltersEnvironment(t *testing.T) {
	dir := t.TempDir()
	dump := filepath.Join(dir, "env.txt")
	script := filepath.Join(dir, "fake-chromium")
	body := "#!/bin/sh\nenv > '" + dump + "'\nfor a in \"$@\"; do case \"$a\" in --print-to-pdf=*) printf '%%PDF-1.4\\n%%%%EOF\\n' > \"${a#--print-to-pdf=}\";; esac; done\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KYSO_CHROMIUM", script)
	secrets := map[string]string{
		"UNIT_P12_PASSWORD":     "s3cret-pass-env",
		"UNIT_TOKEN_PIN":        "s3cret-pin-env",
		"KYSO_PASS":             "s3cret-kyso-pass",
		"KYSO_PIN":              "s3cret-kyso-pin",
		"AWS_SECRET_ACCESS_KEY": "s3cret-aws",
		"LC_SECRET":             "s3cret-lc", // LC_* passes, unless it is named
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("LANG", "vi_VN.UTF-8")
	pdf, err := printPDF(context.Background(), []byte("<html><body>x</body></html>"), "UNIT_P12_PASSWORD", "UNIT_TOKEN_PIN", "LC_SECRET")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("pdf %q", pdf)
	}
	got, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	env := string(got)
	for k, v := range secrets {
		if strings.Contains(env, v) || strings.Contains(env, k+"=") {
			t.Errorf("the browser was given %s:\n%s", k, env)
		}
	}
	for _, want := range []string{"PATH=" + os.Getenv("PATH") + "\n", "LANG=vi_VN.UTF-8\n", "HOME=" + os.TempDir()} {
		if !strings.Contains(env, want) {
			t.Errorf("the browser's environment lacks %q:\n%s", want, env)
		}
	}
}
