//! # telemetry-api: the contract the shop is instrumented against
//!
//! The shop is written once against this crate; a *backend* (`awssdk`,
//! `otel`, or the built-in `noop` and recording ones) plugs in behind it at
//! start-up. This crate has no AWS or OpenTelemetry dependency.
//!
//! | concept | how the shop uses it | what a backend provides |
//! |---|---|---|
//! | spans and events | the `tracing` macros, with field names from [`semconv`] | an [`Exporter`] for finished [`SpanRecord`]s and [`LogRecord`]s |
//! | sampling | nothing (decided per trace) | a [`Sampler`] |
//! | trace ids | [`trace::current_span_context`] | an [`IdGenerator`] and a trace-id format for logs |
//! | propagation | [`Telemetry::propagator`]: extract on ingress, inject on egress | a [`Propagator`] |
//! | metrics | [`Meter`] → [`metrics::Counter`]/[`metrics::Histogram`]/[`metrics::Gauge`] | a [`MeterProvider`] |
//! | flush, shutdown, statistics | [`Telemetry::flush`], [`Telemetry::shutdown`], [`Telemetry::stats`] | the [`Exporter`] |
//! | lost telemetry as a metric (`shop.telemetry.dropped`) | nothing: an alarm watches it | its metrics exporter sends what [`dropped::DropReport`] holds pending |
//! | relaying the browser's spans and logs (RUM intake) | [`Telemetry::relay_span`], [`Telemetry::relay_log`], with `relayed_for` set | the [`Exporter`], under the producer's name |
//!
//! The glue between `tracing` and the backend ([`layer::TelemetryLayer`]) is
//! written once, here, so both backends receive identical records.

#[cfg(feature = "testing")]
pub mod binomial;
pub mod context;
pub mod dropped;
pub mod export;
pub mod layer;
pub mod logs;
pub mod metrics;
pub mod noop;
pub mod propagation;
pub mod record;
#[cfg(feature = "testing")]
pub mod recording;
pub mod runtime;
pub mod sampling;
pub mod semconv;
pub mod trace;
pub mod value;

use std::sync::Arc;
use std::time::Duration;

use tracing::Dispatch;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

pub use context::{IdGenerator, SpanContext, SpanId, TraceId};
pub use export::{Backend, BackendError, ExportError, ExportStats, Exporter, SignalStats};
pub use metrics::{Meter, MeterProvider, Unit};
pub use propagation::Propagator;
pub use record::{LogRecord, Resource, SpanKind, SpanRecord, SpanStatus};
pub use sampling::Sampler;
pub use value::{KeyValue, Value};

/// Errors setting telemetry up.
#[derive(Debug)]
pub enum SetupError {
    /// The log filter directives did not parse.
    Filter(String),
    /// A global subscriber was already installed.
    GlobalAlreadySet,
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Filter(e) => write!(f, "invalid log filter: {e}"),
            SetupError::GlobalAlreadySet => {
                f.write_str("a global tracing subscriber is already installed")
            }
        }
    }
}

impl std::error::Error for SetupError {}

/// Builds a [`Telemetry`] from a backend.
pub struct TelemetryBuilder {
    backend: Backend,
    resource: Resource,
    filter: String,
    json_logs: Option<logs::Console>,
    debug_log_sampling: f64,
}

impl TelemetryBuilder {
    /// `tracing` filter directives (`EnvFilter` syntax), e.g. `info,sqlx=warn`.
    /// Spans and events below the filter are neither exported nor logged.
    pub fn filter(mut self, directives: impl Into<String>) -> Self {
        self.filter = directives.into();
        self
    }

    /// Keeps DEBUG and TRACE log records for this share of traces only
    /// (O-LOG-06; [`layer::TelemetryLayer::debug_sampling`]). Default 1.0: all
    /// that pass the filter.
    pub fn debug_log_sampling(mut self, ratio: f64) -> Self {
        self.debug_log_sampling = ratio;
        self
    }

    /// Whether log records are also written to stdout as JSON lines.
    pub fn stdout_json_logs(mut self, on: bool) -> Self {
        self.json_logs = on.then_some(logs::Console::Stdout);
        self
    }

    /// Moves the JSON lines (if on) to stderr: for a command-line tool whose
    /// stdout is its answer.
    pub fn json_logs_on_stderr(mut self) -> Self {
        if self.json_logs.is_some() {
            self.json_logs = Some(logs::Console::Stderr);
        }
        self
    }

    pub fn build(self) -> Result<Telemetry, SetupError> {
        let filter =
            EnvFilter::try_new(&self.filter).map_err(|e| SetupError::Filter(e.to_string()))?;
        let Backend {
            name,
            sampler,
            id_generator,
            propagator,
            meter_provider,
            exporter,
            format_trace_id,
        } = self.backend;

        let (local_logs, log_guard) = match self.json_logs {
            Some(console) => {
                let (sink, guard) = logs::JsonLines::new(
                    self.resource.service_name.clone(),
                    format_trace_id,
                    console,
                );
                (Some(sink as Arc<dyn logs::LogSink>), Some(guard))
            }
            None => (None, None),
        };

        let sampler_description = sampler.description();
        let layer = layer::TelemetryLayer::new(sampler, id_generator, exporter.clone(), local_logs)
            .debug_sampling(self.debug_log_sampling);
        let subscriber = Registry::default().with(layer).with(filter);
        Ok(Telemetry {
            inner: Arc::new(Inner {
                backend_name: name,
                dispatch: Dispatch::new(subscriber),
                meter: Meter::new(meter_provider),
                propagator,
                exporter,
                format_trace_id,
                resource: self.resource,
                sampler_description,
                _log_guard: log_guard,
            }),
        })
    }
}

/// The shop's handle on its telemetry: the `tracing` dispatcher to run
/// under, the meter, the propagator, and flush/shutdown/statistics of the
/// backend. Cheap to clone.
#[derive(Clone)]
pub struct Telemetry {
    inner: Arc<Inner>,
}

struct Inner {
    backend_name: &'static str,
    dispatch: Dispatch,
    meter: Meter,
    propagator: Arc<dyn Propagator>,
    exporter: Arc<dyn Exporter>,
    format_trace_id: fn(TraceId) -> String,
    resource: Resource,
    sampler_description: String,
    _log_guard: Option<WorkerGuard>,
}

impl Telemetry {
    /// Starts building telemetry on `backend` for the process described by `resource`.
    /// Defaults: filter `info`, no stdout logs.
    pub fn builder(backend: Backend, resource: Resource) -> TelemetryBuilder {
        TelemetryBuilder {
            backend,
            resource,
            filter: "info".to_owned(),
            json_logs: None,
            debug_log_sampling: 1.0,
        }
    }

    /// The `tracing` dispatcher. The shop installs it as the global default
    /// ([`Telemetry::install_global`]); tests that run several shops in one
    /// process run each request under its own shop's dispatcher instead.
    pub fn dispatch(&self) -> &Dispatch {
        &self.inner.dispatch
    }

    /// Makes this the process-wide `tracing` subscriber.
    pub fn install_global(&self) -> Result<(), SetupError> {
        tracing::dispatcher::set_global_default(self.inner.dispatch.clone())
            .map_err(|_| SetupError::GlobalAlreadySet)
    }

    /// The backend's name (`noop`, `recording`, `awssdk`, `otel`).
    pub fn backend_name(&self) -> &'static str {
        self.inner.backend_name
    }

    /// The instrument factory.
    pub fn meter(&self) -> &Meter {
        &self.inner.meter
    }

    /// The header format for trace context.
    pub fn propagator(&self) -> &dyn Propagator {
        &*self.inner.propagator
    }

    /// A trace id written the backend's way (for logs and response headers).
    pub fn format_trace_id(&self, trace_id: TraceId) -> String {
        (self.inner.format_trace_id)(trace_id)
    }

    pub fn resource(&self) -> &Resource {
        &self.inner.resource
    }

    /// The sampler's description, e.g. `AlwaysOn`.
    pub fn sampler_description(&self) -> &str {
        &self.inner.sampler_description
    }

    /// Hands the backend a span the shop *relays* for another producer: the
    /// browser's, decoded and checked by the shop's RUM intake. It carries
    /// its own ids, times and parent, and `relayed_for` names the producer,
    /// so the backend ships it under that producer's name (X-Ray's segment
    /// `name`, OTLP's resource) in the same trace as the shop's spans. It
    /// is exported as it is: no sampling here (the producer decided).
    pub fn relay_span(&self, span: SpanRecord) {
        self.inner.exporter.export_span(span);
    }

    /// As [`Telemetry::relay_span`], for a log record (a browser error).
    pub fn relay_log(&self, record: &LogRecord) {
        self.inner.exporter.export_log(record);
    }

    /// The backend's export statistics so far.
    pub fn stats(&self) -> ExportStats {
        self.inner.exporter.stats()
    }

    /// Sends whatever is queued; gives up (with an error) after `timeout`.
    pub async fn flush(&self, timeout: Duration) -> Result<(), ExportError> {
        match tokio::time::timeout(timeout, self.inner.exporter.force_flush()).await {
            Ok(r) => r,
            Err(_) => Err(ExportError(format!(
                "flush did not finish within {timeout:?}"
            ))),
        }
    }

    /// Flushes and stops the backend; gives up after `timeout`.
    pub async fn shutdown(&self, timeout: Duration) -> Result<(), ExportError> {
        match tokio::time::timeout(timeout, self.inner.exporter.shutdown()).await {
            Ok(r) => r,
            Err(_) => Err(ExportError(format!(
                "shutdown did not finish within {timeout:?}"
            ))),
        }
    }
}
