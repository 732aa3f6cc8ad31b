//! `metric/…`: one measurement with the shop's three HTTP attributes, as
//! `app/server/src/http/observe.rs` records it per request. Metrics have no export
//! queue (both backends aggregate in memory and export once an interval,
//! an hour in the bench environment), so these are plain `b.iter` loops.

use std::hint::black_box;

use criterion::Criterion;
use telemetry_api::semconv::{self, metrics as names};
use telemetry_api::{KeyValue, Unit, Value};

use crate::Setups;

#[inline(always)]
fn attributes(code: u16) -> [KeyValue; 3] {
    [
        KeyValue::new(semconv::HTTP_REQUEST_METHOD, "GET"),
        KeyValue::new(semconv::HTTP_ROUTE, "/api/products/{id}"),
        KeyValue::new(
            semconv::HTTP_RESPONSE_STATUS_CODE,
            Value::I64(i64::from(code)),
        ),
    ]
}

pub fn bench(c: &mut Criterion, setups: &Setups) {
    let mut g = c.benchmark_group("metric/counter_add");
    for (name, telemetry) in setups.backends() {
        let counter = telemetry.meter().counter(
            names::HTTP_SERVER_REQUESTS,
            Unit::count("{request}"),
            "Inbound HTTP requests.",
        );
        g.bench_function(name, |b| {
            b.iter(|| counter.add(1, &attributes(black_box(200))))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("metric/histogram_record");
    for (name, telemetry) in setups.backends() {
        let histogram = telemetry.meter().histogram(
            names::HTTP_SERVER_REQUEST_DURATION,
            Unit::SECONDS,
            "Duration of inbound HTTP requests.",
            Some(semconv::DURATION_BUCKETS_SECONDS),
        );
        g.bench_function(name, |b| {
            b.iter(|| histogram.record(black_box(0.0123), &attributes(black_box(200))))
        });
    }
    g.finish();
}
