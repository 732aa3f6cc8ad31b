#!/usr/bin/env bash
# Starts the whole lab (lab.sh up) and proves each component answers for real:
#   LocalStack  CloudWatch PutMetricData/ListMetrics/GetMetricData, Logs CreateLogGroup/PutLogEvents/
#               GetLogEvents, SQS round trip (boto3)
#   moto        X-Ray PutTraceSegments/BatchGetTraces (boto3)
#   rotel       OTLP/HTTP JSON export to /v1/traces answered 2xx (curl)
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

# --- rotel: one span as OTLP/HTTP JSON
now_ns=$(date +%s%N)
trace_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
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
[[ $code == 2?? ]] || lab_die "rotel: POST /v1/traces answered HTTP $code: $answer"
echo "smoke: ok: rotel accepted an OTLP/HTTP JSON span (HTTP $code, $answer)"

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
