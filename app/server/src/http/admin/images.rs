//! Product pictures in the back office (A-PROD-05, O-TRACE-05):
//! `POST /api/admin/products/{id}/image`, a `multipart/form-data` upload
//! with the picture in the field `image`.
//!
//! The picture is judged by its content, never by its file name or the
//! `Content-Type` the browser gave it (`shop_core::catalog::resize`): PNG,
//! JPEG, GIF or WebP, at most 8 MiB, 8,000 pixels a side and 24 megapixels.
//! It is resized to the catalog's sizes (600 × 600 and 200 × 200 PNG), the
//! original and both sizes go to S3, and the product's `image_url` and
//! `thumbnail_url` move to a **new URL** whose revision comes from the
//! pictures' bytes: pictures are served as immutable for a year
//! (`crate::http::images`), so a URL may never name other bytes. The old URL
//! keeps serving the old picture.
//!
//! Answers, each a JSON error naming the problem:
//! - 413 `payload_too_large`: more than 8 MiB (checked on `Content-Length`
//!   first, then while reading, so a lying client is cut off too);
//! - 415 `unsupported_image`: not a picture, or a format the shop does not
//!   take; 415 `unsupported_media_type`: not a multipart body at all;
//! - 422 `image_too_large` (too many pixels: refused from the header, before
//!   decoding: decompression bombs) or `invalid_image` (damaged);
//! - 400 `validation_failed` (field `image`): no `image` field, or empty;
//! - 404: no such product; 503 `image_storage_not_configured` when the shop
//!   runs without `--images-bucket`, 503 `image_storage_unavailable` when
//!   S3 fails.
//!
//! Telemetry: the server span carries the product id; receiving the body
//! is a span (`catalog.image.receive`: bytes and chunks read), then each
//! resize step and each object's upload (`catalog.image.decode`,
//! `…resize`, `…encode`, `…upload` with its `S3.PutObject`). The uploaded
//! bytes are never logged or recorded; nor is the file name the browser
//! sent (it can carry personal data).

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use shop_core::admin::{Admins, Operation};
use shop_core::audit::{Actor, AuditEvent, Outcome};
use shop_core::catalog::image_store::{self, UploadError};
use shop_core::catalog::resize::{self, MAX_UPLOAD_BYTES, Rejected};
use shop_core::catalog::store;
use shop_core::db::Db;
use shop_core::objects::ObjectStore;
use telemetry_api::semconv;
use tracing::Instrument;
use utoipa::ToSchema;

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Path;

/// The largest request body: the picture plus room for the multipart
/// framing (boundaries, part headers).
pub const MAX_BODY_BYTES: usize = MAX_UPLOAD_BYTES + 64 * 1024;

/// The multipart field that carries the picture.
pub const FIELD: &str = "image";

/// The route's body limit (axum's default, 2 MB, is too small for a photo).
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_BODY_BYTES)
}

/// The request body, for the OpenAPI document (utoipa reads the field's
/// type; no code does, hence the allowance). No other field: the document
/// says so (`additionalProperties: false`), though the handler skips any.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// The picture: PNG, JPEG, GIF or WebP, at most 8 MiB, 8,000 px a side, 24 megapixels.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    image: Vec<u8>,
}

/// The answer to an upload: the product's new picture URLs.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedImage {
    pub product_id: i64,
    /// Derived from the pictures' bytes; part of both URLs.
    #[schema(example = "r3f2a9c1d0b7e4a55")]
    pub revision: String,
    /// 600 × 600 PNG.
    #[schema(example = "/images/products/12/r3f2a9c1d0b7e4a55/large.png")]
    pub image_url: String,
    /// 200 × 200 PNG.
    #[schema(example = "/images/products/12/r3f2a9c1d0b7e4a55/thumb.png")]
    pub thumbnail_url: String,
    /// What the upload was, found from its content: `png`, `jpeg`, `gif` or `webp`.
    pub source_format: String,
    pub source_width: u32,
    pub source_height: u32,
}

/// An upload over the limit (the form field `image`).
fn too_large() -> ApiError {
    ApiError::PayloadTooLarge {
        limit: MAX_UPLOAD_BYTES,
        field: Some(FIELD),
    }
}

/// A problem with the form field `image` itself (missing, empty, twice).
fn field_error(message: impl Into<String>) -> ApiError {
    ApiError::validation(FIELD, message)
}

/// What the resizer refused, as the HTTP answer.
fn refused(e: Rejected) -> ApiError {
    let message = e.to_string();
    match e {
        Rejected::TooManyBytes { .. } => too_large(),
        Rejected::Empty => field_error(message),
        Rejected::NotAnImage | Rejected::UnsupportedFormat { .. } => ApiError::UnsupportedFile {
            code: "unsupported_image",
            message,
            field: FIELD,
        },
        Rejected::TooManyPixels { .. } => ApiError::Unprocessable {
            code: "image_too_large",
            message,
            field: Some(FIELD.to_owned()),
        },
        Rejected::Corrupt { .. } => ApiError::Unprocessable {
            code: "invalid_image",
            message,
            field: Some(FIELD.to_owned()),
        },
    }
}

fn storage_failed(e: UploadError) -> ApiError {
    match e {
        UploadError::ProductNotFound(id) => ApiError::not_found("product", id),
        UploadError::Db(e) => e.into(),
        UploadError::NotConfigured => not_configured(),
        UploadError::Storage(e) => {
            // The detail goes to the log, not to the client.
            tracing::error!(error = %e, "storing an uploaded picture failed");
            ApiError::ServiceUnavailable {
                code: "image_storage_unavailable",
                message: "image storage (S3) is unavailable; try again later".to_owned(),
            }
        }
    }
}

fn not_configured() -> ApiError {
    ApiError::ServiceUnavailable {
        code: "image_storage_not_configured",
        message: "image storage is not configured: start the shop with --images-bucket \
                  (SHOP_IMAGES_BUCKET) and, for an emulator, --s3-endpoint (SHOP_S3_ENDPOINT)"
            .to_owned(),
    }
}

/// Replace a product's picture: upload it (multipart field `image`), get both sizes at new URLs.
#[utoipa::path(post, path = "/api/admin/products/{id}/image", tag = "admin",
    request_body(content = inline(ImageUpload), content_type = "multipart/form-data",
        description = "The picture in the field `image`. Its type is found from its content, not its name."),
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Stored: the product's new `image_url` and `thumbnail_url`", body = UploadedImage),
        (status = 400, description = "No `image` field, an empty one, or a malformed multipart body", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 413, description = "Larger than 8 MiB (`payload_too_large`)", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data (`unsupported_media_type`), or the file is not a \
            PNG, JPEG, GIF or WebP picture by its content (`unsupported_image`)", body = ErrorBody),
        (status = 422, description = "Too many pixels (`image_too_large`) or a damaged picture (`invalid_image`)", body = ErrorBody),
        (status = 503, description = "Image storage not configured (`image_storage_not_configured`) or S3 failing \
            (`image_storage_unavailable`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.image_upload"))))]
pub async fn upload(
    State(admins): State<Admins>,
    State(db): State<Db>,
    State(objects): State<Option<ObjectStore>>,
    admin: Admin,
    Path(product_id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UploadedImage>> {
    const OP: Operation = Operation::CatalogImageUpload;
    admin.authorize(&admins, OP).await?;
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, product_id);
    let objects = objects.ok_or_else(not_configured)?;
    if store::load_product(&db, product_id)
        .await
        .map_err(ApiError::from)?
        .is_none()
    {
        return Err(ApiError::not_found("product", product_id));
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let multipart = multipart.map_err(|_| ApiError::UnsupportedMediaType {
        expected: "multipart/form-data (the picture in the field `image`)",
    })?;
    let bytes = receive(multipart).await?;
    let pictures = resize::resize_off_thread(bytes.clone())
        .await
        .map_err(refused)?;
    let audit = AuditEvent::new(
        Actor::Admin(admin.session.admin_id.clone()),
        OP.as_str(),
        Outcome::Success,
    )
    .target(format!("product:{product_id}"))
    .origin(admin.origin.clone());
    let uploaded = image_store::store_upload(&db, &objects, product_id, bytes, &pictures, audit)
        .await
        .map_err(storage_failed)?;
    admins.counted(OP);
    tracing::info!(
        shop.product.id = product_id,
        revision = %uploaded.revision,
        format = pictures.source_format.as_str(),
        "product picture replaced"
    );
    Ok(Json(UploadedImage {
        product_id,
        revision: uploaded.revision,
        image_url: uploaded.image_url,
        thumbnail_url: uploaded.thumbnail_url,
        source_format: pictures.source_format.as_str().to_owned(),
        source_width: pictures.source_width,
        source_height: pictures.source_height,
    }))
}

/// Reads the `image` field, chunk by chunk, stopping past the limit (a
/// client may send more than its `Content-Length` said, or none). Any other
/// field, or a second picture, is refused. One span, `catalog.image.receive`, with how many
/// bytes and chunks came.
async fn receive(mut multipart: Multipart) -> ApiResult<Vec<u8>> {
    let span = tracing::info_span!(
        "catalog.image.receive",
        span.kind = "internal",
        shop.image.bytes = tracing::field::Empty,
        shop.upload.chunks = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    let result = async {
        let malformed = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::BadRequest {
                    code: "invalid_multipart",
                    message: format!("the multipart body could not be read: {}", e.body_text()),
                }
            }
        };
        // Every field is read: the form takes the picture and nothing else (as a JSON body
        // refuses unknown fields), so a misspelt or extra field is named, not ignored.
        let mut picture: Option<Vec<u8>> = None;
        let mut chunks = 0u64;
        while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
            if field.name() != Some(FIELD) {
                let name: String = field.name().unwrap_or("").chars().take(64).collect();
                return Err(field_error(format!(
                    "unknown field {name:?}: the form takes only `{FIELD}`"
                )));
            }
            if picture.is_some() {
                return Err(field_error(format!(
                    "the field `{FIELD}` appears twice: send one picture"
                )));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                chunks += 1;
                if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            picture = Some(bytes);
        }
        let Some(bytes) = picture else {
            return Err(field_error(format!(
                "the multipart body has no field named `{FIELD}` with the picture"
            )));
        };
        let span = tracing::Span::current();
        span.record("shop.image.bytes", bytes.len());
        span.record("shop.upload.chunks", chunks);
        Ok(bytes)
    }
    .instrument(span.clone())
    .await;
    if let Err(e) = &result {
        span.record("error.type", e.code());
    }
    result
}
