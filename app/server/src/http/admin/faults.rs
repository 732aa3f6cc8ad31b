//! The fault flags from the back office (O-ALERT-04, docs/faults.md): read
//! them, and replace them. The flags themselves, their file and how they
//! are applied are `shop_core::faults`'.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use shop_core::admin::{Admins, Operation};
use shop_core::db::Db;
use shop_core::faults::{self, Flags};
use utoipa::ToSchema;

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Json as JsonBody;

/// The fault flags in force, and where they come from.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaultsView {
    /// The flags in force now (all `0`/`false`: nothing is injected).
    pub flags: Flags,
    /// The file the shop reads them from (`--faults-file`, `SHOP_FAULTS_FILE`; default
    /// `<data dir>/faults.json`), and that `PUT` writes; `null` when the flags live in memory.
    pub file: Option<String>,
}

fn view(faults: &faults::Faults) -> FaultsView {
    FaultsView {
        flags: faults.flags(),
        file: faults.file().map(|p| p.display().to_string()),
    }
}

/// The fault flags in force (docs/faults.md): what is being injected on purpose, and the file
/// they come from.
#[utoipa::path(get, path = "/api/admin/faults", tag = "admin",
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The flags in force and their file", body = FaultsView),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("faults.read"))))]
pub async fn get_faults(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
) -> ApiResult<Json<FaultsView>> {
    admin.authorize(&admins, Operation::FaultsRead).await?;
    admins.counted(Operation::FaultsRead);
    Ok(Json(view(db.faults())))
}

/// Replace the fault flags (step-up): the whole set (a flag left out is off), validated, written
/// to the file atomically and in force at once. Audited as `faults.set` with the flags before and
/// after.
#[utoipa::path(put, path = "/api/admin/faults", tag = "admin", request_body = Flags,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The flags now in force and their file", body = FaultsView),
        (status = 400, description = "Not a JSON object, an unknown flag, or a value out of range (`field` names the flag)", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, your roles do not allow this, or a step-up is needed (`step_up_required`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("faults.set"))))]
pub async fn set_faults(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<FaultsView>> {
    admin.authorize(&admins, Operation::FaultsSet).await?;
    // The whole set: what the body leaves out is off.
    let flags = Flags::default().merged(&body)?;
    let faults = db.faults();
    let before = faults.replace(flags).map_err(|e| match e {
        faults::Error::NoFile => ApiError::Internal("the fault flags cannot be set".to_owned()),
        faults::Error::Io { path, source } => {
            ApiError::Internal(format!("writing the faults file {path}: {source}"))
        }
    })?;
    let json = |f: &Flags| serde_json::to_value(f).unwrap_or_default();
    admins
        .changed(
            &admin.session,
            Operation::FaultsSet,
            "faults",
            json(&before),
            json(&flags),
            admin.origin.clone(),
        )
        .await?;
    Ok(Json(view(faults)))
}
