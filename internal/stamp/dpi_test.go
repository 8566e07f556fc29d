package stamp

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// memDoc is an in-memory document: objects by number, streams with their
// encoded data in Data.
type memDoc map[uint32]pdf.Object

func (d memDoc) Resolve(o pdf.Object) (pdf.Object, error) {
	for range 32 {
		r, ok := o.(pdf.Ref)
		if !ok {
			return o, nil
		}
		o = d[r.Num]
	}
	return nil, errors.New("reference loop")
}

func (d memDoc) StreamData(s *pdf.Stream) ([]byte, error) {
	if s.Dict["Filter"] == pdf.Name("FlateDecode") {
		zr, err := zlib.NewReader(bytes.NewReader(s.Data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	return s.Data, nil
}

func (d memDoc) RawStream(s *pdf.Stream) io.Reader { return bytes.NewReader(s.Data) }

func ref(n uint32) pdf.Ref { return pdf.Ref{Num: n} }

func content(s string) *pdf.Stream { return &pdf.Stream{Dict: pdf.Dict{}, Data: []byte(s)} }

func grayImage(w, h int) *pdf.Stream {
	return &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
		"Width": pdf.Int(w), "Height": pdf.Int(h), "ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8)}}
}

func openFixture(t testing.TB, name string) (*pdf.Reader, []pdf.Page) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := r.Pages()
	if err != nil {
		t.Fatal(err)
	}
	return r, pages
}

func TestPageDPIFixtures(t *testing.T) {
	tests := []struct {
		fixture  string
		lo, hi   float64
		hasImage bool
	}{
		{"scan200.pdf", 199.9, 200.3, true}, // 1654 x 2339 px on A4
		{"scan30.pdf", 29.8, 30.1, true},    // 248 x 350 px on A4
		{"simple.pdf", 0, 0, false},
		{"rotated.pdf", 0, 0, false},
	}
	for _, tc := range tests {
		r, pages := openFixture(t, tc.fixture)
		dpi, has, err := PageDPI(context.Background(), r, pages[0])
		if err != nil {
			t.Fatalf("%s: %v", tc.fixture, err)
		}
		if has != tc.hasImage || has && (dpi < tc.lo || dpi > tc.hi) {
			t.Errorf("%s: dpi %g, images %v; want %g..%g, %v", tc.fixture, dpi, has, tc.lo, tc.hi, tc.hasImage)
		}
	}
}

func TestPageDPISynthetic(t *testing.T) {
	a4 := pdf.Page{MediaBox: [4]float64{0, 0, 595, 842}, CropBox: [4]float64{0, 0, 595, 842}}
	// Unfiltered inline data is skipped by its length, even when it holds " EI ".
	inline := "q 595 0 0 842 0 0 cm BI /W 100 /H 140 /BPC 8 /CS /G ID\n" + strings.Repeat(" EI ", 3500) + "\nEI\n/Im Do Q"
	tests := []struct {
		name     string
		doc      memDoc
		page     pdf.Dict
		want     float64
		hasImage bool
	}{
		{"scan through two forms", memDoc{
			1: content("q 0.5 0 0 0.5 0 0 cm /Fm1 Do Q"),
			2: &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Form"), "Matrix": pdf.Array{pdf.Int(2), pdf.Int(0), pdf.Int(0), pdf.Int(2), pdf.Int(0), pdf.Int(0)},
				"Resources": pdf.Dict{"XObject": pdf.Dict{"Fm2": ref(4)}}}, Data: []byte("/Fm2 Do")},
			3: grayImage(1654, 2339),
			4: &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Form"), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im1": ref(3)}}},
				Data: []byte("q 595 0 0 842 0 0 cm /Im1 Do Q")},
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Fm1": ref(2)}}}, 200, true},
		{"image rotated by the CTM", memDoc{
			1: content("q 0 842 -595 0 595 0 cm /Im Do Q"),
			2: grayImage(2339, 1654),
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}}, 200, true},
		{"small logo ignored", memDoc{
			1: content("q 50 0 0 50 40 760 cm /Logo Do Q q 595 0 0 842 0 0 cm /Scan Do Q"),
			2: grayImage(20, 20),
			3: grayImage(2480, 3508),
		}, pdf.Dict{"Contents": pdf.Array{ref(1)}, "Resources": pdf.Dict{"XObject": pdf.Dict{"Logo": ref(2), "Scan": ref(3)}}}, 300, true},
		{"only a logo", memDoc{
			1: content("q 50 0 0 50 40 760 cm /Logo Do Q"),
			2: grayImage(20, 20),
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Logo": ref(2)}}}, 0, false},
		{"q/Q restore the CTM", memDoc{
			1: content("q 2 0 0 2 0 0 cm Q q 595 0 0 842 0 0 cm /Im Do Q"),
			2: grayImage(1654, 2339),
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}}, 200, true},
		{"inline image", memDoc{1: content(inline), 2: grayImage(1654, 2339)},
			pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}}, 100 / (595.0 / 72), true},
		{"form drawing itself", memDoc{
			1: content("/Fm Do"),
			2: &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Form"), "Resources": pdf.Dict{"XObject": pdf.Dict{"Fm": ref(2)}}}, Data: []byte("/Fm Do")},
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Fm": ref(2)}}}, 0, false},
		{"damaged content: images before the damage count", memDoc{
			1: content("q 595 0 0 842 0 0 cm /Im Do Q (unterminated /Im2 Do"),
			2: grayImage(1654, 2339),
			3: grayImage(10, 10),
		}, pdf.Dict{"Contents": ref(1), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im": ref(2), "Im2": ref(3)}}}, 200, true},
		{"missing resource", memDoc{1: content("q 595 0 0 842 0 0 cm /Nope Do Q")},
			pdf.Dict{"Contents": ref(1)}, 0, false},
		{"user unit 2", memDoc{
			1: content("q 595 0 0 842 0 0 cm /Im Do Q"),
			2: grayImage(1654, 2339),
		}, pdf.Dict{"Contents": ref(1), "UserUnit": pdf.Int(2), "Resources": pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}}, 100, true},
	}
	for _, tc := range tests {
		page := a4
		page.Dict = tc.page
		page.Resources, _ = tc.page["Resources"].(pdf.Dict)
		dpi, has, err := PageDPI(context.Background(), tc.doc, page)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if has != tc.hasImage || has && math.Abs(dpi-tc.want) > 0.5 {
			t.Errorf("%s: dpi %g images %v, want %g %v", tc.name, dpi, has, tc.want, tc.hasImage)
		}
	}
}

func TestScanOps(t *testing.T) {
	type call struct {
		op   string
		nums int
		name string
	}
	tests := []struct {
		in      string
		want    []call
		wantErr bool
	}{
		{"q 1 0 0 1 5 5 cm /Im0 Do Q", []call{{"q", 0, ""}, {"cm", 6, ""}, {"Do", 0, "Im0"}, {"Q", 0, ""}}, false},
		{"BT (a\\) (b) c) Tj [(x) 5 <41>] TJ ET % comment /X Do\n/Y Do",
			[]call{{"BT", 0, ""}, {"Tj", 0, ""}, {"TJ", 1, ""}, {"ET", 0, ""}, {"Do", 0, "Y"}}, false},
		{"/P <</MCID 0>> BDC EMC", []call{{"BDC", 1, "MCID"}, {"EMC", 0, ""}}, false},
		{"BI /W 2 /H 1 /BPC 8 /CS /G ID \x01\x02 EI /Z Do", []call{{"BI", 0, ""}, {"Do", 0, "Z"}}, false},
		{"BI /W 4 /H 1 /F /AHx ID 0a0b0c0d> EI 1 w", []call{{"BI", 0, ""}, {"w", 1, ""}}, false},
		{"(unterminated", nil, true},
		{"BI /W 2 ID \x00\x00", nil, true},
		{") Tj > /X Do", []call{{"Tj", 0, ""}, {"Do", 0, "X"}}, false},
	}
	for _, tc := range tests {
		var got []call
		err := scanOps([]byte(tc.in), func(op string, args []operand, inline pdf.Dict) bool {
			c := call{op: op}
			for _, a := range args {
				if a.isNum {
					c.nums++
				}
				if a.name != "" {
					c.name = a.name
				}
			}
			got = append(got, c)
			return true
		})
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if tc.wantErr {
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: calls %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: call %d = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

// FuzzPageImages runs the content-stream scanner over untrusted content,
// inside a page that can reach an image and a form that draws itself.
func FuzzPageImages(f *testing.F) {
	seeds := []string{
		"q 595 0 0 842 0 0 cm /Im1 Do Q",
		"q 0.5 0 0 0.5 0 0 cm /Fm Do Q",
		"BT /F1 12 Tf (Hello \\(world\\)) Tj [(a) -20 (b)] TJ ET",
		"BI /W 4 /H 4 /BPC 8 /CS /G ID \x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f EI",
		"BI /W 1 /H 1 /F /Fl /DP <</Predictor 15>> ID xx EI Q",
		"/OC /P <</MCID 3 /Alt (x)>> BDC q Q EMC % end",
		"q q q 1 2 3 4 5 6 cm Q Q Q Q Q",
		"<414243> Tj <<>> [[[ ]]] { }",
	}
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc := memDoc{
			1: &pdf.Stream{Dict: pdf.Dict{}, Data: data},
			2: grayImage(100, 100),
			3: &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Form"), "Resources": pdf.Dict{"XObject": pdf.Dict{"Fm": ref(3), "Im1": ref(2)}}}, Data: data},
		}
		page := pdf.Page{Dict: pdf.Dict{"Contents": ref(1)}, MediaBox: [4]float64{0, 0, 595, 842},
			Resources: pdf.Dict{"XObject": pdf.Dict{"Im1": ref(2), "Fm": ref(3)}}}
		ps, err := pageImages(context.Background(), doc, page.Dict, page.Resources)
		if err == nil && len(ps) > maxPlacements {
			t.Fatalf("%d placements, over the bound", len(ps))
		}
		PageDPI(context.Background(), doc, page)
	})
}

// An inline image's dictionary keeps only the keys the image finder reads:
// a content stream within MaxDecoded whose one inline image has millions
// of keys must not cost hundreds of megabytes.
func TestInlineImageKeepsOnlyKnownKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString("BI /W 2 /H 1 /BPC 8 /CS /G /F [/AHx] ")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, "/k%x %d /Decode [0 1] ", i, i)
	}
	b.WriteString("ID 0a0b> EI")
	var got pdf.Dict
	if err := scanOps([]byte(b.String()), func(op string, args []operand, inline pdf.Dict) bool {
		if op == "BI" {
			got = inline
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := pdf.Dict{"W": pdf.Real(2), "H": pdf.Real(1), "BPC": pdf.Real(8), "CS": pdf.Name("G"), "F": pdf.Name("AHx")}
	if len(got) != len(want) {
		t.Fatalf("inline dictionary %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("/%s = %v, want %v", k, got[k], v)
		}
	}
}
