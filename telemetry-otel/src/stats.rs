//! Export statistics and the bounded queues' admission count.
//!
//! The SDK's batch processors keep a bounded queue and drop what does not
//! fit, but they only count those drops internally (the count is logged at
//! shutdown, not exposed; checked in `opentelemetry_sdk` 0.33.1,
//! `trace/span_processor.rs` and `logs/batch_log_processor.rs`). The contract
//! wants every drop counted, so this crate keeps its own count of what is
//! waiting ([`Tally::admit`] in front of the processor, [`Tally::exporting`]
//! when a batch reaches the exporter) and refuses items itself once
//! `OTEL_BSP_MAX_QUEUE_SIZE` / `OTEL_BLRP_MAX_QUEUE_SIZE` are waiting. The
//! SDK's queue has the same capacity, so it never overflows and every
//! queue-full drop is one this crate counted.
//!
//! Around the OTLP exporters sit *counting exporters* (batches, items sent or
//! dropped) and, on the wire, a counting HTTP client or gRPC interceptor (API
//! calls, bytes). Retries and errors follow from those: each retry is one
//! more API call for the same batch and follows a failed call, so
//! `retries = api_calls - batches` and `errors = retries + failed batches`.
//!
//! The same two wire hooks fail every request while the injected fault
//! `telemetry_sink_down` is on ([`telemetry_api::export::sink_down`]; the
//! gRPC one is [`sink_check`], called by the interceptor in
//! [`crate::export::otlp`]).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use telemetry_api::SignalStats;
use telemetry_api::export::without_telemetry;
use telemetry_api::export::{PerSignal, SignalSource};

/// Counters of one signal, and the count of items waiting for export.
#[derive(Debug)]
pub struct Tally {
    received: AtomicU64,
    sent: AtomicU64,
    dropped: AtomicU64,
    api_calls: AtomicU64,
    bytes: AtomicU64,
    batches: AtomicU64,
    failed_batches: AtomicU64,
    waiting: AtomicUsize,
    capacity: usize,
    closed: AtomicBool,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Tally {
    /// A tally whose queue holds at most `capacity` items.
    pub fn new(capacity: usize) -> Arc<Tally> {
        Arc::new(Tally {
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            api_calls: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            failed_batches: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
            capacity,
            closed: AtomicBool::new(false),
        })
    }

    /// An item arrives: true when it may be queued; false (and counted as
    /// dropped) when the queue is full or the signal is shut down.
    pub fn admit(&self) -> bool {
        add(&self.received, 1);
        if self.closed.load(Ordering::Relaxed) {
            add(&self.dropped, 1);
            return false;
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.capacity {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            add(&self.dropped, 1);
            return false;
        }
        true
    }

    /// An item arrives that cannot be exported at all (a relayed record
    /// with no pipeline): counted as received and dropped.
    pub fn refuse(&self) {
        add(&self.received, 1);
        add(&self.dropped, 1);
    }

    /// From now on every item is dropped (and counted).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    /// `n` queued items left the queue for the exporter.
    pub fn exporting(&self, n: usize) {
        // Saturating: never wraps even if the SDK exported something we did not admit.
        let _ = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                Some(w.saturating_sub(n))
            });
    }

    /// `n` items that were not queued by us (metric data points, which the
    /// SDK aggregates in memory) are about to be exported.
    pub fn collected(&self, n: usize) {
        add(&self.received, n as u64);
    }

    /// A batch of `n` items was exported (`ok`) or lost.
    pub fn exported(&self, n: usize, ok: bool) {
        add(&self.batches, 1);
        if ok {
            add(&self.sent, n as u64);
        } else {
            add(&self.failed_batches, 1);
            add(&self.dropped, n as u64);
        }
    }

    /// One request on the wire with `bytes` of payload (0 when unknown).
    pub fn api_call(&self, bytes: usize) {
        add(&self.api_calls, 1);
        add(&self.bytes, bytes as u64);
    }

    /// Items waiting for export now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    pub fn snapshot(&self) -> SignalStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let api_calls = load(&self.api_calls);
        let retries = api_calls.saturating_sub(load(&self.batches));
        SignalStats {
            received: load(&self.received),
            sent: load(&self.sent),
            dropped: load(&self.dropped),
            retries,
            api_calls,
            errors: retries + load(&self.failed_batches),
            bytes: load(&self.bytes),
        }
    }
}

/// The tallies of the three signals; the exporter's
/// [`telemetry_api::Exporter::stats`] reads them.
pub type Stats = PerSignal<Tally>;

impl SignalSource for Tally {
    fn signal_stats(&self) -> SignalStats {
        self.snapshot()
    }
}

/// Counts what passes through a span exporter; runs it without telemetry.
#[derive(Debug)]
pub struct CountingSpanExporter<E> {
    pub inner: E,
    pub tally: Arc<Tally>,
}

impl<E: SpanExporter> SpanExporter for CountingSpanExporter<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let n = batch.len();
        self.tally.exporting(n);
        let result = without_telemetry(self.inner.export(batch)).await;
        self.tally.exported(n, result.is_ok());
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// Counts what passes through a log exporter; runs it without telemetry.
#[derive(Debug)]
pub struct CountingLogExporter<E> {
    pub inner: E,
    pub tally: Arc<Tally>,
}

impl<E: LogExporter> LogExporter for CountingLogExporter<E> {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count();
        self.tally.exporting(n);
        let result = without_telemetry(self.inner.export(batch)).await;
        self.tally.exported(n, result.is_ok());
        result
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// Counts the data points passing through a metric exporter; runs it
/// without telemetry.
pub struct CountingMetricExporter<E> {
    pub inner: E,
    pub tally: Arc<Tally>,
    /// The drop report whose pending count every collection carries ([`crate::dropped`]):
    /// told how each export ended.
    pub drops: Arc<crate::dropped::Report>,
}

impl<E> fmt::Debug for CountingMetricExporter<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingMetricExporter")
            .field("tally", &self.tally)
            .finish_non_exhaustive()
    }
}

/// Data points in one collection (each point is one time series' value).
pub fn data_points(metrics: &ResourceMetrics) -> usize {
    fn points<T>(d: &MetricData<T>) -> usize {
        match d {
            MetricData::Gauge(g) => g.data_points().count(),
            MetricData::Sum(s) => s.data_points().count(),
            MetricData::Histogram(h) => h.data_points().count(),
            MetricData::ExponentialHistogram(h) => h.data_points().count(),
        }
    }
    metrics
        .scope_metrics()
        .flat_map(|s| s.metrics())
        .map(|m| match m.data() {
            AggregatedMetrics::F64(d) => points(d),
            AggregatedMetrics::U64(d) => points(d),
            AggregatedMetrics::I64(d) => points(d),
        })
        .sum()
}

impl<E: PushMetricExporter> PushMetricExporter for CountingMetricExporter<E> {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let n = data_points(metrics);
        self.tally.collected(n);
        let result = without_telemetry(self.inner.export(metrics)).await;
        self.tally.exported(n, result.is_ok());
        if result.is_ok() {
            self.drops.delivered();
        } else {
            self.drops.failed();
        }
        result
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn temporality(&self) -> Temporality {
        self.inner.temporality()
    }
}

/// The OTLP/HTTP exporters' HTTP client: `reqwest` (no TLS: the collector is
/// a sidecar or on loopback), driven on the backend's own Tokio runtime
/// ([`telemetry_api::runtime`]), counting each request and its (possibly
/// compressed) body size.
///
/// Why not the exporter's built-in client: the SDK's default processors run
/// export on their own OS threads, where an async client has no runtime, and
/// the blocking client would run its own runtime thread per signal. Sending
/// the request to the backend's one runtime keeps one HTTP stack for the
/// three signals, off the shop's request threads, and lets us run it under
/// [`without_telemetry`].
pub struct CountingHttpClient {
    pub client: reqwest::Client,
    pub runtime: tokio::runtime::Handle,
    pub tally: Arc<Tally>,
}

impl fmt::Debug for CountingHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CountingHttpClient")
            .field("tally", &self.tally)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl HttpClient for CountingHttpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        self.tally.api_call(request.body().len());
        // The injected outage (`telemetry_sink_down`, docs/faults.md): the
        // request fails as a refused connection would, after it was counted;
        // the OTLP exporter retries it, the counting exporter counts the
        // batch as failed and its items as dropped, as in a real outage.
        if telemetry_api::export::sink_down() {
            return Err(telemetry_api::export::SINK_DOWN_MESSAGE.into());
        }
        let client = self.client.clone();
        let call = self.runtime.spawn(without_telemetry(async move {
            client.send_bytes(request).await
        }));
        match call.await {
            Ok(response) => response,
            // The runtime is shutting down: the request never went out.
            Err(e) => Err(Box::new(e)),
        }
    }
}

/// The gRPC side of the injected outage: `Err(UNAVAILABLE)` (what tonic
/// reports for an unreachable collector) while `telemetry_sink_down` is on.
pub fn sink_check() -> Result<(), tonic::Status> {
    if telemetry_api::export::sink_down() {
        return Err(tonic::Status::unavailable(
            telemetry_api::export::SINK_DOWN_MESSAGE,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_counts_every_drop() {
        let t = Tally::new(2);
        assert!(t.admit());
        assert!(t.admit());
        assert!(!t.admit(), "third item does not fit");
        t.exporting(2);
        t.exported(2, true);
        assert!(t.admit());
        t.exporting(1);
        t.api_call(10);
        t.api_call(10);
        t.exported(1, false);
        t.close();
        assert!(!t.admit(), "closed");
        let s = t.snapshot();
        assert_eq!(s.received, 5);
        assert_eq!(s.sent, 2);
        assert_eq!(s.dropped, 3);
        assert_eq!(s.api_calls, 2);
        assert_eq!(s.bytes, 20);
        assert_eq!(s.retries, 0);
        assert_eq!(s.errors, 1);
        assert_eq!(t.waiting(), 0);
        t.exporting(5);
        assert_eq!(t.waiting(), 0, "never wraps");
    }
}
