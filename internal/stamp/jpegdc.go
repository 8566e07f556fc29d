package stamp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"io"
)

// A scan's JPEG is mapped for ink from the DC coefficients of its first
// component only: the mean of each 8x8 block, what a 1/8-scale decode
// gives, without the inverse DCT, the upsampling and the colour conversion
// of a full decode, and only down to the rows the placement needs. The AC
// coefficients are still read (Huffman codes leave no other way to find
// the next block) but not kept. Baseline and extended sequential Huffman
// JPEGs are read this way, and progressive ones from their first DC scan.
// RGB and four-component (CMYK, YCCK) JPEGs, whose first component is not
// the luminance, are read from the DC coefficients of every component when
// none is subsampled and the first scan carries them all. Anything else
// (arithmetic coding, lossless, 12-bit, subsampled CMYK) falls back to
// image/jpeg, within maxJPEGDecode bytes.

// dcImage holds one luminance sample per 8x8 block of the first component.
type dcImage struct {
	cols, rows int     // blocks across and down that were decoded
	blocks     int     // blocks decoded, of every component: the work done
	sx, sy     float64 // image pixels per block, across and down
	lum        []uint8 // cols x rows
	// notLum says lum holds the first component of a four-component JPEG
	// whose others could not be read with it: not the luminance.
	notLum bool
}

type dcComp struct {
	id, h, v, tq int
	td, ta       int
	pred         int
}

type huffLUT struct {
	// fast maps the next 9 bits to (length<<8 | symbol) for codes of up to
	// 9 bits; 0 means a longer code.
	fast [1 << 9]uint16
	// canonical decoding for the longer codes
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    []byte
}

type dcDecoder struct {
	br      *bufio.Reader
	bits    uint64
	nbits   uint
	marker  byte // a marker met in the entropy-coded data; 0 if none
	padded  uint // zeros fed after the marker: once nbits <= padded, no data is left
	read    int  // bytes of entropy-coded data read into bits
	q0      [4]int
	dc, ac  [4]*huffLUT
	comps   []dcComp
	hmax    int
	vmax    int
	width   int
	height  int
	restart int
	prog    bool
	// adobeRGB: the components are R, G, B (not Y, Cb, Cr)
	adobeRGB bool
	// adobeYCCK: four components are Y, Cb, Cr, K (Adobe's transform 2)
	adobeYCCK bool
}

var errDCUnsupported = fmt.Errorf("%w: JPEG coding", errUnsupportedImage)

// errDataEnded stops a scan where its entropy-coded data ends.
var errDataEnded = errors.New("jpeg: the scan's data ended")

// maxBlocks bounds the blocks a scan may decode from read bytes of data:
// every block takes at least one bit (its DC code; a sequential block an
// end-of-block code too), so more blocks than bits can only come from the
// zeros fed after the data ended. The constant covers the bits read ahead.
func maxBlocks(read int) int { return 8*read + 64 }

// decodeJPEGDC reads the block means of the first component of the JPEG
// in r, down to at least maxRows pixel rows (all rows when maxRows <= 0).
// The scan stops early where the data ends.
func decodeJPEGDC(ctx context.Context, r io.Reader, maxRows int) (*dcImage, error) {
	return decodeJPEGDCSized(ctx, r, maxRows, 0, 0)
}

// decodeJPEGDCSized is decodeJPEGDC for an image the PDF says is w x h
// pixels (0: not checked): a frame of another size is not read.
func decodeJPEGDCSized(ctx context.Context, r io.Reader, maxRows, w, h int) (*dcImage, error) {
	d := &dcDecoder{br: bufio.NewReaderSize(r, 32<<10)}
	var b [2]byte
	if _, err := io.ReadFull(d.br, b[:]); err != nil || b[0] != 0xFF || b[1] != 0xD8 {
		return nil, i18n.Errorf("jpeg: no start of image")
	}
	for {
		m, err := d.nextMarker()
		if err != nil {
			return nil, err
		}
		switch {
		case m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01:
			continue
		case m == 0xD9:
			return nil, i18n.Errorf("jpeg: end of image before any scan")
		}
		seg, err := d.segment()
		if err != nil {
			return nil, err
		}
		switch m {
		case 0xDB:
			if err := d.readDQT(seg); err != nil {
				return nil, err
			}
		case 0xC4:
			if err := d.readDHT(seg); err != nil {
				return nil, err
			}
		case 0xC0, 0xC1, 0xC2:
			if err := d.readSOF(seg, m == 0xC2); err != nil {
				return nil, err
			}
			if (w > 0 && d.width != w) || (h > 0 && d.height != h) {
				return nil, errDCUnsupported // the dictionary and the frame disagree
			}
		case 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			return nil, errDCUnsupported
		case 0xEE:
			// Adobe's APP14: transform 0 on three components means RGB, whose
			// first component is red, not luminance
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" && seg[11] == 0 {
				d.adobeRGB = true
			}
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" && seg[11] == 2 {
				d.adobeYCCK = true
			}
		case 0xDD:
			if len(seg) < 2 {
				return nil, i18n.Errorf("jpeg: short DRI")
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case 0xDA:
			return d.scan(ctx, seg, maxRows)
		}
	}
}

// nextMarker skips to the next marker and returns its code.
func (d *dcDecoder) nextMarker() (byte, error) {
	c, err := d.br.ReadByte()
	for err == nil && c != 0xFF {
		c, err = d.br.ReadByte()
	}
	for err == nil && c == 0xFF {
		c, err = d.br.ReadByte()
	}
	if err != nil {
		return 0, i18n.Errorf("jpeg: %v", err)
	}
	return c, nil
}

func (d *dcDecoder) segment() ([]byte, error) {
	var lb [2]byte
	if _, err := io.ReadFull(d.br, lb[:]); err != nil {
		return nil, i18n.Errorf("jpeg: %v", err)
	}
	n := int(lb[0])<<8 | int(lb[1])
	if n < 2 {
		return nil, i18n.Errorf("jpeg: bad segment length")
	}
	seg := make([]byte, n-2)
	if _, err := io.ReadFull(d.br, seg); err != nil {
		return nil, i18n.Errorf("jpeg: %v", err)
	}
	return seg, nil
}

func (d *dcDecoder) readDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return i18n.Errorf("jpeg: bad DQT")
		}
		n := 1 + 64*(1+int(pq))
		if len(seg) < n {
			return i18n.Errorf("jpeg: short DQT")
		}
		if pq == 0 {
			d.q0[tq] = int(seg[1])
		} else {
			d.q0[tq] = int(seg[1])<<8 | int(seg[2])
		}
		seg = seg[n:]
	}
	return nil
}

func (d *dcDecoder) readDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return i18n.Errorf("jpeg: short DHT")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return i18n.Errorf("jpeg: bad DHT")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return i18n.Errorf("jpeg: bad DHT")
		}
		t := &huffLUT{vals: append([]byte(nil), seg[17:17+total]...)}
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			t.valptr[l] = k
			t.mincode[l] = code
			if int(code)+counts[l] > 1<<l {
				return i18n.Errorf("jpeg: bad Huffman table (over-subscribed)")
			}
			for i := 0; i < counts[l]; i++ {
				if l <= 9 {
					// every 9-bit string that starts with this code
					base := int(code) << (9 - l)
					for j := 0; j < 1<<(9-l); j++ {
						t.fast[base+j] = uint16(l)<<8 | uint16(t.vals[k])
					}
				}
				code++
				k++
			}
			t.maxcode[l] = code - 1
			if counts[l] == 0 {
				t.maxcode[l] = -1
			}
			code <<= 1
		}
		t.maxcode[17] = 1 << 30
		if tc == 0 {
			d.dc[th] = t
		} else {
			d.ac[th] = t
		}
		seg = seg[17+total:]
	}
	return nil
}

func (d *dcDecoder) readSOF(seg []byte, progressive bool) error {
	if len(seg) < 6 || seg[0] != 8 {
		return errDCUnsupported // 12-bit samples
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	n := int(seg[5])
	if n < 1 || n > 4 || len(seg) < 6+3*n || d.width == 0 || d.height == 0 {
		return i18n.Errorf("jpeg: bad SOF")
	}
	d.prog = progressive
	d.comps = make([]dcComp, n)
	for i := range d.comps {
		c := seg[6+3*i:]
		d.comps[i] = dcComp{id: int(c[0]), h: int(c[1] >> 4), v: int(c[1] & 15), tq: int(c[2] & 3)}
		if d.comps[i].h < 1 || d.comps[i].h > 4 || d.comps[i].v < 1 || d.comps[i].v > 4 {
			return i18n.Errorf("jpeg: bad sampling factors")
		}
		d.hmax = max(d.hmax, d.comps[i].h)
		d.vmax = max(d.vmax, d.comps[i].v)
	}
	return nil
}

// fill tops the bit buffer up to at least 32 bits, reading stuffed bytes;
// at a marker it feeds zeros and remembers the marker.
func (d *dcDecoder) fill() {
	for d.nbits <= 56 {
		if d.marker != 0 {
			d.nbits += 8
			d.padded += 8
			d.bits <<= 8
			continue
		}
		c, err := d.br.ReadByte()
		if err != nil {
			d.marker = 0xD9
			continue
		}
		if c == 0xFF {
			c2, err := d.br.ReadByte()
			for err == nil && c2 == 0xFF {
				c2, err = d.br.ReadByte()
			}
			if err != nil {
				d.marker = 0xD9
				continue
			}
			if c2 != 0 {
				d.marker = c2
				continue
			}
		}
		d.bits = d.bits<<8 | uint64(c)
		d.nbits += 8
		d.read++
	}
}

func (d *dcDecoder) peek(n uint) uint32 {
	if d.nbits < n {
		d.fill()
	}
	return uint32(d.bits>>(d.nbits-n)) & (1<<n - 1)
}

// skip drops n bits. (padded may then exceed nbits: no real bits are
// left, which is what ended tests.)
func (d *dcDecoder) skip(n uint) { d.nbits -= n }

func (d *dcDecoder) decode(t *huffLUT) (byte, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if e := t.fast[d.peek(9)]; e != 0 {
		d.skip(uint(e >> 8))
		return byte(e), nil
	}
	for l := 10; l <= 16; l++ {
		code := int32(d.peek(uint(l)))
		if code <= t.maxcode[l] && t.maxcode[l] >= 0 {
			d.skip(uint(l))
			return t.vals[t.valptr[l]+code-t.mincode[l]], nil
		}
	}
	return 0, i18n.Errorf("jpeg: bad Huffman code")
}

// receive reads an s-bit magnitude and sign-extends it (JPEG's EXTEND).
func (d *dcDecoder) receive(s byte) int {
	if s == 0 {
		return 0
	}
	v := int(d.peek(uint(s)))
	d.skip(uint(s))
	if v < 1<<(s-1) {
		v -= 1<<s - 1
	}
	return v
}

// scan decodes the first scan: it must carry the first component's DC.
func (d *dcDecoder) scan(ctx context.Context, seg []byte, maxRows int) (*dcImage, error) {
	if d.comps == nil {
		return nil, i18n.Errorf("jpeg: scan before frame header")
	}
	if len(seg) < 1 {
		return nil, i18n.Errorf("jpeg: short SOS")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) < 1+2*ns+3 {
		return nil, i18n.Errorf("jpeg: bad SOS")
	}
	var sc []*dcComp
	for i := 0; i < ns; i++ {
		id, tab := int(seg[1+2*i]), seg[2+2*i]
		var c *dcComp
		for k := range d.comps {
			if d.comps[k].id == id {
				c = &d.comps[k]
			}
		}
		if c == nil {
			return nil, i18n.Errorf("jpeg: scan names an unknown component")
		}
		c.td, c.ta = int(tab>>4), int(tab&15)
		if c.td > 3 || c.ta > 3 {
			return nil, i18n.Errorf("jpeg: bad table selector")
		}
		sc = append(sc, c)
	}
	ss, se, al := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]&15
	if sc[0] != &d.comps[0] {
		return nil, errDCUnsupported // the first scan does not start with luminance
	}
	// RGB and CMYK (or YCCK): the first component is not the luminance,
	// which the block means of every component give, when the first scan
	// carries them all, one block each per MCU.
	rgb := len(d.comps) == 3 && (d.adobeRGB || (d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'))
	multi := (rgb || len(d.comps) == 4) && ns == len(d.comps)
	for _, c := range d.comps {
		multi = multi && c.h == 1 && c.v == 1
	}
	if rgb && !multi {
		return nil, errDCUnsupported
	}
	if d.prog {
		if ss != 0 || se != 0 || seg[3+2*ns]>>4 != 0 {
			return nil, errDCUnsupported
		}
	} else if ss != 0 || se != 63 {
		return nil, i18n.Errorf("jpeg: bad spectral selection")
	}
	for _, c := range sc {
		if d.dc[c.td] == nil || (!d.prog && d.ac[c.ta] == nil) {
			return nil, i18n.Errorf("jpeg: missing Huffman table")
		}
	}
	c0 := &d.comps[0]
	// the first component's size in blocks
	cw := (d.width*c0.h + d.hmax - 1) / d.hmax
	chh := (d.height*c0.v + d.vmax - 1) / d.vmax
	bw, bh := (cw+7)/8, (chh+7)/8
	img := &dcImage{sx: 8 * float64(d.hmax) / float64(c0.h), sy: 8 * float64(d.vmax) / float64(c0.v), notLum: len(d.comps) == 4 && !multi}
	needRows := bh
	if maxRows > 0 {
		needRows = min(bh, int(float64(maxRows)/img.sy)+2)
	}
	img.cols = bw
	img.lum = make([]uint8, 0, min(bw*needRows, 1<<20)) // grows with the data actually read
	q := d.q0[c0.tq]
	if q == 0 {
		q = 1
	}
	put := func(bx, by int, pred int) {
		if bx >= bw || by >= needRows {
			return
		}
		for len(img.lum) < (by+1)*bw {
			img.lum = append(img.lum, 255)
		}
		v := (pred<<al)*q/8 + 128
		img.lum[by*bw+bx] = uint8(max(0, min(255, v)))
	}
	// mean is a component's block mean, 0 to 255.
	mean := func(c *dcComp) int {
		q := max(d.q0[c.tq], 1)
		return max(0, min(255, (c.pred<<al)*q/8+128))
	}
	// putMulti puts the luminance of an MCU of an RGB or four-component
	// JPEG, read as image/jpeg reads it: CMYK stored inverted (Adobe's
	// convention: 255 is no ink), YCCK as Y times the stored K.
	putMulti := func(bx, by int) {
		if bx >= bw || by >= needRows {
			return
		}
		for len(img.lum) < (by+1)*bw {
			img.lum = append(img.lum, 255)
		}
		a, b, c := mean(&d.comps[0]), mean(&d.comps[1]), mean(&d.comps[2])
		var v int
		switch {
		case len(d.comps) == 3:
			v = (299*a + 587*b + 114*c) / 1000
		case d.adobeYCCK:
			v = a * mean(&d.comps[3]) / 255
		default:
			k := mean(&d.comps[3])
			v = (299*a + 587*b + 114*c) * k / (1000 * 255)
		}
		img.lum[by*bw+bx] = uint8(v)
	}
	// ended says the entropy-coded data ran out (a marker other than a
	// restart, a restart marker without a restart interval, or the end of
	// the stream): what follows would be zeros.
	ended := func() bool {
		if d.marker == 0 || d.nbits > d.padded {
			return false
		}
		return d.restart == 0 || d.marker < 0xD0 || d.marker > 0xD7
	}
	block := func(c *dcComp) error {
		if ended() || img.blocks >= maxBlocks(d.read) {
			return errDataEnded
		}
		img.blocks++
		s, err := d.decode(d.dc[c.td])
		if err != nil {
			return err
		}
		if s > 11 {
			return i18n.Errorf("jpeg: bad DC magnitude")
		}
		c.pred += d.receive(s)
		if d.prog {
			return nil
		}
		// the AC coefficients are skipped, not kept: the hot loop of the
		// reader, so the common short codes are looked up inline
		t := d.ac[c.ta]
		for k := 1; k < 64; {
			if d.nbits < 32 {
				d.fill()
			}
			var rs byte
			if e := t.fast[uint32(d.bits>>(d.nbits-9))&(1<<9-1)]; e != 0 {
				d.nbits -= uint(e >> 8)
				rs = byte(e)
			} else {
				var err error
				if rs, err = d.decode(t); err != nil {
					return err
				}
			}
			r, sz := int(rs>>4), uint(rs&15)
			if sz == 0 {
				if r != 15 {
					break
				}
				k += 16
				continue
			}
			k += r + 1
			if d.nbits < sz {
				d.fill()
			}
			d.nbits -= sz
		}
		return nil
	}
	restartsLeft := d.restart
	nextRST := byte(0xD0)
	handleRestart := func() error {
		if d.restart == 0 {
			return nil
		}
		if restartsLeft > 0 {
			restartsLeft--
			if restartsLeft > 0 {
				return nil
			}
		}
		// drop the padding bits and read the RSTn marker
		d.bits, d.nbits, d.padded = 0, 0, 0
		if d.marker == 0 {
			m, err := d.nextMarker()
			if err != nil {
				return err
			}
			d.marker = m
		}
		if d.marker != nextRST {
			return i18n.Errorf("jpeg: expected RST%d, found marker %#x", nextRST-0xD0, d.marker)
		}
		d.marker = 0
		nextRST = 0xD0 + (nextRST-0xD0+1)%8
		restartsLeft = d.restart
		for i := range d.comps {
			d.comps[i].pred = 0
		}
		return nil
	}
	if ns == 1 {
	rows:
		for by := 0; by < bh && by < needRows && !ended(); by++ {
			if by%16 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			for bx := 0; bx < bw; bx++ {
				if err := block(c0); err != nil {
					if err == errDataEnded {
						break rows
					}
					return nil, err
				}
				put(bx, by, c0.pred)
				last := by == bh-1 && bx == bw-1
				if !last {
					if err := handleRestart(); err != nil {
						return nil, err
					}
				}
			}
		}
	} else {
		mx := (d.width + 8*d.hmax - 1) / (8 * d.hmax)
		my := (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	mcus:
		for y := 0; y < my && y*c0.v < needRows && !ended(); y++ {
			if y%8 == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			for x := 0; x < mx; x++ {
				for _, c := range sc {
					for v := 0; v < c.v; v++ {
						for h := 0; h < c.h; h++ {
							if err := block(c); err != nil {
								if err == errDataEnded {
									break mcus
								}
								return nil, err
							}
							if c == c0 && !multi {
								put(x*c.h+h, y*c.v+v, c.pred)
							}
						}
					}
				}
				if multi {
					putMulti(x, y)
				}
				if !(y == my-1 && x == mx-1) {
					if err := handleRestart(); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	img.rows = len(img.lum) / bw
	return img, nil
}

// inkThreshold is the block mean below which a block holds ink: well
// under the paper's own level (the brightest tenth of the blocks), as a
// stroke a quarter of a block wide darkens its mean.
func (img *dcImage) inkThreshold() uint8 {
	if len(img.lum) == 0 {
		return 0
	}
	var hist [256]int
	for _, v := range img.lum {
		hist[v]++
	}
	paper, seen := 255, 0
	for v := 0; v < 256; v++ {
		seen += hist[v]
		if seen*10 >= len(img.lum)*9 {
			paper = v
			break
		}
	}
	return uint8(max(0, min(paper-48, 200)))
}
