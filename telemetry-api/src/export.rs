//! The plug-in point: what a backend provides, and the export statistics
//! every backend reports.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::context::{IdGenerator, TraceId};
use crate::metrics::MeterProvider;
use crate::propagation::Propagator;
use crate::record::{LogRecord, SpanRecord};
use crate::sampling::Sampler;

/// A boxed, sendable future (keeps [`Exporter`] object-safe without a macro crate).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Everything a telemetry backend plugs in. A backend crate builds one of
/// these at start-up; the shop never sees the concrete types behind it.
pub struct Backend {
    /// `noop`, `recording`, `awssdk` or `otel`.
    pub name: &'static str,
    /// Decides which new traces are recorded.
    pub sampler: Arc<dyn Sampler>,
    /// Makes trace and span ids in the backend's scheme.
    pub id_generator: Arc<dyn IdGenerator>,
    /// Reads and writes trace context headers.
    pub propagator: Arc<dyn Propagator>,
    /// Creates the metric instruments.
    pub meter_provider: Arc<dyn MeterProvider>,
    /// Receives finished spans and log records and ships them.
    pub exporter: Arc<dyn Exporter>,
    /// How trace ids are written in log lines and response headers, so logs
    /// join traces in the backend's own console (X-Ray wants `1-xxxxxxxx-…`).
    pub format_trace_id: fn(TraceId) -> String,
}

/// Receives the shop's spans and log records. Implementations must return
/// quickly and never block: queue (bounded), count what is dropped, and send
/// in the background.
///
/// Background export tasks must not themselves be traced by the shop's
/// subscriber, or every export would produce telemetry to export: run them
/// under [`without_telemetry`].
pub trait Exporter: Send + Sync + 'static {
    /// A sampled span has ended.
    fn export_span(&self, span: SpanRecord);
    /// A log event passed the level filter.
    fn export_log(&self, record: &LogRecord);
    /// Counters so far (monotonic since start).
    fn stats(&self) -> ExportStats;
    /// Sends everything queued so far; resolves when it has been sent (or
    /// has failed and been counted).
    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>>;
    /// Flushes, then stops the background tasks. Later records are dropped
    /// (and counted).
    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>>;
}

/// Runs a future with no `tracing` subscriber, so that a backend's own work
/// (HTTP calls of the AWS SDK or the OTLP exporter, which are themselves
/// instrumented with `tracing`) does not feed back into the telemetry it is
/// exporting.
///
/// It uses `Dispatch::none()`, a static no-op dispatcher, on purpose: building
/// a `Dispatch` from a subscriber value (`with_subscriber(NoSubscriber)`)
/// registers it globally, which re-computes the interest of every `tracing`
/// callsite in the process under a global lock. The shop calls this around
/// every SQL query, so that cost was paid several times per request, and most
/// in the awssdk build, whose SDK brings the most callsites.
pub fn without_telemetry<F: Future>(future: F) -> tracing::instrument::WithDispatch<F> {
    use tracing::instrument::WithSubscriber;
    future.with_subscriber(tracing::Dispatch::none())
}

/// The fault switch "the telemetry sink is down" (O-ALERT-04, the shop's
/// `telemetry_sink_down` flag, docs/faults.md).
///
/// While it is on, every backend fails its exports at the point where a
/// request would go on the wire, with [`SINK_DOWN_MESSAGE`], and counts the
/// failure exactly as it counts a sink that does not answer (retried, then
/// `errors` and `dropped`). So the drop alarms and the statistics can be
/// shown to react without stopping the collector or the emulators.
///
/// Process-wide on purpose: a process has one telemetry backend, built
/// before the shop's configuration reaches anything else, and the switch
/// must be readable from the backends' own export threads. The contract
/// holds it so that neither the shop nor a backend depends on the other.
static SINK_DOWN: AtomicBool = AtomicBool::new(false);

/// What a failed export says while [`sink_down`] is on.
pub const SINK_DOWN_MESSAGE: &str =
    "telemetry sink unreachable (injected fault: telemetry_sink_down)";

/// Turns the injected sink outage on or off (see [`sink_down`]).
pub fn set_sink_down(down: bool) {
    SINK_DOWN.store(down, Ordering::Relaxed);
}

/// Whether exports are to fail as if the sink were unreachable; each
/// backend checks this where its requests go out.
pub fn sink_down() -> bool {
    SINK_DOWN.load(Ordering::Relaxed)
}

/// Why a backend could not start: a bad setting (the message names the
/// variable), an exporter that could not be built, no region. Both backend
/// crates return it from `backend()` and `build()`, so the shop's start-up
/// wiring handles every backend the same way. An unreachable sink is not a
/// start-up error: export fails later, is counted, and recovers by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(pub String);

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

/// An export failure (a flush that timed out, a sink that refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportError(pub String);

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExportError {}

/// Export statistics of one signal. All counters are monotonic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignalStats {
    /// Items handed to the backend (spans, log records, metric data points).
    pub received: u64,
    /// Items the sink acknowledged.
    pub sent: u64,
    /// Items lost: queue full, export failed after retries, or after shutdown.
    pub dropped: u64,
    /// Retried API calls.
    pub retries: u64,
    /// API calls (requests on the wire), successful or not.
    pub api_calls: u64,
    /// API calls that failed.
    pub errors: u64,
    /// Request payload bytes put on the wire.
    pub bytes: u64,
}

/// Field by field: the statistics of several processes (say the three services of the
/// split topology) add up to the statistics of the whole shop.
///
/// ```
/// use telemetry_api::SignalStats;
/// let mut shop = SignalStats { sent: 2, bytes: 10, ..Default::default() };
/// shop += SignalStats { sent: 3, dropped: 1, bytes: 5, ..Default::default() };
/// assert_eq!((shop.sent, shop.dropped, shop.bytes), (5, 1, 15));
/// ```
impl std::ops::AddAssign for SignalStats {
    fn add_assign(&mut self, other: Self) {
        self.received += other.received;
        self.sent += other.sent;
        self.dropped += other.dropped;
        self.retries += other.retries;
        self.api_calls += other.api_calls;
        self.errors += other.errors;
        self.bytes += other.bytes;
    }
}

/// Export statistics of all three signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExportStats {
    pub spans: SignalStats,
    pub metrics: SignalStats,
    pub logs: SignalStats,
}

/// Lock-free counters behind a [`SignalStats`], for backends to share between
/// the request path and their export tasks.
#[derive(Debug, Default)]
pub struct SignalCounters {
    pub received: AtomicU64,
    pub sent: AtomicU64,
    pub dropped: AtomicU64,
    pub retries: AtomicU64,
    pub api_calls: AtomicU64,
    pub errors: AtomicU64,
    pub bytes: AtomicU64,
}

impl SignalCounters {
    /// Adds `n` to a counter (relaxed: these are statistics, not synchronisation).
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> SignalStats {
        SignalStats {
            received: self.received.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            api_calls: self.api_calls.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// Where a backend keeps one signal's statistics ([`SignalCounters`], or a
/// backend's own counters).
pub trait SignalSource: Send + Sync + 'static {
    /// The statistics so far.
    fn signal_stats(&self) -> SignalStats;
}

impl SignalSource for SignalCounters {
    fn signal_stats(&self) -> SignalStats {
        self.snapshot()
    }
}

/// The statistics sources of the three signals, filled by a backend's
/// pipelines and read by its [`Exporter::stats`].
#[derive(Debug)]
pub struct PerSignal<S> {
    pub spans: Arc<S>,
    pub metrics: Arc<S>,
    pub logs: Arc<S>,
}

impl<S: SignalSource> PerSignal<S> {
    /// The statistics of all three signals so far.
    pub fn snapshot(&self) -> ExportStats {
        ExportStats {
            spans: self.spans.signal_stats(),
            metrics: self.metrics.signal_stats(),
            logs: self.logs.signal_stats(),
        }
    }
}
