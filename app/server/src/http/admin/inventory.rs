//! Inventory in the back office (A-INV-01..05): levels with a filter,
//! adjustments with a reason, thresholds and the alerts they raise, the
//! movement history, and the stock forecast.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shop_core::admin::{Admins, Operation};
use shop_core::audit::{Actor, AuditEvent, Outcome};
use shop_core::db::Db;
use shop_core::inventory::StockLevel;
use shop_core::inventory::StockStatus;
use shop_core::inventory::admin::{self as stock, Adjusted, Alert, Forecast, Movement, Reason};
use utoipa::{IntoParams, ToSchema};

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Json as JsonBody, Path, Query};

/// Most rows one page returns.
pub const MAX_PAGE: i64 = 200;

/// Which levels to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LevelFilter {
    /// Only products in this stock status.
    pub status: Option<StockStatus>,
    /// 1–200 (default 50), lowest quantity first.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A page size.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// 1–200 (default 50), newest first.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The body of an adjustment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// Units to add (positive) or remove (negative), at most 100,000 either way.
    #[schema(minimum = -100000, maximum = 100000, example = 24)]
    #[serde(deserialize_with = "shop_core::json_integer::integer")]
    pub delta: i64,
    /// `receiving` (adds), `damage` (removes) or `correction` (either).
    #[schema(pattern = "^(receiving|damage|correction)$")]
    pub reason: String,
}

/// The body of a threshold change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// 0–100,000: at or below it, the product is low on stock.
    #[schema(minimum = 0, maximum = 100000, example = 5)]
    #[serde(deserialize_with = "shop_core::json_integer::integer")]
    pub threshold: i64,
}

fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    let limit = raw.unwrap_or(50);
    if (1..=MAX_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ))
    }
}

fn audit(admin: &Admin, op: Operation, product_id: i64) -> AuditEvent {
    AuditEvent::new(
        Actor::Admin(admin.session.admin_id.clone()),
        op.as_str(),
        Outcome::Success,
    )
    .target(format!("product:{product_id}"))
    .origin(admin.origin.clone())
}

/// Stock levels, lowest quantity first.
#[utoipa::path(get, path = "/api/admin/inventory", tag = "admin", params(LevelFilter),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "A page of levels", body = Vec<StockLevel>),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.read"))))]
pub async fn levels(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Query(filter): Query<LevelFilter>,
) -> ApiResult<Json<Vec<StockLevel>>> {
    admin.authorize(&admins, Operation::InventoryRead).await?;
    let limit = limit(filter.limit)?;
    let offset = filter.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::validation("offset", "must be 0 or more"));
    }
    admins.counted(Operation::InventoryRead);
    Ok(Json(
        stock::levels(&db, filter.status, limit, offset).await?,
    ))
}

/// Adjust a product's stock with a reason: one movement, an alert if the stock crosses its
/// threshold downwards, one audit entry.
#[utoipa::path(post, path = "/api/admin/inventory/{product_id}/adjustments", tag = "admin", request_body = Adjustment,
    params(("product_id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The level afterwards, and whether an alert was raised", body = Adjusted),
        (status = 400, description = "Invalid field (the reason decides the sign of `delta`), or a product id that is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "The stock would go below zero (`insufficient_stock`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.adjust"))))]
pub async fn adjust(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(product_id): Path<i64>,
    JsonBody(body): JsonBody<Adjustment>,
) -> ApiResult<Json<Adjusted>> {
    admin.authorize(&admins, Operation::InventoryAdjust).await?;
    let reason = Reason::parse(&body.reason)?;
    let adjusted = stock::adjust(
        &db,
        product_id,
        body.delta,
        reason,
        audit(&admin, Operation::InventoryAdjust, product_id),
    )
    .await?;
    admins.counted(Operation::InventoryAdjust);
    Ok(Json(adjusted))
}

/// Set a product's low-stock threshold.
#[utoipa::path(put, path = "/api/admin/inventory/{product_id}/threshold", tag = "admin", request_body = Threshold,
    params(("product_id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The level with its new threshold", body = StockLevel),
        (status = 400, description = "Invalid field, or a product id that is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.threshold"))))]
pub async fn set_threshold(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(product_id): Path<i64>,
    JsonBody(body): JsonBody<Threshold>,
) -> ApiResult<Json<StockLevel>> {
    admin
        .authorize(&admins, Operation::InventoryThreshold)
        .await?;
    let level = stock::set_threshold(
        &db,
        product_id,
        body.threshold,
        audit(&admin, Operation::InventoryThreshold, product_id),
    )
    .await?;
    admins.counted(Operation::InventoryThreshold);
    Ok(Json(level))
}

/// A product's stock movements, newest first: sales, cancellations, returns and adjustments.
#[utoipa::path(get, path = "/api/admin/inventory/{product_id}/movements", tag = "admin", params(("product_id" = i64, Path, description = "Product id", minimum = 1), Page),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Movements", body = Vec<Movement>),
        (status = 400, description = "Invalid query parameter, or a product id that is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.read"))))]
pub async fn movements(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(product_id): Path<i64>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<Movement>>> {
    admin.authorize(&admins, Operation::InventoryRead).await?;
    let limit = limit(page.limit)?;
    if product_id < 1 {
        return Err(ApiError::not_found("product", product_id));
    }
    admins.counted(Operation::InventoryRead);
    Ok(Json(stock::movements(&db, product_id, limit).await?))
}

/// Recorded low-stock alerts, newest first.
#[utoipa::path(get, path = "/api/admin/inventory/alerts", tag = "admin", params(Page),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Alerts", body = Vec<Alert>),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.read"))))]
pub async fn alerts(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<Alert>>> {
    admin.authorize(&admins, Operation::InventoryRead).await?;
    let limit = limit(page.limit)?;
    admins.counted(Operation::InventoryRead);
    Ok(Json(stock::alerts(&db, limit).await?))
}

/// The stock forecast: days of cover from the last 28 days' sales (the method is in the answer).
#[utoipa::path(get, path = "/api/admin/inventory/{product_id}/forecast", tag = "admin",
    params(("product_id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The forecast", body = Forecast),
        (status = 400, description = "The product id is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("inventory.read"))))]
pub async fn forecast(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(product_id): Path<i64>,
) -> ApiResult<Json<Forecast>> {
    admin.authorize(&admins, Operation::InventoryRead).await?;
    let f = stock::forecast(&db, product_id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", product_id))?;
    admins.counted(Operation::InventoryRead);
    Ok(Json(f))
}
