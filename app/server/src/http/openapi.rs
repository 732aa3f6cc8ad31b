//! `GET /api/openapi.json`: the OpenAPI document, generated from the
//! handlers' annotations and the types' derives (utoipa), so it cannot drift
//! from the code.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::{carts, catalog, error, health, images, inventory, lab, orders};

/// `GET /api/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/api/openapi.json", get(document))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Observability Shop Lab",
        description = "The shop's HTTP API. Every error is JSON: {\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}. \
                       Every response carries x-request-id and x-trace-id headers."
    ),
    paths(
        health::health,
        catalog::list_products,
        catalog::search_products,
        catalog::get_product,
        catalog::list_categories,
        catalog::category_products,
        images::product_image,
        carts::create_cart,
        carts::get_cart,
        carts::add_item,
        carts::update_item,
        carts::remove_item,
        orders::create_order,
        orders::get_order,
        inventory::check,
        inventory::get_level,
        lab::stats,
        lab::flush,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    tags(
        (name = "catalog", description = "Products, categories, search"),
        (name = "carts", description = "Server-side carts"),
        (name = "orders", description = "Checkout and orders"),
        (name = "inventory", description = "Stock levels (the inventory service)"),
        (name = "health", description = "Health check"),
        (name = "telemetry", description = "Lab endpoints: export statistics and flush"),
    )
)]
/// The OpenAPI description of every route.
pub struct ApiDoc;

/// The OpenAPI document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
