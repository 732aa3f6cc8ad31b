#!/usr/bin/env python3
"""Drives the shop with a fixed mix of requests, for profiling.

One *session* is six requests on one keep-alive connection, the same every
time: list products, search, one product, create a cart, add an item,
check out (with an Idempotency-Key). Products rotate over the seeded
products in stock (listed once, first), so the run is deterministic.

    drive.py http://127.0.0.1:8080 SESSIONS

Prints the number of requests sent and any status outside 2xx.
"""

import http.client
import json
import sys
import urllib.parse

ORDER = {
    "email": "learner@example.com",
    "shipping_address": {
        "name": "Aiko Tanaka",
        "line1": "1-2-3 Marunouchi",
        "city": "Tokyo",
        "postal_code": "100-0005",
        "country": "JP",
    },
    "payment": {"token": "tok_visa"},
}


def main() -> int:
    base = urllib.parse.urlsplit(sys.argv[1])
    sessions = int(sys.argv[2])
    offset = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=120)
    sent = 0
    bad = 0

    def call(method, path, body=None, headers=None):
        nonlocal sent, bad
        h = {"content-type": "application/json"} if body is not None else {}
        h.update(headers or {})
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        data = r.read()
        sent += 1
        if not 200 <= r.status < 300:
            bad += 1
            print(f"{method} {path}: {r.status} {data[:200]!r}", file=sys.stderr)
        return json.loads(data) if data and r.getheader("content-type", "").startswith("application/json") else None

    # Products with stock to spare, so every checkout succeeds.
    listed = call("GET", "/api/products?in_stock=true&per_page=100")
    products = [p["id"] for p in listed["items"] if p["stock"]["quantity"] >= 5] or [1]
    for i in range(offset, offset + sessions):
        product = products[i % len(products)]
        call("GET", "/api/products?per_page=20")
        call("GET", "/api/products/search?q=lamp")
        call("GET", f"/api/products/{product}")
        cart = call("POST", "/api/carts", {})
        cart_id = cart["id"]
        call("POST", f"/api/carts/{cart_id}/items", {"product_id": product, "quantity": 1})
        call("POST", "/api/orders", dict(ORDER, cart_id=cart_id), {"idempotency-key": f"profile-{i}"})
    print(f"{sent} requests, {bad} not 2xx")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
