//! # telemetry-otel: the `otel` backend
//!
//! OTLP traces, metrics and logs through the OpenTelemetry Rust SDK
//! (`opentelemetry_sdk` 0.33, `opentelemetry-otlp` 0.33, `opentelemetry-aws`
//! 0.21 for X-Ray propagation and ids) to a collector: ADOT in AWS, rotel in
//! the local lab.
//!
//! The shop never sees this crate except in its start-up wiring, which calls
//! [`backend`]. What each part of the contract's [`Backend`] is here:
//!
//! | part | here | module |
//! |---|---|---|
//! | sampler | the SDK's samplers from `OTEL_TRACES_SAMPLER`/`_ARG` | [`sampling`] |
//! | ids | the SDK's random ids, or X-Ray's (epoch seconds first) | [`propagation`] |
//! | headers | the SDK's W3C `traceparent`/`baggage` propagators and/or X-Ray's, from `OTEL_PROPAGATORS` | [`propagation`] |
//! | metrics | `SdkMeterProvider` instruments, `PeriodicReader`, OTLP | [`metrics`] |
//! | spans | `SpanRecord` → `SpanData` → `BatchSpanProcessor` → OTLP | [`traces`], [`export`] |
//! | logs | `LogRecord` → SDK log record → `BatchLogProcessor` → OTLP | [`logs`], [`export`] |
//! | statistics | counting exporters, HTTP client and gRPC interceptor; our own queue bound | [`stats`] |
//! | trace id in logs | 32 hex digits, or X-Ray's `1-xxxxxxxx-…` with X-Ray ids | [`propagation`] |
//! | configuration | the specification's `OTEL_*` variables (+ `SHOP_OTEL_ID_GENERATOR`) | [`config`], [`resource`] |
//!
//! There is no OpenTelemetry `Tracer` and no second `tracing` layer: the
//! contract's glue (`telemetry_api::layer`) already turned `tracing` spans
//! into finished records, and this crate converts those into the SDK's
//! export types. So the SDK's processors, exporters, samplers, propagators
//! and id generators do the work; only the conversions are written here.

pub mod config;
pub mod convert;
pub mod export;
pub mod logs;
pub mod metrics;
pub mod otlp;
pub mod propagation;
pub mod resource;
pub mod sampling;
pub mod stats;
pub mod traces;

use std::sync::Arc;

use opentelemetry_sdk::logs::{BatchLogProcessor, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SpanProcessor};
use telemetry_api::{Backend, Resource};

use crate::config::Config;
use crate::export::{OtelExporter, Pipelines};
use crate::stats::{CountingLogExporter, CountingMetricExporter, CountingSpanExporter, Tally};

/// Why the backend could not start (a bad `OTEL_*` value, an exporter that
/// could not be built, no Tokio runtime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Builds the backend from the environment (`OTEL_*` variables, see
/// [`config`]). Must run inside the shop's Tokio runtime (the exporters'
/// network I/O runs there).
pub async fn backend(resource: &Resource) -> Result<Backend, Error> {
    let config = Config::from_env()?;
    build(resource, &config, &config::process_env)
}

/// Builds the backend from an explicit configuration; `env` supplies the
/// few variables read outside [`Config`] (`OTEL_SERVICE_NAME`).
pub fn build(resource: &Resource, config: &Config, env: config::Env<'_>) -> Result<Backend, Error> {
    let otel_resource = resource::resource(resource, env);

    // Spans: our bounded admission, then the SDK's batch processor.
    let span_tally = Tally::new(config.span_queue);
    let mut spans = BatchSpanProcessor::builder(CountingSpanExporter {
        inner: otlp::span_exporter(&config.traces, &span_tally)?,
        tally: span_tally.clone(),
    })
    .with_batch_config(
        BatchConfigBuilder::default()
            .with_max_queue_size(config.span_queue)
            .build(),
    )
    .build();
    // A tracer provider would do this; there is none (see the crate docs).
    spans.set_resource(&otel_resource);

    // Logs: a logger provider with one batch processor.
    let log_tally = Tally::new(config.log_queue);
    let log_exporter = CountingLogExporter {
        inner: otlp::log_exporter(&config.logs, &log_tally)?,
        tally: log_tally.clone(),
    };
    let logs = SdkLoggerProvider::builder()
        .with_resource(otel_resource.clone())
        .with_log_processor(
            BatchLogProcessor::builder(log_exporter)
                .with_batch_config(
                    opentelemetry_sdk::logs::BatchConfigBuilder::default()
                        .with_max_queue_size(config.log_queue)
                        .build(),
                )
                .build(),
        )
        .build();
    let log_bridge = logs::LogBridge::new(&logs);

    // Metrics: a meter provider with one periodic reader
    // (`OTEL_METRIC_EXPORT_INTERVAL`, read by the SDK).
    let metric_tally = Tally::new(usize::MAX);
    let metric_exporter = CountingMetricExporter {
        inner: otlp::metric_exporter(&config.metrics, &metric_tally, config.temporality)?,
        tally: metric_tally.clone(),
    };
    let meters = SdkMeterProvider::builder()
        .with_resource(otel_resource)
        .with_reader(PeriodicReader::builder(metric_exporter).build())
        .build();
    let meter_provider = Arc::new(metrics::OtelMeterProvider::new(&meters));

    let exporter = OtelExporter::new(Pipelines {
        spans,
        span_tally,
        logs,
        log_bridge,
        log_tally,
        metrics: meters,
        metric_tally,
    });

    Ok(Backend {
        name: "otel",
        sampler: Arc::new(sampling::OtelSampler::new(config.sampler)),
        id_generator: propagation::id_generator(config.id_scheme),
        propagator: Arc::new(propagation::OtelPropagator::new(&config.propagators)),
        meter_provider,
        exporter: Arc::new(exporter),
        format_trace_id: propagation::format_trace_id(config.id_scheme),
    })
}
