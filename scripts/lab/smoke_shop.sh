#!/usr/bin/env bash
# What a new user does first in `make lab`, checked: the shop answers on MariaDB with its catalog,
# serves the browser UI, and an order placed over HTTP produces its confirmation mail in LocalStack's SES mailbox (the
# outbox → EventBridge → SQS → worker → SES path; docs/events.md). With both builds running
# (TELEMETRY=both, the default), the telemetry is there to see: the awssdk shop's order is a
# trace in X-Ray (moto), and the otel shop's request a trace in the capture receiver, through the
# collector. usage: smoke_shop.sh
set -euo pipefail
LAB_COMPONENT=smoke-shop
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SHOP="http://127.0.0.1:${SHOP_LAB_SHOP_PORT:-8080}"
curl -fsS "$SHOP/api/health" | grep -q '"database":{"status":"ok","system":"mariadb"' ||
    lab_die "the shop's health does not report MariaDB"
curl -fsS "$SHOP/api/products?per_page=1" | grep -q '"total":240' || lab_die "the catalog is not seeded"
# The browser UI at / (shop.sh builds it when Node is there; without Node, / explains how).
if command -v node >/dev/null 2>&1 && [[ ${SHOP_LAB_WEB:-build} == build ]]; then
    curl -fsS "$SHOP/" | grep -q '/_next/static/' || lab_die "the shop does not serve the browser UI at /"
    curl -fsS "$SHOP/checkout/" | grep -q '<html' || lab_die "the UI's checkout page is not served"
fi

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
email="smoke-$(date +%s)-$RANDOM@example.com"
cart=$(curl -fsS -X POST "$SHOP/api/carts" | json_field id)
curl -fsS -X POST "$SHOP/api/carts/$cart/items" -H 'content-type: application/json' \
    -d '{"product_id": 1, "quantity": 1}' >/dev/null
headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
# The order starts a trace the caller has decided to record (`Sampled=1`), as a load balancer or
# a browser would: the awssdk shop's own X-Ray sampling rules keep only some requests.
root=$(printf '1-%08x-%s' "$(date +%s)" "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')")
order=$(curl -fsS -D "$headers" -X POST "$SHOP/api/orders" -H 'content-type: application/json' \
    -H "Idempotency-Key: smoke-$email" -H "X-Amzn-Trace-Id: Root=$root;Sampled=1" \
    -d "{\"cart_id\":\"$cart\",\"email\":\"$email\",\"shipping_address\":{\"name\":\"Smoke Test\",\"line1\":\"1 Lab Street\",\"city\":\"Tokyo\",\"postal_code\":\"100-0005\",\"country\":\"JP\"},\"payment\":{\"token\":\"tok_visa\"}}" |
    json_field id)
order_trace=$(tr -d '\r' <"$headers" | awk 'tolower($1) == "x-trace-id:" { print $2 }')

# Each build's telemetry, read back where a learner looks for it (TELEMETRY=both).
if [[ ${SHOP_LAB_TELEMETRY:-both} == both ]]; then
    OTEL_SHOP="http://127.0.0.1:$((${SHOP_LAB_SHOP_PORT:-8080} + 1))"
    curl -fsS "$OTEL_SHOP/api/rum/config" | grep -q '"backend":"otel"' || lab_die "the otel shop does not answer at $OTEL_SHOP"
    [[ $order_trace == "$root" ]] || lab_die "the awssdk shop's order did not continue the trace $root (x-trace-id: '$order_trace')"
    seen=""
    for _ in $(seq 1 100); do
        # moto's X-Ray API (BatchGetTraces): the order's trace, with the shop's segment in it.
        # moto reads the account and region from a SigV4-shaped Authorization (it checks no signature).
        if curl -fsS -X POST "http://127.0.0.1:$SHOP_LAB_MOTO_PORT/Traces" -H 'content-type: application/json' \
            -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/xray/aws4_request, SignedHeaders=host, Signature=0' \
            -d "{\"TraceIds\": [\"$order_trace\"]}" | python3 -c '
import json, sys
traces = json.load(sys.stdin).get("Traces", [])
names = [json.loads(s["Document"]).get("name") for t in traces for s in t.get("Segments", [])]
sys.exit(0 if "shop" in names else 1)'; then
            seen=1
            break
        fi
        sleep 0.2
    done
    [[ -n $seen ]] || lab_die "the awssdk shop's order $order_trace is not in X-Ray (moto) after 20 s"
    lab_log "the awssdk shop's order is trace $order_trace in X-Ray (moto)"
    otel_trace=$(curl -fsS -D - -o /dev/null "$OTEL_SHOP/api/products/1" | tr -d '\r' | awk 'tolower($1) == "x-trace-id:" { print $2 }')
    hex=$(tr -d '-' <<<"${otel_trace#1-}")
    [[ ${#hex} == 32 ]] || lab_die "the otel shop's answer has no trace id (x-trace-id: '$otel_trace')"
    seen=""
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$SHOP_LAB_CAPTURE_PORT/captured/traces" | grep -q "\"$hex\""; then
            seen=1
            break
        fi
        sleep 0.2
    done
    [[ -n $seen ]] || lab_die "the otel shop's request $otel_trace did not reach the capture receiver through the collector in 20 s"
    lab_log "the otel shop's request is trace $otel_trace in the capture receiver, through the collector"
fi
for _ in $(seq 1 300); do
    if "$SHOP_LAB_DIR/mailbox.sh" list | grep -F "$email" | grep -qF "Your order ${order:0:8} is confirmed"; then
        lab_log "order $order placed; its confirmation mail is in the SES mailbox (make mails)"
        exit 0
    fi
    sleep 0.1
done
lab_die "no confirmation mail for order $order within 30 s (see the shop's log: $SHOP_LAB_LOGS/shop.log)"
