package verify

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
)

// pdfWithSigDict builds a one-page PDF whose signature field's value is the
// object body given, so that fuzzing reaches the signature dictionary
// parser, the byte range checks and the CMS parser through Verify.
func pdfWithSigDict(body []byte) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n", len(offs))
		b.Write(s)
		b.WriteString("\nendobj\n")
	}
	b.WriteString("%PDF-1.7\n")
	obj([]byte("<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[4 0 R]/SigFlags 3>>>>"))
	obj([]byte("<</Type/Pages/Kids[3 0 R]/Count 1>>"))
	obj([]byte("<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Annots[4 0 R]>>"))
	obj([]byte("<</FT/Sig/T(Sig1)/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/P 3 0 R/V 5 0 R>>"))
	obj(body)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

var sigDictSeeds = []string{
	"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 10 30 20]/Contents<3082>/M(D:20250102030405+07'00')>>",
	"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange 6 0 R/Contents<00>>>",
	"<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161/ByteRange[0 1 2 3]/Contents()>>",
	"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.x509.rsa_sha1/Cert[<3082> (x)]/ByteRange[0 -1 2 3]/Contents<0401FF>>>",
	"<</Type/Sig/SubFilter/adbe.pkcs7.sha1/Reference[<</TransformMethod/DocMDP/TransformParams<</P 9>>>>]/Contents<30>/ByteRange[0 0 0 0]>>",
	"<</Type/Sig/Filter/X/SubFilter/adbe.pkcs7.detached/Reference[<</TransformMethod/FieldMDP/TransformParams<</Action/Include/Fields[(a)]>>>>]/Name<FEFF0041>/Reason<EFBBBF41>>>",
	"<</Contents<308006092A864886F70D010702A0803080020101>>/ByteRange[0 0 0 0]/SubFilter/adbe.pkcs7.detached/Filter/F>>",
	"null",
	"[1 2 3]",
	"<</Type/Sig/ByteRange[0 99999999999 99999999999 99999999999]/Contents<FF>/SubFilter/ETSI.RFC3161>>",
}

func FuzzSigDict(f *testing.F) {
	for _, s := range sigDictSeeds {
		f.Add([]byte(s))
	}
	store := fuzzStore(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		doc := pdfWithSigDict(body)
		checkNoCrash(t, doc, Options{Trust: store})
	})
}

// FuzzVerify mutates whole documents: every parser on the way (xref,
// objects, streams, CMS, timestamps, DSS) meets hostile bytes.
func FuzzVerify(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*.pdf"))
	seeds = append(seeds, filepath.Join("..", "testdata", "pdf", "pdfsign-certified-xrefstream.pdf"))
	n := 0
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err == nil && len(b) < 64<<10 {
			f.Add(b)
			n++
		}
	}
	if n == 0 {
		f.Fatal("no seeds")
	}
	store := fuzzStore(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkNoCrash(t, doc, Options{Trust: store})
	})
}

// fuzzStore anchors the interop root of testdata: loading it costs nothing,
// where a test PKI would make every fuzz worker generate keys.
func fuzzStore(f testing.TB) *trust.Store {
	st, err := trust.Load([]string{filepath.Join("..", "testdata", "pdf", "interop-root.pem")})
	if err != nil {
		f.Fatal(err)
	}
	return st
}

// checkNoCrash verifies doc and fails on a recovered panic or an error.
func checkNoCrash(t *testing.T, doc []byte, o Options) {
	t.Helper()
	o.Fetcher = &revocation.Fetcher{Offline: true}
	o.At = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	rep, err := Verify(context.Background(), bytes.NewReader(doc), int64(len(doc)), o)
	if err != nil {
		t.Fatalf("Verify error on in-memory input: %v", err)
	}
	for _, e := range rep.Errors {
		if strings.HasPrefix(e, "internal error") {
			t.Fatal(e)
		}
	}
	if rep.Status == "" {
		t.Fatal("no verdict")
	}
}

func FuzzPDFDate(f *testing.F) {
	for _, s := range []string{"D:20250102030405+07'00'", "D:2025", "20250102", "D:20250102030405Z", "D:20251302", "D:2025010203-05'30", "D:199912311259590+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parsePDFDate(s)
		if err == nil && (tm.Year() < 0 || tm.Year() > 9999) {
			t.Fatalf("%q: year %d", s, tm.Year())
		}
	})
}

func TestParsePDFDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"D:20250305093045+07'00'", time.Date(2025, 3, 5, 2, 30, 45, 0, time.UTC), true},
		{"D:20250305093045Z", time.Date(2025, 3, 5, 9, 30, 45, 0, time.UTC), true},
		{"D:20250305093045Z00'00'", time.Date(2025, 3, 5, 9, 30, 45, 0, time.UTC), true},
		{"D:2025", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"20250305", time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC), true},
		{"D:20250305093045-05'30'", time.Date(2025, 3, 5, 15, 0, 45, 0, time.UTC), true},
		{"D:20250230", time.Time{}, false},
		{"D:20251301", time.Time{}, false},
		{"D:2025030509304", time.Time{}, false},
		{"D:20250305093045+7", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := parsePDFDate(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("parsePDFDate(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestTextString(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte("Hoa Dong"), "Hoa Dong"},
		{[]byte{0xFE, 0xFF, 0x00, 0x48, 0x00, 0xF2, 0x00, 0x61}, "Hòa"},
		{append([]byte{0xEF, 0xBB, 0xBF}, "Đông"...), "Đông"},
		{[]byte{0x90, 'a', 0x95}, "’aŁ"},
		{[]byte("a\x1bb\nc"), "a˙b c"}, // 0x1B is a dot accent in PDFDocEncoding
		{[]byte{0xFE, 0xFF, 0x00, 0x1B, 0x00, '[', 0x00, '2', 0x00, 'J'}, "[2J"},
	}
	for _, tc := range tests {
		if got := textString(tc.in); got != tc.want {
			t.Errorf("textString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSigDictProblems(t *testing.T) {
	tests := []struct {
		body    string
		problem string // "" = none expected among the dictionary's problems
	}{
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents<00>>>", ""},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]>>", "no /Contents"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents(abc)>>", "literal string"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents 6 0 R>>", "indirect"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents<>>>", "empty"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/ByteRange[0 1 2 3]/Contents<00>>>", "no /SubFilter"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.x509.rsa_sha2/ByteRange[0 1 2 3]/Contents<00>>>", "unsupported /SubFilter"},
		{"<</Type/Signature/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents<00>>>", "/Type is /Signature"},
		{"<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents<00>>>", "/Type /DocTimeStamp with"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.x509.rsa_sha1/ByteRange[0 1 2 3]/Contents<00>>>", "without a /Cert"},
		{"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 1 2 3]/Contents<00>/Reference[<</TransformMethod/DocMDP/TransformParams<</P 4>>>>]>>", "DocMDP permission"},
	}
	for _, tc := range tests {
		doc := pdfWithSigDict([]byte(tc.body))
		r := mustReader(t, doc)
		o, err := r.Get(pdfRef(5))
		if err != nil {
			t.Fatal(err)
		}
		d, _ := r.Dict(o)
		s := parseSigDict(r, d)
		if tc.problem == "" {
			if len(s.Problems) != 0 {
				t.Errorf("%s: problems %q", tc.body, s.Problems)
			}
			continue
		}
		mustContain(t, tc.body, s.Problems, tc.problem)
	}
}

func TestOrphanSignatureDict(t *testing.T) {
	doc := pdfWithSigDict([]byte("<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/adbe.pkcs7.detached/ByteRange[0 10 20 30]/Contents<3082>>>"))
	doc = bytes.Replace(doc, []byte("/V 5 0 R"), []byte("/V 9 0 R"), 1)
	rep := verifyBytes(t, doc, Options{Trust: fuzzStore(t)})
	if len(rep.Signatures) != 1 || rep.Status != Invalid {
		t.Fatalf("status %s, signatures %+v", rep.Status, rep.Signatures)
	}
	mustContain(t, "warnings", rep.Signatures[0].Warnings, "no signature field refers")
}
