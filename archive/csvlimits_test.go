package archive

import (
	"io"
	"strings"
	"testing"
)

// Every CSV kyso reads is bounded: a row that never ends is refused once
// its bound is read (never held whole), and so is a file of too many rows;
// rows just under the bound are read.
func TestCSVBounds(t *testing.T) {
	const head = "file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date\n"
	row := func(name string, size int) string {
		return name + ",D-" + name + ",1.1," + strings.Repeat("A", size) + ",000.00.01.H26,commune,2025-01-01\n"
	}
	if m, err := ReadMeta(strings.NewReader(head+row("a.pdf", maxCSVRow-200)+row("b.pdf", 10)), "ok.csv"); err != nil || len(m) != 2 {
		t.Fatalf("rows under the bound: %v %v", len(m), err)
	}
	// a row of a gigabyte that is never produced past the bound
	endless := io.MultiReader(strings.NewReader(head+"a.pdf,D1,1.1,"), &repeatReader{b: 'A', n: 1 << 30})
	counted := &countingReader{r: endless}
	_, err := ReadMeta(counted, "big.csv")
	if err == nil || !strings.Contains(err.Error(), "big.csv line 2: more than 64 KiB") {
		t.Fatalf("a row over the bound: %v", err)
	}
	if counted.n > maxCSVRow+64<<10 {
		t.Errorf("%d bytes read to refuse a row of more than %d", counted.n, maxCSVRow)
	}
	var b strings.Builder
	b.WriteString("level,year,target_percent\n")
	for range maxCSVRows + 1 {
		b.WriteString("commune,2025,90\n")
	}
	if _, err := ReadTargets(strings.NewReader(b.String()), "targets.csv"); err == nil || !strings.Contains(err.Error(), "rows") {
		t.Errorf("too many rows: %v", err)
	}
}

type repeatReader struct {
	b byte
	n int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = r.b
	}
	r.n -= n
	return n, nil
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
