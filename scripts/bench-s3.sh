#!/usr/bin/env bash
# Whole-command figures of the object store (docs/performance.md): kyso
# archive ingest of the signed 200-file corpus into an S3 store against
# copying the same files with a plain client (internal/s3cp: minio-go
# PutObject, 4 at once, kyso's upload bound), and audit from the bucket.
# The server is versitygw on 127.0.0.1 (s3-server.sh), the corpus that of
# scripts/bench.sh (internal/pdftest/benchtool).
#   KYSO_BENCH_DIR  work folder (default /var/tmp/kyso-bench-s3); the corpus is kept
#   RUNS            repetitions per measurement, median reported (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/s3-server.sh
D=${KYSO_BENCH_DIR:-/var/tmp/kyso-bench-s3}; RUNS=${RUNS:-3}
mkdir -p "$D/bin"
go build -o "$D/bin/kyso" ./cmd/kyso
go build -o "$D/bin/benchtool" ./internal/pdftest/benchtool
go build -o "$D/bin/s3cp" ./internal/s3cp
K="$D/bin/kyso"
[ -f "$D/corpus/big-50p.pdf" ] || { echo "building the corpus (200 scans)..." >&2; "$D/bin/benchtool" corpus -n 200 -o "$D/corpus"; }
mapfile -t FILES < <(ls "$D"/corpus/scan-*.pdf)

rm -rf "$D/s3"; PIDS=()
trap 's3_stop; for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$D/s3"' EXIT
s3_start "$D/s3"
export KYSO_S3_ENDPOINT="$KYSO_TEST_S3_ENDPOINT" AWS_ACCESS_KEY_ID="$KYSO_TEST_S3_ACCESS" AWS_SECRET_ACCESS_KEY="$KYSO_TEST_S3_SECRET"
rm -f "$D/pki.url"; "$D/bin/benchtool" serve -dir "$D/pki" -delay 0s -url-file "$D/pki.url" & PIDS+=($!)
for _ in $(seq 100); do [ -s "$D/pki.url" ] && break; sleep 0.1; done
export KYSO_BENCH_PASS=kyso-test-pass
rm -rf "$D/signed"; "$K" sign "${FILES[@]}" --out "$D/signed" --p12 "$D/pki/signer.p12" --pass-env KYSO_BENCH_PASS --no-stamp >/dev/null
SIGNED=("$D"/signed/*.pdf)
BYTES=$(cat "${SIGNED[@]}" | wc -c)

secs() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || echo "warning: $* failed" >&2; t1=$(date +%s%N); echo "scale=3; ($t1 - $t0) / 1000000000" | bc; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }
n=0
bucket() { n=$((n + 1)); B="bench-$n-$RANDOM"; "$D/bin/s3cp" -mkbucket "s3://$B"; }
plain() { "$D/bin/s3cp" -j 4 "s3://$B/plain" "${SIGNED[@]}"; }
ingest() { rm -rf "$D/cat.db"*; "$K" archive init --db "$D/cat.db" --store "s3://$B/h26" --unit BENCH --unit-name Bench --level commune >/dev/null && "$K" archive ingest --db "$D/cat.db" --trust "$D/pki/trust.pem" --offline --revocation soft "$D/signed"; }
local_ingest() { rm -rf "$D/loc.db"*; "$K" archive init --db "$D/loc.db" --unit BENCH --unit-name Bench --level commune >/dev/null && "$K" archive ingest --db "$D/loc.db" --trust "$D/pki/trust.pem" --offline --revocation soft "$D/signed"; }

cat "${SIGNED[@]}" >/dev/null
echo "corpus: ${#SIGNED[@]} signed files, $((BYTES / 1048576)) MiB; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $RUNS runs, median"
P=(); I=(); L=(); V=()
for _ in $(seq "$RUNS"); do
  bucket; P+=("$(secs plain)")
  bucket; I+=("$(secs ingest)")
  L+=("$(secs local_ingest)")
  V+=("$(secs "$K" verify --offline --revocation soft --trust "$D/pki/trust.pem" "$D/signed")")
done
PM=$(med "${P[@]}"); IM=$(med "${I[@]}"); LM=$(med "${L[@]}"); VM=$(med "${V[@]}")
echo "plain client    s3cp (minio-go PutObject, 4 at once) ${PM}s  [${P[*]}]"
echo "ingest to S3    kyso ${IM}s  ratio to the plain client $(ratio "$IM" "$PM")  (target <= 1.5)  [${I[*]}]"
echo "ingest, folder  kyso ${LM}s  [${L[*]}];  verify alone ${VM}s"
A=(); for _ in $(seq "$RUNS"); do A+=("$(secs "$K" archive audit --db "$D/cat.db")"); done
echo "audit from S3   kyso ${#SIGNED[@]} records $(med "${A[@]}")s  [${A[*]}]"

# Roll-up: four communes' bags (50 results each) into one province catalogue on S3,
# then the province report over them.
rm -rf "$D/roll"; mkdir -p "$D/roll"
for c in 1 2 3 4; do
  mkdir -p "$D/roll/in$c"
  echo "file,dossier_code,procedure_code,procedure_name,unit_code,level,issued_date" > "$D/roll/meta$c.csv"
  i=0
  for f in $(printf '%s\n' "${SIGNED[@]}" | sed -n "$(( (c - 1) * 50 + 1 )),$(( c * 50 ))p"); do
    ln -s "$f" "$D/roll/in$c/"; i=$((i + 1))
    echo "$(basename "$f"),H26.0$c-$i,1.001234,Đăng ký khai sinh,000.00.0$c.H26,commune,2025-0$(( i % 9 + 1 ))-15" >> "$D/roll/meta$c.csv"
  done
  "$K" archive init --db "$D/roll/c$c.db" --unit "000.00.0$c.H26" --unit-name "Xã $c" --level commune >/dev/null
  "$K" archive ingest --db "$D/roll/c$c.db" --trust "$D/pki/trust.pem" --offline --revocation soft --meta "$D/roll/meta$c.csv" "$D/roll/in$c" >/dev/null
  "$K" archive export --db "$D/roll/c$c.db" --out "$D/roll/bag$c" >/dev/null
done
R=(); T=()
for _ in $(seq "$RUNS"); do
  bucket; rm -rf "$D/roll/province.db"*
  "$K" archive init --db "$D/roll/province.db" --store "s3://$B/h26" --unit 000.00.00.H26 --unit-name "Tỉnh" --level province >/dev/null
  R+=("$(secs sh -c "for b in $D/roll/bag1 $D/roll/bag2 $D/roll/bag3 $D/roll/bag4; do $K archive import --db $D/roll/province.db --trust $D/pki/trust.pem --offline --revocation soft \$b || exit 1; done")")
  T+=("$(secs "$K" archive report --db "$D/roll/province.db" --year 2025 --format json)")
done
N=$("$K" archive report --db "$D/roll/province.db" --year 2025 --format json | grep -c '"unit_code"' || true)
echo "roll-up         kyso import of 4 bags (200 records) into s3:// $(med "${R[@]}")s  [${R[*]}]; report over them ($N rows) $(med "${T[@]}")s"
