//! The shop split into services: orders calls inventory over HTTP, and the
//! trace crosses the process boundary through the propagation headers.

use telemetry_api::semconv;
use telemetry_api::{SpanKind, SpanStatus, TraceId, Value};

use crate::support::*;
use shop::config::Role;

async fn split(kind: DbKind) -> (TestApp, TestApp) {
    let inventory = spawn_with(Spawn {
        role: Role::Inventory,
        ..Spawn::new(kind)
    })
    .await;
    let orders = spawn_with(Spawn {
        role: Role::Orders,
        inventory_url: Some(inventory.base.clone()),
        database: Some(inventory.shared_database()),
        ..Spawn::new(kind)
    })
    .await;
    (orders, inventory)
}

async fn a_checkout_trace_crosses_two_services(kind: DbKind) {
    let (orders, inventory) = split(kind).await;
    // Each role serves only its own routes.
    expect_error(
        orders.get("/api/products").await,
        404,
        "route_not_found",
        None,
    )
    .await;
    expect_error(
        inventory
            .post_json("/api/carts", &serde_json::json!({}))
            .await,
        404,
        "route_not_found",
        None,
    )
    .await;

    let cart = orders.create_cart().await;
    expect_json(orders.add_item(&cart, 2, 1).await, 201).await;
    let incoming_trace = "0af7651916cd43dd8448eb211c80319c";
    let r = orders
        .client
        .post(orders.url("/api/orders"))
        .header("Idempotency-Key", "split-1")
        .header(
            "traceparent",
            format!("00-{incoming_trace}-b7ad6b7169203331-01"),
        )
        .json(&order_body(&cart))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-trace-id"], incoming_trace);
    expect_json(r, 201).await;
    let trace = TraceId::from_hex(incoming_trace).unwrap();

    // In the orders service: server span under the caller's span, and a
    // client span for the call to inventory.
    let o_spans = orders.trace(trace).await;
    let o_server = o_spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
    assert_eq!(o_server.name, "POST /api/orders");
    assert_eq!(
        o_server.parent_span_id.unwrap().to_hex(),
        "b7ad6b7169203331"
    );
    assert!(o_server.parent_is_remote);
    let call = o_spans
        .iter()
        .find(|s| s.kind == SpanKind::Client && s.attribute(semconv::PEER_SERVICE).is_some())
        .expect("a client span for the inventory call");
    assert_eq!(call.parent_span_id, Some(o_server.context.span_id));
    assert_eq!(call.name, "POST /api/inventory/check");
    assert_eq!(
        call.attribute(semconv::HTTP_RESPONSE_STATUS_CODE),
        Some(&Value::I64(200))
    );
    assert_eq!(
        call.attribute(semconv::PEER_SERVICE),
        Some(&Value::from("shop-inventory"))
    );
    assert!(
        call.attribute(semconv::URL_FULL)
            .and_then(Value::as_str)
            .unwrap()
            .ends_with("/api/inventory/check")
    );

    // In the inventory service: the same trace, parented by that client span.
    let i_spans = inventory.trace(trace).await;
    let i_server = i_spans
        .iter()
        .find(|s| s.kind == SpanKind::Server)
        .expect("inventory joined the trace");
    assert_eq!(i_server.name, "POST /api/inventory/check");
    assert_eq!(i_server.parent_span_id, Some(call.context.span_id));
    assert!(i_server.parent_is_remote);
    let i_db = i_spans
        .iter()
        .find(|s| s.kind == SpanKind::Client)
        .expect("inventory's database span");
    assert_eq!(i_db.parent_span_id, Some(i_server.context.span_id));
    // Each service recorded its own metrics for the call.
    assert!(
        orders
            .recorder
            .histogram_count(semconv::metrics::HTTP_CLIENT_REQUEST_DURATION, &[])
            >= 1
    );
    assert!(
        inventory.recorder.counter_total(
            semconv::metrics::HTTP_SERVER_REQUESTS,
            &[(semconv::HTTP_ROUTE, Value::from("/api/inventory/check"))]
        ) >= 1.0
    );

    // Inventory down: the orders service answers a JSON 503, and its client
    // span says why.
    inventory.stop().await;
    let cart2 = orders.create_cart().await;
    let r = orders.add_item(&cart2, 3, 1).await;
    let failed_trace = TraceId::from_hex(r.headers()["x-trace-id"].to_str().unwrap()).unwrap();
    expect_error(r, 503, "service_unavailable", None).await;
    let call = orders
        .trace(failed_trace)
        .await
        .into_iter()
        .find(|s| s.kind == SpanKind::Client && s.attribute(semconv::PEER_SERVICE).is_some())
        .unwrap();
    assert_eq!(
        call.attribute(semconv::ERROR_TYPE),
        Some(&Value::from("connect_error"))
    );
    assert!(matches!(call.status, SpanStatus::Error { .. }));
    // Nothing was added.
    assert_eq!(
        orders.get_json(&format!("/api/carts/{cart2}"), 200).await["item_count"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_trace_crosses_two_services_sqlite() {
    a_checkout_trace_crosses_two_services(DbKind::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_trace_crosses_two_services_mysql() {
    a_checkout_trace_crosses_two_services(DbKind::Mysql).await
}
