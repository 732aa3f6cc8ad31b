//! The cart's routes (C-SHOP-01): create, view, add, change, remove. The
//! rules (quantities, limits, the stock check) are `shop_core::cart`'s.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use shop_core::accounts::{Session, UserType};
use shop_core::cart::{Cart, CartId, Carts, Quantity};
use shop_core::catalog::ProductId;
use shop_core::json_integer::integer;
use telemetry_api::semconv;
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{Json as JsonBody, Path};

/// The cart's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Carts: FromRef<S>,
{
    Router::new()
        .route("/api/carts", post(create_cart))
        .route("/api/carts/{id}", get(get_cart))
        .route("/api/carts/{id}/items", post(add_item))
        .route(
            "/api/carts/{id}/items/{item_id}",
            patch(update_item).delete(remove_item),
        )
}

/// The body of "add to cart".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItem {
    /// An existing product's id (an unknown one is a 422).
    #[serde(deserialize_with = "integer")]
    #[schema(minimum = 1, example = 2)]
    pub product_id: i64,
    /// 1–99 (default 1). Added to the quantity already in the cart; the line may hold at most
    /// 99 in all (more is a 400).
    #[serde(default = "one", deserialize_with = "integer")]
    #[schema(minimum = 1, maximum = 99, default = 1, example = 1)]
    pub quantity: i64,
}

fn one() -> i64 {
    1
}

/// The body of "change a line's quantity".
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateItem {
    /// The new quantity, 1–99 (use DELETE to remove the line).
    #[serde(deserialize_with = "integer")]
    #[schema(minimum = 1, maximum = 99, example = 2)]
    pub quantity: i64,
}

/// The cart id in the path, recorded on the request's span.
fn cart_id(raw: &str) -> ApiResult<CartId> {
    let id = CartId::parse(raw)?;
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    Ok(id)
}

/// Create an empty cart.
#[utoipa::path(post, path = "/api/carts", tag = "carts",
    responses(
        (status = 201, description = "The new, empty cart", body = Cart, links(
            ("GetCart" = (operation_id = "get_cart", parameters(("id" = "$response.body#/id")))),
            ("AddItem" = (operation_id = "add_item", parameters(("id" = "$response.body#/id")))),
        )),
    ))]
pub async fn create_cart(State(carts): State<Carts>) -> ApiResult<(StatusCode, Json<Cart>)> {
    let id = CartId::random();
    tracing::Span::current().record(semconv::SHOP_CART_ID, id.as_str());
    Ok((StatusCode::CREATED, Json(carts.create(&id).await?)))
}

/// View a cart.
#[utoipa::path(get, path = "/api/carts/{id}", tag = "carts",
    params(("id" = String, Path, description = "Cart id (UUID)", format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f")),
    responses(
        (status = 200, body = Cart),
        (status = 400, description = "Malformed id", body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody),
    ))]
pub async fn get_cart(
    State(carts): State<Carts>,
    Path(raw): Path<String>,
) -> ApiResult<Json<Cart>> {
    let id = cart_id(&raw)?;
    Ok(Json(carts.get(&id).await?))
}

/// Add a product to a cart (merging with a line already there).
#[utoipa::path(post, path = "/api/carts/{id}/items", tag = "carts", request_body = AddItem,
    params(("id" = String, Path, description = "Cart id (UUID)", format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f")),
    responses(
        (status = 201, description = "The updated cart", body = Cart, links(
            ("GetCart" = (operation_id = "get_cart", parameters(("id" = "$response.body#/id")))),
            ("UpdateItem" = (operation_id = "update_item", parameters(("id" = "$response.body#/id"), ("item_id" = "$response.body#/items/0/id")))),
            ("RemoveItem" = (operation_id = "remove_item", parameters(("id" = "$response.body#/id"), ("item_id" = "$response.body#/items/0/id")))),
            ("CreateOrder" = (operation_id = "create_order", request_body = json!({
                "cart_id": "$response.body#/id",
                "email": "learner@example.com",
                "shipping_address": {"name": "Aiko Tanaka", "line1": "1-2-3 Marunouchi", "city": "Tokyo", "postal_code": "100-0005", "country": "JP"},
                "payment": {"token": "tok_visa"}
            }))),
        )),
        (status = 400, description = "Malformed id or body, a field out of range, or the line would hold more than 99", body = super::error::ErrorBody),
        (status = 404, description = "No such cart", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, the cart is full (50 lines), or it is checked out", body = super::error::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = super::error::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = super::error::ErrorBody),
        (status = 422, description = "No such product", body = super::error::ErrorBody),
        (status = 502, description = "The inventory service answered with something unusable (split deployment)", body = super::error::ErrorBody),
    ))]
pub async fn add_item(
    State(carts): State<Carts>,
    customer: Option<axum::Extension<Session>>,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody<AddItem>,
) -> ApiResult<(StatusCode, Json<Cart>)> {
    let id = cart_id(&raw)?;
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, body.product_id);
    let product = ProductId::parse(body.product_id)?;
    let quantity = Quantity::parse(body.quantity)?;
    let shopper = match customer {
        Some(_) => UserType::Registered,
        None => UserType::Guest,
    };
    let cart = carts.add_item(&id, product, quantity, shopper).await?;
    Ok((StatusCode::CREATED, Json(cart)))
}

/// Change the quantity of a cart line.
#[utoipa::path(patch, path = "/api/carts/{id}/items/{item_id}", tag = "carts", request_body = UpdateItem,
    params(("id" = String, Path, description = "Cart id (UUID)", format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f"), ("item_id" = i64, Path, description = "Cart line id (`items[].id` of the cart)", minimum = 1)),
    responses(
        (status = 200, description = "The updated cart", body = Cart),
        (status = 400, description = "Malformed id or body, or a quantity out of range", body = super::error::ErrorBody),
        (status = 404, description = "No such cart or line", body = super::error::ErrorBody),
        (status = 409, description = "Not enough stock, or the cart is checked out", body = super::error::ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = super::error::ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = super::error::ErrorBody),
        (status = 502, description = "The inventory service answered with something unusable (split deployment)", body = super::error::ErrorBody),
    ))]
pub async fn update_item(
    State(carts): State<Carts>,
    Path((raw, item_id)): Path<(String, i64)>,
    JsonBody(body): JsonBody<UpdateItem>,
) -> ApiResult<Json<Cart>> {
    let id = cart_id(&raw)?;
    let quantity = Quantity::parse(body.quantity)?;
    Ok(Json(carts.update_item(&id, item_id, quantity).await?))
}

/// Remove a line from a cart.
#[utoipa::path(delete, path = "/api/carts/{id}/items/{item_id}", tag = "carts",
    params(("id" = String, Path, description = "Cart id (UUID)", format = Uuid, example = "3f1c7d0e-5b2a-4c8e-9f6d-2a4b6c8d0e1f"), ("item_id" = i64, Path, description = "Cart line id (`items[].id` of the cart)", minimum = 1)),
    responses(
        (status = 200, description = "The updated cart", body = Cart),
        (status = 400, description = "Malformed id", body = super::error::ErrorBody),
        (status = 404, description = "No such cart or line", body = super::error::ErrorBody),
        (status = 409, description = "The cart is checked out", body = super::error::ErrorBody),
    ))]
pub async fn remove_item(
    State(carts): State<Carts>,
    Path((raw, item_id)): Path<(String, i64)>,
) -> ApiResult<Json<Cart>> {
    let id = cart_id(&raw)?;
    Ok(Json(carts.remove_item(&id, item_id).await?))
}
