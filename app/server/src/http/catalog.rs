//! The catalog's routes (C-BROWSE-01/02/03/04/05/07): product listings with
//! filters, sorting and pagination, search, one product, categories. The
//! rules and the SQL are `shop_core::catalog`'s; this module is the wire.

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use shop_core::catalog::{
    Catalog, CategoryList, Listing, ListingParams, Product, ProductPage, Scope, Sort,
};
use telemetry_api::semconv;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{Path, Query};

/// The catalog's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Catalog: FromRef<S>,
{
    Router::new()
        .route("/api/products", get(list_products))
        .route("/api/products/search", get(search_products))
        .route("/api/products/{id}", get(get_product))
        .route("/api/categories", get(list_categories))
        .route("/api/categories/{id}/products", get(category_products))
}

/// Query parameters of the product listings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Search text (required for `/api/products/search`): matches name and description, case-insensitively.
    pub q: Option<String>,
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Products per page, 1–100 (default 20).
    pub per_page: Option<u32>,
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Lowest price in cents (inclusive).
    pub min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    pub max_price: Option<i64>,
    /// Only this category and its sub-categories.
    pub category_id: Option<i64>,
    /// Only products with stock on hand.
    pub in_stock: Option<bool>,
}

impl From<ProductQuery> for ListingParams {
    fn from(q: ProductQuery) -> ListingParams {
        ListingParams {
            q: q.q,
            page: q.page,
            per_page: q.per_page,
            sort: q.sort,
            min_price: q.min_price,
            max_price: q.max_price,
            category_id: q.category_id,
            in_stock: q.in_stock,
        }
    }
}

/// Checks the parameters for the listing `scope` and runs it.
async fn listing(catalog: &Catalog, params: ProductQuery, scope: Scope) -> ApiResult<ProductPage> {
    let listing = Listing::parse(params.into(), scope)?;
    Ok(catalog.list(&listing).await?)
}

/// List products (C-BROWSE-01/05).
#[utoipa::path(get, path = "/api/products", tag = "catalog", params(ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
    ))]
pub async fn list_products(
    State(catalog): State<Catalog>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    Ok(Json(listing(&catalog, params, Scope::Products).await?))
}

/// Search products by name and description (C-BROWSE-04).
#[utoipa::path(get, path = "/api/products/search", tag = "catalog", params(ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "`q` is missing or a parameter is invalid", body = super::error::ErrorBody),
    ))]
pub async fn search_products(
    State(catalog): State<Catalog>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    let page = listing(&catalog, params, Scope::Search).await?;
    tracing::Span::current().record(semconv::SHOP_SEARCH_RESULTS, page.total);
    Ok(Json(page))
}

/// Products of a category and its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories/{id}/products", tag = "catalog",
    params(("id" = i64, Path, description = "Category id"), ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, description = "No such category", body = super::error::ErrorBody),
    ))]
pub async fn category_products(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    tracing::Span::current().record(semconv::SHOP_CATEGORY_ID, id);
    Ok(Json(listing(&catalog, params, Scope::Category(id)).await?))
}

/// One product with its stock status (C-BROWSE-02/07).
#[utoipa::path(get, path = "/api/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, body = Product),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn get_product(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Product>> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    Ok(Json(catalog.view_product(id).await?))
}

/// All categories, each department followed by its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories", tag = "catalog", responses((status = 200, body = CategoryList)))]
pub async fn list_categories(State(catalog): State<Catalog>) -> ApiResult<Json<CategoryList>> {
    Ok(Json(catalog.categories().await?))
}
