package verify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// brSigned signs testdata simple.pdf and returns the document, where its
// signature lies, and its signature dictionary as parsed.
func brSigned(t testing.TB) ([]byte, *attackgen.Signature) {
	t.Helper()
	base, err := os.ReadFile(filepath.Join(chgTestdata(t), "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	doc, sig, err := attackgen.Sign(base, attackgen.SigOptions{Field: "Signature1", Placeholder: 2048})
	if err != nil {
		t.Fatal(err)
	}
	return doc, sig
}

func brCheck(t testing.TB, doc []byte, sigNum uint32, edit func(pdf.Dict), hint int64) Coverage {
	t.Helper()
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := r.Dict(pdf.Ref{Num: sigNum})
	if err != nil || sd == nil {
		t.Fatalf("signature dictionary %d: %v", sigNum, err)
	}
	if edit != nil {
		sd = sd.Clone()
		edit(sd)
	}
	cov, err := CheckByteRange(r, sd, hint)
	if err != nil {
		t.Fatal(err)
	}
	return cov
}

func TestCheckByteRange(t *testing.T) {
	doc, sig := brSigned(t)
	size := int64(len(doc))
	withBR := func(vals string) []byte {
		out := append([]byte(nil), doc...)
		if err := attackgen.SetSlot(out, sig.ByteRangeAt, sig.ByteRangeLen, []byte(vals)); err != nil {
			t.Fatal(err)
		}
		return out
	}
	gap := func(f func(g []byte)) []byte {
		out := append([]byte(nil), doc...)
		f(out[sig.ContentsAt:sig.ContentsEnd])
		return out
	}
	b, c, d := sig.Ranges[1], sig.Ranges[2], sig.Ranges[3]
	for _, tc := range []struct {
		name    string
		doc     []byte
		edit    func(pdf.Dict)
		hint    int64
		problem string // "" = none
		whole   bool
		rev     int
	}{
		{name: "whole file", doc: doc, hint: -1, whole: true, rev: 1},
		{name: "hint is the /Contents offset", doc: doc, hint: b, whole: true, rev: 1},
		{name: "hint is the dictionary's object", doc: doc, hint: sig.ObjectOffset, whole: true, rev: 1},
		{name: "hint is another object", doc: doc, hint: 15, problem: "not the /Contents of the signature dictionary at offset 15", whole: true, rev: 1},
		{name: "hint after the gap", doc: doc, hint: c + 5, problem: "the gap lies before the dictionary", whole: true, rev: 1},
		{name: "ends before the final end of line", doc: withBR(fmt.Sprintf("[0 %d %d %d]", b, c, d-1)), hint: -1, rev: 1},
		{name: "ends inside %%EOF", doc: withBR(fmt.Sprintf("[0 %d %d %d]", b, c, d-2)), hint: -1, problem: "not the end of any revision", rev: -1},
		{name: "lowercase hex", doc: gap(func(g []byte) {
			copy(g, bytes.ToLower(g))
		}), hint: -1, whole: true, rev: 1},
		{name: "white space in the hex string", doc: gap(func(g []byte) {
			copy(g[1:], []byte(strings.ToUpper(fmt.Sprintf("%x", sig.CMS[:2]))+" "))
		}), hint: -1, problem: "not a hex digit", whole: true, rev: 1},
		{name: "literal string /Contents", doc: gap(func(g []byte) {
			g[0], g[len(g)-1] = '(', ')'
		}), hint: -1, problem: "the gap holds more than", whole: true, rev: 1},
		{name: "real number", doc: withBR(fmt.Sprintf("[0 %d.0 %d %d]", b, c, d)), hint: -1, problem: "entry 2 is a real number", rev: -1},
		{name: "gap not this /Contents", doc: doc, hint: -1, edit: func(sd pdf.Dict) {
			s := sd["Contents"].(pdf.String)
			other := append([]byte(nil), s.Bytes...)
			other[7] ^= 1
			sd["Contents"] = pdf.String{Bytes: other, Hex: true}
		}, problem: "the bytes differ at byte 7", whole: true, rev: 1},
		{name: "indirect /ByteRange", doc: doc, hint: -1, edit: func(sd pdf.Dict) { sd["ByteRange"] = pdf.Ref{Num: 3} },
			problem: "indirect object", rev: -1},
		{name: "indirect /Contents", doc: doc, hint: -1, edit: func(sd pdf.Dict) { sd["Contents"] = pdf.Ref{Num: 3} },
			problem: "/Contents is an indirect object", whole: true, rev: 1},
		{name: "/Contents a name", doc: doc, hint: -1, edit: func(sd pdf.Dict) { sd["Contents"] = pdf.Name("x") },
			problem: "/Contents is a name", whole: true, rev: 1},
		{name: "second range empty, gap to the end", doc: withBR(fmt.Sprintf("[0 %d %d 0]", b, size)), hint: -1, problem: "the gap holds more than", whole: true, rev: 1},
		{name: "first range empty", doc: withBR(fmt.Sprintf("[0 0 %d %d]", c, d)), hint: -1, problem: "the gap holds more than", whole: true, rev: 1},
		{name: "touching ranges", doc: withBR(fmt.Sprintf("[0 %d %d %d]", c, c, d)), hint: -1, problem: "overlap or touch", rev: -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cov := brCheck(t, tc.doc, sig.Dict.Num, tc.edit, tc.hint)
			got := strings.Join(cov.Problems, "; ")
			if tc.problem == "" && got != "" {
				t.Fatalf("unexpected problems: %s", got)
			}
			if !strings.Contains(got, tc.problem) || (tc.problem != "" && got == "") {
				t.Fatalf("problems %q, want %q", got, tc.problem)
			}
			if cov.Whole != tc.whole || cov.Revision != tc.rev {
				t.Errorf("whole %v revision %d, want %v %d", cov.Whole, cov.Revision, tc.whole, tc.rev)
			}
		})
	}
}

// A signature followed by an update covers its revision, not the file.
func TestCheckByteRangeRevision(t *testing.T) {
	doc, sig := brSigned(t)
	cert, _, err := attackgen.TestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	out, err := attackgen.AddDSS(doc, [][]byte{cert.Raw}, sig, false)
	if err != nil {
		t.Fatal(err)
	}
	cov := brCheck(t, out, sig.Dict.Num, nil, sig.ObjectOffset)
	if len(cov.Problems) > 0 || cov.Whole || cov.Revision != 1 {
		t.Fatalf("coverage %+v, want revision 1 of 3, not whole", cov)
	}
	if cov.Ranges != [2][2]int64{{0, sig.Ranges[1]}, {sig.Ranges[2], sig.Ranges[3]}} {
		t.Errorf("ranges %v", cov.Ranges)
	}
}

// FuzzCheckByteRange feeds arbitrary ByteRange values for a real signature:
// no panic, and whatever it accepts satisfies every rule.
func FuzzCheckByteRange(f *testing.F) {
	doc, sig := brSigned(f)
	r, err := attackgen.Open(doc)
	if err != nil {
		f.Fatal(err)
	}
	sd, err := r.Dict(sig.Dict)
	if err != nil {
		f.Fatal(err)
	}
	size := int64(len(doc))
	f.Add(sig.Ranges[0], sig.Ranges[1], sig.Ranges[2], sig.Ranges[3], sig.ObjectOffset)
	f.Add(int64(0), sig.Ranges[1]-1, sig.Ranges[2], sig.Ranges[3], int64(-1))
	f.Add(int64(0), size, int64(0), int64(0), int64(0))
	f.Add(int64(-1), int64(1)<<62, int64(1)<<62, int64(1)<<62, int64(1)<<62)
	f.Fuzz(func(t *testing.T, a, b, c, d, hint int64) {
		dict := sd.Clone()
		dict["ByteRange"] = pdf.Array{pdf.Int(a), pdf.Int(b), pdf.Int(c), pdf.Int(d)}
		cov, err := CheckByteRange(r, dict, hint)
		if err != nil {
			t.Fatal(err)
		}
		if len(cov.Problems) > 0 {
			return
		}
		contents := dict["Contents"].(pdf.String).Bytes
		if a != 0 || b < 0 || d < 0 || c != b+2*int64(len(contents))+2 || c+d > size || cov.Revision < 0 {
			t.Fatalf("accepted [%d %d %d %d] (hint %d): %+v", a, b, c, d, hint, cov)
		}
	})
}
