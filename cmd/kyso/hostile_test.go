package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/pdftest/hostile"
)

// TestHostileCLI runs `kyso verify` and `kyso sign` over a folder of every
// generated hostile file plus one good one, as a nightly job would: each
// bad file costs its own line, named with the problem, the good one is
// signed, and the run ends with exit 1 (verify: invalid) or 4 (an input
// failure), never a crash or a run failure. The memory and time ceilings
// are measured per file in internal/pdftest/hostile.
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
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := map[string]hostile.Case{}
	var files []string
	for _, c := range hostile.Cases() {
		base := strings.ReplaceAll(c.Name, "/", "-") + ".pdf"
		p := filepath.Join(in, base)
		if err := os.WriteFile(p, c.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		cases[base] = c
		files = append(files, p)
	}
	good, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "good.pdf"), good, 0o644); err != nil {
		t.Fatal(err)
	}

	kyso := kysoRunner(t, dir)
	t.Run("verify", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := kyso(append([]string{"verify", "--offline", "--json"}, files...), &out, &errb)
		if code != 1 && code != 4 {
			t.Fatalf("exit %d, want 1 or 4\n%s", code, errb.String())
		}
		seen := map[string]bool{}
		for _, line := range lines(out.Bytes()) {
			var rep struct {
				File       string   `json:"file"`
				Status     string   `json:"status"`
				Errors     []string `json:"errors"`
				Warnings   []string `json:"warnings"`
				Signatures []struct {
					Reasons []string `json:"reasons"`
				} `json:"signatures"`
			}
			if err := json.Unmarshal(line, &rep); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			base := filepath.Base(rep.File)
			c, ok := cases[base]
			if !ok {
				t.Errorf("a line for %q", rep.File)
				continue
			}
			seen[base] = true
			text := append(append([]string{}, rep.Errors...), rep.Warnings...)
			for _, s := range rep.Signatures {
				text = append(text, s.Reasons...)
			}
			if rep.Status != "invalid" {
				t.Errorf("%s: status %q, want invalid", base, rep.Status)
			}
			if !c.Harmless && !c.SignOnly && !namesProblem(strings.Join(text, "\n"), c.Problem) {
				t.Errorf("%s: the problem (%s) is not named: %q", base, c.Problem, text)
			}
		}
		if len(seen) != len(cases) {
			t.Errorf("%d of %d files have a line\n%s", len(seen), len(cases), errb.String())
		}
	})

	t.Run("sign", func(t *testing.T) {
		var out, errb bytes.Buffer
		outDir := filepath.Join(dir, "out")
		code := kyso([]string{"sign", in, "--out", outDir, "--p12", filepath.Join(dir, "pki", "signer-ec.p12"), "--pass-env", "KYSO_PASS", "--level", "B-B", "--json"},
			&out, &errb)
		if code != 4 {
			t.Fatalf("exit %d, want 4\n%s\n%s", code, out.String(), errb.String())
		}
		seen := map[string]bool{}
		for _, line := range lines(out.Bytes()) {
			var res struct {
				Input  string `json:"input"`
				Status string `json:"status"`
				Error  string `json:"error"`
			}
			if err := json.Unmarshal(line, &res); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			base := filepath.Base(res.Input)
			seen[base] = true
			if base == "good.pdf" {
				if res.Status != "signed" {
					t.Errorf("the good file among hostile ones: %s %s", res.Status, res.Error)
				}
				continue
			}
			c := cases[base]
			if c.Harmless || c.VerifyOnly {
				continue
			}
			if res.Status != "failed" || !namesProblem(res.Error, c.Problem) {
				t.Errorf("%s: %s %q, want failed naming the problem (%s)", base, res.Status, res.Error, c.Problem)
			}
		}
		if len(seen) != len(cases)+1 {
			t.Errorf("%d of %d files have a line\n%s", len(seen), len(cases)+1, errb.String())
		}
	})
}

// kysoRunner runs the command line in this process, or, in a test binary
// built with the race detector (which makes inflating the bombs many times
// slower), as kyso built without it.
func kysoRunner(t *testing.T, dir string) func(args []string, stdout, stderr *bytes.Buffer) int {
	if !raceEnabled {
		return func(args []string, stdout, stderr *bytes.Buffer) int {
			return run(args, strings.NewReader(""), stdout, stderr)
		}
	}
	bin := filepath.Join(dir, "kyso")
	if out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building kyso: %v\n%s", err, out)
	}
	return func(args []string, stdout, stderr *bytes.Buffer) int {
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = stdout, stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
}

func lines(b []byte) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	return out
}

func namesProblem(msg, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
