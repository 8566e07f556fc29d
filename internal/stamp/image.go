package stamp

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"sync"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
)

// maxImagePixels bounds a signature or seal image; a seal at 600 dpi is
// about 1000 x 1000 pixels.
const maxImagePixels = 16 << 20

// pngImage is a PNG made ready for the stamp: its samples and alpha
// compressed as an image XObject's streams, with its physical size when
// the file says it. A batch stamps many files with the same images, so
// each is decoded and compressed once (imageCache) and its streams shared.
type pngImage struct {
	w, h       int
	gray       bool
	pix, alpha []byte  // deflated; alpha nil when the image is opaque
	widthMM    float64 // 0 when the PNG has no pHYs chunk in metres
	aspectWtoH float64
}

// imageCache holds the images read in this run, by path; an entry is
// read again when the file's size or time changes.
var imageCache = struct {
	sync.Mutex
	m map[string]*cachedImage
}{m: map[string]*cachedImage{}}

type cachedImage struct {
	once    sync.Once
	size    int64
	modTime int64
	img     *pngImage
	err     error
}

// maxCachedImages bounds the cache: a run uses one signature image and
// one seal.
const maxCachedImages = 8

func readPNG(path string) (*pngImage, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fail.Input(i18n.Errorf("stamp image: %v", err), "")
	}
	imageCache.Lock()
	c := imageCache.m[path]
	if c == nil || c.size != st.Size() || c.modTime != st.ModTime().UnixNano() {
		if len(imageCache.m) >= maxCachedImages {
			clear(imageCache.m)
		}
		c = &cachedImage{size: st.Size(), modTime: st.ModTime().UnixNano()}
		imageCache.m[path] = c
	}
	imageCache.Unlock()
	c.once.Do(func() { c.img, c.err = loadPNG(path) })
	return c.img, c.err
}

// loadPNG decodes a PNG and compresses its samples.
func loadPNG(path string) (*pngImage, error) {
	data, err := fileutil.ReadFile(path)
	if err != nil {
		return nil, fail.Input(i18n.Errorf("stamp image: %v", err), "")
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fail.Input(i18n.Errorf("stamp image %s: not a PNG: %v", path, err), "give a transparent PNG")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxImagePixels {
		return nil, fail.Inputf("stamp image %s: %dx%d pixels is too large", path, cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fail.Input(i18n.Errorf("stamp image %s: %v", path, err), "")
	}
	p := encodeImage(img)
	p.aspectWtoH = float64(cfg.Width) / float64(cfg.Height)
	if ppmX, _, ok := pngPHYs(data); ok {
		p.widthMM = float64(cfg.Width) / float64(ppmX) * 1000
	}
	return p, nil
}

// pngPHYs returns the pixels per metre a PNG declares, if it declares them
// in metres.
func pngPHYs(data []byte) (x, y uint32, ok bool) {
	if len(data) < 8 {
		return 0, 0, false
	}
	for p := 8; p+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || p+12+n > len(data) || typ == "IDAT" {
			return 0, 0, false
		}
		if typ == "pHYs" && n == 9 {
			d := data[p+8:]
			x, y = binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:])
			return x, y, d[8] == 1 && x > 0 && y > 0
		}
		p += 12 + n
	}
	return 0, 0, false
}

// encodeImage compresses img's samples (gray or RGB) and its alpha
// channel, dropped when the image is opaque.
func encodeImage(img image.Image) *pngImage {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := false
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		gray = true
	}
	ncomp := 3
	if gray {
		ncomp = 1
	}
	pix := make([]byte, 0, w*h*ncomp)
	alpha := make([]byte, 0, w*h)
	opaque := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if gray {
				pix = append(pix, c.R)
			} else {
				pix = append(pix, c.R, c.G, c.B)
			}
			alpha = append(alpha, c.A)
			opaque = opaque && c.A == 0xff
		}
	}
	p := &pngImage{w: w, h: h, gray: gray, pix: deflate(pix)}
	if !opaque {
		p.alpha = deflate(alpha)
	}
	return p
}

// imageXObject adds an image XObject for img, with its alpha channel as a
// soft mask when it has any transparency. The compressed streams are
// shared between documents, never written to.
func imageXObject(add ObjectAdder, img *pngImage) pdf.Ref {
	cs := pdf.Name("DeviceRGB")
	if img.gray {
		cs = "DeviceGray"
	}
	d := pdf.Dict{
		"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
		"Width": pdf.Int(img.w), "Height": pdf.Int(img.h),
		"ColorSpace": cs, "BitsPerComponent": pdf.Int(8),
		"Filter": pdf.Name("FlateDecode"),
	}
	if img.alpha != nil {
		d["SMask"] = add.Add(&pdf.Stream{Dict: pdf.Dict{
			"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
			"Width": pdf.Int(img.w), "Height": pdf.Int(img.h),
			"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8),
			"Filter": pdf.Name("FlateDecode"),
		}, Data: img.alpha})
	}
	return add.Add(&pdf.Stream{Dict: d, Data: img.pix})
}

// zlibWriters are reused: a new compressor allocates about 800 KB, which
// would dominate the cost of a stamp's few hundred bytes of content.
var zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}

func deflate(b []byte) []byte {
	var z bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	zw.Reset(&z)
	zw.Write(b)
	zw.Close()
	zlibWriters.Put(zw)
	return z.Bytes()
}

// drawImages draws the signature image, fitted into the left maxW x h of
// the box, and the seal over the left third of it (Decree 30/2020, Appendix
// I), at its real size when known but never larger than the box. It returns
// the XObject resources and how much width the images take.
func drawImages(add ObjectAdder, content io.Writer, o Options, maxW, h float64) (pdf.Dict, float64, error) {
	xobjs := pdf.Dict{}
	var sigX, sigW float64
	right := 0.0
	if o.SignatureImage != "" {
		sig, err := readPNG(o.SignatureImage)
		if err != nil {
			return nil, 0, err
		}
		sh := h
		sigW = sh * sig.aspectWtoH
		if sigW > maxW {
			sigW, sh = maxW, maxW/sig.aspectWtoH
		}
		xobjs["Sig"] = imageXObject(add, sig)
		fmt.Fprintf(content, "q %s 0 0 %s %s %s cm /Sig Do Q\n", num(sigW), num(sh), num(sigX), num((h-sh)/2))
		right = sigW
	}
	if o.SealImage != "" {
		seal, err := readPNG(o.SealImage)
		if err != nil {
			return nil, 0, err
		}
		var sw float64
		switch {
		case o.SealSize > 0:
			sw = o.SealSize * mm
		case seal.widthMM > 0:
			sw = seal.widthMM * mm
		default:
			sw = h * seal.aspectWtoH
		}
		sh := sw / seal.aspectWtoH
		if sh > h {
			sw, sh = h*seal.aspectWtoH, h
		}
		cx := sigX + sigW/6 // centre of the signature's left third
		if sigW == 0 {
			cx = sw / 2
		}
		x := math.Max(0, cx-sw/2)
		xobjs["Seal"] = imageXObject(add, seal)
		fmt.Fprintf(content, "q %s 0 0 %s %s %s cm /Seal Do Q\n", num(sw), num(sh), num(x), num((h-sh)/2))
		right = math.Max(right, x+sw)
	}
	return xobjs, right + pad, nil
}
