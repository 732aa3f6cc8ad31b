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
//! **`--image-resize function`** (docs/functions.md): the request makes
//! only the cheap checks (`resize::inspect`: size, type by content, pixels
//! from the header, so a decompression bomb is still refused at once),
//! records the upload as `pending`, puts the original to
//! `originals/products/{id}/{upload-id}` with user metadata (the upload id,
//! the admin id, the trace context) and answers **202** with the upload id
//! and a status URL. The bucket's notification reaches the `image-resize`
//! function, which resizes it and records the result in the database
//! (`image_store::record_resized`); `GET
//! /api/admin/products/{id}/image/uploads/{upload_id}` ([`status`]) says
//! `pending`, `done` (with the URLs) or `failed` (with the reason).
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
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shop_core::admin::{Admins, Operation};
use shop_core::audit::{Actor, AuditEvent, Outcome};
use shop_core::catalog::image_store::{self, UploadError};
use shop_core::catalog::resize::{self, MAX_UPLOAD_BYTES, Rejected};
use shop_core::catalog::store;
use shop_core::db::Db;
use shop_core::objects::ObjectStore;
use std::collections::BTreeMap;
use telemetry_api::propagation::Injector;
use telemetry_api::{Telemetry, semconv};
use tracing::Instrument;
use utoipa::ToSchema;

use super::session::Admin;
use crate::config::ImageResize;
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

/// The answer to an upload handed to the `image-resize` function
/// (`--image-resize function`): 202 Accepted, then poll `status_url`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedUpload {
    pub product_id: i64,
    /// The upload's id: 32 hex digits.
    #[schema(example = "0f8e2a1c9b7d4e6fa1b2c3d4e5f60718")]
    pub upload_id: String,
    /// Always `pending` here.
    #[schema(example = "pending")]
    pub status: String,
    /// Where the upload's state is (`GET`; also the `Location` header).
    #[schema(example = "/api/admin/products/12/image/uploads/0f8e2a1c9b7d4e6fa1b2c3d4e5f60718")]
    pub status_url: String,
    /// What the upload is, found from its content: `png`, `jpeg`, `gif` or `webp`.
    pub source_format: String,
    pub source_width: u32,
    pub source_height: u32,
}

/// An upload handed to the `image-resize` function, as the admin page polls it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadStatus {
    pub product_id: i64,
    pub upload_id: String,
    /// `pending` (the function has not recorded it yet), `done` or `failed`.
    #[schema(example = "done")]
    pub status: String,
    /// Why it failed: the resizer's refusal (`corrupt`, `not_an_image`,
    /// `too_many_pixels`, …) or `storage` (the original never reached S3).
    #[schema(example = "corrupt")]
    pub reason: Option<String>,
    pub revision: Option<String>,
    /// When `done`: the product's new 600 × 600 picture.
    pub image_url: Option<String>,
    /// When `done`: the product's new 200 × 200 picture.
    pub thumbnail_url: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
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

/// Replace a product's picture: upload it (multipart field `image`), get both sizes at new URLs
/// (200), or, when the shop hands resizing to the `image-resize` function, an upload id to poll (202).
#[utoipa::path(post, path = "/api/admin/products/{id}/image", tag = "admin",
    request_body(content = inline(ImageUpload), content_type = "multipart/form-data",
        description = "The picture in the field `image`. Its type is found from its content, not its name."),
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Resized and stored (`--image-resize inline`, the default): the product's \
            new `image_url` and `thumbnail_url`", body = UploadedImage),
        (status = 202, description = "Accepted (`--image-resize function`): the original is in S3 and the \
            `image-resize` function will resize it; poll `status_url`", body = AcceptedUpload,
            headers(("Location" = String, description = "The upload's status URL"))),
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
#[allow(clippy::too_many_arguments)]
pub async fn upload(
    State(admins): State<Admins>,
    State(db): State<Db>,
    State(objects): State<Option<ObjectStore>>,
    State(mode): State<ImageResize>,
    State(telemetry): State<Telemetry>,
    admin: Admin,
    Path(product_id): Path<i64>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
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
    if mode == ImageResize::Function {
        return hand_off(
            &admins, &db, &objects, &telemetry, &admin, product_id, bytes,
        )
        .await;
    }
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
    })
    .into_response())
}

/// `--image-resize function`: the cheap checks, the `pending` row, the
/// original to S3 with its metadata, 202.
async fn hand_off(
    admins: &Admins,
    db: &Db,
    objects: &ObjectStore,
    telemetry: &Telemetry,
    admin: &Admin,
    product_id: i64,
    bytes: Vec<u8>,
) -> ApiResult<Response> {
    const OP: Operation = Operation::CatalogImageUpload;
    let inspected = resize::inspect(&bytes).map_err(refused)?;
    let context = telemetry_api::trace::span_context(&tracing::Span::current());
    let original = image_store::Original {
        bytes,
        content_type: inspected.format.content_type(),
        admin_id: admin.session.admin_id.clone(),
        trace_id: context
            .as_ref()
            .map(|c| telemetry.format_trace_id(c.trace_id)),
        metadata: context
            .as_ref()
            .map(|c| trace_metadata(telemetry, c))
            .unwrap_or_default(),
    };
    let upload_id = image_store::hand_off(db, objects, product_id, original)
        .await
        .map_err(storage_failed)?;
    admins.counted(OP);
    tracing::info!(
        shop.product.id = product_id,
        upload_id = upload_id.as_str(),
        format = inspected.format.as_str(),
        "product picture handed to the image-resize function"
    );
    let status_url = format!("/api/admin/products/{product_id}/image/uploads/{upload_id}");
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, status_url.clone())],
        Json(AcceptedUpload {
            product_id,
            upload_id,
            status: "pending".to_owned(),
            status_url,
            source_format: inspected.format.as_str().to_owned(),
            source_width: inspected.width,
            source_height: inspected.height,
        }),
    )
        .into_response())
}

/// The trace fields an original carries to the function as user metadata:
/// what the shop's backend propagates (`x-amzn-trace-id` for awssdk,
/// `traceparent` for otel and the recording backend), completed with the
/// other format for the same trace and span, so a function on either
/// backend continues the upload's trace. S3's notifications carry no trace
/// context (docs/functions.md, "The upload hop").
fn trace_metadata(
    telemetry: &Telemetry,
    context: &telemetry_api::SpanContext,
) -> BTreeMap<String, String> {
    struct Fields(BTreeMap<String, String>);
    impl Injector for Fields {
        fn set(&mut self, key: &'static str, value: String) {
            self.0.insert(key.to_ascii_lowercase(), value);
        }
    }
    let mut fields = Fields(BTreeMap::new());
    telemetry.propagator().inject(context, &mut fields);
    let mut fields = fields.0;
    let (trace, span) = (context.trace_id.to_hex(), context.span_id.to_hex());
    let sampled = u8::from(context.sampled);
    fields
        .entry("traceparent".to_owned())
        .or_insert_with(|| format!("00-{trace}-{span}-0{sampled}"));
    fields
        .entry("x-amzn-trace-id".to_owned())
        .or_insert_with(|| {
            format!(
                "Root=1-{}-{};Parent={span};Sampled={sampled}",
                &trace[..8],
                &trace[8..]
            )
        });
    fields
}

/// The state of an upload handed to the `image-resize` function.
#[utoipa::path(get, path = "/api/admin/products/{id}/image/uploads/{upload_id}", tag = "admin",
    params(("id" = i64, Path, description = "Product id", minimum = 1),
        ("upload_id" = String, Path, description = "The upload id the 202 answer gave")),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The upload: `pending`, `done` with the new URLs, or `failed` with the reason", body = UploadStatus),
        (status = 400, description = "A product id that is no number", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow reading the catalog", body = ErrorBody),
        (status = 404, description = "No such upload of this product", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.read"))))]
pub async fn status(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path((product_id, upload_id)): Path<(i64, String)>,
) -> ApiResult<Json<UploadStatus>> {
    admin.authorize(&admins, Operation::CatalogRead).await?;
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, product_id);
    let job = if image_store::is_upload_id(&upload_id) {
        image_store::upload_job(&db, product_id, &upload_id)
            .await
            .map_err(|e| storage_failed(UploadError::Db(e)))?
    } else {
        None
    };
    let job = job.ok_or_else(|| ApiError::not_found("upload", &upload_id))?;
    Ok(Json(UploadStatus {
        product_id: job.product_id,
        upload_id: job.id,
        status: job.status,
        reason: job.reason,
        revision: job.revision,
        image_url: job.image_url,
        thumbnail_url: job.thumbnail_url,
        created_at: job.created_at,
        updated_at: job.updated_at,
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
