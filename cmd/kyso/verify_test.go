package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyCommand runs `kyso verify` on files and a folder: verdicts in
// input order, the contract's exit codes, the HTML report, usage errors.
func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	signed, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "pdfsign-certified-xrefstream.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..", "testdata", "pdf", "interop-root.pem")
	folder := filepath.Join(dir, "in")
	for name, data := range map[string][]byte{"a.pdf": signed, "b/c.PDF": unsigned, "b/d.pdf": signed, "notes.txt": []byte("x")} {
		p := filepath.Join(folder, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(folder, "a.pdf")
	base := []string{"verify", "--trust", root, "--offline", "--revocation", "soft"}
	tests := []struct {
		name  string
		args  []string
		code  int
		files []string // JSON lines' "file", in order
		out   string   // in stdout (human output)
	}{
		{"one valid file", append(base, "--json", good), exitOK, []string{good}, ""},
		{"offline hard is indeterminate", []string{"verify", "--trust", root, "--offline", "--json", good}, exitIndeterminate, []string{good}, ""},
		{"folder, input order", append(base, "--json", "-j", "3", folder, good), exitInvalid,
			[]string{good, filepath.Join(folder, "b", "c.PDF"), filepath.Join(folder, "b", "d.pdf")}, ""},
		{"human output", append(base, "--lang", "vi", good), exitOK, nil, "Hòa Đông"},
		{"bad --revocation", append(base, "--revocation", "maybe", good), exitUsage, nil, ""},
		{"bad --at", append(base, "--at", "soon", good), exitUsage, nil, ""},
		{"missing input", append(base, filepath.Join(dir, "nope.pdf")), exitUsage, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errb.String())
			}
			if tc.files != nil {
				var got []string
				for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
					var r struct{ File, Status string }
					if err := json.Unmarshal([]byte(line), &r); err != nil {
						t.Fatalf("not JSON: %q", line)
					}
					got = append(got, r.File)
				}
				if strings.Join(got, "|") != strings.Join(tc.files, "|") {
					t.Errorf("files %q, want %q", got, tc.files)
				}
			}
			if tc.out != "" && !strings.Contains(out.String(), tc.out) {
				t.Errorf("stdout lacks %q:\n%s", tc.out, out.String())
			}
		})
	}

	report := filepath.Join(dir, "r.html")
	var out, errb bytes.Buffer
	if code := run(append(base, "--report", report, folder), strings.NewReader(""), &out, &errb); code != exitInvalid {
		t.Fatalf("report run: exit %d: %s", code, errb.String())
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("<html")) || !bytes.Contains(html, []byte("Hòa Đông")) || !bytes.Contains(html, []byte("c.PDF")) {
		t.Error("report lacks the files or the signer")
	}
}
