package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/testtool"
	"github.com/kyso-project/kyso/internal/tsp"
)

// signScriptCmds are the script commands of the signing-safety sessions
// (issue 13), added to TestScripts' own.
// umaskMu is held by the script that set the process's umask.
var umaskMu sync.Mutex

func signScriptCmds(t *testing.T, cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	// code N PROG ARGS...: run PROG and require exit status N.
	cmds["code"] = func(ts *testscript.TestScript, neg bool, args []string) {
		want, err := strconv.Atoi(args[0])
		ts.Check(err)
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%v", err)
		}
		if got != want {
			ts.Fatalf("exit status %d, want %d", got, want)
		}
	}
	cmds["annotate"] = annotateCmd
	// badtsa: two RFC 3161 servers on 127.0.0.1 whose TSA is not in the
	// test PKI: $TSA_UNTRUSTED answers with the right time, $TSA_FUTURE
	// dates its tokens an hour ahead.
	cmds["badtsa"] = func(ts *testscript.TestScript, neg bool, args []string) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ts.Check(err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Rogue TSA (TEST)"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
			KeyUsage:              x509.KeyUsageDigitalSignature,
			BasicConstraintsValid: true,
		}
		// RFC 3161: the timeStamping extended key usage, alone and critical
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		ts.Check(err)
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		ts.Check(err)
		cert, err := x509.ParseCertificate(der)
		ts.Check(err)
		for name, now := range map[string]func() time.Time{
			"TSA_UNTRUSTED": time.Now,
			"TSA_FUTURE":    func() time.Time { return time.Now().Add(time.Hour) },
		} {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			ts.Check(err)
			srv := &http.Server{Handler: &tsp.Server{Signer: key, Cert: cert, Now: now}, ReadHeaderTimeout: 5 * time.Second}
			go srv.Serve(ln)
			ts.Defer(func() { srv.Close() })
			ts.Setenv(name, "http://"+ln.Addr().String()+"/tsa")
		}
	}
	// mode FILE OCTAL: the file's permission bits.
	cmds["mode"] = func(ts *testscript.TestScript, neg bool, args []string) {
		st, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		want, err := strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
		if got := st.Mode().Perm(); (got == os.FileMode(want)) == neg {
			ts.Fatalf("%s: mode %#o, want %#o", args[0], got, want)
		}
	}
	// modes-under DIR OCTAL: every regular file below DIR has that mode.
	cmds["modes-under"] = func(ts *testscript.TestScript, neg bool, args []string) {
		want, err := strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
		n := 0
		ts.Check(filepath.WalkDir(ts.MkAbs(args[0]), func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			st, err := d.Info()
			if err != nil {
				return err
			}
			n++
			if st.Mode().Perm() != os.FileMode(want) {
				ts.Fatalf("%s: mode %#o, want %#o", p, st.Mode().Perm(), want)
			}
			return nil
		}))
		if n == 0 {
			ts.Fatalf("no files under %s", args[0])
		}
	}
	// umask OCTAL: the umask of the commands run after it. The umask is
	// the test process's, which every command it starts inherits, and
	// scripts run side by side: a script that sets it holds umaskMu until
	// it ends, so that no other script changes it under its commands.
	cmds["umask"] = func(ts *testscript.TestScript, neg bool, args []string) {
		m, err := strconv.ParseUint(args[0], 8, 32)
		ts.Check(err)
		if ts.Getenv("KYSO_TEST_UMASK_HELD") == "" {
			umaskMu.Lock()
			ts.Setenv("KYSO_TEST_UMASK_HELD", "1")
			ts.Defer(umaskMu.Unlock)
		}
		old, ok := setUmask(int(m))
		if !ok {
			ts.Fatalf("umask: not on this platform (guard the line with [unix])")
		}
		ts.Defer(func() { setUmask(old) })
	}
	// livetemp PATH: a temporary file named as kyso names them, by this
	// (running) test process: a run still going.
	cmds["livetemp"] = func(ts *testscript.TestScript, neg bool, args []string) {
		p := ts.MkAbs(args[0])
		name := filepath.Join(filepath.Dir(p), fmt.Sprintf(".%s.kyso-%d-0123456789ab.tmp", filepath.Base(p), os.Getpid()))
		ts.Check(os.WriteFile(name, []byte("half a file"), 0o644))
		ts.Setenv("LIVETEMP", name)
	}
	// cut FILE KEEP: keep the first KEEP bytes of FILE, or with a
	// negative KEEP drop the last -KEEP bytes (a copy cut short).
	cmds["cut"] = func(ts *testscript.TestScript, neg bool, args []string) {
		p := ts.MkAbs(args[0])
		b, err := os.ReadFile(p)
		ts.Check(err)
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		if n < 0 {
			n = len(b) + n
		}
		ts.Check(os.WriteFile(p, b[:n], 0o644))
	}
	// stamps-apart FILE: the visible signature widgets on the first page do
	// not overlap, and there are at least two.
	cmds["stamps-apart"] = func(ts *testscript.TestScript, neg bool, args []string) {
		f, err := os.Open(ts.MkAbs(args[0]))
		ts.Check(err)
		defer f.Close()
		st, _ := f.Stat()
		r, err := pdf.NewReader(f, st.Size())
		ts.Check(err)
		pages, err := r.Pages()
		ts.Check(err)
		annots, _ := r.Array(pages[0].Dict["Annots"])
		var rects [][4]float64
		for _, a := range annots {
			d, _ := r.Dict(a)
			if st, _ := d.Name("Subtype"); st != "Widget" {
				continue
			}
			ra, _ := r.Array(d["Rect"])
			var rc [4]float64
			for i := range rc {
				rc[i], _ = pdf.Number(ra[i])
			}
			if rc[2]-rc[0] > 1 && rc[3]-rc[1] > 1 {
				rects = append(rects, rc)
			}
		}
		if len(rects) < 2 {
			ts.Fatalf("%d visible signature widgets, want 2 or more", len(rects))
		}
		for i := range rects {
			for j := i + 1; j < len(rects); j++ {
				a, b := rects[i], rects[j]
				if a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3] {
					ts.Fatalf("stamps overlap: %v and %v", a, b)
				}
			}
		}
		ts.Logf("stamps %v", rects)
	}
	// qr PDF TEXT...: zbarimg reads a QR code on page 1 as rendered by
	// pdftoppm, holding every TEXT; "sha256-of:FILE" stands for
	// "SHA256=<hex SHA-256 of FILE>".
	cmds["qr"] = func(ts *testscript.TestScript, neg bool, args []string) {
		testtool.Need(t, "pdftoppm")
		testtool.Need(t, "zbarimg")
		dir := ts.MkAbs("qr-render")
		ts.Check(os.MkdirAll(dir, 0o755))
		if out, err := testtool.Run(t, "pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", ts.MkAbs(args[0]), filepath.Join(dir, "p")); err != nil {
			ts.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		pngs, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
		if len(pngs) != 1 {
			ts.Fatalf("pdftoppm made %d images", len(pngs))
		}
		out, err := testtool.Run(t, "zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", pngs[0])
		found := err == nil
		for _, want := range args[1:] {
			if f, ok := strings.CutPrefix(want, "sha256-of:"); ok {
				b, err := os.ReadFile(ts.MkAbs(f))
				ts.Check(err)
				want = fmt.Sprintf("SHA256=%x", sha256.Sum256(b))
			}
			found = found && strings.Contains(out, want)
		}
		if found == neg {
			ts.Fatalf("zbarimg: %v\n%s", err, out)
		}
		os.RemoveAll(dir)
	}
	return cmds
}
