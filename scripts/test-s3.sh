#!/usr/bin/env bash
# make test-s3: the archive's tests against a real S3 server on 127.0.0.1.
#
# The server is Versity's S3 gateway (versitygw) with its POSIX backend: a
# real S3 implementation (SigV4, multipart, checksums, conditional writes,
# Object Lock) that `go install` builds from the Go module proxy. It is
# built once into a cache folder (KYSO_S3_CACHE, default
# ~/.cache/kyso-s3), started on a free port with its data in a temporary
# folder, and stopped by its process id when the tests end.
set -euo pipefail
cd "$(dirname "$0")/.."

VGW_VERSION=v1.8.0
cache="${KYSO_S3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kyso-s3}"
bin="$cache/versitygw-$VGW_VERSION/versitygw"
if [ ! -x "$bin" ]; then
  echo "test-s3: building versitygw $VGW_VERSION into $(dirname "$bin") (once)" >&2
  mkdir -p "$(dirname "$bin")"
  (cd "$(mktemp -d)" && GOFLAGS= GOBIN="$(dirname "$bin")" go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION")
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
access="kysotest"
secret="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$work/data" "$work/meta"
# The keys go by the environment, not the command line. Metadata (checksums,
# retention) goes into a sidecar folder, so no xattr support is needed.
ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
  "$bin" --port "127.0.0.1:$port" --quiet posix --sidecar "$work/meta" "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/server.log" >&2; echo "test-s3: versitygw did not start" >&2; exit 1; fi
  sleep 0.1
done

export KYSO_TEST_S3_ENDPOINT="http://127.0.0.1:$port" KYSO_TEST_S3_ACCESS="$access" KYSO_TEST_S3_SECRET="$secret"
export KYSO_REQUIRE_S3=1
go test -race -count=1 -run 'S3|FolderStore' ./archive/ ./cmd/kyso/
