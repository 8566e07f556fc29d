#!/usr/bin/env bash
# make test-s3: the archive's object-store tests against a real S3 server
# (versitygw, see s3-server.sh) on 127.0.0.1. The tests that need it skip in
# plain `make test`; here KYSO_REQUIRE_S3=1 makes them fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/s3-server.sh
work="$(mktemp -d)"
trap 's3_stop; rm -rf "$work"' EXIT
s3_start "$work"
export KYSO_REQUIRE_S3=1
go test -race -count=1 -run 'S3|FolderStore' ./archive/ ./cmd/kyso/
