//go:build linux

package keys

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	// Not m.Fd(): that would make the master blocking, and its read
	// deadline below would never fire.
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	rc.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
			n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if err != nil {
		t.Skipf("unlockpt/ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestSecretPrompt types a password into a real terminal and checks it is
// read without being echoed.
func TestSecretPrompt(t *testing.T) {
	master, slave := openPTY(t)
	var prompt bytes.Buffer
	type result struct {
		secret []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		s, err := SecretSource{What: "PIN", Stdin: slave, Stderr: &prompt}.Read()
		done <- result{s, err}
	}()
	// Type only once echo is off, as a person at the prompt would.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("echo never switched off")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := master.Write([]byte("1234-bí mật\n")); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("prompt did not return")
	}
	if r.err != nil || string(r.secret) != "1234-bí mật" {
		t.Fatalf("got %q, %v", r.secret, r.err)
	}
	if !strings.Contains(prompt.String(), "Enter PIN: ") {
		t.Errorf("prompt %q", prompt.String())
	}
	// Whatever the terminal showed must not contain the secret.
	master.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	shown := make([]byte, 256)
	n, _ := master.Read(shown)
	if bytes.Contains(shown[:n], []byte("1234")) {
		t.Errorf("the terminal echoed the secret: %q", shown[:n])
	}
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Error("echo was not restored after the prompt")
	}
}
