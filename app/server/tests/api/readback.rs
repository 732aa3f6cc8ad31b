//! The Lab page's read-back (`/api/lab/…`): off unless configured; a trace
//! id in either spelling; a trace read from the collector's store (a real
//! capture receiver, fed the OTLP/JSON a collector sends) as spans in
//! waterfall order with the log lines joined; a store that does not answer.
//! Reading from X-Ray and CloudWatch Logs is tested against moto and
//! LocalStack in `tests/awssdk/readback.rs`, and the whole pipeline in
//! `tests/otel/readback.rs`.

use serde_json::{Value, json};

use crate::support::*;

fn with_capture(url: Option<String>) -> Spawn {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.readback.capture = url;
    spawn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_back_is_off_unless_configured() {
    let app = spawn_app(DbKind::Sqlite).await;
    let config = app.get_json("/api/lab/readback", 200).await;
    assert_eq!(config, json!({"enabled": false, "stores": []}));
    let r = app
        .get_json("/api/lab/traces/1-5f84c7a1-a006649127e371903a2de979", 404)
        .await;
    assert_eq!(r["error"]["code"], "readback_off", "{r}");
    // Every API answer says which trace it was, and whether it was sampled.
    let r = app.get("/api/products").await;
    assert_eq!(r.headers()["x-trace-sampled"], "1");
    assert_eq!(r.headers()["x-trace-id"].len(), 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_trace_id_is_a_400_naming_it() {
    let app = spawn_with(with_capture(Some("http://127.0.0.1:9".to_owned()))).await;
    for bad in [
        "xyz",
        "1-5f84c7a1-a0066",
        "00000000000000000000000000000000",
    ] {
        let r = app.get_json(&format!("/api/lab/traces/{bad}"), 400).await;
        assert_eq!(r["error"]["field"], "trace_id", "{bad}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_is_read_from_the_collectors_store_in_waterfall_order_with_its_logs() {
    let capture = otlp_capture::Capture::start().unwrap();
    let trace = format!("{:032x}", rand::random::<u128>() | (1 << 100));
    let other = format!("{:032x}", rand::random::<u128>() | (1 << 101));
    let resource =
        json!({"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]});
    let span = |trace: &str, id: &str, parent: &str, name: &str, start: u64, kind: i32| {
        json!({"traceId": trace, "spanId": id, "parentSpanId": parent, "name": name, "kind": kind,
               "startTimeUnixNano": (1_700_000_000_000_000_000u64 + start).to_string(),
               "endTimeUnixNano": (1_700_000_000_000_000_000u64 + start + 1_000_000).to_string(),
               "attributes": [{"key": "db.system.name", "value": {"stringValue": "sqlite"}}]})
    };
    // What a collector sends: the child before its parent, and another trace beside it.
    let traces = json!({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [
        span(&trace, "00000000000000b2", "00000000000000a1", "SELECT shop", 500, 3),
        span(&other, "00000000000000c3", "", "GET /api/other", 0, 2),
        span(&trace, "00000000000000a1", "", "GET /api/products", 0, 2),
    ]}]}]});
    let logs = json!({"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1700000000002000000", "severityText": "INFO", "body": {"stringValue": "request completed"},
         "traceId": trace, "spanId": "00000000000000a1"},
        {"timeUnixNano": "1700000000002000000", "severityText": "INFO", "body": {"stringValue": "another trace"},
         "traceId": other, "spanId": "00000000000000c3"},
    ]}]}]});
    let c = reqwest::Client::new();
    for (path, body) in [("/v1/traces", traces), ("/v1/logs", logs)] {
        let r = c
            .post(format!("{}{path}", capture.url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    let app = spawn_with(with_capture(Some(capture.url()))).await;
    let config = app.get_json("/api/lab/readback", 200).await;
    assert_eq!(config["enabled"], true);
    assert_eq!(config["stores"][0]["store"], "collector");
    // X-Ray's spelling of the same id finds the same trace.
    let xray_spelling = format!("1-{}-{}", &trace[..8], &trace[8..]);
    let body: Value = app
        .get_json(&format!("/api/lab/traces/{xray_spelling}"), 200)
        .await;
    assert_eq!(body["trace_id"], trace.as_str());
    assert_eq!(body["xray_trace_id"], xray_spelling.as_str());
    let store = &body["stores"][0];
    assert_eq!(store["status"], "found", "{body:#}");
    let names: Vec<&str> = store["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["GET /api/products", "SELECT shop"],
        "parent first, the other trace left out"
    );
    assert_eq!(store["spans"][1]["kind"], "client");
    assert_eq!(store["spans"][1]["attributes"]["db.system.name"], "sqlite");
    let took = store["spans"][0]["end_ms"].as_f64().unwrap()
        - store["spans"][0]["start_ms"].as_f64().unwrap();
    assert!((took - 1.0).abs() < 0.01, "1 ms, in milliseconds: {took}");
    let logs = store["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(logs[0]["body"], "request completed");
    assert_eq!(logs[0]["span_id"], "00000000000000a1");
    assert_eq!(
        store["command"],
        format!(
            "curl -s '{}/captured/traces?trace_id={trace}'",
            capture.url()
        )
    );

    // A trace the store does not have is an answer, not an error.
    let body = app
        .get_json(
            &format!("/api/lab/traces/{:032x}", rand::random::<u128>() | 1),
            200,
        )
        .await;
    assert_eq!(body["stores"][0]["status"], "missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_does_not_answer_is_unavailable_not_an_error() {
    // Port 9 (discard): nothing listens on the loopback.
    let app = spawn_with(with_capture(Some("http://127.0.0.1:9".to_owned()))).await;
    let body = app
        .get_json("/api/lab/traces/5f84c7a1a006649127e371903a2de979", 200)
        .await;
    let store = &body["stores"][0];
    assert_eq!(store["status"], "unavailable", "{body}");
    assert!(
        store["message"].as_str().unwrap().contains("127.0.0.1:9"),
        "{body}"
    );
    assert_eq!(store["spans"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_session_is_read_from_the_collectors_store_with_each_records_trace() {
    let capture = otlp_capture::Capture::start().unwrap();
    let session = format!("{:032x}", rand::random::<u128>());
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let record = |session: &str, event: &str, trace: u8, ago_s: u64| {
        json!({"timeUnixNano": (now_ns - ago_s * 1_000_000_000).to_string(), "severityText": "INFO",
        "body": {"stringValue": event}, "traceId": format!("{trace:02x}").repeat(16),
        "spanId": "00000000000000a1",
        "attributes": [
            {"key": "session.id", "value": {"stringValue": session}},
            {"key": "event.name", "value": {"stringValue": event}},
        ]})
    };
    // The tab's page view and click, another tab's, and this tab's two hours ago.
    let logs = json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-web"}}]},
        "scopeLogs": [{"logRecords": [
            record(&session, "browser.click", 0x0b, 5),
            record(&session, "browser.page_view", 0x0a, 10),
            record("another-tab", "browser.page_view", 0x0c, 5),
            record(&session, "browser.page_leave", 0x0d, 7200),
        ]}],
    }]});
    let r = reqwest::Client::new()
        .post(format!("{}/v1/logs", capture.url()))
        .header("content-type", "application/json")
        .body(logs.to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    let app = spawn_with(with_capture(Some(capture.url()))).await;
    let body = app
        .get_json(&format!("/api/lab/sessions/{session}"), 200)
        .await;
    assert_eq!(body["session_id"], session.as_str());
    let store = &body["stores"][0];
    assert_eq!(store["store"], "collector");
    assert_eq!(store["status"], "found", "{body:#}");
    let seen: Vec<(&str, &str)> = store["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["body"].as_str().unwrap(), l["trace_id"].as_str().unwrap()))
        .collect();
    let (a, b) = ("0a".repeat(16), "0b".repeat(16));
    assert_eq!(
        seen,
        [
            ("browser.page_view", a.as_str()),
            ("browser.click", b.as_str())
        ],
        "oldest first, each in its trace; another tab's and the older one left out"
    );
    assert_eq!(
        store["command"],
        format!(
            "curl -s '{}/captured/logs?service=shop-web&session_id={session}'",
            capture.url()
        )
    );
    // Three hours back finds the older record too.
    let body = app
        .get_json(&format!("/api/lab/sessions/{session}?minutes=180"), 200)
        .await;
    assert_eq!(body["stores"][0]["logs"].as_array().unwrap().len(), 3);
    // A session nobody had: an answer, not an error.
    let body = app.get_json("/api/lab/sessions/nobody", 200).await;
    assert_eq!(body["stores"][0]["status"], "missing", "{body}");

    for (path, field) in [
        ("/api/lab/sessions/a%20b", "session_id"),
        ("/api/lab/sessions/%3Cscript%3E", "session_id"),
        (
            &format!("/api/lab/sessions/{}", "a".repeat(65)),
            "session_id",
        ),
        ("/api/lab/sessions/abc?minutes=0", "minutes"),
        ("/api/lab/sessions/abc?minutes=1441", "minutes"),
        ("/api/lab/sessions/abc?minutes=soon", "minutes"),
    ] {
        let r = app.get_json(path, 400).await;
        assert_eq!(r["error"]["field"], field, "{path}: {r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_read_while_read_back_is_off_is_a_404_saying_so() {
    let app = spawn_app(DbKind::Sqlite).await;
    let r = app.get_json("/api/lab/sessions/abc", 404).await;
    assert_eq!(r["error"]["code"], "readback_off", "{r}");
}
