#!/usr/bin/env bash
# Starts the whole lab (lab.sh up) and proves each component answers for real:
#   LocalStack  CloudWatch PutMetricData/ListMetrics/GetMetricData, Logs CreateLogGroup/PutLogEvents/
#               GetLogEvents, SQS round trip (boto3)
#   moto        X-Ray PutTraceSegments/BatchGetTraces (boto3)
#   collector   health_check answers 200; an OTLP/HTTP JSON span to /v1/traces is accepted (2xx),
#               reaches the capture receiver and, over the X-Ray leg (rotel -> xraypass), moto's
#               X-Ray (BatchGetTraces, boto3)
#   MariaDB     connect as shop over TCP, SELECT VERSION(), create/drop a database (mariadb client)
# Exits non-zero on the first failure. usage: smoke.sh   (no arguments)
set -euo pipefail
LAB_COMPONENT=smoke
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
source "$DIR/common.sh"

(($# == 0)) || { echo "usage: $(basename "$0")" >&2; exit 2; }

"$DIR/lab.sh" up
eval "$("$DIR/lab.sh" env)"

# --- AWS emulators through boto3 (from the moto venv: boto3 is in its lock)
"$(lab_venv_dir moto)/bin/python" "$DIR/smoke_aws.py" || lab_die "AWS emulator checks failed"

# --- the collector: health_check, then one span as OTLP/HTTP JSON, followed to both sinks
health=$("$DIR/collector.sh" health) || lab_die "collector: health_check did not answer 200: $health"
echo "smoke: ok: collector health_check 200 ($health)"
now_ns=$(date +%s%N)
# An X-Ray-compatible trace id (its first 32 bits a recent epoch second), or X-Ray refuses it.
trace_id="$(printf '%08x' "$((now_ns / 1000000000))")$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
span_id=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
body=$(
    cat <<EOF
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop-lab-smoke"}}]},
 "scopeSpans":[{"scope":{"name":"shop-lab-smoke"},"spans":[{"traceId":"$trace_id","spanId":"$span_id",
 "name":"smoke","kind":2,"startTimeUnixNano":"$now_ns","endTimeUnixNano":"$((now_ns + 1000000))"}]}]}]}
EOF
)
code=$(curl -sS -o /tmp/shop-lab-smoke-otlp.$$ -w '%{http_code}' --max-time 10 \
    -H 'Content-Type: application/json' --data "$body" \
    "http://127.0.0.1:$SHOP_LAB_OTLP_HTTP_PORT/v1/traces") || code=000
answer=$(cat /tmp/shop-lab-smoke-otlp.$$ 2>/dev/null || true)
rm -f /tmp/shop-lab-smoke-otlp.$$
[[ $code == 2?? ]] || lab_die "collector: POST /v1/traces answered HTTP $code: $answer"
echo "smoke: ok: the collector accepted an OTLP/HTTP JSON span (HTTP $code, $answer)"
# The traces batch waits up to 1 s, rotel about 0.2 s: 20 s is plenty.
arrived=0
for _ in $(seq 1 40); do
    if curl -fsS --max-time 3 "$SHOP_LAB_CAPTURE_URL/captured/traces" | grep -qi "$trace_id"; then
        arrived=1
        break
    fi
    sleep 0.5
done
((arrived)) || lab_die "collector: span $trace_id never reached the capture receiver ($SHOP_LAB_CAPTURE_URL)"
echo "smoke: ok: the span reached the capture receiver through the collector"
xray_id="1-${trace_id:0:8}-${trace_id:8}"
"$(lab_venv_dir moto)/bin/python" - "$xray_id" <<'PY' || lab_die "collector: trace $xray_id never reached moto's X-Ray over the X-Ray leg"
import sys, time
import boto3
xray = boto3.client("xray")
tid = sys.argv[1]
for _ in range(40):
    traces = xray.batch_get_traces(TraceIds=[tid])["Traces"]
    if traces and traces[0]["Segments"]:
        n = len(traces[0]["Segments"])
        print(f"smoke: ok: the span reached moto's X-Ray over the X-Ray leg (collector -> rotel -> xraypass): {tid}, {n} segment(s)")
        sys.exit(0)
    time.sleep(0.5)
sys.exit(1)
PY

# --- MariaDB over TCP as shop, the way the tests connect
mysql_client=$(command -v mariadb || command -v mysql) || lab_die "no mariadb client on PATH"
sql() {
    MYSQL_PWD=shop "$mysql_client" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$SHOP_LAB_MYSQL_PORT" \
        -u shop -N -B -e "$1"
}
version=$(sql 'SELECT VERSION()') || lab_die "mariadb: cannot run SELECT VERSION() as shop on 127.0.0.1:$SHOP_LAB_MYSQL_PORT"
db="smoke_$$"
sql "CREATE DATABASE $db; CREATE TABLE $db.t (id INT PRIMARY KEY); INSERT INTO $db.t VALUES (1); DROP DATABASE $db" ||
    lab_die "mariadb: shop cannot create/drop a database"
[[ $(sql 'SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = "shop"') == 1 ]] ||
    lab_die "mariadb: database shop does not exist"
echo "smoke: ok: MariaDB $version as shop@127.0.0.1:$SHOP_LAB_MYSQL_PORT (create/drop database works, database shop exists)"

echo "smoke: all components answered"
