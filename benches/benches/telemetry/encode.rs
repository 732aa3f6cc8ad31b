//! `encode/…`: turning one request's spans into what goes on the wire, with
//! each backend's real encoder (`shop_benches::encode`). This work happens
//! in the background (the `awssdk` trace worker, the `otel` batch
//! processor's thread), not on the request path, except the `otel`
//! conversion to `SpanData`, which `export_span` does on the request
//! thread and which is included here so both rows start from the same
//! records.

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use shop_benches::encode::{OtlpProtobuf, XrayJson, sizes};
use shop_benches::request;

pub fn bench(c: &mut Criterion) {
    let resource = shop_benches::resource();
    let request = request::product_page();
    let spans = 1 + request.children.len();
    let s = sizes(&resource, &request);
    eprintln!(
        "encode: one request ({spans} spans: server span, 3 SQL, 1 HTTP call): \
         X-Ray segment JSON {} bytes, OTLP protobuf {} bytes (uncompressed)",
        s.xray_json, s.otlp_protobuf
    );

    let mut g = c.benchmark_group("encode/segment_json_vs_otlp_protobuf");
    let xray = XrayJson::new(&resource);
    // Both rows drop their output outside the timing (`iter_batched`).
    g.bench_function("xray_json", |b| {
        b.iter_batched(
            || &request,
            |r| xray.encode(black_box(r)),
            BatchSize::SmallInput,
        )
    });
    let otlp = OtlpProtobuf::new(&resource);
    g.bench_function("otlp_protobuf", |b| {
        // The conversion consumes the records: a fresh copy per iteration,
        // made outside the timing.
        b.iter_batched(
            || request.spans(),
            |spans| otlp.encode(spans),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}
