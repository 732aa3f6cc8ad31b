//! Where product pictures are kept: the `product_images` table, one row per
//! product and size with the PNG bytes, their content type and their ETag
//! (C-BROWSE-02).
//!
//! Why the database and not files: in the split topology the services share
//! a database but no disk, and every one of them must serve the same bytes
//! under the same ETag. (The admin feature will later replace pictures
//! through S3; a replaced picture gets a new URL, because URLs are served as
//! immutable.)
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
use crate::db::Db;
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
    fn etags_are_quoted_strong_and_follow_the_bytes() {
        let a = etag_of(b"one");
        assert_eq!(a.len(), 34);
        assert!(a.starts_with('"') && a.ends_with('"'), "{a}");
        assert!(a[1..33].bytes().all(|b| b.is_ascii_hexdigit()), "{a}");
        assert_eq!(a, etag_of(b"one"));
        assert_ne!(a, etag_of(b"two"));
    }
}
