//! W3C propagation over OTLP/HTTP: a checkout crosses orders → inventory
//! under an incoming `traceparent`; the exact span trees, attributes and
//! statuses, metric totals and log↔trace joins arrive at the capture
//! receiver through rotel.

use std::collections::BTreeMap;

use crate::common::{ShopOptions, TempDir};
use crate::lab::{Http, Pipeline, checkout_tree, order_body, totals_by};

const INCOMING_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const INCOMING_PARENT: &str = "b7ad6b7169203331";

#[test]
fn a_checkout_trace_crosses_two_services_over_otlp_http() {
    let pipeline = Pipeline::start();
    let env = pipeline.shop_env("http/protobuf");
    let data = TempDir::new();
    let resource_vars = [(
        "OTEL_RESOURCE_ATTRIBUTES".to_owned(),
        "deployment.environment.name=ci,shop.lab.test=w3c".to_owned(),
    )];
    let mut inventory = ShopOptions::new()
        .args(["--telemetry", "otel", "--role", "inventory"])
        .envs(env.clone())
        .envs(resource_vars.clone())
        .data_dir(data.path())
        .start();
    let mut orders = ShopOptions::new()
        .args(["--telemetry", "otel", "--role", "orders", "--inventory-url"])
        .arg(&inventory.address)
        .envs(env)
        .envs(resource_vars)
        .data_dir(data.path())
        .start();
    let http = Http::new();

    // A cart, one item, and the checkout under the caller's trace.
    let cart = http.post(&orders.url("/api/carts"), &serde_json::json!({}));
    assert_eq!(cart.status, 201);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    let add = http.post(
        &orders.url(&format!("/api/carts/{cart}/items")),
        &serde_json::json!({ "product_id": 2, "quantity": 1 }),
    );
    assert_eq!(add.status, 201, "{}", add.body);
    let checkout = http.send(
        http.request(reqwest::Method::POST, &orders.url("/api/orders"))
            .header("Idempotency-Key", "otel-w3c-1")
            .header(
                "traceparent",
                format!("00-{INCOMING_TRACE}-{INCOMING_PARENT}-01"),
            )
            .header("tracestate", "lab=w3c")
            .json(&order_body(&cart)),
    );
    assert_eq!(checkout.status, 201, "{}", checkout.body);
    assert_eq!(checkout.header("x-trace-id"), INCOMING_TRACE);

    // A client error: 404 leaves a server span's status unset (semconv).
    let missing = http.get(&orders.url("/api/orders/00000000-0000-4000-8000-000000000000"));
    assert_eq!(missing.status, 404);
    let missing_trace = missing.header("x-trace-id").to_owned();

    // Inventory down: orders answers 503 and both its spans say error.
    assert!(inventory.terminate().success());
    let cart2 = http.post(&orders.url("/api/carts"), &serde_json::json!({}));
    let cart2 = cart2.body["id"].as_str().unwrap().to_owned();
    let down = http.post(
        &orders.url(&format!("/api/carts/{cart2}/items")),
        &serde_json::json!({ "product_id": 3, "quantity": 1 }),
    );
    assert_eq!(down.status, 503);
    let down_trace = down.header("x-trace-id").to_owned();

    let flushed = http.post(&orders.url("/api/telemetry/flush"), &serde_json::json!({}));
    assert_eq!(flushed.status, 200, "{}", flushed.body);
    let stats = http.get(&orders.url("/api/telemetry/stats")).body;
    assert_eq!(stats["backend"], "otel");
    assert_eq!(stats["export"]["spans"]["dropped"], 0, "{stats}");
    assert_eq!(stats["export"]["spans"]["errors"], 0, "{stats}");
    assert!(
        stats["export"]["spans"]["sent"].as_u64().unwrap() > 0,
        "{stats}"
    );
    assert!(
        stats["export"]["spans"]["bytes"].as_u64().unwrap() > 0,
        "{stats}"
    );
    // SIGTERM flushes all three signals.
    assert!(orders.terminate().success());

    // The exact trees: the caller's span is the root's parent; the call to
    // inventory continues the trace in the other service.
    pipeline.expect_tree(
        INCOMING_TRACE,
        &checkout_tree("shop-orders", "shop-inventory"),
    );
    pipeline.expect_tree(
        &missing_trace,
        "\
shop-orders server GET /api/orders/{id}
  shop-orders client SELECT orders
",
    );
    pipeline.expect_tree(
        &down_trace,
        "\
shop-orders server POST /api/carts/{id}/items [error]
  shop-orders client SELECT carts
  shop-orders client SELECT cart_items
  shop-orders client SELECT cart_items
  shop-orders client POST /api/inventory/check [error]
",
    );

    let spans = pipeline.capture.store().spans();
    let find = |trace: &str, service: &str, name: &str| {
        spans
            .iter()
            .find(|s| {
                s.trace_id() == trace
                    && s.resource_str("service.name") == Some(service)
                    && s.span.name == name
            })
            .unwrap_or_else(|| panic!("{service} {name} in {trace}"))
    };

    // Server span: under the caller's span, semconv attributes as recorded.
    let server = find(INCOMING_TRACE, "shop-orders", "POST /api/orders");
    assert_eq!(server.parent_span_id(), INCOMING_PARENT);
    assert_eq!(server.span.trace_state, "lab=w3c");
    assert_eq!(server.span.kind, 2);
    // OTLP span flags: sampled, and "the parent is remote" (0x100 | 0x200).
    assert_eq!(
        server.span.flags & 0x301,
        0x301,
        "flags {:#x}",
        server.span.flags
    );
    assert_eq!(server.attr_str("http.request.method"), Some("POST"));
    assert_eq!(server.attr_str("http.route"), Some("/api/orders"));
    assert_eq!(server.attr_i64("http.response.status_code"), Some(201));
    assert!(server.attr_str("shop.request.id").is_some());
    assert_eq!(server.scope, "shop::http::observe");
    assert!(server.span.end_time_unix_nano >= server.span.start_time_unix_nano);

    // Client span to inventory, and inventory's server span under it.
    let call = spans
        .iter()
        .find(|s| {
            s.trace_id() == INCOMING_TRACE
                && s.span.kind == 3
                && s.attr_str("peer.service") == Some("shop-inventory")
        })
        .expect("the client span of the inventory call");
    assert_eq!(call.parent_span_id(), server.span_id());
    assert_eq!(call.attr_i64("http.response.status_code"), Some(200));
    assert!(
        call.attr_str("url.full")
            .unwrap()
            .ends_with("/api/inventory/check")
    );
    let remote = find(
        INCOMING_TRACE,
        "shop-inventory",
        "POST /api/inventory/check",
    );
    assert_eq!(remote.parent_span_id(), call.span_id());
    assert_eq!(remote.span.trace_state, "lab=w3c", "tracestate travels on");

    // A database span with the sanitised statement.
    let db = find(INCOMING_TRACE, "shop-inventory", "SELECT products");
    assert_eq!(db.parent_span_id(), remote.span_id());
    assert_eq!(db.attr_str("db.system.name"), Some("sqlite"));
    assert!(db.attr_str("db.query.text").unwrap().starts_with("SELECT"));

    // Statuses: unset everywhere on success and on the 404; error on the 503.
    for s in spans
        .iter()
        .filter(|s| s.trace_id() == INCOMING_TRACE || s.trace_id() == missing_trace)
    {
        assert_eq!(
            s.span.status.as_ref().map_or(0, |st| st.code),
            0,
            "{}",
            s.span.name
        );
    }
    let not_found = find(&missing_trace, "shop-orders", "GET /api/orders/{id}");
    assert_eq!(not_found.attr_i64("http.response.status_code"), Some(404));
    let failed = find(&down_trace, "shop-orders", "POST /api/carts/{id}/items");
    assert_eq!(failed.attr_i64("http.response.status_code"), Some(503));
    assert_eq!(failed.attr_str("error.type"), Some("503"));
    assert_eq!(failed.span.status.as_ref().unwrap().message, "503");
    let failed_call = find(&down_trace, "shop-orders", "POST /api/inventory/check");
    assert_eq!(failed_call.attr_str("error.type"), Some("connect_error"));
    assert_eq!(failed_call.span.status.as_ref().unwrap().code, 2);
    // The failure is recorded as an exception event on the server span.
    let exception = failed
        .span
        .events
        .iter()
        .find(|e| e.name == "exception")
        .unwrap_or_else(|| panic!("an exception event: {:?}", failed.span.events));
    assert!(
        otlp_capture::query::attr_str(&exception.attributes, "exception.message").is_some(),
        "{exception:?}"
    );

    // Resource: the shop's attributes with OTEL_RESOURCE_ATTRIBUTES on top.
    assert_eq!(
        server.resource_str("service.version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        server.resource_str("service.namespace"),
        Some("observability-shop-lab")
    );
    assert_eq!(
        server.resource_str("deployment.environment.name"),
        Some("ci")
    );
    assert_eq!(server.resource_str("shop.lab.test"), Some("w3c"));
    assert_eq!(server.resource_str("shop.role"), Some("orders"));
    assert_eq!(
        server.resource_str("telemetry.sdk.name"),
        Some("opentelemetry")
    );
    assert_eq!(server.resource_str("telemetry.sdk.language"), Some("rust"));
    assert!(server.resource_str("host.name").is_some());
    assert!(otlp_capture::query::attr_i64(&server.resource, "process.pid").is_some());
    assert_eq!(remote.resource_str("shop.role"), Some("inventory"));

    // Metrics: totals per route equal what was driven (both shops flushed
    // at SIGTERM), counted once per request, histogram counts alike.
    let expected_orders: BTreeMap<String, u64> = [
        ("/api/carts", 2),
        ("/api/carts/{id}/items", 2),
        ("/api/orders", 1),
        ("/api/orders/{id}", 1),
        ("/api/telemetry/flush", 1),
        ("/api/telemetry/stats", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let expected_inventory: BTreeMap<String, u64> = [("/api/inventory/check".to_owned(), 2)]
        .into_iter()
        .collect();
    let requests = "http.server.requests";
    let durations = "http.server.request.duration";
    pipeline.wait("the final metric totals", |s| {
        let m = s.metrics();
        totals_by(&m, "shop-orders", requests, "http.route") == expected_orders
            && totals_by(&m, "shop-orders", durations, "http.route") == expected_orders
            && totals_by(&m, "shop-inventory", requests, "http.route") == expected_inventory
            && totals_by(&m, "shop-inventory", durations, "http.route") == expected_inventory
    });
    let metrics = pipeline.capture.store().metrics();
    let errors = totals_by(&metrics, "shop-orders", "http.server.errors", "http.route");
    assert_eq!(errors.get("/api/carts/{id}/items"), Some(&1), "{errors:?}");
    assert_eq!(errors.values().sum::<u64>(), 1, "{errors:?}");
    let by_status = totals_by(
        &metrics,
        "shop-orders",
        requests,
        "http.response.status_code",
    );
    assert_eq!(by_status.get("503"), Some(&1), "{by_status:?}");
    assert_eq!(by_status.get("404"), Some(&1), "{by_status:?}");
    let orders_placed = totals_by(
        &metrics,
        "shop-orders",
        "shop.orders",
        "shop.checkout.outcome",
    );
    assert_eq!(orders_placed.get("placed"), Some(&1), "{orders_placed:?}");

    // Logs: every record inside a span joins a captured span of its trace
    // (logs and spans travel in separate batches: wait for both to settle).
    let joined = |s: &otlp_capture::Store| {
        let spans = s.spans();
        let logs = s.logs();
        logs.iter()
            .filter(|l| !l.record.span_id.is_empty())
            .all(|l| {
                spans
                    .iter()
                    .any(|sp| sp.span_id() == l.span_id() && sp.trace_id() == l.trace_id())
            })
    };
    pipeline.wait("every log record joined to a span", joined);
    let logs = pipeline.capture.store().logs();
    let in_spans: Vec<_> = logs
        .iter()
        .filter(|l| !l.record.span_id.is_empty())
        .collect();
    assert!(
        in_spans.len() >= 6,
        "{} log records in spans",
        in_spans.len()
    );
    for l in &in_spans {
        assert_eq!(l.record.flags & 0xff, 1, "sampled flag on {:?}", l.body());
    }
    let completed = logs
        .iter()
        .find(|l| {
            l.trace_id() == INCOMING_TRACE
                && l.body() == Some("request completed")
                && l.resource_str("service.name") == Some("shop-orders")
        })
        .expect("the access log line of the checkout");
    assert_eq!(completed.record.severity_text, "INFO");
    assert_eq!(completed.record.severity_number, 9);
    assert!(completed.attr_str("shop.request.id").is_some());
}
