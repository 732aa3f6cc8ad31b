//! The traces each store kept in a recent window: the Lab page's service
//! map over a time window, and its list of recent traces (O-DASH-02).
//!
//! In AWS, X-Ray's console draws the service map of a window from
//! `GetServiceGraph`, which X-Ray computes from every segment it received.
//! moto computes none, and the collector's store is no X-Ray, so the page
//! draws the map itself from the traces read back here: X-Ray's
//! `GetTraceSummaries` then `BatchGetTraces`, and the capture receiver's
//! spans since the window's start. Bounded (`limit` traces, the most recent
//! first): a window's map is drawn from a sample, and says so (`truncated`).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::RecentReading;
use super::{ReadbackState, capture, off, xray};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::Query;

/// The window unless asked: the last 15 minutes, as X-Ray's console opens.
const DEFAULT_MINUTES: u32 = 15;
/// At most six hours: `GetTraceSummaries`' longest window.
const MAX_MINUTES: u32 = 6 * 60;
/// Traces read per store unless asked.
const DEFAULT_LIMIT: u32 = 25;
/// At most: each is a read of its whole trace.
const MAX_LIMIT: u32 = 100;

/// How far back, and how many traces.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecentQuery {
    /// Minutes back from now (1–360; 15 when left out).
    #[param(minimum = 1, maximum = 360)]
    pub minutes: Option<u32>,
    /// The most traces read per store, the most recent first (1–100; 25 when left out).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// The window's traces from every configured store.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecentTraces {
    /// The window read (Unix ms).
    pub from_ms: i64,
    pub to_ms: i64,
    pub stores: Vec<RecentReading>,
}

/// The traces each store kept in the last `minutes`, with their spans.
#[utoipa::path(get, path = "/api/lab/traces", tag = "telemetry", operation_id = "lab_recent_traces",
    params(RecentQuery),
    responses(
        (status = 200, body = RecentTraces),
        (status = 400, description = "`minutes` or `limit` out of range", body = crate::http::error::ErrorBody),
        (status = 404, description = "Read-back is off (`readback_off`)", body = crate::http::error::ErrorBody),
    ))]
pub async fn recent(
    State(state): State<ReadbackState>,
    Query(query): Query<RecentQuery>,
) -> ApiResult<Json<RecentTraces>> {
    if !state.settings.enabled() {
        return Err(off());
    }
    let in_range = |field: &str, value: u32, max: u32| {
        if (1..=max).contains(&value) {
            Ok(value)
        } else {
            Err(ApiError::Validation {
                field: field.to_owned(),
                message: format!("{field} is 1 to {max} (got {value})"),
            })
        }
    };
    let minutes = in_range(
        "minutes",
        query.minutes.unwrap_or(DEFAULT_MINUTES),
        MAX_MINUTES,
    )?;
    let limit = in_range("limit", query.limit.unwrap_or(DEFAULT_LIMIT), MAX_LIMIT)? as usize;
    let to_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let from_ms = to_ms - i64::from(minutes) * 60_000;
    let from_xray = async {
        if !state.settings.xray {
            return None;
        }
        let (traces, logs) = state.aws().await;
        // Whole seconds, the end rounded up: a trace that started this second is in.
        let (from_s, to_s) = (from_ms / 1000, to_ms / 1000 + 1);
        Some(xray::recent(traces, logs, &state.settings.log_group, from_s, to_s, limit).await)
    };
    let from_capture = async {
        let base = state.settings.capture.as_deref()?;
        Some(capture::recent(&state.http, base, from_ms, limit).await)
    };
    let (a, b) = tokio::join!(from_xray, from_capture);
    Ok(Json(RecentTraces {
        from_ms,
        to_ms,
        stores: a.into_iter().chain(b).collect(),
    }))
}
