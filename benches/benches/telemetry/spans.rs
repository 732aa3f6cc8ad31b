//! `span/…`: what a span costs the request that makes it.

use std::hint::black_box;

use criterion::Criterion;

use crate::{Row, Setups};

/// The span target's scenario (docs/targets.md, T-SPAN): a span with three attributes, started and ended
/// (it ends when the caller drops it).
#[inline(always)]
fn span_with_three_attributes() -> tracing::Span {
    tracing::info_span!(
        "bench",
        http.request.method = "GET",
        http.route = "/api/products/{id}",
        http.response.status_code = 200u64,
    )
}

/// A request's usual depth: a server span, a handler span inside it, a
/// database span inside that; each entered, as the shop's are.
#[inline(always)]
fn nested_3_levels() {
    let server = tracing::info_span!(
        "HTTP request",
        span.kind = "server",
        http.request.method = "GET",
        http.route = "/api/orders/{id}",
    );
    let _in_server = server.enter();
    let handler = tracing::info_span!("load order", shop.order.id = 42u64);
    let _in_handler = handler.enter();
    let db = tracing::info_span!(
        "db.query",
        span.kind = "client",
        db.system.name = "sqlite",
        db.operation.name = "SELECT",
    );
    let _in_db = db.enter();
    black_box(&db);
}

/// Runs one scenario (`spans` spans per iteration) for every row.
fn scenario(c: &mut Criterion, setups: &Setups, name: &str, spans: u64, op: fn()) {
    let mut g = c.benchmark_group(name);
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
                    if let Some(r) = reference {
                        r.count_spans(iters * spans);
                    }
                    pacer.time(iters, spans, op)
                })
            });
        });
        pacer.settle();
    }
    g.finish();
}

pub fn bench(c: &mut Criterion, setups: &Setups) {
    scenario(c, setups, "span/start_3_attributes_end", 1, || {
        black_box(span_with_three_attributes());
    });
    scenario(c, setups, "span/nested_3_levels", 3, nested_3_levels);
}
