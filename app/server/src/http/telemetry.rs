//! Lab endpoints: the backend's export statistics, and a flush the
//! experiments call before reading back what arrived.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use telemetry_api::ExportStats;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult};

#[derive(Debug, Serialize, ToSchema)]
pub struct TelemetryStats {
    pub backend: &'static str,
    pub service: String,
    pub sampler: String,
    /// Counters per signal: received, sent, dropped, retries, api_calls, errors, bytes.
    #[schema(value_type = Object)]
    pub export: ExportStats,
}

/// Export statistics of the telemetry backend.
#[utoipa::path(get, path = "/api/telemetry/stats", tag = "telemetry", responses((status = 200, body = TelemetryStats)))]
pub async fn stats(State(state): State<AppState>) -> Json<TelemetryStats> {
    Json(TelemetryStats {
        backend: state.telemetry.backend_name(),
        service: state.telemetry.resource().service_name.clone(),
        sampler: state.telemetry.sampler_description().to_owned(),
        export: state.telemetry.stats(),
    })
}

/// Flush queued telemetry now; answers when the backend has sent it.
#[utoipa::path(post, path = "/api/telemetry/flush", tag = "telemetry",
    responses(
        (status = 200, body = TelemetryStats),
        (status = 503, description = "The flush did not complete", body = super::error::ErrorBody),
    ))]
pub async fn flush(State(state): State<AppState>) -> ApiResult<Json<TelemetryStats>> {
    state
        .telemetry
        .flush(Duration::from_secs(10))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "telemetry flush failed");
            ApiError::Unavailable {
                what: "telemetry sink",
            }
        })?;
    Ok(stats(State(state)).await)
}
