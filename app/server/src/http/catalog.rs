//! The catalog's routes (C-BROWSE-01/02/03/04/05/07): product listings with
//! filters, sorting and pagination, search, one product, categories. The
//! rules and the SQL are `shop_core::catalog`'s; this module is the wire.

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use shop_core::catalog::{
    Catalog, CategoryList, Listing, ListingParams, Product, ProductPage, Scope, Sort,
};
use telemetry_api::semconv;
use utoipa::IntoParams;

use super::error::ApiResult;
use super::extract::{Path, Query};
use super::observe::ProductOfRequest;

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

/// Query parameters of `GET /api/products`. The bounds in `#[param(...)]` are the ones
/// `shop_core::catalog::Listing::parse` enforces, so that the OpenAPI document states them.
///
/// [`SearchQuery`] and [`CategoryProductsQuery`] repeat these fields with their own differences
/// (each listing's document shows exactly the parameters it takes); their `From` impls name every
/// field, so the compiler notices a field added here, and `tests/schemathesis.rs` notices a bound
/// that differs from what the core enforces.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Search text: matches name and description, case-insensitively; at most 100 characters
    /// (surrounding spaces are ignored). `sort=relevance` needs it.
    #[param(max_length = 100, example = "tent")]
    pub q: Option<String>,
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<u32>,
    /// Products per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<u32>,
    /// Order of the results; `relevance` needs `q`. Default: `relevance` with `q`, else `newest`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Lowest price in cents (inclusive); not greater than `max_price`.
    #[param(minimum = 0)]
    pub min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    #[param(minimum = 0)]
    pub max_price: Option<i64>,
    /// Only this category and its sub-categories; must be an existing category's id.
    #[param(minimum = 1)]
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

/// Query parameters of `GET /api/products/search`: those of [`ProductQuery`], with `q` required
/// and not blank.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Search text (required, not blank): matches name and description, case-insensitively; at
    /// most 100 characters (surrounding spaces are ignored).
    // `Option` so that a missing `q` gets the same "search text is required" answer as a blank one.
    #[param(
        required = true,
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "tent"
    )]
    pub q: Option<String>,
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<u32>,
    /// Products per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<u32>,
    /// Order of the results (default `relevance`: name matches first).
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Lowest price in cents (inclusive); not greater than `max_price`.
    #[param(minimum = 0)]
    pub min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    #[param(minimum = 0)]
    pub max_price: Option<i64>,
    /// Only this category and its sub-categories; must be an existing category's id.
    #[param(minimum = 1)]
    pub category_id: Option<i64>,
    /// Only products with stock on hand.
    pub in_stock: Option<bool>,
}

impl From<SearchQuery> for ListingParams {
    fn from(s: SearchQuery) -> ListingParams {
        ListingParams {
            q: s.q,
            page: s.page,
            per_page: s.per_page,
            sort: s.sort,
            min_price: s.min_price,
            max_price: s.max_price,
            category_id: s.category_id,
            in_stock: s.in_stock,
        }
    }
}

/// Query parameters of `GET /api/categories/{id}/products`: those of [`ProductQuery`] without
/// `category_id`, since the category is in the path (a `category_id` here is refused as an
/// unknown parameter).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategoryProductsQuery {
    /// Search text: matches name and description, case-insensitively; at most 100 characters
    /// (surrounding spaces are ignored). `sort=relevance` needs it.
    #[param(max_length = 100, example = "tent")]
    pub q: Option<String>,
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<u32>,
    /// Products per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<u32>,
    /// Order of the results; `relevance` needs `q`. Default: `relevance` with `q`, else `newest`.
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Lowest price in cents (inclusive); not greater than `max_price`.
    #[param(minimum = 0)]
    pub min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    #[param(minimum = 0)]
    pub max_price: Option<i64>,
    /// Only products with stock on hand.
    pub in_stock: Option<bool>,
}

impl From<CategoryProductsQuery> for ListingParams {
    fn from(c: CategoryProductsQuery) -> ListingParams {
        ListingParams {
            q: c.q,
            page: c.page,
            per_page: c.per_page,
            sort: c.sort,
            min_price: c.min_price,
            max_price: c.max_price,
            category_id: None,
            in_stock: c.in_stock,
        }
    }
}

/// Checks the parameters for the listing `scope` and runs it.
async fn listing(catalog: &Catalog, params: ListingParams, scope: Scope) -> ApiResult<ProductPage> {
    let listing = Listing::parse(params, scope)?;
    Ok(catalog.list(&listing).await?)
}

/// List products (C-BROWSE-01/05).
#[utoipa::path(get, path = "/api/products", tag = "catalog", params(ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "A parameter is invalid (also: `min_price` above `max_price`, `sort=relevance` without `q`, an unknown `category_id`)", body = super::error::ErrorBody),
    ))]
pub async fn list_products(
    State(catalog): State<Catalog>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    Ok(Json(
        listing(&catalog, params.into(), Scope::Products).await?,
    ))
}

/// Search products by name and description (C-BROWSE-04).
#[utoipa::path(get, path = "/api/products/search", tag = "catalog", params(SearchQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "`q` is missing or blank, or a parameter is invalid (also: `min_price` above `max_price`, an unknown `category_id`)", body = super::error::ErrorBody),
    ))]
pub async fn search_products(
    State(catalog): State<Catalog>,
    Query(params): Query<SearchQuery>,
) -> ApiResult<Json<ProductPage>> {
    let page = listing(&catalog, params.into(), Scope::Search).await?;
    tracing::Span::current().record(semconv::SHOP_SEARCH_RESULTS, page.total);
    Ok(Json(page))
}

/// Products of a category and its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories/{id}/products", tag = "catalog",
    params(("id" = i64, Path, description = "Category id", minimum = 1), CategoryProductsQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "A parameter is invalid (also: `min_price` above `max_price`, `sort=relevance` without `q`)", body = super::error::ErrorBody),
        (status = 404, description = "No such category", body = super::error::ErrorBody),
    ))]
pub async fn category_products(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
    Query(params): Query<CategoryProductsQuery>,
) -> ApiResult<Json<ProductPage>> {
    tracing::Span::current().record(semconv::SHOP_CATEGORY_ID, id);
    Ok(Json(
        listing(&catalog, params.into(), Scope::Category(id)).await?,
    ))
}

/// One product with its stock status (C-BROWSE-02/07).
#[utoipa::path(get, path = "/api/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    responses(
        (status = 200, body = Product),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn get_product(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
) -> ApiResult<(Extension<ProductOfRequest>, Json<Product>)> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let product = catalog.view_product(id).await?;
    // The access-log line names the product viewed (views per product, O-METRIC-12).
    Ok((Extension(ProductOfRequest(id)), Json(product)))
}

/// All categories, each department followed by its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories", tag = "catalog", responses((status = 200, body = CategoryList)))]
pub async fn list_categories(State(catalog): State<Catalog>) -> ApiResult<Json<CategoryList>> {
    Ok(Json(catalog.categories().await?))
}
