package fileutil

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tempTag marks kyso's temporary files: ".<name>.kyso-<pid>-<random>.tmp".
// The pid lets a later run tell a killed run's leftovers from the files of
// a run still going.
const tempTag = ".kyso-"

// CreateTemp creates a new file beside final (in its folder), named
// ".<base>.kyso-<pid>-<random>.tmp", with mode 0666 minus the umask, as cp
// and every other tool create files: the account that later reads the
// folder (a nightly job, an auditor) can, when the umask allows it.
func CreateTemp(final string) (*os.File, error) { return createTemp(final, 0o666) }

// createTemp is CreateTemp with the mode (before the umask) given.
func createTemp(final string, perm os.FileMode) (*os.File, error) {
	dir, base := filepath.Split(final)
	if dir == "" {
		dir = "."
	}
	var b [6]byte
	for i := 0; ; i++ {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, "."+base+tempTag+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(b[:])+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 9 {
			return f, err
		}
	}
}

// staleAge is how old (last written) a temporary file of a live-looking
// process must be to count as abandoned anyway: process ids are reused.
const staleAge = 24 * time.Hour

// RemoveStaleTemps removes from dir the temporary files CreateTemp made for
// runs that are gone: their process no longer exists, or they were last
// written more than a day ago. Files of a run still going are left alone.
// It returns the paths removed; a missing dir is not an error.
func RemoveStaleTemps(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var removed []string
	for _, e := range ents {
		pid, ok := tempPID(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if pid == os.Getpid() || (processAlive(pid) && time.Since(info.ModTime()) < staleAge) {
			continue // this run's own files, or a run still going
		}
		p := filepath.Join(dir, e.Name())
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed, nil
}

// tempPID reads the process id from a name CreateTemp made.
func tempPID(name string) (int, bool) {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".tmp") {
		return 0, false
	}
	i := strings.LastIndex(name, tempTag)
	if i < 0 {
		return 0, false
	}
	rest := strings.TrimSuffix(name[i+len(tempTag):], ".tmp")
	pidStr, rnd, ok := strings.Cut(rest, "-")
	if !ok || len(rnd) != 12 {
		return 0, false
	}
	if _, err := hex.DecodeString(rnd); err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// Perm returns mode minus the process's umask: the mode a file created with
// mode gets, for files whose mode is set after creation (a store's
// read-only files). Where the umask cannot be read it assumes 022.
func Perm(mode os.FileMode) os.FileMode {
	return mode &^ umask()
}

var (
	umaskOnce sync.Once
	umaskVal  os.FileMode
)

func umask() os.FileMode {
	umaskOnce.Do(func() {
		umaskVal = 0o022
		if runtime.GOOS == "windows" {
			umaskVal = 0
			return
		}
		// Linux 4.7+ reports it without changing it (syscall.Umask would
		// have to set it, racing with other goroutines creating files).
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Umask:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					umaskVal = os.FileMode(n) & 0o777
				}
			}
		}
	})
	return umaskVal
}
