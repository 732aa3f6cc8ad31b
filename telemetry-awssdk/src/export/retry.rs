//! Sending a batch with counted retries: exponential backoff with full
//! jitter, a bounded number of attempts, and which AWS errors are worth
//! repeating. The SDK's own retries are turned off so that every retry is
//! counted here.

use std::time::Duration;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use telemetry_api::export::SignalCounters;

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
}
