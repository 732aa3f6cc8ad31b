//! `request/unsampled`: all the telemetry one request makes when its trace
//! is not sampled (docs/targets.md, T-UNSAMPLED: at most 2 µs).
//!
//! One iteration is what `app/server/src/http/observe.rs` and the database
//! layer (`app/core/src/db/mod.rs`) do around one request that reads the
//! database three times, with the same spans, fields and measurements:
//!
//! - read the caller's trace context from the headers (a caller that sent
//!   none, so the sampler decides, and says no);
//! - the server span with every field the shop declares (most of them
//!   empty, to be filled by handlers), entered;
//! - three `db.query` spans inside it, each with its returned rows recorded
//!   and a `db.client.operation.duration` measurement;
//! - the status code recorded on the server span, `http.server.requests`
//!   and `http.server.request.duration`;
//! - the access log line, in the server span (a log record: logs go out
//!   whether or not the trace is sampled);
//! - the trace id written for the response's `x-trace-id` header.
//!
//! Rows: `noop` (the shop's `noop` build, the experiments' baseline), and the
//! real `awssdk` and `otel` backends with a sampler that records no trace
//! ([`shop_benches::awssdk_unsampled`]). The log record each iteration hands
//! a backend goes into its queue, so these rows are paced like the others
//! ([`shop_benches::paced`]).

use std::hint::black_box;

use criterion::Criterion;
use shop_benches::paced::Pacer;
use telemetry_api::metrics::{Counter, Histogram};
use telemetry_api::semconv::{self, metrics as names};
use telemetry_api::trace::{span_context, with_remote_parent};
use telemetry_api::{KeyValue, Telemetry, Unit, Value};
use tracing::field::Empty;

use crate::Setups;

/// The instruments a request touches, made once per row (the shop makes
/// them at start-up).
struct Instruments {
    requests: Counter,
    duration: Histogram,
    db_duration: Histogram,
}

impl Instruments {
    fn new(telemetry: &Telemetry) -> Instruments {
        let meter = telemetry.meter();
        Instruments {
            requests: meter.counter(
                names::HTTP_SERVER_REQUESTS,
                Unit::count("{request}"),
                "Inbound HTTP requests.",
            ),
            duration: meter.histogram(
                names::HTTP_SERVER_REQUEST_DURATION,
                Unit::SECONDS,
                "Duration of inbound HTTP requests.",
                Some(semconv::DURATION_BUCKETS_SECONDS),
            ),
            db_duration: meter.histogram(
                names::DB_CLIENT_OPERATION_DURATION,
                Unit::SECONDS,
                "Duration of database statements.",
                Some(semconv::DURATION_BUCKETS_SECONDS),
            ),
        }
    }
}

/// One database statement as the shop's `Db` wraps it: its span, the rows
/// it returned, its duration with the engine, operation and table.
#[inline(always)]
fn statement(instruments: &Instruments, table: &str) {
    let span = tracing::info_span!(
        "db.query",
        span.name = "SELECT products",
        span.kind = "client",
        db.system.name = "sqlite",
        db.namespace = "shop",
        db.operation.name = "SELECT",
        db.collection.name = table,
        db.query.text = "SELECT id, name, price_cents FROM products WHERE id = ?",
        db.response.returned_rows = Empty,
        error.type = Empty,
    );
    let entered = span.enter();
    span.record(semconv::DB_RESPONSE_RETURNED_ROWS, 1u64);
    drop(entered);
    // The shop builds this list per statement (`Db::finish`), the table's
    // name copied into it.
    let attributes = vec![
        KeyValue::new(semconv::DB_SYSTEM_NAME, "sqlite"),
        KeyValue::new(semconv::DB_OPERATION_NAME, "SELECT"),
        KeyValue::new(semconv::DB_COLLECTION_NAME, table.to_owned()),
    ];
    instruments
        .db_duration
        .record(black_box(0.000_2), &attributes);
}

/// One whole request's telemetry (see the module's comment).
fn request(telemetry: &Telemetry, instruments: &Instruments, headers: &http::HeaderMap) {
    let parent = telemetry.propagator().extract(headers);
    let span = with_remote_parent(parent, || {
        tracing::info_span!(
            "HTTP request",
            span.name = "GET /api/products/{id}",
            span.kind = "server",
            request_id = "0f9e8d7c-6b5a-4938-a7b6-c5d4e3f2a1b0",
            http.request.method = "GET",
            http.route = "/api/products/{id}",
            url.path = "/api/products/42",
            url.query = Empty,
            url.scheme = "http",
            server.address = "127.0.0.1:8080",
            client.address = "127.0.0.1",
            user_agent.original = "Mozilla/5.0 (X11; Linux x86_64)",
            network.protocol.version = "1.1",
            http.response.status_code = Empty,
            error.type = Empty,
            shop.product.id = Empty,
            shop.category.id = Empty,
            shop.cart.id = Empty,
            shop.order.id = Empty,
            shop.order.status = Empty,
            shop.checkout.outcome = Empty,
            shop.coupon.outcome = Empty,
            shop.coupon.reason = Empty,
            shop.search.results = Empty,
            shop.review.outcome = Empty,
            shop.user.type = "guest",
            enduser.pseudo.id = Empty,
            shop.admin.action = Empty,
        )
    });
    let context = span_context(&span);
    {
        let _in_server = span.enter();
        span.record(semconv::SHOP_PRODUCT_ID, 42u64);
        statement(instruments, "products");
        statement(instruments, "product_images");
        statement(instruments, "reviews");
    }
    span.record(semconv::HTTP_RESPONSE_STATUS_CODE, 200u64);
    let attributes = [
        KeyValue::new(semconv::HTTP_REQUEST_METHOD, "GET"),
        KeyValue::new(semconv::HTTP_ROUTE, "/api/products/{id}"),
        KeyValue::new(semconv::HTTP_RESPONSE_STATUS_CODE, Value::I64(200)),
    ];
    instruments.requests.add(1, &attributes);
    instruments.duration.record(black_box(0.001_5), &attributes);
    span.in_scope(|| {
        tracing::info!(
            http.request.method = "GET",
            http.route = "/api/products/{id}",
            http.response.status_code = 200u64,
            duration_ms = 1.5,
            enduser.pseudo.id = None::<&str>,
            service.version = "0.1.0",
            "request completed"
        );
    });
    drop(span);
    if let Some(context) = context {
        black_box(telemetry.format_trace_id(context.trace_id));
    }
}

pub fn bench(c: &mut Criterion, setups: &Setups) {
    let rows: [(&str, &Telemetry, Pacer<'_>); 3] = [
        ("noop", &setups.noop, Pacer::unpaced()),
        (
            "awssdk",
            &setups.awssdk_unsampled,
            Pacer::backend(&setups.awssdk_unsampled, &setups.runtime),
        ),
        (
            "otel",
            &setups.otel_unsampled,
            Pacer::backend(&setups.otel_unsampled, &setups.runtime),
        ),
    ];
    // A caller that sent no trace context (a browser without the UI's
    // propagation, curl, a load balancer's health check).
    let headers = http::HeaderMap::new();
    let mut g = c.benchmark_group("request/unsampled");
    for (name, telemetry, pacer) in rows {
        let instruments = Instruments::new(telemetry);
        // Nothing recorded: the rows time the unsampled path, not a sampled
        // one by mistake.
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            let span = tracing::info_span!("sampled?");
            assert!(
                span_context(&span).is_some_and(|c| !c.sampled),
                "{name}: the set-up must not sample"
            );
        });
        tracing::dispatcher::with_default(telemetry.dispatch(), || {
            g.bench_function(name, |b| {
                // One log record per request reaches the backend's queue.
                b.iter_custom(|iters| {
                    pacer.time(iters, 1, || request(telemetry, &instruments, &headers))
                })
            });
        });
        pacer.settle();
        let spans = telemetry.stats().spans;
        assert_eq!(
            spans.received, 0,
            "{name}: an unsampled request hands the backend no span"
        );
    }
    g.finish();
}
