package attackgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func bases(t testing.TB) Bases {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "testdata", "pdf")
	var b Bases
	for name, dst := range map[string]*[]byte{"simple.pdf": &b.Simple, "xrefstream.pdf": &b.XrefStream, "form.pdf": &b.Form, "scan200.pdf": &b.Scan} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		*dst = data
	}
	return b
}

// malformed lists the cases whose bytes are deliberately not a well-formed
// PDF (beyond the signature dictionary).
func malformed(name string) bool {
	switch name {
	case "isa/no-xref", "isa/no-trailer", "isa/trailer-only", "swa/hidden-object", "legit/trailing-bytes",
		"shadow/hide-duplicate-key",        // qpdf warns of the duplicated key, the point of the case
		"shadow/replace-under-unreadable",  // an object kyso cannot read, the point of the case
		"shadow/replace-header-generation": // a header generation the xref does not list, the point of the case
		return true
	}
	return false
}

// Every attack keeps the signature under test cryptographically intact
// (only the signature-forgery cases break it): a verifier that checks
// ByteRange digest and CMS alone accepts them, which is the point.
func TestCases(t *testing.T) {
	cases, err := Cases(bases(t))
	if err != nil {
		t.Fatal(err)
	}
	qpdf, _ := exec.LookPath("qpdf")
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if seen[c.Name] {
				t.Fatal("duplicate name")
			}
			seen[c.Name] = true
			if c.Attack == "" || c.Source == "" || c.What == "" || c.Field == "" {
				t.Fatalf("incomplete case %+v", c.Expect)
			}
			if c.Expect.Valid == (c.Expect.By != "") {
				t.Fatalf("a case is valid or rejected by a check: %+v", c.Expect)
			}
			if _, err := Open(c.PDF); err != nil {
				t.Fatalf("does not open: %v", err)
			}
			err := VerifyField(c.PDF, c.Field)
			switch {
			case c.Attack == "USF":
				if c.Expect.By == ByCMS && err == nil {
					t.Error("the garbage signature verifies")
				}
			case err != nil:
				t.Errorf("the signature under test does not verify: %v", err)
			}
			if qpdf != "" && !malformed(c.Name) && c.Attack != "USF" {
				f := filepath.Join(t.TempDir(), "case.pdf")
				if err := os.WriteFile(f, c.PDF, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(qpdf, "--check", f).CombinedOutput(); err != nil {
					t.Errorf("qpdf --check: %v\n%s", err, out)
				}
			}
		})
	}
	for _, want := range []string{"usf/", "swa/", "isa/", "shadow/hide-", "shadow/replace-", "shadow/hide-replace-", "eaa/", "ssa/", "legit/"} {
		n := 0
		for name := range seen {
			if strings.HasPrefix(name, want) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no case %s*", want)
		}
	}
}

func TestCasesNeedBases(t *testing.T) {
	if _, err := Cases(Bases{}); err == nil {
		t.Fatal("no error without bases")
	}
}

// The test signer's signature survives a round trip through a document and
// fails once a signed byte changes.
func TestSignVerify(t *testing.T) {
	b := bases(t)
	for name, base := range map[string][]byte{"table": b.Simple, "xref stream": b.XrefStream} {
		t.Run(name, func(t *testing.T) {
			doc, sig, err := Sign(base, SigOptions{Field: "S", Placeholder: 4096})
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyField(doc, "S"); err != nil {
				t.Fatal(err)
			}
			if sig.Ranges[2]+sig.Ranges[3] != int64(len(doc)) || sig.Ranges[1] != sig.ContentsAt {
				t.Errorf("ranges %v", sig.Ranges)
			}
			bad := append([]byte(nil), doc...)
			bad[sig.Ranges[1]/2] ^= 1
			if err := VerifyField(bad, "S"); err == nil {
				t.Error("a changed byte still verifies")
			}
		})
	}
}

func TestScanLike(t *testing.T) {
	doc := ScanLike(3, 1000, 1)
	r, err := Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil || len(pages) != 3 {
		t.Fatalf("%d pages, %v", len(pages), err)
	}
}
