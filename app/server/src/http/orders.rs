//! Checkout and orders (C-SHOP-02): an order is placed from a cart, once per
//! `Idempotency-Key`. The rules, the transaction and the replay logic are
//! `shop_core::orders`'s; this module is the wire: the request body, the
//! header, `201 Created` with `Location`, and `Idempotent-Replayed`.
//!
//! Order tracking (C-SHOP-05) on the wire: a customer cancels an order or
//! asks to return it, on their own orders (session) or, as a guest, with
//! the order id and e-mail of the lookup. The status machine is
//! `shop_core::orders::status`'s.

use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shop_core::Invalid;
use shop_core::accounts::Session;
use shop_core::cart::CartId;
use shop_core::email::EmailAddress;
use shop_core::orders::{
    Address, Checkout, CouponCode, IdempotencyKey, Order, OrderId, Orders, Owner, Placed,
    ShippingAddress,
};
use shop_core::payments::{self, CashOnDelivery, MethodName, PaymentToken, WalletToken};
use telemetry_api::semconv;
use utoipa::ToSchema;

use super::accounts::GuestOrderLookup;
use super::error::{ApiResult, ErrorBody};
use super::extract::{Json as JsonBody, Path};
use super::session::Customer;

/// Header that makes a checkout safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a response that repeats an earlier one for the same key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// Checkout and orders' routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Orders: FromRef<S>,
    shop_core::db::Db: FromRef<S>,
{
    Router::new()
        .route("/api/orders", post(create_order))
        .route("/api/orders/{id}", get(get_order))
        .route(
            "/api/account/orders/{id}/cancel",
            post(cancel_account_order),
        )
        .route(
            "/api/account/orders/{id}/return",
            post(return_account_order),
        )
        .route("/api/orders/lookup/cancel", post(cancel_guest_order))
        .route("/api/orders/lookup/return", post(return_guest_order))
}

/// The payment part of a checkout (C-SHOP-03): a method and its token. Every method is a mock:
/// no payment network is called and no token is stored. One struct on the wire, so that a
/// mistake gets an answer naming the field (`payment.method`, `payment.token`); the OpenAPI
/// document describes the three shapes it takes ([`payment_schema`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// `card` (the default), `wallet` or `cash_on_delivery`.
    #[serde(default)]
    pub method: Option<String>,
    /// `tok_…` for a card, `wal_…` for a wallet, absent for cash on delivery.
    #[serde(default)]
    pub token: Option<String>,
}

/// The document's schema of `payment`: exactly one of three shapes, so that every request the
/// document calls valid is one the server accepts, and every other one it refuses.
fn payment_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
    };
    let token = |prefix: &str, example: &str, description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{prefix}_[A-Za-z0-9_]{{1,60}}$")))
            .description(Some(description))
            .examples([serde_json::json!(example)])
    };
    let method = |names: &[&str], nullable: bool| {
        let mut values: Vec<serde_json::Value> =
            names.iter().map(|n| serde_json::json!(n)).collect();
        let schema_type = if nullable {
            values.push(serde_json::Value::Null);
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::Type(Type::String)
        };
        ObjectBuilder::new()
            .schema_type(schema_type)
            .enum_values(Some(values))
    };
    let closed = || Some(AdditionalProperties::FreeForm(false));
    let card = ObjectBuilder::new()
        .title(Some("Card"))
        .description(Some(
            "A card, through a mock token. `tok_visa` (or any other) is authorized; \
             `tok_chargeDeclined`, `tok_insufficientFunds`, `tok_expiredCard` are declined (402).",
        ))
        .property("method", method(&["card"], true))
        .property(
            "token",
            token(
                "tok",
                "tok_visa",
                "`tok_` and 1–60 letters, digits or underscores",
            ),
        )
        .required("token")
        .additional_properties(closed());
    let wallet = ObjectBuilder::new()
        .title(Some("Wallet"))
        .description(Some(
            "A digital wallet's one-time token: authorized at once; `wal_declined` is declined (402).",
        ))
        .property("method", method(&["wallet"], false))
        .property(
            "token",
            token("wal", "wal_demo", "`wal_` and 1–60 letters, digits or underscores"),
        )
        .required("method")
        .required("token")
        .additional_properties(closed());
    let cash = ObjectBuilder::new()
        .title(Some("CashOnDelivery"))
        .description(Some(
            "Paid to the courier: the order is placed unpaid (status `placed`). Totals above 300.00 \
             are declined (402, `cod_limit_exceeded`).",
        ))
        .property("method", method(&["cash_on_delivery"], false))
        .property(
            "token",
            ObjectBuilder::new()
                .schema_type(Type::Null)
                .description(Some("Cash on delivery takes no token.")),
        )
        .required("method")
        .additional_properties(closed());
    Schema::OneOf(
        OneOfBuilder::new()
            .item(card)
            .item(wallet)
            .item(cash)
            .build(),
    )
}

impl TryFrom<Payment> for payments::Payment {
    type Error = Invalid;

    /// The method first, then its token (field names relative to `payment`).
    fn try_from(p: Payment) -> Result<payments::Payment, Invalid> {
        let method = match p.method.as_deref() {
            None => MethodName::Card,
            Some(m) => MethodName::parse(m).ok_or_else(|| {
                Invalid::new("method", "must be card, wallet or cash_on_delivery")
            })?,
        };
        match (method, p.token.as_deref()) {
            (MethodName::Card, Some(t)) => PaymentToken::parse(t).map(payments::Payment::Card),
            (MethodName::Wallet, Some(t)) => WalletToken::parse(t).map(payments::Payment::Wallet),
            (MethodName::CashOnDelivery, None) => {
                Ok(payments::Payment::CashOnDelivery(CashOnDelivery))
            }
            (MethodName::CashOnDelivery, Some(_)) => Err(Invalid::new(
                "token",
                "must be left out: cash on delivery takes no token",
            )),
            (_, None) => Err(Invalid::new(
                "token",
                "is required for card and wallet payments",
            )),
        }
    }
}

/// The body of a checkout.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// The cart to check out (a UUID from `POST /api/carts`).
    #[schema(format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f")]
    pub cart_id: String,
    /// Where the confirmation goes: `local@domain`, at most 254 characters, a local part of
    /// 1–64 characters, a domain with a dot inside (surrounding spaces are removed). The pattern
    /// states the ASCII form; the shop also takes non-ASCII addresses.
    #[schema(
        format = Email,
        max_length = 254,
        pattern = r"^[!-?A-~]{1,64}@[!-\-/-?A-~][!-?A-~]*\.[!-?A-~]*[!-\-/-?A-~]$",
        example = "learner@example.com"
    )]
    pub email: String,
    pub shipping_address: Address,
    #[schema(schema_with = payment_schema)]
    pub payment: Payment,
    /// A coupon code (C-SHOP-06), compared case-insensitively. If it does not apply the checkout
    /// is refused with 422 and a code saying why: `coupon_unknown`, `coupon_not_yet_valid`,
    /// `coupon_expired`, `coupon_minimum_not_met`, `coupon_exhausted`, `coupon_customer_limit`.
    #[serde(default)]
    #[schema(
        pattern = r"^[A-Za-z0-9_-]{1,32}$",
        min_length = 1,
        max_length = 32,
        example = "WELCOME10"
    )]
    pub coupon_code: Option<String>,
}

impl TryFrom<CreateOrder> for Checkout {
    type Error = Invalid;

    /// Checks the fields in the order the API has always reported them:
    /// email, address, payment token, then the cart id.
    fn try_from(body: CreateOrder) -> Result<Checkout, Invalid> {
        let email = EmailAddress::parse(&body.email)?;
        let shipping_address = ShippingAddress::try_from(body.shipping_address)
            .map_err(|e| e.within("shipping_address"))?;
        let payment = payments::Payment::try_from(body.payment).map_err(|e| e.within("payment"))?;
        let cart_id = CartId::parse(&body.cart_id).map_err(|e| e.at("cart_id"))?;
        let coupon = body
            .coupon_code
            .as_deref()
            .map(CouponCode::parse)
            .transpose()?;
        Ok(Checkout {
            cart_id,
            email,
            shipping_address,
            payment,
            coupon,
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
    params(("Idempotency-Key" = String, Header,
        description = "Unique per checkout (e.g. a UUID), 1–255 printable ASCII characters without spaces; a retry with the same key and body returns the same order",
        min_length = 1, max_length = 255, pattern = r"^[!-~]{1,255}$")),
    responses(
        (status = 201, description = "Order placed (or replayed: header `Idempotent-Replayed: true`)", body = Order, links(
            ("GetOrder" = (operation_id = "get_order", parameters(("id" = "$response.body#/id")))),
        )),
        (status = 400, description = "Invalid field or missing Idempotency-Key", body = super::error::ErrorBody),
        (status = 402, description = "Payment declined", body = super::error::ErrorBody),
        (status = 404, description = "No such cart", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is checked out", body = super::error::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = super::error::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = super::error::ErrorBody),
        (status = 422, description = "Empty cart, the key was used for another request, or the coupon does not apply (`coupon_…`, see `coupon_code`)", body = super::error::ErrorBody),
        (status = 500, description = "A failure injected on purpose by the fault flag `checkout_failure_percent` (`injected_fault`, docs/faults.md): nothing was written, a retry with the same key may succeed", body = super::error::ErrorBody),
        (status = 502, description = "The inventory service answered with something unusable (split deployment)", body = super::error::ErrorBody),
    ))]
pub async fn create_order(
    State(orders): State<Orders>,
    State(db): State<shop_core::db::Db>,
    customer: Option<axum::Extension<Session>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateOrder>,
) -> ApiResult<Response> {
    let key = IdempotencyKey::parse(headers.get(IDEMPOTENCY_KEY).map(HeaderValue::as_bytes))?;
    let checkout = Checkout::try_from(body)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, checkout.cart_id.as_str());
    // The injected failure (`checkout_failure_percent`, docs/faults.md):
    // decided after the request is known to be valid (bad input still gets
    // its 4xx) and before anything is written, so no order, stock, cart or
    // idempotency key changes, and a retry may go through.
    if db.faults().checkout_fails_now() {
        return Err(super::error::ApiError::InjectedFault {
            flag: shop_core::faults::CHECKOUT_FAILURE,
        });
    }
    Ok(
        match orders
            .place(&key, &checkout, customer.as_ref().map(|c| &c.0.user))
            .await?
        {
            Placed::Created(order) => created(order),
            Placed::Replayed(order) => {
                let mut response = created(order);
                response
                    .headers_mut()
                    .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
                response
            }
        },
    )
}

/// An order and its lines.
#[utoipa::path(get, path = "/api/orders/{id}", tag = "orders",
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid, example = "9b2e4f60-1c3a-4d5e-8f70-a1b2c3d4e5f6")),
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

/// Cancel one of the customer's orders (C-SHOP-05): allowed while it is `placed` or `paid`
/// (before packing); its units go back into stock.
#[utoipa::path(post, path = "/api/account/orders/{id}/cancel", tag = "orders",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid, example = "9b2e4f60-1c3a-4d5e-8f70-a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The cancelled order", body = Order),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such order among this customer's", body = ErrorBody),
        (status = 409, description = "Too late: the order is packed, shipped, delivered or already cancelled (`illegal_transition`)", body = ErrorBody),
    ))]
pub async fn cancel_account_order(
    State(orders): State<Orders>,
    Customer(s): Customer,
    Path(raw): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = OrderId::parse(&raw)?;
    Ok(Json(orders.cancel(&Owner::Customer(s.user), &id).await?))
}

/// Ask to return one of the customer's delivered orders (C-SHOP-05).
#[utoipa::path(post, path = "/api/account/orders/{id}/return", tag = "orders",
    security(("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "Order id (UUID)", format = Uuid, example = "9b2e4f60-1c3a-4d5e-8f70-a1b2c3d4e5f6")),
    responses(
        (status = 200, description = "The order, now `return_requested`", body = Order),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No such order among this customer's", body = ErrorBody),
        (status = 409, description = "The order is not delivered (`illegal_transition`)", body = ErrorBody),
    ))]
pub async fn return_account_order(
    State(orders): State<Orders>,
    Customer(s): Customer,
    Path(raw): Path<String>,
) -> ApiResult<Json<Order>> {
    let id = OrderId::parse(&raw)?;
    Ok(Json(
        orders.request_return(&Owner::Customer(s.user), &id).await?,
    ))
}

/// A guest's order id and e-mail, checked.
fn guest(body: &GuestOrderLookup) -> ApiResult<(Owner, OrderId)> {
    let id = OrderId::parse(&body.order_id).map_err(|e| e.at("order_id"))?;
    let email = EmailAddress::parse(&body.email)?;
    tracing::Span::current().record(semconv::SHOP_ORDER_ID, id.as_str());
    Ok((Owner::Guest(email), id))
}

/// Cancel a guest order, named by its id and the e-mail it was placed with (like the lookup):
/// allowed while it is `placed` or `paid`; its units go back into stock.
#[utoipa::path(post, path = "/api/orders/lookup/cancel", tag = "orders", request_body = GuestOrderLookup,
    responses(
        (status = 200, description = "The cancelled order", body = Order),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No guest order with this id and e-mail", body = ErrorBody),
        (status = 409, description = "Too late: the order is packed, shipped, delivered or already cancelled (`illegal_transition`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn cancel_guest_order(
    State(orders): State<Orders>,
    JsonBody(body): JsonBody<GuestOrderLookup>,
) -> ApiResult<Json<Order>> {
    let (owner, id) = guest(&body)?;
    Ok(Json(orders.cancel(&owner, &id).await?))
}

/// Ask to return a delivered guest order, named by its id and e-mail.
#[utoipa::path(post, path = "/api/orders/lookup/return", tag = "orders", request_body = GuestOrderLookup,
    responses(
        (status = 200, description = "The order, now `return_requested`", body = Order),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 403, description = "Sent with a session cookie but without its X-CSRF-Token", body = ErrorBody),
        (status = 404, description = "No guest order with this id and e-mail", body = ErrorBody),
        (status = 409, description = "The order is not delivered (`illegal_transition`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ))]
pub async fn return_guest_order(
    State(orders): State<Orders>,
    JsonBody(body): JsonBody<GuestOrderLookup>,
) -> ApiResult<Json<Order>> {
    let (owner, id) = guest(&body)?;
    Ok(Json(orders.request_return(&owner, &id).await?))
}
