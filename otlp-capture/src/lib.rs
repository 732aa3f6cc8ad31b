//! # otlp-capture: an OTLP/HTTP receiver that keeps what arrived
//!
//! The end of the lab's OTLP pipeline (shop → collector → **capture**), for
//! tests and experiments. It accepts `POST /v1/traces`, `/v1/metrics` and
//! `/v1/logs` exactly as a collector's OTLP/HTTP receiver does, decodes the
//! body with the official OTLP message types (`opentelemetry-proto`, prost),
//! and stores the decoded requests so that a test can assert on them and an
//! experiment can read them back (`GET /captured/{traces,metrics,logs}` as
//! OTLP/JSON, with `?service=NAME` (repeatable) for those services' resources
//! only, `?trace_id=HEX` for one trace's spans or log records, and
//! `?session_id=ID` for one browser session's (their `session.id`); `DELETE
//! /captured` empties the store).
//!
//! Bodies may be protobuf (`application/x-protobuf`) or OTLP/JSON
//! (`application/json`), plain or gzip. rotel 0.0.1a15 always sends
//! `content-encoding: gzip`, so that header is honoured — but whether a body
//! is gzip is decided by its magic bytes (`1f 8b`), not by the header,
//! because the same rotel build was measured to send that header with
//! uncompressed bodies on another exporter (see `scripts/lab/README.md`).
//! What the header said is kept per request ([`RequestInfo`]).
//!
//! Written by hand because no crate provides an embeddable OTLP receiver that
//! keeps the decoded data; everything protocol-level (message types,
//! protobuf, JSON mapping, gzip, HTTP) is a maintained crate.

pub mod passthrough;
pub mod query;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

pub use query::{FlatLog, FlatMetric, FlatSpan};

/// The largest request body taken, in bytes: 20 MiB, the default `max_request_body_size` of the
/// collector's own OTLP/HTTP receiver (confighttp, v0.161.0). axum's default is 2 MiB, below
/// what one batch of the collector's `batch/logs` processor (8192 records) weighs at
/// saturation: every larger export was answered 413, which the collector's exporter treats as
/// permanent and drops. The receiver, the X-Ray pass-through and the experiments' counting
/// pass-through all take this much, so none of them refuses what a collector would accept.
pub const MAX_BODY_BYTES: usize = 20 * 1024 * 1024;

/// One OTLP request as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    /// `/v1/traces`, `/v1/metrics` or `/v1/logs`.
    pub path: &'static str,
    pub content_type: String,
    /// The `content-encoding` header, if any.
    pub content_encoding: Option<String>,
    /// Whether the body really was gzip (by its magic bytes).
    pub gzip_body: bool,
    /// Body size on the wire.
    pub bytes: usize,
    pub user_agent: Option<String>,
}

#[derive(Default)]
struct Data {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    logs: Vec<ExportLogsServiceRequest>,
    requests: Vec<RequestInfo>,
    rejected: u64,
}

/// What arrived. Cheap to clone; shared with the server.
#[derive(Clone, Default)]
pub struct Store {
    inner: Arc<(Mutex<Data>, Condvar)>,
}

impl Store {
    fn lock(&self) -> MutexGuard<'_, Data> {
        // A panicking test thread must not hide the data from the others.
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, f: impl FnOnce(&mut Data)) {
        f(&mut self.lock());
        self.inner.1.notify_all();
    }

    /// Every trace export request so far, in arrival order.
    pub fn trace_requests(&self) -> Vec<ExportTraceServiceRequest> {
        self.lock().traces.clone()
    }

    pub fn metric_requests(&self) -> Vec<ExportMetricsServiceRequest> {
        self.lock().metrics.clone()
    }

    pub fn log_requests(&self) -> Vec<ExportLogsServiceRequest> {
        self.lock().logs.clone()
    }

    /// How each request arrived (path, encodings, size).
    pub fn requests(&self) -> Vec<RequestInfo> {
        self.lock().requests.clone()
    }

    /// Requests refused: bodies over [`MAX_BODY_BYTES`] (413) or that could not be decoded
    /// (400/415).
    pub fn rejected(&self) -> u64 {
        self.lock().rejected
    }

    /// Every span, with its resource and scope.
    pub fn spans(&self) -> Vec<FlatSpan> {
        query::flat_spans(&self.lock().traces)
    }

    /// Every log record, with its resource and scope.
    pub fn logs(&self) -> Vec<FlatLog> {
        query::flat_logs(&self.lock().logs)
    }

    /// Every metric (one per metric per export), with its resource and scope.
    pub fn metrics(&self) -> Vec<FlatMetric> {
        query::flat_metrics(&self.lock().metrics)
    }

    /// Forgets everything.
    pub fn clear(&self) {
        let mut d = self.lock();
        *d = Data::default();
    }

    /// Waits until `ready(self)` holds (re-checked whenever something
    /// arrives), or `timeout` passes; returns whether it held.
    pub fn wait_until(&self, timeout: Duration, ready: impl Fn(&Store) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if ready(self) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let guard = self.lock();
            // Re-check after arrivals, and at least every 100 ms.
            let wait = (deadline - now).min(Duration::from_millis(100));
            let _ = self
                .inner
                .1
                .wait_timeout(guard, wait)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The HTTP routes of the receiver (and the read-back API) over `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/v1/traces", post(traces))
        .route("/v1/metrics", post(metrics))
        .route("/v1/logs", post(logs))
        .route("/captured/traces", get(read_traces))
        .route("/captured/metrics", get(read_metrics))
        .route("/captured/logs", get(read_logs))
        .route("/captured", axum::routing::delete(clear))
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(store)
}

/// An HTTP server on its own thread and runtime (so sync and async tests
/// alike can use it); stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `app` on `addr` (port 0: a free port).
    pub fn start(addr: SocketAddr, app: Router) -> std::io::Result<Server> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("otlp-capture-{}", addr.port()))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(_) => return,
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })?;
        Ok(Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A capture receiver on its own thread (see [`Server`]).
pub struct Capture {
    server: Server,
    store: Store,
}

impl Capture {
    /// Listens on `127.0.0.1` at a free port.
    pub fn start() -> std::io::Result<Capture> {
        Capture::start_on(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Listens on `addr`.
    pub fn start_on(addr: SocketAddr) -> std::io::Result<Capture> {
        let store = Store::default();
        let server = Server::start(addr, router(store.clone()))?;
        Ok(Capture { server, store })
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://127.0.0.1:PORT`: the base URL for an OTLP/HTTP exporter.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// The body, gunzipped when it is gzip (by magic bytes, whatever the headers say).
fn decompress(body: &[u8]) -> Result<(Vec<u8>, bool), String> {
    if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(body)
            .read_to_end(&mut out)
            .map_err(|e| format!("bad gzip body: {e}"))?;
        Ok((out, true))
    } else {
        Ok((body.to_vec(), false))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Protobuf,
    Json,
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Decodes one export request; answers like a collector would.
fn receive<Req, Resp>(
    store: &Store,
    path: &'static str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    keep: impl FnOnce(&mut Data, Req),
) -> Response
where
    Req: Message + Default + for<'de> serde::Deserialize<'de>,
    Resp: Message + Default + serde::Serialize,
{
    // Counted, like an undecodable body: the read-back must not pass over a refusal.
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            store.push(|d| d.rejected += 1);
            let message = format!("{e} (this receiver takes at most {MAX_BODY_BYTES} bytes)");
            return (e.status(), message).into_response();
        }
    };
    let body = body.as_ref();
    let content_type = header(headers, header::CONTENT_TYPE).unwrap_or_default();
    let format = if content_type.starts_with("application/x-protobuf") {
        Format::Protobuf
    } else if content_type.starts_with("application/json") {
        Format::Json
    } else {
        store.push(|d| d.rejected += 1);
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected application/x-protobuf or application/json",
        )
            .into_response();
    };
    let decoded = decompress(body).and_then(|(raw, gzip)| {
        let req = match format {
            Format::Protobuf => Req::decode(raw.as_slice()).map_err(|e| e.to_string()),
            Format::Json => serde_json::from_slice(&raw).map_err(|e| e.to_string()),
        }?;
        Ok((req, gzip))
    });
    let (req, gzip_body) = match decoded {
        Ok(ok) => ok,
        Err(e) => {
            store.push(|d| d.rejected += 1);
            return (StatusCode::BAD_REQUEST, e).into_response();
        }
    };
    let info = RequestInfo {
        path,
        content_type: content_type.clone(),
        content_encoding: header(headers, header::CONTENT_ENCODING),
        gzip_body,
        bytes: body.len(),
        user_agent: header(headers, header::USER_AGENT),
    };
    store.push(|d| {
        d.requests.push(info);
        keep(d, req);
    });
    // An empty response: full success.
    match format {
        Format::Protobuf => (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Resp::default().encode_to_vec(),
        )
            .into_response(),
        Format::Json => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(&Resp::default()).unwrap_or_else(|_| b"{}".to_vec()),
        )
            .into_response(),
    }
}

async fn traces(
    State(store): State<Store>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive::<ExportTraceServiceRequest, ExportTraceServiceResponse>(
        &store,
        "/v1/traces",
        &headers,
        body,
        |d, r| d.traces.push(r),
    )
}

async fn metrics(
    State(store): State<Store>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive::<ExportMetricsServiceRequest, ExportMetricsServiceResponse>(
        &store,
        "/v1/metrics",
        &headers,
        body,
        |d, r| d.metrics.push(r),
    )
}

async fn logs(
    State(store): State<Store>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    receive::<ExportLogsServiceRequest, ExportLogsServiceResponse>(
        &store,
        "/v1/logs",
        &headers,
        body,
        |d, r| d.logs.push(r),
    )
}

fn json<T: serde::Serialize>(items: &[T]) -> Response {
    match serde_json::to_vec(items) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The `service` parameters of a read (`?service=a&service=b`): the services to keep, or all
/// when none is named. A long-running lab's store holds every test's telemetry, and serialising
/// all of it on every poll would keep this (single-threaded) receiver from taking new exports.
fn services(query: Option<&str>) -> Vec<String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "service")
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The `trace_id` parameter of a read of traces or logs (32 hex digits): only that trace's spans
/// or log records are kept. A malformed one is a 400 naming it, not an empty answer that would
/// read as "not arrived yet".
#[allow(clippy::result_large_err)]
fn trace_id(query: Option<&str>) -> Result<Option<Vec<u8>>, Response> {
    let Some(raw) = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "trace_id")
        .map(|(_, v)| v.into_owned())
    else {
        return Ok(None);
    };
    let bytes: Option<Vec<u8>> = (raw.len() == 32)
        .then(|| {
            (0..32)
                .step_by(2)
                .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    bytes.map(Some).ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            format!("trace_id must be 32 hex digits (got {raw:?})"),
        )
            .into_response()
    })
}

/// Whether a resource's `service.name` is one of `wanted` (every resource when none is).
fn wanted(
    resource: Option<&opentelemetry_proto::tonic::resource::v1::Resource>,
    wanted: &[String],
) -> bool {
    wanted.is_empty()
        || resource
            .and_then(|r| query::attr_str(&r.attributes, "service.name"))
            .is_some_and(|s| wanted.iter().any(|w| w == s))
}

/// The spans or log records a read keeps: one trace's (`trace_id`), one browser session's
/// (`session_id`, their `session.id` attribute), both, or, with neither, all.
struct Pick {
    trace: Option<Vec<u8>>,
    session: Option<String>,
}

impl Pick {
    #[allow(clippy::result_large_err)]
    fn of(query: Option<&str>) -> Result<Pick, Response> {
        Ok(Pick {
            trace: trace_id(query)?,
            session: form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "session_id")
                .map(|(_, v)| v.into_owned()),
        })
    }

    fn any(&self) -> bool {
        self.trace.is_some() || self.session.is_some()
    }

    fn keeps(&self, trace_id: &[u8], attributes: &[KeyValue]) -> bool {
        self.trace.as_ref().is_none_or(|t| t == trace_id)
            && self
                .session
                .as_deref()
                .is_none_or(|s| query::attr_str(attributes, "session.id") == Some(s))
    }
}

async fn read_traces(State(store): State<Store>, RawQuery(q): RawQuery) -> Response {
    let only = services(q.as_deref());
    let pick = match Pick::of(q.as_deref()) {
        Ok(p) => p,
        Err(bad) => return bad,
    };
    let mut requests = store.trace_requests();
    for r in &mut requests {
        r.resource_spans
            .retain(|rs| wanted(rs.resource.as_ref(), &only));
        if pick.any() {
            for rs in &mut r.resource_spans {
                for ss in &mut rs.scope_spans {
                    ss.spans.retain(|s| pick.keeps(&s.trace_id, &s.attributes));
                }
                rs.scope_spans.retain(|ss| !ss.spans.is_empty());
            }
            r.resource_spans.retain(|rs| !rs.scope_spans.is_empty());
        }
    }
    requests.retain(|r| !r.resource_spans.is_empty());
    json(&requests)
}

async fn read_metrics(State(store): State<Store>, RawQuery(q): RawQuery) -> Response {
    let only = services(q.as_deref());
    let mut requests = store.metric_requests();
    for r in &mut requests {
        r.resource_metrics
            .retain(|rm| wanted(rm.resource.as_ref(), &only));
    }
    requests.retain(|r| !r.resource_metrics.is_empty());
    json(&requests)
}

async fn read_logs(State(store): State<Store>, RawQuery(q): RawQuery) -> Response {
    let only = services(q.as_deref());
    let pick = match Pick::of(q.as_deref()) {
        Ok(p) => p,
        Err(bad) => return bad,
    };
    let mut requests = store.log_requests();
    for r in &mut requests {
        r.resource_logs
            .retain(|rl| wanted(rl.resource.as_ref(), &only));
        if pick.any() {
            for rl in &mut r.resource_logs {
                for sl in &mut rl.scope_logs {
                    sl.log_records
                        .retain(|l| pick.keeps(&l.trace_id, &l.attributes));
                }
                rl.scope_logs.retain(|sl| !sl.log_records.is_empty());
            }
            r.resource_logs.retain(|rl| !rl.scope_logs.is_empty());
        }
    }
    requests.retain(|r| !r.resource_logs.is_empty());
    json(&requests)
}

async fn clear(State(store): State<Store>) -> StatusCode {
    store.clear();
    StatusCode::NO_CONTENT
}
