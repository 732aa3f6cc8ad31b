//! The Lab page's read-back over the awssdk backend: the shop reads a
//! request's trace back from X-Ray (moto) and its log lines from CloudWatch
//! Logs (LocalStack), as the Lab page shows them.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::service_map::{count, edge, node};
use crate::common::{TempDir, order_body};
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

/// O-DASH-02: the service map over a time window, counted by the shop from X-Ray's raw traces
/// (`GetTraceSummaries`, then `BatchGetTraces`), since moto builds no service graph. The split
/// topology: orders calls inventory to check stock; both query the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_map_of_a_window_is_counted_from_xrays_raw_traces() {
    let env = lab_env();
    let data = TempDir::new();
    let inv_name = unique("map-inventory");
    let ord_name = unique("map-orders");
    let inventory = awssdk_shop(&inv_name, env)
        .args(["--role", "inventory"])
        .data_dir(data.path())
        .start();
    let orders = awssdk_shop(&ord_name, env)
        .args(["--role", "orders", "--inventory-url", &inventory.address])
        .env("SHOP_LAB_READBACK_XRAY", "true")
        .data_dir(data.path())
        .start();
    let c = http();

    // Bad windows first: a 400 naming `minutes`, whatever the stores hold.
    for bad in ["0", "abc", "61", "-1", "1.5"] {
        let r = c
            .get(orders.url(&format!("/api/lab/service-map?minutes={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "minutes={bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["field"], "minutes", "minutes={bad}: {body}");
    }

    // A cart with two items (each added after inventory's stock check), the checkout (another
    // check), and a missing order (a 404: an error on orders).
    let post = |path: String, body: Value| {
        let c = c.clone();
        let url = orders.url(&path);
        async move { c.post(url).json(&body).send().await.unwrap() }
    };
    let r = post("/api/carts".to_owned(), json!({})).await;
    assert_eq!(r.status(), 201);
    let cart: Value = r.json().await.unwrap();
    let cart = cart["id"].as_str().unwrap().to_owned();
    for product in [2, 3] {
        let r = post(
            format!("/api/carts/{cart}/items"),
            json!({"product_id": product, "quantity": 1}),
        )
        .await;
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
    }
    let r = c
        .post(orders.url("/api/orders"))
        .header("Idempotency-Key", unique("map-checkout"))
        .json(&order_body(&cart))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let r = c
        .get(orders.url("/api/orders/00000000-0000-4000-8000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    flush(&inventory).await;
    flush(&orders).await;

    // The edges this test made (other tests' services share moto, and are on the map too).
    let deadline = Instant::now() + Duration::from_secs(60);
    let store = loop {
        let r = c
            .get(orders.url("/api/lab/service-map?minutes=5"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["minutes"], 5, "{body}");
        let store = body["stores"][0].clone();
        assert_eq!(store["store"], "xray", "{body}");
        let requests =
            |from: &str, to: &str| edge(&store, from, to).map_or(0, |e| count(e, "requests"));
        if requests(&ord_name, &inv_name) >= 3
            && requests(&ord_name, "sqlite") >= 1
            && requests(&inv_name, "sqlite") >= 1
            && node(&store, &ord_name).is_some_and(|n| count(n, "requests") >= 5)
        {
            break store;
        }
        assert!(
            Instant::now() < deadline,
            "the map lacks this test's traces after 60 s: {store:#}"
        );
        tokio::time::sleep(Duration::from_millis(1000)).await;
    };
    assert_eq!(store["status"], "found", "{store:#}");
    let read = store["traces_read"].as_u64().unwrap();
    assert!(read >= 5, "{store:#}");
    assert!(store["traces_listed"].as_u64().unwrap() >= read);
    assert!(
        store["truncated"] == false || store["message"].is_string(),
        "a truncated map says why: {store:#}"
    );
    assert!(
        store["command"]
            .as_str()
            .unwrap()
            .starts_with("aws xray get-trace-summaries --start-time "),
        "{store:#}"
    );
    let orders_node = node(&store, &ord_name).unwrap();
    assert_eq!(orders_node["kind"], "service");
    assert!(
        count(orders_node, "errors") >= 1,
        "the 404: {orders_node:#}"
    );
    assert_eq!(node(&store, &inv_name).unwrap()["kind"], "service");
    assert!(count(node(&store, &inv_name).unwrap(), "requests") >= 3);
    assert_eq!(node(&store, "sqlite").unwrap()["kind"], "database");
    // The call to inventory is drawn to the service that continued it, timed by the caller.
    let call = &edge(&store, &ord_name, &inv_name).unwrap()["stats"];
    let (mean, max) = (
        call["mean_ms"].as_f64().unwrap(),
        call["max_ms"].as_f64().unwrap(),
    );
    assert!(mean > 0.0 && max >= mean, "{call}");
    assert!(call["p50_ms"].as_f64().unwrap() <= call["p99_ms"].as_f64().unwrap());
    assert_eq!(
        count(edge(&store, &ord_name, &inv_name).unwrap(), "faults"),
        0
    );
}
