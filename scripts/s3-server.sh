# Sourced by test-s3.sh and bench-s3.sh: a real S3 server on 127.0.0.1.
#
# The server is Versity's S3 gateway (versitygw) with its POSIX backend: a
# real S3 implementation (SigV4, multipart, x-amz-checksum-*, conditional
# writes, Object Lock) that `go install` builds from the Go module proxy.
# It is built once into a cache folder (KYSO_S3_CACHE, default
# ~/.cache/kyso-s3) and started on a free port with its data and metadata
# (a sidecar folder, so no xattr support is needed) under $1.
#
# s3_start DIR sets S3_PID and exports KYSO_TEST_S3_ENDPOINT,
# KYSO_TEST_S3_ACCESS, KYSO_TEST_S3_SECRET; s3_stop stops it by its pid.

VGW_VERSION=v1.8.0

s3_start() {
  local dir="$1" cache bin port access secret
  cache="${KYSO_S3_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kyso-s3}"
  bin="$cache/versitygw-$VGW_VERSION/versitygw"
  if [ ! -x "$bin" ]; then
    echo "s3: building versitygw $VGW_VERSION into $(dirname "$bin") (once)" >&2
    mkdir -p "$(dirname "$bin")"
    (cd "$(mktemp -d)" && GOFLAGS= GOBIN="$(dirname "$bin")" go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION")
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  access="kysotest"
  secret="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  mkdir -p "$dir/data" "$dir/meta"
  # The keys go by the environment, not the command line.
  ROOT_ACCESS_KEY_ID="$access" ROOT_SECRET_ACCESS_KEY="$secret" \
    "$bin" --port "127.0.0.1:$port" --quiet posix --sidecar "$dir/meta" "$dir/data" >"$dir/server.log" 2>&1 &
  S3_PID=$!
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    if ! kill -0 "$S3_PID" 2>/dev/null; then cat "$dir/server.log" >&2; echo "s3: versitygw did not start" >&2; return 1; fi
    sleep 0.1
  done
  export KYSO_TEST_S3_ENDPOINT="http://127.0.0.1:$port" KYSO_TEST_S3_ACCESS="$access" KYSO_TEST_S3_SECRET="$secret"
}

s3_stop() {
  if [ -n "${S3_PID:-}" ]; then kill "$S3_PID" 2>/dev/null || true; wait "$S3_PID" 2>/dev/null || true; S3_PID=""; fi
}
