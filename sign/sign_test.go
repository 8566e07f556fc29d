package sign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
	"github.com/kyso-project/kyso/internal/testtool"
	"github.com/kyso-project/kyso/internal/trust"
	"github.com/kyso-project/kyso/internal/tsp"
	"github.com/kyso-project/kyso/verify"
)

func fixture(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "testdata", "pdf", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func testKey(p *testpki.PKI) *keys.Key {
	return &keys.Key{Signer: p.Signer.Key, Cert: p.Signer.Cert, Chain: p.Chain(), Description: "test key"}
}

// serveTSA starts a PKI with its TSA on 127.0.0.1 for the test.
func serveTSA(t *testing.T) (*testpki.PKI, string) {
	p := testpki.Serve(t, testpki.Options{}, func(p *testpki.PKI) http.Handler {
		return &tsp.Server{Signer: p.TSA.Key, Cert: p.TSA.Cert, Chain: p.Chain()}
	})
	return p, p.BaseURL + "/tsa"
}

func signAll(t *testing.T, o BatchOptions, inputs ...string) ([]*Result, string) {
	t.Helper()
	out := t.TempDir()
	var jobs []Job
	for _, in := range inputs {
		jobs = append(jobs, Job{Input: in, Output: filepath.Join(out, filepath.Base(in))})
	}
	var mu sync.Mutex
	var res []*Result
	err := Batch(context.Background(), jobs, o, func(r *Result) { mu.Lock(); res = append(res, r); mu.Unlock() })
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	return res, out
}

// pdfsigValid asserts what poppler's pdfsig, an independent verifier, says.
func pdfsigValid(t *testing.T, path string, want int) {
	t.Helper()
	out, _ := testtool.Run(t, "pdfsig", path)
	if got := strings.Count(out, "Signature Validation: Signature is Valid."); got != want {
		t.Fatalf("pdfsig: %d valid signatures, want %d\n%s", got, want, out)
	}
	tail := out[strings.LastIndex(out, "Signature #"):]
	if !strings.Contains(tail, "Total document signed") || !strings.Contains(tail, "ETSI.CAdES.detached") {
		t.Fatalf("pdfsig: last signature does not cover the whole document as ETSI.CAdES.detached\n%s", tail)
	}
}

func qpdfCheck(t *testing.T, path string) {
	t.Helper()
	if out, err := testtool.Run(t, "qpdf", "--check", path); err != nil {
		t.Fatalf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

func TestSignFixtures(t *testing.T) {
	p, tsaURL := serveTSA(t)
	for _, level := range []Level{LevelBB, LevelBT} {
		t.Run(string(level), func(t *testing.T) {
			o := BatchOptions{Options: Options{Key: testKey(p), Level: level}}
			if level == LevelBT {
				o.TSA = &tsp.Client{URLs: []string{tsaURL}}
			}
			names := []string{"simple.pdf", "xrefstream.pdf", "form.pdf", "scan200.pdf", "rotated.pdf", "pdfsign-simple.pdf"}
			var ins []string
			before := map[string][]byte{}
			for _, n := range names {
				in := fixture(t, n)
				ins = append(ins, in)
				before[in], _ = os.ReadFile(in)
			}
			res, out := signAll(t, o, ins...)
			if len(res) != len(names) {
				t.Fatalf("%d results", len(res))
			}
			for _, r := range res {
				if r.Status != StatusSigned {
					t.Fatalf("%s: %s %v", r.Input, r.Status, r.Err)
				}
				after, _ := os.ReadFile(r.Input)
				if !bytes.Equal(after, before[r.Input]) {
					t.Fatalf("%s: input modified", r.Input)
				}
				signed, _ := os.ReadFile(r.Output)
				if !bytes.HasPrefix(signed, before[r.Input]) {
					t.Fatalf("%s: output is not an incremental update of the input", r.Output)
				}
				if sum := sha256.Sum256(signed); r.SHA256 != hexs(sum[:]) {
					t.Fatalf("%s: reported sha256 %s is not the output's", r.Output, r.SHA256)
				}
				want := 1
				if strings.Contains(r.Input, "pdfsign-simple") {
					want = 2 // the other tool's signature stays valid
				}
				pdfsigValid(t, r.Output, want)
				qpdfCheck(t, r.Output)
				// kyso's own verifier agrees with pdfsig.
				if !strings.Contains(r.Input, "pdfsign-simple") {
					rep, err := verify.VerifyFile(context.Background(), r.Output, verify.Options{Trust: &trust.Store{Roots: []*x509.Certificate{p.Root.Cert}}, RevocationSoft: true})
					if err != nil || rep.Status != verify.Valid || len(rep.Signatures) != 1 || rep.Signatures[0].Level != string(level) {
						t.Fatalf("kyso verify disagrees with pdfsig on %s: %v %+v", r.Output, err, rep)
					}
				}
			}
			ents, _ := os.ReadDir(out)
			if len(ents) != len(names) {
				t.Fatalf("output folder holds %d entries, want %d (temporary files left?)", len(ents), len(names))
			}
		})
	}
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	s := make([]byte, 2*len(b))
	for i, c := range b {
		s[2*i], s[2*i+1] = d[c>>4], d[c&15]
	}
	return string(s)
}

func TestFormFieldsKept(t *testing.T) {
	p := testpki.Shared(t)
	res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, fixture(t, "form.pdf"))
	f, _ := os.Open(res[0].Output)
	defer f.Close()
	st, _ := f.Stat()
	r, err := pdf.NewReader(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := r.Catalog()
	acro, _ := r.Dict(cat["AcroForm"])
	fields, _ := r.Array(acro["Fields"])
	var names []string
	for _, fo := range fields {
		d, _ := r.Dict(fo)
		s, _ := d["T"].(pdf.String)
		names = append(names, string(s.Bytes))
	}
	if strings.Join(names, ",") != "quantity,address,Signature1" {
		t.Fatalf("fields after signing: %v", names)
	}
	if sf, _ := acro.Int("SigFlags"); sf != 3 {
		t.Fatalf("SigFlags %d", sf)
	}
}

func TestBatchPartialFailureAndRerun(t *testing.T) {
	p := testpki.Shared(t)
	dir := t.TempDir()
	good := fixture(t, "simple.pdf")
	garbage := filepath.Join(dir, "garbage.pdf")
	os.WriteFile(garbage, []byte("this is not a pdf"), 0o644)
	data, _ := os.ReadFile(fixture(t, "form.pdf"))
	truncated := filepath.Join(dir, "truncated.pdf")
	os.WriteFile(truncated, data[:600], 0o644)
	o := BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}, Existing: CheckExisting}
	out := t.TempDir()
	jobs := []Job{{good, filepath.Join(out, "simple.pdf")}, {garbage, filepath.Join(out, "garbage.pdf")}, {truncated, filepath.Join(out, "truncated.pdf")}}
	run := func() map[string]*Result {
		got := map[string]*Result{}
		if err := Batch(context.Background(), jobs, o, func(r *Result) { got[filepath.Base(r.Input)] = r }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := run()
	if got["simple.pdf"].Status != StatusSigned {
		t.Fatalf("good file: %+v", got["simple.pdf"])
	}
	for _, n := range []string{"garbage.pdf", "truncated.pdf"} {
		r := got[n]
		if r.Status != StatusFailed || r.Error == "" || fail.KindOf(r.Err) != fail.KindInput {
			t.Fatalf("%s: %+v", n, r)
		}
		if _, err := os.Stat(filepath.Join(out, n)); err == nil {
			t.Fatalf("%s: an output was written for a bad input", n)
		}
	}
	first, _ := os.ReadFile(filepath.Join(out, "simple.pdf"))
	again := run()
	if again["simple.pdf"].Status != StatusSkipped {
		t.Fatalf("re-run: %+v", again["simple.pdf"])
	}
	second, _ := os.ReadFile(filepath.Join(out, "simple.pdf"))
	if !bytes.Equal(first, second) {
		t.Fatal("re-run changed an existing output")
	}
	// An existing output made from another input is not silently kept.
	jobs[0].Input = fixture(t, "xrefstream.pdf")
	if r := run()["xrefstream.pdf"]; r.Status != StatusFailed || fail.RemedyOf(r.Err) != fail.RemedyStale {
		t.Fatalf("foreign existing output: %+v", r)
	}
}

func TestDeadTSAIsARunFailure(t *testing.T) {
	p := testpki.Shared(t)
	out := t.TempDir()
	o := BatchOptions{Options: Options{Key: testKey(p), Level: LevelBT, TSA: &tsp.Client{URLs: []string{"http://127.0.0.1:9/dead"}}}}
	var res []*Result
	err := Batch(context.Background(), []Job{{fixture(t, "simple.pdf"), filepath.Join(out, "a.pdf")}, {fixture(t, "form.pdf"), filepath.Join(out, "b.pdf")}}, o,
		func(r *Result) { res = append(res, r) })
	if fail.KindOf(err) != fail.KindRun {
		t.Fatalf("err = %v, want a run failure", err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Fatalf("files left in the output folder: %v", ents)
	}
}

func TestCancelLeavesNothingHalfWritten(t *testing.T) {
	p := testpki.Shared(t)
	out := t.TempDir()
	var jobs []Job
	for i := 0; i < 40; i++ {
		jobs = append(jobs, Job{fixture(t, "scan200.pdf"), filepath.Join(out, "s"+string(rune('a'+i%26))+string(rune('a'+i/26))+".pdf")})
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := Batch(ctx, jobs, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}, Jobs: 2}, func(r *Result) {
		n++
		if n == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".pdf") || strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("stray file %s after cancel", e.Name())
		}
		pdfsigValid(t, filepath.Join(out, e.Name()), 1)
	}
	if len(ents) >= len(jobs) {
		t.Fatalf("cancel did not stop the batch (%d outputs)", len(ents))
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"B-B": LevelBB, "b-t": LevelBT, "BLT": LevelBLT, "b-lta": LevelBLTA} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseLevel("B-X"); err == nil {
		t.Error("B-X accepted")
	}
}

func BenchmarkSignScan(b *testing.B) {
	p := testpki.Shared(b)
	in := fixture(b, "scan200.pdf")
	out := b.TempDir()
	o := BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Force: true}}
	st, _ := os.Stat(in)
	b.SetBytes(st.Size())
	for i := 0; i < b.N; i++ {
		Batch(context.Background(), []Job{{in, filepath.Join(out, "s.pdf")}}, o, func(*Result) {})
	}
}

// A linearized file's newest cross-reference section sits at its start;
// the update's /Prev must point there, or other readers lose the objects
// only that section lists (the first page).
func TestLinearizedInput(t *testing.T) {
	qpdf := testtool.Need(t, "qpdf")
	dir := t.TempDir()
	lin := filepath.Join(dir, "linearized.pdf")
	if out, err := exec.Command(qpdf, "--linearize", "--object-streams=generate", fixture(t, "form.pdf"), lin).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --linearize: %v %s", err, out)
	}
	p := testpki.Shared(t)
	res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, lin)
	if res[0].Status != StatusSigned {
		t.Fatalf("%+v", res[0])
	}
	out, err := testtool.Run(t, "qpdf", "--check", res[0].Output)
	if err != nil || strings.Contains(out, "WARNING") {
		t.Fatalf("qpdf --check of the signed linearized file: %v\n%s", err, out)
	}
	pdfsigValid(t, res[0].Output, 1)
}

func TestEncryptedInputRefused(t *testing.T) {
	qpdf := testtool.Need(t, "qpdf")
	enc := filepath.Join(t.TempDir(), "encrypted.pdf")
	if out, err := exec.Command(qpdf, "--encrypt", "", "owner", "256", "--", fixture(t, "simple.pdf"), enc).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --encrypt: %v %s", err, out)
	}
	p := testpki.Shared(t)
	res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}}, enc)
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Error, "encrypted") || fail.KindOf(res[0].Err) != fail.KindInput {
		t.Fatalf("encrypted input: %+v", res[0])
	}
}

// A certified document takes another signature only where its DocMDP
// permission allows: never at P=1, and at P=2 only invisibly (a new
// visible widget could draw over the certified content).
func TestCertifiedInputs(t *testing.T) {
	base, err := os.ReadFile(fixture(t, "form.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	p := testpki.Shared(t)
	dir := t.TempDir()
	for _, perm := range []int{1, 2} {
		doc, _, err := attackgen.Sign(base, attackgen.SigOptions{DocMDP: perm, Field: "Certify"})
		if err != nil {
			t.Fatal(err)
		}
		in := filepath.Join(dir, fmt.Sprintf("certified-p%d.pdf", perm))
		os.WriteFile(in, doc, 0o644)
		stamp := &DecreeStamp{}
		res, _ := signAll(t, BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: stamp}}, in)
		r := res[0]
		switch perm {
		case 1:
			if r.Status != StatusFailed || !strings.Contains(r.Error, "P=1") {
				t.Fatalf("P=1: %+v", r)
			}
		case 2:
			if r.Status != StatusSigned || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "without the visible stamp") {
				t.Fatalf("P=2: %+v", r)
			}
			rep, err := verify.VerifyFile(context.Background(), r.Output, verify.Options{Trust: &trust.Store{}, RevocationSoft: true})
			if err != nil || len(rep.Signatures) != 2 || rep.Signatures[0].Status == verify.Invalid || rep.Signatures[0].Modification != "form-fill" {
				t.Fatalf("P=2: the certification does not stay intact: %v %+v", err, rep)
			}
		}
	}
}
