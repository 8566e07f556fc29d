package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// appendBagRecords adds lines to data/records.jsonl of an unsigned bag and
// makes both manifests agree.
func appendBagRecords(t *testing.T, bag string, lines []byte) {
	t.Helper()
	recs := filepath.Join(bag, filepath.FromSlash(bagRecords))
	b, err := os.ReadFile(recs)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(b)
	b = append(b, lines...)
	if err := os.WriteFile(recs, b, 0o644); err != nil {
		t.Fatal(err)
	}
	now := sha256.Sum256(b)
	rewriteTag(t, bag, "manifest-sha256.txt", func(m []byte) []byte {
		return bytes.Replace(m, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
	}, true)
}

// endless is a reader of one JSON record that never ends: a string member
// that goes on for ever. It counts what was read.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	head := []byte(`{"record":{"id":1,"name":"`)
	for i := range p {
		if e.n+i < len(head) {
			p[i] = head[e.n+i]
		} else {
			p[i] = 'A'
		}
	}
	e.n += len(p)
	return len(p), nil
}

// TestRecordBudget: a record that never ends is refused once
// maxRecordLine bytes of it are read: what the decoder holds stays within
// that bound, whatever the bag says.
func TestRecordBudget(t *testing.T) {
	src := &endless{}
	budget := &budgetReader{r: src, left: maxRecordLine}
	var l bagLine
	err := json.NewDecoder(budget).Decode(&l)
	if !errors.Is(err, errLineTooLong) {
		t.Fatalf("decode of an endless record: %v", err)
	}
	if src.n > maxRecordLine {
		t.Fatalf("read %d bytes of one record, the bound is %d", src.n, maxRecordLine)
	}
}

// TestImportHugeRecord: a record larger than maxRecordLine (one line, as
// the red team's 300 MB line) refuses the bag with an error naming the file
// and the record; one just under the bound is read and judged.
func TestImportHugeRecord(t *testing.T) {
	_, src := sampleCatalogue(t)
	line := func(size int) []byte {
		return fmt.Appendf(nil, `{"record":{"id":99,"sha256":"%064x","name":"%s"}}`+"\n", 99, strings.Repeat("A", size))
	}
	bag := exportBag(t, src)
	appendBagRecords(t, bag, line(maxRecordLine-1024))
	c := districtCatalogue(t, stubVerify)
	sum, res, err := importBag(t, c, bag, ImportOptions{})
	if err != nil || sum.Imported != 5 || sum.Rejected != 1 {
		t.Fatalf("a record under the bound: %+v %v", sum, err)
	}
	if r := res[fmt.Sprintf("%064x", 99)]; !strings.Contains(r.Reason, "record_hash") {
		t.Fatalf("the big record: %+v", r)
	}

	bag = exportBag(t, src)
	appendBagRecords(t, bag, line(maxRecordLine+1))
	c = districtCatalogue(t, stubVerify)
	_, _, err = importBag(t, c, bag, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "data/records.jsonl: record 6") || !strings.Contains(err.Error(), "more than 4 MiB") {
		t.Fatalf("a record over the bound: %v", err)
	}
}

// TestImportManyValuesRecord: a record of small size but many values (a
// few bytes of JSON each, a hundred bytes or more of memory each once
// decoded) refuses the bag before it is decoded.
func TestImportManyValuesRecord(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	appendBagRecords(t, bag, []byte(`{"record":{"id":99,"signatures":[`+strings.Repeat("{},", maxRecordValues)+`{}]}}`+"\n"))
	c := districtCatalogue(t, stubVerify)
	_, _, err := importBag(t, c, bag, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "data/records.jsonl: record 6") || !strings.Contains(err.Error(), "JSON values") {
		t.Fatalf("a record of many values: %v", err)
	}
}

func TestJSONValues(t *testing.T) {
	for in, want := range map[string]int{
		`1`:                    0,
		`{}`:                   1,
		`{"a":[1,2,3],"b":{}}`: 6,
		`{"a":"{[,,]}\\\"[,"}`: 1,
		`[{},{},{}]`:           6,
	} {
		if got := jsonValues([]byte(in)); got != want {
			t.Errorf("jsonValues(%s) = %d, want %d", in, got, want)
		}
	}
}

// TestImportManifestListsMissingFiles: files the manifest lists and the bag
// does not hold are counted and the first ones named; a record that needs
// one is rejected, the others are imported (as for a file that does not
// match the manifest).
func TestImportManifestListsMissingFiles(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	var extra bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&extra, "%064x  data/junk/%08d\n", 0, i)
	}
	for i := range 3 {
		s := fmt.Sprintf("%064x", i+1)
		fmt.Fprintf(&extra, "%s  %s\n", s, bagFile(s))
	}
	rewriteTag(t, bag, "manifest-sha256.txt", func(m []byte) []byte { return append(m, extra.Bytes()...) }, true)
	// One record's file, listed, is taken out of the bag.
	var victim string
	for _, r := range listAll(t, src, Query{}) {
		victim = r.SHA256
		break
	}
	if err := os.Remove(filepath.Join(bag, filepath.FromSlash(bagFile(victim)))); err != nil {
		t.Fatal(err)
	}

	c := districtCatalogue(t, stubVerify)
	sum, res, err := importBag(t, c, bag, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 4 || sum.Rejected != 1 || sum.Missing != 1004 || len(sum.MissingFiles) != maxMissingNamed {
		t.Fatalf("import: %+v", sum)
	}
	if r := res[victim]; r.Status != ImportRejected || !strings.Contains(r.Reason, "is not in the bag: the bag is incomplete") {
		t.Fatalf("the record whose file is missing: %+v", r)
	}
	if !strings.Contains(strings.Join(sum.MissingFiles, " "), "data/junk/00000000") {
		t.Fatalf("named: %q", sum.MissingFiles)
	}
}

// TestImportRejectionsCommitNothing: records rejected before the catalogue
// is touched (here: no record_hash) cost no commit. The catalogue's
// transaction id counts the commits.
func TestImportRejectionsCommitNothing(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	var extra bytes.Buffer
	const bogus = 1000
	for i := range bogus {
		fmt.Fprintf(&extra, `{"record":{"id":%d,"sha256":"%064x"}}`+"\n", i+100, i)
	}
	appendBagRecords(t, bag, extra.Bytes())
	c := districtCatalogue(t, stubVerify)
	txid := func() (id int) {
		if err := c.view(context.Background(), func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
			t.Fatal(err)
		}
		return id
	}
	before := txid()
	sum, _, err := importBag(t, c, bag, ImportOptions{})
	if err != nil || sum.Imported != 5 || sum.Rejected != bogus {
		t.Fatalf("import: %+v %v", sum, err)
	}
	// One commit for the batch that holds the five real records, one for
	// the totals and the run; none for the 15 batches of rejections.
	if n := txid() - before; n != 2 {
		t.Fatalf("%d commits for an import of 5 records and %d rejections, want 2", n, bogus)
	}
	// Again: the five are duplicates now, found in one read transaction
	// per batch; only the run is written.
	before = txid()
	sum, _, err = importBag(t, c, bag, ImportOptions{})
	if err != nil || sum.Duplicate != 5 || sum.Rejected != bogus {
		t.Fatalf("second import: %+v %v", sum, err)
	}
	if n := txid() - before; n != 1 {
		t.Fatalf("%d commits for an import of duplicates and rejections, want 1", n)
	}
}

// TestWalkBagLimits: folders nested deeper than maxBagDepth refuse the bag.
func TestWalkBagLimits(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	deep := filepath.Join(bag, "data")
	for range maxBagDepth {
		deep = filepath.Join(deep, "d")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := walkBag(bag)
	if !errors.Is(err, ErrBagRefused) || !strings.Contains(err.Error(), "nested deeper than") {
		t.Fatalf("deep folders: %v", err)
	}
}

// TestLineReader: lines are bounded; a longer one is an error once the
// bound is passed, the lines before it read as they are.
func TestLineReader(t *testing.T) {
	in := "a\r\nbb\n\n" + strings.Repeat("c", 10) + "\n" + strings.Repeat("d", 11) + "\n"
	lr := newLineReader(strings.NewReader(in), 10)
	var got []string
	for {
		b, err := lr.next()
		if err == io.EOF {
			t.Fatal("no error for the long line")
		}
		if err != nil {
			if !errors.Is(err, errLineTooLong) || lr.n != 5 {
				t.Fatalf("line %d: %v", lr.n, err)
			}
			break
		}
		got = append(got, string(b))
	}
	if strings.Join(got, "|") != "a|bb||cccccccccc" {
		t.Fatalf("lines: %q", got)
	}
	// The last line needs no end of line.
	lr = newLineReader(strings.NewReader("x\ny"), 10)
	for _, want := range []string{"x", "y"} {
		if b, err := lr.next(); err != nil || string(b) != want {
			t.Fatalf("%q %v, want %q", b, err, want)
		}
	}
	if _, err := lr.next(); err != io.EOF {
		t.Fatalf("after the last line: %v", err)
	}
}

// TestImportRefusedBeforeCommitting: a bag that breaks a limit is refused
// before any of it is committed, wherever the breach stands: a record past
// the first full batch, a totals row over its bound. Refused halfway, the
// catalogue would keep some records, no totals and no run entry.
func TestImportRefusedBeforeCommitting(t *testing.T) {
	_, src := sampleCatalogue(t)
	big := func(id, size int) []byte {
		return fmt.Appendf(nil, `{"record":{"id":%d,"sha256":"%064x","name":"%s"}}`+"\n", id, id, strings.Repeat("A", size))
	}
	lateRecord := exportBag(t, src)
	// two records just under 4 MiB close the first 8 MiB batch after the
	// five good ones; the third is over the bound
	appendBagRecords(t, lateRecord, append(append(big(97, maxRecordLine-1024), big(98, maxRecordLine-1024)...), big(99, maxRecordLine+1)...))

	bigTotals := exportBag(t, src)
	tot := filepath.Join(bigTotals, filepath.FromSlash(bagTotals))
	b, err := os.ReadFile(tot)
	if err != nil {
		t.Fatal(err)
	}
	old := sha256.Sum256(b)
	b = append(b, fmt.Appendf(nil, `{"unit_code":"%s"}`+"\n", strings.Repeat("9", maxTotalsLine+1))...)
	if err := os.WriteFile(tot, b, 0o644); err != nil {
		t.Fatal(err)
	}
	now := sha256.Sum256(b)
	rewriteTag(t, bigTotals, "manifest-sha256.txt", func(m []byte) []byte {
		return bytes.Replace(m, fmt.Appendf(nil, "%x", old), fmt.Appendf(nil, "%x", now), 1)
	}, true)

	for name, bag := range map[string]string{"a record past the first batch": lateRecord, "a totals row over its bound": bigTotals} {
		c := districtCatalogue(t, stubVerify)
		sum, _, err := importBag(t, c, bag, ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "more than") {
			t.Fatalf("%s: %+v %v, want the bag refused", name, sum, err)
		}
		n := 0
		if err := c.List(t.Context(), Query{}, func(*Record) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n != 0 || sum.Imported != 0 {
			t.Errorf("%s: %d records committed (summary %+v) before the bag was refused", name, n, sum)
		}
	}
}
