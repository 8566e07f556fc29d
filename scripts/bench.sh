#!/usr/bin/env bash
# Whole-command benchmarks of kyso against the physical floor and against
# pdfsign's CLI, measured side by side in one run (make bench).
#   KYSO_BENCH_DIR  work folder (default /var/tmp/kyso-bench-make); the corpus is kept
#   RUNS            repetitions per measurement, median reported (default 3)
# Prints one line per figure; docs/performance.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${KYSO_BENCH_DIR:-/var/tmp/kyso-bench-make}; RUNS=${RUNS:-3}
mkdir -p "$D/bin"
go build -o "$D/bin/kyso" ./cmd/kyso
go build -o "$D/bin/benchtool" ./internal/pdftest/benchtool
go build -o "$D/bin/pdfsign" github.com/digitorus/pdfsign
K="$D/bin/kyso"
[ -f "$D/corpus/big-50p.pdf" ] || { echo "building the corpus (200 scans, 200 dpi JPEG, and a 50-page scan)..." >&2; "$D/bin/benchtool" corpus -n 200 -o "$D/corpus"; }
mapfile -t FILES < <(ls "$D"/corpus/scan-*.pdf); BIG="$D/corpus/big-50p.pdf"
BYTES=$(cat "${FILES[@]}" | wc -c)

PIDS=(); trap 'for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
serve() { # serve NAME DELAY -> base URL in $D/NAME.url
  rm -f "$D/$1.url"; "$D/bin/benchtool" serve -dir "$D/pki-$1" -delay "$2" -url-file "$D/$1.url" & PIDS+=($!)
  for _ in $(seq 100); do [ -s "$D/$1.url" ] && return 0; sleep 0.1; done; echo "server $1 did not start" >&2; exit 1
}
serve fast 0s; serve slow 100ms
P="$D/pki-fast"; export KYSO_BENCH_PASS=kyso-test-pass
KEY=(--p12 "$P/signer.p12" --pass-env KYSO_BENCH_PASS)
secs() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s%N); echo "scale=3; ($t1 - $t0) / 1000000000" | bc; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { local v=(); for _ in $(seq "$RUNS"); do v+=("$(secs "$@")"); done; med "${v[@]}"; }
ratio() { echo "scale=2; $1 / $2" | bc; }

# the signing floor: hash every byte once and write every byte durably once
# (kyso fsyncs its outputs), as ../shared/checks/run perf measures it
floor_sign() { cat "${FILES[@]}" | openssl dgst -sha256 >/dev/null; rm -rf "$D/cp"; mkdir -p "$D/cp"; cp "${FILES[@]}" "$D/cp/"; sync "$D"/cp/*; }
floor_hash() { cat "${FILES[@]}" | openssl dgst -sha256 >/dev/null; }
kyso_bb() { rm -rf "$D/signed"; "$K" sign "${FILES[@]}" --out "$D/signed" "${KEY[@]}" --no-stamp; }
kyso_bt() { rm -rf "$D/signed-bt"; "$K" sign "${FILES[@]}" --out "$D/signed-bt" "${KEY[@]}" --no-stamp --tsa "$(cat "$D/slow.url")/tsa"; }
kyso_stamp() { rm -rf "$D/signed-st"; "$K" sign "${FILES[@]}" --out "$D/signed-st" "${KEY[@]}"; }
openssl pkcs12 -in "$P/signer.p12" -passin env:KYSO_BENCH_PASS -nocerts -nodes 2>/dev/null | openssl rsa -traditional -out "$D/k.pem" 2>/dev/null
openssl pkcs12 -in "$P/signer.p12" -passin env:KYSO_BENCH_PASS -clcerts -nokeys 2>/dev/null | openssl x509 -out "$D/signer.crt"
peer() { rm -rf "$D/peer"; mkdir -p "$D/peer"; for f in "${FILES[@]}"; do SSL_CERT_FILE="$P/trust.pem" "$D/bin/pdfsign" sign -tsa "" -certType ApprovalSignature "$f" "$D/peer/$(basename "$f")" "$D/signer.crt" "$D/k.pem" "$P/chain.pem" >/dev/null 2>&1 || true; done; }
ingest() { rm -rf "$D/cat.db" "$D/cat.db.store" "$D/cat.db.lock"; "$K" archive init --db "$D/cat.db" --unit BENCH --unit-name Bench --level commune >/dev/null; "$K" archive ingest --db "$D/cat.db" --trust "$P/trust.pem" --offline --revocation soft "$D/signed"; }

cat "${FILES[@]}" >/dev/null
echo "corpus: ${#FILES[@]} files, $((BYTES / 1048576)) MiB; $(nproc) cores; $RUNS runs, median"
FS=$(measure floor_sign); KS=$(measure kyso_bb)
echo "sign B-B        kyso ${KS}s  floor (openssl dgst + cp + sync) ${FS}s  ratio $(ratio "$KS" "$FS")  (target <= 1.0)"
KST=$(measure kyso_stamp)
echo "sign B-B+stamp  kyso ${KST}s  ratio to floor $(ratio "$KST" "$FS")  (target <= 1.3)"
PS=$(secs peer)
[ "$(ls "$D/peer" | wc -l)" = "${#FILES[@]}" ] || echo "warning: pdfsign signed only $(ls "$D/peer" | wc -l) of ${#FILES[@]} files" >&2
echo "peer            pdfsign CLI, a process per file ${PS}s  ratio to floor $(ratio "$PS" "$FS"); kyso is $(ratio "$PS" "$KS")x faster"
KT=$(measure kyso_bt)
echo "sign B-T        kyso ${KT}s with a TSA answering after 100 ms  ratio to B-B $(ratio "$KT" "$KS")  (target <= 1.5)"
FH=$(measure floor_hash); KV=$(measure "$K" verify --offline --revocation soft --trust "$P/trust.pem" "$D/signed")
echo "verify          kyso ${KV}s  floor (openssl dgst) ${FH}s  ratio $(ratio "$KV" "$FH")  (target <= 2.0)"
KI=$(measure ingest)
echo "archive ingest  kyso ${KI}s  ratio to verify $(ratio "$KI" "$KV")  (target <= 1.5)"
KA=$(measure "$K" archive audit --db "$D/cat.db")
echo "archive audit   kyso ${KA}s  ratio to floor (openssl dgst) $(ratio "$KA" "$FH")  (target <= 1.5)"
rm -rf "$D/big"
/usr/bin/time -f "%M" -o "$D/rss1" "$K" sign "$BIG" --out "$D/big" "${KEY[@]}" --no-stamp >/dev/null 2>&1
/usr/bin/time -f "%M" -o "$D/rss2" "$K" verify --offline --revocation soft --trust "$P/trust.pem" "$D/big/$(basename "$BIG")" >/dev/null 2>&1
echo "memory          sign $(( $(tail -1 "$D/rss1") / 1024 )) MiB, verify $(( $(tail -1 "$D/rss2") / 1024 )) MiB peak RSS on a $(( $(stat -c %s "$BIG") / 1048576 )) MiB scan  (target <= 64)"
if command -v softhsm2-util >/dev/null; then
  export SOFTHSM2_CONF="$D/softhsm2.conf"; rm -rf "$D/tokens"; mkdir -p "$D/tokens"
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$D" > "$SOFTHSM2_CONF"
  MOD=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -1)
  softhsm2-util --init-token --free --label bench --so-pin 12345678 --pin 123456 >/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$D/k.pem" -out "$D/k8.pem"
  softhsm2-util --import "$D/k8.pem" --token bench --label signer --id 01 --pin 123456 >/dev/null
  openssl x509 -in "$D/signer.crt" -outform DER -out "$D/signer.der"
  pkcs11-tool --module "$MOD" --token-label bench --login --pin 123456 --write-object "$D/signer.der" --type cert --id 01 --label signer >/dev/null 2>&1
  export KYSO_BENCH_PIN=123456
  token() { rm -rf "$D/signed-tok"; "$K" sign "${FILES[@]}" --out "$D/signed-tok" --pkcs11 "$MOD" --token bench --key-label signer --pin-env KYSO_BENCH_PIN --chain "$P/chain.pem" --no-stamp; }
  KP=$(measure token)
  echo "sign PKCS#11    kyso ${KP}s through SoftHSM2  ratio to the .p12 run $(ratio "$KP" "$KS")  (target <= 1.3)"
fi
