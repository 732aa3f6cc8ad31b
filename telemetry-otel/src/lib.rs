//! # telemetry-otel: the `otel` backend
//!
//! OTLP traces, metrics and logs through the OpenTelemetry Rust SDK
//! (`opentelemetry_sdk` 0.33, `opentelemetry-otlp` 0.33, `opentelemetry-aws`
//! 0.21 for X-Ray propagation and ids) to a collector: ADOT in AWS, rotel in
//! the local lab.
//!
//! The shop never sees this crate except in its start-up wiring, which calls
//! [`backend`]. The `awssdk` backend (crate `telemetry-awssdk`) has the same
//! modules, one per concept, built in the same order by [`build`]:
//!
//! | module | contract | here |
//! |---|---|---|
//! | [`config`] | — | the specification's `OTEL_*` variables (+ `SHOP_OTEL_ID_GENERATOR`) |
//! | [`resource`] | `Resource` | the SDK's `Resource`: `service.*`, `host.*`, `process.*`, `telemetry.sdk.*`, `OTEL_RESOURCE_ATTRIBUTES` |
//! | [`sampling`] | `Sampler` | the SDK's samplers from `OTEL_TRACES_SAMPLER`/`_ARG` |
//! | [`propagation`] | `Propagator` | the SDK's W3C `traceparent`/`baggage` propagators and/or X-Ray's, from `OTEL_PROPAGATORS` |
//! | [`traces`] | `SpanRecord`, `IdGenerator` | `SpanRecord` → `SpanData` → `BatchSpanProcessor`; conversions ([`traces::convert`]); the SDK's random or X-Ray ids ([`traces::ids`]) |
//! | [`metrics`] | `MeterProvider` | `SdkMeterProvider` instruments, `PeriodicReader` |
//! | [`dropped`] | `shop.telemetry.dropped` | an observable counter, confirmed by the counting metric exporter |
//! | [`logs`] | `LogRecord` | SDK log records → `BatchLogProcessor` |
//! | [`stats`] | `Exporter::stats` | counting exporters, HTTP client and gRPC interceptor; our own queue bound |
//! | [`export`] | `Exporter` | the three SDK pipelines behind one object; OTLP exporters ([`export::otlp`]) |
//!
//! There is no OpenTelemetry `Tracer` and no second `tracing` layer: the
//! contract's glue (`telemetry_api::layer`) already turned `tracing` spans
//! into finished records, and this crate converts those into the SDK's
//! export types. So the SDK's processors, exporters, samplers, propagators
//! and id generators do the work; only the conversions are written here.

pub mod config;
pub mod dropped;
pub mod export;
pub mod logs;
pub mod metrics;
pub mod propagation;
pub mod resource;
pub mod sampling;
pub mod stats;
pub mod traces;

use std::sync::Arc;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SpanProcessor};
use telemetry_api::export::PerSignal;
use telemetry_api::runtime::ExportRuntime;
use telemetry_api::{Backend, BackendError, Resource};

use config::Config;
use export::relay::RelayFactory;
use export::{OtelExporter, Pipelines, otlp};
use logs::LogBridge;
use metrics::OtelMeterProvider;
use propagation::OtelPropagator;
use sampling::OtelSampler;
use stats::{CountingLogExporter, CountingMetricExporter, CountingSpanExporter, Stats, Tally};

/// Builds the backend from the environment (`OTEL_*` variables, see
/// [`config`]). The exporters' network I/O runs on a runtime thread of the
/// backend's own ([`telemetry_api::runtime`]), started here.
pub async fn backend(resource: &Resource) -> Result<Backend, BackendError> {
    let config = Config::from_env()?;
    build(resource, &config).await
}

/// Builds the backend from an explicit configuration. Fails only on
/// configuration errors (an exporter that cannot be built); an unreachable
/// collector is not an error: export fails later, is counted, and recovers
/// by itself. It is `async` so that both backends have the same signature
/// (the `awssdk` backend loads the AWS SDK's configuration and its sampling
/// rules on the way); here it waits only for the steps to run on the
/// backend's runtime.
pub async fn build(resource: &Resource, config: &Config) -> Result<Backend, BackendError> {
    // 0. The runtime the OTLP exporters' network I/O runs on, a thread of
    // the backend's own (not the shop's: see `telemetry_api::runtime`); it
    // lives as long as the exporter, which holds it.
    let runtime = Arc::new(ExportRuntime::start("telemetry-otel")?);
    let (resource, config, rt) = (resource.clone(), config.clone(), runtime.clone());
    runtime
        .run(async move { build_on_export_runtime(&resource, &config, rt) })
        .await
}

/// [`build`]'s steps, run on the backend's runtime so that the exporters'
/// HTTP and gRPC clients (which take the current runtime) use it.
fn build_on_export_runtime(
    resource: &Resource,
    config: &Config,
    runtime: Arc<ExportRuntime>,
) -> Result<Backend, BackendError> {
    // 1. Configuration: read already (`Config`); the SDK reads the rest of
    // its variables itself.

    // 2. Resource: who emits, as OpenTelemetry describes it.
    let otel_resource = resource::resource(resource, config.service_name.as_deref());

    // 3. Sampling: the SDK's samplers.
    let sampler = Arc::new(OtelSampler::new(config.sampler));

    // 4. Propagation and ids: the SDK's propagators and id generators.
    let propagator = Arc::new(OtelPropagator::new(&config.propagators));
    let id_generator = traces::ids::id_generator(config.id_scheme);
    let format_trace_id = traces::ids::format_trace_id(config.id_scheme);

    // 5. Traces: our bounded admission, then the SDK's batch processor.
    let span_tally = Tally::new(config.span_queue);
    let spans = span_pipeline(config, &span_tally, &otel_resource)?;

    // 6. Metrics: a meter provider with one periodic reader
    // (`OTEL_METRIC_EXPORT_INTERVAL`, read by the SDK). Every collection also
    // carries the drops of all three signals not yet delivered
    // (`shop.telemetry.dropped`, dropped.rs).
    let metric_tally = Tally::new(usize::MAX);
    let log_tally = Tally::new(config.log_queue);
    let drops = Arc::new(dropped::Report::new(PerSignal {
        spans: span_tally.clone(),
        metrics: metric_tally.clone(),
        logs: log_tally.clone(),
    }));
    let metric_exporter = CountingMetricExporter {
        inner: otlp::metric_exporter(&config.metrics, &metric_tally, config.temporality)?,
        tally: metric_tally.clone(),
        drops: drops.clone(),
    };
    let meters = SdkMeterProvider::builder()
        .with_resource(otel_resource.clone())
        .with_reader(PeriodicReader::builder(metric_exporter).build())
        .build();
    let meter_provider = Arc::new(OtelMeterProvider::new(&meters));
    dropped::register(&meters.meter("shop"), drops, config.temporality);

    // 7. Logs: a logger provider with one batch processor.
    let logs = log_pipeline(config, &log_tally, otel_resource)?;
    let log_bridge = LogBridge::new(&logs);

    // 8. Relayed records (the browser's): the same two pipelines, built under
    // the producer's resource when the first one arrives.
    let relay = RelayFactory {
        config: config.clone(),
        span_tally: span_tally.clone(),
        log_tally: log_tally.clone(),
        runtime: runtime.handle().clone(),
    };

    // 9. Statistics: the tallies the three signals fill.
    let stats = Stats {
        spans: span_tally,
        metrics: metric_tally,
        logs: log_tally,
    };

    Ok(Backend {
        name: "otel",
        sampler,
        id_generator,
        propagator,
        meter_provider,
        exporter: Arc::new(OtelExporter::new(
            Pipelines {
                spans,
                logs,
                log_bridge,
                metrics: meters,
                stats,
            },
            relay,
            runtime,
        )),
        format_trace_id,
    })
}

/// The span pipeline: the SDK's batch processor in front of the counting
/// OTLP exporter, under `resource`.
pub(crate) fn span_pipeline(
    config: &Config,
    tally: &Arc<Tally>,
    resource: &opentelemetry_sdk::Resource,
) -> Result<BatchSpanProcessor, BackendError> {
    let mut spans = BatchSpanProcessor::builder(CountingSpanExporter {
        inner: otlp::span_exporter(&config.traces, tally)?,
        tally: tally.clone(),
    })
    .with_batch_config(
        BatchConfigBuilder::default()
            .with_max_queue_size(config.span_queue)
            .build(),
    )
    .build();
    // A tracer provider would do this; there is none (see the crate docs).
    spans.set_resource(resource);
    Ok(spans)
}

/// The log pipeline: a logger provider with one batch processor in front of
/// the counting OTLP exporter, under `resource`.
pub(crate) fn log_pipeline(
    config: &Config,
    tally: &Arc<Tally>,
    resource: opentelemetry_sdk::Resource,
) -> Result<SdkLoggerProvider, BackendError> {
    let log_exporter = CountingLogExporter {
        inner: otlp::log_exporter(&config.logs, tally)?,
        tally: tally.clone(),
    };
    Ok(SdkLoggerProvider::builder()
        .with_resource(resource)
        .with_log_processor(
            BatchLogProcessor::builder(log_exporter)
                .with_batch_config(
                    opentelemetry_sdk::logs::BatchConfigBuilder::default()
                        .with_max_queue_size(config.log_queue)
                        .build(),
                )
                .build(),
        )
        .build())
}
