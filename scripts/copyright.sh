#!/usr/bin/env bash
# Writes, on stdout, the copyright file of a kyso binary for GOOS/GOARCH
# (Debian machine-readable format, debian/copyright style): kyso's own
# status, then the license text of the Go toolchain's standard library and
# of every module linked into the binary (go list -deps), read from the
# module cache the build used. Nothing is downloaded.
#   scripts/copyright.sh linux amd64 > copyright
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
os="${1:?GOOS}" arch="${2:?GOARCH}"

license_text() { # DIR: the module's license files, indented as DEP-5 wants
  local found=0
  for f in "$1"/LICENSE* "$1"/LICENCE* "$1"/COPYING* "$1"/NOTICE*; do
    [ -f "$f" ] || continue
    found=1
    echo " ---- ${f##*/}"
    sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$f"
  done
  [ "$found" = 1 ] || { echo "kyso: copyright: no license file in $1" >&2; return 1; }
}

cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kyso
Source: https://github.com/kyso-project/kyso
Disclaimer: The kyso project has not declared a license for its own code: its
 source has no LICENSE file, and this package grants no license to it. The
 third-party code compiled into the binary is listed below with its own
 license, which applies to that code.

Files: *
Copyright: the kyso project authors
License: none-declared
 No license has been chosen for kyso yet. Until the project declares one,
 ask the kyso project before redistributing or modifying it.
HEAD

GOROOT_DIR="$("$GO" env GOROOT)"
echo
echo "Files: Go standard library and runtime (compiled in)"
echo "Copyright: The Go Authors"
echo "License: BSD-3-clause (Go)"
license_text "$GOROOT_DIR"

GOOS="$os" GOARCH="$arch" CGO_ENABLED=0 "$GO" list -deps \
  -f '{{with .Module}}{{if not .Main}}{{.Path}}@{{.Version}} {{.Dir}}{{end}}{{end}}' ./cmd/kyso |
  sort -u | while read -r mod dir; do
    [ -n "$dir" ] || { echo "kyso: copyright: $mod is not in the module cache (go mod download)" >&2; exit 1; }
    echo
    echo "Files: Go module $mod (compiled in)"
    echo "Copyright: see the license text below"
    echo "License: $mod"
    license_text "$dir"
  done
