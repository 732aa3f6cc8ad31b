//! The functions with the `otel` backend: every invocation's telemetry is
//! flushed before its response goes back (Lambda freezes the process after
//! it), so what an invocation produced has arrived when the invoker gets
//! the answer, although the SDK's batch processors are set to wait ten
//! minutes. The OTLP receiver is `otlp-capture`, in this process; the
//! function runs under `cargo lambda watch` (see `tests/common/mod.rs`).

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use otlp_capture::Capture;
use serde_json::json;
use shop_functions::carrier::Fields;
use shop_functions::invoke::{Carriers, Invoker};

use common::Watch;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invocations_spans_and_logs_are_exported_before_its_answer() {
    let capture = Capture::start().expect("otlp-capture starts");
    let watch = Watch::start();
    let mut env = BTreeMap::new();
    for (k, v) in [
        ("SHOP_TELEMETRY", "otel"),
        ("SHOP_SERVICE_NAME", "fn-test-otel"),
        ("SHOP_IMAGES_BUCKET", "unused-bucket"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &capture.url()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        // Nothing would leave by itself within the test: only the flush sends.
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "600000"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "600000"),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
    let mut function = watch.attach(
        "image-resize",
        Path::new(env!("CARGO_BIN_EXE_image-resize")),
        &env,
    );
    let lab = BTreeMap::from([("AWS_REGION".to_owned(), "us-east-1".to_owned())]);
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &lab));

    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let parent = format!("{:016x}", rand::random::<u64>() | 1);
    let fields = Fields::new().with("traceparent", format!("00-{trace_id}-{parent}-01"));
    let event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "unused-bucket"});
    let answer = invoker
        .invoke("image-resize", event, &fields, Carriers::ALL)
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?} {:#?}",
        String::from_utf8_lossy(&answer.payload),
        function.lines()
    );
    let invocation = &answer.json()["invocation"];
    assert_eq!(invocation["trace_source"], "event", "{invocation}");
    assert_eq!(invocation["trace_id"], trace_id.as_str());
    assert_eq!(invocation["telemetry"], "otel");

    // Already there: no waiting.
    let store = capture.store();
    let spans = store.spans();
    let span = spans
        .iter()
        .find(|s| hex(&s.span.trace_id) == trace_id)
        .unwrap_or_else(|| {
            panic!(
                "the invocation's span had not arrived with the answer; {} spans: {:#?}",
                spans.len(),
                function.lines()
            )
        });
    assert_eq!(span.span.name, "image-resize");
    assert_eq!(hex(&span.span.parent_span_id), parent);
    let request_id = invocation["request_id"].as_str().unwrap();
    let logs = store.logs();
    assert!(
        logs.iter().any(|l| hex(&l.record.trace_id) == trace_id
            && l.record
                .body
                .as_ref()
                .is_some_and(|b| format!("{b:?}").contains("invocation finished"))),
        "the closing log line for {request_id} had not arrived with the answer: {} log records",
        logs.len()
    );
}
