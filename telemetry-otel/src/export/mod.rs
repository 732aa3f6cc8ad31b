//! The contract's [`Exporter`]: three SDK pipelines behind one object.
//!
//! | signal | in front (ours) | SDK pipeline |
//! |---|---|---|
//! | spans | [`Tally::admit`](crate::stats::Tally::admit) (bounded, counted) → [`traces::span_data`] | `BatchSpanProcessor` → counting exporter → OTLP |
//! | logs | [`Tally::admit`](crate::stats::Tally::admit) → [`LogBridge::emit`] | `SdkLoggerProvider` → `BatchLogProcessor` → counting exporter → OTLP |
//! | metrics | (instruments, see [`crate::metrics`]) | `SdkMeterProvider` → `PeriodicReader` → counting exporter → OTLP |
//!
//! The SDK's batch processors and reader export on their own OS threads, and
//! their HTTP or gRPC calls run on the backend's own runtime thread
//! ([`telemetry_api::runtime`]), so nothing here blocks a request; flush and shutdown block those threads'
//! callers, so they run on Tokio's blocking pool. The exporters themselves
//! (OTLP over HTTP or gRPC) are built in [`otlp`].

pub mod otlp;
pub mod relay;

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SpanProcessor};
use telemetry_api::export::BoxFuture;
use telemetry_api::runtime::ExportRuntime;
use telemetry_api::{ExportError, ExportStats, Exporter, LogRecord, SpanRecord};

use crate::logs::LogBridge;
use crate::stats::Stats;
use crate::traces;
use relay::{Relay, RelayFactory};

/// How long each signal may take to flush its last batch at shutdown.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The three pipelines (shared with the blocking tasks of flush/shutdown).
pub struct Pipelines {
    pub spans: BatchSpanProcessor,
    pub logs: SdkLoggerProvider,
    pub log_bridge: LogBridge,
    pub metrics: SdkMeterProvider,
    pub stats: Stats,
}

/// The `otel` backend's exporter.
pub struct OtelExporter {
    pipelines: Arc<Pipelines>,
    /// Pipelines for records relayed for the browser ([`relay`]).
    relay: Arc<Relay>,
    /// The runtime the exporters' network I/O runs on: kept alive by the
    /// exporter, stopped when it is dropped.
    _runtime: Arc<ExportRuntime>,
}

impl OtelExporter {
    pub fn new(
        pipelines: Pipelines,
        relay: RelayFactory,
        runtime: Arc<ExportRuntime>,
    ) -> OtelExporter {
        OtelExporter {
            pipelines: Arc::new(pipelines),
            relay: Arc::new(Relay::new(relay)),
            _runtime: runtime,
        }
    }
}

/// Runs a blocking SDK call on Tokio's blocking pool; names the signal in
/// the error.
async fn blocking(
    signal: &'static str,
    f: impl FnOnce() -> OTelSdkResult + Send + 'static,
) -> Result<(), String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("{signal}: {e}")),
        Err(e) => Err(format!("{signal}: {e}")),
    }
}

/// Flushes or shuts down the three signals at once (each waits on its own
/// export thread) and reports every failure.
async fn all_three(
    p: &Arc<Pipelines>,
    spans: fn(&Pipelines) -> OTelSdkResult,
    logs: fn(&Pipelines) -> OTelSdkResult,
    metrics: fn(&Pipelines) -> OTelSdkResult,
) -> Result<(), ExportError> {
    let (a, b, c) = (p.clone(), p.clone(), p.clone());
    let results = tokio::join!(
        blocking("spans", move || spans(&a)),
        blocking("logs", move || logs(&b)),
        blocking("metrics", move || metrics(&c)),
    );
    let errors: Vec<String> = [results.0, results.1, results.2]
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ExportError(errors.join("; ")))
    }
}

/// Flushes or shuts down the relay's pipelines, when any record was relayed.
async fn relayed(
    relay: &Arc<Relay>,
    f: fn(&relay::RelayPipelines) -> OTelSdkResult,
) -> Result<(), ExportError> {
    if relay.built().is_none() {
        return Ok(());
    }
    let relay = relay.clone();
    blocking("relayed", move || match relay.built() {
        Some(r) => f(r),
        None => Ok(()),
    })
    .await
    .map_err(ExportError)
}

impl Exporter for OtelExporter {
    fn export_span(&self, span: SpanRecord) {
        let p = &self.pipelines;
        if let Some(producer) = &span.relayed_for {
            match self.relay.for_producer(producer) {
                Some(r) if p.stats.spans.admit() => r.spans.on_end(traces::span_data(span)),
                Some(_) => {}
                None => p.stats.spans.refuse(),
            }
            return;
        }
        if p.stats.spans.admit() {
            p.spans.on_end(traces::span_data(span));
        }
    }

    fn export_log(&self, record: &LogRecord) {
        // The SDK's own diagnostics, emitted on its export threads (where it
        // marks the context as telemetry-suppressed), are not shop logs; the
        // SDK logger would discard them anyway, after our queue count.
        if opentelemetry::Context::is_current_telemetry_suppressed() {
            return;
        }
        let p = &self.pipelines;
        if let Some(producer) = &record.relayed_for {
            match self.relay.for_producer(producer) {
                Some(r) if p.stats.logs.admit() => r.log_bridge.emit(record),
                Some(_) => {}
                None => p.stats.logs.refuse(),
            }
            return;
        }
        if p.stats.logs.admit() {
            p.log_bridge.emit(record);
        }
    }

    fn stats(&self) -> ExportStats {
        self.pipelines.stats.snapshot()
    }

    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            let own = all_three(
                &self.pipelines,
                |p| p.spans.force_flush(),
                |p| p.logs.force_flush(),
                |p| p.metrics.force_flush(),
            );
            let relayed = relayed(&self.relay, |r| {
                r.spans.force_flush()?;
                r.logs.force_flush()
            });
            let (own, relayed) = tokio::join!(own, relayed);
            own.and(relayed)
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        // From now on records are refused and counted as dropped; what is
        // queued is exported by the processors' shutdown.
        self.pipelines.stats.spans.close();
        self.pipelines.stats.logs.close();
        Box::pin(async move {
            let own = all_three(
                &self.pipelines,
                |p| p.spans.shutdown_with_timeout(SHUTDOWN_TIMEOUT),
                |p| p.logs.shutdown_with_timeout(SHUTDOWN_TIMEOUT),
                |p| p.metrics.shutdown_with_timeout(SHUTDOWN_TIMEOUT),
            );
            let relayed = relayed(&self.relay, |r| {
                r.spans.shutdown_with_timeout(SHUTDOWN_TIMEOUT)?;
                r.logs.shutdown_with_timeout(SHUTDOWN_TIMEOUT)
            });
            let (own, relayed) = tokio::join!(own, relayed);
            own.and(relayed)
        })
    }
}
