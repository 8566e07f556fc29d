package stamp

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/testtool"

	"github.com/kyso-project/kyso/internal/pdf"
)

var signTime = time.Date(2025, 3, 5, 2, 30, 45, 0, time.UTC) // 09:30:45 in Vietnam

// stampFile appends a signature field whose widget shows the stamp on the
// first page of the fixture, as kyso sign does, and returns the new file.
func stampFile(t testing.TB, fixture string, o Options, po PlaceOptions) []byte {
	t.Helper()
	return updateFile(t, fixture, func(r *pdf.Reader, page pdf.Page, u *pdf.Update) (Widget, error) {
		return Build(context.Background(), r, page, u, o, po)
	})
}

// updateFile adds the widget mk makes to page 1 of the fixture in an
// incremental update.
func updateFile(t testing.TB, fixture string, mk func(*pdf.Reader, pdf.Page, *pdf.Update) (Widget, error)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", fixture))
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
	u := pdf.NewUpdate(r)
	wd, err := mk(r, pages[0], u)
	if err != nil {
		t.Fatal(err)
	}
	addWidget(t, r, u, pages[0], wd)
	var out bytes.Buffer
	out.Write(data)
	if _, err := u.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// addWidget adds a signature field with the widget's appearance. Its /V is
// a placeholder signature: MuPDF draws its own "sign here" mark over
// unsigned signature fields instead of their appearance.
func addWidget(t testing.TB, r *pdf.Reader, u *pdf.Update, page pdf.Page, wd Widget) {
	t.Helper()
	rect := pdf.Array{}
	for _, v := range wd.Rect {
		rect = append(rect, pdf.Real(v))
	}
	field := u.Add(pdf.Dict{
		"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"),
		"T": pdf.Str("Signature1"), "Rect": rect, "F": pdf.Int(132), "P": page.Ref,
		"AP": pdf.Dict{"N": wd.AP},
		"V": u.Add(pdf.Dict{"Type": pdf.Name("Sig"), "Filter": pdf.Name("Adobe.PPKLite"), "SubFilter": pdf.Name("ETSI.CAdES.detached"),
			"ByteRange": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, "Contents": pdf.String{Bytes: make([]byte, 8), Hex: true}}),
	})
	pd := page.Dict.Clone()
	annots, _ := r.Array(pd["Annots"])
	pd["Annots"] = append(append(pdf.Array{}, annots...), field)
	u.Set(page.Ref, pd)
	cat, err := r.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	cat = cat.Clone()
	cat["AcroForm"] = pdf.Dict{"Fields": pdf.Array{field}, "SigFlags": pdf.Int(1)}
	u.Set(r.RootRef(), cat)
}

func need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		testtool.Need(t, tool)
	}
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return string(out) + stderr.String()
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var wordRE = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
var pageRE = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)"`)

type word struct {
	x1, y1, x2, y2 float64
	text           string
}

// words extracts page 1's words with their boxes (top-left origin, as
// displayed) using pdftotext -bbox.
func words(t testing.TB, path string) (pw, ph float64, ws []word) {
	t.Helper()
	h := run(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", path, "-")
	m := pageRE.FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no page in pdftotext -bbox output:\n%s", h)
	}
	pw, _ = strconv.ParseFloat(m[1], 64)
	ph, _ = strconv.ParseFloat(m[2], 64)
	for _, m := range wordRE.FindAllStringSubmatch(h, -1) {
		var w word
		for i, p := range []*float64{&w.x1, &w.y1, &w.x2, &w.y2} {
			*p, _ = strconv.ParseFloat(m[i+1], 64)
		}
		w.text = m[5]
		ws = append(ws, w)
	}
	return pw, ph, ws
}

func TestStampExternalTools(t *testing.T) {
	need(t, "pdftotext", "pdffonts", "pdftoppm", "mutool", "qpdf")
	tests := []struct {
		fixture string
		o       Options
		want    []string
	}{
		{"scan200.pdf", Options{Agency: "UBND xã Hòa Đông", Time: signTime},
			[]string{"SAO Y", "UBND xã Hòa Đông", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
		{"simple.pdf", Options{CopyForm: "TRÍCH SAO", Agency: "UBND huyện Krông Pắc", Time: signTime},
			[]string{"TRÍCH SAO", "UBND huyện Krông Pắc", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
		{"rotated.pdf", Options{CopyForm: "SAO LỤC", Agency: "Nguyễn Thị Ánh Tuyết", Time: signTime},
			[]string{"SAO LỤC", "Nguyễn Thị Ánh Tuyết", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
		{"xrefstream.pdf", Options{Agency: "Trường THCS Lê Quý Đôn, phường Ngũ Hành Sơn, thành phố Đà Nẵng — văn thư", Time: signTime},
			[]string{"SAO Y", "Trường THCS Lê Quý Đôn", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.fixture, func(t *testing.T) {
			path := writeTemp(t, "out.pdf", stampFile(t, tc.fixture, tc.o, PlaceOptions{}))
			text := run(t, "pdftotext", "-f", "1", "-l", "1", path, "-")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext output lacks %q:\n%s", w, text)
				}
			}
			fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", path)), "\n")[2:]
			found := false
			for _, l := range fonts {
				f := strings.Fields(l)
				if strings.Contains(l, "CID TrueType") {
					found = true
					if f[len(f)-5] != "yes" || f[len(f)-4] != "yes" || f[len(f)-3] != "yes" {
						t.Errorf("stamp font not embedded+subset+ToUnicode: %q", l)
					}
				}
			}
			if !found {
				t.Errorf("no CID TrueType font in pdffonts output: %q", fonts)
			}
			run(t, "qpdf", "--check", path)
			// Rendered by poppler and by MuPDF, the page changes only in
			// the top-right corner, as displayed.
			orig := filepath.Join("testdata", tc.fixture)
			var boxes [][4]float64
			for _, render := range []func(in, out string) string{
				func(in, out string) string {
					return run(t, "pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", "-singlefile", in, strings.TrimSuffix(out, ".png"))
				},
				func(in, out string) string { return run(t, "mutool", "draw", "-q", "-r", "40", "-o", out, in, "1") },
			} {
				before, after := filepath.Join(t.TempDir(), "before.png"), filepath.Join(t.TempDir(), "after.png")
				render(orig, before)
				if out := render(path, after); strings.Contains(strings.ToLower(out), "error") {
					t.Errorf("render: %s", out)
				}
				box, changed := diffBox(t, before, after)
				if !changed || box[0] < 0.45 || box[3] > 0.3 {
					t.Errorf("rendering changed in %v (fractions x0 y0 x1 y1 from the top left), want only the top right", box)
				}
				boxes = append(boxes, box)
			}
			// Both draw the same thing: our appearance, not a viewer's own.
			for i := range boxes[0] {
				if math.Abs(boxes[0][i]-boxes[1][i]) > 0.03 {
					t.Errorf("poppler changed %v, MuPDF %v", boxes[0], boxes[1])
					break
				}
			}

			// The copy form reads upright, in the top-right corner, as displayed.
			pw, ph, ws := words(t, path)
			first := strings.Fields(tc.want[0])[0]
			var got *word
			for i := range ws {
				if ws[i].text == first {
					got = &ws[i]
					break
				}
			}
			if got == nil {
				t.Fatalf("no word %q in pdftotext -bbox output", first)
			}
			if got.x1 < pw/2 || got.y2 > ph*0.25 {
				t.Errorf("%q at %v on a %gx%g page: want top right", first, *got, pw, ph)
			}
			if got.x2-got.x1 < got.y2-got.y1 {
				t.Errorf("%q box %v is taller than wide: not upright", first, *got)
			}
		})
	}
}

// diffBox returns where two renderings of a page differ, as fractions of
// the page from its top-left corner.
func diffBox(t testing.TB, a, b string) (box [4]float64, changed bool) {
	t.Helper()
	load := func(p string) image.Image {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		im, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return im
	}
	ia, ib := load(a), load(b)
	r := ia.Bounds()
	if r != ib.Bounds() {
		t.Fatalf("renderings differ in size: %v %v", r, ib.Bounds())
	}
	x0, y0, x1, y1 := r.Max.X, r.Max.Y, -1, -1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := ia.At(x, y).RGBA()
			r2, g2, b2, _ := ib.At(x, y).RGBA()
			d := func(p, q uint32) bool { return p>>8 > q>>8+40 || q>>8 > p>>8+40 }
			if d(r1, r2) || d(g1, g2) || d(b1, b2) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return box, false
	}
	w, h := float64(r.Dx()), float64(r.Dy())
	return [4]float64{float64(x0) / w, float64(y0) / h, float64(x1) / w, float64(y1) / h}, true
}
