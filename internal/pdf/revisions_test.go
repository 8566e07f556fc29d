package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kyso-project/kyso/internal/testtool"
)

// appendRevision appends objects (number -> body) and a classic xref table
// whose trailer is trailer plus /Size.
func appendRevision(t *testing.T, base []byte, objs map[uint32]string, trailer string) ([]byte, int64) {
	t.Helper()
	out := bytes.NewBuffer(append([]byte(nil), base...))
	if !bytes.HasSuffix(base, []byte("\n")) {
		out.WriteByte('\n')
	}
	offs := map[uint32]int64{}
	var nums []uint32
	for n := range objs {
		nums = append(nums, n)
	}
	for _, n := range runsSorted(nums) {
		offs[n] = int64(out.Len())
		fmt.Fprintf(out, "%d 0 obj\n%s\nendobj\n", n, objs[n])
	}
	xref := int64(out.Len())
	out.WriteString("xref\n")
	for _, n := range runsSorted(nums) {
		fmt.Fprintf(out, "%d 1\n%010d 00000 n\r\n", n, offs[n])
	}
	fmt.Fprintf(out, "trailer\n<<%s>>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return out.Bytes(), xref
}

func runsSorted(nums []uint32) []uint32 {
	var out []uint32
	for _, r := range XrefRuns(nums) {
		for n := r[0]; n <= r[1]; n++ {
			out = append(out, n)
		}
	}
	return out
}

// A replaced object stream must not let the objects of the old one be
// served from the cache for the new revision, or the other way round.
func TestObjectStreamReplacedInLaterRevision(t *testing.T) {
	r, data := open(t, "xrefstream.pdf")
	infoRef := r.Trailer()["Info"].(Ref)
	e, ok := r.Lookup(infoRef.Num)
	if !ok || e.Type != 2 {
		t.Fatalf("fixture: /Info is not in an object stream: %+v", e)
	}
	// Warm the cache through the old view first.
	if d, _ := r.Dict(infoRef); d == nil {
		t.Fatal("no info")
	}
	old, err := r.Get(Ref{Num: e.Stream})
	if err != nil {
		t.Fatal(err)
	}
	os := old.(*Stream)
	n, _ := os.Dict.Int("N")
	// Rebuild the object stream with the same numbers, changing the title.
	raw, err := r.StreamData(os)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.Dict.Int("First")
	body := bytes.Replace(raw[first:], []byte("Check xref-stream contract"), []byte("Changed by a later update!"), 1)
	if bytes.Equal(body, raw[first:]) {
		t.Fatal("fixture title not found")
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(append(append([]byte(nil), raw[:first]...), body...))
	zw.Close()
	stm := fmt.Sprintf("<</Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d>>\nstream\n%s\nendstream", n, first, z.Len(), z.Bytes())
	prev := r.Revisions()[0].XrefOffset
	size, _ := r.Trailer().Int("Size")
	// A classic table may follow an xref-stream revision.
	out, _ := appendRevision(t, data, map[uint32]string{e.Stream: stm},
		fmt.Sprintf("/Size %d /Root %v /Info %v /Prev %d", size, r.RootRef(), infoRef, prev))
	r2, err := NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	title := func(v *Reader) string {
		d, err := v.Dict(infoRef)
		if err != nil || d == nil {
			t.Fatalf("info: %v", err)
		}
		s, _ := d["Title"].(String)
		return string(s.Bytes)
	}
	if got := title(r2.At(0)); got != "Check xref-stream contract" {
		t.Errorf("revision 0 title %q", got)
	}
	if got := title(r2); got != "Changed by a later update!" {
		t.Errorf("revision 1 title %q", got)
	}
	if got := title(r2.At(0)); got != "Check xref-stream contract" {
		t.Errorf("revision 0 title after reading revision 1: %q", got)
	}
}

// An update whose /Prev points at a cross-reference section hidden in the
// signed bytes (here inside an unused stream) must not have that section
// merged into the signed revision as if the file were linearized.
func TestHiddenSectionIsItsOwnRevision(t *testing.T) {
	r, data := open(t, "simple.pdf")
	size, _ := r.Trailer().Int("Size")
	root := r.RootRef()
	hiddenNum := uint32(size)
	// Revision 1: an unused stream whose data holds a complete xref section
	// that redefines the catalog's page tree object.
	pages, _ := r.Catalog()
	pagesRef := pages["Pages"].(Ref)
	base := bytes.NewBuffer(append([]byte(nil), data...))
	streamStart := base.Len()
	fmt.Fprintf(base, "%d 0 obj\n<</Length 0000>>\nstream\n", hiddenNum)
	hiddenObj := int64(base.Len())
	fmt.Fprintf(base, "%d 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n", pagesRef.Num)
	hiddenXref := int64(base.Len())
	fmt.Fprintf(base, "xref\n%d 1\n%010d 00000 n\r\ntrailer\n<</Size %d /Root %v /Prev PREVPREVPREV>>\n", pagesRef.Num, hiddenObj, size+1, root)
	dataLen := int64(base.Len()) - hiddenObj
	base.WriteString("\nendstream\nendobj\n")
	rev1 := base.Bytes()
	copy(rev1[streamStart:], fmt.Sprintf("%d 0 obj\n<</Length %04d>>", hiddenNum, dataLen))
	xref1 := int64(len(rev1))
	rev1 = append(rev1, fmt.Sprintf("xref\n%d 1\n%010d 00000 n\r\ntrailer\n<</Size %d /Root %v /Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
		hiddenNum, streamStart, size+1, root, r.Revisions()[0].XrefOffset, xref1)...)
	rev1 = bytes.Replace(rev1, []byte("PREVPREVPREV"), fmt.Appendf(nil, "%12d", xref1), 1)
	// Revision 2 (the attack): an empty update pointing at the hidden section.
	out := append(append([]byte(nil), rev1...), fmt.Sprintf("xref\n0 0\ntrailer\n<</Size %d /Root %v /Prev %d>>\nstartxref\n%d\n%%%%EOF\n",
		size+1, root, hiddenXref, len(rev1))...)
	r2, err := NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	revs := r2.Revisions()
	if len(revs) != 4 {
		t.Fatalf("%d revisions, want 4 (original, signed, hidden, attack)", len(revs))
	}
	if revs[1].End != int64(len(rev1)) {
		t.Errorf("revision 1 ends at %d, want %d", revs[1].End, len(rev1))
	}
	if _, ok := revs[1].Entries[pagesRef.Num]; ok {
		t.Error("the hidden section's objects were merged into revision 1")
	}
	if pg, _ := r2.At(1).Pages(); len(pg) != 1 {
		t.Errorf("revision 1 has %d pages, want 1", len(pg))
	}
	if pg, _ := r2.Pages(); len(pg) != 0 {
		t.Errorf("last revision has %d pages, want the hidden empty tree", len(pg))
	}
}

// A linearized file's first-page section still joins the main one.
func TestLinearizedIsOneRevision(t *testing.T) {
	testtool.Need(t, "qpdf")
	out := filepath.Join(t.TempDir(), "lin.pdf")
	if o, err := exec.Command("qpdf", "--linearize", filepath.Join("..", "..", "testdata", "pdf", "form.pdf"), out).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Revisions()); n != 1 {
		t.Fatalf("linearized file has %d revisions, want 1", n)
	}
	if r.Revisions()[0].End != int64(len(data)) {
		t.Errorf("end %d, want %d", r.Revisions()[0].End, len(data))
	}
	if pg, err := r.Pages(); err != nil || len(pg) != 1 {
		t.Errorf("pages %d %v", len(pg), err)
	}
}
