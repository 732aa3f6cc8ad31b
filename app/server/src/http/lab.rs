//! Lab endpoints: the backend's export statistics, and a flush the
//! experiments call before reading back what arrived.

use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use telemetry_api::{ExportStats, Telemetry};
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult};

/// `GET /api/telemetry/stats`, `POST /api/telemetry/flush`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Telemetry: FromRef<S>,
{
    Router::new()
        .route("/api/telemetry/stats", get(stats))
        .route("/api/telemetry/flush", post(flush))
}

/// The backend and its export counters.
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
pub async fn stats(State(telemetry): State<Telemetry>) -> Json<TelemetryStats> {
    Json(TelemetryStats {
        backend: telemetry.backend_name(),
        service: telemetry.resource().service_name.clone(),
        sampler: telemetry.sampler_description().to_owned(),
        export: telemetry.stats(),
    })
}

/// Flush queued telemetry now; answers when the backend has sent it.
#[utoipa::path(post, path = "/api/telemetry/flush", tag = "telemetry",
    responses(
        (status = 200, body = TelemetryStats),
        (status = 503, description = "The flush did not complete", body = super::error::ErrorBody),
    ))]
pub async fn flush(State(telemetry): State<Telemetry>) -> ApiResult<Json<TelemetryStats>> {
    telemetry
        .flush(Duration::from_secs(10))
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "telemetry flush failed");
            ApiError::Unavailable {
                what: "telemetry sink",
            }
        })?;
    Ok(stats(State(telemetry)).await)
}
