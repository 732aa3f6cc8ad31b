//! One browser session as each store kept it: the per-session view of the
//! Lab page (F-TRACE-02).
//!
//! Every record the UI sends carries its tab's `session.id`
//! (`app/web/src/telemetry/session.ts`): page views and leaves, clicks, cart
//! changes, funnel and checkout steps, errors. The shop relays them through
//! the backend in use, so a session is found where that backend put its
//! logs — CloudWatch Logs for awssdk, the collector's store for otel — and
//! each record names the trace that leads on to the click's fetch and the
//! shop's own spans. As for a trace, the stores are read, not the shop's
//! memory: the session a learner sees is what was kept.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use telemetry_api::export::without_telemetry;

use super::model::SessionReading;
use super::{ReadbackState, capture, off, xray};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;

/// How far back a session is looked for unless asked: an hour.
const DEFAULT_MINUTES: u32 = 60;
/// At most a day: older sessions are for the stores' own consoles.
const MAX_MINUTES: u32 = 24 * 60;

/// The session's records from every configured store.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionReadback {
    pub session_id: String,
    /// The start of the window read (Unix ms).
    pub since_ms: i64,
    pub stores: Vec<SessionReading>,
}

/// How far back to look.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// Minutes back from now (1–1440; 60 when left out).
    #[param(minimum = 1, maximum = 1440)]
    pub minutes: Option<u32>,
}

/// A session id as the RUM intake keeps one: 1–64 letters, digits, `-` or `_`.
pub fn parse_session_id(raw: &str) -> Option<&str> {
    crate::http::rum::attributes::is_token(raw, 64).then_some(raw)
}

/// A browser session's events and errors, as each store kept them.
#[utoipa::path(get, path = "/api/lab/sessions/{session_id}", tag = "telemetry", operation_id = "lab_read_session",
    params(("session_id" = String, Path, description = "The tab's `session.id`: 1–64 letters, digits, `-` or `_`"), SessionQuery),
    responses(
        (status = 200, body = SessionReadback),
        (status = 400, description = "Not a session id, or `minutes` out of range", body = crate::http::error::ErrorBody),
        (status = 404, description = "Read-back is off (`readback_off`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn session(
    State(state): State<ReadbackState>,
    Path(raw): Path<String>,
    Query(query): Query<SessionQuery>,
) -> ApiResult<Json<SessionReadback>> {
    if !state.settings.enabled() {
        return Err(off());
    }
    let id = parse_session_id(&raw).ok_or_else(|| ApiError::Validation {
        field: "session_id".to_owned(),
        message: "a session id is 1 to 64 letters, digits, '-' or '_'".to_owned(),
    })?;
    let minutes = query.minutes.unwrap_or(DEFAULT_MINUTES);
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(ApiError::Validation {
            field: "minutes".to_owned(),
            message: format!("minutes is 1 to {MAX_MINUTES} (got {minutes})"),
        });
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let since_ms = now_ms - i64::from(minutes) * 60_000;
    let from_logs = async {
        if !state.settings.xray {
            return None;
        }
        let (_, logs) = state.aws().await;
        Some(xray::read_session(logs, &state.settings.log_group, id, since_ms).await)
    };
    let from_capture = async {
        let base = state.settings.capture.as_deref()?;
        let mut reading = capture::read_session(&state.http, base, id).await;
        // The capture store keeps no time index: the window is applied here.
        reading.logs.retain(|l| l.time_ms >= since_ms as f64);
        Some(reading)
    };
    let (a, b) = tokio::join!(from_logs, from_capture);
    Ok(Json(SessionReadback {
        session_id: id.to_owned(),
        since_ms,
        stores: a.into_iter().chain(b).collect(),
    }))
}

/// A session's recording, as the replay bucket keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionReplay {
    pub session_id: String,
    /// The chunks read (one per `POST /api/rum/v1/replay`).
    pub chunks: usize,
    /// rrweb events, in time order: what a replayer plays.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<serde_json::Value>,
    /// The shell command that lists the same chunks.
    pub command: String,
}

/// The most chunks read for one replay (a long session's first hours).
const MAX_CHUNKS: usize = 500;

/// A browser session's recording (F-RUM-03), for the Lab page's player.
#[utoipa::path(get, path = "/api/lab/sessions/{session_id}/replay", tag = "telemetry", operation_id = "lab_read_session_replay",
    params(("session_id" = String, Path, description = "The tab's `session.id`")),
    responses(
        (status = 200, body = SessionReplay),
        (status = 400, description = "Not a session id", body = crate::http::error::ErrorBody),
        (status = 404, description = "Read-back is off (`readback_off`), or replay is (`replay_off`)", body = crate::http::error::ErrorBody),
        (status = 503, description = "The replay bucket did not answer (`replay_store_unavailable`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn replay(
    State(state): State<ReadbackState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<SessionReplay>> {
    if !state.settings.enabled() {
        return Err(off());
    }
    let Some(store) = state.replays.as_ref() else {
        return Err(crate::http::rum::replay::off());
    };
    let id = parse_session_id(&raw).ok_or_else(|| ApiError::Validation {
        field: "session_id".to_owned(),
        message: "a session id is 1 to 64 letters, digits, '-' or '_'".to_owned(),
    })?;
    let unavailable = |e: shop_core::objects::Error| ApiError::ServiceUnavailable {
        code: "replay_store_unavailable",
        message: format!("the replay bucket did not answer: {e}"),
    };
    let prefix = crate::http::rum::replay::prefix(id);
    // Read-back is not traced (see the module docs of `readback`).
    let listed = without_telemetry(store.list(&prefix))
        .await
        .map_err(unavailable)?;
    let mut events = Vec::new();
    let mut chunks = 0;
    // Keys sort as their sequence numbers (zero-padded): the chunks in the order they were sent.
    for object in listed.iter().take(MAX_CHUNKS) {
        let Some(found) = without_telemetry(store.get(&object.key))
            .await
            .map_err(unavailable)?
        else {
            continue;
        };
        if let Ok(serde_json::Value::Array(chunk)) = serde_json::from_slice(&found.bytes) {
            events.extend(chunk);
            chunks += 1;
        }
    }
    // Two page loads' chunks may interleave in time; a replayer wants one time line.
    events.sort_by(|a, b| {
        let t = |v: &serde_json::Value| v.get("timestamp").and_then(serde_json::Value::as_f64);
        t(a).unwrap_or(0.0).total_cmp(&t(b).unwrap_or(0.0))
    });
    let mut command = format!("aws s3 ls s3://{}/{prefix}", store.bucket());
    if let Some(e) = xray::endpoint("AWS_ENDPOINT_URL_S3") {
        command.push_str(&format!(" --endpoint-url {e}"));
    }
    Ok(Json(SessionReplay {
        session_id: id.to_owned(),
        chunks,
        events,
        command,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_the_intakes_tokens() {
        let tab = "0123456789abcdef0123456789abcdef";
        assert_eq!(parse_session_id(tab), Some(tab));
        assert_eq!(parse_session_id("canary_run-7"), Some("canary_run-7"));
        for bad in ["", "a b", "<script>", "x/y", "é", &"a".repeat(65)] {
            assert_eq!(parse_session_id(bad), None, "{bad:?}");
        }
    }
}
