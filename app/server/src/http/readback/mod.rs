//! The Lab page's read-back: a trace *as each telemetry store kept it*.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/lab/readback` | whether read-back is on, and which stores it reads |
//! | `GET /api/lab/traces/{trace_id}` | the trace from each store: spans (a waterfall's rows), the joined log lines, and the command that reads the same thing |
//! | `GET /api/lab/sessions/{session_id}` | a browser session's events and errors from each store, each with its trace ([`session`]) |
//! | `GET /api/lab/sessions/{session_id}/replay` | the session's recording (rrweb events) from the replay bucket |
//! | `GET /api/lab/service-map?minutes=N` | the services and what they call in the traces of the last N minutes (1–60, 15 by default), counted from each store's raw traces: X-Ray's `GetServiceGraph`, which moto lacks, done here ([`service_map`]) |
//!
//! Locally the stores are the emulators — X-Ray in moto (with the log lines
//! from CloudWatch Logs in LocalStack) for the awssdk backend, and the
//! collector's capture store for the otel backend — so this stands in for
//! the X-Ray console a learner would open in AWS. Reading back, rather than
//! showing what the shop *meant* to send, is the point: what a store kept is
//! what its emulator, exporter and sampling let through.
//!
//! Off unless configured (`--lab-readback-xray`, `--lab-readback-capture`):
//! a shop in production has no business handing its traces to browsers.
//! Like the RUM intake, these routes are not traced (reading telemetry would
//! make more of it, and each page view would find its own reads).

pub mod capture;
pub mod model;
pub mod service_map;
pub mod session;
pub mod xray;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tokio::sync::OnceCell;
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult};
use model::{ReadingStatus, StoreReading};

/// Which stores the read-back reads (`--lab-readback-*`); all off by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadbackSettings {
    /// X-Ray (`BatchGetTraces`) and CloudWatch Logs, through the AWS SDK's chain
    /// (`AWS_ENDPOINT_URL_XRAY`, `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`: moto and LocalStack in the lab).
    pub xray: bool,
    /// The awssdk backend's log group, where the log lines of a trace are looked for.
    pub log_group: String,
    /// The collector's store: the base URL of the lab's capture receiver.
    pub capture: Option<String>,
}

impl ReadbackSettings {
    pub fn enabled(&self) -> bool {
        self.xray || self.capture.is_some()
    }
}

/// The read-back's clients, made once.
#[derive(Clone)]
pub struct ReadbackState {
    settings: Arc<ReadbackSettings>,
    aws: Arc<OnceCell<(aws_sdk_xray::Client, aws_sdk_cloudwatchlogs::Client)>>,
    http: reqwest::Client,
    /// The session recordings' bucket (`--rum-replay-bucket`).
    replays: Option<shop_core::objects::ObjectStore>,
}

impl ReadbackState {
    pub fn new(settings: ReadbackSettings) -> Self {
        ReadbackState {
            settings: Arc::new(settings),
            aws: Arc::new(OnceCell::new()),
            http: reqwest::Client::new(),
            replays: None,
        }
    }

    /// Recordings read from `store` (the bucket the RUM intake writes to).
    pub fn with_replays(mut self, store: Option<shop_core::objects::ObjectStore>) -> Self {
        self.replays = store;
        self
    }

    async fn aws(&self) -> &(aws_sdk_xray::Client, aws_sdk_cloudwatchlogs::Client) {
        self.aws
            .get_or_init(|| async {
                let config = shop_core::aws::sdk_config(&shop_core::aws::Settings::default()).await;
                (
                    aws_sdk_xray::Client::new(&config),
                    aws_sdk_cloudwatchlogs::Client::new(&config),
                )
            })
            .await
    }
}

/// The routes of the module's table.
pub fn router(state: ReadbackState) -> Router {
    Router::new()
        .route("/api/lab/readback", get(config))
        .route("/api/lab/traces/{trace_id}", get(trace))
        .route("/api/lab/service-map", get(service_map::service_map))
        .route("/api/lab/sessions/{session_id}", get(session::session))
        .route(
            "/api/lab/sessions/{session_id}/replay",
            get(session::replay),
        )
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::Internal("read-back panicked".to_owned()).into_response()
            },
        ))
        .with_state(state)
}

/// What the read-back reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadbackConfig {
    /// False: the shop was started without `--lab-readback-*` (the Lab page says how to turn it on).
    pub enabled: bool,
    pub stores: Vec<StoreInfo>,
}

/// One store the read-back reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreInfo {
    /// `xray` or `collector`.
    pub store: &'static str,
    pub label: &'static str,
}

/// Whether read-back is on, and which stores it reads.
#[utoipa::path(get, path = "/api/lab/readback", tag = "telemetry", operation_id = "lab_readback_config",
    responses((status = 200, body = ReadbackConfig)))]
pub async fn config(State(state): State<ReadbackState>) -> Json<ReadbackConfig> {
    let s = &state.settings;
    let mut stores = Vec::new();
    if s.xray {
        stores.push(StoreInfo {
            store: "xray",
            label: xray::LABEL,
        });
    }
    if s.capture.is_some() {
        stores.push(StoreInfo {
            store: "collector",
            label: capture::LABEL,
        });
    }
    Json(ReadbackConfig {
        enabled: s.enabled(),
        stores,
    })
}

/// A trace as each store kept it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TraceReadback {
    /// 32 hex digits (W3C, OTLP).
    pub trace_id: String,
    /// The same id as X-Ray writes it (`1-{epoch seconds}-{24 hex}`).
    pub xray_trace_id: String,
    pub stores: Vec<StoreReading>,
}

/// The answer while read-back is off: a 404 saying how to turn it on.
fn off() -> ApiError {
    ApiError::TokenNotFound {
        code: "readback_off",
        message: "read-back is off: start the shop with --lab-readback-xray and/or --lab-readback-capture URL (make lab does)".to_owned(),
        field: None,
    }
}

/// A trace id in either spelling: `1-5f84c7a1-a006649127e371903a2de979` (X-Ray) or 32 hex digits.
/// Both carry the same 128 bits (X-Ray's first 8 digits are the epoch seconds), so the page can
/// ask for what the shop's `x-trace-id` header said, whichever backend wrote it.
pub fn parse_trace_id(raw: &str) -> Option<String> {
    let hex = match raw.split('-').collect::<Vec<_>>().as_slice() {
        ["1", epoch, rest] if epoch.len() == 8 && rest.len() == 24 => format!("{epoch}{rest}"),
        [whole] if whole.len() == 32 => (*whole).to_owned(),
        _ => return None,
    };
    let hex = hex.to_ascii_lowercase();
    (hex.bytes().all(|b| b.is_ascii_hexdigit()) && hex.bytes().any(|b| b != b'0')).then_some(hex)
}

/// `1-{8}-{24}` from 32 hex digits.
pub fn xray_spelling(hex: &str) -> String {
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

/// The trace from every configured store, read at once.
#[utoipa::path(get, path = "/api/lab/traces/{trace_id}", tag = "telemetry", operation_id = "lab_read_trace",
    params(("trace_id" = String, Path, description = "X-Ray's `1-…-…` or 32 hex digits")),
    responses(
        (status = 200, body = TraceReadback),
        (status = 400, description = "Not a trace id", body = super::error::ErrorBody),
        (status = 404, description = "Read-back is off (`readback_off`)", body = super::error::ErrorBody),
    ))]
pub async fn trace(
    State(state): State<ReadbackState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<TraceReadback>> {
    if !state.settings.enabled() {
        return Err(off());
    }
    let hex = parse_trace_id(&raw).ok_or_else(|| ApiError::Validation {
        field: "trace_id".to_owned(),
        message: "a trace id is X-Ray's 1-{8 hex}-{24 hex} or 32 hex digits, not all zero"
            .to_owned(),
    })?;
    let xray_id = xray_spelling(&hex);
    let from_xray = async {
        if !state.settings.xray {
            return None;
        }
        let (traces, logs) = state.aws().await;
        let mut reading = xray::read(traces, &xray_id).await;
        if reading.status == ReadingStatus::Found {
            let span_of = |f: fn(&model::StoredSpan) -> f64| reading.spans.iter().map(f);
            let first = span_of(|s| s.start_ms).fold(f64::INFINITY, f64::min);
            let last = span_of(|s| s.end_ms.unwrap_or(s.start_ms)).fold(0.0, f64::max);
            match xray::logs(
                logs,
                &state.settings.log_group,
                &xray_id,
                Some((first, last)),
            )
            .await
            {
                Ok(lines) => reading.logs = lines,
                Err(e) => reading.message = Some(format!("the log lines could not be read: {e}")),
            }
        }
        Some(reading)
    };
    let from_capture = async {
        match &state.settings.capture {
            Some(base) => Some(capture::read(&state.http, base, &hex).await),
            None => None,
        }
    };
    let (a, b) = tokio::join!(from_xray, from_capture);
    Ok(Json(TraceReadback {
        trace_id: hex,
        xray_trace_id: xray_id,
        stores: a.into_iter().chain(b).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_of_a_trace_id_are_the_same_id() {
        let hex = "5f84c7a1a006649127e371903a2de979";
        assert_eq!(
            parse_trace_id("1-5f84c7a1-a006649127e371903a2de979").as_deref(),
            Some(hex)
        );
        assert_eq!(parse_trace_id(&hex.to_uppercase()).as_deref(), Some(hex));
        assert_eq!(xray_spelling(hex), "1-5f84c7a1-a006649127e371903a2de979");
    }

    #[test]
    fn malformed_trace_ids_are_refused() {
        for bad in [
            "",
            "1-5f84c7a1-a00664912",
            "2-5f84c7a1-a006649127e371903a2de979",
            "zz84c7a1a006649127e371903a2de979",
            "00000000000000000000000000000000",
            "1-5f84c7a1-a006649127e371903a2de979-x",
            "Root=1-5f84c7a1-a006649127e371903a2de979",
        ] {
            assert_eq!(parse_trace_id(bad), None, "{bad:?}");
        }
    }
}
