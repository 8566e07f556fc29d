//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/hostile"
)

// SIGTERM and SIGINT stop a verify run within a second, with exit 130
// (docs/exit-codes.md), whether the verdicts go to the table or to JSON:
// the batch stops handing out files and the file in progress stops between
// its signatures. The inputs are documents of as many signatures as kyso
// judges, so that each costs a noticeable time.
func TestVerifySignal(t *testing.T) {
	if testing.Short() {
		t.Skip("verifies a batch in a child process")
	}
	kyso, err := exec.LookPath("kyso") // this test binary, as testscript.Main set it up
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	doc := hostile.ManySignatures(pdf.DefaultLimits.MaxSignatures)
	for i := range 200 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("many-%03d.pdf", i)), doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args []string
	}{
		{"table-TERM", syscall.SIGTERM, []string{"verify", "-j", "1", "--offline", dir}},
		{"json-INT", syscall.SIGINT, []string{"verify", "-j", "1", "--offline", "--json", dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(kyso, tc.args...)
			cmd.Env = append(os.Environ(), "KYSO_LANG=en")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The first verdict is out: kyso is in its batch, with its
			// signal handler in place.
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 16<<20)
			if !sc.Scan() {
				cmd.Wait()
				t.Fatalf("no output: %v", sc.Err())
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			go func() {
				for sc.Scan() {
				}
			}()
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 10 s after %v", tc.sig)
			}
			took := time.Since(sent)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != exitInterrupted {
				t.Errorf("exit %d after %v, want %d", code, tc.sig, exitInterrupted)
			}
			limit := time.Second
			if raceEnabled {
				limit = 5 * time.Second
			}
			if took > limit {
				t.Errorf("ended %v after %v, want within %v", took, tc.sig, limit)
			}
		})
	}
}
