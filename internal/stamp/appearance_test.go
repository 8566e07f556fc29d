package stamp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

var (
	tfRE = regexp.MustCompile(`/F1 ([\d.]+) Tf`)
	tjRE = regexp.MustCompile(`<([0-9A-F]*)> Tj`)
)

// drawn returns the font size and the lines (as glyph ids) an appearance
// stream shows.
func drawn(t *testing.T, content []byte) (float64, [][]uint16) {
	t.Helper()
	m := tfRE.FindSubmatch(content)
	if m == nil {
		t.Fatalf("no Tf in %s", content)
	}
	size, _ := strconv.ParseFloat(string(m[1]), 64)
	var lines [][]uint16
	for _, m := range tjRE.FindAllSubmatch(content, -1) {
		b, _ := hex.DecodeString(string(m[1]))
		var l []uint16
		for i := 0; i+1 < len(b); i += 2 {
			l = append(l, uint16(b[i])<<8|uint16(b[i+1]))
		}
		lines = append(lines, l)
	}
	return size, lines
}

func TestAppearanceFits(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	long := "Ủy ban nhân dân xã Hòa Đông, huyện Krông Pắc, tỉnh Đắk Lắk (Bộ phận tiếp nhận và trả kết quả)"
	tests := []struct {
		name      string
		agency    string
		w, h      float64
		wantSize  float64 // exact, or 0 for "less than 10"
		wantLines int     // minimum
		wantErr   bool
	}{
		{"default box", "UBND xã Hòa Đông", 75 * mm, 16 * mm, 10, 3, false},
		{"long name wraps", long, 75 * mm, 30 * mm, 10, 4, false},
		{"long name in the default box shrinks", long, 75 * mm, 16 * mm, 0, 4, false},
		{"a single long word shrinks", "Ủybannhândânxã" + strings.Repeat("Đông", 20), 75 * mm, 16 * mm, 0, 3, false},
		{"too small", long, 20, 10, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var objs objects
			ref, err := Appearance(&objs, Options{Agency: tc.agency, Time: signTime}, tc.w, tc.h, 0)
			if tc.wantErr {
				if err == nil || fail.KindOf(err) != fail.KindUsage || !strings.Contains(err.Error(), "too small") {
					t.Fatalf("err = %v, want a usage error: too small", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			form := objs.get(ref).(*pdf.Stream)
			size, lines := drawn(t, contentOf(t, form))
			if tc.wantSize != 0 && size != tc.wantSize || tc.wantSize == 0 && size >= 10 {
				t.Errorf("font size %g, want %g (0: shrunk)", size, tc.wantSize)
			}
			if len(lines) < tc.wantLines {
				t.Errorf("%d lines, want at least %d", len(lines), tc.wantLines)
			}
			for _, l := range lines {
				if w := f.advance(l) * size / 1000; w > tc.w-2*pad+1e-9 {
					t.Errorf("line %v is %g pt wide in a %g pt box: clipped", l, w, tc.w)
				}
			}
			lineH := size * (f.ascent - f.descent + f.lineGap) / f.upem
			if float64(len(lines)-1)*lineH+size*(f.ascent-f.descent)/f.upem > tc.h-2*pad+1e-9 {
				t.Errorf("%d lines at %g pt do not fit %g pt height", len(lines), size, tc.h)
			}
			bbox := form.Dict["BBox"].(pdf.Array)
			if bbox[2] != pdf.Real(tc.w) || bbox[3] != pdf.Real(tc.h) {
				t.Errorf("BBox %v", bbox)
			}
		})
	}
}

func TestAppearanceText(t *testing.T) {
	f, _ := defaultFont()
	glyphText := func(l []uint16, used map[uint16]rune) string {
		var b strings.Builder
		for _, g := range l {
			b.WriteRune(used[g])
		}
		return b.String()
	}
	tests := []struct {
		o    Options
		want []string
	}{
		{Options{Agency: "UBND xã Hòa Đông", Time: signTime}, []string{"SAO Y", "UBND xã Hòa Đông", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
		{Options{CopyForm: CopyFormSaoLuc, Agency: " Sở Tư pháp\t", Time: signTime.In(time.FixedZone("X", -5*3600))},
			[]string{"SAO LỤC", "Sở Tư pháp", "Thời gian ký: 05/03/2025 09:30:45 +07:00"}},
		{Options{Time: signTime, TimeFormat: "2006-01-02T15:04:05-07:00"}, []string{"SAO Y", "2025-03-05T09:30:45+07:00"}},
	}
	for _, tc := range tests {
		var objs objects
		ref, err := Appearance(&objs, tc.o, 75*mm, 16*mm, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, lines := drawn(t, contentOf(t, objs.get(ref).(*pdf.Stream)))
		used := map[uint16]rune{}
		for _, w := range tc.want {
			for k, v := range usedGlyphs(t, f, w) {
				used[k] = v
			}
		}
		var got []string
		for _, l := range lines {
			got = append(got, glyphText(l, used))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("lines %q, want %q", got, tc.want)
		}
	}
	var objs objects
	if _, err := Appearance(&objs, Options{Agency: "x"}, 100, 50, 0); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("no time: err = %v, want a usage error", err)
	}
	if _, err := Appearance(&objs, Options{Agency: "x", Time: signTime}, 0, 50, 0); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("zero width: err = %v, want a usage error", err)
	}
}

func writePNG(t testing.TB, dir, name string, w, h int, c color.NRGBA, ppm uint32) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			// A disc on a transparent background.
			dx, dy := float64(x-w/2)/float64(w/2), float64(y-h/2)/float64(h/2)
			if dx*dx+dy*dy < 1 {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	if ppm > 0 { // insert a pHYs chunk after IHDR
		chunk := []byte{0, 0, 0, 9, 'p', 'H', 'Y', 's', byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm), byte(ppm >> 24), byte(ppm >> 16), byte(ppm >> 8), byte(ppm), 1}
		chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
		data = append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAppearanceImages(t *testing.T) {
	dir := t.TempDir()
	sig := writePNG(t, dir, "sig.png", 300, 120, color.NRGBA{0, 0, 200, 255}, 0)
	// 472 px at 11811 px/m (300 dpi) is 40 mm: bigger than the box, so it is scaled to its height.
	seal := writePNG(t, dir, "seal.png", 472, 472, color.NRGBA{220, 0, 0, 255}, 11811)
	if x, _, ok := pngPHYs(must(os.ReadFile(seal))); !ok || x != 11811 {
		t.Fatalf("pHYs not found in the test PNG")
	}
	var objs objects
	ref, err := Appearance(&objs, Options{Agency: "UBND xã Hòa Đông", Time: signTime, SignatureImage: sig, SealImage: seal}, 120*mm, 45*mm, 0)
	if err != nil {
		t.Fatal(err)
	}
	form := objs.get(ref).(*pdf.Stream)
	xo := form.Dict["Resources"].(pdf.Dict)["XObject"].(pdf.Dict)
	for _, name := range []pdf.Name{"Sig", "Seal"} {
		im := objs.get(xo[name].(pdf.Ref)).(*pdf.Stream)
		if im.Dict["SMask"] == nil {
			t.Errorf("%s has no soft mask: transparency lost", name)
		}
		if im.Dict["ColorSpace"] != pdf.Name("DeviceRGB") {
			t.Errorf("%s colour space %v", name, im.Dict["ColorSpace"])
		}
	}
	// The seal is drawn after (over) the signature, centred on its left third.
	s := string(contentOf(t, form))
	si, ki := strings.Index(s, "/Sig Do"), strings.Index(s, "/Seal Do")
	if si < 0 || ki < si {
		t.Errorf("want the seal drawn over the signature:\n%s", s)
	}
	var sw, sh, sx, sy, kw, kh, kx, ky float64
	for _, l := range strings.Split(s, "\n") {
		if strings.HasSuffix(l, "/Sig Do Q") {
			parseCM(t, l, &sw, &sh, &sx, &sy)
		}
		if strings.HasSuffix(l, "/Seal Do Q") {
			parseCM(t, l, &kw, &kh, &kx, &ky)
		}
	}
	if c := kx + kw/2; c < sx || c > sx+sw/3+1e-6 {
		t.Errorf("seal centre %g not over the signature's left third [%g, %g]", c, sx, sx+sw/3)
	}
	if kh > 45*mm+1e-6 || ky < -1e-6 {
		t.Errorf("seal %gx%g at y %g outside the box", kw, kh, ky)
	}
	// Text starts right of the images.
	if m := regexp.MustCompile(`TL ([\d.]+) `).FindStringSubmatch(s); m == nil || must(strconv.ParseFloat(m[1], 64)) < sx+sw {
		t.Errorf("text overlaps the images:\n%s", s)
	}

	if _, err := Appearance(&objs, Options{Time: signTime, SealImage: filepath.Join(dir, "none.png")}, 200, 100, 0); fail.KindOf(err) != fail.KindInput {
		t.Errorf("missing image: err = %v, want an input error", err)
	}
	notPNG := filepath.Join(dir, "x.png")
	os.WriteFile(notPNG, []byte("GIF89a"), 0o644)
	if _, err := Appearance(&objs, Options{Time: signTime, SignatureImage: notPNG}, 200, 100, 0); err == nil || !strings.Contains(err.Error(), "x.png") {
		t.Errorf("not a PNG: err = %v", err)
	}
}

func parseCM(t *testing.T, l string, w, h, x, y *float64) {
	t.Helper()
	f := strings.Fields(l)
	if len(f) < 8 || f[0] != "q" || f[7] != "cm" {
		t.Fatalf("unexpected image line %q", l)
	}
	*w, *h, *x, *y = must(strconv.ParseFloat(f[1], 64)), must(strconv.ParseFloat(f[4], 64)), must(strconv.ParseFloat(f[5], 64)), must(strconv.ParseFloat(f[6], 64))
}

func contentOf(t testing.TB, s *pdf.Stream) []byte {
	t.Helper()
	b, err := memDoc{}.StreamData(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func BenchmarkAppearance(b *testing.B) {
	if _, err := defaultFont(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var objs objects
		o := Options{Agency: "UBND xã Hòa Đông", Time: signTime.Add(time.Duration(i) * time.Second)}
		if _, err := Appearance(&objs, o, 75*mm, 16*mm, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// A batch stamps every file with the same images: each is decoded and
// compressed once, and read again only when the file changes.
func TestStampImagesReadOnce(t *testing.T) {
	dir := t.TempDir()
	seal := writePNG(t, dir, "seal.png", 40, 40, color.NRGBA{220, 0, 0, 255}, 0)
	a, err := readPNG(seal)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readPNG(seal)
	if err != nil || b != a {
		t.Fatalf("second read: %p %v, want the first image %p", b, err, a)
	}
	var o1, o2 objects
	r1, r2 := imageXObject(&o1, a), imageXObject(&o2, b)
	if s1, s2 := o1.get(r1).(*pdf.Stream), o2.get(r2).(*pdf.Stream); !bytes.Equal(s1.Data, s2.Data) || s1.Dict["Width"] != pdf.Int(40) {
		t.Errorf("the two documents' images differ")
	}
	writePNG(t, dir, "seal.png", 50, 30, color.NRGBA{0, 0, 200, 255}, 0)
	c, err := readPNG(seal)
	if err != nil || c == a || c.w != 50 || c.h != 30 {
		t.Errorf("after the file changed: %+v %v, want the new 50x30 image", c, err)
	}
}
