//! The set-up of the criterion benches (`benches/telemetry/`): the same
//! scenarios, run against every way the shop can be built, so the output
//! reads as one table per scenario. `benches/README.md` lists the benches and
//! how to read them.
//!
//! | row | what it is | built by |
//! |---|---|---|
//! | `registry_only` | a bare `tracing_subscriber::Registry`: what `tracing` costs with no telemetry at all | the bench |
//! | `noop` | the shop's `noop` build: the real glue, nothing sampled, nothing exported | [`noop`] |
//! | `glue_discard` | the real glue, every span sampled and recorded, then discarded: the glue's own cost | [`discarding`] |
//! | `awssdk` | the real `awssdk` backend (X-Ray sampler, ids, propagator, CloudWatch meter, exporters) | [`awssdk`] |
//! | `otel` | the real `otel` backend (SDK sampler, ids, propagators, meter provider, OTLP exporters) | [`otel`] |
//! | `awssdk`, `otel` of `request/unsampled` | the same backends, built again, whose sampler records no trace | [`awssdk_unsampled`], [`otel_unsampled`] |
//! | `tracing-opentelemetry` | the common bridge over an `opentelemetry_sdk` tracer provider (always on, batch processor, exporter that discards) | the bench (dev-dependency) |
//!
//! The real backends are built from the environment, as the shop builds
//! them, with every sink pointed at a closed port ([`env`]). Their queues are
//! flushed between timed chunks, so the benches time the path a request
//! takes when there is room, and their background work runs between chunks,
//! not during them ([`paced`], [`runtime`]). `request` and `encode` give the
//! encoders one realistic request's records.
//!
//! Run with `make bench` or `cargo bench -p shop-benches`; criterion's
//! options follow `--`, e.g. `cargo bench -p shop-benches -- span/ --quick`.

pub mod encode;
pub mod env;
pub mod paced;
pub mod request;

use std::sync::Arc;

use telemetry_api::context::RandomIdGenerator;
use telemetry_api::metrics::NoopMeterProvider;
use telemetry_api::noop::NoopExporter;
use telemetry_api::propagation::NoopPropagator;
use telemetry_api::sampling::{AlwaysOff, AlwaysOn, Sampler};
use telemetry_api::{Backend, Resource, Telemetry};
use tokio::runtime::Runtime;

/// The resource every bench set-up describes itself with.
pub fn resource() -> Resource {
    Resource::new("shop", "bench")
}

/// The Tokio runtime the benches build the real backends on and flush them
/// from, kept for the whole bench run. The backends run their export work
/// on runtime threads of their own (`telemetry_api::runtime`), as in the
/// shop. It is triggered by the flushes between two timed chunks
/// ([`paced`]), by long intervals, and by an `awssdk` queue a quarter full
/// (16 384 of [`env::QUEUE`]), which only a chunk that starts near
/// [`paced::BACKLOG`] reaches. So the background export work (segment
/// documents, OTLP requests, their failures) mostly runs between chunks, a
/// row shows what the request thread pays, and what the background pays per
/// request is the `encode/` table. (The batch
/// processors' own threads of the `otel` backend sleep during a chunk too:
/// nothing triggers them before a flush.)
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

fn telemetry(backend: Backend) -> Telemetry {
    Telemetry::builder(backend, resource())
        .build()
        .expect("the default filter parses")
}

/// The shop's `noop` build: `telemetry_api::noop::backend()` (spans get ids
/// and are not sampled; nothing is exported).
pub fn noop() -> Telemetry {
    telemetry(telemetry_api::noop::backend())
}

/// Telemetry whose spans are sampled (or not) and then discarded: the glue
/// with no backend behind it.
pub fn discarding(sampled: bool) -> Telemetry {
    let sampler: Arc<dyn Sampler> = if sampled {
        Arc::new(AlwaysOn)
    } else {
        Arc::new(AlwaysOff)
    };
    telemetry(Backend {
        name: "discard",
        sampler,
        id_generator: Arc::new(RandomIdGenerator),
        propagator: Arc::new(NoopPropagator),
        meter_provider: Arc::new(NoopMeterProvider),
        exporter: Arc::new(NoopExporter),
        format_trace_id: |id| id.to_hex(),
    })
}

/// The real `awssdk` backend, built as the shop builds it
/// (`telemetry_awssdk::backend`), its tasks on `runtime`. Only under the
/// bench environment ([`env::run_in_bench_env`]).
pub fn awssdk(runtime: &Runtime) -> Telemetry {
    telemetry(awssdk_backend(runtime))
}

fn awssdk_backend(runtime: &Runtime) -> Backend {
    env::assert_isolated();
    runtime
        .block_on(telemetry_awssdk::backend(&resource()))
        .expect("the awssdk backend starts under the bench environment")
}

/// The real `otel` backend, built as the shop builds it
/// (`telemetry_otel::backend`), its HTTP exports on `runtime`. Only under
/// the bench environment ([`env::run_in_bench_env`]).
pub fn otel(runtime: &Runtime) -> Telemetry {
    telemetry(otel_backend(runtime))
}

fn otel_backend(runtime: &Runtime) -> Backend {
    env::assert_isolated();
    runtime
        .block_on(telemetry_otel::backend(&resource()))
        .expect("the otel backend starts under the bench environment")
}

/// The real `awssdk` backend (a second instance, its own queues and
/// workers) whose traces are never sampled: what a request pays when the
/// sampler says no (docs/targets.md, T-UNSAMPLED). Its spans are not
/// recorded; its log records and metrics still go out, as in the shop.
///
/// The sampler is swapped for [`AlwaysOff`] rather than given X-Ray rules of
/// 0 %: the rules are read from the environment, which is the same for every
/// set-up of one bench process, and a rule's decision (a match on the
/// service name, method and path, then a reservoir) is not what this row is
/// about.
pub fn awssdk_unsampled(runtime: &Runtime) -> Telemetry {
    telemetry(never_sampled(awssdk_backend(runtime)))
}

/// The real `otel` backend whose traces are never sampled (see
/// [`awssdk_unsampled`]).
pub fn otel_unsampled(runtime: &Runtime) -> Telemetry {
    telemetry(never_sampled(otel_backend(runtime)))
}

fn never_sampled(backend: Backend) -> Backend {
    Backend {
        sampler: Arc::new(AlwaysOff),
        ..backend
    }
}
