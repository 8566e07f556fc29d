package verify

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyso-project/kyso/internal/revocation"
	"github.com/kyso-project/kyso/internal/trust"
)

// TestCorpus judges PDFs signed by other tools (testdata/corpus/README.md)
// offline with soft revocation, as the shared corpus manifests expect.
func TestCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "corpus", "expect.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	noRoots := newEnv(t).store // anchors nothing these files chain to
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 3 || cols[0] == "file" {
			continue
		}
		n++
		name, anchor, want := cols[0], cols[1], Status(cols[2])
		t.Run(name, func(t *testing.T) {
			// Judge the files of the corpus's own short-lived PKI within its
			// validity, the others as of a fixed day (their certificates
			// have long expired, which is part of the verdict).
			store, at := noRoots, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
			if anchor != "-" {
				var err error
				if store, err = trust.Load([]string{filepath.Join("testdata", "corpus", anchor)}); err != nil {
					t.Fatal(err)
				}
				at = store.Roots[0].NotBefore.Add(7 * 24 * time.Hour)
			}
			rep, err := VerifyFile(context.Background(), filepath.Join("testdata", "corpus", name), Options{
				Trust: store, Fetcher: &revocation.Fetcher{Offline: true}, RevocationSoft: true,
				At: at})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != want {
				t.Errorf("status %s, want %s; errors %q", rep.Status, want, rep.Errors)
				for _, s := range rep.Signatures {
					t.Logf("signature %d %s: %s %q", s.Index, s.SubFilter, s.Status, s.Reasons)
				}
			}
			if len(rep.Signatures) == 0 {
				t.Fatal("no signatures found")
			}
			for _, s := range rep.Signatures {
				if want != Invalid && !s.Integrity {
					t.Errorf("signature %d (%s): integrity false: %q", s.Index, s.SubFilter, s.Reasons)
				}
				if s.Signer == "" {
					t.Errorf("signature %d: no signer", s.Index)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("expect.tsv lists no files")
	}
}
