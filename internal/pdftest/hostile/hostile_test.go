package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/sign"
	"github.com/kyso-project/kyso/verify"
)

// The ceilings every hostile file must stay under, verify and sign
// together, in one process.
const (
	maxRSS  = 256 << 20
	timeout = 20 * time.Second // a hang detector, not a speed test
)

// outcome is what the child process reports about one file.
type outcome struct {
	VerifyStatus string   `json:"verify_status"`
	VerifyText   []string `json:"verify_text"`
	VerifyErr    string   `json:"verify_err"`
	SignStatus   string   `json:"sign_status"`
	SignErr      string   `json:"sign_err"`
	SignKind     int      `json:"sign_kind"`
	// PeakRSS is the child's own peak resident set size, in bytes, where
	// the system tells it (0 elsewhere).
	PeakRSS int64 `json:"peak_rss"`
}

// cases are generated once per test process.
var cases = sync.OnceValue(Cases)

func TestCasesAreSmall(t *testing.T) {
	cs := cases()
	if len(cs) < 25 {
		t.Fatalf("%d cases", len(cs))
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Name] {
			t.Errorf("duplicate %s", c.Name)
		}
		seen[c.Name] = true
		// A few hundred bytes to a few hundred kilobytes: the damage
		// comes from the structure, not from the size.
		if len(c.Data) > 256<<10 {
			t.Errorf("%s: %d bytes", c.Name, len(c.Data))
		}
		if !c.Harmless && c.Problem == "" {
			t.Errorf("%s: no problem to name", c.Name)
		}
	}
}

// TestHostile runs verify and sign on every generated file, each in a
// child process (this test binary again) whose peak RSS and time are
// measured: bounded, never a crash, and an error that names the problem.
func TestHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds decompression bombs")
	}
	dir := t.TempDir()
	if _, err := testpki.New(testpki.Options{Dir: filepath.Join(dir, "pki"), ReuseKeys: true}); err != nil {
		t.Fatal(err)
	}
	child := childBinary(t, dir)
	for _, c := range cases() {
		t.Run(c.Name, func(t *testing.T) {
			in := filepath.Join(dir, strings.ReplaceAll(c.Name, "/", "-")+".pdf")
			if err := os.WriteFile(in, c.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, rss := runChild(t, child, in, filepath.Join(dir, "pki", "signer-ec.p12"))
			t.Logf("peak RSS %d MiB; verify %s %q; sign %s %q", rss>>20, out.VerifyStatus, out.VerifyText, out.SignStatus, out.SignErr)
			if rss > maxRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, maxRSS>>20)
			}
			if out.VerifyErr != "" {
				t.Fatalf("verify failed instead of judging the file: %s", out.VerifyErr)
			}
			if out.VerifyStatus != string(verify.Invalid) {
				t.Errorf("verify status %q, want invalid", out.VerifyStatus)
			}
			for _, s := range append(out.VerifyText, out.SignErr) {
				if strings.Contains(s, "internal error") || strings.Contains(s, "panic") {
					t.Errorf("crash: %s", s)
				}
			}
			if c.Harmless {
				if out.SignErr != "" && out.SignKind != int(fail.KindInput) {
					t.Errorf("sign: %s (kind %d), want success or an input error", out.SignErr, out.SignKind)
				}
				return
			}
			if !c.SignOnly && !names(strings.Join(out.VerifyText, "\n"), c.Problem) {
				t.Errorf("verify does not name the problem (%s): %q", c.Problem, out.VerifyText)
			}
			if c.VerifyOnly {
				if out.SignErr != "" && out.SignKind != int(fail.KindInput) {
					t.Errorf("sign: %s (kind %d), want success or an input error", out.SignErr, out.SignKind)
				}
				return
			}
			if out.SignKind != int(fail.KindInput) {
				t.Errorf("sign: %q (kind %d), want an input error", out.SignErr, out.SignKind)
			}
			if !names(out.SignErr, c.Problem) {
				t.Errorf("sign does not name the problem (%s): %q", c.Problem, out.SignErr)
			}
		})
	}
}

// names reports whether msg contains one of the "|"-separated words.
func names(msg, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

// childBinary is this test binary, or, when it was built with the race
// detector (whose shadow memory would count against the ceiling and whose
// slowness against the time budget), the same tests built without it.
func childBinary(t *testing.T, dir string) string {
	if !raceEnabled {
		return os.Args[0]
	}
	bin := filepath.Join(dir, "hostile.test")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "test", "-c", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the child without the race detector: %v\n%s", err, out)
	}
	return bin
}

func runChild(t *testing.T, bin, in, p12 string) (outcome, int64) {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KYSO_HOSTILE_IN="+in, "KYSO_HOSTILE_P12="+p12)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("still running after %s: killed", timeout)
	}
	if err != nil {
		t.Fatalf("child failed: %v\n%s\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	line := stdout.Bytes()
	i := bytes.Index(line, []byte("OUTCOME "))
	if i < 0 {
		t.Fatalf("no outcome:\n%s\n%s", stdout.Bytes(), stderr.Bytes())
	}
	line = line[i+8:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	var out outcome
	if err := json.Unmarshal(line, &out); err != nil {
		t.Fatal(err)
	}
	// The child measures itself: the peak RSS the kernel reports for a
	// child through wait4 includes the parent's peak at the time it was
	// started (exec records the old address space's high-water mark), so a
	// large test process would be charged to every child.
	if out.PeakRSS == 0 {
		t.Log("this system does not report a process's peak RSS: the memory ceiling is not checked")
	}
	return out, out.PeakRSS
}

// TestChild is the child process of TestHostile: it verifies and signs
// one file and prints the outcome.
func TestChild(t *testing.T) {
	in := os.Getenv("KYSO_HOSTILE_IN")
	if in == "" {
		t.Skip("run by TestHostile")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out outcome
	rep, err := verify.VerifyFile(ctx, in, verify.Options{Fetcher: &revocation.Fetcher{Offline: true}})
	if err != nil {
		out.VerifyErr = err.Error()
	} else {
		out.VerifyStatus = string(rep.Status)
		out.VerifyText = append(append([]string{}, rep.Errors...), rep.Warnings...)
		for _, s := range rep.Signatures {
			out.VerifyText = append(out.VerifyText, s.Reasons...)
		}
	}
	key, err := keys.LoadP12(os.Getenv("KYSO_HOSTILE_P12"), []byte(testpki.DefaultPassword))
	if err != nil {
		t.Fatal(err)
	}
	o := sign.BatchOptions{Jobs: 1}
	o.Key, o.Level = key, sign.LevelBB
	o.Stamp = &sign.DecreeStamp{}
	job := sign.Job{Input: in, Output: filepath.Join(t.TempDir(), "signed.pdf")}
	err = sign.Batch(ctx, []sign.Job{job}, o, func(r *sign.Result) {
		out.SignStatus = string(r.Status)
		if r.Err != nil {
			out.SignErr, out.SignKind = r.Err.Error(), int(fail.KindOf(r.Err))
		}
	})
	if err != nil {
		out.SignErr, out.SignKind = err.Error(), int(fail.KindOf(err))
	}
	out.PeakRSS = selfPeakRSS()
	b, _ := json.Marshal(out)
	os.Stdout.Write(append(append([]byte("OUTCOME "), b...), '\n'))
}

// BenchmarkVerifyHostile verifies the whole hostile corpus in-process: the
// time per pass (and its allocations) shows the bounds hold, and a
// regression to quadratic or unbounded work shows as a jump.
func BenchmarkVerifyHostile(b *testing.B) {
	cs := Cases()
	var total int64
	for _, c := range cs {
		total += int64(len(c.Data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, c := range cs {
			rep, err := verify.Verify(context.Background(), bytes.NewReader(c.Data), int64(len(c.Data)),
				verify.Options{Fetcher: &revocation.Fetcher{Offline: true}, FileName: c.Name})
			if err != nil || rep.Status != verify.Invalid {
				b.Fatalf("%s: %v %v", c.Name, err, rep)
			}
		}
	}
}

// The bombs' checksums are computed, not summed over their bytes: they
// must be the checksums of the bytes.
func TestAdler(t *testing.T) {
	for _, n := range []int{0, 1, 5, 5552, 65521, 1 << 20} {
		for _, c := range []byte{0, 1, ' ', 0xff} {
			prefix, suffix := []byte("head"), []byte(")")
			data := append(append(append([]byte{}, prefix...), bytes.Repeat([]byte{c}, n)...), suffix...)
			got := adlerCombine(adlerCombine(adler32.Checksum(prefix), adlerRepeat(c, n), n), adler32.Checksum(suffix), len(suffix))
			if want := adler32.Checksum(data); got != want {
				t.Fatalf("n=%d c=%d: %08x, want %08x", n, c, got, want)
			}
		}
	}
}
