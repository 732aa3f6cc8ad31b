//! What instrumentation costs on the request path, before any backend:
//! DESIGN §7 targets a span (start, 3 attributes, end) at ≤ 500 ns.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use telemetry_api::recording::TraceParent;
use telemetry_api::{Propagator, SpanContext, SpanId, TraceId};

/// The DESIGN §7 scenario: start a span with three attributes; it ends
/// when the bench drops it.
#[inline(always)]
fn span_with_three_attributes() -> tracing::Span {
    tracing::info_span!(
        "bench",
        http.request.method = "GET",
        http.route = "/api/products/{id}",
        http.response.status_code = 200u64,
    )
}

fn spans(c: &mut Criterion) {
    let mut g = c.benchmark_group("span");
    for (label, sampled) in [("sampled", true), ("unsampled", false)] {
        let t = shop_benches::discarding(sampled);
        tracing::dispatcher::with_default(t.dispatch(), || {
            g.bench_function(format!("start_3_attributes_end/{label}"), |b| {
                b.iter(|| black_box(span_with_three_attributes()))
            });
            g.bench_function(format!("parent_with_child/{label}"), |b| {
                b.iter(|| {
                    let parent = tracing::info_span!("parent", span.kind = "server");
                    let _e = parent.enter();
                    let child = tracing::info_span!("child", db.system.name = "sqlite");
                    black_box(&child);
                })
            });
            g.bench_function(format!("event_in_span/{label}"), |b| {
                let span = tracing::info_span!("parent", request_id = "r-1");
                let _e = span.enter();
                b.iter(|| {
                    tracing::info!(
                        http.response.status_code = 200u64,
                        duration_ms = 1.5,
                        "request completed"
                    )
                })
            });
        });
    }
    // The floor: the same span with a bare registry and no glue.
    let bare = tracing::Dispatch::new(tracing_subscriber::Registry::default());
    tracing::dispatcher::with_default(&bare, || {
        g.bench_function("start_3_attributes_end/registry_only", |b| {
            b.iter(|| black_box(span_with_three_attributes()))
        });
    });
    g.finish();
}

fn propagation(c: &mut Criterion) {
    let ctx = SpanContext::remote(
        TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736),
        SpanId(0x00f067aa0ba902b7),
        true,
    );
    let mut headers = http::HeaderMap::new();
    TraceParent.inject(&ctx, &mut headers);
    c.bench_function("propagation/traceparent_inject", |b| {
        b.iter(|| {
            let mut h = http::HeaderMap::new();
            TraceParent.inject(black_box(&ctx), &mut h);
            h
        })
    });
    c.bench_function("propagation/traceparent_extract", |b| {
        b.iter(|| TraceParent.extract(black_box(&headers)))
    });
}

criterion_group!(benches, spans, propagation);
criterion_main!(benches);
