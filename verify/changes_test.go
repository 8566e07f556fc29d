package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

func chgRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(chgTestdata(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestAnalyzeChangesArguments(t *testing.T) {
	doc, _ := brSigned(t)
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int{-1, 2} {
		if _, err := AnalyzeChanges(context.Background(), r, rev, "Signature1", MDP{}); err == nil {
			t.Errorf("revision %d: no error", rev)
		}
	}
	rep, err := AnalyzeChanges(context.Background(), r, 1, "Signature1", MDP{})
	if err != nil || rep.Class != ChangeNone || len(rep.Changes)+len(rep.Problems)+len(rep.Warnings) != 0 {
		t.Errorf("last revision: %+v %v, want nothing", rep, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := AnalyzeChanges(ctx, r, 0, "", MDP{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// chgSigFields lists the signature fields with a value, by fully
// qualified name, across all revisions.
func chgSigFields(r *pdf.Reader) []string {
	var names []string
	seen := map[string]bool{}
	for i := len(r.Revisions()) - 1; i >= 0; i-- {
		v := r.At(i)
		cat, _ := v.Catalog()
		af, _ := v.Dict(cat["AcroForm"])
		fields, _ := v.Array(af["Fields"])
		v.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
			if f.FT == "Sig" && f.Dict["V"] != nil && !seen[f.Name] {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
			return true, nil
		})
	}
	return names
}

// Files signed by other tools (shared with the verdict tests in
// testdata/corpus): the analysis must not call their legitimate updates
// other, and must catch the signature-wrapping sample.
func TestChangesOnOtherToolsFiles(t *testing.T) {
	dir := filepath.Join("testdata", "corpus")
	for _, tc := range []struct {
		file  string
		want  map[string]string // field -> class
		wrap  bool
		extra string // words a change must contain
	}{
		{file: "pyhanko-pades-lta.pdf", want: map[string]string{"Sig1": "archival"}, extra: "DSS updated"},
		{file: "dss-izenpe-bt-docts.pdf", want: map[string]string{"Signature1": "archival", "Signature2": "none"}, extra: "form defaults (/AcroForm /DR) added"},
		{file: "nodesignpdf-signed-twice.pdf", want: map[string]string{"Signature1": "form-fill", "Signature2": "none"}, extra: `signature "Signature2" added`},
		{file: "pdfsign-simple-docts.pdf", want: map[string]string{"Signature 1": "archival"}, extra: `document timestamp "Signature 2" added`},
		{file: "pdfcpu-testPAdES_BLTA.pdf", want: map[string]string{"SignatureFieldName 25": "archival"}, extra: "DSS added"},
		{file: "openpdf-siwa-attack.pdf", want: map[string]string{"Signature1": "none"}, wrap: true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := attackgen.Open(data)
			if err != nil {
				t.Fatal(err)
			}
			names := chgSigFields(r)
			if len(names) == 0 {
				t.Fatal("no signature found")
			}
			var changes []string
			for _, name := range names {
				v := chgJudge(t, data, name, MDP{})
				if tc.wrap {
					if !strings.Contains(strings.Join(v.brProblem, " "), "signature wrapping") {
						t.Errorf("%s: ByteRange problems %v, want signature wrapping", name, v.brProblem)
					}
				} else if len(v.brProblem) > 0 || len(v.rep.Problems) > 0 {
					t.Errorf("%s: rejected: %v\n%s", name, v.brProblem, chgDescribe(v.rep))
				}
				if want, ok := tc.want[name]; ok && v.rep.Class.String() != want {
					t.Errorf("%s: class %s, want %s\n%s", name, v.rep.Class, want, chgDescribe(v.rep))
				}
				for _, c := range v.rep.Changes {
					changes = append(changes, c.String())
				}
			}
			if !strings.Contains(strings.Join(changes, "\n"), tc.extra) {
				t.Errorf("changes do not mention %q:\n%s", tc.extra, strings.Join(changes, "\n"))
			}
		})
	}
}

// Signatures are analysed concurrently on one reader by the verifier.
func TestAnalyzeChangesConcurrent(t *testing.T) {
	var docs []attackgen.Case
	for _, c := range chgAttackCases(t) {
		if strings.HasPrefix(c.Name, "legit/lta") || strings.HasPrefix(c.Name, "shadow/replace-shared") || strings.HasPrefix(c.Name, "isa/objstm") {
			docs = append(docs, c)
		}
	}
	for _, c := range docs {
		r, err := attackgen.Open(c.PDF)
		if err != nil {
			t.Fatal(err)
		}
		want := chgJudge(t, c.PDF, c.Field, chgMDP(c)).rep
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sigRev := range len(r.Revisions()) {
					rep, err := AnalyzeChanges(context.Background(), r, sigRev, c.Field, chgMDP(c))
					if err != nil {
						t.Error(err)
						return
					}
					if sigRev == 1 && (rep.Class != want.Class || len(rep.Problems) != len(want.Problems)) {
						t.Errorf("%s: concurrent result %s, want %s", c.Name, rep.Class, want.Class)
					}
				}
			}()
		}
		wg.Wait()
	}
}

// FuzzAnalyzeChanges mutates signed documents with later revisions: the
// analysis never panics and finishes.
func FuzzAnalyzeChanges(f *testing.F) {
	n := 0
	for _, c := range chgAttackCases(f) {
		if len(c.PDF) < 24<<10 && (strings.HasPrefix(c.Name, "legit/") || strings.HasPrefix(c.Name, "isa/") || strings.HasPrefix(c.Name, "shadow/")) {
			f.Add(c.PDF, uint8(1))
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	lim := pdf.Limits{MaxSections: 64, MaxDecoded: 1 << 20, MaxObjectSize: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte, rev uint8) {
		r, err := pdf.NewReaderLimits(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sigRev := int(rev) % len(r.Revisions())
		rep, err := AnalyzeChanges(ctx, r, sigRev, "Signature1", MDP{DocMDP: int(rev % 4)})
		if err != nil {
			if ctx.Err() != nil {
				t.Fatalf("analysis did not finish in time: %v", err)
			}
			t.Fatalf("error on a readable file: %v", err)
		}
		if rep.Class == ChangeOther && len(rep.Problems) == 0 {
			t.Fatal("class other without a problem")
		}
		// Any dictionary with a /ByteRange: the check must not panic.
		for _, num := range r.ObjectNumbers() {
			if num > 64 {
				break
			}
			if d, _ := r.Dict(pdf.Ref{Num: num}); d != nil && d["ByteRange"] != nil {
				if _, err := CheckByteRange(r, d, int64(num)); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// chgBenchScan is a 50-page scan-like document of about 33 MB, signed,
// then given validation data, a document timestamp and validation data
// again: the full change analysis of the first signature reads three
// later revisions.
func chgBenchScan(b *testing.B) ([]byte, *attackgen.Signature) {
	b.Helper()
	doc := attackgen.ScanLike(50, 660<<10, 1)
	doc, sig, err := attackgen.Sign(doc, attackgen.SigOptions{Field: "Signature1", Placeholder: 4096})
	if err != nil {
		b.Fatal(err)
	}
	cert, _, _ := attackgen.TestCertificate()
	if doc, err = attackgen.AddDSS(doc, [][]byte{cert.Raw}, sig, false); err != nil {
		b.Fatal(err)
	}
	doc, ts, err := attackgen.Sign(doc, attackgen.SigOptions{Field: "Timestamp", DocTimeStamp: true, Placeholder: 4096})
	if err != nil {
		b.Fatal(err)
	}
	if doc, err = attackgen.AddDSS(doc, [][]byte{cert.Raw}, ts, false); err != nil {
		b.Fatal(err)
	}
	return doc, sig
}

// BenchmarkAnalyzeChanges opens the document and runs CheckByteRange and
// AnalyzeChanges for its first signature, as a verify of the file does;
// compare with BenchmarkSHA256Floor on the same bytes.
func BenchmarkAnalyzeChanges(b *testing.B) {
	doc, sig := chgBenchScan(b)
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for b.Loop() {
		r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			b.Fatal(err)
		}
		sd, _ := r.Dict(sig.Dict)
		cov, err := CheckByteRange(r, sd, sig.ObjectOffset)
		if err != nil || len(cov.Problems) > 0 {
			b.Fatal(err, cov.Problems)
		}
		rep, err := AnalyzeChanges(context.Background(), r, cov.Revision, "Signature1", MDP{})
		if err != nil || rep.Class != ChangeArchival {
			b.Fatal(err, rep)
		}
	}
}

// BenchmarkSHA256Floor hashes the benchmark document: the floor the whole
// verification is measured against.
func BenchmarkSHA256Floor(b *testing.B) {
	doc, _ := chgBenchScan(b)
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for b.Loop() {
		sha256.Sum256(doc)
	}
}
