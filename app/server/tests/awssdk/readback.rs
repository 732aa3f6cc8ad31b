//! The Lab page's read-back over the awssdk backend: the shop reads a
//! request's trace back from X-Ray (moto) and its log lines from CloudWatch
//! Logs (LocalStack), as the Lab page shows them.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::lab::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_trace_is_read_back_from_xray_with_its_log_lines() {
    let env = lab_env();
    let service = unique("readback");
    let shop = awssdk_shop(&service, env)
        .env("SHOP_LAB_READBACK_XRAY", "true")
        .start();
    let c = http();

    let config: Value = c
        .get(shop.url("/api/lab/readback"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["enabled"], true, "{config}");
    assert_eq!(config["stores"][0]["store"], "xray", "{config}");

    let r = c.get(shop.url("/api/products/1")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let trace = r.headers()["x-trace-id"].to_str().unwrap().to_owned();
    assert!(trace.starts_with("1-"), "X-Ray's spelling: {trace}");
    assert_eq!(r.headers()["x-trace-sampled"], "1");
    flush(&shop).await;

    // Exports are asynchronous at moto and LocalStack too: read until both are there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let reading = loop {
        let body: Value = c
            .get(shop.url(&format!("/api/lab/traces/{trace}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let xray = body["stores"][0].clone();
        assert_eq!(body["xray_trace_id"], trace.as_str(), "{body}");
        if xray["status"] == "found" && xray["logs"].as_array().is_some_and(|l| !l.is_empty()) {
            break xray;
        }
        assert!(Instant::now() < deadline, "not read back in 30 s: {body:#}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(reading["store"], "xray");
    let spans = reading["spans"].as_array().unwrap();
    // The segment first (the shop's, named for its service), its SQL subsegments under it.
    let root = &spans[0];
    assert_eq!(root["service"], service.as_str(), "{reading:#}");
    assert_eq!(root["kind"], "server");
    assert_eq!(root["attributes"]["http.response.status"], 200, "{root:#}");
    assert!(
        spans[1..]
            .iter()
            .any(|s| s["parent_id"] == root["span_id"] && s["service"] == service.as_str()),
        "subsegments under the segment: {reading:#}"
    );
    // The access-log line of the request, from CloudWatch Logs, joined by the trace id.
    let logs = reading["logs"].as_array().unwrap();
    assert!(
        logs.iter()
            .any(|l| l["body"] == "request completed" && l["service"] == service.as_str()),
        "{logs:#?}"
    );
    assert!(
        reading["command"]
            .as_str()
            .unwrap()
            .starts_with(&format!("aws xray batch-get-traces --trace-ids {trace}")),
        "{reading:#}"
    );

    // A trace X-Ray does not have: answered, as missing.
    let other = format!(
        "1-{:08x}-{:024x}",
        0x5f00_0000u32,
        rand::random::<u64>() | 1
    );
    let body: Value = c
        .get(shop.url(&format!("/api/lab/traces/{other}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["stores"][0]["status"], "missing", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_session_is_read_back_from_cloudwatch_logs_with_each_events_trace() {
    let env = lab_env();
    let service = unique("session");
    let shop = awssdk_shop(&service, env)
        .env("SHOP_LAB_READBACK_XRAY", "true")
        .start();
    let c = http();
    let session = format!("{:032x}", rand::random::<u128>());
    let (root, _) = xray_header("1");
    let trace = root[2..].replace('-', "");
    // The tab's events through the RUM intake, and another tab's beside them.
    for body in crate::common::browser::session_events(&session, &trace) {
        let r = c
            .post(shop.url("/api/rum/v1/logs"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
    }
    flush(&shop).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let reading = loop {
        let body: Value = c
            .get(shop.url(&format!("/api/lab/sessions/{session}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let store = body["stores"][0].clone();
        if store["logs"].as_array().is_some_and(|l| l.len() >= 2) {
            break store;
        }
        assert!(Instant::now() < deadline, "not read back in 30 s: {body:#}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(reading["store"], "xray");
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
        // Stored in X-Ray's spelling, answered as 32 hex digits: the trace view's link.
        assert_eq!(l["trace_id"], trace.as_str(), "{l:#}");
        assert_eq!(l["attributes"]["page.route"], "/product/");
    }
    let command = reading["command"].as_str().unwrap();
    assert!(
        command.starts_with(&format!(
            "aws logs filter-log-events --log-group-name /shop-lab-test/{service} --start-time "
        )) && command.contains(&format!("--filter-pattern '\"{session}\"'")),
        "{command}"
    );
}
