#!/usr/bin/env bash
# What a new user does first in `make lab`, checked: the shop answers on MariaDB with its catalog,
# serves the browser UI, and an order placed over HTTP produces its confirmation mail in LocalStack's SES mailbox (the
# outbox → EventBridge → SQS → worker → SES path; docs/events.md). usage: smoke_shop.sh
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
order=$(curl -fsS -X POST "$SHOP/api/orders" -H 'content-type: application/json' \
    -H "Idempotency-Key: smoke-$email" \
    -d "{\"cart_id\":\"$cart\",\"email\":\"$email\",\"shipping_address\":{\"name\":\"Smoke Test\",\"line1\":\"1 Lab Street\",\"city\":\"Tokyo\",\"postal_code\":\"100-0005\",\"country\":\"JP\"},\"payment\":{\"token\":\"tok_visa\"}}" |
    json_field id)
for _ in $(seq 1 300); do
    if "$SHOP_LAB_DIR/mailbox.sh" list | grep -F "$email" | grep -qF "Your order ${order:0:8} is confirmed"; then
        lab_log "order $order placed; its confirmation mail is in the SES mailbox (make mails)"
        exit 0
    fi
    sleep 0.1
done
lab_die "no confirmation mail for order $order within 30 s (see the shop's log: $SHOP_LAB_LOGS/shop.log)"
