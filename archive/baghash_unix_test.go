//go:build unix

package archive

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// distinctBytes is what the files of a bag hold, each file (inode) once.
func distinctBytes(t *testing.T, dir string) int64 {
	t.Helper()
	seen := map[[2]uint64]bool{}
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		k := [2]uint64{uint64(sys.Dev), uint64(sys.Ino)}
		if !seen[k] {
			seen[k] = true
			n += st.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A tag manifest listing many hard links to one large file (red-team F5):
// --require-signed refuses the unsigned bag before any file is hashed, and
// without it the large file is hashed once, whatever the number of links.
func TestImportHashesEachFileOnce(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	big := make([]byte, 4<<20)
	if err := os.WriteFile(filepath.Join(bag, "big.txt"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(big)
	if err := os.Mkdir(filepath.Join(bag, "l"), 0o755); err != nil {
		t.Fatal(err)
	}
	const links = 300
	var add strings.Builder
	for i := range links {
		if err := os.Link(filepath.Join(bag, "big.txt"), filepath.Join(bag, "l", fmt.Sprintf("%d.txt", i))); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&add, "%x  l/%d.txt\n", sum, i)
	}
	tm, err := os.OpenFile(filepath.Join(bag, bagTagManifest), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	tm.WriteString(add.String())
	tm.Close()

	c := districtCatalogue(t, stubVerify)
	s, _, err := importBag(t, c, bag, ImportOptions{RequireSigned: true})
	if !errors.Is(err, ErrBagRefused) || !strings.Contains(err.Error(), "it is not signed") {
		t.Fatalf("require-signed: %v", err)
	}
	if s.HashedFiles != 0 || s.HashedBytes != 0 {
		t.Fatalf("require-signed hashed %d files, %d bytes before refusing", s.HashedFiles, s.HashedBytes)
	}

	s, _, err = importBag(t, c, bag, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Imported != 5 {
		t.Fatalf("import: %+v", s)
	}
	if limit := distinctBytes(t, bag); s.HashedBytes > limit {
		t.Fatalf("hashed %d bytes, the bag's distinct files hold %d", s.HashedBytes, limit)
	}
	if s.HashReused < links-1 || s.HashedBytes >= 2*int64(len(big)) {
		t.Fatalf("big.txt hashed more than once: %d files, %d bytes, %d reused", s.HashedFiles, s.HashedBytes, s.HashReused)
	}
}

// A content file hard-linked under another content name is refused unread:
// both names cannot match one file, and the file is read once at most.
func TestImportContentHardLink(t *testing.T) {
	_, src := sampleCatalogue(t)
	bag := exportBag(t, src)
	var pdfs []string
	filepath.WalkDir(filepath.Join(bag, "data", "files"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			pdfs = append(pdfs, p)
		}
		return err
	})
	if len(pdfs) < 2 {
		t.Fatalf("%d content files", len(pdfs))
	}
	if err := os.Remove(pdfs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(pdfs[0], pdfs[1]); err != nil {
		t.Fatal(err)
	}
	c := districtCatalogue(t, stubVerify)
	s, res, err := importBag(t, c, bag, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Imported+s.Rejected != 5 || s.Rejected < 1 || s.Rejected > 2 {
		t.Fatalf("import: %+v", s)
	}
	hardLink := 0
	for _, r := range res {
		if strings.Contains(r.Reason, "(a hard link): the bag was altered") {
			hardLink++
		}
	}
	if hardLink != 1 {
		t.Fatalf("%d records refused as a hard link: %+v", hardLink, res)
	}
	if limit := distinctBytes(t, bag); s.HashedBytes > limit {
		t.Fatalf("hashed %d bytes, the bag's distinct files hold %d", s.HashedBytes, limit)
	}
}
