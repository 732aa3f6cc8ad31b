//! The back office's catalog (A-PROD-01..03): create, change and delete
//! products; create, rename, move and delete categories. The rules of each
//! field are in [`super::edit`]; this module is the SQL.
//!
//! Every change is one write transaction holding the change and its audit
//! entry (before and after), so the audit log never misses a committed
//! change nor records one that rolled back. Each operation is a span named
//! `catalog.<thing>.<verb>` with the product or category id (O-TRACE-04).
//!
//! **The category tree has two levels**, as the seed builds it: departments
//! (no parent) and their categories. The shop's listing counts a
//! department's products through its direct children only, so the tree
//! refuses a third level: a category moves under a *department*, and only
//! when it has no sub-categories of its own.
//!
//! **Deleting a product** removes it with its stock, movements, pictures,
//! alerts and cart lines — but only a product nobody ever ordered: an order
//! keeps its lines, and they name the product. A product that sold is taken
//! off sale by setting its stock to zero instead (`product_has_orders`).
//! A deleted id is never given again (`catalog_tombstones`, migration
//! 0009): picture URLs are cached as immutable and audit entries name
//! `product:<id>`, so an id must mean one product forever.

use serde::Serialize;
use tracing::Instrument;

use super::edit::{CategoryDraft, CategoryPatch, ProductDraft, ProductPatch};
use super::image_store::image_url;
use super::images::ImageSize;
use super::model::{Category, Product};
use super::{Error, store};
use crate::audit::{self, AuditEvent};
use crate::db::Db;
use crate::events::{self, EventType};
use crate::time::now_millis;
use crate::validation::Invalid;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The low-stock threshold a new product starts with (the seed's).
pub const NEW_PRODUCT_THRESHOLD: i64 = crate::db::seed::LOW_STOCK_THRESHOLD;
/// The most products one bulk delete takes.
pub const MAX_BULK_DELETE: usize = 100;

/// A product's editable fields, as the audit log records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProductFields {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub category_id: i64,
}

/// A category's editable fields, as the audit log records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CategoryFields {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
}

/// Runs `$body` (which uses `$tx: &mut Tx`) in a write transaction and
/// ends it with [`Db::end_write`]. (A macro rather than a function taking an
/// async closure: a closure borrowing the transaction makes a future the
/// compiler cannot prove `Send` for axum.)
macro_rules! in_tx {
    ($db:expr, $tx:ident, $body:block) => {
        async {
            let mut transaction = $db.begin_write().await?;
            let $tx = &mut transaction;
            let result: Result<_, Error> = async { $body }.await;
            $db.end_write(transaction, result).await
        }
    };
}

/// `sql` with `FOR UPDATE` on MariaDB (SQLite's write transaction already
/// holds the database's write lock).
fn locking(db: &Db, sqlite: &'static str, mysql: &'static str) -> &'static str {
    if db.system().is_sqlite() {
        sqlite
    } else {
        mysql
    }
}

/// The id the next `kind` (`product` or `category`) gets on SQLite: past
/// every live and deleted one (migration 0009 says why). `None` on MariaDB,
/// whose `AUTO_INCREMENT` never reuses an id.
async fn next_id(db: &Db, tx: &mut Tx, kind: &str) -> Result<Option<i64>, sqlx::Error> {
    if !db.system().is_sqlite() {
        return Ok(None);
    }
    let sql = if kind == "product" {
        "SELECT MAX(id) FROM (SELECT id FROM products UNION ALL \
         SELECT id FROM catalog_tombstones WHERE kind = 'product') AS ids"
    } else {
        "SELECT MAX(id) FROM (SELECT id FROM categories UNION ALL \
         SELECT id FROM catalog_tombstones WHERE kind = 'category') AS ids"
    };
    let max: Option<i64> = db
        .traced(sql, sqlx::query_scalar(sql).fetch_one(&mut **tx))
        .await?;
    Ok(Some(max.unwrap_or(0) + 1))
}

/// The id a new row got: the one [`next_id`] chose (SQLite), else the one
/// `AUTO_INCREMENT` gave (MariaDB reports it with the insert).
fn new_id(explicit: Option<i64>, done: &sqlx::any::AnyQueryResult) -> Result<i64, Error> {
    explicit.or(done.last_insert_id()).ok_or_else(|| {
        Error::Db(sqlx::Error::Protocol(
            "the database did not report the new row's id".to_owned(),
        ))
    })
}

/// Records that `kind` `id` (`label`: its SKU or slug) was deleted.
async fn tombstone(
    db: &Db,
    tx: &mut Tx,
    kind: &str,
    id: i64,
    label: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO catalog_tombstones (kind, id, label, deleted_at) VALUES (?, ?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(kind)
            .bind(id)
            .bind(label)
            .bind(now_millis())
            .execute(&mut **tx),
    )
    .await
    .map(drop)
}

// --- products -------------------------------------------------------------------------

/// The editable fields of product `id`, locked for the transaction.
pub(crate) async fn product_fields(
    db: &Db,
    tx: &mut Tx,
    id: i64,
) -> Result<Option<ProductFields>, sqlx::Error> {
    let sql = locking(
        db,
        "SELECT sku, name, description, price_cents, category_id FROM products WHERE id = ?",
        "SELECT sku, name, description, price_cents, category_id FROM products WHERE id = ? FOR UPDATE",
    );
    db.traced(sql, sqlx::query_as(sql).bind(id).fetch_optional(&mut **tx))
        .await
}

/// Fails unless `category_id` names a category.
async fn require_category(db: &Db, tx: &mut Tx, category_id: i64) -> Result<(), Error> {
    const SQL: &str = "SELECT COUNT(*) FROM categories WHERE id = ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(category_id)
                .fetch_one(&mut **tx),
        )
        .await?;
    if n == 0 {
        return Err(Error::UnknownCategory {
            field: "category_id",
            id: category_id,
        });
    }
    Ok(())
}

/// Fails with `SkuTaken` if another product than `except` has `sku`.
async fn require_free_sku(db: &Db, tx: &mut Tx, sku: &str, except: i64) -> Result<(), Error> {
    const SQL: &str = "SELECT COUNT(*) FROM products WHERE sku = ? AND id <> ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(sku)
                .bind(except)
                .fetch_one(&mut **tx),
        )
        .await?;
    if n > 0 {
        return Err(Error::SkuTaken(sku.to_owned()));
    }
    Ok(())
}

/// Inserts a product with zero stock inside `tx` and returns its id. Its
/// pictures are the drawn ones until an admin uploads a photo.
pub(crate) async fn insert_product(
    db: &Db,
    tx: &mut Tx,
    draft: &ProductDraft,
) -> Result<i64, Error> {
    require_category(db, tx, draft.category_id).await?;
    require_free_sku(db, tx, draft.sku.as_str(), 0).await?;
    let now = now_millis();
    // `id` is explicit on SQLite; NULL on MariaDB, where AUTO_INCREMENT picks it.
    const INSERT: &str = "INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, \
        image_url, thumbnail_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?)";
    let explicit = next_id(db, tx, "product").await?;
    let done = db
        .traced(
            INSERT,
            sqlx::query(INSERT)
                .bind(explicit)
                .bind(draft.sku.as_str())
                .bind(draft.name.as_str())
                .bind(draft.description.as_str())
                .bind(draft.price_cents)
                .bind(super::edit::CURRENCY)
                .bind(draft.category_id)
                .bind(now)
                .bind(now)
                .execute(&mut **tx),
        )
        .await?;
    let id = new_id(explicit, &done)?;
    const URLS: &str = "UPDATE products SET image_url = ?, thumbnail_url = ? WHERE id = ?";
    db.traced(
        URLS,
        sqlx::query(URLS)
            .bind(image_url(id, ImageSize::Large))
            .bind(image_url(id, ImageSize::Thumb))
            .bind(id)
            .execute(&mut **tx),
    )
    .await?;
    const STOCK: &str = "INSERT INTO inventory (product_id, quantity, low_stock_threshold, updated_at) \
        VALUES (?, 0, ?, ?)";
    db.traced(
        STOCK,
        sqlx::query(STOCK)
            .bind(id)
            .bind(NEW_PRODUCT_THRESHOLD)
            .bind(now)
            .execute(&mut **tx),
    )
    .await?;
    Ok(id)
}

/// Writes `after` over product `id`'s fields inside `tx`.
pub(crate) async fn write_product(
    db: &Db,
    tx: &mut Tx,
    id: i64,
    after: &ProductFields,
) -> Result<(), Error> {
    require_category(db, tx, after.category_id).await?;
    require_free_sku(db, tx, &after.sku, id).await?;
    const UPDATE: &str = "UPDATE products SET sku = ?, name = ?, description = ?, price_cents = ?, \
        category_id = ?, updated_at = ? WHERE id = ?";
    db.traced(
        UPDATE,
        sqlx::query(UPDATE)
            .bind(after.sku.as_str())
            .bind(after.name.as_str())
            .bind(after.description.as_str())
            .bind(after.price_cents)
            .bind(after.category_id)
            .bind(now_millis())
            .bind(id)
            .execute(&mut **tx),
    )
    .await?;
    Ok(())
}

fn product_json(f: &ProductFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

/// The product as the shop shows it, after a committed change.
async fn reload(db: &Db, id: i64) -> Result<Product, Error> {
    store::load_product(db, id)
        .await?
        .ok_or(Error::ProductNotFound(id))
}

/// Creates a product (zero stock, the drawn pictures), with its audit entry.
pub async fn create_product(
    db: &Db,
    draft: ProductDraft,
    audit: AuditEvent,
) -> Result<Product, Error> {
    let span = tracing::info_span!(
        "catalog.product.create",
        span.kind = "internal",
        shop.product.id = tracing::field::Empty,
        shop.category.id = draft.category_id,
    );
    let id = in_tx!(db, tx, {
        let id = insert_product(db, tx, &draft).await?;
        let after = ProductFields {
            sku: draft.sku.as_str().to_owned(),
            name: draft.name.clone(),
            description: draft.description.clone(),
            price_cents: draft.price_cents,
            category_id: draft.category_id,
        };
        let event = audit
            .target(format!("product:{id}"))
            .change(None, Some(product_json(&after)));
        audit::append_in(db, tx, event).await?;
        Ok(id)
    })
    .instrument(span.clone())
    .await?;
    span.record("shop.product.id", id);
    reload(db, id).await
}

/// Changes some of product `id`'s fields, with its audit entry (before and
/// after, only if something changed: an identical patch writes nothing).
pub async fn update_product(
    db: &Db,
    id: i64,
    patch: ProductPatch,
    audit: AuditEvent,
) -> Result<Product, Error> {
    let span = tracing::info_span!(
        "catalog.product.update",
        span.kind = "internal",
        shop.product.id = id,
    );
    in_tx!(db, tx, {
        let before = product_fields(db, tx, id)
            .await?
            .ok_or(Error::ProductNotFound(id))?;
        let after = ProductFields {
            sku: patch
                .sku
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| before.sku.clone()),
            name: patch.name.unwrap_or_else(|| before.name.clone()),
            description: patch
                .description
                .unwrap_or_else(|| before.description.clone()),
            price_cents: patch.price_cents.unwrap_or(before.price_cents),
            category_id: patch.category_id.unwrap_or(before.category_id),
        };
        if after != before {
            write_product(db, tx, id, &after).await?;
            let event = audit
                .target(format!("product:{id}"))
                .change(Some(product_json(&before)), Some(product_json(&after)));
            audit::append_in(db, tx, event).await?;
            // A price cut is a sale: customers who asked are told (C-NOTIF-04). A CSV
            // import's repricing is not announced, product by product.
            if after.price_cents < before.price_cents {
                let payload = serde_json::json!({
                    "product_id": id,
                    "old_price_cents": before.price_cents,
                    "price_cents": after.price_cents,
                });
                events::record_in(db, tx, EventType::ProductOnSale, &payload, now_millis()).await?;
            }
        }
        Ok(())
    })
    .instrument(span)
    .await?;
    reload(db, id).await
}

/// Deletes products `ids` (one, or up to [`MAX_BULK_DELETE`]): all or none.
/// Unknown ids are `ProductNotFound`; products that were ever ordered are
/// `ProductHasOrders` (see the module documentation). One audit entry per
/// product, each with what it was.
pub async fn delete_products(db: &Db, ids: &[i64], audit: AuditEvent) -> Result<(), Error> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_BULK_DELETE {
        return Err(Invalid::new("ids", format!("must name 1–{MAX_BULK_DELETE} products")).into());
    }
    let span = tracing::info_span!(
        "catalog.product.delete",
        span.kind = "internal",
        shop.product.id = ids[0],
        shop.products = ids.len(),
    );
    in_tx!(db, tx, {
        let mut removed = Vec::with_capacity(ids.len());
        let mut ordered = Vec::new();
        for &id in &ids {
            let fields = product_fields(db, tx, id)
                .await?
                .ok_or(Error::ProductNotFound(id))?;
            const ORDERS: &str = "SELECT COUNT(*) FROM order_items WHERE product_id = ?";
            let n: i64 = db
                .traced(
                    ORDERS,
                    sqlx::query_scalar(ORDERS).bind(id).fetch_one(&mut **tx),
                )
                .await?;
            if n > 0 {
                ordered.push(id);
            }
            removed.push((id, fields));
        }
        if !ordered.is_empty() {
            return Err(Error::ProductHasOrders(ordered));
        }
        // Dependents first: every table that names a product (migrations
        // 0001, 0002, 0005, 0008).
        const DEPENDENTS: [&str; 6] = [
            "DELETE FROM cart_items WHERE product_id = ?",
            "DELETE FROM product_images WHERE product_id = ?",
            "DELETE FROM low_stock_alerts WHERE product_id = ?",
            "DELETE FROM inventory_movements WHERE product_id = ?",
            "DELETE FROM reviews WHERE product_id = ?",
            "DELETE FROM inventory WHERE product_id = ?",
        ];
        for (id, fields) in removed {
            for sql in DEPENDENTS {
                db.traced(sql, sqlx::query(sql).bind(id).execute(&mut **tx))
                    .await?;
            }
            const DELETE: &str = "DELETE FROM products WHERE id = ?";
            db.traced(DELETE, sqlx::query(DELETE).bind(id).execute(&mut **tx))
                .await?;
            tombstone(db, tx, "product", id, &fields.sku).await?;
            let event = audit
                .clone()
                .target(format!("product:{id}"))
                .change(Some(product_json(&fields)), None);
            audit::append_in(db, tx, event).await?;
        }
        Ok(())
    })
    .instrument(span)
    .await
}

// --- categories -----------------------------------------------------------------------

async fn category_fields(
    db: &Db,
    tx: &mut Tx,
    id: i64,
) -> Result<Option<CategoryFields>, sqlx::Error> {
    let sql = locking(
        db,
        "SELECT slug, name, description, parent_id FROM categories WHERE id = ?",
        "SELECT slug, name, description, parent_id FROM categories WHERE id = ? FOR UPDATE",
    );
    db.traced(sql, sqlx::query_as(sql).bind(id).fetch_optional(&mut **tx))
        .await
}

/// Fails unless `parent` is a department (a category without a parent)
/// other than `moving`.
async fn require_department(
    db: &Db,
    tx: &mut Tx,
    parent: i64,
    moving: Option<i64>,
) -> Result<(), Error> {
    if moving == Some(parent) {
        return Err(Error::CategoryTree(
            "a category cannot be its own parent".to_owned(),
        ));
    }
    let fields = category_fields(db, tx, parent)
        .await?
        .ok_or(Error::UnknownCategory {
            field: "parent_id",
            id: parent,
        })?;
    if fields.parent_id.is_some() {
        return Err(Error::CategoryTree(format!(
            "categories nest two levels deep: category {parent} is not a department, so it cannot hold categories"
        )));
    }
    Ok(())
}

async fn require_free_slug(db: &Db, tx: &mut Tx, slug: &str, except: i64) -> Result<(), Error> {
    const SQL: &str = "SELECT COUNT(*) FROM categories WHERE slug = ? AND id <> ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(slug)
                .bind(except)
                .fetch_one(&mut **tx),
        )
        .await?;
    if n > 0 {
        return Err(Error::SlugTaken(slug.to_owned()));
    }
    Ok(())
}

async fn count(db: &Db, tx: &mut Tx, sql: &'static str, id: i64) -> Result<i64, sqlx::Error> {
    db.traced(sql, sqlx::query_scalar(sql).bind(id).fetch_one(&mut **tx))
        .await
}

const CHILDREN: &str = "SELECT COUNT(*) FROM categories WHERE parent_id = ?";
const PRODUCTS_IN: &str = "SELECT COUNT(*) FROM products WHERE category_id = ?";

fn category_json(f: &CategoryFields) -> serde_json::Value {
    serde_json::to_value(f).unwrap_or_default()
}

/// Category `id` as the shop lists it.
pub async fn category(db: &Db, id: i64) -> Result<Category, Error> {
    store::categories(db)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(Error::CategoryNotFound(id))
}

/// Creates a category (last among its siblings), with its audit entry.
pub async fn create_category(
    db: &Db,
    draft: CategoryDraft,
    audit: AuditEvent,
) -> Result<Category, Error> {
    let span = tracing::info_span!(
        "catalog.category.create",
        span.kind = "internal",
        shop.category.id = tracing::field::Empty,
    );
    let id = in_tx!(db, tx, {
        if let Some(parent) = draft.parent_id {
            require_department(db, tx, parent, None).await?;
        }
        require_free_slug(db, tx, draft.slug.as_str(), 0).await?;
        const NEXT: &str = "SELECT COALESCE(MAX(sort_order) + 1, 0) FROM categories \
            WHERE (parent_id = ?) OR (? IS NULL AND parent_id IS NULL)";
        let order: i64 = db
            .traced(
                NEXT,
                sqlx::query_scalar(NEXT)
                    .bind(draft.parent_id)
                    .bind(draft.parent_id)
                    .fetch_one(&mut **tx),
            )
            .await?;
        const INSERT: &str = "INSERT INTO categories (id, slug, name, description, parent_id, sort_order) \
            VALUES (?, ?, ?, ?, ?, ?)";
        let explicit = next_id(db, tx, "category").await?;
        let done = db
            .traced(
                INSERT,
                sqlx::query(INSERT)
                    .bind(explicit)
                    .bind(draft.slug.as_str())
                    .bind(draft.name.as_str())
                    .bind(draft.description.as_str())
                    .bind(draft.parent_id)
                    .bind(order)
                    .execute(&mut **tx),
            )
            .await?;
        let id = new_id(explicit, &done)?;
        let after = CategoryFields {
            slug: draft.slug.as_str().to_owned(),
            name: draft.name.clone(),
            description: draft.description.clone(),
            parent_id: draft.parent_id,
        };
        let event = audit
            .target(format!("category:{id}"))
            .change(None, Some(category_json(&after)));
        audit::append_in(db, tx, event).await?;
        Ok(id)
    })
    .instrument(span.clone())
    .await?;
    span.record("shop.category.id", id);
    category(db, id).await
}

/// Renames and/or moves category `id` (see the module documentation for
/// the tree's rule), with its audit entry.
pub async fn update_category(
    db: &Db,
    id: i64,
    patch: CategoryPatch,
    audit: AuditEvent,
) -> Result<Category, Error> {
    let span = tracing::info_span!(
        "catalog.category.update",
        span.kind = "internal",
        shop.category.id = id,
    );
    in_tx!(db, tx, {
        let before = category_fields(db, tx, id)
            .await?
            .ok_or(Error::CategoryNotFound(id))?;
        let after = CategoryFields {
            slug: patch
                .slug
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| before.slug.clone()),
            name: patch.name.unwrap_or_else(|| before.name.clone()),
            description: patch
                .description
                .unwrap_or_else(|| before.description.clone()),
            parent_id: patch.parent.unwrap_or(before.parent_id),
        };
        if after == before {
            return Ok(());
        }
        if after.slug != before.slug {
            require_free_slug(db, tx, &after.slug, id).await?;
        }
        if after.parent_id != before.parent_id
            && let Some(parent) = after.parent_id
        {
            require_department(db, tx, parent, Some(id)).await?;
            if count(db, tx, CHILDREN, id).await? > 0 {
                return Err(Error::CategoryTree(format!(
                    "category {id} has categories of its own; categories nest two levels deep, so it can only move under a department once it is empty of categories"
                )));
            }
        }
        const UPDATE: &str =
            "UPDATE categories SET slug = ?, name = ?, description = ?, parent_id = ? WHERE id = ?";
        db.traced(
            UPDATE,
            sqlx::query(UPDATE)
                .bind(after.slug.as_str())
                .bind(after.name.as_str())
                .bind(after.description.as_str())
                .bind(after.parent_id)
                .bind(id)
                .execute(&mut **tx),
        )
        .await?;
        let event = audit
            .target(format!("category:{id}"))
            .change(Some(category_json(&before)), Some(category_json(&after)));
        audit::append_in(db, tx, event).await?;
        Ok(())
    })
    .instrument(span)
    .await?;
    category(db, id).await
}

/// Deletes category `id` if it holds neither products nor categories.
pub async fn delete_category(db: &Db, id: i64, audit: AuditEvent) -> Result<(), Error> {
    let span = tracing::info_span!(
        "catalog.category.delete",
        span.kind = "internal",
        shop.category.id = id,
    );
    in_tx!(db, tx, {
        let before = category_fields(db, tx, id)
            .await?
            .ok_or(Error::CategoryNotFound(id))?;
        let products = count(db, tx, PRODUCTS_IN, id).await?;
        let categories = count(db, tx, CHILDREN, id).await?;
        if products > 0 || categories > 0 {
            return Err(Error::CategoryNotEmpty {
                id,
                products,
                categories,
            });
        }
        const DELETE: &str = "DELETE FROM categories WHERE id = ?";
        db.traced(DELETE, sqlx::query(DELETE).bind(id).execute(&mut **tx))
            .await?;
        tombstone(db, tx, "category", id, &before.slug).await?;
        let event = audit
            .target(format!("category:{id}"))
            .change(Some(category_json(&before)), None);
        audit::append_in(db, tx, event).await?;
        Ok(())
    })
    .instrument(span)
    .await
}
