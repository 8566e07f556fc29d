package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/i18n"
)

func simplePDF(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pdf", "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An update never numbers objects past MaxObjectNumber: a hostile /Size
// must not make new objects wrap round onto the document's own.
func TestUpdateRefusesObjectNumbersPastTheLimit(t *testing.T) {
	doc := simplePDF(t)
	r0, err := NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	next, err := r0.NextObjectNumber()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), Limits{MaxObjectNumber: next})
	if err != nil {
		t.Fatal(err)
	}
	u := NewUpdate(r)
	u.Add(Dict{})
	if _, err := u.Write(&bytes.Buffer{}); err != nil {
		t.Fatalf("one object within the limit: %v", err)
	}
	u = NewUpdate(r)
	u.Add(Dict{})
	u.Add(Dict{})
	_, err = u.Write(&bytes.Buffer{})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "MaxObjectNumber" {
		t.Fatalf("two objects past the limit: %v", err)
	}
}

// Zero fields take the defaults; the reader reports the limits it uses.
func TestLimitsDefaults(t *testing.T) {
	doc := simplePDF(t)
	r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), Limits{MaxPages: 7})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultLimits
	want.MaxPages = 7
	if r.Limits() != want {
		t.Fatalf("limits %+v, want %+v", r.Limits(), want)
	}
}

// A budget once spent stays spent: every later read fails with it, and
// Err reports it, so a caller that tolerated a failed lookup learns of it.
// (With no cache to speak of, each walk of the pages parses them again.)
func TestBudgetIsSticky(t *testing.T) {
	doc := simplePDF(t)
	r, err := NewReaderLimits(bytes.NewReader(doc), int64(len(doc)), Limits{MaxParsed: 1, ParsedPerByte: 1, MaxCached: 1})
	if err != nil && !IsLimit(err) {
		t.Fatal(err)
	}
	if r == nil {
		return // the catalog alone was over the budget: also right
	}
	for i := 0; i < 100 && r.Err() == nil; i++ {
		r.Pages()
	}
	if r.Err() == nil || !strings.Contains(r.Err().Error(), "MaxParsed") {
		t.Fatalf("Err = %v", r.Err())
	}
	if _, err := r.Get(r.RootRef()); err == nil {
		// cached objects may still be served; an uncached one must fail
		for _, n := range r.ObjectNumbers() {
			if _, err := r.Get(Ref{Num: n}); err != nil {
				return
			}
		}
		t.Fatal("no read fails after the budget is spent")
	}
}

// BenchmarkReadAll opens each testdata PDF, walks its pages and reads
// every object and stream: the cost of the bounds on ordinary files.
func BenchmarkReadAll(b *testing.B) {
	docs := testdataPDFs(b)
	var total int64
	for _, d := range docs {
		total += int64(len(d))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, d := range docs {
			r, err := NewReader(bytes.NewReader(d), int64(len(d)))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Pages(); err != nil {
				b.Fatal(err)
			}
			for _, n := range r.ObjectNumbers() {
				o, _ := r.Get(Ref{Num: n})
				if s, ok := o.(*Stream); ok {
					r.StreamData(s)
				}
			}
		}
	}
}

// A zero or negative field takes its default; a field set stays.
func TestLimitsWithDefaults(t *testing.T) {
	if got := (Limits{}).withDefaults(); got != DefaultLimits {
		t.Fatalf("zero limits: %+v", got)
	}
	got := Limits{MaxSections: -1, MaxDecoded: 5, MaxObjectNumber: 7}.withDefaults()
	want := DefaultLimits
	want.MaxDecoded, want.MaxObjectNumber = 5, 7
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// A file over a limit is told in the reader's language: the error a
// reader returns, wrapped as callers wrap it and kept as a string as
// verify keeps it, renders in Vietnamese, naming the limit as it is named.
func TestLimitErrorSpeaksVietnamese(t *testing.T) {
	deep := []byte(strings.Repeat("[", 2000) + strings.Repeat("]", 2000))
	_, err := (&parser{buf: deep, eof: true}).object(0)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("arrays nested 2000 deep: %v, want a LimitError", err)
	}
	vi := i18n.New(i18n.VI)
	wrapped := fmt.Errorf("scan.pdf: %w", err)
	for _, got := range []string{vi.Err(err), vi.Err(wrapped), vi.Translate(err.Error())} {
		if !strings.Contains(got, "lồng nhau sâu hơn") || !strings.Contains(got, "(giới hạn MaxNesting của kyso)") {
			t.Errorf("Vietnamese rendering %q does not translate %q", got, err.Error())
		}
		if strings.Contains(got, "deeper than") {
			t.Errorf("English left in %q", got)
		}
	}
	if en := i18n.New(i18n.EN).Err(err); en != err.Error() {
		t.Errorf("English rendering %q, want Error() %q", en, err.Error())
	}
}
