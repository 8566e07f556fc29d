//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe given where kyso reads one file of settings or data
// (--config, --policy, --db of archive check, a stamp --font) is refused at
// once with an error naming the option, the file and what it is; nothing
// waits for a writer that never comes.
func TestNamedPipeAsOptionFile(t *testing.T) {
	t.Setenv("KYSO_LANG", "en")
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join("..", "..", "testdata", "pdf", "simple.pdf")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"config", []string{"--config", pipe, "verify", pdf}, 2, "config " + pipe},
		{"policy", []string{"verify", "--policy", pipe, pdf}, 2, "policy file " + pipe},
		{"archive check db", []string{"archive", "check", "--db", pipe}, 5, "catalogue " + pipe},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runBounded(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "named pipe") {
				t.Errorf("stderr does not name %q and the named pipe:\n%s", c.want, stderr)
			}
		})
	}
	if _, err := os.Stat(pipe); err != nil {
		t.Fatal(err)
	}
}
