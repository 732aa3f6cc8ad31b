//! Where product pictures are kept: the `product_images` table, one row per
//! product and size with the PNG bytes, their content type and their ETag
//! (C-BROWSE-02).
//!
//! Why the database and not files: in the split topology the services share
//! a database but no disk, and every one of them must serve the same bytes
//! under the same ETag.
//!
//! Admins' uploads (A-PROD-05, [`store_upload`]) go to S3 (the system of
//! record: the original and every size, [`crate::objects`]) *and* to the
//! `product_image_uploads` table, from which the shop serves them
//! ([`get_upload`]): a picture on a product page then costs no call to S3,
//! and every service of the split topology serves it even when S3 is slow.
//! A row without bytes (written by a resizer elsewhere, e.g. the Lambda
//! function of the events issue) is read from S3 once and copied in. An
//! upload gets a new URL, `/images/products/{id}/{revision}/{size}.png`,
//! whose revision is derived from the pictures' bytes, because URLs are
//! served as immutable: the old URL keeps serving the old picture.
//!
//! When pictures are made:
//! - `shop seed` calls [`render_missing`] after seeding, so a seeded
//!   database carries all of them (ready for a deployment);
//! - a server that seeds its own fresh database on start does not: [`get`]
//!   renders a picture the first time it is asked for and stores it.
//!   Rendering all 480 up front would add seconds of CPU to every start of a
//!   fresh database, which every black-box test does.
//!
//! Both give the same bytes: a picture is a pure function of the product's
//! seeded inputs ([`super::images::ProductArt`]). That is also why two
//! concurrent first requests for the same picture are harmless: both render
//! the same bytes, the first insert wins, the second is ignored.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::Error;
use super::images::{CONTENT_TYPE, ImageSize, ProductArt};
use super::resize::CatalogPictures;
use crate::audit::{self, AuditEvent};
use crate::db::Db;
use crate::objects::{self, ObjectStore};
use crate::time::now_millis;

/// A stored picture, ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// `image/png` for every rendered picture.
    pub content_type: String,
    /// A strong entity tag, quoted as it goes on the wire (`"3f2a…"`): the
    /// first 128 bits of the SHA-256 of the bytes.
    pub etag: String,
    pub bytes: Vec<u8>,
}

impl StoredImage {
    /// Wraps freshly rendered PNG bytes, computing their ETag.
    pub fn png(bytes: Vec<u8>) -> StoredImage {
        StoredImage {
            content_type: CONTENT_TYPE.to_owned(),
            etag: etag_of(&bytes),
            bytes,
        }
    }
}

/// The URL path of a product's picture at `size`, as the seed writes it into
/// `image_url` (large) and `thumbnail_url` (thumb), and as the HTTP route
/// serves it: `/images/products/{id}/{size}.png`.
pub fn image_url(product_id: i64, size: ImageSize) -> String {
    format!("/images/products/{product_id}/{}.png", size.as_str())
}

/// The strong ETag of `bytes`, quoted: 32 hex digits of their SHA-256 (128
/// bits are plenty to tell pictures apart, and keep the header short).
pub fn etag_of(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// The picture of product `product_id` at `size`: the stored one, or else
/// rendered now (off the async threads) and stored. `None` when there is no
/// such product.
///
/// Failing to store a freshly rendered picture does not fail the caller:
/// it is logged, and the picture is still returned (the next request
/// renders it again).
pub async fn get(db: &Db, product_id: i64, size: ImageSize) -> Result<Option<StoredImage>, Error> {
    const SELECT: &str =
        "SELECT content_type, etag, bytes FROM product_images WHERE product_id = ? AND size = ?";
    let stored: Option<(String, String, Vec<u8>)> = db
        .traced(
            SELECT,
            sqlx::query_as(SELECT)
                .bind(product_id)
                .bind(size.as_str())
                .fetch_optional(db.pool()),
        )
        .await?;
    if let Some((content_type, etag, bytes)) = stored {
        return Ok(Some(StoredImage {
            content_type,
            etag,
            bytes,
        }));
    }

    let Some(inputs) = art_inputs(db, product_id).await? else {
        return Ok(None);
    };
    let image = render(inputs, vec![size]).await?.remove(0).1;
    if let Err(e) = insert(db, product_id, size, &image).await {
        tracing::warn!(
            error = %e,
            shop.product.id = product_id,
            "could not store a rendered product picture; serving it anyway"
        );
    }
    Ok(Some(image))
}

/// Renders and stores every picture the database lacks: both sizes of every
/// product. Returns how many it stored. This is what `shop seed` runs, so a
/// seeded database carries its pictures; running it again renders nothing.
pub async fn render_missing(db: &Db) -> Result<usize, Error> {
    const STORED: &str = "SELECT product_id, size FROM product_images";
    let stored: HashSet<(i64, String)> = db
        .traced_all(STORED, sqlx::query_as(STORED).fetch_all(db.pool()))
        .await?
        .into_iter()
        .collect();
    let mut count = 0;
    for inputs in all_art_inputs(db).await? {
        let missing: Vec<ImageSize> = ImageSize::ALL
            .into_iter()
            .filter(|s| !stored.contains(&(inputs.product_id, s.as_str().to_owned())))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let product_id = inputs.product_id;
        for (size, image) in render(inputs, missing).await? {
            insert(db, product_id, size, &image).await?;
            count += 1;
        }
    }
    Ok(count)
}

/// A product's inputs to its picture, owned (they cross to a blocking thread).
struct ArtInputs {
    product_id: i64,
    name: String,
    category_slug: String,
    department_slug: String,
}

/// A product's id and name, its category's slug and its department's slug
/// (the category's own for a product filed directly under a department).
type ArtRow = (i64, String, String, String);

impl From<ArtRow> for ArtInputs {
    fn from((product_id, name, category_slug, department_slug): ArtRow) -> ArtInputs {
        ArtInputs {
            product_id,
            name,
            category_slug,
            department_slug,
        }
    }
}

async fn art_inputs(db: &Db, product_id: i64) -> Result<Option<ArtInputs>, Error> {
    const SQL: &str = "SELECT p.id, p.name, c.slug, COALESCE(d.slug, c.slug) \
        FROM products p JOIN categories c ON c.id = p.category_id \
        LEFT JOIN categories d ON d.id = c.parent_id WHERE p.id = ?";
    let row: Option<ArtRow> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(ArtInputs::from))
}

async fn all_art_inputs(db: &Db) -> Result<Vec<ArtInputs>, Error> {
    const SQL: &str = "SELECT p.id, p.name, c.slug, COALESCE(d.slug, c.slug) \
        FROM products p JOIN categories c ON c.id = p.category_id \
        LEFT JOIN categories d ON d.id = c.parent_id ORDER BY p.id";
    let rows: Vec<ArtRow> = db
        .traced_all(SQL, sqlx::query_as(SQL).fetch_all(db.pool()))
        .await?;
    Ok(rows.into_iter().map(ArtInputs::from).collect())
}

/// Renders `sizes` of one product's picture on tokio's blocking pool:
/// milliseconds of pure CPU that must not stall the async threads serving
/// other requests.
async fn render(
    inputs: ArtInputs,
    sizes: Vec<ImageSize>,
) -> Result<Vec<(ImageSize, StoredImage)>, Error> {
    // The span is entered around the join handle on the async side, never
    // on the blocking thread: that thread's default `tracing` dispatcher is
    // not the request's, and entering a span under another dispatcher
    // leaves its parent open (the server span would never end).
    let span = tracing::info_span!(
        "catalog.image.render",
        span.kind = "internal",
        shop.product.id = inputs.product_id,
    );
    tokio::task::spawn_blocking(move || {
        let art = ProductArt {
            product_id: inputs.product_id,
            name: &inputs.name,
            category_slug: &inputs.category_slug,
            department_slug: &inputs.department_slug,
        };
        sizes
            .into_iter()
            .map(|size| (size, StoredImage::png(art.render_png(size))))
            .collect()
    })
    .instrument(span)
    .await
    .map_err(|e| Error::Render(e.to_string()))
}

/// Stores a picture unless one is already there (a concurrent request may
/// have stored the same bytes first).
async fn insert(
    db: &Db,
    product_id: i64,
    size: ImageSize,
    image: &StoredImage,
) -> Result<(), sqlx::Error> {
    const INSERT_SQLITE: &str = "INSERT INTO product_images \
        (product_id, size, content_type, etag, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) \
        ON CONFLICT (product_id, size) DO NOTHING";
    const INSERT_MYSQL: &str = "INSERT INTO product_images \
        (product_id, size, content_type, etag, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) \
        ON DUPLICATE KEY UPDATE product_id = product_id";
    let sql = if db.system().is_sqlite() {
        INSERT_SQLITE
    } else {
        INSERT_MYSQL
    };
    db.traced(
        sql,
        sqlx::query(sql)
            .bind(product_id)
            .bind(size.as_str())
            .bind(image.content_type.as_str())
            .bind(image.etag.as_str())
            .bind(image.bytes.as_slice())
            .bind(now_millis())
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

// --- Admins' uploads (A-PROD-05) --------------------------------------------

/// The URL path of an uploaded picture at `size`:
/// `/images/products/{id}/{revision}/{size}.png`.
pub fn upload_url(product_id: i64, revision: &str, size: ImageSize) -> String {
    format!(
        "/images/products/{product_id}/{revision}/{}.png",
        size.as_str()
    )
}

/// The S3 key of an upload's object `name` (`large.png`, `thumb.png`, or
/// `original`, the file as it was sent): `products/{id}/{revision}/{name}`.
pub fn upload_key(product_id: i64, revision: &str, name: &str) -> String {
    format!("products/{product_id}/{revision}/{name}")
}

/// The revision of a set of pictures: `r` and 16 hex digits of the SHA-256
/// of their bytes. Derived from the content, so the same URL can never
/// name other bytes, and two uploads at once need no counter to agree on.
pub fn revision_of(pictures: &CatalogPictures) -> String {
    let mut hash = Sha256::new();
    for (size, bytes) in &pictures.pictures {
        hash.update(size.as_str().as_bytes());
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    }
    let hex: String = hash
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("r{hex}")
}

/// Whether `s` is shaped like a revision (`r` and 16 lowercase hex digits).
pub fn is_revision(s: &str) -> bool {
    s.len() == 17
        && s.starts_with('r')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A stored upload: its revision and the product's new URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub revision: String,
    pub image_url: String,
    pub thumbnail_url: String,
}

/// Why storing or reading an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("product {0} not found")]
    ProductNotFound(i64),
    /// No object store configured, and the picture is only in S3.
    #[error("image storage is not configured")]
    NotConfigured,
    #[error(transparent)]
    Storage(#[from] objects::Error),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Stores an upload: the `original` file and every size in S3 (one span
/// `catalog.image.upload` per object), then, in one transaction, the
/// sizes' rows, the product's new `image_url` and `thumbnail_url`, and
/// `audit` with the URLs before and after.
///
/// S3 first: should the transaction fail, S3 holds unreferenced objects
/// (harmless), never a product pointing at a missing picture.
pub async fn store_upload(
    db: &Db,
    objects: &ObjectStore,
    product_id: i64,
    original: Vec<u8>,
    pictures: &CatalogPictures,
    audit: AuditEvent,
) -> Result<Uploaded, UploadError> {
    let revision = revision_of(pictures);
    let original_type = pictures.source_format.content_type();
    upload_object(
        objects,
        &upload_key(product_id, &revision, "original"),
        "original",
        original,
        original_type,
    )
    .await?;
    for (size, bytes) in &pictures.pictures {
        let key = upload_key(product_id, &revision, &format!("{}.png", size.as_str()));
        upload_object(objects, &key, size.as_str(), bytes.clone(), CONTENT_TYPE).await?;
    }

    let uploaded = Uploaded {
        image_url: upload_url(product_id, &revision, ImageSize::Large),
        thumbnail_url: upload_url(product_id, &revision, ImageSize::Thumb),
        revision,
    };
    let mut tx = db.begin_write().await?;
    let result = async {
        const READ: &str = "SELECT image_url, thumbnail_url FROM products WHERE id = ?";
        let (image_before, thumb_before): (String, String) = db
            .traced(
                READ,
                sqlx::query_as(READ)
                    .bind(product_id)
                    .fetch_optional(&mut *tx),
            )
            .await?
            .ok_or(UploadError::ProductNotFound(product_id))?;
        let now = now_millis();
        const INSERT_SQLITE: &str = "INSERT INTO product_image_uploads \
            (product_id, revision, size, object_key, content_type, etag, bytes, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (product_id, revision, size) DO NOTHING";
        const INSERT_MYSQL: &str = "INSERT INTO product_image_uploads \
            (product_id, revision, size, object_key, content_type, etag, bytes, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE product_id = product_id";
        let insert = if db.system().is_sqlite() {
            INSERT_SQLITE
        } else {
            INSERT_MYSQL
        };
        for (size, bytes) in &pictures.pictures {
            let key = upload_key(
                product_id,
                &uploaded.revision,
                &format!("{}.png", size.as_str()),
            );
            db.traced(
                insert,
                sqlx::query(insert)
                    .bind(product_id)
                    .bind(uploaded.revision.as_str())
                    .bind(size.as_str())
                    .bind(key)
                    .bind(CONTENT_TYPE)
                    .bind(etag_of(bytes))
                    .bind(bytes.as_slice())
                    .bind(now)
                    .execute(&mut *tx),
            )
            .await?;
        }
        set_product_urls(db, &mut tx, product_id, &uploaded, now).await?;
        let event = audit.change(
            Some(serde_json::json!({ "image_url": image_before, "thumbnail_url": thumb_before })),
            Some(serde_json::json!({
                "image_url": uploaded.image_url,
                "thumbnail_url": uploaded.thumbnail_url,
                "source_format": pictures.source_format.as_str(),
                "source_width": pictures.source_width,
                "source_height": pictures.source_height,
            })),
        );
        audit::append_in(db, &mut tx, event).await?;
        Ok::<(), UploadError>(())
    }
    .await;
    match result {
        Ok(()) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(uploaded)
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// One object to S3 under its own span (the S3 client span is its child).
async fn upload_object(
    objects: &ObjectStore,
    key: &str,
    name: &'static str,
    bytes: Vec<u8>,
    content_type: &str,
) -> Result<(), objects::Error> {
    let span = tracing::info_span!(
        "catalog.image.upload",
        span.kind = "internal",
        shop.image.size = name,
        shop.image.bytes = bytes.len(),
    );
    objects.put(key, bytes, content_type).instrument(span).await
}

/// An uploaded picture: from the database, or (a row without bytes) from S3,
/// then copied into the row. `None`: no such product, revision or size.
pub async fn get_upload(
    db: &Db,
    objects: Option<&ObjectStore>,
    product_id: i64,
    revision: &str,
    size: ImageSize,
) -> Result<Option<StoredImage>, UploadError> {
    const SELECT: &str = "SELECT content_type, etag, bytes, object_key FROM product_image_uploads \
        WHERE product_id = ? AND revision = ? AND size = ?";
    let row: Option<(String, String, Option<Vec<u8>>, String)> = db
        .traced(
            SELECT,
            sqlx::query_as(SELECT)
                .bind(product_id)
                .bind(revision)
                .bind(size.as_str())
                .fetch_optional(db.pool()),
        )
        .await?;
    let Some((content_type, etag, bytes, key)) = row else {
        return Ok(None);
    };
    if let Some(bytes) = bytes {
        return Ok(Some(StoredImage {
            content_type,
            etag,
            bytes,
        }));
    }
    let objects = objects.ok_or(UploadError::NotConfigured)?;
    let Some(object) = objects.get(&key).await? else {
        tracing::warn!(shop.product.id = product_id, key = %key, "an uploaded picture's row names an object S3 does not have");
        return Ok(None);
    };
    const FILL: &str = "UPDATE product_image_uploads SET bytes = ? \
        WHERE product_id = ? AND revision = ? AND size = ? AND bytes IS NULL";
    let filled = db
        .traced(
            FILL,
            sqlx::query(FILL)
                .bind(object.bytes.as_slice())
                .bind(product_id)
                .bind(revision)
                .bind(size.as_str())
                .execute(db.pool()),
        )
        .await;
    if let Err(e) = filled {
        // The copy is a cache: serve the picture anyway, the next request reads S3 again.
        tracing::warn!(error = %e, shop.product.id = product_id, "could not copy an uploaded picture from S3 into the database");
    }
    Ok(Some(StoredImage {
        content_type,
        etag,
        bytes: object.bytes,
    }))
}

// --- Uploads resized by the function (`--image-resize function`) -------------

/// Where the shop puts an original for the `image-resize` function: the
/// bucket notifies the function's queue of objects created under it.
pub const ORIGINALS_PREFIX: &str = "originals/";

/// The original's user metadata (`x-amz-meta-…`) besides the trace fields:
/// the upload's id and the admin who sent it. The function trusts the
/// database's row for who uploaded, not this (anyone who may write to the
/// bucket may write metadata); it is there for people reading the bucket.
pub const META_UPLOAD: &str = "shop-upload";
pub const META_ADMIN: &str = "shop-admin";

/// The S3 key of an upload's original: `originals/products/{id}/{upload_id}`.
pub fn original_key(product_id: i64, upload_id: &str) -> String {
    format!("{ORIGINALS_PREFIX}products/{product_id}/{upload_id}")
}

/// A new upload id: 32 hex digits (a UUID v4 without hyphens).
pub fn new_upload_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether `s` is shaped like an upload id.
pub fn is_upload_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An upload handed to the function: its state as the admin page polls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadJob {
    pub id: String,
    pub product_id: i64,
    /// `pending`, `done` or `failed`.
    pub status: String,
    /// Why it failed (`not_an_image`, `corrupt`, …: the resizer's refusal).
    pub reason: Option<String>,
    pub revision: Option<String>,
    pub image_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An original for [`hand_off`].
#[derive(Debug, Clone)]
pub struct Original {
    pub bytes: Vec<u8>,
    /// What the content says it is (`image/jpeg`, …).
    pub content_type: &'static str,
    /// Who uploaded it: the audit entry's actor when it is resized.
    pub admin_id: String,
    /// The upload's trace, as the backend writes it (for people).
    pub trace_id: Option<String>,
    /// The trace fields, written as the object's user metadata.
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// Records an upload as `pending` (by `admin_id`, in trace `trace_id`),
/// then puts `original` to [`original_key`] with `metadata` (the trace
/// fields, [`META_UPLOAD`], [`META_ADMIN`]): the row first, so the function,
/// which may run a few milliseconds after the put, always finds it. Should
/// the put fail, the row is marked `failed` (`storage`) and the error
/// returned. Returns the upload id.
pub async fn hand_off(
    db: &Db,
    objects: &ObjectStore,
    product_id: i64,
    original: Original,
) -> Result<String, UploadError> {
    let Original {
        bytes: original,
        content_type,
        admin_id,
        trace_id,
        mut metadata,
    } = original;
    let admin_id = admin_id.as_str();
    let trace_id = trace_id.as_deref();
    let id = new_upload_id();
    let now = now_millis();
    const INSERT: &str = "INSERT INTO image_upload_jobs \
        (id, product_id, admin_id, status, trace_id, created_at, updated_at) \
        VALUES (?, ?, ?, 'pending', ?, ?, ?)";
    db.traced(
        INSERT,
        sqlx::query(INSERT)
            .bind(id.as_str())
            .bind(product_id)
            .bind(admin_id)
            .bind(trace_id)
            .bind(now)
            .bind(now)
            .execute(db.pool()),
    )
    .await?;
    metadata.insert(META_UPLOAD.to_owned(), id.clone());
    metadata.insert(META_ADMIN.to_owned(), admin_id.to_owned());
    let span = tracing::info_span!(
        "catalog.image.upload",
        span.kind = "internal",
        shop.image.size = "original",
        shop.image.bytes = original.len(),
    );
    let put = objects
        .put_with_metadata(
            &original_key(product_id, &id),
            original,
            content_type,
            &metadata,
        )
        .instrument(span)
        .await;
    if let Err(e) = put {
        const FAIL: &str = "UPDATE image_upload_jobs SET status = 'failed', reason = 'storage', \
            updated_at = ? WHERE id = ?";
        let _ = db
            .traced(
                FAIL,
                sqlx::query(FAIL)
                    .bind(now_millis())
                    .bind(id.as_str())
                    .execute(db.pool()),
            )
            .await;
        return Err(e.into());
    }
    Ok(id)
}

type JobRow = (
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
);

/// An upload of product `product_id`, if there is one by that id.
pub async fn upload_job(
    db: &Db,
    product_id: i64,
    upload_id: &str,
) -> Result<Option<UploadJob>, sqlx::Error> {
    const SELECT: &str = "SELECT id, product_id, status, reason, revision, image_url, \
        thumbnail_url, created_at, updated_at FROM image_upload_jobs WHERE id = ? AND product_id = ?";
    let row: Option<JobRow> = db
        .traced(
            SELECT,
            sqlx::query_as(SELECT)
                .bind(upload_id)
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(
        |(
            id,
            product_id,
            status,
            reason,
            revision,
            image_url,
            thumbnail_url,
            created_at,
            updated_at,
        )| {
            UploadJob {
                id,
                product_id,
                status,
                reason,
                revision,
                image_url,
                thumbnail_url,
                created_at,
                updated_at,
            }
        },
    ))
}

/// What a resizer elsewhere (the `image-resize` function) wrote to S3 for
/// one upload, for [`record_resized`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResizedUpload {
    pub revision: String,
    /// Each size: its S3 key and the ETag of its bytes ([`etag_of`]).
    pub sizes: Vec<(ImageSize, String, String)>,
    /// `png`, `jpeg`, `gif` or `webp`.
    pub source_format: String,
    pub source_width: u32,
    pub source_height: u32,
}

/// How [`record_resized`] or [`record_failed`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The upload's row moved to `done` now: the product's new URLs.
    Done(Uploaded),
    /// The upload's row moved to `failed` now.
    Failed,
    /// It had already moved (a redelivered notification): nothing changed.
    AlreadyRecorded,
    /// No upload by that id: an original the shop did not hand off (put into
    /// the bucket by hand, or the row's product was deleted since).
    UnknownUpload,
}

/// Records the pictures a resizer elsewhere wrote for upload `upload_id`
/// (of product `product_id`): in one transaction, the sizes' rows in
/// `product_image_uploads` **without bytes** (the shop reads them from S3 on
/// first request and keeps a copy, [`get_upload`]), the product's new
/// `image_url` and `thumbnail_url`, the audit entry (actor: the admin who
/// uploaded, from the upload's row; URLs before and after; `origin` the
/// resizer's invocation) and the upload's row moved to `done`. What
/// [`store_upload`] does after its S3 writes, minus the bytes.
pub async fn record_resized(
    db: &Db,
    product_id: i64,
    upload_id: &str,
    resized: &ResizedUpload,
    origin: audit::Origin,
) -> Result<Recorded, UploadError> {
    let uploaded = Uploaded {
        image_url: upload_url(product_id, &resized.revision, ImageSize::Large),
        thumbnail_url: upload_url(product_id, &resized.revision, ImageSize::Thumb),
        revision: resized.revision.clone(),
    };
    let mut tx = db.begin_write().await?;
    let result = async {
        let Some(admin_id) = pending_admin(db, &mut tx, product_id, upload_id).await? else {
            return Ok(None);
        };
        if admin_id.is_empty() {
            return Ok(Some(Recorded::AlreadyRecorded));
        }
        const READ: &str = "SELECT image_url, thumbnail_url FROM products WHERE id = ?";
        let (image_before, thumb_before): (String, String) = db
            .traced(
                READ,
                sqlx::query_as(READ)
                    .bind(product_id)
                    .fetch_optional(&mut *tx),
            )
            .await?
            .ok_or(UploadError::ProductNotFound(product_id))?;
        let now = now_millis();
        const INSERT_SQLITE: &str = "INSERT INTO product_image_uploads \
            (product_id, revision, size, object_key, content_type, etag, bytes, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?) ON CONFLICT (product_id, revision, size) DO NOTHING";
        const INSERT_MYSQL: &str = "INSERT INTO product_image_uploads \
            (product_id, revision, size, object_key, content_type, etag, bytes, created_at) \
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?) ON DUPLICATE KEY UPDATE product_id = product_id";
        let insert = if db.system().is_sqlite() {
            INSERT_SQLITE
        } else {
            INSERT_MYSQL
        };
        for (size, key, etag) in &resized.sizes {
            db.traced(
                insert,
                sqlx::query(insert)
                    .bind(product_id)
                    .bind(resized.revision.as_str())
                    .bind(size.as_str())
                    .bind(key.as_str())
                    .bind(CONTENT_TYPE)
                    .bind(etag.as_str())
                    .bind(now)
                    .execute(&mut *tx),
            )
            .await?;
        }
        set_product_urls(db, &mut tx, product_id, &uploaded, now).await?;
        let event = AuditEvent::new(
            audit::Actor::Admin(admin_id),
            "catalog.image_upload",
            audit::Outcome::Success,
        )
        .target(format!("product:{product_id}"))
        .origin(origin)
        .change(
            Some(serde_json::json!({ "image_url": image_before, "thumbnail_url": thumb_before })),
            Some(serde_json::json!({
                "image_url": uploaded.image_url,
                "thumbnail_url": uploaded.thumbnail_url,
                "source_format": resized.source_format,
                "source_width": resized.source_width,
                "source_height": resized.source_height,
                "upload_id": upload_id,
                "resized_by": "function",
            })),
        );
        audit::append_in(db, &mut tx, event).await?;
        const DONE: &str = "UPDATE image_upload_jobs SET status = 'done', revision = ?, \
            image_url = ?, thumbnail_url = ?, updated_at = ? WHERE id = ?";
        db.traced(
            DONE,
            sqlx::query(DONE)
                .bind(uploaded.revision.as_str())
                .bind(uploaded.image_url.as_str())
                .bind(uploaded.thumbnail_url.as_str())
                .bind(now)
                .bind(upload_id)
                .execute(&mut *tx),
        )
        .await?;
        // The back office hears of it (events::feed), in the function's trace.
        crate::events::record_in(
            db,
            &mut tx,
            crate::events::EventType::ImageProcessed,
            &serde_json::json!({
                "product_id": product_id, "upload_id": upload_id, "status": "done",
                "thumbnail_url": uploaded.thumbnail_url,
            }),
            now,
        )
        .await?;
        Ok::<Option<Recorded>, UploadError>(Some(Recorded::Done(uploaded.clone())))
    }
    .await;
    finish(db, tx, result).await
}

/// Records that the resizer refused upload `upload_id` (`reason`: the
/// refusal's kind, e.g. `corrupt`): in one transaction the upload's row
/// moves to `failed` with the reason, and an audit entry with outcome
/// `failed` names it (actor: the admin who uploaded). The product keeps its
/// picture.
pub async fn record_failed(
    db: &Db,
    product_id: i64,
    upload_id: &str,
    reason: &str,
    origin: audit::Origin,
) -> Result<Recorded, UploadError> {
    let mut tx = db.begin_write().await?;
    let result = async {
        let Some(admin_id) = pending_admin(db, &mut tx, product_id, upload_id).await? else {
            return Ok(None);
        };
        if admin_id.is_empty() {
            return Ok(Some(Recorded::AlreadyRecorded));
        }
        let event = AuditEvent::new(
            audit::Actor::Admin(admin_id),
            "catalog.image_upload",
            audit::Outcome::Failed,
        )
        .target(format!("product:{product_id}"))
        .origin(origin)
        .change(
            None,
            Some(serde_json::json!({ "upload_id": upload_id, "reason": reason, "resized_by": "function" })),
        );
        audit::append_in(db, &mut tx, event).await?;
        const FAILED: &str = "UPDATE image_upload_jobs SET status = 'failed', reason = ?, \
            updated_at = ? WHERE id = ?";
        let now = now_millis();
        db.traced(
            FAILED,
            sqlx::query(FAILED)
                .bind(reason)
                .bind(now)
                .bind(upload_id)
                .execute(&mut *tx),
        )
        .await?;
        crate::events::record_in(
            db,
            &mut tx,
            crate::events::EventType::ImageProcessed,
            &serde_json::json!({
                "product_id": product_id, "upload_id": upload_id, "status": "failed", "reason": reason,
            }),
            now,
        )
        .await?;
        Ok::<Option<Recorded>, UploadError>(Some(Recorded::Failed))
    }
    .await;
    finish(db, tx, result).await
}

/// The admin of a pending upload; `Some("")` when it is no longer pending;
/// `None` when there is no such upload.
async fn pending_admin(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    product_id: i64,
    upload_id: &str,
) -> Result<Option<String>, UploadError> {
    const READ: &str =
        "SELECT admin_id, status FROM image_upload_jobs WHERE id = ? AND product_id = ?";
    let row: Option<(String, String)> = db
        .traced(
            READ,
            sqlx::query_as(READ)
                .bind(upload_id)
                .bind(product_id)
                .fetch_optional(&mut **tx),
        )
        .await?;
    Ok(row.map(|(admin, status)| {
        if status == "pending" {
            admin
        } else {
            String::new()
        }
    }))
}

async fn finish(
    db: &Db,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    result: Result<Option<Recorded>, UploadError>,
) -> Result<Recorded, UploadError> {
    match result {
        Ok(Some(done @ (Recorded::Done(_) | Recorded::Failed))) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(done)
        }
        Ok(other) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Ok(other.unwrap_or(Recorded::UnknownUpload))
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// The name of the queue the bucket notifies of new originals, for the
/// events prefix `prefix` (`shop` → `shop-image-originals`).
pub fn originals_queue_name(prefix: &str) -> String {
    format!("{prefix}-image-originals")
}

/// Sets up, idempotently, what carries a new original to the function in
/// the lab: the queue [`originals_queue_name`] (with a dead-letter queue
/// `…-dlq` after `max_receive_count` receives, and a policy that lets S3
/// send to it) and the bucket's notification of `s3:ObjectCreated:*` under
/// [`ORIGINALS_PREFIX`] to it. The shop calls it at start-up with
/// `--image-resize function --events-provision` (in AWS, Terraform owns
/// these, and the function is triggered by the notification or an SQS
/// event-source mapping). Returns the queue's URL.
pub async fn provision_originals_queue(
    objects: &ObjectStore,
    sdk: &aws_config::SdkConfig,
    prefix: &str,
    max_receive_count: u32,
) -> Result<String, UploadError> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let name = originals_queue_name(prefix);
    let failed = |op: &'static str, e: String| {
        UploadError::Storage(objects::Error::S3 {
            operation: op,
            bucket: objects.bucket().to_owned(),
            message: e,
        })
    };
    let arn_of = |url: String| {
        let sqs = sqs.clone();
        async move {
            let out = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(A::QueueArn)
                .send()
                .await
                .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
            out.attributes()
                .and_then(|a| a.get(&A::QueueArn))
                .cloned()
                .ok_or_else(|| "no QueueArn".to_owned())
        }
    };
    let dlq = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .map_err(|e| {
            failed(
                "CreateQueue",
                aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let dlq_arn = arn_of(dlq.queue_url().unwrap_or_default().to_owned())
        .await
        .map_err(|e| failed("GetQueueAttributes", e))?;
    let queue = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .map_err(|e| {
            failed(
                "CreateQueue",
                aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
            )
        })?;
    let url = queue.queue_url().unwrap_or_default().to_owned();
    let arn = arn_of(url.clone())
        .await
        .map_err(|e| failed("GetQueueAttributes", e))?;
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "s3-notifies-originals",
            "Effect": "Allow",
            "Principal": { "Service": "s3.amazonaws.com" },
            "Action": "sqs:SendMessage",
            "Resource": arn,
            "Condition": { "ArnLike": { "aws:SourceArn": format!("arn:aws:s3:::{}", objects.bucket()) } }
        }]
    });
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(A::Policy, policy.to_string())
        .attributes(
            A::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count })
                .to_string(),
        )
        // The function resizes in about a second; a minute before a retry.
        .attributes(A::VisibilityTimeout, "60")
        .send()
        .await
        .map_err(|e| failed("SetQueueAttributes", aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    objects
        .notify_queue_of_created(ORIGINALS_PREFIX, &arn)
        .await?;
    Ok(url)
}

/// Points the product at a new revision's pictures (inside the upload's transaction).
async fn set_product_urls(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    product_id: i64,
    uploaded: &Uploaded,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SET: &str =
        "UPDATE products SET image_url = ?, thumbnail_url = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SET,
        sqlx::query(SET)
            .bind(uploaded.image_url.as_str())
            .bind(uploaded.thumbnail_url.as_str())
            .bind(now)
            .bind(product_id)
            .execute(&mut **tx),
    )
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_product_and_the_size() {
        assert_eq!(
            image_url(7, ImageSize::Large),
            "/images/products/7/large.png"
        );
        assert_eq!(
            image_url(240, ImageSize::Thumb),
            "/images/products/240/thumb.png"
        );
    }

    #[test]
    fn upload_urls_and_keys_carry_the_revision() {
        assert_eq!(
            upload_url(7, "r0123456789abcdef", ImageSize::Thumb),
            "/images/products/7/r0123456789abcdef/thumb.png"
        );
        assert_eq!(
            upload_key(7, "r0123456789abcdef", "original"),
            "products/7/r0123456789abcdef/original"
        );
    }

    #[test]
    fn upload_ids_and_original_keys() {
        let id = new_upload_id();
        assert!(is_upload_id(&id), "{id}");
        assert_ne!(id, new_upload_id());
        for bad in [
            "",
            "nonsense",
            &"0".repeat(31),
            &"G".repeat(32),
            "0F8E2A1C9B7D4E6FA1B2C3D4E5F60718",
        ] {
            assert!(!is_upload_id(bad), "{bad}");
        }
        assert_eq!(original_key(5, &id), format!("originals/products/5/{id}"));
        assert_eq!(originals_queue_name("shop"), "shop-image-originals");
    }

    #[test]
    fn revisions_follow_the_bytes() {
        let pictures = |b: u8| CatalogPictures {
            source_format: super::super::resize::SourceFormat::Png,
            source_width: 1,
            source_height: 1,
            pictures: vec![(ImageSize::Large, vec![b]), (ImageSize::Thumb, vec![b])],
        };
        let a = revision_of(&pictures(1));
        assert!(is_revision(&a), "{a}");
        assert_eq!(a, revision_of(&pictures(1)));
        assert_ne!(a, revision_of(&pictures(2)));
        for bad in [
            "large.png",
            "r0123",
            "R0123456789abcdef",
            "r0123456789abcdeg",
        ] {
            assert!(!is_revision(bad), "{bad}");
        }
    }

    #[test]
    fn etags_are_quoted_strong_and_follow_the_bytes() {
        let a = etag_of(b"one");
        assert_eq!(a.len(), 34);
        assert!(a.starts_with('"') && a.ends_with('"'), "{a}");
        assert!(a[1..33].bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
        assert_eq!(a, etag_of(b"one"));
        assert_ne!(a, etag_of(b"two"));
    }
}
