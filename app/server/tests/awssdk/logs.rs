//! CloudWatch Logs: the shop's log events as JSON lines, in order, each
//! carrying an X-Ray trace id that exists in X-Ray.

use serde_json::Value;

use crate::lab::*;

/// O-LOG-01..04.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_joins_a_trace_in_xray() {
    let env = lab_env();
    let service = unique("logs");
    let shop = awssdk_shop(&service, env).start();
    let c = http();
    let mut request_ids = Vec::new();
    for path in [
        "/api/products",
        "/api/products/5",
        "/api/products/999999",
        "/api/search?q=tea",
    ] {
        let r = c.get(shop.url(path)).send().await.unwrap();
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        request_ids.push(r.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    let r = c
        .get(shop.url("/api/products?page=zero"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    request_ids.push(r.headers()["x-request-id"].to_str().unwrap().to_owned());
    let stats = flush_accounted(&shop).await;
    assert_eq!(stats["export"]["logs"]["dropped"], 0);

    let group = format!("/shop-lab-test/{service}");
    let client = logs(env);
    // The flush request's own lines are sent after its statistics were
    // taken (by the next batch): leave them out of the count.
    let sent = stats["export"]["logs"]["sent"].as_u64().unwrap();
    let events = wait_log_events(&client, &group, sent).await;
    assert_eq!(
        events.len() as u64,
        sent,
        "every log record sent arrived once"
    );
    // Chronological order is kept.
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));

    let xray = xray(env);
    let mut access_lines = 0;
    for (ts, message) in &events {
        let v: Value = serde_json::from_str(message).unwrap();
        assert_eq!(v["service"], service.as_str());
        for field in ["timestamp", "level", "message"] {
            assert!(v[field].is_string(), "{field} in {v}");
        }
        assert!(*ts > 0);
        let Some(trace_id) = v["trace_id"].as_str() else {
            continue; // start-up lines happen outside any request
        };
        assert!(
            trace_id.starts_with("1-") && trace_id.len() == 35,
            "X-Ray form: {trace_id}"
        );
        let docs = wait_trace(&xray, trace_id, 1).await;
        assert!(
            docs.iter().any(|d| crate::lab::all_nodes(d)
                .iter()
                .any(|n| n["id"] == v["span_id"])),
            "the log line's span {} is in trace {trace_id}: {docs:#?}",
            v["span_id"]
        );
        if v["message"] == "request completed" || v["message"] == "request rejected" {
            access_lines += 1;
            assert!(request_ids.contains(&v["request_id"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(
        access_lines,
        request_ids.len(),
        "one access line per request"
    );
}
