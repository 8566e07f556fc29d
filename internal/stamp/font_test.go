package stamp

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
)

// objects is an ObjectAdder that keeps what it is given.
type objects struct{ objs []pdf.Object }

func (o *objects) Add(obj pdf.Object) pdf.Ref {
	o.objs = append(o.objs, obj)
	return pdf.Ref{Num: uint32(len(o.objs))}
}

func (o *objects) get(r pdf.Ref) pdf.Object { return o.objs[r.Num-1] }

func usedGlyphs(t testing.TB, f *fontProgram, s string) map[uint16]rune {
	t.Helper()
	var b sfnt.Buffer
	gs, err := f.glyphs(&b, s)
	if err != nil {
		t.Fatal(err)
	}
	used := map[uint16]rune{}
	for i, r := range []rune(s) {
		used[gs[i]] = r
	}
	return used
}

func TestSubsetKeepsOutlines(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"SAO Y",
		"Nguyễn Thị Ánh Tuyết, UBND xã Hòa Đông, huyện Krông Pắc: ỗ ự ẵ ậ ờ ỹ Ỵ",
		"Thời gian ký: 0123456789/+:",
	} {
		t.Run(text, func(t *testing.T) {
			used := usedGlyphs(t, f, text)
			raw, err := f.subsetTTF(used)
			if err != nil {
				t.Fatal(err)
			}
			if got := checksum(raw); got != 0xB1B0AFBA {
				t.Errorf("font checksum %#x, want 0xB1B0AFBA", got)
			}
			n := int(binary.BigEndian.Uint16(raw[4:]))
			for i := range n {
				rec := raw[12+16*i:]
				off, ln := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
				if string(rec[:4]) != "head" && checksum(raw[off:off+ln]) != binary.BigEndian.Uint32(rec[4:]) {
					t.Errorf("table %q checksum mismatch", rec[:4])
				}
			}
			if len(raw) > len(liberationserifregular.TTF)/4 {
				t.Errorf("subset is %d bytes, the font %d: not much of a subset", len(raw), len(liberationserifregular.TTF))
			}
			sub, err := sfnt.Parse(raw)
			if err != nil {
				t.Fatalf("subset does not parse: %v", err)
			}
			var b1, b2 sfnt.Buffer
			ppem := fixed.I(1000)
			for g, r := range used {
				// The subset's cmap maps the character to the same glyph id.
				sg, err := sub.GlyphIndex(&b2, r)
				if err != nil || uint16(sg) != g {
					t.Errorf("subset maps %q to %d (%v), want %d", r, sg, err, g)
				}
				want, err := f.sf.LoadGlyph(&b1, sfnt.GlyphIndex(g), ppem, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := sub.LoadGlyph(&b2, sfnt.GlyphIndex(g), ppem, nil)
				if err != nil {
					t.Fatalf("glyph %d (%q) in subset: %v", g, r, err)
				}
				if !reflect.DeepEqual(want, got) {
					t.Errorf("glyph %d (%q) outline differs in the subset", g, r)
				}
				a1, _ := f.sf.GlyphAdvance(&b1, sfnt.GlyphIndex(g), ppem, 0)
				a2, _ := sub.GlyphAdvance(&b2, sfnt.GlyphIndex(g), ppem, 0)
				if a1 != a2 {
					t.Errorf("glyph %d advance %v, subset %v", g, a1, a2)
				}
			}
			// A glyph not asked for (and no component) is emptied.
			gw, _ := f.sf.GlyphIndex(&b1, 'W')
			if _, ok := used[uint16(gw)]; !ok && int(gw) < sub.NumGlyphs() {
				segs, err := sub.LoadGlyph(&b2, gw, ppem, nil)
				if err != nil || len(segs) != 0 {
					t.Errorf("unused glyph W kept %d segments (%v)", len(segs), err)
				}
			}
		})
	}
}

func TestCompositeComponentsKept(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	// Find a composite glyph among the Vietnamese letters.
	var b sfnt.Buffer
	found := false
	for _, r := range "ẫễỗữỹẪỄỖỮỸằặ" {
		g, _ := f.sf.GlyphIndex(&b, r)
		comps, err := components(f.glyph(uint16(g)))
		if err != nil {
			t.Fatal(err)
		}
		if len(comps) == 0 {
			continue
		}
		found = true
		raw, err := f.subsetTTF(map[uint16]rune{uint16(g): r})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := parseFont(raw, "subset")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range comps {
			if !bytes.Equal(sub.glyph(c), f.glyph(c)) {
				t.Errorf("%q: component glyph %d not kept", r, c)
			}
		}
	}
	if !found {
		t.Skip("no composite glyphs in the font's Vietnamese letters")
	}
}

func TestComponentsTruncated(t *testing.T) {
	g := []byte{0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x21, 0, 5} // MORE_COMPONENTS, cut short
	if _, err := components(g); err == nil {
		t.Error("truncated composite glyph accepted")
	}
}

func TestEmbedObjects(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	used := usedGlyphs(t, f, "Hòa Đông")
	var objs objects
	ref, err := f.embed(&objs, used)
	if err != nil {
		t.Fatal(err)
	}
	t0 := objs.get(ref).(pdf.Dict)
	if t0["Subtype"] != pdf.Name("Type0") || t0["Encoding"] != pdf.Name("Identity-H") {
		t.Errorf("Type0 font: %v", t0)
	}
	name := string(t0["BaseFont"].(pdf.Name))
	if len(name) < 8 || name[6] != '+' || strings.ToUpper(name[:6]) != name[:6] || !strings.HasSuffix(name, "LiberationSerif") {
		t.Errorf("BaseFont %q: want ABCDEF+LiberationSerif", name)
	}
	cid := objs.get(t0["DescendantFonts"].(pdf.Array)[0].(pdf.Ref)).(pdf.Dict)
	if cid["CIDToGIDMap"] != pdf.Name("Identity") || cid["Subtype"] != pdf.Name("CIDFontType2") {
		t.Errorf("CIDFont: %v", cid)
	}
	// /W lists every glyph used with its width.
	widths := map[int64]int64{}
	w := cid["W"].(pdf.Array)
	for i := 0; i+1 < len(w); i += 2 {
		first := int64(w[i].(pdf.Int))
		for j, v := range w[i+1].(pdf.Array) {
			widths[first+int64(j)] = int64(v.(pdf.Int))
		}
	}
	for g := range used {
		if widths[int64(g)] != int64(f.width(g)) || widths[int64(g)] == 0 {
			t.Errorf("glyph %d width %d, want %v", g, widths[int64(g)], f.width(g))
		}
	}
	desc := objs.get(cid["FontDescriptor"].(pdf.Ref)).(pdf.Dict)
	file := objs.get(desc["FontFile2"].(pdf.Ref)).(*pdf.Stream)
	zr, err := zlib.NewReader(bytes.NewReader(file.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(zr)
	if int64(len(raw)) != int64(file.Dict["Length1"].(pdf.Int)) {
		t.Errorf("Length1 %v, font program %d bytes", file.Dict["Length1"], len(raw))
	}
	cmap := string(objs.get(t0["ToUnicode"].(pdf.Ref)).(*pdf.Stream).Data)
	for g, r := range used {
		want := "<" + hex4(int(g)) + "> <" + hex4(int(r)) + ">"
		if !strings.Contains(cmap, want) {
			t.Errorf("ToUnicode lacks %s for %q", want, r)
		}
	}
	// The same glyph set reuses the cached subset (same name, same bytes).
	var objs2 objects
	ref2, _ := f.embed(&objs2, used)
	if objs2.get(ref2).(pdf.Dict)["BaseFont"] != t0["BaseFont"] {
		t.Error("same glyph set, different subset name")
	}
}

func hex4(v int) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12&15], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

func TestGlyphsMissing(t *testing.T) {
	f, err := defaultFont()
	if err != nil {
		t.Fatal(err)
	}
	var b sfnt.Buffer
	_, err = f.glyphs(&b, "Hòa 漢")
	if err == nil || !strings.Contains(err.Error(), "U+6F22") || fail.KindOf(err) != fail.KindInput {
		t.Errorf("missing glyph: err = %v", err)
	}
}

func TestFontFileOption(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "go.ttf")
	if err := os.WriteFile(good, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.ttf")
	if err := os.WriteFile(bad, []byte("not a font at all, not at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, layout string
		wantErr      string
	}{
		{good, "02/01/2006 15:04:05 -07:00", ""},
		// Go Regular has no Vietnamese letters: "Thời" must fail, not draw boxes.
		{good, "", "no glyph for 'ờ' (U+1EDD)"},
		{filepath.Join(dir, "missing.ttf"), "", "no such file"},
		{bad, "", "bad.ttf"},
	}
	for _, tc := range tests {
		var objs objects
		_, err := Appearance(&objs, Options{Agency: "Example Unit", Time: signTime, TimeFormat: tc.layout, FontFile: tc.path}, 200, 45, 0)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) || fail.KindOf(err) != fail.KindInput {
			t.Errorf("%s: err = %v, want an input error containing %q", tc.path, err, tc.wantErr)
		}
	}
	// Loading the same file again hits the cache.
	a, _ := loadFont(good)
	b, _ := loadFont(good)
	if a != b {
		t.Error("font file parsed twice")
	}
}

func TestNFCInput(t *testing.T) {
	nfd := norm.NFD.String("UBND xã Hòa Đông")
	if nfd == "UBND xã Hòa Đông" {
		t.Fatal("test string has no decomposition")
	}
	var o1, o2 objects
	if _, err := Appearance(&o1, Options{Agency: nfd, Time: signTime}, 212, 45, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := Appearance(&o2, Options{Agency: "UBND xã Hòa Đông", Time: signTime}, 212, 45, 0); err != nil {
		t.Fatal(err)
	}
	last := func(o objects) []byte { return o.objs[len(o.objs)-1].(*pdf.Stream).Data }
	if !bytes.Equal(last(o1), last(o2)) {
		t.Errorf("NFD and NFC agency names draw differently:\n%s\n%s", last(o1), last(o2))
	}
}

func TestParseFontErrors(t *testing.T) {
	trunc := liberationserifregular.TTF[:2000]
	for name, data := range map[string][]byte{"empty": nil, "truncated": trunc, "junk": []byte("OTTO and some more bytes")} {
		if _, err := parseFont(data, name); err == nil {
			t.Errorf("%s: parsed", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the font", name, err)
		}
	}
	if _, err := parseFont(goregular.TTF, "go"); err != nil {
		t.Errorf("Go Regular: %v", err)
	}
}

// FuzzFont parses and subsets an untrusted font file (--font).
func FuzzFont(f *testing.F) {
	// Seeds are small subsets: whole fonts make the fuzzer crawl.
	lib, err := defaultFont()
	if err != nil {
		f.Fatal(err)
	}
	small, err := lib.subsetTTF(usedGlyphs(f, lib, "SAO Y,"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add(small[:len(small)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		fp, err := parseFont(data, "fuzz")
		if err != nil {
			return
		}
		var b sfnt.Buffer
		used := map[uint16]rune{}
		for _, r := range "Aa0 ,ễ" {
			if g, err := fp.sf.GlyphIndex(&b, r); err == nil && g != 0 && int(g) < fp.numGlyphs {
				used[uint16(g)] = r
			}
		}
		used[uint16(fp.numGlyphs-1)] = 'z'
		if raw, err := fp.subsetTTF(used); err == nil {
			if _, err := sfnt.Parse(raw); err != nil {
				t.Logf("subset does not parse: %v", err) // the input may be broken in ways the subset keeps
			}
		}
	})
}

func FuzzPNGPHYs(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x09pHYs\x00\x00\x2e\x23\x00\x00\x2e\x23\x01\x00\x00\x00\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if x, y, ok := pngPHYs(data); ok && (x == 0 || y == 0) {
			t.Fatal("zero resolution reported")
		}
	})
}
