package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kyso-project/kyso/internal/demo/testpki"
	"github.com/kyso-project/kyso/internal/fail"
	"github.com/kyso-project/kyso/internal/fileutil"
	"github.com/kyso-project/kyso/internal/pdf"
)

// TestInputChangedWhileSigned: an input that shrinks, or is rewritten,
// while it is being signed fails on its own account (ErrChanged, an input
// failure) and leaves no output: the output would hold no version of it.
func TestInputChangedWhileSigned(t *testing.T) {
	p := testpki.Shared(t)
	data, err := os.ReadFile(fixture(t, "simple.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(path string) error{
		"shrinks": func(path string) error { return os.Truncate(path, int64(len(data)/2)) },
		"is longer": func(path string) error {
			return os.WriteFile(path, append(append([]byte{}, data...), "% more\n"...), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.pdf")
			if err := os.WriteFile(in, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out", "in.pdf")
			o := BatchOptions{Options: Options{Key: testKey(p), Level: LevelBB}, Jobs: 1}
			// Inspect runs once the input is open and parsed, before its
			// bytes are copied: the moment another program writes to it.
			o.Inspect = func(ctx context.Context, r *pdf.Reader) ([]string, float64, error) {
				return nil, 0, change(in)
			}
			var got *Result
			if err := Batch(context.Background(), []Job{{Input: in, Output: out}}, o, func(r *Result) { got = r }); err != nil {
				t.Fatal(err)
			}
			if got.Status != StatusFailed || !errors.Is(got.Err, fileutil.ErrChanged) || fail.KindOf(got.Err) != fail.KindInput {
				t.Fatalf("result %+v (%v): want an input failure with ErrChanged", got, got.Err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Fatal("an output was written")
			}
			if left, _ := filepath.Glob(filepath.Join(dir, "out", ".*")); len(left) > 0 {
				t.Fatalf("temporary files left: %v", left)
			}
		})
	}
}
