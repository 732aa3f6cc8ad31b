//! The HTTP API: one module per resource, one error type, one middleware
//! that observes every request.

pub mod carts;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod health;
pub mod inventory;
pub mod observe;
pub mod openapi;
pub mod orders;
pub mod telemetry;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{get, patch, post};
use telemetry_api::Telemetry;
use tower_http::catch_panic::CatchPanicLayer;

use crate::clients::InventoryClient;
use crate::config::Role;
use error::ApiError;
use shop_core::db::Db;
use shop_core::instruments::Instruments;

/// What every handler can reach. Cheap to clone (all handles).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub telemetry: Telemetry,
    pub metrics: Instruments,
    pub inventory: InventoryClient,
    pub role: Role,
}

/// The routes this process serves for its role, wrapped in the
/// observability middleware.
pub fn router(state: AppState) -> Router {
    let role = state.role;
    let mut api = Router::new()
        .route("/api/health", get(health::health))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/telemetry/stats", get(telemetry::stats))
        .route("/api/telemetry/flush", post(telemetry::flush));
    if role.serves_catalog() {
        api = api
            .route("/api/products", get(catalog::list_products))
            .route("/api/products/search", get(catalog::search_products))
            .route("/api/products/{id}", get(catalog::get_product))
            .route("/api/categories", get(catalog::list_categories))
            .route(
                "/api/categories/{id}/products",
                get(catalog::category_products),
            );
    }
    if role.serves_orders() {
        api = api
            .route("/api/carts", post(carts::create_cart))
            .route("/api/carts/{id}", get(carts::get_cart))
            .route("/api/carts/{id}/items", post(carts::add_item))
            .route(
                "/api/carts/{id}/items/{item_id}",
                patch(carts::update_item).delete(carts::remove_item),
            )
            .route("/api/orders", post(orders::create_order))
            .route("/api/orders/{id}", get(orders::get_order));
    }
    if role.serves_inventory() {
        api = api
            .route("/api/inventory/check", post(inventory::check))
            .route("/api/inventory/{product_id}", get(inventory::get_level));
    }
    let dispatch = state.telemetry.dispatch().clone();
    api.route("/", get(home))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: a panic is a bug, but it must still end as a JSON
        // 500 that the observing middleware sees, not a dropped connection.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(ApiError::Internal(
                    "handler panicked".to_owned(),
                ))
            },
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            observe::with_dispatch(dispatch.clone(), req, next)
        }))
        .with_state(state)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// A landing page for people who open the shop in a browser.
async fn home(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Html<String> {
    axum::response::Html(format!(
        include_str!("home.html"),
        service = state.telemetry.resource().service_name,
        role = state.role.as_str(),
        backend = state.telemetry.backend_name(),
        db = state.db.system().as_str(),
    ))
}
