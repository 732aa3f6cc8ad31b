//! Checkout and orders (C-SHOP-02): an order is placed from a cart, once per
//! `Idempotency-Key`. Stock is decremented in the same database transaction
//! that writes the order, with a conditional update, so concurrent buyers
//! can never oversell.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use telemetry_api::{KeyValue, semconv};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::carts::{Cart, load_cart, parse_cart_id};
use super::error::{ApiError, ApiResult};
use super::extract::{Json as JsonBody, Path};
use super::inventory::StockRequest;
use crate::payments;
use shop_core::db::{self, Db};
use shop_core::time::now_millis;

/// Header that makes a checkout safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that repeats an earlier one for the same key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// Orders with a subtotal from this amount ship free.
pub const FREE_SHIPPING_FROM_CENTS: i64 = 5_000;
pub const SHIPPING_CENTS: i64 = 499;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `JP`, `US`.
    pub country: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// A mock card token: `tok_visa` succeeds; `tok_chargeDeclined`,
    /// `tok_insufficientFunds`, `tok_expiredCard` are declined.
    pub token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    pub cart_id: String,
    pub email: String,
    pub shipping_address: Address,
    pub payment: Payment,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    pub product_id: i64,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
    pub line_total_cents: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Order {
    pub id: String,
    /// `confirmed` (paid, awaiting shipment).
    pub status: String,
    pub cart_id: String,
    pub email: String,
    pub shipping_address: Address,
    pub items: Vec<OrderItem>,
    pub subtotal_cents: i64,
    pub shipping_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub payment_reference: String,
    pub created_at: String,
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let field = "Idempotency-Key";
    let value = headers.get(IDEMPOTENCY_KEY).ok_or_else(|| {
        ApiError::validation(
            field,
            "header is required (a unique value per checkout, e.g. a UUID)",
        )
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::validation(field, "must be printable ASCII"))?;
    if value.is_empty() || value.len() > 255 || !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::validation(
            field,
            "must be 1–255 printable ASCII characters without spaces",
        ));
    }
    Ok(value.to_owned())
}

fn require(field: &str, value: &str, max: usize) -> ApiResult<()> {
    let n = value.trim().chars().count();
    if n == 0 {
        Err(ApiError::validation(field, "must not be empty"))
    } else if n > max {
        Err(ApiError::validation(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// Checks every field and normalises the order (trimmed text, upper-case country).
fn validate(mut body: CreateOrder) -> ApiResult<CreateOrder> {
    body.email = body.email.trim().to_owned();
    if body.email.len() > 254 || !valid_email(&body.email) {
        return Err(ApiError::validation("email", "must be an email address"));
    }
    let a = &mut body.shipping_address;
    require("shipping_address.name", &a.name, 200)?;
    require("shipping_address.line1", &a.line1, 200)?;
    if a.line2.chars().count() > 200 {
        return Err(ApiError::validation(
            "shipping_address.line2",
            "must be at most 200 characters",
        ));
    }
    require("shipping_address.city", &a.city, 100)?;
    require("shipping_address.postal_code", &a.postal_code, 20)?;
    if !a
        .postal_code
        .trim()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
    {
        return Err(ApiError::validation(
            "shipping_address.postal_code",
            "may contain only letters, digits, spaces and hyphens",
        ));
    }
    a.country = a.country.trim().to_ascii_uppercase();
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ApiError::validation(
            "shipping_address.country",
            "must be a two-letter country code",
        ));
    }
    for s in [
        &mut a.name,
        &mut a.line1,
        &mut a.line2,
        &mut a.city,
        &mut a.postal_code,
    ] {
        *s = s.trim().to_owned();
    }
    if !payments::valid_token(&body.payment.token) {
        return Err(ApiError::validation(
            "payment.token",
            "must be a card token like tok_visa",
        ));
    }
    Ok(body)
}

/// Identifies "the same request" for idempotency: a hash of the normalised body.
fn fingerprint(body: &CreateOrder) -> String {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why placing the order in the database failed.
enum PlaceError {
    DuplicateKey,
    OutOfStock { product_id: i64, requested: i64 },
    CartNotOpen,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for PlaceError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => PlaceError::DuplicateKey,
            _ => PlaceError::Db(e),
        }
    }
}

struct NewOrder<'a> {
    id: &'a str,
    key: &'a str,
    hash: &'a str,
    body: &'a CreateOrder,
    cart: &'a Cart,
    shipping_cents: i64,
    payment_reference: &'a str,
}

/// Writes the order, decrements stock and closes the cart in one
/// transaction. Returns products that fell to or below their low-stock
/// threshold.
async fn place(db: &Db, o: &NewOrder<'_>) -> Result<Vec<(i64, i64)>, PlaceError> {
    let mut tx = db.begin_write().await?;
    match write_order(db, &mut tx, o).await {
        Ok(low) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(low)
        }
        Err(e) => {
            // Roll back now rather than when the connection is next used, so
            // the write lock is released at once.
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

async fn write_order(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    o: &NewOrder<'_>,
) -> Result<Vec<(i64, i64)>, PlaceError> {
    let now = now_millis();
    let a = &o.body.shipping_address;
    const INSERT_ORDER: &str = "INSERT INTO orders (id, cart_id, idempotency_key, request_hash, status, email, \
        shipping_name, shipping_line1, shipping_line2, shipping_city, shipping_postal_code, shipping_country, \
        subtotal_cents, shipping_cents, total_cents, currency, payment_reference, created_at) \
        VALUES (?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    db.traced(
        INSERT_ORDER,
        sqlx::query(INSERT_ORDER)
            .bind(o.id)
            .bind(&o.cart.id)
            .bind(o.key)
            .bind(o.hash)
            .bind(&o.body.email)
            .bind(&a.name)
            .bind(&a.line1)
            .bind(&a.line2)
            .bind(&a.city)
            .bind(&a.postal_code)
            .bind(&a.country)
            .bind(o.cart.subtotal_cents)
            .bind(o.shipping_cents)
            .bind(o.cart.subtotal_cents + o.shipping_cents)
            .bind(&o.cart.currency)
            .bind(o.payment_reference)
            .bind(now)
            .execute(&mut **tx),
    )
    .await?;

    // Lock rows in a fixed order (by product id) so two checkouts of
    // overlapping carts cannot deadlock each other.
    let mut items: Vec<_> = o.cart.items.iter().collect();
    items.sort_by_key(|i| i.product_id);
    let mut low = Vec::new();
    for item in items {
        const DECREMENT: &str = "UPDATE inventory SET quantity = quantity - ?, updated_at = ? \
            WHERE product_id = ? AND quantity >= ?";
        let done = db
            .traced(
                DECREMENT,
                sqlx::query(DECREMENT)
                    .bind(item.quantity)
                    .bind(now)
                    .bind(item.product_id)
                    .bind(item.quantity)
                    .execute(&mut **tx),
            )
            .await?;
        if done.rows_affected() != 1 {
            return Err(PlaceError::OutOfStock {
                product_id: item.product_id,
                requested: item.quantity,
            });
        }
        const LEVEL: &str =
            "SELECT quantity, low_stock_threshold FROM inventory WHERE product_id = ?";
        let (left, threshold): (i64, i64) = db
            .traced(
                LEVEL,
                sqlx::query_as(LEVEL)
                    .bind(item.product_id)
                    .fetch_one(&mut **tx),
            )
            .await?;
        if left <= threshold {
            low.push((item.product_id, left));
        }
        const MOVEMENT: &str = "INSERT INTO inventory_movements (product_id, delta, reason, reference, created_at) \
            VALUES (?, ?, 'order', ?, ?)";
        db.traced(
            MOVEMENT,
            sqlx::query(MOVEMENT)
                .bind(item.product_id)
                .bind(-item.quantity)
                .bind(o.id)
                .bind(now)
                .execute(&mut **tx),
        )
        .await?;
        const LINE: &str = "INSERT INTO order_items (order_id, product_id, product_name, unit_price_cents, quantity, \
            line_total_cents) VALUES (?, ?, ?, ?, ?, ?)";
        db.traced(
            LINE,
            sqlx::query(LINE)
                .bind(o.id)
                .bind(item.product_id)
                .bind(&item.name)
                .bind(item.unit_price_cents)
                .bind(item.quantity)
                .bind(item.line_total_cents)
                .execute(&mut **tx),
        )
        .await?;
    }

    const CLOSE_CART: &str =
        "UPDATE carts SET status = 'checked_out', updated_at = ? WHERE id = ? AND status = 'open'";
    let closed = db
        .traced(
            CLOSE_CART,
            sqlx::query(CLOSE_CART)
                .bind(now)
                .bind(&o.cart.id)
                .execute(&mut **tx),
        )
        .await?;
    if closed.rows_affected() != 1 {
        return Err(PlaceError::CartNotOpen);
    }
    Ok(low)
}

fn cart_checked_out(id: &str) -> ApiError {
    ApiError::Conflict {
        code: "cart_checked_out",
        message: format!("cart {id} has already been checked out"),
        details: None,
    }
}

/// The cart is closed: by a concurrent retry of this very request (then
/// answer with its order), or by another checkout (then refuse).
async fn closed_cart(
    state: &AppState,
    key: &str,
    hash: &str,
    cart_id: &str,
) -> ApiResult<Response> {
    match find_by_key(&state.db, key).await? {
        Some((order_id, stored_hash)) => replay(state, &order_id, &stored_hash, hash).await,
        None => Err(cart_checked_out(cart_id)),
    }
}

/// Answers a retried request with the order its key created, or refuses a
/// key reused for a different request.
async fn replay(
    state: &AppState,
    order_id: &str,
    stored_hash: &str,
    hash: &str,
) -> ApiResult<Response> {
    if stored_hash != hash {
        return Err(ApiError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was already used for a different request".to_owned(),
            field: Some("Idempotency-Key".to_owned()),
        });
    }
    let order = load_order(&state.db, order_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("order {order_id} vanished")))?;
    record_outcome(state, "replayed");
    let mut response = created(order);
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}

async fn find_by_key(db: &Db, key: &str) -> ApiResult<Option<(String, String)>> {
    const SQL: &str = "SELECT id, request_hash FROM orders WHERE idempotency_key = ?";
    Ok(db
        .traced(SQL, sqlx::query_as(SQL).bind(key).fetch_optional(db.pool()))
        .await?)
}

fn created(order: Order) -> Response {
    let location = format!("/api/orders/{}", order.id);
    let mut response = (StatusCode::CREATED, Json(order)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

fn record_outcome(state: &AppState, outcome: &'static str) {
    tracing::Span::current().record(semconv::SHOP_CHECKOUT_OUTCOME, outcome);
    state
        .metrics
        .orders
        .add(1, &[KeyValue::new(semconv::SHOP_CHECKOUT_OUTCOME, outcome)]);
}

/// Place an order from a cart.
#[utoipa::path(post, path = "/api/orders", tag = "orders", request_body = CreateOrder,
    params(("Idempotency-Key" = String, Header, description = "Unique per checkout; a retry with the same key and body returns the same order")),
    responses(
        (status = 201, description = "Order placed (or replayed: header `Idempotent-Replayed: true`)", body = Order),
        (status = 400, description = "Invalid field or missing Idempotency-Key", body = super::error::ErrorBody),
        (status = 402, description = "Payment declined", body = super::error::ErrorBody),
        (status = 404, description = "No such cart", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is checked out", body = super::error::ErrorBody),
        (status = 422, description = "Empty cart, or the key was used for another request", body = super::error::ErrorBody),
    ))]
pub async fn create_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateOrder>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let mut body = validate(body)?;
    body.cart_id = parse_cart_id("cart_id", &body.cart_id)?;
    let span = tracing::Span::current();
    span.record(semconv::SHOP_CART_ID, body.cart_id.as_str());
    let hash = fingerprint(&body);

    if let Some((order_id, stored_hash)) = find_by_key(&state.db, &key).await? {
        span.record(semconv::SHOP_ORDER_ID, order_id.as_str());
        return replay(&state, &order_id, &stored_hash, &hash).await;
    }

    let cart = load_cart(&state.db, &body.cart_id)
        .await?
        .ok_or_else(|| ApiError::not_found("cart", &body.cart_id))?;
    if cart.status != "open" {
        return closed_cart(&state, &key, &hash, &cart.id).await;
    }
    if cart.items.is_empty() {
        return Err(ApiError::Unprocessable {
            code: "cart_empty",
            message: "the cart has no items".to_owned(),
            field: Some("cart_id".to_owned()),
        });
    }

    // Ask inventory first: a fast, friendly refusal with every short item.
    // The conditional update in `place` is what actually prevents overselling.
    let requests: Vec<StockRequest> = cart
        .items
        .iter()
        .map(|i| StockRequest {
            product_id: i.product_id,
            quantity: i.quantity,
        })
        .collect();
    let availability = state.inventory.check(&requests).await?;
    if !availability.available {
        record_outcome(&state, "out_of_stock");
        return Err(ApiError::Conflict {
            code: "insufficient_stock",
            message: "some items are not in stock in the quantity ordered".to_owned(),
            details: Some(serde_json::json!({ "items": availability.shortfalls() })),
        });
    }

    let shipping_cents = if cart.subtotal_cents >= FREE_SHIPPING_FROM_CENTS {
        0
    } else {
        SHIPPING_CENTS
    };
    let total = cart.subtotal_cents + shipping_cents;
    let payment_reference = match payments::authorize(&body.payment.token, total) {
        Ok(r) => r,
        Err(e) => {
            record_outcome(&state, "payment_declined");
            return Err(e);
        }
    };

    let order_id = Uuid::new_v4().hyphenated().to_string();
    let new_order = NewOrder {
        id: &order_id,
        key: &key,
        hash: &hash,
        body: &body,
        cart: &cart,
        shipping_cents,
        payment_reference: &payment_reference,
    };
    let mut attempt = 0;
    let low_stock = loop {
        attempt += 1;
        match place(&state.db, &new_order).await {
            Ok(low) => break low,
            Err(PlaceError::Db(e)) if db::is_transient(&e) && attempt < 4 => {
                tracing::warn!(attempt, error = %e, "checkout transaction conflicted; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            Err(PlaceError::Db(e)) => return Err(e.into()),
            Err(PlaceError::DuplicateKey) => {
                // A concurrent request with the same key won the race.
                let (id, stored) = find_by_key(&state.db, &key).await?.ok_or_else(|| {
                    ApiError::Internal("duplicate idempotency key without an order".to_owned())
                })?;
                return replay(&state, &id, &stored, &hash).await;
            }
            Err(PlaceError::OutOfStock {
                product_id,
                requested,
            }) => {
                record_outcome(&state, "out_of_stock");
                return Err(ApiError::Conflict {
                    code: "insufficient_stock",
                    message: format!("product {product_id} sold out while checking out"),
                    details: Some(
                        serde_json::json!({ "items": [{ "product_id": product_id, "requested": requested }] }),
                    ),
                });
            }
            Err(PlaceError::CartNotOpen) => {
                return closed_cart(&state, &key, &hash, &cart.id).await;
            }
        }
    };

    span.record(semconv::SHOP_ORDER_ID, order_id.as_str());
    span.record(semconv::SHOP_ORDER_STATUS, "confirmed");
    record_outcome(&state, "placed");
    state.metrics.revenue.add(
        total as u64,
        &[KeyValue::new(semconv::SHOP_CURRENCY, cart.currency.clone())],
    );
    tracing::info!(
        shop.order.id = %order_id,
        total_cents = total,
        items = cart.item_count,
        "order placed"
    );
    for (product_id, left) in low_stock {
        tracing::warn!(shop.product.id = product_id, quantity = left, "low stock");
    }
    let order = load_order(&state.db, &order_id)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("order {order_id} vanished")))?;
    Ok(created(order))
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: String,
    cart_id: String,
    status: String,
    email: String,
    shipping_name: String,
    shipping_line1: String,
    shipping_line2: String,
    shipping_city: String,
    shipping_postal_code: String,
    shipping_country: String,
    subtotal_cents: i64,
    shipping_cents: i64,
    total_cents: i64,
    currency: String,
    payment_reference: String,
    created_at: i64,
}

async fn load_order(db: &Db, id: &str) -> ApiResult<Option<Order>> {
    const ORDER: &str = "SELECT id, cart_id, status, email, shipping_name, shipping_line1, shipping_line2, \
        shipping_city, shipping_postal_code, shipping_country, subtotal_cents, shipping_cents, total_cents, \
        currency, payment_reference, created_at FROM orders WHERE id = ?";
    let Some(r) = db
        .traced(
            ORDER,
            sqlx::query_as::<_, OrderRow>(ORDER)
                .bind(id)
                .fetch_optional(db.pool()),
        )
        .await?
    else {
        return Ok(None);
    };
    const ITEMS: &str = "SELECT product_id, product_name, unit_price_cents, quantity, line_total_cents \
        FROM order_items WHERE order_id = ? ORDER BY id";
    let items: Vec<(i64, String, i64, i64, i64)> = db
        .traced_all(ITEMS, sqlx::query_as(ITEMS).bind(id).fetch_all(db.pool()))
        .await?;
    Ok(Some(Order {
        id: r.id,
        status: r.status,
        cart_id: r.cart_id,
        email: r.email,
        shipping_address: Address {
            name: r.shipping_name,
            line1: r.shipping_line1,
            line2: r.shipping_line2,
            city: r.shipping_city,
            postal_code: r.shipping_postal_code,
            country: r.shipping_country,
        },
        items: items
            .into_iter()
            .map(
                |(product_id, name, unit_price_cents, quantity, line_total_cents)| OrderItem {
                    product_id,
                    name,
                    unit_price_cents,
                    quantity,
                    line_total_cents,
                },
            )
            .collect(),
        subtotal_cents: r.subtotal_cents,
        shipping_cents: r.shipping_cents,
        total_cents: r.total_cents,
        currency: r.currency,
        payment_reference: r.payment_reference,
        created_at: shop_core::time::rfc3339(r.created_at),
    }))
}

/// An order and its lines.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID)")),
    responses(
        (status = 200, body = Order),
        (status = 400, description = "Malformed id", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
    ))]
pub async fn get_order(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = Uuid::parse_str(&raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::validation("id", "must be a UUID"))?;
    let span = tracing::Span::current();
    span.record(semconv::SHOP_ORDER_ID, id.as_str());
    let order = load_order(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("order", &id))?;
    span.record(semconv::SHOP_ORDER_STATUS, order.status.as_str());
    Ok(Json(order))
}
