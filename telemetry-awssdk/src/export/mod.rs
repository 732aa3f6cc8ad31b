//! The contract's [`Exporter`]: spans to X-Ray, log records to CloudWatch
//! Logs, metrics to CloudWatch; flush and shutdown reach all three.
//!
//! | signal | in front (request side) | background |
//! |---|---|---|
//! | spans | [`TraceExporter::export`]: bounded queue | [`worker`] + segment batcher → `PutTraceSegments` ([`crate::traces`]) |
//! | logs | [`LogShipper::send`]: bounded queue | [`worker`] + log batcher → `PutLogEvents` ([`crate::logs`]) |
//! | metrics | instruments aggregate in memory ([`crate::metrics`]) | a task per interval → `PutMetricData`, or EMF lines through a second log shipper |
//!
//! | file | |
//! |---|---|
//! | [`queue`] | the bounded queue, its doorbell, flush and shutdown messages |
//! | [`worker`] | the one background loop: drain on interval or doorbell, batch, send, flush, shutdown |
//! | [`retry`] | sending with counted retries: backoff, jitter, which errors to repeat |

pub mod queue;
pub mod retry;
pub mod worker;

use std::sync::Arc;

use telemetry_api::export::{BoxFuture, ExportError, SignalCounters};
use telemetry_api::{ExportStats, Exporter, LogRecord, SpanRecord};

use crate::logs::{LogItem, LogShipper};
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
    pub stats: Stats,
}

impl Exporter for AwsSdkExporter {
    fn export_span(&self, span: SpanRecord) {
        self.traces.export(span);
    }

    fn export_log(&self, record: &LogRecord) {
        SignalCounters::add(&self.stats.logs.received, 1);
        self.logs.send(LogItem::Record(record.clone()));
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
