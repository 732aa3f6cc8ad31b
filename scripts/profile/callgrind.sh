#!/usr/bin/env bash
# Instructions per request of the release shop, per telemetry backend, under
# valgrind's callgrind (counts instructions on every thread of the process:
# request handling, the telemetry layer and the backend's export work alike;
# machine noise does not change the count).
#
#   scripts/profile/callgrind.sh BACKEND [SESSIONS]     # BACKEND: noop | awssdk | otel
#
# Needs: `cargo build --release -p shop --features awssdk,otel` (the script
# does not build), valgrind, python3, and the lab's sinks, which it starts
# (idempotent) with scripts/lab/lab.sh: LocalStack + moto for awssdk, the lab's
# collector (exporting to the capture receiver) for otel. 100 % sampling on both backends.
#
# What it does: starts the shop under callgrind with instrumentation off,
# warms it up (20 sessions, then a telemetry flush), switches counting on,
# drives SESSIONS sessions of scripts/profile/drive.py's fixed six-request
# mix, flushes telemetry (so the export of those requests is inside the
# count), dumps, and stops the shop. Output: target/profile/BACKEND.callgrind.1
# and a per-component table from scripts/profile/breakdown.py.
set -euo pipefail
backend=${1:?usage: $0 noop|awssdk|otel [SESSIONS]}
sessions=${2:-50}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
shop=${SHOP_BIN:-$root/target/release/shop}
out=$root/target/profile
mkdir -p "$out"
data=$(mktemp -d)
pid=
# On any failure too: stop the shop we started and remove its data dir.
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$data"' EXIT

case $backend in
  noop) ;;
  awssdk)
    scripts/lab/lab.sh up localstack moto >&2
    eval "$(scripts/lab/lab.sh env localstack moto)"
    export SHOP_XRAY_SAMPLING_RULES=$root/telemetry-awssdk/sampling-rules/sample-everything.json
    export SHOP_CW_NAMESPACE=ShopLabProfile SHOP_CW_LOG_GROUP=/shop-lab-profile/shop
    export SHOP_CW_EMF_LOG_GROUP=/shop-lab-profile/shop-emf
    ;;
  otel)
    # The collector only passes what it receives on to the capture receiver: the shop's side
    # is what callgrind counts.
    SHOP_LAB_COLLECTOR_EXPORTER=capture scripts/lab/lab.sh up capture collector >&2
    eval "$(scripts/lab/lab.sh env collector)"
    export OTEL_TRACES_SAMPLER=always_on
    ;;
  *) echo "unknown backend $backend" >&2; exit 2 ;;
esac

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
file=$out/$backend.callgrind
rm -f "$file" "$file".*
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$file" \
  "$shop" --listen "127.0.0.1:$port" --data-dir "$data" --telemetry "$backend" \
  >"$out/$backend.stdout" 2>"$out/$backend.stderr" &
pid=$!
for _ in $(seq 1 600); do
  curl -sf "$url/api/health" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf "$url/api/health" >/dev/null
python3 scripts/profile/drive.py "$url" 20 100000 >&2
curl -sf -X POST "$url/api/telemetry/flush" >/dev/null
callgrind_control -z "$pid" >/dev/null
callgrind_control -i on "$pid" >/dev/null
python3 scripts/profile/drive.py "$url" "$sessions" >&2
curl -sf -X POST "$url/api/telemetry/flush" >/dev/null
callgrind_control -i off "$pid" >/dev/null
callgrind_control -d "$pid" >/dev/null
curl -sf "$url/api/telemetry/stats" > "$out/$backend.stats.json" || true
kill -TERM "$pid"
wait "$pid" || true
pid=
requests=$((sessions * 6 + 2))   # + the listing of products in stock and the flush
python3 scripts/profile/breakdown.py "$file".1 "$requests" | tee "$out/$backend.table"
