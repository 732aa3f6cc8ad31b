//! Checkout and orders (C-SHOP-02): an order is placed from a cart, once per
//! `Idempotency-Key`. The rules, the transaction and the replay logic are
//! `shop_core::orders`'s; this module is the wire: the request body, the
//! header, `201 Created` with `Location`, and `Idempotent-Replayed`.

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shop_core::Invalid;
use shop_core::cart::CartId;
use shop_core::email::EmailAddress;
use shop_core::orders::{
    Address, Checkout, IdempotencyKey, Order, OrderId, Orders, Placed, ShippingAddress,
};
use shop_core::payments::PaymentToken;
use telemetry_api::semconv;
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{Json as JsonBody, Path};

/// Header that makes a checkout safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that repeats an earlier one for the same key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Checkout and orders' routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Orders: FromRef<S>,
{
    Router::new()
        .route("/api/orders", post(create_order))
        .route("/api/orders/{id}", get(get_order))
}

/// The payment part of a checkout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// A mock card token: `tok_visa` succeeds; `tok_chargeDeclined`,
    /// `tok_insufficientFunds`, `tok_expiredCard` are declined.
    pub token: String,
}

/// The body of a checkout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    pub cart_id: String,
    pub email: String,
    pub shipping_address: Address,
    pub payment: Payment,
}

impl TryFrom<CreateOrder> for Checkout {
    type Error = Invalid;

    /// Checks the fields in the order the API has always reported them:
    /// email, address, payment token, then the cart id.
    fn try_from(body: CreateOrder) -> Result<Checkout, Invalid> {
        let email = EmailAddress::parse(&body.email)?;
        let shipping_address = ShippingAddress::try_from(body.shipping_address)
            .map_err(|e| e.within("shipping_address"))?;
        let payment_token =
            PaymentToken::parse(&body.payment.token).map_err(|e| e.within("payment"))?;
        let cart_id = CartId::parse(&body.cart_id).map_err(|e| e.at("cart_id"))?;
        Ok(Checkout {
            cart_id,
            email,
            shipping_address,
            payment_token,
        })
    }
}

/// `201 Created` with the order and its `Location`.
fn created(order: Order) -> Response {
    let location = format!("/api/orders/{}", order.id);
    let mut response = (StatusCode::CREATED, Json(order)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
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
    State(orders): State<Orders>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateOrder>,
) -> ApiResult<Response> {
    let key = IdempotencyKey::parse(headers.get(IDEMPOTENCY_KEY).map(HeaderValue::as_bytes))?;
    let checkout = Checkout::try_from(body)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, checkout.cart_id.as_str());
    Ok(match orders.place(&key, &checkout).await? {
        Placed::Created(order) => created(order),
        Placed::Replayed(order) => {
            let mut response = created(order);
            response
                .headers_mut()
                .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
            response
        }
    })
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
    State(orders): State<Orders>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = OrderId::parse(&raw)?;
    let span = tracing::Span::current();
    span.record(semconv::SHOP_ORDER_ID, id.as_str());
    let order = orders.get(&id).await?;
    span.record(semconv::SHOP_ORDER_STATUS, order.status.as_str());
    Ok(Json(order))
}
