#!/usr/bin/env bash
# Release builds: kyso for each platform, built with CGO_ENABLED=0 and
# -trimpath and stamped with VERSION, packed as dist/kyso-VERSION-OS-ARCH.zip
# (Windows) or .tar.gz, plus kyso_VERSION_ARCH.deb for Debian/Ubuntu
# (dpkg-deb, required when a linux platform is built), and dist/SHA256SUMS
# over them all. Each archive and .deb carries the copyright file of
# scripts/copyright.sh (the third-party licenses compiled in). Nothing is
# downloaded.
#   VERSION=1.2.0 scripts/dist.sh      (default: git describe)
#   PLATFORMS="linux/amd64" scripts/dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"
VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
PLATFORMS="${PLATFORMS:-windows/amd64 linux/amd64 linux/arm64 darwin/arm64}"
DIST="${DIST:-dist}"
# Archive entries get the time of the last commit, so a rebuild of the same
# commit gives the same archives.
EPOCH="$(git log -1 --format=%ct 2>/dev/null || date +%s)"

# A release without its .deb is not a release: say so before building.
case " $PLATFORMS " in
  *" linux/"*)
    if ! command -v dpkg-deb >/dev/null; then
      echo "dist: dpkg-deb not found: it builds the .deb of the linux platforms (Debian/Ubuntu: apt-get install dpkg; or PLATFORMS without linux/...)" >&2
      exit 1
    fi ;;
esac

rm -rf "$DIST"
mkdir -p "$DIST"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

for p in $PLATFORMS; do
  os="${p%/*}" arch="${p#*/}"
  name="kyso-$VERSION-$os-$arch"
  dir="$stage/$name"
  mkdir -p "$dir"
  exe=kyso; [ "$os" = windows ] && exe=kyso.exe
  echo "build $os/$arch" >&2
  CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" "$GO" build -trimpath \
    -ldflags "-s -w -X main.version=$VERSION" -o "$dir/$exe" ./cmd/kyso
  cp README.md "$dir/"
  [ -f LICENSE ] && cp LICENSE "$dir/"
  GO="$GO" bash scripts/copyright.sh "$os" "$arch" > "$dir/COPYRIGHT"
  find "$dir" -exec touch -h -d "@$EPOCH" {} +
  if [ "$os" = windows ]; then
    if command -v zip >/dev/null; then
      (cd "$stage" && zip -qrX "$OLDPWD/$DIST/$name.zip" "$name")
    else
      (cd "$stage" && python3 -m zipfile -c "$OLDPWD/$DIST/$name.zip" "$name")
    fi
  else
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" \
      -czf "$DIST/$name.tar.gz" "$name"
  fi
  if [ "$os" = linux ]; then
    # Debian versions start with a digit: v1.2.0 -> 1.2.0, a bare commit -> 0~gitCOMMIT.
    debver="${VERSION#v}"
    [[ "$debver" =~ ^[0-9] ]] || debver="0~git$debver"
    debver="${debver//-/+}"
    root="$stage/deb-$arch"
    mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/doc/kyso"
    cp "$dir/kyso" "$root/usr/bin/kyso"
    cp README.md "$root/usr/share/doc/kyso/"
    cp "$dir/COPYRIGHT" "$root/usr/share/doc/kyso/copyright"
    cat > "$root/DEBIAN/control" <<CONTROL
Package: kyso
Version: $debver
Architecture: $arch
Maintainer: kyso project <kyso@users.noreply.github.com>
Section: utils
Priority: optional
Suggests: opensc, poppler-utils
Homepage: https://github.com/kyso-project/kyso
Description: sign, verify and archive scanned PDFs (PAdES)
 kyso signs scanned PDF results with a unit's certificate (USB token through
 its PKCS#11 driver, or a .p12 file) as PAdES signatures with a visible
 Vietnamese stamp, verifies signed PDFs and keeps them in a catalogue.
CONTROL
    find "$root" -exec touch -h -d "@$EPOCH" {} +
    chmod 0755 "$root/usr/bin/kyso"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$DIST/kyso_${debver}_$arch.deb" >/dev/null
  fi
done

(cd "$DIST" && sha256sum -- *.zip *.tar.gz *.deb 2>/dev/null > SHA256SUMS)
ls -l "$DIST" >&2
