package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
)

// docWith is a PDF whose objects are bodies (object i+1 is bodies[i];
// object 1 is the catalog), with a classic table in which gap(i) comes
// before the i-th entry (and gap(len(bodies)+1) before the trailer).
func docWith(bodies []string, gap func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := make([]int, len(bodies))
	for i, body := range bodies {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, body)
	}
	x := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	for i, off := range offs {
		// A subsection for every other entry, so that gaps sit before
		// headers. Inside a subsection the entries are fixed 20-byte
		// records (readers that read them so rebuild the cross-reference
		// when they are not), so no gap goes there.
		if g := gap(i + 1); i%2 == 0 {
			fmt.Fprintf(&b, "%s%d %d\n", g, i+1, min(2, len(offs)-i))
		}
		fmt.Fprintf(&b, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&b, "%strailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", gap(len(offs)+1), len(bodies)+1, x)
	return b.Bytes()
}

func noGap(int) string { return "" }

// catalogWith is a document whose catalog has /X value.
func catalogWith(value string) []byte {
	return docWith([]string{"<</Type/Catalog/Pages 2 0 R/X " + value + ">>", "<</Type/Pages/Kids[]/Count 0>>"}, noGap)
}

func repeat(s string, n int) string { return strings.Repeat(s, n) }

func dictKeys(n int) string {
	var b strings.Builder
	b.WriteString("<<")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "/k%x 1", i)
	}
	b.WriteString(">>")
	return b.String()
}

// memShapes are values that parse to many times their size, each about
// n bytes of syntax.
func memShapes(n int) map[string]string {
	return map[string]string{
		"empty arrays":       "[" + repeat("[]", n/2) + "]",
		"empty strings":      "[" + repeat("()", n/2) + "]",
		"empty dictionaries": "[" + repeat("<<>>", n/4) + "]",
		"small dictionaries": "[" + repeat("<</A 1>>", n/8) + "]",
		"names":              "[" + repeat("/N", n/2) + "]",
		"references":         "[" + repeat("1 0 R ", n/6) + "]",
		"dictionary keys":    dictKeys(n / 8),
	}
}

// An object whose values take more memory than MaxObjectMemory is refused
// with a LimitError naming it, whatever its shape; the same shape under
// the limit is read.
func TestObjectMemoryLimit(t *testing.T) {
	lim := Limits{MaxObjectMemory: 512 << 10}
	for name, v := range memShapes(160 << 10) {
		t.Run(name, func(t *testing.T) {
			doc := catalogWith(v)
			_, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), lim)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != "MaxObjectMemory" || le.Max != 512<<10 {
				t.Fatalf("%d bytes of %s: %v, want a MaxObjectMemory error", len(v), name, err)
			}
		})
	}
	for name, v := range memShapes(8 << 10) {
		t.Run(name+" under the limit", func(t *testing.T) {
			doc := catalogWith(v)
			r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), lim)
			if err != nil {
				t.Fatal(err)
			}
			if cat, err := r.Catalog(); err != nil || cat["X"] == nil {
				t.Fatalf("catalog %v, %v", cat, err)
			}
		})
	}
}

// The parser's running estimate is memOf of what it returns, and memOf is
// not far below what the values really take (checked against the heap,
// so that a change in Go's maps or slices shows here).
func TestMemoryEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	for name, v := range memShapes(1 << 20) {
		t.Run(name, func(t *testing.T) {
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			p := &parser{buf: []byte(v), eof: true, maxMem: 1 << 30}
			o, err := p.object(0)
			if err != nil {
				t.Fatal(err)
			}
			charged := p.mem
			p = nil // and its stack
			runtime.GC()
			runtime.ReadMemStats(&m1)
			live := int64(m1.HeapAlloc) - int64(m0.HeapAlloc) - int64(len(v))
			est := memOf(o)
			runtime.KeepAlive(o)
			if est != charged {
				t.Errorf("memOf %d, parser charged %d", est, charged)
			}
			t.Logf("%d bytes of syntax: estimate %d, heap %d", len(v), est, live)
			if est < live*3/4 {
				t.Errorf("estimate %d bytes, but the values take %d", est, live)
			}
		})
	}
}

// The object cache is charged the memory of what it holds, not the bytes
// of syntax: a few kilobytes of "[][][]..." count for what they take.
func TestCacheChargedByMemory(t *testing.T) {
	doc := catalogWith("[" + repeat("[]", 4000) + "]")
	r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := r.Get(r.RootRef())
	if err != nil {
		t.Fatal(err)
	}
	sh := r.shared
	if want := memOf(cat) + memCacheEntry; sh.objBytes != want || want < 4000*(memElem+memArray) {
		t.Fatalf("cache charged %d, want %d", sh.objBytes, want)
	}
}

// blankFile is a file of size bytes that reads as head, blanks, then
// tail: a large file that takes no memory to make.
type blankFile struct {
	head, tail []byte
	size       int64
}

func (f *blankFile) ReadAt(b []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && off < f.size {
		switch {
		case off < int64(len(f.head)):
			c := copy(b[n:], f.head[off:])
			n, off = n+c, off+int64(c)
		case off >= f.size-int64(len(f.tail)):
			c := copy(b[n:], f.tail[off-(f.size-int64(len(f.tail))):])
			n, off = n+c, off+int64(c)
		default:
			c := int(min(int64(len(b)-n), f.size-int64(len(f.tail))-off))
			for i := n; i < n+c; i++ {
				b[i] = ' '
			}
			n, off = n+c, off+int64(c)
		}
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// A classic table is read a window at a time: blanks between its entries
// and its trailer cost time to skip, not memory, however many there are.
func TestTableMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("skips 256 MiB of blanks")
	}
	doc := catalogWith("1")
	x := bytes.LastIndex(doc, []byte("trailer"))
	f := &blankFile{head: doc[:x], tail: fmt.Appendf(nil, "trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", bytes.Index(doc, []byte("xref")))}
	f.size = 256<<20 + int64(len(f.head)+len(f.tail))
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	r, err := NewReader(f, f.size)
	runtime.ReadMemStats(&m1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup(2); !ok {
		t.Fatal("object 2 not listed")
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 32<<20 {
		t.Fatalf("reading a table followed by 256 MiB of blanks allocated %d MiB", alloc>>20)
	}
}

// Entries, headers, comments and runs of blanks before headers, and the
// trailer keyword are read right wherever the windows cut them.
func TestTableAcrossWindows(t *testing.T) {
	bodies := []string{"<</Type/Catalog/Pages 2 0 R>>", "<</Type/Pages/Kids[]/Count 0>>"}
	for i := 0; i < 9000; i++ {
		bodies = append(bodies, fmt.Sprintf("%d", i))
	}
	rnd := rand.New(rand.NewSource(1))
	gaps := []string{"", "", "", "\n", "\r\n  ", "% a comment\n", "%" + repeat("c", 70000) + "\r", repeat(" ", 70000), repeat(" ", 65536-7)}
	doc := docWith(bodies, func(int) string {
		if rnd.Intn(50) == 0 {
			return gaps[4+rnd.Intn(len(gaps)-4)]
		}
		return gaps[rnd.Intn(4)]
	})
	for shift := 0; shift < 40; shift += 7 {
		// Move every window boundary by shift bytes.
		d := append([]byte("%PDF-1.7\n"+repeat("%", shift)+"\n"), doc[len("%PDF-1.7\n"):]...)
		d = fixOffsets(t, d, shift+1)
		r, err := NewReader(bytes.NewReader(d), int64(len(d)))
		if err != nil {
			t.Fatalf("shift %d: %v", shift, err)
		}
		for i := range bodies {
			o, err := r.Get(Ref{Num: uint32(i + 1)})
			if err != nil || o == nil {
				t.Fatalf("shift %d: object %d: %v, %v", shift, i+1, o, err)
			}
			if i >= 2 && o != Int(i-2) {
				t.Fatalf("shift %d: object %d is %v", shift, i+1, o)
			}
		}
	}
}

// fixOffsets adds by to every offset of the table and to startxref.
func fixOffsets(t *testing.T, d []byte, by int) []byte {
	t.Helper()
	x := bytes.LastIndex(d, []byte("\nxref\n")) + 1
	out := append([]byte(nil), d[:x]...)
	rest := d[x:]
	tr := bytes.LastIndex(rest, []byte("trailer"))
	table, tail := rest[:tr], rest[tr:]
	for len(table) > 0 {
		i := bytes.Index(table, []byte(" 00000 n\r\n"))
		if i < 0 {
			out = append(out, table...)
			break
		}
		var off int
		fmt.Sscanf(string(table[i-10:i]), "%d", &off)
		out = append(out, table[:i-10]...)
		out = fmt.Appendf(out, "%010d", off+by)
		out = append(out, table[i:i+10]...)
		table = table[i+10:]
	}
	s := bytes.Index(tail, []byte("startxref\n")) + len("startxref\n")
	out = append(out, tail[:s]...)
	return fmt.Appendf(out, "%d\n%%%%EOF\n", x)
}

// MaxParsedMemory bounds what the values parsed from one file take in
// all, counting an object parsed again after the cache dropped it: many
// objects, each within MaxObjectMemory, that a caller keeps (the page
// walk keeps every page) cannot take more.
func TestParsedMemoryBudget(t *testing.T) {
	value := "[" + repeat("[]", 2000) + "]" // about 90 KB of memory each
	bodies := []string{"<</Type/Catalog/Pages 2 0 R>>", ""}
	var kids strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&kids, "%d 0 R ", i+3)
		bodies = append(bodies, "<</Type/Page/Parent 2 0 R/X "+value+">>")
	}
	bodies[1] = "<</Type/Pages/Kids[" + kids.String() + "]/Count 40>>"
	doc := docWith(bodies, noGap)
	lim := Limits{MaxParsedMemory: 1 << 20} // + 8 × 170 KB: under the 40 pages' 3.6 MB
	r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), lim)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Pages()
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxParsedMemory" || le.Max != 1<<20+8*int64(len(doc)) {
		t.Fatalf("pages: %v, want a MaxParsedMemory error", err)
	}
	if r.Err() != err {
		t.Fatalf("Err %v: the budget is not sticky", r.Err())
	}
	if pages, err := func() ([]Page, error) {
		r, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			return nil, err
		}
		return r.Pages()
	}(); err != nil || len(pages) != 40 {
		t.Fatalf("with the default limits: %d pages, %v", len(pages), err)
	}

	// One object read again and again, the cache dropping it each time
	// (for the other object), is charged each time.
	doc = catalogWith(value)
	r, err = NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), Limits{MaxParsedMemory: 1 << 20, MaxCached: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && err == nil; i++ {
		if _, err = r.Get(Ref{Num: 2}); err == nil {
			_, err = r.Get(r.RootRef())
		}
	}
	if !errors.As(err, &le) || le.Limit != "MaxParsedMemory" {
		t.Fatalf("re-reading the catalog: %v, want a MaxParsedMemory error", err)
	}
}
