package stamp

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/kyso-project/kyso/internal/i18n"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/go-fonts/liberation/liberationserifregular"
	"golang.org/x/image/font/sfnt"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
)

// fontProgram is a parsed TrueType font. It is shared by every stamp that
// uses it, so a batch parses the font once and subsets it once per glyph set.
type fontProgram struct {
	label     string // file name for errors
	sf        *sfnt.Font
	tables    map[string][]byte
	numGlyphs int
	upem      float64
	loca      []uint32
	advances  []uint16 // design units, one per glyph
	psName    string
	ascent    float64 // design units
	descent   float64 // design units, negative
	lineGap   float64
	capHeight float64
	bbox      [4]int16
	italic    float64
	flags     int
	stemV     float64

	mu      sync.Mutex
	subsets map[string]*subsetProgram
}

// subsetProgram is a compressed FontFile2 for one glyph set.
type subsetProgram struct {
	tag     string // six uppercase letters naming the subset
	data    []byte // zlib-compressed font program
	length1 int    // uncompressed length
}

// maxCachedSubsets bounds the per-font subset cache; a batch signs with a
// handful of glyph sets (one per agency name), so this is never reached in
// practice but keeps a long-running process bounded.
const maxCachedSubsets = 64

var (
	defaultFont = sync.OnceValues(func() (*fontProgram, error) {
		return parseFont(liberationserifregular.TTF, "Liberation Serif")
	})
	fileFonts sync.Map // path + size + mtime -> *fontProgram
)

// loadFont returns the parsed font for path, or the default font when path
// is empty. Fonts read from files are cached by path, size and mtime.
func loadFont(path string) (*fontProgram, error) {
	if path == "" {
		return defaultFont()
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fail.InputWith(i18n.Errorf("stamp font: %v", err), fail.RemedyFont)
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", path, st.Size(), st.ModTime().UnixNano())
	if f, ok := fileFonts.Load(key); ok {
		return f.(*fontProgram), nil
	}
	if st.Size() > 64<<20 {
		return nil, fail.Inputf("stamp font %s: %d bytes is too large for a font", path, st.Size())
	}
	data, err := fileutil.ReadFile(path)
	if err != nil {
		return nil, fail.Input(i18n.Errorf("stamp font: %v", err), "")
	}
	f, err := parseFont(data, path)
	if err != nil {
		return nil, fail.InputWith(err, fail.RemedyFontCoverage)
	}
	fileFonts.Store(key, f)
	return f, nil
}

var errNotTrueType = errors.New("not a TrueType font with glyf outlines")

// parseFont reads the tables a PDF TrueType font program needs.
func parseFont(data []byte, label string) (*fontProgram, error) {
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, i18n.Errorf("font %s: %v", label, err)
	}
	f := &fontProgram{label: label, sf: sf, tables: map[string][]byte{}, subsets: map[string]*subsetProgram{}}
	if len(data) < 12 {
		return nil, i18n.Errorf("font %s: %v", label, errNotTrueType)
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if 12+16*n > len(data) {
		return nil, i18n.Errorf("font %s: truncated table directory", label)
	}
	for i := range n {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, ln := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(ln) > uint64(len(data)) {
			return nil, i18n.Errorf("font %s: table %q out of bounds", label, tag)
		}
		f.tables[tag] = data[off : off+ln]
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "loca", "glyf", "post"} {
		if f.tables[t] == nil {
			if t == "glyf" || t == "loca" {
				return nil, i18n.Errorf("font %s: %v", label, errNotTrueType)
			}
			return nil, i18n.Errorf("font %s: no %s table", label, t)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 || len(f.tables["post"]) < 32 {
		return nil, i18n.Errorf("font %s: truncated head, hhea, maxp or post table", label)
	}
	f.upem = float64(binary.BigEndian.Uint16(head[18:]))
	if f.upem < 16 {
		return nil, i18n.Errorf("font %s: bad unitsPerEm", label)
	}
	for i := range f.bbox {
		f.bbox[i] = int16(binary.BigEndian.Uint16(head[36+2*i:]))
	}
	longLoca := binary.BigEndian.Uint16(head[50:]) != 0
	f.numGlyphs = int(binary.BigEndian.Uint16(maxp[4:]))
	f.ascent = float64(int16(binary.BigEndian.Uint16(hhea[4:])))
	f.descent = float64(int16(binary.BigEndian.Uint16(hhea[6:])))
	f.lineGap = float64(int16(binary.BigEndian.Uint16(hhea[8:])))
	nHM := int(binary.BigEndian.Uint16(hhea[34:]))
	if f.numGlyphs == 0 || nHM == 0 || nHM > f.numGlyphs {
		return nil, i18n.Errorf("font %s: bad glyph or metrics count", label)
	}
	hmtx := f.tables["hmtx"]
	if len(hmtx) < 4*nHM+2*(f.numGlyphs-nHM) {
		return nil, i18n.Errorf("font %s: truncated hmtx table", label)
	}
	f.advances = make([]uint16, f.numGlyphs)
	for g := range f.advances {
		f.advances[g] = binary.BigEndian.Uint16(hmtx[4*min(g, nHM-1):])
	}
	loca, glyf := f.tables["loca"], f.tables["glyf"]
	f.loca = make([]uint32, f.numGlyphs+1)
	for g := range f.loca {
		var o uint32
		if longLoca {
			if 4*g+4 > len(loca) {
				return nil, i18n.Errorf("font %s: truncated loca table", label)
			}
			o = binary.BigEndian.Uint32(loca[4*g:])
		} else {
			if 2*g+2 > len(loca) {
				return nil, i18n.Errorf("font %s: truncated loca table", label)
			}
			o = 2 * uint32(binary.BigEndian.Uint16(loca[2*g:]))
		}
		if o > uint32(len(glyf)) || (g > 0 && o < f.loca[g-1]) {
			return nil, i18n.Errorf("font %s: bad loca table", label)
		}
		f.loca[g] = o
	}
	f.italic = float64(int32(binary.BigEndian.Uint32(f.tables["post"][4:]))) / 65536
	f.capHeight = f.ascent * 0.7
	f.flags = 4 // symbolic: glyphs are addressed by id, not a standard encoding
	weight := 400.0
	if os2 := f.tables["OS/2"]; len(os2) >= 68 {
		if fsType := binary.BigEndian.Uint16(os2[8:]); fsType&0x000f == 0x0002 || fsType&0x0200 != 0 {
			return nil, i18n.Errorf("font %s: its licence (OS/2 fsType %#04x) forbids embedding", label, fsType)
		}
		weight = float64(binary.BigEndian.Uint16(os2[4:]))
		if class := os2[30]; class >= 1 && class <= 7 && class != 6 {
			f.flags |= 2 // serif
		}
		if binary.BigEndian.Uint16(os2) >= 2 && len(os2) >= 90 {
			if ch := int16(binary.BigEndian.Uint16(os2[88:])); ch > 0 {
				f.capHeight = float64(ch)
			}
		}
	}
	if f.italic != 0 {
		f.flags |= 64
	}
	f.stemV = 10 + 220*(weight-50)/900
	f.psName = sanitizeName(psName(sf))
	return f, nil
}

func psName(sf *sfnt.Font) string {
	var b sfnt.Buffer
	if s, err := sf.Name(&b, sfnt.NameIDPostScript); err == nil && s != "" {
		return s
	}
	if s, err := sf.Name(&b, sfnt.NameIDFull); err == nil {
		return s
	}
	return ""
}

// sanitizeName keeps the characters a PDF font name may safely carry.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "Font"
	}
	return b.String()
}

// width is the advance of glyph g in PDF glyph space (1/1000 em), rounded as
// it is written to /W so layout and rendering agree.
func (f *fontProgram) width(g uint16) float64 {
	return math.Round(float64(f.advances[g]) * 1000 / f.upem)
}

// glyphs maps text (already NFC) to glyph ids, refusing characters the font
// does not have rather than drawing .notdef boxes.
func (f *fontProgram) glyphs(b *sfnt.Buffer, s string) ([]uint16, error) {
	out := make([]uint16, 0, len(s))
	for _, r := range s {
		g, err := f.sf.GlyphIndex(b, r)
		if err != nil {
			return nil, i18n.Errorf("font %s: %v", f.label, err)
		}
		if g == 0 || int(g) >= f.numGlyphs {
			return nil, fail.Input(i18n.Errorf("font %s has no glyph for %q (U+%04X)", f.label, r, r),
				"use a font with full Vietnamese coverage, such as Liberation Serif or Times New Roman")
		}
		out = append(out, uint16(g))
	}
	return out, nil
}

// subset returns the font program cut down to the glyphs in used (which
// maps glyph id to the character it shows), cached per glyph set.
func (f *fontProgram) subset(used map[uint16]rune) (*subsetProgram, error) {
	gids := make([]uint16, 0, len(used))
	for g := range used {
		gids = append(gids, g)
	}
	sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
	key := make([]byte, 0, 6*len(gids))
	for _, g := range gids {
		key = binary.BigEndian.AppendUint16(key, g)
		key = binary.BigEndian.AppendUint32(key, uint32(used[g]))
	}
	f.mu.Lock()
	sp, ok := f.subsets[string(key)]
	f.mu.Unlock()
	if ok {
		return sp, nil
	}
	raw, err := f.subsetTTF(used)
	if err != nil {
		return nil, err
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(raw)
	zw.Close()
	sum := sha256.Sum256(key)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	sp = &subsetProgram{tag: string(tag), data: z.Bytes(), length1: len(raw)}
	f.mu.Lock()
	if len(f.subsets) >= maxCachedSubsets {
		clear(f.subsets)
	}
	f.subsets[string(key)] = sp
	f.mu.Unlock()
	return sp, nil
}

// embed adds a Type0 font (CIDFontType2, Identity-H, identity CIDToGIDMap)
// holding the glyphs in used, with widths and a ToUnicode map, and returns
// its reference. Content streams then show glyph ids as two-byte codes.
func (f *fontProgram) embed(add ObjectAdder, used map[uint16]rune) (pdf.Ref, error) {
	sp, err := f.subset(used)
	if err != nil {
		return pdf.Ref{}, err
	}
	name := pdf.Name(sp.tag + "+" + f.psName)
	scale := func(v float64) pdf.Object { return pdf.Int(math.Round(v * 1000 / f.upem)) }
	file := add.Add(&pdf.Stream{Dict: pdf.Dict{"Filter": pdf.Name("FlateDecode"), "Length1": pdf.Int(sp.length1)}, Data: sp.data})
	desc := add.Add(pdf.Dict{
		"Type":        pdf.Name("FontDescriptor"),
		"FontName":    name,
		"Flags":       pdf.Int(f.flags),
		"FontBBox":    pdf.Array{scale(float64(f.bbox[0])), scale(float64(f.bbox[1])), scale(float64(f.bbox[2])), scale(float64(f.bbox[3]))},
		"ItalicAngle": pdf.Real(f.italic),
		"Ascent":      scale(f.ascent),
		"Descent":     scale(f.descent),
		"CapHeight":   scale(f.capHeight),
		"StemV":       pdf.Int(math.Round(f.stemV)),
		"FontFile2":   file,
	})
	gids := make([]uint16, 0, len(used))
	for g := range used {
		gids = append(gids, g)
	}
	sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
	var w pdf.Array
	for i := 0; i < len(gids); {
		j := i + 1
		for j < len(gids) && gids[j] == gids[j-1]+1 {
			j++
		}
		run := make(pdf.Array, 0, j-i)
		for _, g := range gids[i:j] {
			run = append(run, pdf.Int(f.width(g)))
		}
		w = append(w, pdf.Int(gids[i]), run)
		i = j
	}
	cid := add.Add(pdf.Dict{
		"Type":           pdf.Name("Font"),
		"Subtype":        pdf.Name("CIDFontType2"),
		"BaseFont":       name,
		"CIDSystemInfo":  pdf.Dict{"Registry": pdf.Str("Adobe"), "Ordering": pdf.Str("Identity"), "Supplement": pdf.Int(0)},
		"FontDescriptor": desc,
		"CIDToGIDMap":    pdf.Name("Identity"),
		"DW":             pdf.Int(1000),
		"W":              w,
	})
	toUni := add.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: toUnicode(gids, used)})
	return add.Add(pdf.Dict{
		"Type":            pdf.Name("Font"),
		"Subtype":         pdf.Name("Type0"),
		"BaseFont":        name,
		"Encoding":        pdf.Name("Identity-H"),
		"DescendantFonts": pdf.Array{cid},
		"ToUnicode":       toUni,
	}), nil
}

// toUnicode writes the CMap that maps each two-byte glyph code back to its
// character, which is what makes the stamp text searchable and extractable.
func toUnicode(gids []uint16, used map[uint16]rune) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&b, "<%04X> <", g)
			for _, u := range utf16Units(used[g]) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + r>>10), uint16(0xDC00 + r&0x3ff)}
}
