//! The server-side cart (C-SHOP-01): create, view, add, change, remove.
//! Adding checks stock with the inventory service, so a shopper learns early
//! that an item is short; checkout checks again, atomically.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use telemetry_api::{KeyValue, semconv};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::catalog::StockStatus;
use super::error::{ApiError, ApiResult};
use super::extract::{Json as JsonBody, Path};
use super::inventory::StockRequest;
use shop_core::db::Db;
use shop_core::time::now_millis;

/// Most units of one product a cart may hold.
pub const MAX_QUANTITY: i64 = 99;
/// Most distinct products a cart may hold.
pub const MAX_LINES: i64 = 50;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CartItem {
    /// Id of this cart line (for PATCH/DELETE).
    pub id: i64,
    pub product_id: i64,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
    pub stock_status: StockStatus,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Cart {
    pub id: String,
    /// `open`, or `checked_out` once an order was placed from it.
    pub status: String,
    pub items: Vec<CartItem>,
    /// Units across all lines.
    pub item_count: i64,
    pub subtotal_cents: i64,
    pub currency: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    pub product_id: i64,
    /// 1–99 (default 1). Added to the quantity already in the cart.
    #[serde(default = "one")]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItem {
    /// The new quantity, 1–99 (use DELETE to remove the line).
    pub quantity: i64,
}

/// Parses a cart id: malformed ids are a 400, well-formed unknown ones a 404.
pub fn parse_cart_id(field: &str, raw: &str) -> ApiResult<String> {
    Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::validation(field, "must be a UUID"))
}

fn check_quantity(field: &str, q: i64) -> ApiResult<()> {
    if (1..=MAX_QUANTITY).contains(&q) {
        Ok(())
    } else {
        Err(ApiError::validation(
            field,
            format!("must be between 1 and {MAX_QUANTITY}"),
        ))
    }
}

/// The cart's status, or 404.
async fn cart_status(db: &Db, id: &str) -> ApiResult<String> {
    const SQL: &str = "SELECT status FROM carts WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL).bind(id).fetch_optional(db.pool()),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("cart", id))
}

/// 404 for an unknown cart, 409 for one already checked out.
async fn open_cart(db: &Db, id: &str) -> ApiResult<()> {
    match cart_status(db, id).await?.as_str() {
        "open" => Ok(()),
        _ => Err(ApiError::Conflict {
            code: "cart_checked_out",
            message: format!("cart {id} has been checked out; create a new cart"),
            details: None,
        }),
    }
}

/// Loads a cart with its lines, or `None`.
pub async fn load_cart(db: &Db, id: &str) -> ApiResult<Option<Cart>> {
    const CART: &str = "SELECT status, created_at, updated_at FROM carts WHERE id = ?";
    let Some((status, created_at, updated_at)) = db
        .traced(
            CART,
            sqlx::query_as::<_, (String, i64, i64)>(CART)
                .bind(id)
                .fetch_optional(db.pool()),
        )
        .await?
    else {
        return Ok(None);
    };
    const ITEMS: &str = "SELECT ci.id, ci.product_id, p.name, p.price_cents, ci.quantity, p.currency, \
        COALESCE(i.quantity, 0), COALESCE(i.low_stock_threshold, 0) \
        FROM cart_items ci JOIN products p ON p.id = ci.product_id \
        LEFT JOIN inventory i ON i.product_id = ci.product_id \
        WHERE ci.cart_id = ? ORDER BY ci.id";
    // (line id, product id, name, price, quantity, currency, on hand, threshold)
    type Line = (i64, i64, String, i64, i64, String, i64, i64);
    let rows: Vec<Line> = db
        .traced_all(ITEMS, sqlx::query_as(ITEMS).bind(id).fetch_all(db.pool()))
        .await?;
    let currency = rows
        .first()
        .map_or_else(|| "USD".to_owned(), |r| r.5.clone());
    let items: Vec<CartItem> = rows
        .into_iter()
        .map(
            |(line, product_id, name, price, quantity, _, on_hand, threshold)| CartItem {
                id: line,
                product_id,
                name,
                unit_price_cents: price,
                quantity,
                line_total_cents: price * quantity,
                stock_status: StockStatus::of(on_hand, threshold),
            },
        )
        .collect();
    Ok(Some(Cart {
        id: id.to_owned(),
        status,
        item_count: items.iter().map(|i| i.quantity).sum(),
        subtotal_cents: items.iter().map(|i| i.line_total_cents).sum(),
        currency,
        items,
        created_at: shop_core::time::rfc3339(created_at),
        updated_at: shop_core::time::rfc3339(updated_at),
    }))
}

async fn cart_response(db: &Db, id: &str) -> ApiResult<Json<Cart>> {
    load_cart(db, id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("cart", id))
}

async fn touch(db: &Db, id: &str) -> ApiResult<()> {
    const SQL: &str = "UPDATE carts SET updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(now_millis())
            .bind(id)
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

/// Create an empty cart.
#[utoipa::path(post, path = "/api/carts", tag = "carts", responses((status = 201, body = Cart)))]
pub async fn create_cart(State(state): State<AppState>) -> ApiResult<(StatusCode, Json<Cart>)> {
    let id = Uuid::new_v4().hyphenated().to_string();
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    const SQL: &str =
        "INSERT INTO carts (id, status, created_at, updated_at) VALUES (?, 'open', ?, ?)";
    let now = now_millis();
    state
        .db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(&id)
                .bind(now)
                .bind(now)
                .execute(state.db.pool()),
        )
        .await?;
    Ok((StatusCode::CREATED, cart_response(&state.db, &id).await?))
}

/// View a cart.
#[utoipa::path(get, path = "/api/carts/{id}", tag = "carts",
    params(("id" = String, Path, description = "Cart id (UUID)")),
    responses(
        (status = 200, body = Cart),
        (status = 400, description = "Malformed id", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
    ))]
pub async fn get_cart(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Cart>> {
    let id = parse_cart_id("id", &raw)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    cart_response(&state.db, &id).await
}

/// Add a product to a cart (merging with a line already there).
#[utoipa::path(post, path = "/api/carts/{id}/items", tag = "carts", request_body = AddItem,
    params(("id" = String, Path, description = "Cart id (UUID)")),
    responses(
        (status = 201, description = "The updated cart", body = Cart),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, description = "No such cart", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is checked out", body = super::error::ErrorBody),
        (status = 422, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn add_item(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<AddItem>,
) -> ApiResult<(StatusCode, Json<Cart>)> {
    let id = parse_cart_id("id", &raw)?;
    let span = tracing::Span::current();
    span.record(semconv::SHOP_CART_ID, id.as_str());
    span.record(semconv::SHOP_PRODUCT_ID, body.product_id);
    if body.product_id < 1 {
        return Err(ApiError::validation(
            "product_id",
            "must be a positive integer",
        ));
    }
    check_quantity("quantity", body.quantity)?;
    open_cart(&state.db, &id).await?;

    const CURRENT: &str = "SELECT quantity FROM cart_items WHERE cart_id = ? AND product_id = ?";
    let current: i64 = state
        .db
        .traced(
            CURRENT,
            sqlx::query_scalar(CURRENT)
                .bind(&id)
                .bind(body.product_id)
                .fetch_optional(state.db.pool()),
        )
        .await?
        .unwrap_or(0);
    let wanted = current + body.quantity;
    check_quantity("quantity", wanted).map_err(|_| {
        ApiError::validation(
            "quantity",
            format!("the cart would hold {wanted} of this product; at most {MAX_QUANTITY}"),
        )
    })?;
    if current == 0 {
        const LINES: &str = "SELECT COUNT(*) FROM cart_items WHERE cart_id = ?";
        let lines: i64 = state
            .db
            .traced(
                LINES,
                sqlx::query_scalar(LINES)
                    .bind(&id)
                    .fetch_one(state.db.pool()),
            )
            .await?;
        if lines >= MAX_LINES {
            return Err(ApiError::Conflict {
                code: "cart_full",
                message: format!("a cart holds at most {MAX_LINES} different products"),
                details: None,
            });
        }
    }

    let availability = state
        .inventory
        .check(&[StockRequest {
            product_id: body.product_id,
            quantity: wanted,
        }])
        .await?;
    let item = &availability.items[0];
    if !item.exists {
        return Err(ApiError::Unprocessable {
            code: "unknown_product",
            message: format!("no product with id {}", body.product_id),
            field: Some("product_id".to_owned()),
        });
    }
    if !item.sufficient {
        return Err(ApiError::Conflict {
            code: "insufficient_stock",
            message: format!(
                "only {} of product {} in stock; the cart would need {wanted}",
                item.on_hand, body.product_id
            ),
            details: Some(serde_json::json!({ "items": [item] })),
        });
    }

    // One statement for insert-or-increase keeps concurrent adds of the same
    // product from racing; the syntax differs between the engines.
    const UPSERT_SQLITE: &str = "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) \
        VALUES (?, ?, ?, ?) ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity";
    const UPSERT_MYSQL: &str = "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) \
        VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity)";
    let upsert = if state.db.system().is_sqlite() {
        UPSERT_SQLITE
    } else {
        UPSERT_MYSQL
    };
    state
        .db
        .traced(
            upsert,
            sqlx::query(upsert)
                .bind(&id)
                .bind(body.product_id)
                .bind(body.quantity)
                .bind(now_millis())
                .execute(state.db.pool()),
        )
        .await?;
    touch(&state.db, &id).await?;
    state.metrics.cart_additions.add(
        body.quantity as u64,
        &[KeyValue::new(semconv::SHOP_USER_TYPE, "guest")],
    );
    tracing::info!(shop.cart.id = %id, shop.product.id = body.product_id, quantity = body.quantity, "item added to cart");
    Ok((StatusCode::CREATED, cart_response(&state.db, &id).await?))
}

/// The line's product, checking that the line belongs to the cart.
async fn line_product(db: &Db, cart: &str, item_id: i64) -> ApiResult<i64> {
    const SQL: &str = "SELECT product_id FROM cart_items WHERE id = ? AND cart_id = ?";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL)
            .bind(item_id)
            .bind(cart)
            .fetch_optional(db.pool()),
    )
    .await?
    .ok_or_else(|| ApiError::not_found("cart item", item_id))
}

/// Change the quantity of a cart line.
#[utoipa::path(patch, path = "/api/carts/{id}/items/{item_id}", tag = "carts", request_body = UpdateItem,
    params(("id" = String, Path, description = "Cart id (UUID)"), ("item_id" = i64, Path, description = "Cart line id")),
    responses(
        (status = 200, description = "The updated cart", body = Cart),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, description = "No such cart or line", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is checked out", body = super::error::ErrorBody),
    ))]
pub async fn update_item(
    State(state): State<AppState>,
    Path((raw, item_id)): Path<(String, i64)>,
    JsonBody(body): JsonBody<UpdateItem>,
) -> ApiResult<Json<Cart>> {
    let id = parse_cart_id("id", &raw)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    check_quantity("quantity", body.quantity)?;
    open_cart(&state.db, &id).await?;
    let product_id = line_product(&state.db, &id, item_id).await?;
    let availability = state
        .inventory
        .check(&[StockRequest {
            product_id,
            quantity: body.quantity,
        }])
        .await?;
    if !availability.available {
        let item = &availability.items[0];
        return Err(ApiError::Conflict {
            code: "insufficient_stock",
            message: format!("only {} of product {product_id} in stock", item.on_hand),
            details: Some(serde_json::json!({ "items": [item] })),
        });
    }
    const SQL: &str = "UPDATE cart_items SET quantity = ? WHERE id = ? AND cart_id = ?";
    state
        .db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(body.quantity)
                .bind(item_id)
                .bind(&id)
                .execute(state.db.pool()),
        )
        .await?;
    touch(&state.db, &id).await?;
    cart_response(&state.db, &id).await
}

/// Remove a line from a cart.
#[utoipa::path(delete, path = "/api/carts/{id}/items/{item_id}", tag = "carts",
    params(("id" = String, Path, description = "Cart id (UUID)"), ("item_id" = i64, Path, description = "Cart line id")),
    responses(
        (status = 200, description = "The updated cart", body = Cart),
        (status = 404, description = "No such cart or line", body = super::error::ErrorBody),
        (status = 409, description = "The cart is checked out", body = super::error::ErrorBody),
    ))]
pub async fn remove_item(
    State(state): State<AppState>,
    Path((raw, item_id)): Path<(String, i64)>,
) -> ApiResult<Json<Cart>> {
    let id = parse_cart_id("id", &raw)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    open_cart(&state.db, &id).await?;
    line_product(&state.db, &id, item_id).await?;
    const SQL: &str = "DELETE FROM cart_items WHERE id = ? AND cart_id = ?";
    state
        .db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(item_id)
                .bind(&id)
                .execute(state.db.pool()),
        )
        .await?;
    touch(&state.db, &id).await?;
    cart_response(&state.db, &id).await
}
