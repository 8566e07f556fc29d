package sign

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/pdf"
	"github.com/kyso-project/kyso/internal/pdftest/attackgen"
)

// An input whose xref places an object past the end of the file (where an
// attacker would write it after signing) is refused as damaged; a clean
// one passes.
func TestCheckEntriesInsideRefusesEntriesPastTheEnd(t *testing.T) {
	doc, err := os.ReadFile(fixture(t, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := attackgen.Open(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkEntriesInside(r); err != nil {
		t.Fatalf("clean input refused: %v", err)
	}
	pages, err := r.Pages()
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages: %v", err)
	}
	ref, ok := pages[0].Dict["Contents"].(pdf.Ref)
	if !ok {
		t.Fatal("page 1 has no content stream")
	}
	n := ref.Num
	prep, err := attackgen.AppendRev(doc, attackgen.Rev{At: map[uint32]int64{n: 3000000}})
	if err != nil {
		t.Fatal(err)
	}
	r, err = attackgen.Open(prep)
	if err != nil {
		t.Fatal(err)
	}
	err = checkEntriesInside(r)
	var fe *fail.Error
	if err == nil || !errors.As(err, &fe) || fe.Kind != fail.KindInput {
		t.Fatalf("entry past the end: want an input error, got %v", err)
	}
	if !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "3000000") {
		t.Errorf("the error does not name the problem: %v", err)
	}
}
