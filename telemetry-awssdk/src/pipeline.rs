//! What the three signals share on their way to AWS: counting what goes on
//! the wire, retrying with backoff, and the control messages of the
//! background workers.
//!
//! Each signal has its own SDK client with [`WireCounter`] attached, so
//! API calls and request bytes are counted where they happen (once per
//! attempt, after signing, as sent), not estimated. The SDK's own retries
//! are turned off; [`with_retries`] does them, so they are counted too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use telemetry_api::export::SignalCounters;

use tokio::sync::{Notify, mpsc, oneshot};

/// Counts every HTTP request an SDK client puts on the wire, and its body
/// size, into a signal's counters.
#[derive(Debug, Clone)]
pub struct WireCounter(pub Arc<SignalCounters>);

impl Intercept for WireCounter {
    fn name(&self) -> &'static str {
        "shop-lab-wire-counter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let bytes = context.request().body().bytes().map_or(0, <[u8]>::len);
        SignalCounters::add(&self.0.api_calls, 1);
        SignalCounters::add(&self.0.bytes, bytes as u64);
        Ok(())
    }
}

/// How often and how patiently a batch is retried.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub max_attempts: u32,
    /// First backoff; doubled each retry, with full jitter.
    pub base: Duration,
    /// Longest backoff.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        }
    }
}

/// Error codes AWS uses for throttling across services.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Whether an attempt may succeed if repeated: connection failures,
/// timeouts, 5xx, and throttling. Validation errors (4xx) are not retried.
pub fn is_retryable<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            status >= 500
                || status == 429
                || e.err().code().is_some_and(|c| THROTTLING.contains(&c))
        }
        _ => false,
    }
}

/// Runs `op` until it succeeds, fails with a non-retryable error, or
/// `policy.max_attempts` is used up. Counts failed attempts in `errors` and
/// repeated attempts in `retries`.
pub async fn with_retries<T, E, F, Fut>(
    policy: RetryPolicy,
    counters: &SignalCounters,
    mut op: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                SignalCounters::add(&counters.errors, 1);
                if attempt >= policy.max_attempts || !is_retryable(&e) {
                    return Err(e);
                }
                let ceiling = policy
                    .base
                    .saturating_mul(1 << (attempt - 1).min(16))
                    .min(policy.cap);
                let jittered = ceiling.mul_f64(rand::random::<f64>());
                // Counted when decided, so statistics read during the backoff show it.
                SignalCounters::add(&counters.retries, 1);
                tokio::time::sleep(jittered).await;
                attempt += 1;
            }
        }
    }
}

/// A short description of an SDK error for logs (code and message, or the
/// transport failure).
pub fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E, HttpResponse>,
) -> String {
    match err {
        SdkError::ServiceError(e) => format!(
            "{} {}: {}",
            e.raw().status().as_u16(),
            e.err().code().unwrap_or("error"),
            e.err().message().unwrap_or("")
        ),
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(d) if d.is_io() => "connection failed".to_owned(),
        other => {
            let mut s = other.to_string();
            let mut src = std::error::Error::source(other);
            while let Some(e) = src {
                s.push_str(": ");
                s.push_str(&e.to_string());
                src = e.source();
            }
            s
        }
    }
}

/// Reports failed exports on stderr, at most once per 30 s per exporter
/// (an outage would otherwise print a line per batch). The backend cannot
/// log through `tracing`: its tasks run without a subscriber.
pub struct FailureLog {
    what: &'static str,
    last: Option<std::time::Instant>,
    suppressed: u64,
}

impl FailureLog {
    pub fn new(what: &'static str) -> FailureLog {
        FailureLog {
            what,
            last: None,
            suppressed: 0,
        }
    }

    /// Records that a call failed and `items` were dropped.
    pub fn report(&mut self, items: u64, error: &str) {
        let now = std::time::Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(30))
        {
            self.suppressed += items;
            return;
        }
        let earlier = std::mem::take(&mut self.suppressed);
        eprintln!(
            "telemetry-awssdk: {} failed, {items} items dropped ({earlier} more since the last report): {error}",
            self.what
        );
        self.last = Some(now);
    }
}

/// Messages from the request side to a background worker.
#[derive(Debug)]
pub enum Control {
    /// Send everything queued, then answer.
    Flush(oneshot::Sender<()>),
    /// Send everything queued, answer, and stop.
    Shutdown(oneshot::Sender<()>),
}

/// The request side of a signal's pipeline: a bounded queue of items and a
/// control channel to its background worker. Offering never blocks: a full
/// queue, or a pipeline already shut down, drops the item and counts it.
///
/// Offering does not wake the worker for every item. A wake-up costs a task
/// switch (often a thread unpark) and at 100 % sampling the shop ends about
/// ten spans per request, so the worker is woken only when the queue is a
/// quarter full, and otherwise drains it on its own timer. This is what
/// OpenTelemetry's batch span processor does: it signals its worker once
/// `max_export_batch_size` (512 of 2048) spans are waiting.
pub struct Inlet<T> {
    tx: mpsc::Sender<T>,
    ctl: mpsc::Sender<Control>,
    dropped: Arc<SignalCounters>,
    closed: AtomicBool,
    wake: Arc<Doorbell>,
    wake_at: usize,
}

/// The worker's doorbell: the request side rings it when the queue is a
/// quarter full; `rung` keeps it from ringing again before the worker has
/// drained.
#[derive(Default)]
pub struct Doorbell {
    notify: Notify,
    rung: AtomicBool,
}

impl Doorbell {
    /// Resolves when the request side rang (at once if it rang while the
    /// worker was busy).
    pub async fn rung(&self) {
        self.notify.notified().await;
    }
}

/// The worker side of an [`Inlet`]: the queued items and control messages.
pub struct Outlet<T> {
    pub queue: Queue<T>,
    pub control: mpsc::Receiver<Control>,
}

/// The receiving end of an [`Inlet`]'s queue.
pub struct Queue<T> {
    items: mpsc::Receiver<T>,
    wake: Arc<Doorbell>,
}

impl<T> Inlet<T> {
    /// A queue of `capacity` items whose losses count into `counters.dropped`.
    pub fn new(capacity: usize, counters: Arc<SignalCounters>) -> (Inlet<T>, Outlet<T>) {
        let capacity = capacity.max(1);
        let (tx, items) = mpsc::channel(capacity);
        let (ctl, control) = mpsc::channel(8);
        let wake = Arc::new(Doorbell::default());
        (
            Inlet {
                tx,
                ctl,
                dropped: counters,
                closed: AtomicBool::new(false),
                wake: wake.clone(),
                wake_at: (capacity / 4).max(1),
            },
            Outlet {
                queue: Queue { items, wake },
                control,
            },
        )
    }

    /// Queues `item`, which stands for `count` signal items (a span, a log
    /// record, an EMF line's measurements).
    pub fn offer(&self, item: T, count: u64) {
        if self.closed.load(Ordering::Relaxed) || self.tx.try_send(item).is_err() {
            SignalCounters::add(&self.dropped.dropped, count);
            return;
        }
        let queued = self.tx.max_capacity() - self.tx.capacity();
        if queued >= self.wake_at && !self.wake.rung.swap(true, Ordering::AcqRel) {
            self.wake.notify.notify_one();
        }
    }

    /// Resolves when the worker has sent everything queued so far.
    pub async fn flush(&self) {
        request(&self.ctl, Control::Flush).await;
    }

    /// Flushes and stops the worker; later offers are dropped and counted.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Relaxed);
        request(&self.ctl, Control::Shutdown).await;
    }
}

/// What [`Outlet::drain`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    /// The queue is empty for now.
    Empty,
    /// Every [`Inlet`] is gone: nothing will ever arrive again.
    Disconnected,
}

impl<T> Queue<T> {
    /// The doorbell, to wait on beside other events.
    pub fn doorbell(&self) -> Arc<Doorbell> {
        self.wake.clone()
    }

    /// Hands every queued item to `take`, and re-arms the doorbell.
    pub fn drain(&mut self, mut take: impl FnMut(T)) -> Drained {
        self.wake.rung.store(false, Ordering::Release);
        loop {
            match self.items.try_recv() {
                Ok(item) => take(item),
                Err(mpsc::error::TryRecvError::Empty) => return Drained::Empty,
                Err(mpsc::error::TryRecvError::Disconnected) => return Drained::Disconnected,
            }
        }
    }

    /// Stops accepting items and hands what is left to `take` (to be
    /// counted as dropped).
    pub fn close(&mut self, take: impl FnMut(T)) {
        self.items.close();
        self.drain(take);
    }
}

/// Sends a control message and waits for the worker's answer (immediately
/// when the worker has already stopped).
pub async fn request(ctl: &mpsc::Sender<Control>, make: fn(oneshot::Sender<()>) -> Control) {
    let (tx, rx) = oneshot::channel();
    if ctl.send(make(tx)).await.is_ok() {
        let _ = rx.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_xray::operation::put_trace_segments::PutTraceSegmentsError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;
    use std::sync::atomic::Ordering;

    fn service_error(status: u16, code: &str) -> SdkError<PutTraceSegmentsError, HttpResponse> {
        SdkError::service_error(
            PutTraceSegmentsError::generic(ErrorMetadata::builder().code(code).build()),
            HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn outages_and_throttling_are_retried_validation_errors_are_not() {
        assert!(is_retryable(&service_error(500, "InternalFailure")));
        assert!(is_retryable(&service_error(503, "ServiceUnavailable")));
        assert!(is_retryable(&service_error(
            429,
            "TooManyRequestsException"
        )));
        // X-Ray and CloudWatch throttle with a 400 and a code.
        assert!(is_retryable(&service_error(400, "ThrottledException")));
        assert!(is_retryable(&service_error(400, "Throttling")));
        assert!(is_retryable(
            &SdkError::<PutTraceSegmentsError, HttpResponse>::timeout_error("slow")
        ));
        assert!(!is_retryable(&service_error(
            400,
            "InvalidRequestException"
        )));
        assert!(!is_retryable(&service_error(403, "AccessDeniedException")));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_are_bounded_and_counted() {
        let counters = SignalCounters::default();
        let mut calls = 0;
        let r: Result<
            (),
            SdkError<
                aws_sdk_xray::operation::put_trace_segments::PutTraceSegmentsError,
                HttpResponse,
            >,
        > = with_retries(RetryPolicy::default(), &counters, || {
            calls += 1;
            async { Err(SdkError::timeout_error("slow")) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 4);
        assert_eq!(counters.errors.load(Ordering::Relaxed), 4);
        assert_eq!(counters.retries.load(Ordering::Relaxed), 3);
    }

    /// Polls the doorbell once: did the request side ring?
    fn rang(bell: &Doorbell) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut rung = std::pin::pin!(bell.rung());
        rung.as_mut().poll(&mut cx).is_ready()
    }

    #[test]
    fn the_worker_is_woken_once_per_quarter_queue_not_per_item() {
        let counters = Arc::new(SignalCounters::default());
        let (inlet, outlet) = Inlet::new(8, counters.clone());
        let Outlet { mut queue, .. } = outlet;
        let bell = queue.doorbell();
        inlet.offer(1, 1);
        assert!(!rang(&bell), "one item of eight does not wake the worker");
        inlet.offer(2, 1);
        inlet.offer(3, 1);
        inlet.offer(4, 1);
        assert!(rang(&bell), "a quarter of the queue rings once");
        assert!(!rang(&bell), "and not again before the worker drained");
        let mut got = Vec::new();
        assert_eq!(queue.drain(|i| got.push(i)), Drained::Empty);
        assert_eq!(got, [1, 2, 3, 4]);
        inlet.offer(5, 1);
        inlet.offer(6, 1);
        assert!(rang(&bell), "draining re-arms the doorbell");
        // The queue holds eight: 7..=12 fit, 13..=20 are dropped and
        // counted, and offering never blocks.
        for i in 7..=20 {
            inlet.offer(i, 1);
        }
        assert_eq!(counters.dropped.load(Ordering::Relaxed), 8);
        drop(inlet);
        got.clear();
        assert_eq!(queue.drain(|i| got.push(i)), Drained::Disconnected);
        assert_eq!(got, [5, 6, 7, 8, 9, 10, 11, 12]);
    }
}
