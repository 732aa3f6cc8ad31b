//! The Lab page's read-back over the otel backend: the shop reads a
//! request's trace, and its log lines, back from the collector's store (the
//! capture receiver at the end of shop → collector → capture).

use std::time::{Duration, Instant};

use crate::lab::{Http, Pipeline};

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
