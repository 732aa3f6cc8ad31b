//! `log/…`: what a log event inside a request's span costs.

use std::time::Instant;

use criterion::Criterion;

use crate::{Row, Setups};

/// Events per span: a fresh (untimed) span takes over after this many, so
/// every row keeps each event on its span (the glue keeps 32 per span and
/// then only counts; `tracing-opentelemetry` keeps them all until the span
/// ends, which over millions of iterations would be a memory leak, not a
/// measurement).
const EVENTS_PER_SPAN: u64 = 16;

pub fn bench(c: &mut Criterion, setups: &Setups) {
    let mut g = c.benchmark_group("log/event_in_span");
    for Row {
        name,
        dispatch,
        pacer,
        reference,
    } in setups.tracing_rows()
    {
        tracing::dispatcher::with_default(dispatch, || {
            g.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    pacer.time_chunks(iters, 1, EVENTS_PER_SPAN, |n| {
                        if let Some(r) = reference {
                            r.count_spans(1);
                        }
                        let span = tracing::info_span!(
                            "HTTP request",
                            span.kind = "server",
                            request_id = "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0",
                        );
                        let entered = span.enter();
                        let start = Instant::now();
                        for _ in 0..n {
                            tracing::info!(
                                http.response.status_code = 200u64,
                                duration_ms = 1.5,
                                "request completed"
                            );
                        }
                        let elapsed = start.elapsed();
                        drop(entered);
                        drop(span);
                        elapsed
                    })
                })
            });
        });
        pacer.settle();
    }
    g.finish();
}
