//! `GET /api/openapi.json`: the OpenAPI document, generated from the
//! handlers' annotations and the types' derives (utoipa), so it cannot drift
//! from the code.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

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
    modifiers(&AnyOperation),
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

/// Adds what every operation can answer, whatever its handler does: `503` when the database
/// cannot answer or the request ran out of time (`--request-timeout`), with `Retry-After`.
/// Operations that document their own `503` (the health check's body differs) keep theirs.
struct AnyOperation;

impl Modify for AnyOperation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let unavailable = ResponseBuilder::new()
            .description(
                "The database or another service is unavailable, or the request took longer than \
                 the shop's request timeout (`service_unavailable`, `request_timeout`); retry after \
                 `Retry-After` seconds",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| unavailable.clone().into());
            }
        }
    }
}

/// The OpenAPI document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
