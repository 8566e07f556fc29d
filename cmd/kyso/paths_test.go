package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestSlashPath(t *testing.T) {
	if got := slashPath(`\\?\C:\very\long\a.pdf`); got != `\\?\C:\very\long\a.pdf` {
		t.Errorf("a \\\\?\\ path was changed: %s", got)
	}
	want := "scans/2025/a.pdf"
	if got := slashPath(filepath.Join("scans", "2025", "a.pdf")); got != want {
		t.Errorf("slashPath = %s, want %s", got, want)
	}
	if runtime.GOOS == "windows" {
		if got := slashPath(`C:\scans\a.pdf`); got != "C:/scans/a.pdf" {
			t.Errorf("windows path: %s", got)
		}
	}
}

// Inputs found in folders are shown with forward slashes, relative paths
// included, so outputs mirror them the same way on every system.
func TestCollectPDFsSlashes(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "xa", "2025")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "a.pdf"), []byte("%PDF-1.4"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := collectPDFs([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Rel != "xa/2025/a.pdf" || got[0].Path != filepath.ToSlash(filepath.Join(sub, "a.pdf")) {
		t.Fatalf("inputs %+v", got)
	}
	if _, err := os.Stat(got[0].Path); err != nil {
		t.Errorf("the slashed path does not open: %v", err)
	}
}
