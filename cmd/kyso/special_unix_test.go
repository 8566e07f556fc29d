//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/tsp"
)

// runBounded runs kyso in-process and fails the test if it has not ended
// within a minute: the point of these tests is that nothing waits on a
// named pipe.
func runBounded(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	type res struct {
		code     int
		out, err string
	}
	done := make(chan res, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(""), &out, &errb)
		done <- res{code, out.String(), errb.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(time.Minute):
		t.Fatalf("kyso %s did not end within a minute", strings.Join(args, " "))
	}
	return 0, "", ""
}

// jsonByInput indexes JSON Lines by the field naming the input.
func jsonByInput(t *testing.T, out, field string) map[string]map[string]any {
	t.Helper()
	m := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		m[filepath.Base(v[field].(string))] = v
	}
	return m
}

// specialInputs puts beside good PDFs a named pipe, a socket and a device,
// each named *.pdf: every command reports each of them as a failed input
// naming what it is, finishes the good ones, and exits 4 (verify: 1, the
// contract's verdict for a file that is not a readable PDF). None hangs and
// none is a usage error.
func TestSpecialFilesAreInputErrors(t *testing.T) {
	t.Setenv("KYSO_LANG", "en")
	dir := t.TempDir()
	p, base, stop, err := testpki.Start(testpki.Options{Dir: filepath.Join(dir, "pki"), ReuseKeys: true}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_ = p
	tsa := base + "/tsa"
	p12 := filepath.Join(dir, "pki", "signer.p12")
	trust := filepath.Join(dir, "pki", "trust.pem")
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)

	simple, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	if err := os.WriteFile(filepath.Join(in, "good.pdf"), simple, 0o644); err != nil {
		t.Fatal(err)
	}
	addSpecials := func(folder string) {
		t.Helper()
		if err := syscall.Mkfifo(filepath.Join(folder, "pipe.pdf"), 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("unix", filepath.Join(folder, "sock.pdf"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		if err := os.Symlink("/dev/zero", filepath.Join(folder, "device.pdf")); err != nil {
			t.Fatal(err)
		}
	}
	addSpecials(in)
	want := map[string]string{"pipe.pdf": "named pipe", "sock.pdf": "socket", "device.pdf": "character device"}
	checkFailed := func(t *testing.T, got map[string]map[string]any, statusField, status, reasonField string) {
		t.Helper()
		for name, what := range want {
			r, ok := got[name]
			if !ok {
				t.Errorf("%s not reported", name)
				continue
			}
			reason := ""
			switch v := r[reasonField].(type) {
			case string:
				reason = v
			case []any:
				for _, e := range v {
					reason += e.(string)
				}
			}
			if r[statusField] != status || !strings.Contains(reason, what) || !strings.Contains(reason, name) {
				t.Errorf("%s: %s %v, %s %q; want %s naming the file and %q", name, statusField, r[statusField], reasonField, reason, status, what)
			}
		}
	}

	signed := filepath.Join(dir, "signed")
	t.Run("sign", func(t *testing.T) {
		code, out, errOut := runBounded(t, "sign", in, "--out", signed, "--p12", p12, "--pass-env", "KYSO_PASS", "--tsa", tsa, "--no-stamp", "--json")
		if code != exitInput {
			t.Fatalf("exit %d, want %d: %s", code, exitInput, errOut)
		}
		got := jsonByInput(t, out, "input")
		if got["good.pdf"]["status"] != "signed" {
			t.Errorf("good.pdf: %v", got["good.pdf"])
		}
		checkFailed(t, got, "status", "failed", "error")
	})
	addSpecials(signed)
	t.Run("verify", func(t *testing.T) {
		code, out, errOut := runBounded(t, "verify", "--trust", trust, "--offline", "--revocation", "soft", "--json", signed)
		if code != exitInvalid {
			t.Fatalf("exit %d, want %d: %s", code, exitInvalid, errOut)
		}
		got := jsonByInput(t, out, "file")
		if got["good.pdf"]["status"] != "valid" {
			t.Errorf("good.pdf: %v", got["good.pdf"])
		}
		checkFailed(t, got, "status", "invalid", "errors")
	})
	t.Run("timestamp", func(t *testing.T) {
		code, out, errOut := runBounded(t, "timestamp", signed, "--out", filepath.Join(dir, "stamped"), "--tsa", tsa, "--trust", trust, "--json")
		if code != exitInput {
			t.Fatalf("exit %d, want %d: %s", code, exitInput, errOut)
		}
		got := jsonByInput(t, out, "input")
		if got["good.pdf"]["status"] != "timestamped" {
			t.Errorf("good.pdf: %v", got["good.pdf"])
		}
		checkFailed(t, got, "status", "failed", "error")
	})
	t.Run("ingest", func(t *testing.T) {
		db := filepath.Join(dir, "kyso.db")
		if code, _, errOut := runBounded(t, "archive", "init", "--db", db, "--unit", "000.00.01.H26", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"); code != 0 {
			t.Fatalf("init: %d %s", code, errOut)
		}
		code, out, errOut := runBounded(t, "archive", "ingest", "--db", db, "--trust", trust, "--offline", "--revocation", "soft", "--json", signed)
		if code != exitInput {
			t.Fatalf("exit %d, want %d: %s", code, exitInput, errOut)
		}
		got := jsonByInput(t, out, "input")
		if got["good.pdf"]["status"] != "ingested" {
			t.Errorf("good.pdf: %v", got["good.pdf"])
		}
		checkFailed(t, got, "status", "rejected", "reason")
	})
}

// TestEmptyFolderIsNothingToDo: a folder without PDFs is not a mistake on
// the command line: exit 0 with a word on stderr, nothing on stdout.
func TestEmptyFolderIsNothingToDo(t *testing.T) {
	t.Setenv("KYSO_LANG", "en")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.MkdirAll(filepath.Join(empty, "sub"), 0o755)
	os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644)
	db := filepath.Join(dir, "kyso.db")
	if code, _, errOut := runBounded(t, "archive", "init", "--db", db, "--unit", "000.00.01.H26", "--unit-name", "X", "--level", "commune"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	for _, args := range [][]string{
		{"verify", "--json", empty},
		{"sign", empty, "--out", filepath.Join(dir, "out"), "--p12", filepath.Join(dir, "none.p12"), "--pass-env", "NONE", "--json"},
		{"timestamp", empty, "--out", filepath.Join(dir, "out"), "--tsa", "http://127.0.0.1:1/tsa", "--json"},
		{"archive", "ingest", "--db", db, "--json", empty},
	} {
		code, out, errOut := runBounded(t, args...)
		if code != exitOK || out != "" || !strings.Contains(errOut, "nothing to do") || !strings.Contains(errOut, empty) {
			t.Errorf("kyso %s: exit %d, stdout %q, stderr %q; want 0, nothing, \"nothing to do\"", args[0], code, out, errOut)
		}
	}
}

// TestUnreadableFolderIsInputError: a folder kyso may not read is one
// failed input among the others, not a usage error.
func TestUnreadableFolderIsInputError(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("permissions do not apply to root")
	}
	t.Setenv("KYSO_LANG", "en")
	dir := t.TempDir()
	signed, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "pdfsign-certified-xrefstream.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "testdata", "pdf", "interop-root.pem")
	in := filepath.Join(dir, "in")
	os.MkdirAll(filepath.Join(in, "locked"), 0o755)
	os.WriteFile(filepath.Join(in, "a.pdf"), signed, 0o644)
	os.WriteFile(filepath.Join(in, "locked", "b.pdf"), signed, 0o644)
	os.WriteFile(filepath.Join(in, "unreadable.pdf"), signed, 0o000)
	os.Chmod(filepath.Join(in, "locked"), 0o000)
	defer os.Chmod(filepath.Join(in, "locked"), 0o755)
	code, out, errOut := runBounded(t, "verify", "--trust", root, "--offline", "--revocation", "soft", "--json", in)
	if code != exitInvalid {
		t.Fatalf("exit %d, want 1: %s", code, errOut)
	}
	got := jsonByInput(t, out, "file")
	if got["a.pdf"]["status"] != "valid" || got["locked"]["status"] != "invalid" || got["unreadable.pdf"]["status"] != "invalid" {
		t.Fatalf("verdicts: %v", got)
	}
	if !strings.Contains(out, "permission denied") {
		t.Errorf("no reason names the permission: %s", out)
	}
}
