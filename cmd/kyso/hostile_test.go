package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdftest/hostile"
	"github.com/kyso-project/kyso/internal/testpki"
)

// TestHostileCLI runs `kyso verify` and `kyso sign` on every generated
// hostile file: exit 1 (verify: invalid) or 4 (an input failure), never a
// crash or a run failure, with a message that names the file and the
// problem. The memory and time ceilings are measured per file in
// internal/pdftest/hostile.
func TestHostileCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds decompression bombs")
	}
	dir := t.TempDir()
	if _, err := testpki.New(testpki.Options{Dir: filepath.Join(dir, "pki"), ReuseKeys: true}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KYSO_LANG", "en")
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			base := strings.ReplaceAll(c.Name, "/", "-") + ".pdf"
			in := filepath.Join(dir, base)
			if err := os.WriteFile(in, c.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			code := run([]string{"verify", "--offline", in}, strings.NewReader(""), &out, &errb)
			msg := out.String() + errb.String()
			if code != 1 && code != 4 {
				t.Errorf("verify: exit %d, want 1 or 4\n%s", code, msg)
			}
			if !strings.Contains(msg, base) {
				t.Errorf("verify does not name the file:\n%s", msg)
			}
			if !c.Harmless && !namesProblem(msg, c.Problem) {
				t.Errorf("verify does not name the problem (%s):\n%s", c.Problem, msg)
			}
			out.Reset()
			errb.Reset()
			code = run([]string{"sign", in, "--out", filepath.Join(dir, "out-"+base), "--p12", filepath.Join(dir, "pki", "signer-ec.p12"), "--pass-env", "KYSO_PASS", "--level", "B-B"},
				strings.NewReader(""), &out, &errb)
			msg = out.String() + errb.String()
			if c.Harmless || c.VerifyOnly {
				if code != 0 && code != 4 {
					t.Errorf("sign: exit %d, want 0 or 4\n%s", code, msg)
				}
				return
			}
			if code != 4 {
				t.Errorf("sign: exit %d, want 4\n%s", code, msg)
			}
			if !strings.Contains(msg, base) || !namesProblem(msg, c.Problem) {
				t.Errorf("sign does not name the file and the problem (%s):\n%s", c.Problem, msg)
			}
		})
	}
}

func namesProblem(msg, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
