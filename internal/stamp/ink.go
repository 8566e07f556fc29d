package stamp

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"github.com/kyso-project/kyso/internal/i18n"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/ccitt"

	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/termsafe"
)

// PageReader is what placing a stamp on a scan needs from a PDF reader;
// *pdf.Reader satisfies it.
type PageReader interface {
	Resolver
	RawStream(s *pdf.Stream) io.Reader
}

// inkMap is a coarse map of where a page's scan is dark, on the page as
// displayed (origin bottom-left), in square cells of cell points.
type inkMap struct {
	cols, rows int
	cell       float64
	total      []uint32
	darkCount  []uint32
	sat        []int32 // summed-area table of dark cells, (rows+1) x (cols+1)
	// blockedCells are covered by existing signature widgets or stamps.
	blockedCells map[int]bool
}

// block marks the cells of a displayed rectangle as taken (by an existing
// signature's stamp), whatever the scan shows there.
func (m *inkMap) block(r [4]float64) {
	if m.blockedCells == nil {
		m.blockedCells = map[int]bool{}
	}
	clamp := func(v float64, hi int) int { return cellAt(v, 0, hi) }
	x1, y1 := clamp(math.Floor(r[0]/m.cell), m.cols), clamp(math.Floor(r[1]/m.cell), m.rows)
	x2, y2 := clamp(math.Ceil(r[2]/m.cell), m.cols), clamp(math.Ceil(r[3]/m.cell), m.rows)
	for y := y1; y < y2; y++ {
		for x := x1; x < x2; x++ {
			k := y*m.cols + x
			m.total[k] = max(m.total[k], 1)
			m.darkCount[k] = m.total[k]
			m.blockedCells[k] = true
		}
	}
}

// blocked says whether the displayed rectangle r touches a blocked cell.
func (m *inkMap) blocked(r [4]float64) bool {
	clamp := func(v float64, hi int) int { return cellAt(v, 0, hi) }
	x1, y1 := clamp(math.Floor(r[0]/m.cell), m.cols), clamp(math.Floor(r[1]/m.cell), m.rows)
	x2, y2 := clamp(math.Ceil(r[2]/m.cell), m.cols), clamp(math.Ceil(r[3]/m.cell), m.rows)
	for y := y1; y < y2; y++ {
		for x := x1; x < x2; x++ {
			if m.blockedCells[y*m.cols+x] {
				return true
			}
		}
	}
	return false
}

const (
	darkLevel    = 128      // luminance below which a pixel is ink
	maxJPEGPixel = 60 << 20 // JPEG scans are decoded whole: bound them
	// maxJPEGDecode bounds the memory image/jpeg may take for one scan the
	// DC reader does not read (jpegDecodeCost); a larger one is not
	// examined, and the stamp keeps its place.
	maxJPEGDecode = 64 << 20
	maxImageSide  = 1 << 17 // a 600 dpi scan 5.5 m long
	maxScanPixels = 1 << 30 // rows are decoded one at a time: a bound on time
	// maxCCITTPixels bounds a Group 4 scan: one bit codes a row that
	// repeats the row above, so a few kilobytes could ask for a billion
	// pixels (seconds of work). 64 Mi pixels is A3 at 600 dpi.
	maxCCITTPixels = 1 << 26
)

var errUnsupportedImage = errors.New("image encoding not examined")

// notExamined says the page's scan is one kyso does not decode; what
// describes it (its filters, colours and size).
type notExamined struct{ what string }

func (e *notExamined) Error() string { return "scan not examined: " + e.what }

// describeImage names what an image is made of, for a reader to see why
// it was not examined: "JBIG2Decode, DeviceGray, 1 bit; 2480 x 3508 pixels".
func describeImage(r Resolver, p placement) string {
	get := func(o pdf.Object) pdf.Object { v, _ := r.Resolve(o); return v }
	var parts []string
	d := p.image.Dict
	switch f := get(d.Get("Filter")).(type) {
	case pdf.Name:
		parts = append(parts, string(f))
	case pdf.Array:
		for i, n := range f {
			if nm, ok := get(n).(pdf.Name); ok && i < 4 {
				parts = append(parts, string(nm))
			}
		}
	}
	switch cs := get(d.Get("ColorSpace")).(type) {
	case pdf.Name:
		parts = append(parts, string(cs))
	case pdf.Array:
		if len(cs) > 0 {
			if nm, ok := get(cs[0]).(pdf.Name); ok {
				parts = append(parts, string(nm))
			}
		}
	}
	if b, ok := pdf.Number(get(d.Get("BitsPerComponent"))); ok && smallInt(b) >= 0 {
		parts = append(parts, i18n.Sprintf("%s bit", strconv.Itoa(smallInt(b))))
	}
	what := termsafe.String(strings.Join(parts, ", "))
	if len(what) > 120 {
		what = what[:120]
	}
	return i18n.Sprintf("%s; %s x %s pixels", what, strconv.Itoa(p.width), strconv.Itoa(p.height))
}

// cellAt converts a coordinate counted in cells to an index clamped to
// [lo, hi]. It compares in floating point first: converting a float
// beyond the range of int (or NaN) to int gives an implementation-defined
// value, which a hostile page's huge coordinates would turn into an index
// out of range. NaN gives lo.
func cellAt(f float64, lo, hi int) int {
	if !(f > float64(lo)) {
		return lo
	}
	if f >= float64(hi) {
		return hi
	}
	return int(f)
}

// newInkMap maps a displayed page of pw x ph points. The page's size comes
// from its checked boxes (pdf.CheckBox); a size that is not a positive
// finite number still gives a map of one cell, never a slice sized from
// it.
func newInkMap(pw, ph float64) *inkMap {
	if !(pw > 0 && pw <= 4*pdf.MaxCoordinate) {
		pw = 1
	}
	if !(ph > 0 && ph <= 4*pdf.MaxCoordinate) {
		ph = 1
	}
	cell := math.Max(mm, math.Max(pw, ph)/512)
	m := &inkMap{cols: cellAt(math.Ceil(pw/cell), 1, 513), rows: cellAt(math.Ceil(ph/cell), 1, 513), cell: cell}
	m.total = make([]uint32, m.cols*m.rows)
	m.darkCount = make([]uint32, m.cols*m.rows)
	return m
}

// pageInk maps the ink of the largest image on the page (the scan), or
// returns nil when the page has no such image or its encoding is one kyso
// does not decode (JBIG2, CCITT, JPX, palettes): the stamp then keeps its
// default place.
func pageInk(ctx context.Context, r PageReader, page pdf.Page, def [4]float64) (*inkMap, error) {
	ps, err := pageImages(ctx, r, page.Dict, page.Resources)
	if err != nil {
		return nil, err
	}
	g := GeomOf(page)
	box, _ := g.visible()
	var best *placement
	for i := range ps {
		p := &ps[i]
		if p.image != nil && p.area() >= minImageShare*(box[2]-box[0])*(box[3]-box[1]) && (best == nil || p.area() > best.area()) {
			best = p
		}
	}
	if best == nil {
		return nil, nil
	}
	pw, ph := g.Displayed()
	// Decode no more of the scan than the answer needs: first the band of
	// the default box; when that has ink, the top quarter the first search
	// looks in; only then the whole page. Most scans stop at the first.
	stages := []float64{math.Inf(-1)}
	if def[3] > def[1] {
		stages = []float64{def[1] - 3*mm, math.Max(3*mm, ph*0.75) - 3*mm, math.Inf(-1)}
	}
	for i, yMin := range stages {
		m := newInkMap(pw, ph)
		whole, err := m.paint(ctx, r, *best, g, yMin)
		if err != nil {
			if errors.Is(err, errUnsupportedImage) {
				return nil, &notExamined{what: describeImage(r, *best)}
			}
			return nil, err
		}
		m.summarise()
		if whole || m.inked(def, 0) == 0 {
			return m, nil
		}
		if i == 1 {
			if _, ok := m.search(def, pw, ph, math.Max(yMin+3*mm, ph*0.75)); ok {
				return m, nil
			}
		}
	}
	return nil, nil
}

// imageFormat is how the samples of an image XObject are laid out.
type imageFormat struct {
	width, height int
	comps, bpc    int
	invert        bool // a /Decode [1 0]: 0 is white
	filter        pdf.Name
	predictor     int
	// CCITTFaxDecode (Group 4 only): BlackIs1 and EncodedByteAlign.
	blackIs1, byteAlign bool
}

// smallInt is a number of an image dictionary as an int, or -1 when it is
// not a whole number from 0 to maxImageSide: converting a larger float to
// int gives an implementation-defined value.
func smallInt(n float64) int {
	if !(n >= 0 && n <= maxImageSide) || n != math.Trunc(n) {
		return -1
	}
	return int(n)
}

func readImageFormat(r Resolver, s *pdf.Stream, p placement) (imageFormat, error) {
	f := imageFormat{width: p.width, height: p.height, comps: 1, bpc: 8}
	if f.width > maxImageSide || f.height > maxImageSide || f.width*f.height > maxScanPixels {
		return f, errUnsupportedImage
	}
	get := func(k pdf.Name) pdf.Object { o, _ := r.Resolve(s.Dict.Get(k)); return o }
	if b, _ := get("ImageMask").(pdf.Bool); b {
		f.bpc = 1 // 0 paints (in the fill colour, taken to be dark), as gray 0 is black
	} else {
		if n, ok := pdf.Number(get("BitsPerComponent")); ok {
			f.bpc = smallInt(n)
		}
		switch cs := get("ColorSpace").(type) {
		case pdf.Name:
			switch cs {
			case "DeviceGray", "CalGray":
			case "DeviceRGB", "CalRGB":
				f.comps = 3
			case "DeviceCMYK":
				f.comps = 4
			default:
				return f, errUnsupportedImage
			}
		case pdf.Array:
			if len(cs) != 2 {
				return f, errUnsupportedImage
			}
			fam, _ := cs[0].(pdf.Name)
			switch fam {
			case "ICCBased":
				icc, _ := r.Resolve(cs[1])
				st, ok := icc.(*pdf.Stream)
				if !ok {
					return f, errUnsupportedImage
				}
				n, _ := pdf.Number(st.Dict.Get("N"))
				f.comps = smallInt(n)
			case "CalGray":
			case "CalRGB":
				f.comps = 3
			default:
				return f, errUnsupportedImage
			}
		default:
			if get("Filter") != pdf.Name("JPXDecode") {
				return f, errUnsupportedImage
			}
		}
	}
	if d, ok := get("Decode").(pdf.Array); ok && len(d) >= 2 {
		lo, _ := pdf.Number(d[0])
		hi, _ := pdf.Number(d[1])
		if lo > hi {
			f.invert = !f.invert
		}
	}
	if f.comps != 1 && f.comps != 3 && f.comps != 4 || f.bpc != 1 && f.bpc != 8 || (f.bpc == 1 && f.comps != 1) {
		return f, errUnsupportedImage
	}
	filters := get("Filter")
	parms := get("DecodeParms")
	if a, ok := filters.(pdf.Array); ok {
		if len(a) > 1 {
			return f, errUnsupportedImage
		}
		if len(a) == 1 {
			filters = a[0]
		} else {
			filters = nil
		}
		if pa, ok := parms.(pdf.Array); ok && len(pa) > 0 {
			parms, _ = r.Resolve(pa[0])
		}
	}
	switch filters {
	case nil:
	case pdf.Name("FlateDecode"), pdf.Name("Fl"):
		f.filter = "FlateDecode"
		if pd, ok := parms.(pdf.Dict); ok {
			pred, _ := pdf.Number(pd.Get("Predictor"))
			f.predictor = smallInt(pred)
			colors, bpc, cols := 1.0, 8.0, 1.0
			if v, ok := pdf.Number(pd.Get("Colors")); ok {
				colors = v
			}
			if v, ok := pdf.Number(pd.Get("BitsPerComponent")); ok {
				bpc = v
			}
			if v, ok := pdf.Number(pd.Get("Columns")); ok {
				cols = v
			}
			if f.predictor > 1 && (smallInt(colors) != f.comps || smallInt(bpc) != f.bpc || smallInt(cols) != f.width) {
				return f, errUnsupportedImage
			}
			if f.predictor == 2 && f.bpc != 8 {
				return f, errUnsupportedImage
			}
		}
	case pdf.Name("DCTDecode"), pdf.Name("DCT"):
		f.filter = "DCTDecode"
	case pdf.Name("CCITTFaxDecode"), pdf.Name("CCF"):
		// Black-and-white scans: Group 4 (K < 0), as scanners write
		// them. Group 3 (K >= 0) is not examined.
		if f.bpc != 1 || f.comps != 1 {
			return f, errUnsupportedImage
		}
		k, cols := 0.0, 1728.0 // ISO 32000-1, table 11
		pd, _ := parms.(pdf.Dict)
		param := func(key pdf.Name) pdf.Object { o, _ := r.Resolve(pd.Get(key)); return o }
		if n, ok := pdf.Number(param("K")); ok {
			k = n
		}
		if n, ok := pdf.Number(param("Columns")); ok {
			cols = n
		}
		if k >= 0 || smallInt(cols) != f.width || f.width*f.height > maxCCITTPixels {
			return f, errUnsupportedImage
		}
		f.filter = "CCITTFaxDecode"
		b, _ := param("BlackIs1").(pdf.Bool)
		a, _ := param("EncodedByteAlign").(pdf.Bool)
		f.blackIs1, f.byteAlign = bool(b), bool(a)
	default:
		return f, errUnsupportedImage
	}
	return f, nil
}

// paint decodes the image row by row, never holding it whole (except
// JPEG, which image/jpeg decodes at once), and counts ink per cell.
//
// Only the rows of the image that reach down to the displayed height yMin
// are decoded, when the image is upright on the page (rows run down the
// page); whole says the image was decoded to its last row.
func (m *inkMap) paint(ctx context.Context, r PageReader, p placement, g PageGeom, yMin float64) (whole bool, err error) {
	f, err := readImageFormat(r, p.image, p)
	if err != nil {
		return false, err
	}
	// Pixel (i, j), row 0 at the top of the image, maps affinely to the
	// displayed page: find the origin and the steps of i and j.
	disp := func(u, v float64) (float64, float64) {
		x, y := p.m.apply(u, v)
		return g.toDisplayed(x, y)
	}
	ox, oy := disp(0.5/float64(f.width), 1-0.5/float64(f.height))
	ix, iy := disp(1.5/float64(f.width), 1-0.5/float64(f.height))
	jx, jy := disp(0.5/float64(f.width), 1-1.5/float64(f.height))
	di := [2]float64{ix - ox, iy - oy}
	dj := [2]float64{jx - ox, jy - oy}
	rows := f.height
	if !math.IsInf(yMin, -1) && math.Abs(di[1]) < 1e-9 && dj[1] < 0 {
		if n := (oy-yMin)/(-dj[1]) + 2; n < float64(f.height) {
			rows = max(1, int(n))
		}
	}
	whole = rows == f.height
	// A cell spans many pixels of a full-resolution scan; every other
	// pixel of every other row keeps the dark share of each cell while
	// quartering the work. Past 5000 pixels a side (more than 600 dpi on
	// A4) the step grows so that about 2500 samples cross the image: an
	// image of a billion pixels then costs its inflating, not its pixels.
	step := 1
	if f.width >= 800 && f.height >= 800 {
		step = max(2, min(f.width, f.height)/2500)
	}
	row := func(j int, lum func(i int) uint8) {
		if j%step != 0 {
			return
		}
		x, y := ox+float64(j)*dj[0], oy+float64(j)*dj[1]
		inv := 1 / m.cell
		sx, sy := float64(step)*di[0], float64(step)*di[1]
		for i := 0; i < f.width; i += step {
			// compared as floats: a huge or NaN position is no cell
			if fx, fy := x*inv, y*inv; fx >= 0 && fy >= 0 && fx < float64(m.cols) && fy < float64(m.rows) {
				k := int(fy)*m.cols + int(fx)
				m.total[k]++
				if lum(i) < darkLevel {
					m.darkCount[k]++
				}
			}
			x += sx
			y += sy
		}
	}
	if f.filter == "DCTDecode" {
		maxRows := rows
		if whole {
			maxRows = 0
		}
		dc, err := decodeJPEGDCSized(ctx, r.RawStream(p.image), maxRows, f.width, f.height)
		switch {
		case err == nil && !dc.notLum && dc.cols > 0 && float64(dc.cols)*dc.sx >= float64(f.width) && float64(dc.cols-1)*dc.sx < float64(f.width):
			m.paintBlocks(dc, f, ox, oy, di, dj)
			return whole && float64(dc.rows)*dc.sy >= float64(f.height), nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		}
		// Not a JPEG the block reader handles: decode the top rows.
		return whole, m.paintJPEG(ctx, r, p.image, f, rows, row)
	}
	in := r.RawStream(p.image)
	switch f.filter {
	case "FlateDecode":
		zr, err := zlib.NewReader(bufio.NewReader(in))
		if err != nil {
			return false, i18n.Errorf("scan image: %v", err)
		}
		defer zr.Close()
		in = zr
	case "CCITTFaxDecode":
		// Rows come out packed, 0 for black unless BlackIs1 (then 1,
		// which Invert gives): the samples of a 1-bit gray image. The
		// decoder keeps two rows of width bytes; its work is bounded by
		// the coded bits and the rows read here.
		in = ccitt.NewReader(bufio.NewReader(in), ccitt.MSB, ccitt.Group4, f.width, f.height,
			&ccitt.Options{Align: f.byteAlign, Invert: f.blackIs1})
	}
	br := bufio.NewReaderSize(in, 64<<10)
	rowBytes := (f.width*f.comps*f.bpc + 7) / 8
	filterByte := 0
	if f.predictor >= 10 {
		filterByte = 1
	}
	bpp := max(1, f.comps*f.bpc/8)
	cur := make([]byte, rowBytes+filterByte)
	prev := make([]byte, rowBytes)
	for j := 0; j < rows; j++ {
		if j%64 == 0 && ctx.Err() != nil {
			return false, ctx.Err()
		}
		if _, err := io.ReadFull(br, cur); err != nil {
			if j > 0 && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
				return whole, nil // a short image: what was read still counts
			}
			return false, i18n.Errorf("scan image row %d: %v", j, err)
		}
		data := cur[filterByte:]
		switch {
		case f.predictor >= 10:
			if err := unfilterPNG(cur[0], data, prev, bpp); err != nil {
				return false, i18n.Errorf("scan image row %d: %v", j, err)
			}
		case f.predictor == 2:
			for i := f.comps; i < len(data); i++ {
				data[i] += data[i-f.comps]
			}
		}
		row(j, sampleLum(data, f))
		copy(prev, data)
	}
	return whole, nil
}

// paintBlocks counts the block means of a JPEG's first component into the
// cells each block covers. o is the displayed centre of pixel (0, 0), di
// and dj the displayed steps of one pixel across and down.
func (m *inkMap) paintBlocks(img *dcImage, f imageFormat, ox, oy float64, di, dj [2]float64) {
	dark := img.inkThreshold()
	inv := 1 / m.cell
	at := func(px, py float64) (float64, float64) {
		return ox + (px-0.5)*di[0] + (py-0.5)*dj[0], oy + (px-0.5)*di[1] + (py-0.5)*dj[1]
	}
	for by := 0; by < img.rows; by++ {
		for bx := 0; bx < img.cols; bx++ {
			v := img.lum[by*img.cols+bx]
			if f.invert {
				v = 255 - v
			}
			px0, py0 := float64(bx)*img.sx, float64(by)*img.sy
			px1, py1 := min(px0+img.sx, float64(f.width)), min(py0+img.sy, float64(f.height))
			if px1 <= px0 || py1 <= py0 {
				continue
			}
			x0, y0 := at(px0, py0)
			x1, y1 := at(px1, py1)
			cx0, cx1 := cellAt(math.Min(x0, x1)*inv, 0, m.cols), cellAt(math.Max(x0, x1)*inv-1e-9, -1, m.cols-1)
			cy0, cy1 := cellAt(math.Min(y0, y1)*inv, 0, m.rows), cellAt(math.Max(y0, y1)*inv-1e-9, -1, m.rows-1)
			for cy := cy0; cy <= cy1; cy++ {
				for cx := cx0; cx <= cx1; cx++ {
					k := cy*m.cols + cx
					m.total[k]++
					if v < dark {
						m.darkCount[k]++
					}
				}
			}
		}
	}
}

// sampleLum returns the luminance of pixel i of a row.
func sampleLum(data []byte, f imageFormat) func(i int) uint8 {
	inv := func(v uint8) uint8 {
		if f.invert {
			return 255 - v
		}
		return v
	}
	switch {
	case f.bpc == 1:
		return func(i int) uint8 {
			if data[i>>3]&(0x80>>(i&7)) != 0 {
				return inv(255)
			}
			return inv(0)
		}
	case f.comps == 3:
		return func(i int) uint8 {
			r, g, b := uint32(data[3*i]), uint32(data[3*i+1]), uint32(data[3*i+2])
			return inv(uint8((299*r + 587*g + 114*b) / 1000))
		}
	case f.comps == 4:
		return func(i int) uint8 {
			c := data[4*i : 4*i+4]
			k := (uint32(c[0])+uint32(c[1])+uint32(c[2]))/3 + uint32(c[3])
			return inv(uint8(255 - min(k, 255)))
		}
	}
	return func(i int) uint8 { return inv(data[i]) }
}

// unfilterPNG reverses one row's PNG predictor in place.
func unfilterPNG(ft byte, cur, prev []byte, bpp int) error {
	switch ft {
	case 0:
	case 1:
		for i := bpp; i < len(cur); i++ {
			cur[i] += cur[i-bpp]
		}
	case 2:
		for i := range cur {
			cur[i] += prev[i]
		}
	case 3:
		for i := range cur {
			var left byte
			if i >= bpp {
				left = cur[i-bpp]
			}
			cur[i] += byte((int(left) + int(prev[i])) / 2)
		}
	case 4:
		for i := range cur {
			var a, c byte
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			b := prev[i]
			pa, pb, pc := absInt(int(b)-int(c)), absInt(int(a)-int(c)), absInt(int(a)+int(b)-2*int(c))
			switch {
			case pa <= pb && pa <= pc:
				cur[i] += a
			case pb <= pc:
				cur[i] += b
			default:
				cur[i] += c
			}
		}
	default:
		return i18n.Errorf("bad PNG predictor %d", ft)
	}
	return nil
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (m *inkMap) paintJPEG(ctx context.Context, r PageReader, s *pdf.Stream, f imageFormat, rows int, row func(int, func(int) uint8)) error {
	cfg, err := jpeg.DecodeConfig(r.RawStream(s))
	if err != nil {
		return i18n.Errorf("scan image: %v", err)
	}
	if cfg.Width != f.width || cfg.Height != f.height || cfg.Width*cfg.Height > maxJPEGPixel {
		return errUnsupportedImage
	}
	progressive, comps, ok := jpegFrameInfo(r.RawStream(s))
	if !ok {
		return errUnsupportedImage
	}
	src := r.RawStream(s)
	if rows < f.height {
		// Decode only the top rows: the frame header says the image is
		// that tall, and the decoder skips the rest of the scan data.
		if top, ok := jpegTop(src, rows); ok {
			src = top
		} else {
			src, rows = r.RawStream(s), f.height
		}
	}
	if jpegDecodeCost(f.width, rows, comps, progressive) > maxJPEGDecode {
		return errUnsupportedImage
	}
	// image/jpeg's time goes with the blocks its scans cover, not with
	// the bytes: thousands of tiny scans are not examined (jpegscans.go).
	if work, _, _ := jpegScanWork(r.RawStream(s), rows, maxJPEGScanWork); work > maxJPEGScanWork {
		return errUnsupportedImage
	}
	img, err := jpeg.Decode(src)
	if err != nil {
		return i18n.Errorf("scan image: %v", err)
	}
	f.height = min(rows, img.Bounds().Dy())
	b := img.Bounds()
	for j := 0; j < f.height; j++ {
		if j%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		y := b.Min.Y + j
		switch im := img.(type) {
		case *image.Gray:
			px := im.Pix[j*im.Stride:]
			row(j, func(i int) uint8 { return px[i] })
		case *image.YCbCr:
			px := im.Y[j*im.YStride:]
			row(j, func(i int) uint8 { return px[i] })
		default:
			row(j, func(i int) uint8 {
				return color.GrayModel.Convert(img.At(b.Min.X+i, y)).(color.Gray).Y
			})
		}
	}
	return nil
}

// summarise marks cells where at least 1/32 of the samples are ink (a
// stroke, not a speck of scanner noise) and builds the summed-area table.
func (m *inkMap) summarise() {
	m.sat = make([]int32, (m.rows+1)*(m.cols+1))
	w := m.cols + 1
	for y := 0; y < m.rows; y++ {
		var run int32
		for x := 0; x < m.cols; x++ {
			k := y*m.cols + x
			if m.total[k] > 0 && m.darkCount[k]*32 >= m.total[k] {
				run++
			}
			m.sat[(y+1)*w+x+1] = m.sat[y*w+x+1] + run
		}
	}
}

// inked counts ink cells touching the displayed rectangle r grown by gap.
func (m *inkMap) inked(r [4]float64, gap float64) int32 {
	clamp := func(v float64, hi int) int { return cellAt(v, 0, hi) }
	x1 := clamp(math.Floor((r[0]-gap)/m.cell), m.cols)
	y1 := clamp(math.Floor((r[1]-gap)/m.cell), m.rows)
	x2 := clamp(math.Ceil((r[2]+gap)/m.cell), m.cols)
	y2 := clamp(math.Ceil((r[3]+gap)/m.cell), m.rows)
	w := m.cols + 1
	return m.sat[y2*w+x2] - m.sat[y1*w+x2] - m.sat[y2*w+x1] + m.sat[y1*w+x1]
}

// findBlank looks for a box the size of def that covers no ink, first in
// the top quarter of the page, then anywhere; among the candidates it
// takes the one nearest def, preferring to move sideways over moving down.
func (m *inkMap) findBlank(def [4]float64, pw, ph float64) ([4]float64, bool) {
	const margin = 3 * mm
	if r, ok := m.search(def, pw, ph, math.Max(margin, ph*0.75)); ok {
		return r, true
	}
	return m.search(def, pw, ph, margin)
}

// search is findBlank over boxes whose bottom is at minY1 or above.
func (m *inkMap) search(def [4]float64, pw, ph, minY1 float64) ([4]float64, bool) {
	const gap = 1 * mm
	const margin = 3 * mm
	w, h := def[2]-def[0], def[3]-def[1]
	best, bestScore, found := def, math.Inf(1), false
	for y1 := ph - margin - h; y1 >= minY1; y1 -= m.cell {
		for x1 := pw - margin - w; x1 >= margin; x1 -= m.cell {
			r := [4]float64{x1, y1, x1 + w, y1 + h}
			dx, dy := x1-def[0], y1-def[1]
			score := dx*dx + 4*dy*dy
			if score < bestScore && m.inked(r, gap) == 0 {
				best, bestScore, found = r, score, true
			}
		}
	}
	return best, found
}

// jpegDecodeCost estimates the bytes image/jpeg allocates to decode the
// top rows of a JPEG frame w pixels wide: per pixel 1 byte for one
// component, 3 for three (Y, Cb and Cr planes at most at full size), 8 for
// four (the three planes, the black plane, then the CMYK image it
// returns); a progressive JPEG keeps every coefficient too, 4 bytes each,
// per pixel and component. Rows and columns are rounded up to whole MCUs.
func jpegDecodeCost(w, rows, comps int, progressive bool) int64 {
	perPixel := int64(1)
	switch comps {
	case 3:
		perPixel = 3
	case 4:
		perPixel = 8
	}
	if progressive {
		perPixel += 4 * int64(comps)
	}
	return int64(w+32) * int64(rows+32) * perPixel
}

// jpegFrameInfo reads the frame header of a JPEG: whether it is progressive
// and its number of components; false when no SOF0, SOF1 or SOF2 comes
// within the first 1 MiB, or another frame type does.
func jpegFrameInfo(src io.Reader) (progressive bool, comps int, ok bool) {
	br := bufio.NewReaderSize(io.LimitReader(src, 1<<20), 32<<10)
	var b [2]byte
	if _, err := io.ReadFull(br, b[:]); err != nil || b[0] != 0xFF || b[1] != 0xD8 {
		return false, 0, false
	}
	for {
		if _, err := io.ReadFull(br, b[:]); err != nil || b[0] != 0xFF {
			return false, 0, false
		}
		marker := b[1]
		if marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) {
			continue
		}
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return false, 0, false
		}
		n := int(b[0])<<8 | int(b[1])
		if n < 2 {
			return false, 0, false
		}
		switch {
		case marker == 0xC0 || marker == 0xC1 || marker == 0xC2:
			var h [6]byte
			if n < 8 {
				return false, 0, false
			}
			if _, err := io.ReadFull(br, h[:]); err != nil {
				return false, 0, false
			}
			return marker == 0xC2, int(h[5]), true
		case marker >= 0xC3 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC, marker == 0xDA, marker == 0xD9:
			return false, 0, false
		}
		if _, err := br.Discard(n - 2); err != nil {
			return false, 0, false
		}
	}
}

// jpegTop returns a reader of the JPEG in src whose frame header (SOF0,
// SOF1 or SOF2) says the image is rows tall, or false when the header is
// not found within the first 1 MiB. image/jpeg then decodes the top rows
// only, skipping the remaining entropy-coded data to the next marker.
func jpegTop(src io.Reader, rows int) (io.Reader, bool) {
	br := bufio.NewReaderSize(src, 64<<10)
	var head []byte
	read := func(n int) ([]byte, bool) {
		if len(head)+n > 1<<20 {
			return nil, false
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, false
		}
		head = append(head, b...)
		return b, true
	}
	if b, ok := read(2); !ok || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, false
	}
	for {
		b, ok := read(2)
		if !ok || b[0] != 0xFF {
			return nil, false
		}
		marker := b[1]
		if marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) {
			continue // fill bytes and markers without a length: none expected here
		}
		lb, ok := read(2)
		if !ok {
			return nil, false
		}
		n := int(lb[0])<<8 | int(lb[1])
		if n < 2 {
			return nil, false
		}
		start := len(head)
		if _, ok := read(n - 2); !ok {
			return nil, false
		}
		switch marker {
		case 0xC0, 0xC1, 0xC2:
			if n < 8 || rows <= 0 || rows > 0xFFFF {
				return nil, false
			}
			head[start+1], head[start+2] = byte(rows>>8), byte(rows)
			return io.MultiReader(bytes.NewReader(head), br), true
		case 0xDA, 0xD9:
			return nil, false
		}
	}
}
