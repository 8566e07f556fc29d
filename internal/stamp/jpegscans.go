package stamp

import (
	"bufio"
	"io"
)

// image/jpeg decodes every scan of a JPEG over all the blocks it covers,
// however few bytes the scan takes: a progressive scan of a few bytes of
// end-of-band runs covers every block of a component. Real progressive
// JPEGs have about ten scans (libjpeg's script: six for gray, ten for
// colour, each block of a component visited about five times in all), but
// a few hundred kilobytes can hold ten thousand scans of the whole frame:
// a minute of decoding. So before falling back to image/jpeg the scans are
// counted, by a walk over the markers, and their work bounded.

const (
	// maxJPEGScanWork bounds the blocks the scans of a JPEG cover, summed
	// over its scans, with jpegScanCost more per scan: about a third of a
	// second of image/jpeg's work. The largest JPEG image/jpeg may decode
	// (maxJPEGDecode, maxJPEGPixel) has about a million blocks, and its
	// progressive form about 200 000 visited five or six times, so real
	// scan scripts stay well under it.
	maxJPEGScanWork = 8 << 20
	// jpegScanCost is what a scan costs beyond its blocks (its header, its
	// Huffman decoder), in blocks.
	jpegScanCost = 64
)

// jpegScanWork walks the markers of the JPEG in src, whose top rows only
// are decoded (rows <= 0: all), and returns the blocks its scans cover
// (with jpegScanCost per scan), stopping once past limit. ok is false when
// no frame header comes before the first scan, or a scan names no
// component of the frame.
func jpegScanWork(src io.Reader, rows int, limit int64) (work int64, scans int, ok bool) {
	br := bufio.NewReaderSize(src, 32<<10)
	var b [2]byte
	if _, err := io.ReadFull(br, b[:]); err != nil || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, 0, false
	}
	type comp struct{ id, h, v int }
	var comps []comp
	var mcusX, mcusY int64
	for work <= limit {
		// After a scan, its entropy-coded data (with restart markers,
		// skipped below) runs to the next marker.
		m, err := jpegNextMarker(br)
		if err != nil {
			return work, scans, comps != nil // the data ended: what it held
		}
		switch {
		case m == 0xD9:
			return work, scans, comps != nil
		case m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			continue
		}
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return work, scans, comps != nil
		}
		n := int(b[0])<<8 | int(b[1])
		if n < 2 {
			return work, scans, false
		}
		switch {
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			seg := make([]byte, n-2)
			if _, err := io.ReadFull(br, seg); err != nil || len(seg) < 6 || comps != nil {
				return work, scans, false
			}
			h, w, nc := int(seg[1])<<8|int(seg[2]), int(seg[3])<<8|int(seg[4]), int(seg[5])
			if rows > 0 && rows < h {
				h = rows
			}
			if nc == 0 || len(seg) < 6+3*nc {
				return work, scans, false
			}
			hmax, vmax := 1, 1
			for i := 0; i < nc; i++ {
				c := comp{id: int(seg[6+3*i]), h: max(int(seg[7+3*i]>>4), 1), v: max(int(seg[7+3*i]&15), 1)}
				hmax, vmax = max(hmax, c.h), max(vmax, c.v)
				comps = append(comps, c)
			}
			mcusX = int64((w + 8*hmax - 1) / (8 * hmax))
			mcusY = int64((h + 8*vmax - 1) / (8 * vmax))
		case m == 0xDA:
			seg := make([]byte, n-2)
			if _, err := io.ReadFull(br, seg); err != nil || len(seg) < 1 || comps == nil {
				return work, scans, false
			}
			ns := int(seg[0])
			if ns == 0 || len(seg) < 1+2*ns {
				return work, scans, false
			}
			scans++
			work += jpegScanCost
			for i := 0; i < ns; i++ {
				found := false
				for _, c := range comps {
					if c.id == int(seg[1+2*i]) {
						work += mcusX * int64(c.h) * mcusY * int64(c.v)
						found = true
						break
					}
				}
				if !found {
					return work, scans, false
				}
			}
		default:
			if _, err := br.Discard(n - 2); err != nil {
				return work, scans, comps != nil
			}
		}
	}
	return work, scans, true
}

// jpegNextMarker reads up to the next marker and returns its code: it
// skips, as image/jpeg does, whatever is not one (entropy-coded data, its
// stuffed zero bytes, stray bytes between segments, fill bytes).
func jpegNextMarker(br *bufio.Reader) (byte, error) {
	for {
		if _, err := br.ReadSlice(0xFF); err == bufio.ErrBufferFull {
			continue
		} else if err != nil {
			return 0, err
		}
		c, err := br.ReadByte()
		for err == nil && c == 0xFF {
			c, err = br.ReadByte()
		}
		if err != nil {
			return 0, err
		}
		if c != 0x00 {
			return c, nil
		}
	}
}
