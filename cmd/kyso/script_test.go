package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kyso-project/kyso/internal/demo/samples"
	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/testtool"
	"github.com/kyso-project/kyso/internal/tsp"
)

// TestMain makes this test binary double as kyso, so scripts in
// testdata/script run the real command line.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kyso": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar: CLI sessions a user could
// type, each saying what it guards.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t))
}

// scriptParams are the scripts' setup and commands.
func scriptParams(t *testing.T) testscript.Params {
	return testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("KYSO_LANG", "en")
			env.Setenv("KYSO_PASS", testpki.DefaultPassword)
			return nil
		},
		Cmds: signScriptCmds(t, map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// pki DIR: a TEST PKI with its OCSP responder, CRLs and TSA on
			// 127.0.0.1 for the rest of the script; sets $TSA and $PKIURL.
			"pki": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: pki DIR")
				}
				p, base, stop, err := testpki.Start(testpki.Options{Dir: ts.MkAbs(args[0]), ReuseKeys: true}, func(p *testpki.PKI) http.Handler {
					return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
				})
				ts.Check(err)
				ts.Defer(stop)
				_ = p
				ts.Setenv("TSA", base+"/tsa")
				ts.Setenv("PKIURL", base)
			},
			// scans DIR N: N sample scans.
			"scans": func(ts *testscript.TestScript, neg bool, args []string) {
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				dir := ts.MkAbs(args[0])
				ts.Check(os.MkdirAll(dir, 0o755))
				docs := samples.Demo()
				for i := 0; i < n; i++ {
					d := docs[i%len(docs)]
					d.Seed = int64(i + 1)
					d.DPI = 100 // small and fast; the dpi gate is tested with its own flag
					b, err := samples.Rendered(d)
					ts.Check(err)
					ts.Check(os.WriteFile(filepath.Join(dir, fmt.Sprintf("scan-%02d.pdf", i+1)), b, 0o644))
				}
			},
			// pdfsig-valid FILE N: poppler's pdfsig finds N valid signatures.
			"pdfsig-valid": func(ts *testscript.TestScript, neg bool, args []string) {
				out, _ := testtool.Run(t, "pdfsig", ts.MkAbs(args[0]))
				want, _ := strconv.Atoi(args[1])
				got := bytes.Count([]byte(out), []byte("Signature is Valid."))
				if (got == want) == neg {
					ts.Fatalf("pdfsig: %d valid signatures, want %d\n%s", got, want, out)
				}
			},
			// flipbyte FILE OFFSET: change one byte, as a forger would.
			"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
				p := ts.MkAbs(args[0])
				b, err := os.ReadFile(p)
				ts.Check(err)
				off, _ := strconv.Atoi(args[1])
				b[off] ^= 0x01
				ts.Check(os.WriteFile(p, b, 0o644))
			},
			// damagepages DB: every page after bbolt's two meta pages says it
			// is another page, as after a disk wrote blocks in the wrong place.
			"damagepages": func(ts *testscript.TestScript, neg bool, args []string) {
				p := ts.MkAbs(args[0])
				b, err := os.ReadFile(p)
				ts.Check(err)
				ps := int(binary.LittleEndian.Uint32(b[16+8:]))
				for off := 2 * ps; off+8 <= len(b); off += ps {
					b[off] ^= 0x40
				}
				ts.Check(os.WriteFile(p, b, 0o644))
			},
		}),
	}
}
