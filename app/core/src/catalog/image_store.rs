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
        const SET: &str =
            "UPDATE products SET image_url = ?, thumbnail_url = ?, updated_at = ? WHERE id = ?";
        db.traced(
            SET,
            sqlx::query(SET)
                .bind(uploaded.image_url.as_str())
                .bind(uploaded.thumbnail_url.as_str())
                .bind(now)
                .bind(product_id)
                .execute(&mut *tx),
        )
        .await?;
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
