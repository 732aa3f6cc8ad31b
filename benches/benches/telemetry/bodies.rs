//! `encode/put_trace_segments_body` and `ids/format_trace_id`: two hot
//! paths of the `awssdk` build that `make profile` pointed at, each next to
//! the way it was done before (kept here only as the reference point; the
//! bench checks both give the same result).
//!
//! - The body of a `PutTraceSegments` call carrying one request's segment,
//!   from the span records: `sdk_writer` writes the document as JSON text
//!   and has the SDK's generated serialiser carry it (`aws-smithy-json`'s
//!   `JsonObjectWriter`, which escapes it byte by byte), as the trace worker
//!   did; `in_string` writes the document already escaped, in one pass
//!   (`segment_documents_as(Form::InJsonString, …)`), and frames it
//!   (`telemetry_awssdk::traces::put_body`), as it does now.
//! - An X-Ray trace id as text, written for every log line and response:
//!   `awssdk` is `telemetry_awssdk::traces::ids::format_trace_id`, which
//!   writes the hex digits itself; `format_macro` is the two `format!` calls
//!   it replaced.

use std::hint::black_box;

use aws_smithy_json::serialize::JsonObjectWriter;
use criterion::Criterion;
use shop_benches::request::{self, Request};
use telemetry_api::TraceId;
use telemetry_awssdk::resource::AwsResource;
use telemetry_awssdk::traces::ids::format_trace_id;
use telemetry_awssdk::traces::put_body;
use telemetry_awssdk::traces::segment::{Form, segment_documents_as};

/// The documents as JSON text, then the SDK's serialisation of
/// `PutTraceSegmentsInput`, as its generated
/// `ser_put_trace_segments_input_input` writes it.
fn sdk_writer(ctx: &AwsResource, r: &Request) -> String {
    let (documents, _) = segment_documents_as(Form::Json, ctx, &r.root, &r.children);
    let mut out = String::new();
    let mut object = JsonObjectWriter::new(&mut out);
    let mut array = object.key("TraceSegmentDocuments").start_array();
    for d in &documents {
        array.value().string(d);
    }
    array.finish();
    object.finish();
    out
}

/// The documents written escaped, framed: what the trace worker sends.
fn in_string(ctx: &AwsResource, r: &Request) -> Vec<u8> {
    let (documents, _) = segment_documents_as(Form::InJsonString, ctx, &r.root, &r.children);
    put_body(&documents).bytes().to_vec()
}

/// The id as it was written before.
fn format_macro(id: TraceId) -> String {
    let hex = format!("{:032x}", id.0);
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

pub fn bench(c: &mut Criterion) {
    let ctx = AwsResource::new(&shop_benches::resource(), None);
    let r = request::product_page();
    let sdk = sdk_writer(&ctx, &r);
    let ours = in_string(&ctx, &r);
    let as_json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).expect("JSON");
    assert_eq!(as_json(sdk.as_bytes()), as_json(&ours));
    eprintln!(
        "encode: one request's PutTraceSegments body: {} bytes",
        ours.len()
    );

    let mut g = c.benchmark_group("encode/put_trace_segments_body");
    g.bench_function("sdk_writer", |b| b.iter(|| sdk_writer(&ctx, black_box(&r))));
    g.bench_function("in_string", |b| b.iter(|| in_string(&ctx, black_box(&r))));
    g.finish();

    let id = TraceId(0x6559_e988_bd86_2e3f_e1be_46a9_9427_2793);
    assert_eq!(format_trace_id(id), format_macro(id));
    let mut g = c.benchmark_group("ids/format_trace_id");
    g.bench_function("awssdk", |b| b.iter(|| format_trace_id(black_box(id))));
    g.bench_function("format_macro", |b| b.iter(|| format_macro(black_box(id))));
    g.finish();
}
