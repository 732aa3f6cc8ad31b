//! `encode/put_trace_segments_body` and `ids/format_trace_id`: two hot
//! paths of the `awssdk` build that `make profile` pointed at, each next to
//! the way it was done before (kept here only as the reference point; the
//! bench checks both give the same result).
//!
//! - The body of a `PutTraceSegments` call: one request's segment document
//!   as a JSON string. `sdk_writer` is what the SDK's generated serialiser
//!   does with the input (`aws-smithy-json`'s `JsonObjectWriter`, which
//!   escapes byte by byte); `serde_json` is what the trace worker now sends
//!   in its place (`telemetry_awssdk::traces::put_body`).
//! - An X-Ray trace id as text, written for every log line and response:
//!   `awssdk` is `telemetry_awssdk::traces::ids::format_trace_id`, which
//!   writes the hex digits itself; `format_macro` is the two `format!` calls
//!   it replaced.

use std::hint::black_box;

use aws_smithy_json::serialize::JsonObjectWriter;
use criterion::Criterion;
use shop_benches::encode::XrayJson;
use shop_benches::request;
use telemetry_api::TraceId;
use telemetry_awssdk::traces::ids::format_trace_id;
use telemetry_awssdk::traces::put_body;

/// The SDK's serialisation of `PutTraceSegmentsInput`, as its generated
/// `ser_put_trace_segments_input_input` writes it.
fn sdk_writer(documents: &[String]) -> String {
    let mut out = String::new();
    let mut object = JsonObjectWriter::new(&mut out);
    let mut array = object.key("TraceSegmentDocuments").start_array();
    for d in documents {
        array.value().string(d);
    }
    array.finish();
    object.finish();
    out
}

/// The id as it was written before.
fn format_macro(id: TraceId) -> String {
    let hex = format!("{:032x}", id.0);
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

pub fn bench(c: &mut Criterion) {
    let resource = shop_benches::resource();
    let documents = XrayJson::new(&resource).encode(&request::product_page());
    let sdk = sdk_writer(&documents);
    let ours = put_body(&documents);
    let as_json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).expect("JSON");
    assert_eq!(as_json(sdk.as_bytes()), as_json(ours.bytes()));
    eprintln!(
        "encode: one request's PutTraceSegments body: {} bytes of documents, {} bytes of body",
        documents.iter().map(String::len).sum::<usize>(),
        ours.bytes().len()
    );

    let mut g = c.benchmark_group("encode/put_trace_segments_body");
    g.bench_function("sdk_writer", |b| {
        b.iter(|| sdk_writer(black_box(&documents)))
    });
    g.bench_function("serde_json", |b| b.iter(|| put_body(black_box(&documents))));
    g.finish();

    let id = TraceId(0x6559_e988_bd86_2e3f_e1be_46a9_9427_2793);
    assert_eq!(format_trace_id(id), format_macro(id));
    let mut g = c.benchmark_group("ids/format_trace_id");
    g.bench_function("awssdk", |b| b.iter(|| format_trace_id(black_box(id))));
    g.bench_function("format_macro", |b| b.iter(|| format_macro(black_box(id))));
    g.finish();
}
