package stamp

import (
	"encoding/binary"
	"github.com/kyso-project/kyso/internal/i18n"
	"math/bits"
	"sort"
)

// subsetTTF writes a TrueType font holding only the glyphs in used (plus
// .notdef and the components of composite glyphs). Glyph ids are kept, so
// the PDF can use an identity CIDToGIDMap: unused glyphs stay in loca with
// empty outlines, and glyphs after the last one used are cut off.
func (f *fontProgram) subsetTTF(used map[uint16]rune) ([]byte, error) {
	keep := make(map[uint16]bool, len(used)+8)
	work := []uint16{0}
	for g := range used {
		work = append(work, g)
	}
	for len(work) > 0 {
		g := work[len(work)-1]
		work = work[:len(work)-1]
		if keep[g] || int(g) >= f.numGlyphs {
			continue
		}
		keep[g] = true
		comps, err := components(f.glyph(g))
		if err != nil {
			return nil, i18n.Errorf("font %s: glyph %d: %v", f.label, g, err)
		}
		work = append(work, comps...)
	}
	last := 0
	for g := range keep {
		last = max(last, int(g))
	}
	n := last + 1

	glyf := make([]byte, 0, 1024*len(keep))
	loca := make([]byte, 0, 4*(n+1))
	for g := range n {
		loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))
		if keep[uint16(g)] {
			glyf = append(glyf, f.glyph(uint16(g))...)
			for len(glyf)%4 != 0 {
				glyf = append(glyf, 0)
			}
		}
	}
	loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))

	head := clone(f.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // long loca offsets
	maxp := clone(f.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	hhea := clone(f.tables["hhea"])
	nHM := min(int(binary.BigEndian.Uint16(hhea[34:])), n)
	binary.BigEndian.PutUint16(hhea[34:], uint16(nHM))
	hmtx := clone(f.tables["hmtx"][:4*nHM+2*(n-nHM)])
	post := make([]byte, 32)
	copy(post, f.tables["post"][:16])
	binary.BigEndian.PutUint32(post, 0x00030000) // no glyph names

	tables := map[string][]byte{
		"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx,
		"loca": loca, "glyf": glyf, "post": post, "cmap": cmapFormat4(used),
	}
	// Hinting programs and OS/2 metrics are kept as they are: the glyph
	// instructions refer to them.
	for _, t := range []string{"cvt ", "fpgm", "prep", "OS/2"} {
		if b := f.tables[t]; b != nil {
			tables[t] = b
		}
	}
	out := assembleSFNT(tables)
	headOff := tableOffset(out, "head")
	binary.BigEndian.PutUint32(out[headOff+8:], 0xB1B0AFBA-checksum(out))
	return out, nil
}

// glyph returns the glyf bytes of glyph g (empty for blank glyphs).
func (f *fontProgram) glyph(g uint16) []byte {
	return f.tables["glyf"][f.loca[g]:f.loca[g+1]]
}

// components lists the glyphs a composite glyph is built from.
func components(b []byte) ([]uint16, error) {
	if len(b) < 10 || int16(binary.BigEndian.Uint16(b)) >= 0 {
		return nil, nil
	}
	const (
		argsAreWords   = 0x0001
		haveScale      = 0x0008
		moreComponents = 0x0020
		haveXYScale    = 0x0040
		haveTwoByTwo   = 0x0080
	)
	var out []uint16
	for p := 10; ; {
		if p+4 > len(b) {
			return nil, i18n.Errorf("truncated composite glyph")
		}
		flags := binary.BigEndian.Uint16(b[p:])
		out = append(out, binary.BigEndian.Uint16(b[p+2:]))
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComponents == 0 {
			return out, nil
		}
		if len(out) > 1024 {
			return nil, i18n.Errorf("composite glyph has too many components")
		}
	}
}

// cmapFormat4 maps the BMP characters in used to their glyphs. A PDF
// CIDFontType2 with an identity map does not need it, but font tools and
// some viewers expect a cmap in every TrueType program.
func cmapFormat4(used map[uint16]rune) []byte {
	type pair struct{ r, g uint16 }
	var ps []pair
	for g, r := range used {
		if r > 0 && r < 0xFFFF {
			ps = append(ps, pair{uint16(r), g})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].r < ps[j].r })
	ps = append(ps, pair{0xFFFF, 0})
	seg := len(ps)
	sub := make([]byte, 14, 16+8*seg)
	binary.BigEndian.PutUint16(sub[0:], 4)
	binary.BigEndian.PutUint16(sub[6:], uint16(2*seg))
	sr := 2 << (bits.Len(uint(seg)) - 1)
	binary.BigEndian.PutUint16(sub[8:], uint16(sr))
	binary.BigEndian.PutUint16(sub[10:], uint16(bits.Len(uint(sr/2))-1))
	binary.BigEndian.PutUint16(sub[12:], uint16(2*seg-sr))
	for _, p := range ps {
		sub = binary.BigEndian.AppendUint16(sub, p.r) // endCode
	}
	sub = append(sub, 0, 0) // reservedPad
	for _, p := range ps {
		sub = binary.BigEndian.AppendUint16(sub, p.r) // startCode
	}
	for _, p := range ps {
		d := p.g - p.r // idDelta, modulo 65536
		if p.r == 0xFFFF {
			d = 1
		}
		sub = binary.BigEndian.AppendUint16(sub, d)
	}
	for range ps {
		sub = append(sub, 0, 0) // idRangeOffset
	}
	binary.BigEndian.PutUint16(sub[2:], uint16(len(sub)))
	out := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12} // one subtable: Windows, Unicode BMP
	return append(out, sub...)
}

// assembleSFNT writes a table directory (sorted by tag, 4-byte aligned,
// with checksums) followed by the tables.
func assembleSFNT(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	size := 12 + 16*len(tables)
	for t, b := range tables {
		tags = append(tags, t)
		size += (len(b) + 3) &^ 3
	}
	sort.Strings(tags)
	n := len(tags)
	out := make([]byte, 12+16*n, size)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	sr := 16 << (bits.Len(uint(n)) - 1)
	binary.BigEndian.PutUint16(out[6:], uint16(sr))
	binary.BigEndian.PutUint16(out[8:], uint16(bits.Len(uint(n))-1))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-sr))
	for i, t := range tags {
		b := tables[t]
		rec := out[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], checksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func tableOffset(font []byte, tag string) int {
	n := int(binary.BigEndian.Uint16(font[4:]))
	for i := range n {
		rec := font[12+16*i:]
		if string(rec[:4]) == tag {
			return int(binary.BigEndian.Uint32(rec[8:]))
		}
	}
	return -1
}

// checksum is the OpenType table checksum: the sum of big-endian uint32
// words, the last one zero-padded.
func checksum(b []byte) uint32 {
	var s uint32
	for len(b) >= 4 {
		s += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var w [4]byte
		copy(w[:], b)
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
