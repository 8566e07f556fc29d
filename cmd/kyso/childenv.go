package main

import (
	"os"
	"runtime"
	"strings"
)

// childEnvKeep are the environment variables a helper program kyso starts
// (Chromium printing the report) is given: what it needs to find its
// libraries, fonts, locale and temporary folder, and on Windows the
// system's own folders. Nothing else of kyso's environment goes to it — in
// particular not the variables that hold a password or PIN (--pass-env,
// --pin-env, KYSO_PASS...), nor cloud or proxy credentials.
var childEnvKeep = []string{
	"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
	"FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT",
	"XDG_DATA_DIRS", "XDG_CONFIG_DIRS", "XDG_RUNTIME_DIR",
	// Windows
	"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "OS",
	"PROGRAMFILES", "PROGRAMFILES(X86)", "PROGRAMW6432", "PROGRAMDATA",
	"COMMONPROGRAMFILES", "COMMONPROGRAMFILES(X86)", "COMMONPROGRAMW6432",
	"LOCALAPPDATA", "APPDATA", "USERPROFILE", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
}

// childEnv is the environment for a helper program: the variables of
// childEnvKeep and LC_*, less those named in drop (the --pass-env and
// --pin-env names, whatever they are), plus extra ("HOME=...").
func childEnv(drop []string, extra ...string) []string {
	keep := map[string]bool{}
	for _, k := range childEnvKeep {
		keep[k] = true
	}
	fold := func(s string) string {
		if runtime.GOOS == "windows" {
			return strings.ToUpper(s)
		}
		return s
	}
	dropped := map[string]bool{}
	for _, d := range drop {
		if d != "" {
			dropped[fold(d)] = true
		}
	}
	var out []string
	for _, kv := range os.Environ() {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" || dropped[fold(name)] {
			continue
		}
		if keep[strings.ToUpper(name)] && (runtime.GOOS == "windows" || name == strings.ToUpper(name)) || strings.HasPrefix(name, "LC_") {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}
