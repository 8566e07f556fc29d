//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/tsp"
)

// hostileName is a file name that, printed raw, would erase its line and
// show a green "VALID contract.pdf", then hide the rest, reorder text and
// ring the bell (names allowed on Unix file systems; Windows refuses
// control characters in names).
const hostileName = "a\rVALID  \x1b[2K\x1b[32mVALID           contract.pdf\x1b[0m\x1b[8m \u202egnp\a \xff.pdf"

// rawControl reports the first character of s a terminal would act on.
func rawControl(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

// No file name reaches the terminal raw: verify's table, sign's lines and
// its failures, timestamp's failures and archive ingest show the escapes
// visibly; Vietnamese text stays as it is, and JSON keeps the exact name
// (escaped the JSON way).
func TestTerminalEscapesInNames(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a test PKI")
	}
	dir := t.TempDir()
	// A test PKI with its timestamp authority on 127.0.0.1.
	_, base, stop, err := testpki.Start(testpki.Options{Dir: filepath.Join(dir, "pki"), ReuseKeys: true}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	t.Setenv("KYSO_PASS", testpki.DefaultPassword)
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned := filepath.Join(in, hostileName)
	// A name whose newline, printed raw, would add a row of its own to
	// archive ls: a record claiming to be valid.
	forged := filepath.Join(in, "x.pdf\n99      -          H26.FAKE-0001          1.000     valid         deadbeef0000 forged.pdf")
	broken := filepath.Join(in, "b\r\x1b[32m hỏng \x1b]0;title\a.pdf")
	for p, b := range map[string][]byte{unsigned: good, forged: good, broken: []byte("%PDF-1.7\nnot a pdf\n")} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, what, s string, want ...string) {
		t.Helper()
		if r, ok := rawControl(s); ok {
			t.Errorf("%s: raw %U reaches the terminal:\n%q", what, r, s)
		}
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: no %q in\n%s", what, w, s)
			}
		}
	}
	kyso := func(t *testing.T, args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(append([]string{"--lang", "vi"}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}

	t.Run("verify", func(t *testing.T) {
		code, out, errb := kyso(t, "verify", "--offline", in)
		if code != exitInvalid {
			t.Errorf("exit %d\n%s", code, errb)
		}
		check(t, "stdout", out, `\x1b[32mVALID`, `\u202egnp\x07`, "KẾT LUẬN", "hỏng")
		check(t, "stderr", errb)
	})
	t.Run("verify-json", func(t *testing.T) {
		_, out, _ := kyso(t, "verify", "--offline", "--json", unsigned)
		var rep struct {
			File string `json:"file"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		// encoding/json shows a byte that is not UTF-8 as U+FFFD.
		if want := strings.ToValidUTF8(unsigned, "\ufffd"); rep.File != want {
			t.Errorf("file %q, want %q", rep.File, want)
		}
		if !strings.Contains(out, `\u001b[32mVALID`) || !strings.Contains(out, "\u202e") {
			t.Errorf("JSON changed: %s", out)
		}
	})
	t.Run("sign", func(t *testing.T) {
		code, out, errb := kyso(t, "sign", in, "--out", filepath.Join(dir, "signed"), "--p12", filepath.Join(dir, "pki", "signer-ec.p12"),
			"--pass-env", "KYSO_PASS", "--level", "B-B")
		if code != exitInput {
			t.Errorf("exit %d\n%s\n%s", code, out, errb)
		}
		check(t, "stdout", out, `\x1b[32mVALID`)
		check(t, "stderr", errb, `b\r\x1b[32m hỏng \x1b]0;title\x07.pdf`)
	})
	t.Run("timestamp", func(t *testing.T) {
		code, out, errb := kyso(t, "timestamp", "--tsa", base+"/tsa", "--trust", filepath.Join(dir, "pki", "trust.pem"), "--out", filepath.Join(dir, "ts"), in)
		if code == exitOK {
			t.Errorf("exit 0\n%s\n%s", out, errb)
		}
		check(t, "stdout", out)
		check(t, "stderr", errb, `\x1b[32m hỏng`)
	})
	t.Run("ingest", func(t *testing.T) {
		db := filepath.Join(dir, "kyso.db")
		if code, out, errb := kyso(t, "archive", "init", "--db", db, "--unit", "000.00.01.H26", "--unit-name", "UBND xã Hòa Đông", "--level", "commune"); code != exitOK {
			t.Fatalf("init: exit %d\n%s\n%s", code, out, errb)
		}
		code, out, errb := kyso(t, "archive", "ingest", "--db", db, "--trust", filepath.Join(dir, "pki", "trust.pem"), in)
		if code == exitOK {
			t.Errorf("exit 0\n%s\n%s", out, errb)
		}
		check(t, "stdout", out, `\x1b[32mVALID`, `\x1b[32m hỏng`)
		check(t, "stderr", errb)

		// The file sign wrote keeps the hostile name; once in the
		// catalogue, ls and show print it from there.
		code, out, errb = kyso(t, "archive", "ingest", "--db", db, "--trust", filepath.Join(dir, "pki", "trust.pem"), filepath.Join(dir, "signed"))
		if code != exitOK {
			t.Fatalf("ingest of the signed file: exit %d\n%s\n%s", code, out, errb)
		}
		check(t, "ingest stdout", out, `\x1b[32mVALID`)
		check(t, "ingest stderr", errb)
		code, out, errb = kyso(t, "archive", "ls", "--db", db)
		if code != exitOK {
			t.Fatalf("ls: exit %d\n%s", code, errb)
		}
		check(t, "ls stdout", out, `\x1b[32mVALID`, `x.pdf\n99 `)
		check(t, "ls stderr", errb)
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "99 ") {
				t.Errorf("a file name printed a row of its own:\n%s", out)
			}
		}
		// The two records (in the order ingest finished them): each shown
		// with its name escaped, none printing a line of its own.
		var shown string
		for _, id := range []string{"1", "2"} {
			code, out, errb := kyso(t, "archive", "show", "--db", db, id)
			if code != exitOK {
				t.Fatalf("show %s: exit %d\n%s", id, code, errb)
			}
			check(t, "show stdout", out)
			check(t, "show stderr", errb)
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(strings.TrimSpace(l), "99 ") {
					t.Errorf("show %s: a file name printed a line of its own:\n%s", id, out)
				}
			}
			shown += out
		}
		check(t, "show stdout", shown, `\x1b[32mVALID`, `x.pdf\n99 `)
		_, out, _ = kyso(t, "archive", "ls", "--db", db, "--json")
		if !strings.Contains(out, `\u001b[32mVALID`) {
			t.Errorf("ls --json changed: %s", out)
		}
	})
}
