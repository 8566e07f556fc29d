//go:build linux

package keys

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kyso-project/kyso/internal/demo/testpki"
)

// TestLoadingAKeyMakesTheProcessNonDumpable: once a .p12 key is loaded, the
// process is non-dumpable and its core limit is 0. It runs in a fresh
// child process (other tests of this binary have loaded keys already).
func TestLoadingAKeyMakesTheProcessNonDumpable(t *testing.T) {
	if os.Getenv("KYSO_TEST_DUMPABLE_CHILD") == "1" {
		dumpableChild()
		return
	}
	dir := t.TempDir()
	if _, err := testpki.New(testpki.Options{Dir: dir, ReuseKeys: true}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadingAKeyMakesTheProcessNonDumpable$", "-test.v")
	cmd.Env = append(os.Environ(), "KYSO_TEST_DUMPABLE_CHILD=1", "KYSO_TEST_P12="+filepath.Join(dir, "signer.p12"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	want := "before: dumpable=1\nafter: dumpable=0 core=0\n"
	if !strings.Contains(string(out), want) {
		t.Fatalf("child output:\n%s\nwant it to contain:\n%s", out, want)
	}
}

func dumpableChild() {
	before, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	fmt.Printf("before: dumpable=%d\n", before)
	if _, err := LoadP12(os.Getenv("KYSO_TEST_P12"), []byte(testpki.DefaultPassword)); err != nil {
		fmt.Println("load:", err)
		return
	}
	after, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_CORE, &lim)
	fmt.Printf("after: dumpable=%d core=%d\n", after, lim.Cur)
}
