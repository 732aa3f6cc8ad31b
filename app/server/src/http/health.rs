//! `GET /api/health` (O-ALERT-01): is this process able to serve? Checks the
//! database with a bounded query; 503 when it cannot answer, so load
//! balancers and alarms see the truth.

use std::time::{Duration, Instant};

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use shop_core::db::Db;
use telemetry_api::Telemetry;
use utoipa::ToSchema;

use crate::config::Role;

/// What the health check (and the landing page) looks at.
#[derive(Clone)]
pub struct HealthState {
    pub db: Db,
    pub telemetry: Telemetry,
    pub role: Role,
}

/// `GET /api/health`.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    HealthState: FromRef<S>,
{
    Router::new().route("/api/health", get(health))
}

/// The health check's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub service: String,
    pub role: &'static str,
    pub version: &'static str,
    /// Telemetry backend in use.
    pub telemetry: &'static str,
    pub database: DatabaseHealth,
}

/// The database part of the answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatabaseHealth {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// `sqlite`, `mysql` or `mariadb`.
    pub system: &'static str,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[utoipa::path(get, path = "/api/health", tag = "health",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    ))]
pub async fn health(State(state): State<HealthState>) -> (StatusCode, Json<Health>) {
    let start = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await;
    let error = match result {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("no answer within 2 s".to_owned()),
    };
    let ok = error.is_none();
    if let Some(e) = &error {
        tracing::error!(error = %e, "health check: database unavailable");
    }
    let status = if ok { "ok" } else { "unavailable" };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(Health {
            status,
            service: state.telemetry.resource().service_name.clone(),
            role: state.role.as_str(),
            version: env!("CARGO_PKG_VERSION"),
            telemetry: state.telemetry.backend_name(),
            database: DatabaseHealth {
                status,
                system: state.db.system().as_str(),
                latency_ms: start.elapsed().as_secs_f64() * 1000.0,
                error,
            },
        }),
    )
}
