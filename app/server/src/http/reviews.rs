//! Reviews and related products on the wire (C-BROWSE-06/08): read a
//! product's reviews and what to show beside it; a logged-in customer who
//! bought a product writes one review of it. The rules, moderation and SQL
//! are `shop_core::catalog`'s.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use shop_core::catalog::{
    Catalog, Rating, RelatedProducts, Review, ReviewPage, ReviewPaging, ReviewText,
};
use telemetry_api::semconv;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiResult, ErrorBody};
use super::extract::{Json as JsonBody, Path, Query};
use super::session::Customer;

/// The routes (served by the catalog).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Catalog: FromRef<S>,
{
    Router::new()
        .route(
            "/api/products/{id}/reviews",
            get(list_reviews).post(write_review),
        )
        .route("/api/products/{id}/related", get(related_products))
}

/// Query parameters of `GET /api/products/{id}/reviews`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// Page number, from 1 (default 1).
    #[param(minimum = 1, maximum = 100_000, default = 1)]
    pub page: Option<u32>,
    /// Reviews per page, 1–50 (default 10).
    #[param(minimum = 1, maximum = 50, default = 10)]
    pub per_page: Option<u32>,
}

/// The body of a review.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteReview {
    /// Stars, 1–5.
    #[serde(deserialize_with = "shop_core::json_integer::integer")]
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: i64,
    /// 1–2000 characters (surrounding spaces removed), no control characters but line breaks
    /// and tabs. A text with a link, an e-mail address or a spam phrase is held for moderation
    /// (`status: held`) and not shown until a person accepts it.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"\S",
        example = "Kept us dry all week."
    )]
    pub text: String,
}

/// Query parameters of `GET /api/products/{id}/related`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RelatedQuery {
    /// Products per list, 1–20 (default 6).
    #[param(minimum = 1, maximum = 20, default = 6)]
    pub limit: Option<u32>,
}

/// A product's published reviews, newest first, with its rating (C-BROWSE-08).
#[utoipa::path(get, path = "/api/products/{id}/reviews", tag = "catalog",
    params(("id" = i64, Path, description = "Product id", minimum = 1), ReviewQuery),
    responses(
        (status = 200, body = ReviewPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn list_reviews(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<Json<ReviewPage>> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let paging = ReviewPaging::parse(q.page, q.per_page)?;
    Ok(Json(catalog.reviews(id, paging).await?))
}

/// Review a product you bought (C-BROWSE-08): one review per product.
#[utoipa::path(post, path = "/api/products/{id}/reviews", tag = "catalog",
    security(("session" = [], "csrf" = [])),
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    request_body = WriteReview,
    responses(
        (status = 201, description = "Written: `status` says whether it is published or held for moderation", body = Review),
        (status = 400, description = "A field is invalid", body = ErrorBody),
        (status = 401, description = "No live session", body = ErrorBody),
        (status = 403, description = "Missing or wrong X-CSRF-Token, or you have not bought this product (`not_purchased`)", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "You have already reviewed this product (`already_reviewed`)", body = ErrorBody),
    ))]
pub async fn write_review(
    State(catalog): State<Catalog>,
    Customer(session): Customer,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<WriteReview>,
) -> ApiResult<(StatusCode, Json<Review>)> {
    let rating = Rating::parse(body.rating)?;
    let text = ReviewText::parse(&body.text)?;
    let review = catalog
        .write_review(&session.user, id, rating, &text)
        .await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// Products to show beside this one (C-BROWSE-06): bought together with it, then others of
/// its category.
#[utoipa::path(get, path = "/api/products/{id}/related", tag = "catalog",
    params(("id" = i64, Path, description = "Product id", minimum = 1), RelatedQuery),
    responses(
        (status = 200, body = RelatedProducts),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ))]
pub async fn related_products(
    State(catalog): State<Catalog>,
    Path(id): Path<i64>,
    Query(q): Query<RelatedQuery>,
) -> ApiResult<Json<RelatedProducts>> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let limit = q.limit.unwrap_or(6);
    if !(1..=20).contains(&limit) {
        return Err(shop_core::Invalid::new("limit", "must be between 1 and 20").into());
    }
    Ok(Json(catalog.related(id, i64::from(limit)).await?))
}
