package stamp

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testScan draws a page-like image: white paper, dark bars of text and
// a few grey boxes, at w x h pixels.
func testScan(w, h int, seed uint64, rgb bool) image.Image {
	rng := rand.New(rand.NewPCG(seed, 7))
	var img interface {
		image.Image
		Set(x, y int, c color.Color)
	}
	if rgb {
		img = image.NewRGBA(image.Rect(0, 0, w, h))
	} else {
		img = image.NewGray(image.Rect(0, 0, w, h))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.Gray{Y: uint8(235 + rng.IntN(20))})
		}
	}
	for n := 0; n < 40; n++ {
		x0, y0 := rng.IntN(w), rng.IntN(h)
		x1, y1 := min(w, x0+3+rng.IntN(w/3)), min(h, y0+2+rng.IntN(12))
		g := uint8(rng.IntN(120))
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				if rgb {
					img.Set(x, y, color.RGBA{R: g, G: g / 2, B: 255 - g, A: 255})
				} else {
					img.Set(x, y, color.Gray{Y: g})
				}
			}
		}
	}
	return img
}

// blockMeans returns the mean luminance of each 8x8 block (sx x sy pixels)
// of a fully decoded JPEG: what the DC coefficients must give.
func blockMeans(t *testing.T, data []byte, sx, sy int) (means []float64, cols, rows int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	cols, rows = (b.Dx()+sx-1)/sx, (b.Dy()+sy-1)/sy
	means = make([]float64, cols*rows)
	for by := 0; by < rows; by++ {
		for bx := 0; bx < cols; bx++ {
			sum, n := 0.0, 0
			for y := by * sy; y < min(b.Dy(), (by+1)*sy); y++ {
				for x := bx * sx; x < min(b.Dx(), (bx+1)*sx); x++ {
					var l uint8
					switch im := img.(type) {
					case *image.Gray:
						l = im.GrayAt(x, y).Y
					case *image.YCbCr:
						l = im.YCbCrAt(x, y).Y
					}
					sum += float64(l)
					n++
				}
			}
			means[by*cols+bx] = sum / float64(n)
		}
	}
	return means, cols, rows
}

// TestJPEGDCMatchesFullDecode reads the block means of baseline JPEGs
// (grey, and colour with 4:2:0 chroma) from their DC coefficients and
// compares them with image/jpeg's full decode, block by block; whole blocks
// inside the image must agree within rounding.
func TestJPEGDCMatchesFullDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		rgb  bool
		w, h int
		q    int
	}{
		{"grey", false, 413, 290, 90},
		{"grey-q50", false, 640, 128, 50},
		{"colour-420", true, 333, 257, 85},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, testScan(tc.w, tc.h, 1, tc.rgb), &jpeg.Options{Quality: tc.q}); err != nil {
				t.Fatal(err)
			}
			dc, err := decodeJPEGDC(context.Background(), bytes.NewReader(buf.Bytes()), 0)
			if err != nil {
				t.Fatal(err)
			}
			if dc.sx != 8 || dc.sy != 8 {
				t.Fatalf("block size %gx%g, want 8x8 (luma is full resolution)", dc.sx, dc.sy)
			}
			want, cols, rows := blockMeans(t, buf.Bytes(), 8, 8)
			if dc.cols != cols || dc.rows != rows {
				t.Fatalf("DC grid %dx%d, want %dx%d", dc.cols, dc.rows, cols, rows)
			}
			bad := 0
			for by := 0; by < tc.h/8; by++ {
				for bx := 0; bx < tc.w/8; bx++ {
					got, w := float64(dc.lum[by*cols+bx]), want[by*cols+bx]
					if d := got - w; d > 3 || d < -3 {
						if bad < 5 {
							t.Errorf("block (%d,%d): DC mean %v, decoded mean %.1f", bx, by, got, w)
						}
						bad++
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d blocks differ", bad)
			}
			// the top rows alone: the same values, and fewer rows read
			top, err := decodeJPEGDC(context.Background(), bytes.NewReader(buf.Bytes()), 40)
			if err != nil {
				t.Fatal(err)
			}
			if top.rows*8 < 40 || top.rows >= rows {
				t.Errorf("top decode of 40 rows gave %d block rows of %d", top.rows, rows)
			}
			if !bytes.Equal(top.lum, dc.lum[:len(top.lum)]) {
				t.Error("top decode differs from the whole decode over the same rows")
			}
		})
	}
}

// TestJPEGDCGoTestdata reads the JPEGs of Go's own image/jpeg tests:
// baseline and progressive, every chroma subsampling, grey, a separate DC
// progression and restart intervals. Block means from the DC coefficients
// must match the full decode's. (Progressive files may code the DC in
// successive approximation, whose first scan drops the low bits: their
// tolerance is wider.)
func TestJPEGDCGoTestdata(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "image", "testdata")
	files, _ := filepath.Glob(filepath.Join(dir, "video-00[15]*.jpeg"))
	if len(files) < 10 {
		t.Fatalf("Go's image testdata not found in %s (%d files)", dir, len(files))
	}
	read := 0
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dc, err := decodeJPEGDC(context.Background(), bytes.NewReader(data), 0)
		switch {
		case strings.Contains(name, "truncated"):
			continue // what it reads of a cut file is not checked
		case strings.Contains(name, "cmyk"):
			continue // the ink map does not ask for CMYK
		case strings.Contains(name, "rgb"):
			if !errors.Is(err, errUnsupportedImage) {
				t.Errorf("%s: %v, want unsupported (red is not luminance)", name, err)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", name, err)
			continue
		}
		read++
		want, cols, rows := blockMeans(t, data, int(dc.sx), int(dc.sy))
		if dc.cols != cols || dc.rows != rows {
			t.Errorf("%s: DC grid %dx%d, want %dx%d", name, dc.cols, dc.rows, cols, rows)
			continue
		}
		tol, sum := 3.0, 0.0
		if strings.Contains(name, "progressive") {
			tol = 12
		}
		bad := 0
		img, _ := jpeg.Decode(bytes.NewReader(data))
		fullCols, fullRows := img.Bounds().Dx()/int(dc.sx), img.Bounds().Dy()/int(dc.sy)
		for by := 0; by < fullRows; by++ {
			for bx := 0; bx < fullCols; bx++ {
				d := math.Abs(float64(dc.lum[by*cols+bx]) - want[by*cols+bx])
				sum += d
				if d > tol {
					bad++
				}
			}
		}
		if mean := sum / float64(fullCols*fullRows); bad > 0 || mean > tol/2 {
			t.Errorf("%s: %d of %d blocks off by more than %g, mean difference %.2f", name, bad, fullCols*fullRows, tol, mean)
		}
	}
	if read < 10 {
		t.Errorf("only %d files read", read)
	}
}

// TestJPEGDCRefusesWhatItCannotRead: a damaged or non-JPEG stream is an
// error (the ink map then falls back to image/jpeg, which fails too), and
// a 12-bit or arithmetic-coded frame is reported as unsupported.
func TestJPEGDCRefusesWhatItCannotRead(t *testing.T) {
	if _, err := decodeJPEGDC(context.Background(), bytes.NewReader([]byte("not a jpeg")), 0); err == nil {
		t.Error("garbage: no error")
	}
	// SOI, then an arithmetic-coding SOF9
	arith := []byte{0xFF, 0xD8, 0xFF, 0xC9, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0}
	if _, err := decodeJPEGDC(context.Background(), bytes.NewReader(arith), 0); err == nil || !errorsIs(err, errUnsupportedImage) {
		t.Errorf("arithmetic coding: %v, want unsupported", err)
	}
}

func FuzzJPEGDC(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, testScan(64, 48, 2, true), &jpeg.Options{Quality: 75})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeJPEGDC(context.Background(), bytes.NewReader(data), 0)
		if err == nil && len(img.lum) != img.cols*img.rows {
			t.Fatalf("%d samples for %dx%d", len(img.lum), img.cols, img.rows)
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// TestJPEGDCStopsWhereDataEnds: a frame header promising a huge image over
// a few bytes of data is read only as far as the data goes, and a frame
// whose size disagrees with the PDF's is not read at all.
func TestJPEGDCStopsWhereDataEnds(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testScan(64, 64, 3, false), &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	i := bytes.Index(data, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	big := append([]byte(nil), data...)
	big[i+5], big[i+6], big[i+7], big[i+8] = 0xFF, 0xF0, 0xFF, 0xF0 // 65520 x 65520
	dc, err := decodeJPEGDC(context.Background(), bytes.NewReader(big), 0)
	if err != nil {
		t.Fatal(err)
	}
	if dc.rows > 16 {
		t.Errorf("read %d block rows of a 64-pixel-high scan's data", dc.rows)
	}
	if _, err := decodeJPEGDCSized(context.Background(), bytes.NewReader(data), 0, 65, 64); !errors.Is(err, errUnsupportedImage) {
		t.Errorf("size mismatch: %v, want unsupported", err)
	}
}
