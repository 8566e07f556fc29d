package stamp

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/pdf"
)

// displayedRect is a region of the page as displayed, in fractions of its
// width and height from the top-left corner.
type displayedRect struct{ x1, y1, x2, y2 float64 }

// scanDoc builds a page holding one full-page scan image whose dark
// regions are given as displayed, encoded as enc says.
func scanDoc(t *testing.T, rot int, w, h int, enc string, dark ...displayedRect) (memDoc, pdf.Page) {
	t.Helper()
	g := PageGeom{MediaBox: [4]float64{0, 0, 595, 842}, Rotate: rot}
	pw, ph := g.Displayed()
	isDark := func(i, j int) bool {
		u, v := (float64(i)+0.5)/float64(w)*595, (1-(float64(j)+0.5)/float64(h))*842
		dx, dy := g.toDisplayed(u, v)
		fx, fy := dx/pw, 1-dy/ph
		for _, d := range dark {
			if fx >= d.x1 && fx < d.x2 && fy >= d.y1 && fy < d.y2 {
				return true
			}
		}
		return false
	}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	for j := range h {
		for i := range w {
			gray.Pix[j*w+i] = 240
			if isDark(i, j) {
				gray.Pix[j*w+i] = 30
			}
		}
	}
	im := grayImage(w, h)
	var data []byte
	switch enc {
	case "raw":
		data = gray.Pix
	case "flate":
		im.Dict["Filter"] = pdf.Name("FlateDecode")
		data = deflate(gray.Pix)
	case "rgb-png-up":
		im.Dict["ColorSpace"] = pdf.Name("DeviceRGB")
		im.Dict["Filter"] = pdf.Array{pdf.Name("FlateDecode")}
		im.Dict["DecodeParms"] = pdf.Array{pdf.Dict{"Predictor": pdf.Int(12), "Colors": pdf.Int(3), "Columns": pdf.Int(w)}}
		var rows []byte
		prev := make([]byte, 3*w)
		for j := range h {
			rows = append(rows, 2) // PNG Up
			for i := range 3 * w {
				v := gray.Pix[j*w+i/3]
				rows = append(rows, v-prev[i])
				prev[i] = v
			}
		}
		data = deflate(rows)
	case "dct":
		im.Dict["Filter"] = pdf.Name("DCTDecode")
		var b bytes.Buffer
		if err := jpeg.Encode(&b, gray, &jpeg.Options{Quality: 75}); err != nil {
			t.Fatal(err)
		}
		data = b.Bytes()
	case "mask-inverted":
		im.Dict = pdf.Dict{"Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h), "ImageMask": pdf.Bool(true),
			"Decode": pdf.Array{pdf.Int(1), pdf.Int(0)}, "Filter": pdf.Name("FlateDecode")}
		stride := (w + 7) / 8
		bits := make([]byte, stride*h)
		for j := range h {
			for i := range w {
				if isDark(i, j) { // with Decode [1 0], 1 paints
					bits[j*stride+i/8] |= 0x80 >> (i % 8)
				}
			}
		}
		data = deflate(bits)
	case "indexed":
		im.Dict["ColorSpace"] = pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceRGB"), pdf.Int(1), pdf.Str("\x00\x00\x00\xff\xff\xff")}
		data = gray.Pix
	default:
		t.Fatalf("unknown encoding %s", enc)
	}
	im.Data = data
	doc := memDoc{1: content("q 595 0 0 842 0 0 cm /Im Do Q"), 2: im}
	res := pdf.Dict{"XObject": pdf.Dict{"Im": ref(2)}}
	return doc, pdf.Page{Ref: ref(9), Dict: pdf.Dict{"Contents": ref(1), "Resources": res}, Resources: res,
		MediaBox: g.MediaBox, CropBox: g.MediaBox, Rotate: rot}
}

func TestStampFindsBlankSpace(t *testing.T) {
	topRight := displayedRect{0.5, 0, 1, 0.1}    // header text where the stamp goes
	topBand := displayedRect{0, 0, 1, 0.3}       // a letterhead across the top
	body := displayedRect{0.05, 0.35, 0.95, 0.9} // the body text
	everything := displayedRect{0, 0, 1, 1}      // a black page
	tests := []struct {
		name                 string
		rot                  int
		enc                  string
		dark                 []displayedRect
		wantMoved, wantOver  bool
		wantTopBand, wantTop bool // stays in the top quarter / top half
	}{
		{"blank top right stays", 0, "flate", []displayedRect{body}, false, false, true, true},
		{"header in the way", 0, "flate", []displayedRect{topRight, body}, true, false, true, true},
		{"header, raw samples", 0, "raw", []displayedRect{topRight}, true, false, true, true},
		{"header, RGB with PNG predictor", 0, "rgb-png-up", []displayedRect{topRight}, true, false, true, true},
		{"header, JPEG", 0, "dct", []displayedRect{topRight}, true, false, true, true},
		{"header, inverted image mask", 0, "mask-inverted", []displayedRect{topRight}, true, false, true, true},
		{"header on a page rotated 90", 90, "flate", []displayedRect{topRight}, true, false, true, true},
		{"header on a page rotated 270", 270, "rgb-png-up", []displayedRect{topRight}, true, false, true, true},
		{"letterhead: below it", 0, "flate", []displayedRect{topBand}, true, false, false, true},
		{"black page: overlaps", 0, "flate", []displayedRect{everything}, false, true, true, true},
		{"palette image: not examined", 0, "indexed", []displayedRect{topRight}, false, false, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, page := scanDoc(t, tc.rot, 413, 584, tc.enc, tc.dark...)
			var objs objects
			wd, err := Build(context.Background(), doc, page, &objs, Options{Agency: "UBND xã Hòa Đông", Time: signTime}, PlaceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if wd.Moved != tc.wantMoved || wd.Overlaps != tc.wantOver {
				t.Fatalf("moved %v overlaps %v, want %v %v", wd.Moved, wd.Overlaps, tc.wantMoved, tc.wantOver)
			}
			// A scan kyso does not decode is said to be unexamined, with
			// what it is made of; every other scan is examined.
			if examined := tc.enc != "indexed"; examined != (wd.Unexamined == "") {
				t.Errorf("unexamined %q for a %s scan", wd.Unexamined, tc.enc)
			} else if !examined && !strings.Contains(wd.Unexamined, "Indexed") {
				t.Errorf("unexamined %q does not name the palette", wd.Unexamined)
			}
			g := GeomOf(page)
			pw, ph := g.Displayed()
			x1, y1 := g.toDisplayed(wd.Rect[0], wd.Rect[1])
			x2, y2 := g.toDisplayed(wd.Rect[2], wd.Rect[3])
			box := displayedRect{min(x1, x2) / pw, 1 - max(y1, y2)/ph, max(x1, x2) / pw, 1 - min(y1, y2)/ph}
			if !wd.Overlaps && tc.enc != "indexed" {
				for _, d := range tc.dark {
					if box.x1 < d.x2 && d.x1 < box.x2 && box.y1 < d.y2 && d.y1 < box.y2 {
						t.Errorf("stamp %v covers dark region %v", box, d)
					}
				}
			}
			if tc.wantTopBand && box.y2 > 0.25+1e-9 {
				t.Errorf("stamp %v not in the top quarter", box)
			}
			if tc.wantTop && box.y2 > 0.5 {
				t.Errorf("stamp %v not in the top half", box)
			}
			if !near((box.x2-box.x1)*pw, 75*mm) || !near((box.y2-box.y1)*ph, 16*mm) {
				t.Errorf("stamp box resized: %v", box)
			}
		})
	}
}

func TestStampManualRectSkipsSearch(t *testing.T) {
	doc, page := scanDoc(t, 0, 100, 140, "flate", displayedRect{0, 0, 1, 1})
	var objs objects
	want := [4]float64{10, 20, 210, 70}
	wd, err := Build(context.Background(), doc, page, &objs, Options{Time: signTime}, PlaceOptions{Rect: &want})
	if err != nil {
		t.Fatal(err)
	}
	if wd.Rect != want || wd.Moved || wd.Overlaps {
		t.Errorf("widget %+v, want rect %v untouched", wd, want)
	}
}

func TestStampScan200NotMoved(t *testing.T) {
	r, pages := openFixture(t, "scan200.pdf")
	ink, err := pageInk(context.Background(), r, pages[0], GeomOf(pages[0]).DefaultRect(PlaceOptions{}))
	if err != nil || ink == nil {
		t.Fatalf("ink map: %v %v", ink, err)
	}
	g := GeomOf(pages[0])
	if n := ink.inked(g.DefaultRect(PlaceOptions{}), 0); n != 0 {
		t.Errorf("default box covers %d ink cells on the 200 dpi scan (its top band is blank)", n)
	}
	// Only the band of the default box was decoded: nothing below it.
	if n := ink.inked([4]float64{0, 0, 595, 842 - 400*842/2339.0}, 0); n != 0 {
		t.Errorf("the band decode mapped %d ink cells far below the default box", n)
	}
	// Decoded whole, the bars of the scan are found: rows 300-2000 px from the top.
	ink, err = pageInk(context.Background(), r, pages[0], [4]float64{})
	if err != nil || ink == nil {
		t.Fatalf("ink map: %v %v", ink, err)
	}
	if n := ink.inked([4]float64{0, 842 - 2000*842/2339.0, 595, 842 - 300*842/2339.0}, 0); n == 0 {
		t.Error("no ink found in the scan's text area")
	}
}

// TestJPEGTopMatchesWhole decodes the top rows of the 200 dpi scan's JPEG
// through a shortened frame header and finds the same ink there as the
// whole decode does.
func TestJPEGTopMatchesWhole(t *testing.T) {
	r, pages := openFixture(t, "scan200.pdf")
	ps, err := pageImages(context.Background(), r, pages[0].Dict, pages[0].Resources)
	if err != nil || len(ps) == 0 {
		t.Fatalf("images: %v", err)
	}
	g := GeomOf(pages[0])
	best := ps[0]
	for _, p := range ps {
		if p.area() > best.area() {
			best = p
		}
	}
	whole, part := newInkMap(595, 842), newInkMap(595, 842)
	if w, err := whole.paint(context.Background(), r, best, g, math.Inf(-1)); err != nil || !w {
		t.Fatalf("whole decode: %v %v", w, err)
	}
	yMin := 842 * 0.5
	if w, err := part.paint(context.Background(), r, best, g, yMin); err != nil || w {
		t.Fatalf("top decode: whole=%v %v", w, err)
	}
	whole.summarise()
	part.summarise()
	top := [4]float64{0, yMin + 2, 595, 842}
	if a, b := whole.inked(top, 0), part.inked(top, 0); a != b || a == 0 {
		t.Errorf("top half: %d ink cells decoded whole, %d decoded alone (want equal, non-zero)", a, b)
	}
	if n := part.inked([4]float64{0, 0, 595, yMin - 10}, 0); n != 0 {
		t.Errorf("the top decode mapped %d cells below its band", n)
	}
}

func TestPageInkCancelled(t *testing.T) {
	doc, page := scanDoc(t, 0, 100, 140, "flate")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var objs objects
	if _, err := Build(ctx, doc, page, &objs, Options{Time: signTime}, PlaceOptions{}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func BenchmarkPageInk200dpi(b *testing.B) {
	r, pages := openFixture(b, "scan200.pdf")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pageInk(context.Background(), r, pages[0], GeomOf(pages[0]).DefaultRect(PlaceOptions{})); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzScanImage decodes untrusted image data and parameters into the ink
// map.
func FuzzScanImage(f *testing.F) {
	f.Add(deflate(bytes.Repeat([]byte{0, 255}, 64)), uint16(16), uint16(8), uint8(0), uint8(0))
	f.Add(deflate([]byte{2, 1, 2, 3, 2, 4, 5, 6}), uint16(1), uint16(2), uint8(1), uint8(12))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xd9}, uint16(1), uint16(1), uint8(2), uint8(0))
	f.Add([]byte{0xaa, 0x55}, uint16(8), uint16(2), uint8(3), uint8(0))
	if g4, err := os.ReadFile(filepath.Join("testdata", "scanccitt.g4")); err == nil {
		f.Add(g4, uint16(827), uint16(1169), uint8(4), uint8(0))
	}
	f.Add([]byte{0x26, 0xa0, 0x00, 0x10, 0x01}, uint16(8), uint16(4), uint8(4), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, w, h uint16, kind, pred uint8) {
		im := grayImage(int(w), int(h))
		switch kind % 5 {
		case 0:
			im.Dict["Filter"] = pdf.Name("FlateDecode")
		case 1:
			im.Dict["Filter"] = pdf.Name("FlateDecode")
			im.Dict["ColorSpace"] = pdf.Name("DeviceRGB")
			im.Dict["DecodeParms"] = pdf.Dict{"Predictor": pdf.Int(pred), "Colors": pdf.Int(3), "Columns": pdf.Int(w)}
		case 2:
			im.Dict["Filter"] = pdf.Name("DCTDecode")
		case 3:
			im.Dict["BitsPerComponent"] = pdf.Int(1)
		case 4:
			im.Dict["BitsPerComponent"] = pdf.Int(1)
			im.Dict["Filter"] = pdf.Name("CCITTFaxDecode")
			im.Dict["DecodeParms"] = pdf.Dict{"K": pdf.Int(-1), "Columns": pdf.Int(w),
				"BlackIs1": pdf.Bool(pred&1 != 0), "EncodedByteAlign": pdf.Bool(pred&2 != 0)}
		}
		im.Data = data
		doc := memDoc{2: im}
		m := newInkMap(595, 842)
		p := placement{m: matrix{595, 0, 0, 842, 0, 0}, width: int(w), height: int(h), image: im}
		if _, err := m.paint(context.Background(), doc, p, PageGeom{MediaBox: [4]float64{0, 0, 595, 842}}, math.Inf(-1)); err == nil {
			m.summarise()
			m.findBlank([4]float64{300, 700, 500, 800}, 595, 842)
		}
	})
}

// TestStampCCITTScan: a black-and-white scan in CCITT Group 4 (as scanners
// write them; testdata/scanccitt.pdf) is examined like any other: its
// header block, where the stamp would go, is seen and the stamp moves
// below it, clear of the body text. BlackIs1 turns the samples over.
func TestStampCCITTScan(t *testing.T) {
	r, pages := openFixture(t, "scanccitt.pdf")
	page := pages[0]
	// The fixture's page is A4 (595 x 842): the header block spans 2%-8%
	// of the height from the top, the text lines 35%-90%, with a blank
	// band between them.
	y := func(fromTop float64) float64 { return 842 * (1 - fromTop) }
	header := [4]float64{0.6 * 595, y(0.075), 0.9 * 595, y(0.025)}
	gap := [4]float64{0, y(0.3), 595, y(0.12)}
	body := [4]float64{0.1 * 595, y(0.85), 0.9 * 595, y(0.4)}
	ink, err := pageInk(context.Background(), r, page, [4]float64{})
	if err != nil || ink == nil {
		t.Fatalf("ink map: %v %v", ink, err)
	}
	if ink.inked(header, 0) == 0 || ink.inked(body, 0) == 0 {
		t.Errorf("header %d, body %d ink cells: want both inked", ink.inked(header, 0), ink.inked(body, 0))
	}
	if n := ink.inked(gap, 0); n != 0 {
		t.Errorf("the blank band has %d ink cells", n)
	}

	var objs objects
	wd, err := Build(context.Background(), r, page, &objs, Options{Time: signTime}, PlaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !wd.Moved || wd.Overlaps {
		t.Fatalf("moved %v overlaps %v: want moved off the header", wd.Moved, wd.Overlaps)
	}
	for _, d := range [][4]float64{header, body} {
		if wd.Rect[0] < d[2] && d[0] < wd.Rect[2] && wd.Rect[1] < d[3] && d[1] < wd.Rect[3] {
			t.Errorf("stamp %v covers %v", wd.Rect, d)
		}
	}

	// The same coded rows with BlackIs1: what was white is ink.
	ps, err := pageImages(context.Background(), r, page.Dict, page.Resources)
	if err != nil || len(ps) != 1 {
		t.Fatalf("images: %d %v", len(ps), err)
	}
	raw, err := io.ReadAll(r.RawStream(ps[0].image))
	if err != nil {
		t.Fatal(err)
	}
	im := &pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Image"), "Width": pdf.Int(827), "Height": pdf.Int(1169),
		"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(1), "Filter": pdf.Name("CCITTFaxDecode"),
		"DecodeParms": pdf.Dict{"K": pdf.Int(-1), "Columns": pdf.Int(827), "BlackIs1": pdf.Bool(true)}}, Data: raw}
	inv := newInkMap(595, 842)
	p := ps[0]
	p.image = im
	if _, err := inv.paint(context.Background(), memDoc{2: im}, p, GeomOf(page), math.Inf(-1)); err != nil {
		t.Fatal(err)
	}
	inv.summarise()
	if inv.inked(gap, 0) == 0 {
		t.Error("BlackIs1: the band blank in the scan should be ink")
	}

	// Group 3 (K >= 0) is not examined: no map, the stamp keeps its place.
	im.Dict["DecodeParms"] = pdf.Dict{"K": pdf.Int(0), "Columns": pdf.Int(827)}
	if _, err := readImageFormat(memDoc{2: im}, im, p); !errors.Is(err, errUnsupportedImage) {
		t.Errorf("Group 3: %v, want not examined", err)
	}
}
