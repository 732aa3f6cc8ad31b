//! The RUM intake: the browser's telemetry, received on the shop's own
//! origin and relayed through the telemetry contract.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/rum/config` | what the browser needs: on or off, the propagation header of the backend in use, the endpoints; and CloudWatch RUM's app monitor, when the shop has one, for AWS's own web client |
//! | `POST /api/rum/v1/traces` | OTLP/HTTP (JSON or protobuf): spans → [`Telemetry::relay_span`] |
//! | `POST /api/rum/v1/logs` | OTLP/HTTP: log records (the UI's errors, and its custom events: [`catalogue::EVENTS`]) → [`Telemetry::relay_log`] |
//! | `POST /api/rum/v1/metrics` | OTLP/HTTP: the Web Vitals and the UI's own metrics (page views, errors, clicks, cart, funnel, render times) → the shop's instruments ([`metrics`]) |
//! | `POST /api/rum/v1/replay` | a chunk of a session's recording (rrweb), masked again and kept in S3, not relayed ([`replay`]) |
//!
//! Whichever backend is compiled in ships what arrives: `awssdk` to X-Ray
//! (a `shop-web` segment in front of the shop's), CloudWatch Logs and
//! metrics; `otel` to the collector under the `shop-web` resource. This is
//! the shop's stand-in for CloudWatch RUM's data plane, and for the
//! collector's OTLP receiver exposed to browsers.
//!
//! The browser is not trusted: bodies are limited ([`MAX_BODY`]), each
//! client address is rate-limited ([`limit`]), every field is checked
//! ([`spans`], [`logs`], [`metrics`]) and attributes are allowlisted
//! ([`attributes`]); metric dimensions and event names are closed lists
//! ([`catalogue`], [`routes`]). Malformed input is a 400 naming the field; records the
//! shop will not keep for another reason (a clock far off) are counted in
//! OTLP's `partialSuccess`.
//!
//! These routes are not traced themselves: the intake would otherwise make
//! a server span per export, telemetry about telemetry that CloudWatch RUM
//! does not produce either. They are counted (`shop.rum.items`) instead.

pub mod attributes;
pub mod catalogue;
pub mod limit;
pub mod logs;
pub mod metrics;
pub mod replay;
pub mod routes;
pub mod spans;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use opentelemetry_proto::tonic::resource::v1::Resource as OtlpResource;
use serde::Serialize;
use telemetry_api::metrics::{Counter, Unit};
use telemetry_api::propagation::Injector;
use telemetry_api::{KeyValue, Resource, SpanContext, SpanId, Telemetry, TraceId};
use tower_http::catch_panic::CatchPanicLayer;

use crate::http::error::{self, ApiError};
use limit::ClientLimiter;

/// The largest request body (OTLP's own exporters batch well under this).
pub const MAX_BODY: usize = 256 * 1024;
/// Most spans, log records or data points in one request.
pub const MAX_ITEMS: usize = 512;
/// The browser app's service name: the producer the shop relays for.
pub const SERVICE_NAME: &str = "shop-web";

/// How the intake is set up (`--rum-*`).
#[derive(Clone, Debug)]
pub struct RumSettings {
    /// Requests a client may make per minute (each of the three signals counts).
    pub rate_per_minute: u32,
    /// The share of page views the browser traces (0..=1).
    pub sample_ratio: f64,
    /// How often the browser sends what it has (ms).
    pub export_interval_ms: u32,
    /// Where session recordings go (`--rum-replay-bucket`); `None`: replay is off.
    pub replay: Option<shop_core::objects::ObjectStoreSettings>,
    /// The share of tab sessions the browser records when replay is on (0..=1).
    pub replay_sample_ratio: f64,
    /// CloudWatch RUM's own web client beside the intake (`--cloudwatch-rum-*`); `None`: off.
    pub cloudwatch: Option<CloudWatchRumSettings>,
}

/// Where CloudWatch RUM's web client sends, checked at start-up (`config.rs`).
#[derive(Clone, Debug)]
pub struct CloudWatchRumSettings {
    pub app_monitor_id: String,
    pub region: String,
    /// The data plane's base URL, without a trailing `/`.
    pub endpoint: String,
    /// Both or neither (checked at start-up): Cognito guest credentials sign the calls.
    pub identity_pool_id: Option<String>,
    pub guest_role_arn: Option<String>,
}

impl Default for RumSettings {
    fn default() -> Self {
        RumSettings {
            rate_per_minute: 120,
            sample_ratio: 1.0,
            export_interval_ms: 5000,
            replay: None,
            replay_sample_ratio: 0.1,
            cloudwatch: None,
        }
    }
}

/// The intake's shared state.
#[derive(Clone)]
pub struct RumState {
    telemetry: Telemetry,
    producer: Arc<Resource>,
    settings: RumSettings,
    limiter: Arc<ClientLimiter>,
    metrics: metrics::Instruments,
    items: Counter,
    /// Where recordings go; `None`: replay is off.
    replays: Option<shop_core::objects::ObjectStore>,
}

impl RumState {
    pub fn new(telemetry: Telemetry, settings: RumSettings) -> RumState {
        let shop = telemetry.resource();
        let producer = Resource {
            service_name: SERVICE_NAME.to_owned(),
            service_version: shop.service_version.clone(),
            service_namespace: shop.service_namespace.clone(),
            environment: shop.environment.clone(),
            // Browsers are many and not ours to name: no instance, host or pid.
            instance_id: String::new(),
            host_name: String::new(),
            process_pid: 0,
            attributes: vec![("telemetry.sdk.language".to_owned(), "webjs".to_owned())],
        };
        let meter = telemetry.meter();
        RumState {
            metrics: metrics::Instruments::new(meter, &shop.service_version),
            items: meter.counter(
                "shop.rum.items",
                Unit::count("{item}"),
                "Browser telemetry items the RUM intake received, by signal and outcome",
            ),
            limiter: Arc::new(ClientLimiter::new(settings.rate_per_minute)),
            producer: Arc::new(producer),
            telemetry,
            settings,
            replays: None,
        }
    }

    /// Session replay on, kept in `store`.
    pub fn with_replays(mut self, store: Option<shop_core::objects::ObjectStore>) -> RumState {
        self.replays = store;
        self
    }

    fn count(&self, signal: &'static str, outcome: &'static str, n: usize) {
        if n > 0 {
            self.items.add(
                n as u64,
                &[
                    KeyValue::new("signal", signal),
                    KeyValue::new("outcome", outcome),
                ],
            );
        }
    }
}

/// The intake's routes, with their own panic catcher (they sit outside the
/// API's layers, see the module docs).
pub fn router(state: RumState) -> Router {
    Router::new()
        .route("/api/rum/config", get(config))
        .route("/api/rum/v1/traces", post(traces))
        .route("/api/rum/v1/logs", post(logs_route))
        .route("/api/rum/v1/metrics", post(metrics))
        .route("/api/rum/v1/replay", post(replay::replay))
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::Internal("RUM intake panicked".to_owned()).into_response()
            },
        ))
        .with_state(state)
}

/// What the browser needs to instrument itself.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RumConfig {
    /// False when the shop runs without telemetry (`noop`): the UI then sends nothing to the
    /// intake (CloudWatch RUM's client, `cloudwatch_rum`, is told apart).
    pub enabled: bool,
    /// `awssdk`, `otel`, `noop`…
    pub backend: &'static str,
    pub service_name: &'static str,
    pub service_version: String,
    pub environment: String,
    /// The header the browser adds to its API calls: `tracecontext`
    /// (`traceparent`) or `xray` (`X-Amzn-Trace-Id`).
    #[schema(example = "tracecontext")]
    pub propagator: &'static str,
    /// `xray` when trace ids must start with the epoch seconds (X-Ray's), else `random`.
    pub id_generator: &'static str,
    /// The share of page views traced.
    pub sample_ratio: f64,
    pub export_interval_ms: u32,
    pub endpoints: RumEndpoints,
    pub replay: ReplayConfig,
    /// CloudWatch RUM's own web client (`aws-rum-web`), run beside the OpenTelemetry SDK; null
    /// unless the shop was given an app monitor (`--cloudwatch-rum-app-monitor-id`). It does not
    /// depend on `enabled`: it sends to AWS, not through the shop's backend.
    pub cloudwatch_rum: Option<CloudWatchRumConfig>,
}

/// CloudWatch RUM's web client, as the browser starts it (docs/rum.md, "CloudWatch RUM's own
/// client, side by side").
#[derive(Serialize, utoipa::ToSchema)]
pub struct CloudWatchRumConfig {
    /// The app monitor's id (a UUID).
    #[schema(example = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081")]
    pub app_monitor_id: String,
    /// The app monitor's region.
    #[schema(example = "us-east-1")]
    pub region: String,
    /// Where the client sends `PutRumEvents` (`POST {endpoint}/appmonitors/{app_monitor_id}`).
    #[schema(example = "https://dataplane.rum.us-east-1.amazonaws.com")]
    pub endpoint: String,
    /// The Cognito identity pool whose guest credentials sign the calls; null: the calls go
    /// unsigned (the app monitor's resource-based policy allows `rum:PutRumEvents`).
    pub identity_pool_id: Option<String>,
    /// The role the identity pool's guests assume; null exactly when `identity_pool_id` is.
    pub guest_role_arn: Option<String>,
    /// The share of sessions the client records (0 to 1): the intake's `sample_ratio`, so that
    /// both clients see the same share of the traffic.
    pub session_sample_rate: f64,
    /// What the client records, in `aws-rum-web`'s names: `errors`, `performance` (navigation,
    /// resource timings, Web Vitals), `http` (the page's failed fetches, or all of them as X-Ray
    /// segments when `enable_xray`).
    #[schema(example = json!(["errors", "performance", "http"]))]
    pub telemetries: Vec<&'static str>,
    /// Whether the client sends X-Ray segments of the page's fetches: when the shop's traces
    /// are X-Ray's too (its propagator writes `X-Amzn-Trace-Id`: the `awssdk` backend, and the
    /// `otel` backend with `OTEL_PROPAGATORS=xray`, as in AWS, where ADOT exports to X-Ray).
    pub enable_xray: bool,
}

/// Session replay, as the browser needs it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReplayConfig {
    /// False unless the shop keeps recordings (`--rum-replay-bucket`).
    pub enabled: bool,
    /// The share of tab sessions recorded.
    pub sample_ratio: f64,
    pub endpoint: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RumEndpoints {
    pub traces: &'static str,
    pub logs: &'static str,
    pub metrics: &'static str,
}

/// `GET /api/rum/config`.
#[utoipa::path(get, path = "/api/rum/config", tag = "rum",
    responses((status = 200, description = "The browser's telemetry settings", body = RumConfig)))]
pub async fn config(State(state): State<RumState>) -> Response {
    let t = &state.telemetry;
    let (propagator, id_generator) = header_of(t);
    let body = RumConfig {
        enabled: t.backend_name() != "noop",
        backend: t.backend_name(),
        service_name: SERVICE_NAME,
        service_version: state.producer.service_version.clone(),
        environment: state.producer.environment.clone(),
        propagator,
        id_generator,
        sample_ratio: state.settings.sample_ratio,
        export_interval_ms: state.settings.export_interval_ms,
        endpoints: RumEndpoints {
            traces: "/api/rum/v1/traces",
            logs: "/api/rum/v1/logs",
            metrics: "/api/rum/v1/metrics",
        },
        replay: ReplayConfig {
            enabled: t.backend_name() != "noop" && state.replays.is_some(),
            sample_ratio: state.settings.replay_sample_ratio,
            endpoint: "/api/rum/v1/replay",
        },
        cloudwatch_rum: state
            .settings
            .cloudwatch
            .as_ref()
            .map(|c| CloudWatchRumConfig {
                app_monitor_id: c.app_monitor_id.clone(),
                region: c.region.clone(),
                endpoint: c.endpoint.clone(),
                identity_pool_id: c.identity_pool_id.clone(),
                guest_role_arn: c.guest_role_arn.clone(),
                session_sample_rate: state.settings.sample_ratio,
                telemetries: vec!["errors", "performance", "http"],
                enable_xray: propagator == "xray",
            }),
    };
    // The backend does not change while the shop runs; a page may keep this a minute.
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(body)).into_response()
}

/// The propagation header and id scheme of the backend in use, read off the
/// backend itself: the header its propagator writes, and whether it writes
/// trace ids X-Ray's way.
fn header_of(t: &Telemetry) -> (&'static str, &'static str) {
    struct Keys(Vec<&'static str>);
    impl Injector for Keys {
        fn set(&mut self, key: &'static str, _: String) {
            self.0.push(key);
        }
    }
    let mut keys = Keys(Vec::new());
    let probe = SpanContext::remote(
        TraceId(0x5f00_0000_0000_0000_0000_0000_0000_0001),
        SpanId(1),
        true,
    );
    t.propagator().inject(&probe, &mut keys);
    let xray_header = keys
        .0
        .iter()
        .any(|k| k.eq_ignore_ascii_case("x-amzn-trace-id"));
    let w3c_header = keys.0.iter().any(|k| k.eq_ignore_ascii_case("traceparent"));
    let propagator = if xray_header && !w3c_header {
        "xray"
    } else {
        "tracecontext"
    };
    let ids = if t.format_trace_id(probe.trace_id).starts_with("1-") {
        "xray"
    } else {
        "random"
    };
    (propagator, ids)
}

/// `POST /api/rum/v1/traces`.
#[utoipa::path(post, path = "/api/rum/v1/traces", tag = "rum",
    request_body(content = Object, description = "An OTLP ExportTraceServiceRequest (OTLP/JSON, or protobuf)", content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted; partialSuccess counts spans not kept", body = Object),
        (status = 400, description = "Malformed: the error names the field", body = error::ErrorBody),
        (status = 413, description = "Body over 256 KiB", body = error::ErrorBody),
        (status = 415, description = "Not application/json or application/x-protobuf", body = error::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = error::ErrorBody),
    ))]
pub async fn traces(
    State(state): State<RumState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let s = state.clone();
    intake(
        &state,
        client,
        request,
        "traces",
        "rejectedSpans",
        spans::convert,
        |spans| {
            for span in spans {
                s.telemetry.relay_span(span);
            }
        },
    )
    .await
}

/// `POST /api/rum/v1/logs`.
#[utoipa::path(post, path = "/api/rum/v1/logs", tag = "rum",
    request_body(content = Object, description = "An OTLP ExportLogsServiceRequest (OTLP/JSON, or protobuf)", content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted; partialSuccess counts records not kept", body = Object),
        (status = 400, description = "Malformed: the error names the field", body = error::ErrorBody),
        (status = 413, description = "Body over 256 KiB", body = error::ErrorBody),
        (status = 415, description = "Not application/json or application/x-protobuf", body = error::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = error::ErrorBody),
    ))]
pub async fn logs_route(
    State(state): State<RumState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let s = state.clone();
    intake(
        &state,
        client,
        request,
        "logs",
        "rejectedLogRecords",
        logs::convert,
        |records| {
            for record in &records {
                s.telemetry.relay_log(record);
            }
        },
    )
    .await
}

/// `POST /api/rum/v1/metrics`.
#[utoipa::path(post, path = "/api/rum/v1/metrics", tag = "rum",
    request_body(content = Object, description = "An OTLP ExportMetricsServiceRequest: the browser metrics of rum::metrics::METRICS, as delta histograms and sums (OTLP/JSON, or protobuf)", content_type = "application/json"),
    responses(
        (status = 200, description = "Accepted; partialSuccess counts data points not kept", body = Object),
        (status = 400, description = "Malformed: the error names the field", body = error::ErrorBody),
        (status = 413, description = "Body over 256 KiB", body = error::ErrorBody),
        (status = 415, description = "Not application/json or application/x-protobuf", body = error::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = error::ErrorBody),
    ))]
pub async fn metrics(
    State(state): State<RumState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let s = state.clone();
    intake(
        &state,
        client,
        request,
        "metrics",
        "rejectedDataPoints",
        metrics::convert,
        |points| {
            for m in &points {
                m.record(&s.metrics);
            }
        },
    )
    .await
}

/// A signal's checks: the decoded request, for the producer, in the time window.
type Convert<R, T> = fn(R, &Arc<Resource>, &Window) -> Result<Converted<T>, ApiError>;

/// One export, whatever its signal: the client's rate, the body, the checks (`convert`), the
/// counts, then `ship` with what was kept; OTLP's answer.
async fn intake<R, T>(
    state: &RumState,
    client: SocketAddr,
    request: Request,
    signal: &'static str,
    rejected_field: &str,
    convert: Convert<R, T>,
    ship: impl FnOnce(Vec<T>),
) -> Result<Response, ApiError>
where
    R: prost::Message + Default + for<'de> serde::Deserialize<'de>,
{
    state.limiter.check(client.ip())?;
    let otlp: R = decode(request).await?;
    let converted = convert(otlp, &state.producer, &Window::now())?;
    state.count(signal, "accepted", converted.items.len());
    state.count(signal, "rejected", converted.rejected as usize);
    let response = converted.response(rejected_field);
    ship(converted.items);
    Ok(response)
}

/// The body as an OTLP request: JSON (what browser exporters send) or
/// protobuf, identity-encoded, at most [`MAX_BODY`] bytes.
async fn decode<T>(request: Request) -> Result<T, ApiError>
where
    T: prost::Message + Default + for<'de> serde::Deserialize<'de>,
{
    let headers: &HeaderMap = request.headers();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let json =
        if content_type.starts_with("application/json") || content_type.starts_with("text/plain") {
            // `text/plain`: what `navigator.sendBeacon` sends for a string body.
            true
        } else if content_type.starts_with("application/x-protobuf") {
            false
        } else {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json or application/x-protobuf",
            });
        };
    if let Some(encoding) = headers.get(header::CONTENT_ENCODING)
        && !encoding.as_bytes().eq_ignore_ascii_case(b"identity")
    {
        return Err(ApiError::BadRequest {
            code: "unsupported_encoding",
            message: "Content-Encoding is not supported here: send the body uncompressed"
                .to_owned(),
        });
    }
    let body: Body = request.into_body();
    let bytes =
        axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| ApiError::PayloadTooLarge {
                limit: MAX_BODY,
                field: None,
            })?;
    if json {
        // An object: serde would also read a struct from a JSON array (`[]` as an empty request).
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::BadRequest {
                code: "invalid_otlp",
                message: "not an OTLP/JSON export request: the body must be a JSON object"
                    .to_owned(),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
            code: "invalid_otlp",
            message: format!("not an OTLP/JSON export request: {e}"),
        })
    } else {
        T::decode(bytes).map_err(|e| ApiError::BadRequest {
            code: "invalid_otlp",
            message: format!("not an OTLP protobuf export request: {e}"),
        })
    }
}

/// What one request yields: the records kept, and those rejected alone.
pub struct Converted<T> {
    pub items: Vec<T>,
    pub rejected: u64,
    /// The first rejection's reason (OTLP's `errorMessage`).
    pub reason: Option<String>,
}

impl<T> Default for Converted<T> {
    fn default() -> Self {
        Converted {
            items: Vec::new(),
            rejected: 0,
            reason: None,
        }
    }
}

impl<T> Converted<T> {
    fn reject(&mut self, reason: String) {
        self.rejected += 1;
        self.reason.get_or_insert(reason);
    }

    /// OTLP/HTTP's answer: `{}` when everything was kept, else
    /// `{"partialSuccess": {"<rejected_field>": "n", "errorMessage": …}}`.
    fn response(&self, rejected_field: &str) -> Response {
        let body = match &self.reason {
            None => serde_json::json!({}),
            Some(reason) => serde_json::json!({
                "partialSuccess": {
                    rejected_field: self.rejected.to_string(),
                    "errorMessage": format!("{} not kept; the first: {reason}", self.rejected),
                }
            }),
        };
        Json(body).into_response()
    }
}

/// The times the intake accepts: a browser's clock may be off, but not by
/// hours (X-Ray refuses documents far in the past or future too).
pub struct Window {
    now: SystemTime,
}

impl Window {
    /// How far back an item may be (a tab that was asleep, then flushed).
    const PAST: Duration = Duration::from_secs(6 * 3600);
    /// How far ahead (a fast clock).
    const FUTURE: Duration = Duration::from_secs(600);

    pub fn now() -> Window {
        Window {
            now: SystemTime::now(),
        }
    }

    pub fn check(&self, t: SystemTime) -> Result<(), String> {
        if t + Self::PAST < self.now {
            Err("older than 6 hours".to_owned())
        } else if t > self.now + Self::FUTURE {
            Err("more than 10 minutes in the future".to_owned())
        } else {
            Ok(())
        }
    }
}

/// A 400 naming the field.
pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Validation {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// Nanoseconds since the epoch as a time.
pub fn time(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

pub fn trace_id(bytes: &[u8]) -> Option<TraceId> {
    let id = TraceId(u128::from_be_bytes(bytes.try_into().ok()?));
    id.is_valid().then_some(id)
}

pub fn span_id(bytes: &[u8]) -> Option<SpanId> {
    let id = SpanId(u64::from_be_bytes(bytes.try_into().ok()?));
    id.is_valid().then_some(id)
}

/// Every resource in a request must be the browser app's.
pub fn check_producer(
    resource: Option<&OtlpResource>,
    producer: &Resource,
    at: &str,
) -> Result<(), ApiError> {
    let name = resource.and_then(|r| attributes::string(&r.attributes, "service.name"));
    if name == Some(producer.service_name.as_str()) {
        Ok(())
    } else {
        Err(invalid(
            &format!("{at}.attributes.service.name"),
            format!(
                "must be {:?}: the intake relays the shop's own browser app only",
                producer.service_name
            ),
        ))
    }
}

/// The instrumentation scope as the record's `target`: the browser
/// instrumentations the UI uses by name, anything else as the app.
pub fn scope_target(scope: Option<&str>) -> &'static str {
    const KNOWN: [&str; 4] = [
        "@opentelemetry/instrumentation-fetch",
        "@opentelemetry/instrumentation-document-load",
        "@opentelemetry/instrumentation-user-interaction",
        "@opentelemetry/instrumentation-xml-http-request",
    ];
    scope
        .and_then(|s| KNOWN.iter().copied().find(|k| *k == s))
        .unwrap_or(SERVICE_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_takes_a_clock_a_little_off_and_refuses_one_far_off() {
        let w = Window::now();
        assert!(w.check(w.now - Duration::from_secs(3600)).is_ok());
        assert!(w.check(w.now + Duration::from_secs(60)).is_ok());
        assert!(w.check(w.now - Duration::from_secs(7 * 3600)).is_err());
        assert!(w.check(w.now + Duration::from_secs(3600)).is_err());
    }

    #[test]
    fn ids_must_have_their_length_and_not_be_zero() {
        assert_eq!(trace_id(&[0; 16]), None);
        assert_eq!(trace_id(&[1; 8]), None);
        assert!(trace_id(&[1; 16]).is_some());
        assert_eq!(span_id(&[0; 8]), None);
        assert!(span_id(&[9; 8]).is_some());
    }
}
