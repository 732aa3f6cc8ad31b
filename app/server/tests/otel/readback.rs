//! The Lab page's read-back over the otel backend: the shop reads a
//! request's trace, and its log lines, back from the collector's store (the
//! capture receiver at the end of shop → collector → capture).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::TempDir;
use crate::common::service_map::{count, edge, node};
use crate::lab::{Http, Pipeline, order_body, start_split};

#[test]
fn a_requests_trace_is_read_back_from_the_collectors_store_with_its_log_lines() {
    let pipeline = Pipeline::start();
    let capture = pipeline.capture.url();
    let shop = crate::common::ShopOptions::new()
        .args(["--telemetry", "otel"])
        .envs(pipeline.shop_env("http/protobuf"))
        .env("SHOP_LAB_READBACK_CAPTURE", capture.as_str())
        .start();
    let http = Http::new();

    let config = http.get(&shop.url("/api/lab/readback"));
    assert_eq!(
        config.body["stores"][0]["store"], "collector",
        "{}",
        config.body
    );

    let products = http.get(&shop.url("/api/products/1"));
    assert_eq!(products.status, 200);
    let trace = products.header("x-trace-id").to_owned();
    assert_eq!(trace.len(), 32, "W3C's spelling: {trace}");
    assert_eq!(products.header("x-trace-sampled"), "1");

    let deadline = Instant::now() + Duration::from_secs(30);
    let reading = loop {
        let body = http
            .get(&shop.url(&format!("/api/lab/traces/{trace}")))
            .body;
        let store = body["stores"][0].clone();
        if store["status"] == "found" && store["logs"].as_array().is_some_and(|l| !l.is_empty()) {
            break store;
        }
        assert!(
            Instant::now() < deadline,
            "not read back in 30 s: {body:#}\ncollector log:\n{}",
            pipeline.collector.log_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let spans = reading["spans"].as_array().unwrap();
    let root = &spans[0];
    assert_eq!(root["name"], "GET /api/products/{id}", "{reading:#}");
    assert_eq!(root["service"], "shop");
    assert_eq!(root["kind"], "server");
    assert_eq!(root["attributes"]["http.response.status_code"], 200);
    assert!(
        spans[1..].iter().any(|s| s["parent_id"] == root["span_id"]),
        "the server span's children follow it: {reading:#}"
    );
    let logs = reading["logs"].as_array().unwrap();
    assert!(
        logs.iter()
            .any(|l| l["body"] == "request completed" && l["span_id"] == root["span_id"]),
        "the access-log line, joined to the server span: {logs:#?}"
    );
    assert_eq!(
        reading["command"],
        format!("curl -s '{capture}/captured/traces?trace_id={trace}'")
    );
}

#[test]
fn a_browser_session_is_read_back_from_the_collectors_store_with_each_events_trace() {
    let pipeline = Pipeline::start();
    let capture = pipeline.capture.url();
    let shop = crate::common::ShopOptions::new()
        .args(["--telemetry", "otel"])
        .envs(pipeline.shop_env("http/protobuf"))
        .env("SHOP_LAB_READBACK_CAPTURE", capture.as_str())
        .start();
    let http = Http::new();
    let session = format!("{:032x}", rand::random::<u128>());
    let trace = format!("{:032x}", rand::random::<u128>() | 1);
    // The tab's events through the RUM intake, and another tab's beside them.
    for body in crate::common::browser::session_events(&session, &trace) {
        let sent = http.post(&shop.url("/api/rum/v1/logs"), &body);
        assert_eq!(sent.status, 200, "{}", sent.body);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let reading = loop {
        let body = http
            .get(&shop.url(&format!("/api/lab/sessions/{session}")))
            .body;
        let store = body["stores"][0].clone();
        if store["logs"].as_array().is_some_and(|l| l.len() >= 2) {
            break store;
        }
        assert!(
            Instant::now() < deadline,
            "not read back in 30 s: {body:#}\ncollector log:\n{}",
            pipeline.collector.log_text()
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(reading["store"], "collector");
    assert_eq!(reading["status"], "found");
    let logs = reading["logs"].as_array().unwrap();
    let events: Vec<&str> = logs
        .iter()
        .map(|l| l["attributes"]["event.name"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        events,
        ["browser.page_view", "browser.cart_change"],
        "this tab's two events only: {logs:#?}"
    );
    for l in logs {
        assert_eq!(l["service"], "shop-web");
        assert_eq!(l["trace_id"], trace.as_str(), "{l:#}");
    }
    assert_eq!(
        reading["command"],
        format!("curl -s '{capture}/captured/logs?service=shop-web&session_id={session}'")
    );
}

/// O-DASH-02: the service map over a time window, counted by the shop from the collector's
/// store (every trace the capture receiver holds, the window picked by each trace's end). The
/// split topology: orders calls inventory to check stock; both query the database.
#[test]
fn the_service_map_of_a_window_is_counted_from_the_collectors_store() {
    let pipeline = Pipeline::start();
    let capture = pipeline.capture.url();
    let data = TempDir::new();
    let readback = [("SHOP_LAB_READBACK_CAPTURE".to_owned(), capture.clone())];
    let (inventory, orders) = start_split(
        &pipeline.shop_env("http/protobuf"),
        &[],
        &readback,
        data.path(),
    );
    let http = Http::new();

    // Bad windows first: a 400 naming `minutes`.
    for bad in ["0", "abc", "61"] {
        let r = http.get(&orders.url(&format!("/api/lab/service-map?minutes={bad}")));
        assert_eq!(r.status, 400, "minutes={bad}");
        assert_eq!(
            r.body["error"]["field"], "minutes",
            "minutes={bad}: {}",
            r.body
        );
    }
    // A window is answered whatever the store holds yet (start-up work may be there already).
    let early = http.get(&orders.url("/api/lab/service-map?minutes=1"));
    assert_eq!(early.status, 200, "{}", early.body);
    let status = &early.body["stores"][0]["status"];
    assert!(status == "found" || status == "missing", "{}", early.body);

    // A cart with two items (each after inventory's stock check), the checkout (another check),
    // and a missing order (a 404: an error on orders).
    let cart = http.post(&orders.url("/api/carts"), &json!({}));
    assert_eq!(cart.status, 201);
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    for product in [2, 3] {
        let add = http.post(
            &orders.url(&format!("/api/carts/{cart}/items")),
            &json!({"product_id": product, "quantity": 1}),
        );
        assert_eq!(add.status, 201, "{}", add.body);
    }
    let checkout = http.send(
        http.request(reqwest::Method::POST, &orders.url("/api/orders"))
            .header("Idempotency-Key", "otel-map-1")
            .json(&order_body(&cart)),
    );
    assert_eq!(checkout.status, 201, "{}", checkout.body);
    let missing = http.get(&orders.url("/api/orders/00000000-0000-4000-8000-000000000000"));
    assert_eq!(missing.status, 404);
    for shop in [&inventory, &orders] {
        let flushed = http.post(&shop.url("/api/telemetry/flush"), &json!({}));
        assert_eq!(flushed.status, 200, "{}", flushed.body);
    }

    let (ord, inv) = ("shop-orders", "shop-inventory");
    let deadline = Instant::now() + Duration::from_secs(30);
    let store = loop {
        let body = http.get(&orders.url("/api/lab/service-map")).body;
        assert_eq!(body["minutes"], 15, "the default window: {body}");
        let store = body["stores"][0].clone();
        assert_eq!(store["store"], "collector", "{body}");
        let requests =
            |from: &str, to: &str| edge(&store, from, to).map_or(0, |e| count(e, "requests"));
        if requests(ord, inv) >= 3
            && requests(ord, "sqlite") >= 1
            && requests(inv, "sqlite") >= 1
            && node(&store, ord).is_some_and(|n| count(n, "requests") >= 5)
        {
            break store;
        }
        assert!(
            Instant::now() < deadline,
            "the map lacks this test's traces after 30 s: {store:#}\ncollector log:\n{}",
            pipeline.collector.log_text()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(store["status"], "found", "{store:#}");
    assert_eq!(store["truncated"], false, "{store:#}");
    assert_eq!(
        store["traces_read"], store["traces_listed"],
        "every trace of a private store is read: {store:#}"
    );
    assert!(store["traces_read"].as_u64().unwrap() >= 5, "{store:#}");
    assert_eq!(
        store["command"],
        format!("curl -s '{capture}/captured/traces'")
    );
    let orders_node = node(&store, ord).unwrap();
    assert_eq!(orders_node["kind"], "service");
    assert!(
        count(orders_node, "errors") >= 1,
        "the 404: {orders_node:#}"
    );
    assert_eq!(count(orders_node, "faults"), 0, "{orders_node:#}");
    assert!(count(node(&store, inv).unwrap(), "requests") >= 3);
    assert_eq!(node(&store, "sqlite").unwrap()["kind"], "database");
    // The orders client span to inventory names `peer.service` too; the call is drawn to the
    // service that continued it, not to a remote node beside it.
    assert_eq!(
        store["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["name"] == inv)
            .count(),
        1,
        "{store:#}"
    );
    let call = &edge(&store, ord, inv).unwrap()["stats"];
    let (mean, max) = (
        call["mean_ms"].as_f64().unwrap(),
        call["max_ms"].as_f64().unwrap(),
    );
    assert!(mean > 0.0 && max >= mean, "{call}");

    // A store that does not answer: said so in its reading, not a 5xx.
    let dead = crate::common::ShopOptions::new()
        .args(["--telemetry", "otel"])
        .env("SHOP_LAB_READBACK_CAPTURE", "http://127.0.0.1:1")
        .start();
    let r = http.get(&dead.url("/api/lab/service-map?minutes=60"));
    assert_eq!(r.status, 200, "{}", r.body);
    let store = &r.body["stores"][0];
    assert_eq!(store["status"], "unavailable", "{store:#}");
    assert!(
        store["message"]
            .as_str()
            .is_some_and(|m| m.contains("/captured/traces")),
        "{store:#}"
    );
    assert_eq!(store["nodes"], json!([]));
}
