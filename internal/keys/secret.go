package keys

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/i18n"
	"golang.org/x/term"
)

// SecretSource says where a password or PIN comes from, in the order of the
// command line contract: an environment variable, a file, a prompt. Secrets
// never come from argv.
type SecretSource struct {
	// Env names an environment variable holding the secret.
	Env string
	// File names a file whose first line is the secret.
	File string
	// What is "password" or "PIN", for prompts and errors.
	What string
	// Prompt replaces the default "Enter <What>: ".
	Prompt string
	// Stdin and Stderr default to os.Stdin and os.Stderr. The prompt is
	// shown only when Stdin is a terminal.
	Stdin  *os.File
	Stderr io.Writer
}

// Read returns the secret. The caller should zero it when done.
func (s SecretSource) Read() ([]byte, error) {
	Protect()
	what := s.What
	if what == "" {
		what = "password"
	}
	switch {
	case s.Env != "":
		v := os.Getenv(s.Env)
		if v == "" {
			return nil, fail.Usage(i18n.Errorf("environment variable %s (the %s) is unset or empty", s.Env, what), "")
		}
		return []byte(v), nil
	case s.File != "":
		data, err := fileutil.ReadFileMax(s.File, 1<<16)
		if err != nil {
			return nil, fail.Usage(i18n.Errorf("reading the %s file: %v", what, err), "")
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		secret := bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
		clear(data)
		return secret, nil
	}
	in, errw := s.Stdin, s.Stderr
	if in == nil {
		in = os.Stdin
	}
	if errw == nil {
		errw = os.Stderr
	}
	if !term.IsTerminal(int(in.Fd())) {
		r := fail.RemedyPasswordNoTerminal
		if what == "PIN" {
			r = fail.RemedyPINNoTerminal
		}
		return nil, fail.UsageWith(i18n.Errorf("no %s given and stdin is not a terminal", what), r)
	}
	prompt := s.Prompt
	if prompt == "" {
		prompt = i18n.Sprintf("Enter %s: ", what)
	}
	fmt.Fprint(errw, prompt)
	secret, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(errw)
	if err != nil {
		return nil, fail.Run(i18n.Errorf("reading the %s from the terminal: %v", what, err), "")
	}
	return secret, nil
}
