//! The inventory service's routes: stock levels and the availability check
//! the orders service calls before checkout. The rules and the SQL are
//! `shop_core::inventory`'s.

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shop_core::inventory::{Availability, Inventory, StockCheck, StockLevel, StockRequest};
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{self, Path};

/// The inventory service's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Inventory: FromRef<S>,
{
    Router::new()
        .route("/api/inventory/check", post(check))
        .route("/api/inventory/{product_id}", get(get_level))
}

/// The body of an availability check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// 1–100 items, each product at most once.
    #[schema(min_items = 1, max_items = 100)]
    pub items: Vec<StockRequest>,
}

/// Check stock for a list of items (called by the orders service).
#[utoipa::path(post, path = "/api/inventory/check", tag = "inventory", request_body = CheckRequest,
    responses(
        (status = 200, body = Availability),
        (status = 400, description = "Malformed body or a field out of range (also: a product listed twice)", body = super::error::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = super::error::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = super::error::ErrorBody),
    ))]
pub async fn check(
    State(inventory): State<Inventory>,
    extract::Json(body): extract::Json<CheckRequest>,
) -> ApiResult<Json<Availability>> {
    let check = StockCheck::parse(body.items)?;
    Ok(Json(inventory.check(&check).await?))
}

/// The stock level of one product.
#[utoipa::path(get, path = "/api/inventory/{product_id}", tag = "inventory",
    params(("product_id" = i64, Path, description = "Product id", minimum = 1)),
    responses(
        (status = 200, body = StockLevel),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn get_level(
    State(inventory): State<Inventory>,
    Path(product_id): Path<i64>,
) -> ApiResult<Json<StockLevel>> {
    tracing::Span::current().record(telemetry_api::semconv::SHOP_PRODUCT_ID, product_id);
    Ok(Json(inventory.level(product_id).await?))
}
