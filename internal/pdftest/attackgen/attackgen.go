// Package attackgen builds signed PDFs and, from them, the documents of
// every known class of attack on PDF signatures: universal signature
// forgery, incremental saving and signature wrapping (Mladenov et al., CCS
// 2019), the shadow attacks hide, replace and hide-and-replace (Mainka et
// al., NDSS 2021), and the evil-annotation and sneaky-signature attacks on
// certified documents (Mainka et al., IEEE S&P 2021). Each document comes
// with the verdict a correct verifier reaches, so kyso's tests can assert
// it. It exists for tests and demonstrations only: the signatures it makes
// are structurally right but come from throwaway keys.
package attackgen

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"math/rand"
	"sort"

	"github.com/kyso-project/kyso/internal/pdf"
)

// Open parses a document held in memory.
func Open(doc []byte) (*pdf.Reader, error) {
	return pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
}

// Append writes an incremental update made by fn after doc, with kyso's own
// update writer, and returns the longer document.
func Append(doc []byte, fn func(r *pdf.Reader, u *pdf.Update) error) ([]byte, error) {
	r, err := Open(doc)
	if err != nil {
		return nil, err
	}
	u := pdf.NewUpdate(r)
	if err := fn(r, u); err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(append(make([]byte, 0, len(doc)+4096), doc...))
	if _, err := u.Write(out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Omit says which closing parts of a hand-written revision to leave out,
// as attackers do to slip objects past verifiers that only follow xref.
type Omit int

const (
	OmitNothing Omit = iota
	// OmitXref writes the objects only: no xref, trailer or startxref.
	OmitXref
	// OmitTrailer writes the objects and an xref table, but no trailer,
	// startxref or %%EOF.
	OmitTrailer
	// OmitXrefKeepTrailer writes objects and a trailer whose startxref still
	// names the previous cross-reference section.
	OmitXrefKeepTrailer
)

// Rev is an incremental update written by hand, for the malformed and
// unusual updates that kyso's writer would never produce.
type Rev struct {
	// Objects are written as "N 0 obj ... endobj"; a pdf.Raw is written
	// verbatim.
	Objects map[uint32]pdf.Object
	// Free lists object numbers the update marks free.
	Free []uint32
	// Packed lists objects of Objects to put in a new object stream
	// (forces a cross-reference stream).
	Packed []uint32
	// ObjStmNum is the number of that object stream (default: next free).
	ObjStmNum uint32
	// PackedShadow holds, for packed objects, another body the object
	// stream lists under the same number just before theirs; the
	// cross-reference names the packed body.
	PackedShadow map[uint32]pdf.Object
	// XrefStream writes a cross-reference stream instead of a table.
	XrefStream bool
	// Trailer entries override the defaults (Size, Root, Info, ID, Prev).
	Trailer pdf.Dict
	// Prev, when non-zero, replaces the offset of the previous section.
	Prev int64
	// At, when non-nil, maps object numbers to offsets the xref claims
	// instead of where the objects were written (pointing them into older
	// bytes).
	At map[uint32]int64
	// Dup lists objects the cross-reference section lists a second time,
	// after their own entry, at the given offset (in a subsection or an
	// /Index run of their own). Readers that keep the last entry read the
	// second one, readers that keep the first (qpdf, MuPDF, kyso) the first.
	Dup map[uint32]int64
	// Hybrid writes a hybrid section: a classic table whose trailer's
	// /XRefStm points at a cross-reference stream. Packed objects are
	// listed in the stream only (type 2) and marked free in the table, as
	// hybrid writers do for objects in object streams.
	Hybrid bool
	// StreamOnly (with Hybrid) lists object numbers the table marks free
	// while the /XRefStm stream lists them in use at the given offset.
	StreamOnly map[uint32]int64
	// HeaderGen writes these objects' headers with the given generation
	// ("N G obj") while the cross-reference lists generation 0.
	HeaderGen map[uint32]uint16
	// EntryGen lists these objects' entries under the given generation
	// (with HeaderGen, an object re-listed under a new generation).
	EntryGen map[uint32]uint16
	// Unlisted is written verbatim after the objects, before the
	// cross-reference section, which does not list what it holds (object
	// definitions only a reader rebuilding the cross-reference finds).
	Unlisted []byte
	Omit     Omit
}

// AppendRev writes rv after doc.
func AppendRev(doc []byte, rv Rev) ([]byte, error) {
	r, err := Open(doc)
	if err != nil {
		return nil, err
	}
	revs := r.Revisions()
	last := revs[len(revs)-1]
	out := bytes.NewBuffer(append(make([]byte, 0, len(doc)+4096), doc...))
	if !bytes.HasSuffix(doc, []byte("\n")) && !bytes.HasSuffix(doc, []byte("\r")) {
		out.WriteByte('\n')
	}
	next, err := r.NextObjectNumber()
	if err != nil {
		return nil, err
	}
	for n := range rv.Objects {
		next = max(next, n+1)
	}
	for _, n := range rv.Free {
		next = max(next, n+1)
	}
	for n := range rv.StreamOnly {
		next = max(next, n+1)
	}
	packed := map[uint32]bool{}
	for _, n := range rv.Packed {
		if _, ok := rv.Objects[n]; !ok {
			return nil, fmt.Errorf("packed object %d has no body", n)
		}
		packed[n] = true
	}
	type entry struct {
		typ byte
		off int64
		stm uint32
		idx int
	}
	ents := map[uint32]entry{}
	var nums []uint32
	for n := range rv.Objects {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	if len(rv.Packed) > 0 {
		stm := rv.ObjStmNum
		if stm == 0 {
			stm = next
			next++
		}
		var head, body bytes.Buffer
		i := 0
		for _, n := range nums {
			if !packed[n] {
				continue
			}
			if sh, ok := rv.PackedShadow[n]; ok {
				fmt.Fprintf(&head, "%d %d ", n, body.Len())
				body.Write(pdf.Bytes(sh))
				body.WriteByte('\n')
				i++
			}
			fmt.Fprintf(&head, "%d %d ", n, body.Len())
			body.Write(pdf.Bytes(rv.Objects[n]))
			body.WriteByte('\n')
			ents[n] = entry{typ: 2, stm: stm, idx: i}
			i++
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(head.Bytes())
		zw.Write(body.Bytes())
		zw.Close()
		ents[stm] = entry{typ: 1, off: int64(out.Len())}
		fmt.Fprintf(out, "%d 0 obj\n", stm)
		out.Write(pdf.Bytes(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("ObjStm"), "N": pdf.Int(i),
			"First": pdf.Int(head.Len()), "Filter": pdf.Name("FlateDecode")}, Data: z.Bytes()}))
		out.WriteString("\nendobj\n")
	}
	for _, n := range nums {
		if packed[n] {
			continue
		}
		ents[n] = entry{typ: 1, off: int64(out.Len())}
		fmt.Fprintf(out, "%d %d obj\n", n, rv.HeaderGen[n])
		out.Write(pdf.Bytes(rv.Objects[n]))
		out.WriteString("\nendobj\n")
	}
	if len(rv.Unlisted) > 0 {
		out.Write(rv.Unlisted)
		out.WriteByte('\n')
	}
	for n, off := range rv.At {
		ents[n] = entry{typ: 1, off: off}
	}
	for _, n := range rv.Free {
		ents[n] = entry{typ: 0}
	}
	if rv.Omit == OmitXref {
		return out.Bytes(), nil
	}
	trailer := pdf.Dict{"Root": r.RootRef()}
	for _, k := range []pdf.Name{"Info", "ID", "Encrypt"} {
		if v, ok := r.Trailer()[k]; ok {
			trailer[k] = v
		}
	}
	prev := last.XrefOffset
	if rv.Prev != 0 {
		prev = rv.Prev
	}
	trailer["Prev"] = pdf.Int(prev)
	// row writes one cross-reference stream row (/W [1 4 2]).
	row := func(rows *bytes.Buffer, e entry) {
		switch e.typ {
		case 0:
			rows.Write([]byte{0, 0, 0, 0, 0, 0, 1})
		case 1:
			rows.Write([]byte{1, byte(e.off >> 24), byte(e.off >> 16), byte(e.off >> 8), byte(e.off), 0, 0})
		case 2:
			rows.Write([]byte{2, byte(e.stm >> 24), byte(e.stm >> 16), byte(e.stm >> 8), byte(e.stm), byte(e.idx >> 8), byte(e.idx)})
		}
	}
	if rv.Hybrid {
		// The stream lists the packed objects and StreamOnly; the table
		// marks them free.
		sents := map[uint32]entry{}
		for n := range packed {
			sents[n], ents[n] = ents[n], entry{typ: 0}
		}
		for n, off := range rv.StreamOnly {
			sents[n], ents[n] = entry{typ: 1, off: off}, entry{typ: 0}
		}
		snums := make([]uint32, 0, len(sents))
		for n := range sents {
			snums = append(snums, n)
		}
		var rows bytes.Buffer
		var index pdf.Array
		for _, run := range pdf.XrefRuns(snums) {
			index = append(index, pdf.Int(run[0]), pdf.Int(run[1]-run[0]+1))
			for n := run[0]; n <= run[1]; n++ {
				row(&rows, sents[n])
			}
		}
		hnum := next
		next++
		at := int64(out.Len())
		ents[hnum] = entry{typ: 1, off: at}
		fmt.Fprintf(out, "%d 0 obj\n", hnum)
		out.Write(pdf.Bytes(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XRef"), "Size": pdf.Int(next), "Root": r.RootRef(),
			"W": pdf.Array{pdf.Int(1), pdf.Int(4), pdf.Int(2)}, "Index": index}, Data: rows.Bytes()}))
		out.WriteString("\nendobj\n")
		trailer["XRefStm"] = pdf.Int(at)
	}
	xrefOff := int64(out.Len())
	xstream := rv.Omit != OmitXrefKeepTrailer && !rv.Hybrid && (rv.XrefStream || len(rv.Packed) > 0)
	xnum := next
	if xstream {
		next++
		ents[xnum] = entry{typ: 1, off: xrefOff}
	}
	trailer["Size"] = pdf.Int(next)
	for k, v := range rv.Trailer {
		trailer[k] = v
	}
	if rv.Omit == OmitXrefKeepTrailer {
		out.WriteString("trailer\n")
		out.Write(pdf.Bytes(trailer))
		fmt.Fprintf(out, "\nstartxref\n%d\n%%%%EOF\n", last.XrefOffset)
		return out.Bytes(), nil
	}
	all := make([]uint32, 0, len(ents))
	for n := range ents {
		all = append(all, n)
	}
	if xstream {
		var rows bytes.Buffer
		var index pdf.Array
		for _, run := range pdf.XrefRuns(all) {
			index = append(index, pdf.Int(run[0]), pdf.Int(run[1]-run[0]+1))
			for n := run[0]; n <= run[1]; n++ {
				row(&rows, ents[n])
			}
		}
		for _, n := range sortedKeys(rv.Dup) {
			off := rv.Dup[n]
			index = append(index, pdf.Int(n), pdf.Int(1))
			rows.Write([]byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0})
		}
		d := trailer.Clone()
		d["Type"] = pdf.Name("XRef")
		d["W"] = pdf.Array{pdf.Int(1), pdf.Int(4), pdf.Int(2)}
		d["Index"] = index
		fmt.Fprintf(out, "%d 0 obj\n", xnum)
		out.Write(pdf.Bytes(&pdf.Stream{Dict: d, Data: rows.Bytes()}))
		out.WriteString("\nendobj\n")
	} else {
		out.WriteString("xref\n")
		if len(all) == 0 {
			// An update that only re-points the trailer still needs a
			// subsection: list object 0, always free.
			out.WriteString("0 1\n0000000000 65535 f\r\n")
		}
		for _, run := range pdf.XrefRuns(all) {
			fmt.Fprintf(out, "%d %d\n", run[0], run[1]-run[0]+1)
			for n := run[0]; n <= run[1]; n++ {
				if e := ents[n]; e.typ == 0 {
					out.WriteString("0000000000 00001 f\r\n")
				} else {
					fmt.Fprintf(out, "%010d %05d n\r\n", e.off, rv.EntryGen[n])
				}
			}
		}
		for _, n := range sortedKeys(rv.Dup) {
			fmt.Fprintf(out, "%d 1\n%010d 00000 n\r\n", n, rv.Dup[n])
		}
		if rv.Omit == OmitTrailer {
			return out.Bytes(), nil
		}
		out.WriteString("trailer\n")
		out.Write(pdf.Bytes(trailer))
		out.WriteString("\n")
	}
	fmt.Fprintf(out, "startxref\n%d\n%%%%EOF\n", xrefOff)
	return out.Bytes(), nil
}

// Offset returns where "N 0 obj" of the newest definition of num starts,
// for objects stored uncompressed.
func Offset(doc []byte, num uint32) (int64, error) {
	r, err := Open(doc)
	if err != nil {
		return 0, err
	}
	e, ok := r.Lookup(num)
	if !ok || e.Type != 1 {
		return 0, fmt.Errorf("object %d is not stored uncompressed", num)
	}
	return e.Offset, nil
}

// firstPage returns the first page's reference and dictionary.
func firstPage(r *pdf.Reader, index int) (pdf.Page, error) {
	pages, err := r.Pages()
	if err != nil {
		return pdf.Page{}, err
	}
	if index < 0 || index >= len(pages) {
		return pdf.Page{}, fmt.Errorf("no page %d", index+1)
	}
	return pages[index], nil
}

// Stream makes a Flate-compressed stream holding data.
func Stream(d pdf.Dict, data []byte) *pdf.Stream {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data)
	zw.Close()
	d = d.Clone()
	d["Filter"] = pdf.Name("FlateDecode")
	return &pdf.Stream{Dict: d, Data: z.Bytes()}
}

// copyStream reads a stream of r into memory so an update can write it.
func copyStream(r *pdf.Reader, s *pdf.Stream) (*pdf.Stream, error) {
	var b bytes.Buffer
	if _, err := b.ReadFrom(r.RawStream(s)); err != nil {
		return nil, err
	}
	d := s.Dict.Clone()
	delete(d, "Length")
	return &pdf.Stream{Dict: d, Data: b.Bytes()}, nil
}

var (
	errNoField = errors.New("field not found")
	errFound   = errors.New("found") // stops the walk
)

// FieldRef finds the field (an indirect node of the field tree) with this
// fully qualified name.
func FieldRef(r *pdf.Reader, name string) (pdf.Ref, pdf.Dict, error) {
	cat, err := r.Catalog()
	if err != nil {
		return pdf.Ref{}, nil, err
	}
	af, _ := r.Dict(cat["AcroForm"])
	fields, _ := r.Array(af["Fields"])
	var ref pdf.Ref
	var d pdf.Dict
	err = r.WalkFields(fields, nil, func(f *pdf.Field) (bool, error) {
		if f.Name == name && f.Ref != (pdf.Ref{}) {
			ref, d = f.Ref, f.Dict
			return false, errFound
		}
		return true, nil
	})
	if err == errFound {
		return ref, d, nil
	}
	if err != nil {
		return pdf.Ref{}, nil, err
	}
	return pdf.Ref{}, nil, fmt.Errorf("%w: %s", errNoField, name)
}

// ScanLike writes a new document of pages pages, each showing one image of
// imageBytes bytes of random data marked as JPEG: the shape of a scanned
// document, for benchmarks (nothing ever decodes the images).
func ScanLike(pages, imageBytes int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offs []int64
	obj := func(body []byte) {
		offs = append(offs, int64(out.Len()))
		fmt.Fprintf(&out, "%d 0 obj\n", len(offs))
		out.Write(body)
		out.WriteString("\nendobj\n")
	}
	// 1 catalog, 2 page tree, then per page: page, content, image.
	kids := pdf.Array{}
	for i := 0; i < pages; i++ {
		kids = append(kids, pdf.Ref{Num: uint32(3 + 3*i)})
	}
	obj(pdf.Bytes(pdf.Dict{"Type": pdf.Name("Catalog"), "Pages": pdf.Ref{Num: 2}}))
	obj(pdf.Bytes(pdf.Dict{"Type": pdf.Name("Pages"), "Kids": kids, "Count": pdf.Int(pages)}))
	img := make([]byte, imageBytes)
	for i := 0; i < pages; i++ {
		p := uint32(3 + 3*i)
		obj(pdf.Bytes(pdf.Dict{"Type": pdf.Name("Page"), "Parent": pdf.Ref{Num: 2}, "MediaBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(595), pdf.Int(842)},
			"Resources": pdf.Dict{"XObject": pdf.Dict{"Im0": pdf.Ref{Num: p + 2}}}, "Contents": pdf.Ref{Num: p + 1}}))
		obj(pdf.Bytes(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("q 595 0 0 842 0 0 cm /Im0 Do Q")}))
		rng.Read(img)
		obj(pdf.Bytes(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(1654),
			"Height": pdf.Int(2339), "ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("DCTDecode")}, Data: img}))
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f\r\n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n\r\n", o)
	}
	out.WriteString("trailer\n")
	out.Write(pdf.Bytes(pdf.Dict{"Size": pdf.Int(len(offs) + 1), "Root": pdf.Ref{Num: 1}}))
	fmt.Fprintf(&out, "\nstartxref\n%d\n%%%%EOF\n", xref)
	return out.Bytes()
}

func sortedKeys(m map[uint32]int64) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
