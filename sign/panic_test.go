package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/keys"
	"github.com/kyso-project/kyso/internal/pdf"
)

// panicStamp panics on inputs of size boom and draws no stamp on the
// others: a stand-in for a bug that one hostile file trips.
type panicStamp struct{ boom int64 }

func (panicStamp) PageIndex() int { return 0 }
func (s panicStamp) Stamp(_ context.Context, r *pdf.Reader, _ *pdf.Update, _ pdf.Page, _ int, _ time.Time, _ *keys.Key) ([4]float64, pdf.Ref, []pdf.Ref, error) {
	if r.Size() == s.boom {
		var m map[string]int
		m["x"]++ // a nil map: a runtime panic, as a real bug would be
	}
	return [4]float64{}, pdf.Ref{}, nil, nil
}

// A panic while preparing or finishing one file fails that file with an
// internal-error input error; the other files of the batch are signed and
// no temporary file is left behind.
func TestBatchPanicIsOneFilesFailure(t *testing.T) {
	p := testpki.Shared(t)
	boom := fixture(t, "form.pdf")
	st, err := os.Stat(boom)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	late := filepath.Join(dir, "late-boom.pdf")
	data, _ := os.ReadFile(fixture(t, "xrefstream.pdf"))
	os.WriteFile(late, data, 0o644)
	o := BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB, Stamp: panicStamp{boom: st.Size()},
		Check: func(_ context.Context, path string) error {
			if strings.Contains(filepath.Base(path), "late-boom") {
				panic("check bug")
			}
			return nil
		}}, Jobs: 1}
	out := t.TempDir()
	jobs := []Job{
		{fixture(t, "simple.pdf"), filepath.Join(out, "simple.pdf")},
		{boom, filepath.Join(out, "form.pdf")},
		{late, filepath.Join(out, "late-boom.pdf")},
		{fixture(t, "scan200.pdf"), filepath.Join(out, "scan200.pdf")},
	}
	got := map[string]*Result{}
	if err := Batch(context.Background(), jobs, o, func(r *Result) { got[filepath.Base(r.Input)] = r }); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"simple.pdf", "scan200.pdf"} {
		if got[n].Status != StatusSigned {
			t.Fatalf("%s: %+v", n, got[n])
		}
	}
	for _, n := range []string{"form.pdf", "late-boom.pdf"} {
		r := got[n]
		var pe *fail.PanicError
		if r.Status != StatusFailed || fail.KindOf(r.Err) != fail.KindInput || !errors.As(r.Err, &pe) || len(pe.Stack) == 0 ||
			!strings.HasPrefix(r.Error, "internal error") || strings.Contains(r.Error, "\n") {
			t.Fatalf("%s: %+v", n, r)
		}
	}
	ents, _ := os.ReadDir(out)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "scan200.pdf simple.pdf" {
		t.Fatalf("output folder holds %v, want the two signed files only", names)
	}
}
