//! The receiver decodes real OTLP/HTTP requests: protobuf or JSON, gzip or
//! not, whatever `content-encoding` claims (rotel sends `gzip` always).

use std::io::Write;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otlp_capture::Capture;
use prost::Message;

fn request(name: &str) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("shop".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![0x0a; 16],
                    span_id: vec![0x0b; 8],
                    name: name.into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn decodes_protobuf_and_json_plain_or_gzip() {
    let capture = Capture::start().unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/v1/traces", capture.url());
    let post = |body: Vec<u8>, content_type: &'static str, encoding: Option<&'static str>| {
        let mut r = client
            .post(&url)
            .header("content-type", content_type)
            .body(body);
        if let Some(e) = encoding {
            r = r.header("content-encoding", e);
        }
        r.send()
    };
    let proto = request("plain").encode_to_vec();
    assert_eq!(
        post(proto, "application/x-protobuf", None)
            .await
            .unwrap()
            .status(),
        200
    );
    let zipped = gzip(&request("gzip").encode_to_vec());
    assert_eq!(
        post(zipped, "application/x-protobuf", Some("gzip"))
            .await
            .unwrap()
            .status(),
        200
    );
    // rotel's habit: a gzip header on a plain body.
    let lying = request("lying-header").encode_to_vec();
    assert_eq!(
        post(lying, "application/x-protobuf", Some("gzip"))
            .await
            .unwrap()
            .status(),
        200
    );
    let json = serde_json::to_vec(&request("json")).unwrap();
    assert_eq!(
        post(json, "application/json", None).await.unwrap().status(),
        200
    );
    // Garbage is rejected, not stored.
    assert_eq!(
        post(b"nope".to_vec(), "application/x-protobuf", None)
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post(b"nope".to_vec(), "text/plain", None)
            .await
            .unwrap()
            .status(),
        415
    );

    let store = capture.store();
    assert!(store.wait_until(Duration::from_secs(5), |s| s.spans().len() == 4));
    let names: Vec<String> = store.spans().into_iter().map(|s| s.span.name).collect();
    assert_eq!(names, ["plain", "gzip", "lying-header", "json"]);
    let span = &store.spans()[0];
    assert_eq!(span.trace_id(), "0a".repeat(16));
    assert_eq!(span.resource_str("service.name"), Some("shop"));
    let info = store.requests();
    assert_eq!(info[1].content_encoding.as_deref(), Some("gzip"));
    assert!(info[1].gzip_body);
    assert_eq!(info[2].content_encoding.as_deref(), Some("gzip"));
    assert!(!info[2].gzip_body);
    assert_eq!(store.rejected(), 2);

    // Read-back as OTLP/JSON, then empty.
    let back: serde_json::Value = client
        .get(format!("{}/captured/traces", capture.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back.as_array().unwrap().len(), 4);
    assert_eq!(
        back[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
        "0a".repeat(16)
    );
    // Only the services asked for: every request here is the `shop`'s.
    let read = |query: &'static str| {
        let c = client.clone();
        let url = format!("{}/captured/traces{query}", capture.url());
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(read("?service=shop").await.as_array().unwrap().len(), 4);
    assert_eq!(
        read("?service=other&service=shop")
            .await
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(read("?service=other").await, serde_json::json!([]));
    // One trace: every span here is trace 0a0a…; another trace id keeps nothing.
    assert_eq!(
        read("?trace_id=0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a")
            .await
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        read("?trace_id=0b0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a").await,
        serde_json::json!([])
    );
    let bad = client
        .get(format!("{}/captured/traces?trace_id=xyz", capture.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    client
        .delete(format!("{}/captured", capture.url()))
        .send()
        .await
        .unwrap();
    assert!(store.spans().is_empty());
}

#[tokio::test]
async fn log_records_are_read_back_per_browser_session() {
    let capture = Capture::start().unwrap();
    let client = reqwest::Client::new();
    // Two records of one trace, from two tabs (their `session.id`), as the browser's SDK sends them.
    let record = |session: &str, body: &str| {
        serde_json::json!({
            "timeUnixNano": "1700000000000000000",
            "body": {"stringValue": body},
            "traceId": "0a".repeat(16),
            "attributes": [{"key": "session.id", "value": {"stringValue": session}}],
        })
    };
    let export = serde_json::json!({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-web"}}]},
        "scopeLogs": [{"logRecords": [record("tab-a", "first"), record("tab-b", "second")]}],
    }]});
    let r = client
        .post(format!("{}/v1/logs", capture.url()))
        .header("content-type", "application/json")
        .body(export.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let read = |query: &'static str| {
        let c = client.clone();
        let url = format!("{}/captured/logs{query}", capture.url());
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let bodies = |v: serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|r| {
                r["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .map(|l| l["body"]["stringValue"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(bodies(read("?session_id=tab-b").await), ["second"]);
    assert_eq!(
        bodies(read("?service=shop-web&session_id=tab-a").await),
        ["first"]
    );
    assert_eq!(
        bodies(read("?session_id=tab-a&trace_id=0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a").await),
        ["first"]
    );
    assert_eq!(read("?session_id=tab-c").await, serde_json::json!([]));
    assert_eq!(bodies(read("").await), ["first", "second"]);
}

/// One collector batch of logs at saturation: 8192 records (the `batch/logs` processor's
/// default size) of a few hundred bytes each, as protobuf.
fn log_batch(records: usize, body_bytes: usize) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let record = |i: usize| LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000,
        body: Some(AnyValue {
            value: Some(any_value::Value::StringValue(format!(
                "{i:08} {}",
                "x".repeat(body_bytes)
            ))),
        }),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: (0..records).map(record).collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

/// A receiver that refuses what a collector would take loses data silently: the collector's
/// exporter treats a 413 as permanent and drops the batch. This one takes what the collector's
/// own OTLP/HTTP receiver takes (20 MiB) and refuses more with a 413 that names its limit, and
/// counts it.
#[tokio::test]
async fn takes_a_collector_sized_batch_and_refuses_more_with_a_count() {
    let capture = Capture::start().unwrap();
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        client
            .post(format!("{}/v1/logs", capture.url()))
            .header("content-type", "application/x-protobuf")
            .body(body)
            .send()
    };
    // About 3.6 MiB: more than axum's default limit of 2 MiB.
    let batch = log_batch(8192, 450);
    assert!(batch.len() > 3 << 20, "{} bytes", batch.len());
    assert_eq!(post(batch).await.unwrap().status(), 200);
    let store = capture.store();
    assert!(store.wait_until(Duration::from_secs(5), |s| s.logs().len() == 8192));
    assert_eq!(store.rejected(), 0);

    let too_big = log_batch(1, otlp_capture::MAX_BODY_BYTES);
    let r = post(too_big).await.unwrap();
    assert_eq!(r.status(), 413);
    let message = r.text().await.unwrap();
    assert!(
        message.contains(&otlp_capture::MAX_BODY_BYTES.to_string()),
        "{message}"
    );
    assert_eq!(store.rejected(), 1);
    assert_eq!(
        store.logs().len(),
        8192,
        "nothing of the refused batch kept"
    );
}
