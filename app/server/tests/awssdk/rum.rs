//! The browser's telemetry through the RUM intake, over the awssdk backend:
//! the intake relays the browser's spans as a `shop-web` segment whose
//! fetch subsegment is the parent of the shop's segment, in one X-Ray trace
//! (F-CORR-01, O-CORR-02), and its error as a CloudWatch Logs line of the
//! `shop-web` service carrying the same X-Ray trace id.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::browser::{click_and_fetch, error_log};
use crate::lab::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_its_fetch_and_the_shops_segment_are_one_trace_in_xray() {
    let env = lab_env();
    let service = unique("rum");
    let shop = awssdk_shop(&service, env).start();
    let c = http();

    // The UI learns to send X-Ray's header, with X-Ray's ids.
    let config: Value = c
        .get(shop.url("/api/rum/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["backend"], "awssdk");
    assert_eq!(config["propagator"], "xray");
    assert_eq!(config["id_generator"], "xray");

    let (root, _) = xray_header("1");
    // `1-5f5a1b2c-0123…` → the 32 hex digits of the OTLP trace id.
    let trace = root[2..].replace('-', "");
    let (click, fetch) = ("00f067aa0ba902b7", "53995c3f42cd8ad8");
    let r = c
        .get(shop.url("/api/products/1"))
        .header(
            "X-Amzn-Trace-Id",
            format!("Root={root};Parent={fetch};Sampled=1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for (path, body) in [
        (
            "/api/rum/v1/traces",
            click_and_fetch(&trace, click, fetch, "http://shop/api/products/1?ref=mail"),
        ),
        ("/api/rum/v1/logs", error_log(&trace, click)),
    ] {
        let r = c.post(shop.url(path)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}: {:?}", r.text().await);
        assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    }
    flush(&shop).await;

    let docs = wait_trace(&xray(env), &root, 2).await;
    let web = docs
        .iter()
        .find(|d| d["name"] == "shop-web")
        .unwrap_or_else(|| panic!("no shop-web segment in {docs:#?}"));
    let shop_segment = docs
        .iter()
        .find(|d| d["name"] == service.as_str())
        .unwrap_or_else(|| panic!("no {service} segment in {docs:#?}"));
    // The browser's segment: the click, with the fetch as a remote call.
    assert_eq!(web["id"], click);
    assert!(web.get("parent_id").is_none(), "{web}");
    assert!(web.get("origin").is_none(), "{web}");
    let nodes = all_nodes(web);
    let fetch_node = nodes
        .iter()
        .find(|n| n["id"] == fetch)
        .unwrap_or_else(|| panic!("no fetch subsegment in {web:#}"));
    assert_eq!(fetch_node["namespace"], "remote");
    assert_eq!(fetch_node["http"]["request"]["method"], "GET");
    assert_eq!(
        fetch_node["http"]["request"]["url"],
        "http://shop/api/products/1"
    );
    assert!(!web.to_string().contains("someone@example.com"), "{web}");
    // The shop's segment hangs under the fetch.
    assert_eq!(shop_segment["parent_id"], fetch);
    assert_eq!(shop_segment["trace_id"], root.as_str());

    // The error: a line of the shop-web service, joined to the trace.
    let group = format!("/shop-lab-test/{service}");
    let client = logs(env);
    let mut line = None;
    for _ in 0..50 {
        line = log_events(&client, &group)
            .await
            .into_iter()
            .map(|(_, m)| serde_json::from_str::<Value>(&m).unwrap())
            .find(|l| l["service"] == "shop-web");
        if line.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let line = line.expect("the browser's error in CloudWatch Logs");
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["trace_id"], root.as_str());
    assert_eq!(line["span_id"], click);
    assert!(
        line["exception.stacktrace"]
            .as_str()
            .unwrap()
            .contains("at onClick")
    );
    assert!(line.get("user.name").is_none(), "{line}");
}
