//! The instrumented HTTP client for service-to-service calls (split mode):
//! each call is a client span whose context travels in the request headers,
//! and its duration is recorded in `http.client.request.duration`.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telemetry_api::metrics::Histogram;
use telemetry_api::trace::span_context;
use telemetry_api::{KeyValue, Telemetry, Value, semconv};
use tracing::{Instrument, field::Empty};

use super::Error;

/// An instrumented HTTP client for service-to-service calls. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    telemetry: Telemetry,
    duration: Histogram,
    /// The fault flags (`inventory_latency_ms`); off unless [`Outbound::with_faults`].
    faults: crate::faults::Faults,
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
        }
    }

    /// POSTs `body` as JSON to `base_url` + `path` on the service `peer`
    /// and decodes a 2xx JSON answer. `path` is a route template-free path
    /// (it is also the span name).
    pub async fn post_json<B: Serialize, R: DeserializeOwned>(
        &self,
        peer: &'static str,
        base_url: &str,
        path: &'static str,
        body: &B,
    ) -> Result<R, Error> {
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
                            Error::Upstream {
                                service: peer,
                                message: format!("unreadable answer: {e}"),
                            }
                        })
                } else {
                    span.record(semconv::ERROR_TYPE, status.as_str());
                    Err(Error::Upstream {
                        service: peer,
                        message: format!("answered {status}"),
                    })
                }
            }
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "connect_error"
                };
                span.record(semconv::ERROR_TYPE, kind);
                attrs.push(KeyValue::new(semconv::ERROR_TYPE, kind));
                span.in_scope(
                    || tracing::warn!(error = %e, peer.service = peer, "service call failed"),
                );
                Err(Error::Unavailable { service: peer })
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
