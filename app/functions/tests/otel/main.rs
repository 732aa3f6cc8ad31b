//! The functions with the `otel` backend: every invocation's telemetry is
//! flushed before its response goes back (Lambda freezes the process after
//! it), so what an invocation produced has arrived when the invoker gets
//! the answer, although the SDK's batch processors are set to wait ten
//! minutes. The OTLP receiver is `otlp-capture`, in this process; the
//! function runs under `cargo lambda watch` (see `tests/common/mod.rs`).
//! `order-mail` also needs LocalStack (SQS names, SES) and the shop's
//! database (`tests/common/mail.rs`).

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/mail.rs"]
mod mail;

use std::collections::BTreeMap;
use std::path::Path;

use otlp_capture::Capture;
use serde_json::json;
use shop_functions::carrier::Fields;
use shop_functions::event_source;
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

/// `order-mail` with otel: the worker's spans inside the invocation, as
/// OTLP has them. The event's `traceparent` (in its detail, where the shop's
/// dispatcher writes it) is the parent of the message's `process` span; the
/// batch's `receive` span is a child of the invocation and links to that
/// producer; a message with no context is processed under the invocation.
#[tokio::test(flavor = "multi_thread")]
async fn order_mails_spans_continue_each_events_producer_under_the_invocation() {
    let capture = Capture::start().expect("otlp-capture starts");
    let shop = mail::Shop::start(&common::unique("fnmo")).await;
    let queue = shop.resources.notifications_queue();
    let watch = Watch::start();
    let mut env = shop.env.clone();
    for (k, v) in shop.function_settings() {
        env.insert(k.to_owned(), v.to_owned());
    }
    for (k, v) in [
        ("SHOP_TELEMETRY", "otel"),
        ("SHOP_SERVICE_NAME", "fn-test-mail-otel"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &capture.url()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_BSP_SCHEDULE_DELAY", "600000"),
        ("OTEL_BLRP_SCHEDULE_DELAY", "600000"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "600000"),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
    let mut function = watch.attach(
        "order-mail",
        Path::new(env!("CARGO_BIN_EXE_order-mail")),
        &env,
    );
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &shop.env));

    let email = mail::customer();
    let order_id = shop.place_order(&email).await;
    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let parent = format!("{:016x}", rand::random::<u64>() | 1);
    let body = shop
        .delivered_event(
            &order_id,
            json!({ "traceparent": format!("00-{trace_id}-{parent}-01") }),
        )
        .await;
    let arn = event_source::queue_arn(&shop.queue_url(&queue), &shop.env["AWS_REGION"]);
    let event = event_source::sqs_event(
        &[
            mail::message("m-1", &body, 1),
            mail::message("m-2", "not a shop event", 1),
        ],
        &arn,
        &shop.env["AWS_REGION"],
    );
    let answer = invoker
        .invoke("order-mail", event, &Fields::new(), Carriers::ALL)
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?} {:#?}",
        String::from_utf8_lossy(&answer.payload),
        function.lines()
    );
    let answer = answer.json();
    assert_eq!(
        answer["batchItemFailures"],
        json!([{ "itemIdentifier": "m-2" }])
    );
    assert_eq!(answer["outcomes"]["m-1"], "sent");
    assert_eq!(shop.mails_to(&email).await.len(), 1);

    // Already exported when the answer came: no waiting.
    let spans = capture.store().spans();
    let named = |name: &str| -> Vec<_> {
        spans
            .iter()
            .filter(|s| s.span.name == name)
            .map(|s| s.span.clone())
            .collect()
    };
    let invocation_trace = answer["invocation"]["trace_id"].as_str().unwrap();
    let invocation = named("order-mail");
    let invocation = invocation
        .iter()
        .find(|s| hex(&s.trace_id) == invocation_trace)
        .unwrap_or_else(|| panic!("the invocation's span; {} spans", spans.len()));
    // An SQS batch is a `pubsub` trigger (OpenTelemetry's FaaS conventions), a consumer span.
    assert_eq!(
        otlp_capture::query::attr_str(&invocation.attributes, "faas.trigger"),
        Some("pubsub")
    );
    // OTLP's SPAN_KIND_CONSUMER.
    assert_eq!(invocation.kind, 5, "a consumer span");
    let receive = named(&format!("receive {queue}"));
    assert_eq!(receive.len(), 1);
    assert_eq!(receive[0].parent_span_id, invocation.span_id);
    assert!(
        receive[0]
            .links
            .iter()
            .any(|l| hex(&l.trace_id) == trace_id && hex(&l.span_id) == parent),
        "the receive span links to the event's producer: {:?}",
        receive[0].links
    );
    let process = named(&format!("process {queue}"));
    assert_eq!(process.len(), 2, "one per message");
    let sent = process
        .iter()
        .find(|s| hex(&s.trace_id) == trace_id)
        .expect("the event's process span, in the event's trace");
    assert_eq!(hex(&sent.parent_span_id), parent);
    let poison = process
        .iter()
        .find(|s| hex(&s.trace_id) == invocation_trace)
        .expect("the poison message's process span, in the invocation's trace");
    assert_eq!(poison.parent_span_id, invocation.span_id);
    assert!(
        named("SES.SendEmail")
            .iter()
            .any(|s| s.parent_span_id == sent.span_id),
        "the SES call under the event's process span"
    );
}

/// `image-resize` with otel, on an original the shop would have put: S3's
/// notification carries no trace context, so the function continues the
/// upload's trace from the original's user metadata (`traceparent`, where
/// the shop writes it). `image.resize` is the upload span's child and links
/// to the invocation, whose own span stays in the invocation's trace; the
/// three objects it writes are `S3.PutObject` client spans under it.
#[tokio::test(flavor = "multi_thread")]
async fn an_originals_metadata_joins_the_resize_to_the_uploads_trace_and_links_the_invocation() {
    let capture = Capture::start().expect("otlp-capture starts");
    let lab = common::lab_component("localstack");
    let bucket = common::bucket(&lab).await;
    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let upload_span = format!("{:016x}", rand::random::<u64>() | 1);
    let key = "originals/products/4/otel-upload.jpg";
    common::s3(&lab)
        .put_object()
        .bucket(&bucket)
        .key(key)
        .content_type("image/jpeg")
        .metadata("traceparent", format!("00-{trace_id}-{upload_span}-01"))
        .body(aws_sdk_s3::primitives::ByteStream::from(common::jpeg(
            320, 200,
        )))
        .send()
        .await
        .unwrap();

    let watch = Watch::start();
    let mut env = lab.clone();
    for (k, v) in [
        ("SHOP_TELEMETRY", "otel"),
        ("SHOP_SERVICE_NAME", "fn-test-resize-otel"),
        ("SHOP_IMAGES_BUCKET", bucket.as_str()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &capture.url()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
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
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &lab));
    let event = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
        "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]});
    // No context of the invoker's: as the event-source mapping invokes it.
    let answer = invoker
        .invoke("image-resize", event, &Fields::new(), Carriers::ALL)
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?} {:#?}",
        String::from_utf8_lossy(&answer.payload),
        function.lines()
    );
    let answer = answer.json();
    assert_eq!(answer["resized"][0]["outcome"], "resized", "{answer}");
    assert_eq!(answer["resized"][0]["trace_source"], "object_metadata");
    let invocation_trace = answer["invocation"]["trace_id"].as_str().unwrap();
    assert_ne!(
        invocation_trace, trace_id,
        "the invocation has a trace of its own"
    );

    let spans = capture.store().spans();
    let invocation = spans
        .iter()
        .map(|s| &s.span)
        .find(|s| s.name == "image-resize" && hex(&s.trace_id) == invocation_trace)
        .unwrap_or_else(|| panic!("the invocation's span; {} spans", spans.len()));
    let resize = spans
        .iter()
        .map(|s| &s.span)
        .find(|s| s.name == "image.resize")
        .unwrap_or_else(|| panic!("the image.resize span; {} spans", spans.len()));
    assert_eq!(hex(&resize.trace_id), trace_id, "in the upload's trace");
    assert_eq!(
        hex(&resize.parent_span_id),
        upload_span,
        "under the upload's span"
    );
    assert!(
        resize
            .links
            .iter()
            .any(|l| l.trace_id == invocation.trace_id && l.span_id == invocation.span_id),
        "image.resize links to its invocation: {:?}",
        resize.links
    );
    let puts = spans
        .iter()
        .map(|s| &s.span)
        .filter(|s| s.name == "S3.PutObject" && hex(&s.trace_id) == trace_id)
        .count();
    assert_eq!(puts, 3, "the original under its revision, large and thumb");
}
