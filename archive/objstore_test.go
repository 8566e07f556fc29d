package archive

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// On a folder store gc removes what no record names, after listing it;
// the records' files stay.
func TestFolderGC(t *testing.T) {
	ctx := context.Background()
	_, c := newCatalogue(t)
	files := writeFiles(t, filepath.Join(t.TempDir(), "in"), map[string]string{"a.pdf": "kept"})
	ingest(t, c, files, IngestOptions{})
	stray := []byte("%PDF-1.7\nstray\n%%EOF\n")
	if err := c.Store().Put(ctx, sha(stray), int64(len(stray)), bytes.NewReader(stray)); err != nil {
		t.Fatal(err)
	}
	st, err := c.CheckStore(ctx, true)
	if err != nil || st.Objects != 2 || st.Referenced != 1 || len(st.Unreferenced) != 1 || st.Unreferenced[0].SHA256 != sha(stray) || st.Problems() != 0 {
		t.Fatalf("check: %+v %v", st, err)
	}
	res, err := c.GC(ctx, true)
	if err != nil || len(res.Unreferenced) != 1 || res.Removed != 0 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if n := len(storeFiles(t, c.StorePath())); n != 2 {
		t.Fatalf("the dry run removed files: %d left", n)
	}
	res, err = c.GC(ctx, false)
	if err != nil || res.Removed != 1 {
		t.Fatalf("gc: %+v %v", res, err)
	}
	as, err := c.Audit(ctx, AuditOptions{}, nil)
	if err != nil || as.OK != 1 || as.Store.Objects != 1 || len(as.Store.Unreferenced) != 0 {
		t.Fatalf("audit after gc: %+v %+v %v", as, as.Store, err)
	}
	// A content a record names but the store lacks is reported missing.
	removeFile(c.FilePath(listAll(t, c, Query{})[0].SHA256))
	st, err = c.CheckStore(ctx, false)
	if err != nil || len(st.Missing) != 1 || st.Problems() != 1 {
		t.Fatalf("check with a file gone: %+v %v", st, err)
	}
}

// gc without --dry-run needs the writer lock.
func TestGCReadOnly(t *testing.T) {
	path, c := newCatalogue(t)
	c.Close()
	ro := openRO(t, path)
	if _, err := ro.GC(context.Background(), false); err == nil {
		t.Fatal("gc removed files from a read-only catalogue")
	}
	if _, err := ro.GC(context.Background(), true); err != nil {
		t.Fatal(err)
	}
}
