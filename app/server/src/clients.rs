//! Calls to other services of the shop (split-service mode): an HTTP client
//! that opens a client span, injects the trace context into the request
//! headers, and records `http.client.request.duration` — and the inventory
//! client built on it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use telemetry_api::metrics::Histogram;
use telemetry_api::trace::span_context;
use telemetry_api::{KeyValue, Telemetry, Value, semconv};
use tracing::{Instrument, field::Empty};

use crate::http::error::ApiError;
use crate::http::inventory::{self, Availability, StockRequest};
use shop_core::db::Db;

/// An instrumented HTTP client for service-to-service calls.
#[derive(Clone)]
pub struct Outbound {
    http: reqwest::Client,
    telemetry: Telemetry,
    duration: Histogram,
}

impl Outbound {
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
    ) -> Result<R, ApiError> {
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
        // The callee continues this trace with the client span as parent.
        let mut headers = HeaderMap::new();
        if let Some(ctx) = span_context(&span) {
            self.telemetry.propagator().inject(&ctx, &mut headers);
        }
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
                            ApiError::Upstream {
                                service: peer,
                                message: format!("unreadable answer: {e}"),
                            }
                        })
                } else {
                    span.record(semconv::ERROR_TYPE, status.as_str());
                    Err(ApiError::Upstream {
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
                Err(ApiError::Unavailable { what: peer })
            }
        };
        self.duration.record(start.elapsed().as_secs_f64(), &attrs);
        outcome
    }
}

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

/// How the orders part of the shop reaches inventory: in-process when one
/// process serves everything, over HTTP when the services are split.
#[derive(Clone)]
pub enum InventoryClient {
    Local(Db),
    Remote {
        outbound: Outbound,
        base_url: Arc<str>,
    },
}

impl InventoryClient {
    /// Whether the stock on hand covers every requested quantity.
    pub async fn check(&self, items: &[StockRequest]) -> Result<Availability, ApiError> {
        match self {
            InventoryClient::Local(db) => {
                inventory::check_availability(db, items)
                    .instrument(tracing::info_span!(
                        "inventory.check",
                        span.kind = "internal"
                    ))
                    .await
            }
            InventoryClient::Remote { outbound, base_url } => {
                #[derive(Serialize)]
                struct Body<'a> {
                    items: &'a [StockRequest],
                }
                outbound
                    .post_json(
                        "shop-inventory",
                        base_url,
                        "/api/inventory/check",
                        &Body { items },
                    )
                    .await
            }
        }
    }
}
