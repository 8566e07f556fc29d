package fileutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestRemoveStaleTemps removes the temporary files of a process that is
// gone and of one that stopped writing a day ago, and keeps those of this
// process and of a live one, and every other file.
func TestRemoveStaleTemps(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is judged by age only on Windows") // not counted: no Windows runner
	}
	dir := t.TempDir()
	// a process that ran and is gone
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	// a live process
	live := exec.Command("sleep", "30")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	name := func(pid int) string { return ".a.pdf.kyso-" + strconv.Itoa(pid) + "-0123456789ab.tmp" }
	files := map[string]bool{ // name -> removed
		name(dead):                       true,
		name(live.Process.Pid):           false,
		name(os.Getpid()):                false,
		"a.pdf":                          false,
		".a.pdf.kyso-notapid.tmp":        false,
		".a.pdf.kyso-12-short.tmp":       false,
		".b.pdf.kyso-1-zzzzzzzzzzzz.tmp": false,
	}
	for n := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := ".c.pdf.kyso-" + strconv.Itoa(live.Process.Pid) + "-abcdefabcdef.tmp"
	os.WriteFile(filepath.Join(dir, old), []byte("x"), 0o644)
	day := time.Now().Add(-25 * time.Hour)
	os.Chtimes(filepath.Join(dir, old), day, day)
	files[old] = true

	removed, err := RemoveStaleTemps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %q, want the dead process's and the day-old file", removed)
	}
	for n, gone := range files {
		_, err := os.Stat(filepath.Join(dir, n))
		if gone != os.IsNotExist(err) {
			t.Errorf("%s: removed=%v, want %v", n, os.IsNotExist(err), gone)
		}
	}
	if r, err := RemoveStaleTemps(filepath.Join(dir, "missing")); err != nil || len(r) != 0 {
		t.Errorf("missing folder: %v %v", r, err)
	}
}

// TestCreateTempMode: 0666 minus the umask, named for RemoveStaleTemps.
func TestCreateTempMode(t *testing.T) {
	dir := t.TempDir()
	f, err := CreateTemp(filepath.Join(dir, "out.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if pid, ok := tempPID(filepath.Base(f.Name())); !ok || pid != os.Getpid() {
		t.Errorf("name %s: pid %d %v", f.Name(), pid, ok)
	}
	st, _ := f.Stat()
	if runtime.GOOS != "windows" && st.Mode().Perm() != Perm(0o666) {
		t.Errorf("mode %#o, want %#o", st.Mode().Perm(), Perm(0o666))
	}
}
