//! `GET /images/products/{id}/{file}` (C-BROWSE-02): a product's picture,
//! `large.png` (600 × 600) or `thumb.png` (200 × 200), the URLs a product's
//! `image_url` and `thumbnail_url` name. The pictures are drawn and kept by
//! `shop_core::catalog` (`images`, `image_store`); this module is the wire.
//!
//! Caching. Every answer says `Cache-Control: public, max-age=31536000,
//! immutable`: browsers and CDNs keep a picture for a year without asking
//! again. That is only true if **the bytes behind a URL never change**, so
//! that is the rule for anything that replaces a picture (the admin's
//! uploads): a replaced picture gets a new URL (e.g. with a revision in its
//! path or S3 key), and the product's `image_url` / `thumbnail_url` are
//! updated to it; the old URL keeps serving the old bytes or stops existing.
//! A strong `ETag` (a hash of the bytes) lets a client that does ask again
//! (`If-None-Match`) get a bodiless `304 Not Modified`.
//!
//! Admins' uploads (A-PROD-05, `crate::http::admin::images`) follow that
//! rule: `GET /images/products/{id}/{revision}/{file}`, the revision
//! derived from the pictures' bytes. They are served from the database's
//! copy (`shop_core::catalog::image_store::get_upload`), not fetched from S3
//! per request: a product page costs no S3 call, and every service of the
//! split topology answers even while S3 is slow. S3 is the record; a copy
//! missing from the database is read from S3 once and kept.
//!
//! `HEAD` works too (axum answers it with the `GET` handler's headers and no
//! body). A non-numeric id is a JSON 400; an unknown product or file name a
//! JSON 404.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use headers::{ETag, HeaderMapExt, IfNoneMatch};
use serde::Deserialize;
use shop_core::catalog::image_store::{self, UploadError};
use shop_core::catalog::{Catalog, ImageSize, StoredImage};
use shop_core::db::Db;
use shop_core::objects::ObjectStore;
use telemetry_api::semconv;

use super::error::{ApiError, ApiResult};
use super::extract::Path;

/// The route template: also the `http.route` label the observing
/// middleware gives these requests (one label for all pictures).
pub const ROUTE: &str = "/images/products/{id}/{file}";

/// The route of an admin's uploaded picture (one label for all of them).
pub const UPLOAD_ROUTE: &str = "/images/products/{id}/{revision}/{file}";

/// How long caches may keep a picture: a year, and never revalidate (see
/// the module doc for the rule that makes this safe).
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The product pictures' route.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Catalog: FromRef<S>,
    Db: FromRef<S>,
    Option<ObjectStore>: FromRef<S>,
{
    Router::new()
        .route(ROUTE, get(product_image))
        .route(UPLOAD_ROUTE, get(uploaded_image))
}

/// The path of a picture's URL. Named fields, so a bad id is reported as
/// the field `id`.
#[derive(Debug, Deserialize)]
pub struct ImagePath {
    pub id: i64,
    pub file: String,
}

/// The body of a picture, for the OpenAPI document: raw PNG bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct PngBytes(pub Vec<u8>);

/// A product's picture (C-BROWSE-02).
#[utoipa::path(get, path = "/images/products/{id}/{file}", tag = "catalog",
    params(
        ("id" = i64, Path, description = "Product id"),
        ("file" = String, Path, description = "`large.png` (600 × 600 px) or `thumb.png` (200 × 200 px)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer: 304 if the picture still has it"),
    ),
    responses(
        (status = 200, description = "The picture, PNG. Cache-Control: public, max-age=31536000, immutable \
            (a URL's bytes never change)", content_type = "image/png", body = inline(PngBytes),
            headers(
                ("ETag" = String, description = "Strong entity tag of the bytes"),
                ("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
            )),
        (status = 304, description = "Not modified: `If-None-Match` names the picture's ETag; no body",
            headers(
                ("ETag" = String, description = "Strong entity tag of the bytes"),
                ("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
            )),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product, or no such file (only `large.png` and `thumb.png`)",
            body = super::error::ErrorBody),
    ))]
pub async fn product_image(
    State(catalog): State<Catalog>,
    Path(ImagePath { id, file }): Path<ImagePath>,
    request: HeaderMap,
) -> ApiResult<Response> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let size = file
        .strip_suffix(".png")
        .and_then(ImageSize::parse)
        .ok_or_else(|| ApiError::not_found("product image", format!("{id}/{file}")))?;
    let image = catalog.image(id, size).await?;
    Ok(respond(&image, &request))
}

/// The path of an uploaded picture's URL.
#[derive(Debug, Deserialize)]
pub struct UploadPath {
    pub id: i64,
    pub revision: String,
    pub file: String,
}

/// A product's picture as an admin uploaded it (A-PROD-05), at a revision.
#[utoipa::path(get, path = "/images/products/{id}/{revision}/{file}", tag = "catalog",
    params(
        ("id" = i64, Path, description = "Product id"),
        ("revision" = String, Path, description = "The upload's revision, as in the product's `image_url` (`r` and 16 hex digits)"),
        ("file" = String, Path, description = "`large.png` (600 × 600 px) or `thumb.png` (200 × 200 px)"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer: 304 if the picture still has it"),
    ),
    responses(
        (status = 200, description = "The picture, PNG. Cache-Control: public, max-age=31536000, immutable \
            (a URL's bytes never change)", content_type = "image/png", body = inline(PngBytes),
            headers(
                ("ETag" = String, description = "Strong entity tag of the bytes"),
                ("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
            )),
        (status = 304, description = "Not modified: `If-None-Match` names the picture's ETag; no body",
            headers(
                ("ETag" = String, description = "Strong entity tag of the bytes"),
                ("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
            )),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product, revision or file", body = super::error::ErrorBody),
    ))]
pub async fn uploaded_image(
    State(db): State<Db>,
    State(objects): State<Option<ObjectStore>>,
    Path(UploadPath { id, revision, file }): Path<UploadPath>,
    request: HeaderMap,
) -> ApiResult<Response> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let not_found = || ApiError::not_found("product image", format!("{id}/{revision}/{file}"));
    let size = file
        .strip_suffix(".png")
        .and_then(ImageSize::parse)
        .ok_or_else(not_found)?;
    if !image_store::is_revision(&revision) {
        return Err(not_found());
    }
    let image = image_store::get_upload(&db, objects.as_ref(), id, &revision, size)
        .await
        .map_err(|e| match e {
            UploadError::Db(e) => ApiError::from(e),
            UploadError::ProductNotFound(_) => not_found(),
            UploadError::NotConfigured | UploadError::Storage(_) => ApiError::Unavailable {
                what: "image storage",
            },
        })?
        .ok_or_else(not_found)?;
    Ok(respond(&image, &request))
}

/// The answer for `image`: 304 when the request's `If-None-Match` names its
/// ETag, else 200 with the bytes. Both carry the ETag and the caching rule.
fn respond(image: &StoredImage, request: &HeaderMap) -> Response {
    let mut response = if not_modified(&image.etag, request) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut ok = image.bytes.clone().into_response();
        let headers = ok.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&image.content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        // Never let a browser guess another type from the bytes.
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        ok
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&image.etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`): the client's copy is
/// current. A malformed header counts as absent, so the client gets the
/// picture rather than an error.
fn not_modified(etag: &str, request: &HeaderMap) -> bool {
    let Ok(etag) = etag.parse::<ETag>() else {
        return false;
    };
    request
        .typed_get::<IfNoneMatch>()
        .is_some_and(|condition| !condition.precondition_passes(&etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(if_none_match: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(if_none_match).unwrap(),
        );
        h
    }

    const TAG: &str = "\"0123456789abcdef0123456789abcdef\"";

    #[test]
    fn if_none_match_with_the_etag_means_not_modified() {
        assert!(not_modified(TAG, &request(TAG)));
        assert!(not_modified(TAG, &request(&format!("\"other\", {TAG}"))));
        assert!(not_modified(TAG, &request("*")));
        // If-None-Match compares weakly (RFC 9110 §13.1.2).
        assert!(not_modified(TAG, &request(&format!("W/{TAG}"))));
    }

    #[test]
    fn another_etag_no_header_or_garbage_means_send_the_picture() {
        assert!(!not_modified(TAG, &request("\"other\"")));
        assert!(!not_modified(TAG, &HeaderMap::new()));
        assert!(!not_modified(TAG, &request("not-quoted")));
    }

    #[test]
    fn a_304_has_no_body_but_the_etag_and_caching_rule() {
        let image = StoredImage::png(vec![1, 2, 3]);
        let response = respond(&image, &request(&image.etag));
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(response.headers()[header::ETAG], image.etag.as_str());
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_CONTROL);
        assert!(response.headers().get(header::CONTENT_TYPE).is_none());
    }
}
