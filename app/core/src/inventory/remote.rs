//! The instrumented HTTP client for service-to-service calls (split mode):
//! each call is a client span whose context travels in the request headers,
//! and its duration is recorded in `http.client.request.duration`.
//!
//! Calls go through a circuit breaker (`crate::resilience`): after a run of
//! failures they are refused at once, as `Unavailable` (a 503 with
//! `Retry-After` to the shopper), until a trial call finds the service back.
//! An idempotent call ([`Outbound::post_json`] with `Idempotent::Yes`) is
//! also retried, a couple of times with short jittered delays, when it
//! failed on the way (a refused connection, a 502/503/504): each try is its
//! own client span, so a trace shows them.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telemetry_api::metrics::Histogram;
use telemetry_api::trace::span_context;
use telemetry_api::{KeyValue, Telemetry, Value, semconv};
use tracing::{Instrument, field::Empty};

use super::Error;
use crate::resilience::{self, Breaker};

/// An instrumented HTTP client for service-to-service calls. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    telemetry: Telemetry,
    duration: Histogram,
    /// The fault flags (`inventory_latency_ms`); off unless [`Outbound::with_faults`].
    faults: crate::faults::Faults,
    /// The circuit breaker of the service called; none unless [`Outbound::with_breaker`].
    breaker: Option<Breaker>,
}

/// Whether a call may be repeated without harm (a read, or a write the
/// callee deduplicates): only such calls are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotent {
    Yes,
    No,
}

/// How many more tries an idempotent call gets after a failure on the way.
pub const RETRIES: usize = 2;

/// One try that failed: the error, whether trying again may help, and
/// whether it says the callee is down (what the breaker counts; a 4xx is the
/// callee answering, so it does not).
struct Failed {
    error: Error,
    retry: bool,
    callee_down: bool,
}

impl Outbound {
    /// These calls with the fault flags `faults` (docs/faults.md).
    pub fn with_faults(mut self, faults: crate::faults::Faults) -> Outbound {
        self.faults = faults;
        self
    }

    /// The fault flags these calls run with.
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.faults
    }

    /// These calls behind `breaker` (one breaker per service called).
    pub fn with_breaker(mut self, breaker: Breaker) -> Outbound {
        self.breaker = Some(breaker);
        self
    }

    /// The circuit breaker these calls go through, if any.
    pub fn breaker(&self) -> Option<&Breaker> {
        self.breaker.as_ref()
    }

    /// A client whose calls propagate `telemetry`'s trace context and record
    /// into `duration`.
    pub fn new(telemetry: Telemetry, duration: Histogram) -> Outbound {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_default();
        Outbound {
            http,
            telemetry,
            duration,
            faults: crate::faults::Faults::off(),
            breaker: None,
        }
    }

    /// POSTs `body` as JSON to `base_url` + `path` on the service `peer`
    /// and decodes a 2xx JSON answer. `path` is a route template-free path
    /// (it is also the span name). Through the breaker, when there is one;
    /// retried when `idempotent` and the failure was on the way.
    pub async fn post_json<B: Serialize, R: DeserializeOwned>(
        &self,
        peer: &'static str,
        base_url: &str,
        path: &'static str,
        body: &B,
        idempotent: Idempotent,
    ) -> Result<R, Error> {
        use backon::Retryable;
        let retries = match idempotent {
            Idempotent::Yes => RETRIES,
            Idempotent::No => 0,
        };
        let once = || async {
            if let Some(breaker) = &self.breaker
                && !breaker.permits()
            {
                tracing::warn!(
                    peer.service = peer,
                    shop.circuit.name = breaker.name(),
                    "service call refused: the circuit is open"
                );
                return Err(Failed {
                    error: Error::Unavailable { service: peer },
                    retry: false,
                    callee_down: false,
                });
            }
            let result = self.attempt(peer, base_url, path, body).await;
            if let Some(breaker) = &self.breaker {
                match &result {
                    Err(f) if f.callee_down => breaker.failed(),
                    _ => breaker.succeeded(),
                }
            }
            result
        };
        once.retry(resilience::quick_retries(retries))
            .sleep(tokio::time::sleep)
            .when(|f: &Failed| f.retry)
            .notify(|f: &Failed, after: Duration| {
                tracing::info!(
                    peer.service = peer,
                    error = %f.error,
                    retry_in_ms = after.as_millis() as u64,
                    "service call failed on the way; trying again"
                );
            })
            .await
            .map_err(|f| f.error)
    }

    /// One try of [`Outbound::post_json`]: one client span, one duration.
    async fn attempt<B: Serialize, R: DeserializeOwned>(
        &self,
        peer: &'static str,
        base_url: &str,
        path: &'static str,
        body: &B,
    ) -> Result<R, Failed> {
        let url = format!("{base_url}{path}");
        let (host, port) = host_and_port(&url);
        let span = tracing::info_span!(
            "HTTP call",
            span.name = %format_args!("POST {path}"),
            span.kind = "client",
            http.request.method = "POST",
            url.full = %url,
            server.address = host.as_str(),
            server.port = port,
            peer.service = peer,
            http.response.status_code = Empty,
            error.type = Empty,
        );
        let headers = self.trace_headers(&span);
        let start = Instant::now();
        let result = self
            .http
            .post(&url)
            .headers(headers)
            .json(body)
            .send()
            .instrument(span.clone())
            .await;
        let mut attrs = vec![
            KeyValue::new(semconv::HTTP_REQUEST_METHOD, "POST"),
            KeyValue::new(semconv::SERVER_ADDRESS, host),
            KeyValue::new(semconv::PEER_SERVICE, peer),
        ];
        let outcome = match result {
            Ok(response) => {
                let status = response.status();
                span.record(semconv::HTTP_RESPONSE_STATUS_CODE, status.as_u16());
                attrs.push(KeyValue::new(
                    semconv::HTTP_RESPONSE_STATUS_CODE,
                    Value::I64(i64::from(status.as_u16())),
                ));
                if status.is_success() {
                    response
                        .json::<R>()
                        .instrument(span.clone())
                        .await
                        .map_err(|e| {
                            span.record(semconv::ERROR_TYPE, "invalid_response");
                            Failed {
                                error: Error::Upstream {
                                    service: peer,
                                    message: format!("unreadable answer: {e}"),
                                },
                                retry: false,
                                callee_down: true,
                            }
                        })
                } else {
                    span.record(semconv::ERROR_TYPE, status.as_str());
                    // A 502/503/504 is the callee (or what fronts it) busy or
                    // away for now: worth another try, and if it stays so,
                    // the caller too is unavailable for now (a 503 with
                    // Retry-After, not a 502: `make chaos` found that). Any
                    // 5xx says it is failing; a 4xx is an answer.
                    let away = matches!(status.as_u16(), 502..=504);
                    Err(Failed {
                        error: if away {
                            Error::Unavailable { service: peer }
                        } else {
                            Error::Upstream {
                                service: peer,
                                message: format!("answered {status}"),
                            }
                        },
                        retry: away,
                        callee_down: status.is_server_error(),
                    })
                }
            }
            Err(e) => {
                let timed_out = e.is_timeout();
                let kind = if timed_out {
                    "timeout"
                } else {
                    "connect_error"
                };
                span.record(semconv::ERROR_TYPE, kind);
                attrs.push(KeyValue::new(semconv::ERROR_TYPE, kind));
                span.in_scope(
                    || tracing::warn!(error = %e, peer.service = peer, "service call failed"),
                );
                // A refused connection costs nothing to try again; a timeout
                // already cost the caller the whole timeout, so it is not
                // repeated (the breaker counts both).
                Err(Failed {
                    error: Error::Unavailable { service: peer },
                    retry: !timed_out,
                    callee_down: true,
                })
            }
        };
        self.duration.record(start.elapsed().as_secs_f64(), &attrs);
        outcome
    }

    /// The propagation headers that make the callee continue this trace
    /// with the client `span` as its parent (empty when the span is not
    /// recorded). Kept apart so a change to the contract's context types
    /// touches only this function.
    fn trace_headers(&self, span: &tracing::Span) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(ctx) = span_context(span) {
            self.telemetry.propagator().inject(&ctx, &mut headers);
        }
        headers
    }
}

/// The host and port of `url` (the scheme's default port when none is given).
fn host_and_port(url: &str) -> (String, i64) {
    let https = url.starts_with("https://");
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
            (h.to_owned(), p.parse().unwrap_or(0))
        }
        _ => (authority.to_owned(), if https { 443 } else { 80 }),
    }
}

#[cfg(test)]
mod tests {
    use super::host_and_port;

    #[test]
    fn host_and_port_with_and_without_a_port() {
        assert_eq!(
            host_and_port("http://127.0.0.1:8083/api/inventory/check"),
            ("127.0.0.1".to_owned(), 8083)
        );
        assert_eq!(
            host_and_port("http://inventory/x"),
            ("inventory".to_owned(), 80)
        );
        assert_eq!(
            host_and_port("https://inventory"),
            ("inventory".to_owned(), 443)
        );
    }
}
