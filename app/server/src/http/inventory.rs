//! Inventory (the seeds' inventory service): stock levels and the
//! availability check the orders service calls before checkout.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use utoipa::ToSchema;

use super::AppState;
use super::catalog::StockStatus;
use super::error::{ApiError, ApiResult};
use super::extract::{self, Path};
use shop_core::db::Db;

/// Most distinct products one availability check may ask about.
pub const MAX_CHECK_ITEMS: usize = 100;

/// "Do you have this many of that?"
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockRequest {
    pub product_id: i64,
    pub quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub items: Vec<StockRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ItemAvailability {
    pub product_id: i64,
    pub requested: i64,
    /// Units on hand (0 for unknown products).
    pub on_hand: i64,
    /// Whether the product exists at all.
    pub exists: bool,
    /// `on_hand >= requested`.
    pub sufficient: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Availability {
    /// True when every item is sufficient.
    pub available: bool,
    pub items: Vec<ItemAvailability>,
}

impl Availability {
    /// The items that are short, for error details.
    pub fn shortfalls(&self) -> Vec<&ItemAvailability> {
        self.items.iter().filter(|i| !i.sufficient).collect()
    }
}

/// Validates a list of stock requests (shared by the HTTP endpoint and the
/// in-process client).
pub fn validate_requests(items: &[StockRequest]) -> ApiResult<()> {
    if items.is_empty() {
        return Err(ApiError::validation("items", "must not be empty"));
    }
    if items.len() > MAX_CHECK_ITEMS {
        return Err(ApiError::validation(
            "items",
            format!("at most {MAX_CHECK_ITEMS} items"),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if !seen.insert(item.product_id) {
            return Err(ApiError::validation(
                format!("items[{i}].product_id"),
                "appears more than once",
            ));
        }
        if item.product_id < 1 {
            return Err(ApiError::validation(
                format!("items[{i}].product_id"),
                "must be a positive integer",
            ));
        }
        if !(1..=1_000_000).contains(&item.quantity) {
            return Err(ApiError::validation(
                format!("items[{i}].quantity"),
                "must be between 1 and 1000000",
            ));
        }
    }
    Ok(())
}

/// Compares requested quantities with stock on hand, in one query.
pub async fn check_availability(db: &Db, items: &[StockRequest]) -> ApiResult<Availability> {
    validate_requests(items)?;
    let placeholders = vec!["?"; items.len()].join(", ");
    let sql = format!(
        "SELECT p.id, COALESCE(i.quantity, 0) FROM products p LEFT JOIN inventory i ON i.product_id = p.id \
         WHERE p.id IN ({placeholders})"
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql.clone()));
    for item in items {
        q = q.bind(item.product_id);
    }
    let on_hand: std::collections::HashMap<i64, i64> = db
        .traced_all(&sql, q.fetch_all(db.pool()))
        .await?
        .into_iter()
        .collect();
    let items: Vec<ItemAvailability> = items
        .iter()
        .map(|r| {
            let have = on_hand.get(&r.product_id).copied();
            ItemAvailability {
                product_id: r.product_id,
                requested: r.quantity,
                on_hand: have.unwrap_or(0),
                exists: have.is_some(),
                sufficient: have.is_some_and(|h| h >= r.quantity),
            }
        })
        .collect();
    Ok(Availability {
        available: items.iter().all(|i| i.sufficient),
        items,
    })
}

/// Check stock for a list of items (called by the orders service).
#[utoipa::path(post, path = "/api/inventory/check", tag = "inventory", request_body = CheckRequest,
    responses(
        (status = 200, body = Availability),
        (status = 400, body = super::error::ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    extract::Json(body): extract::Json<CheckRequest>,
) -> ApiResult<Json<Availability>> {
    Ok(Json(check_availability(&state.db, &body.items).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    pub product_id: i64,
    pub quantity: i64,
    pub low_stock_threshold: i64,
    pub status: StockStatus,
    /// RFC 3339.
    pub updated_at: String,
}

/// The stock level of one product.
#[utoipa::path(get, path = "/api/inventory/{product_id}", tag = "inventory",
    params(("product_id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, body = StockLevel),
        (status = 404, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn get_level(
    State(state): State<AppState>,
    Path(product_id): Path<i64>,
) -> ApiResult<Json<StockLevel>> {
    tracing::Span::current().record(telemetry_api::semconv::SHOP_PRODUCT_ID, product_id);
    const SQL: &str =
        "SELECT quantity, low_stock_threshold, updated_at FROM inventory WHERE product_id = ?";
    let row: Option<(i64, i64, i64)> = state
        .db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(product_id)
                .fetch_optional(state.db.pool()),
        )
        .await?;
    let (quantity, low_stock_threshold, updated_at) =
        row.ok_or_else(|| ApiError::not_found("product", product_id))?;
    Ok(Json(StockLevel {
        product_id,
        quantity,
        low_stock_threshold,
        status: StockStatus::of(quantity, low_stock_threshold),
        updated_at: shop_core::time::rfc3339(updated_at),
    }))
}
