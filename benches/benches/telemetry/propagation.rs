//! `propagation/…`: writing the trace context into an outgoing request's
//! headers (inject) and reading it from an incoming one (extract), with each
//! backend's propagator:
//!
//! - `awssdk`: `X-Amzn-Trace-Id`, written by hand (`telemetry-awssdk/src/propagation.rs`);
//! - `otel`: the backend's default, the SDK's W3C `traceparent` (+ `tracestate`)
//!   and `baggage` propagators (`OTEL_PROPAGATORS=tracecontext,baggage`);
//! - `otel_xray`: the `otel` backend with `OTEL_PROPAGATORS=xray`, i.e.
//!   `opentelemetry-aws`'s X-Ray propagator: the same header as `awssdk`,
//!   from a maintained crate.
//!
//! The `noop` backend propagates nothing, so it has no row.

use std::hint::black_box;

use criterion::Criterion;
use telemetry_api::{Propagator, SpanContext, SpanId, TraceId};
use telemetry_otel::config::PropagatorName;
use telemetry_otel::propagation::OtelPropagator;

use crate::Setups;

pub fn bench(c: &mut Criterion, setups: &Setups) {
    let otel_xray = OtelPropagator::new(&[PropagatorName::Xray]);
    let rows: [(&str, &dyn Propagator); 3] = [
        ("awssdk", setups.awssdk.propagator()),
        ("otel", setups.otel.propagator()),
        ("otel_xray", &otel_xray),
    ];
    // A sampled context whose trace id starts with the epoch seconds, as
    // X-Ray's do (W3C does not care).
    let context = SpanContext::remote(
        TraceId(0x6a1f_3c2e_9b7d_4e10_8f2a_5c6d_7e8f_9012),
        SpanId(0x1a2b_3c4d_5e6f_7a8b),
        true,
    );

    let mut g = c.benchmark_group("propagation/inject");
    for (name, propagator) in rows {
        let mut headers = http::HeaderMap::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                headers.clear();
                propagator.inject(black_box(&context), &mut headers);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("propagation/extract");
    for (name, propagator) in rows {
        let mut headers = http::HeaderMap::new();
        propagator.inject(&context, &mut headers);
        assert_eq!(
            propagator
                .extract(&headers)
                .map(|c| (c.trace_id, c.span_id)),
            Some((context.trace_id, context.span_id)),
            "{name} reads back what it wrote"
        );
        g.bench_function(name, |b| b.iter(|| propagator.extract(black_box(&headers))));
    }
    g.finish();
}
