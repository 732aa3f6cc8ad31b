//! The contract's [`Exporter`]: spans to X-Ray, log records to CloudWatch
//! Logs, metrics to CloudWatch; flush and shutdown reach all three.
//!
//! | signal | in front (request side) | background |
//! |---|---|---|
//! | spans | [`TraceExporter::export`]: bounded queue | [`worker`] + segment batcher → `PutTraceSegments` ([`crate::traces`]) |
//! | logs | the JSON line ([`Renderer`]), [`LogShipper::send`]: bounded queue | [`worker`] + log batcher → `PutLogEvents` ([`crate::logs`]) |
//! | metrics | instruments aggregate in memory ([`crate::metrics`]) | a task per interval → `PutMetricData`, or EMF lines through a second log shipper |
//!
//! | file | |
//! |---|---|
//! | [`queue`] | the bounded queue, its doorbell, flush and shutdown messages |
//! | [`worker`] | the one background loop: drain on interval or doorbell, batch, send, flush, shutdown |
//! | [`retry`] | sending with counted retries: backoff, jitter, which errors to repeat |
//! | [`body`] | the JSON body of `PutTraceSegments` and `PutLogEvents`, serialised by us, not the SDK |
//!
//! All of it runs on the backend's own Tokio runtime thread
//! ([`telemetry_api::runtime`]), not on the shop's.

pub mod body;
pub mod queue;
pub mod retry;
pub mod worker;

use std::sync::Arc;

use telemetry_api::export::{BoxFuture, ExportError, SignalCounters};
use telemetry_api::{ExportStats, Exporter, LogRecord, SpanRecord};

use crate::logs::{LogItem, LogShipper, Renderer, millis};
use crate::metrics::CloudWatchMeterProvider;
use crate::stats::Stats;
use crate::traces::TraceExporter;

/// The `awssdk` backend's exporter.
pub struct AwsSdkExporter {
    pub traces: TraceExporter,
    pub logs: LogShipper,
    pub metrics: Arc<CloudWatchMeterProvider>,
    /// The log shipper of EMF lines, in EMF mode.
    pub emf: Option<Arc<LogShipper>>,
    /// How a log record becomes its CloudWatch Logs line.
    pub renderer: Renderer,
    pub stats: Stats,
    /// The runtime the background tasks run on: kept alive by the exporter,
    /// stopped when it is dropped.
    pub runtime: Arc<telemetry_api::runtime::ExportRuntime>,
}

impl Exporter for AwsSdkExporter {
    fn export_span(&self, span: SpanRecord) {
        self.traces.export(span);
    }

    fn export_log(&self, record: &LogRecord) {
        SignalCounters::add(&self.stats.logs.received, 1);
        // Rendered here, as the stdout line is: one pass over the borrowed
        // record costs less than a deep copy of it to render later (the
        // message, every field, their strings), and the queue then holds
        // one string per record.
        self.logs.send(LogItem::Line {
            timestamp_ms: millis(record.timestamp),
            line: self.renderer.render(record),
            count: 1,
        });
    }

    fn stats(&self) -> ExportStats {
        self.stats.snapshot()
    }

    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            // Metrics first: in EMF mode they become log lines to flush next.
            tokio::join!(self.traces.flush(), self.metrics.flush(), self.logs.flush());
            if let Some(emf) = &self.emf {
                emf.flush().await;
            }
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            tokio::join!(
                self.traces.shutdown(),
                self.metrics.shutdown(),
                self.logs.shutdown()
            );
            if let Some(emf) = &self.emf {
                emf.shutdown().await;
            }
            Ok(())
        })
    }
}
