//! W3C propagation over OTLP/HTTP: a checkout crosses orders → inventory
//! under an incoming `traceparent` ([`crate::lab::w3c_checkout`]); the exact
//! span trees, attributes, statuses and resources arrive at the capture
//! receiver through the collector. (Its metrics: `metrics`; its logs: `logs`.)

use crate::lab::{INCOMING_PARENT, INCOMING_TRACE, W3cCheckout, checkout_tree, w3c_checkout};

#[test]
fn a_checkout_trace_crosses_two_services_over_otlp_http() {
    let W3cCheckout {
        pipeline,
        missing_trace,
        down_trace,
    } = w3c_checkout();

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
    // Inventory down: the stock check is tried three times (a refused
    // connection is retried twice, docs/resilience.md), each try a span.
    pipeline.expect_tree(
        &down_trace,
        "\
shop-orders server POST /api/carts/{id}/items [error]
  shop-orders client SELECT carts
  shop-orders client SELECT cart_items
  shop-orders client SELECT cart_items
  shop-orders client POST /api/inventory/check [error]
  shop-orders client POST /api/inventory/check [error]
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
}
