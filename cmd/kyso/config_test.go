package main

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestFindConfig: the config file comes from --config, the user's config
// folder or the system's, never from the working folder (issue 12).
func TestFindConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("kyso.yaml", []byte("trust: [evil.pem]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	xdg := filepath.Join(dir, "xdg")
	sys := filepath.Join(dir, "etc", "kyso.yaml")
	old := systemConfig
	systemConfig = sys
	t.Cleanup(func() { systemConfig = old })
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("AppData", filepath.Join(dir, "home"))
	t.Setenv("XDG_CONFIG_HOME", xdg)

	check := func(want, source string) {
		t.Helper()
		cf, err := findConfig("")
		if err != nil {
			t.Fatal(err)
		}
		if cf.Path != want || cf.Source != source {
			t.Errorf("config %q from %q, want %q from %q", cf.Path, cf.Source, want, source)
		}
	}
	check("", "") // only ./kyso.yaml exists: not read
	if runtime.GOOS != "windows" {
		os.MkdirAll(filepath.Dir(sys), 0o755)
		os.WriteFile(sys, []byte("offline: true\n"), 0o644)
		check(sys, "system")
	}
	user := filepath.Join(xdg, "kyso", "kyso.yaml")
	os.MkdirAll(filepath.Dir(user), 0o755)
	os.WriteFile(user, []byte("offline: true\n"), 0o644)
	check(user, "$XDG_CONFIG_HOME")
	// A relative $XDG_CONFIG_HOME would make the working folder a config
	// location again: it is ignored.
	os.MkdirAll(filepath.Join(dir, "rel", "kyso"), 0o755)
	os.WriteFile(filepath.Join(dir, "rel", "kyso", "kyso.yaml"), []byte("offline: true\n"), 0o644)
	t.Setenv("XDG_CONFIG_HOME", "rel")
	if cf, _ := findConfig(""); cf.Path == filepath.Join("rel", "kyso", "kyso.yaml") {
		t.Errorf("read %s from the working folder", cf.Path)
	}
	if cf, _ := findConfig("mine.yaml"); cf.Path != "mine.yaml" || cf.Source != "--config" {
		t.Errorf("explicit: %+v", cf)
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"trust", "trust", 0}, {"trsut", "trust", 2}, {"revocaton", "revocation", 1}, {"", "abc", 3}, {"hòa", "hoa", 1}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
