//! The catalog's SQL: the listing (assembled from fixed fragments with bound
//! values), one product, the categories.

use sqlx::AssertSqlSafe;

use super::Error;
use super::listing::{Listing, Sort};
use super::model::{Category, CategoryRef, Product, ProductPage, RelatedProduct, Stock};
use super::reviews::RatingSummary;
use crate::db::Db;
use crate::inventory::StockStatus;
use crate::validation::Invalid;

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    sku: String,
    name: String,
    description: String,
    price_cents: i64,
    currency: String,
    category_id: i64,
    category_slug: String,
    category_name: String,
    image_url: String,
    thumbnail_url: String,
    created_at: i64,
    quantity: i64,
    low_stock_threshold: i64,
    rating_count: i64,
    rating_sum: i64,
}

impl From<ProductRow> for Product {
    fn from(r: ProductRow) -> Product {
        Product {
            id: r.id,
            sku: r.sku,
            name: r.name,
            description: r.description,
            price_cents: r.price_cents,
            currency: r.currency,
            category: CategoryRef {
                id: r.category_id,
                slug: r.category_slug,
                name: r.category_name,
            },
            image_url: r.image_url,
            thumbnail_url: r.thumbnail_url,
            stock: Stock {
                quantity: r.quantity,
                status: StockStatus::of(r.quantity, r.low_stock_threshold),
                low_stock_threshold: r.low_stock_threshold,
            },
            created_at: crate::time::rfc3339(r.created_at),
            rating: RatingSummary::from_aggregate(r.rating_count, r.rating_sum),
        }
    }
}

const PRODUCT_COLUMNS: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
    p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.thumbnail_url, p.created_at, \
    COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold, \
    p.rating_count, p.rating_sum \
    FROM products p JOIN categories c ON c.id = p.category_id LEFT JOIN inventory i ON i.product_id = p.id";

/// A bound value of a dynamically assembled statement.
enum Bind {
    I64(i64),
    Str(String),
}

/// Where-clauses and their values, assembled from validated parameters only
/// (the SQL text is built from fixed fragments; values are always bound).
#[derive(Default)]
struct Filter {
    clauses: Vec<&'static str>,
    binds: Vec<Bind>,
}

impl Filter {
    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// The bound values as sqlx arguments, in order.
fn arguments(binds: &[Bind]) -> Result<sqlx::any::AnyArguments, Error> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    for b in binds {
        match b {
            Bind::I64(v) => args.add(*v),
            Bind::Str(s) => args.add(s.clone()),
        }
        .map_err(|e| Error::Bind(e.to_string()))?;
    }
    Ok(args)
}

/// Escapes LIKE wildcards with `!` (an escape character both SQLite and
/// MySQL treat the same way, unlike backslash).
fn like_pattern(q: &str) -> String {
    let mut p = String::with_capacity(q.len() + 2);
    p.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '!' | '%' | '_') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Runs a listing: the total count and one page.
pub async fn list(db: &Db, listing: &Listing) -> Result<ProductPage, Error> {
    let mut f = Filter::default();
    if let Some(category) = listing.category() {
        let c = category.id.get();
        // Fail with 404 for an unknown category rather than an empty page.
        const EXISTS: &str = "SELECT COUNT(*) FROM categories WHERE id = ?";
        let n: i64 = db
            .traced(
                EXISTS,
                sqlx::query_scalar(EXISTS).bind(c).fetch_one(db.pool()),
            )
            .await?;
        if n == 0 {
            return Err(if category.from_path {
                Error::CategoryNotFound(c)
            } else {
                Invalid::new("category_id", format!("no category with id {c}")).into()
            });
        }
        f.clauses.push("(p.category_id = ? OR c.parent_id = ?)");
        f.binds.push(Bind::I64(c));
        f.binds.push(Bind::I64(c));
    }
    if let Some(lo) = listing.prices().min() {
        f.clauses.push("p.price_cents >= ?");
        f.binds.push(Bind::I64(lo));
    }
    if let Some(hi) = listing.prices().max() {
        f.clauses.push("p.price_cents <= ?");
        f.binds.push(Bind::I64(hi));
    }
    if listing.in_stock() {
        f.clauses.push("COALESCE(i.quantity, 0) > 0");
    }
    let q = listing.search().map(|s| s.as_str());
    if let Some(q) = q {
        f.clauses
            .push("(LOWER(p.name) LIKE ? ESCAPE '!' OR LOWER(p.description) LIKE ? ESCAPE '!')");
        f.binds.push(Bind::Str(like_pattern(q)));
        f.binds.push(Bind::Str(like_pattern(q)));
    }

    let where_sql = f.sql();
    let count_sql = format!(
        "SELECT COUNT(*) FROM products p JOIN categories c ON c.id = p.category_id \
         LEFT JOIN inventory i ON i.product_id = p.id{where_sql}"
    );
    let total: i64 = {
        let query = sqlx::query_with(AssertSqlSafe(count_sql.clone()), arguments(&f.binds)?);
        let row = db.traced(&count_sql, query.fetch_one(db.pool())).await?;
        sqlx::Row::try_get(&row, 0)?
    };

    let mut order_binds = Vec::new();
    let order = match listing.sort() {
        Sort::Relevance => {
            order_binds.push(Bind::Str(like_pattern(q.unwrap_or_default())));
            "CASE WHEN LOWER(p.name) LIKE ? ESCAPE '!' THEN 0 ELSE 1 END, p.name"
        }
        Sort::PriceAsc => "p.price_cents",
        Sort::PriceDesc => "p.price_cents DESC",
        Sort::NameAsc => "p.name",
        Sort::NameDesc => "p.name DESC",
        Sort::Newest => "p.created_at DESC",
    };
    let page = listing.page().get();
    let per_page = listing.per_page().get();
    let list_sql = format!("{PRODUCT_COLUMNS}{where_sql} ORDER BY {order}, p.id LIMIT ? OFFSET ?");
    let mut binds = f.binds;
    binds.extend(order_binds);
    binds.push(Bind::I64(i64::from(per_page)));
    binds.push(Bind::I64(i64::from(page - 1) * i64::from(per_page)));
    let query = sqlx::query_as_with::<_, ProductRow, _>(
        AssertSqlSafe(list_sql.clone()),
        arguments(&binds)?,
    );
    let rows = db.traced_all(&list_sql, query.fetch_all(db.pool())).await?;

    Ok(ProductPage {
        items: rows.into_iter().map(Product::from).collect(),
        page,
        per_page,
        total,
        total_pages: (total + i64::from(per_page) - 1) / i64::from(per_page),
    })
}

/// One product with its stock, or `None`.
pub async fn load_product(db: &Db, id: i64) -> Result<Option<Product>, sqlx::Error> {
    const SQL: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
        p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.thumbnail_url, p.created_at, \
        COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold, \
        p.rating_count, p.rating_sum \
        FROM products p JOIN categories c ON c.id = p.category_id LEFT JOIN inventory i ON i.product_id = p.id \
        WHERE p.id = ?";
    let row = db
        .traced(
            SQL,
            sqlx::query_as::<_, ProductRow>(SQL)
                .bind(id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(Product::from))
}

#[derive(sqlx::FromRow)]
struct TogetherRow {
    #[sqlx(flatten)]
    product: ProductRow,
    together: i64,
}

/// Products that were in the same orders as `id` (not cancelled), most
/// shared orders first: "bought together" (C-BROWSE-06).
pub async fn bought_together(
    db: &Db,
    id: i64,
    limit: i64,
) -> Result<Vec<RelatedProduct>, sqlx::Error> {
    const SQL: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
        p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.thumbnail_url, p.created_at, \
        COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold, \
        p.rating_count, p.rating_sum, t.together \
        FROM (SELECT b.product_id AS product_id, COUNT(DISTINCT b.order_id) AS together \
              FROM order_items a JOIN order_items b ON b.order_id = a.order_id AND b.product_id <> a.product_id \
              JOIN orders o ON o.id = a.order_id \
              WHERE a.product_id = ? AND o.status <> 'cancelled' GROUP BY b.product_id) t \
        JOIN products p ON p.id = t.product_id JOIN categories c ON c.id = p.category_id \
        LEFT JOIN inventory i ON i.product_id = p.id \
        ORDER BY t.together DESC, p.id LIMIT ?";
    let rows: Vec<TogetherRow> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(id)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| RelatedProduct {
            product: Product::from(r.product),
            orders_together: r.together,
        })
        .collect())
}

/// Other products of `category_id` than `id`: in stock first, then the
/// most reviewed (C-BROWSE-06).
pub async fn same_category(
    db: &Db,
    id: i64,
    category_id: i64,
    limit: i64,
) -> Result<Vec<Product>, sqlx::Error> {
    const SQL: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
        p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.thumbnail_url, p.created_at, \
        COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold, \
        p.rating_count, p.rating_sum \
        FROM products p JOIN categories c ON c.id = p.category_id LEFT JOIN inventory i ON i.product_id = p.id \
        WHERE p.category_id = ? AND p.id <> ? \
        ORDER BY CASE WHEN COALESCE(i.quantity, 0) > 0 THEN 0 ELSE 1 END, p.rating_count DESC, p.id LIMIT ?";
    let rows: Vec<ProductRow> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(category_id)
                .bind(id)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows.into_iter().map(Product::from).collect())
}

/// All categories, each department followed by its sub-categories.
pub async fn categories(db: &Db) -> Result<Vec<Category>, sqlx::Error> {
    const SQL: &str = "SELECT c.id, c.slug, c.name, c.description, c.parent_id, \
        (SELECT COUNT(*) FROM products p JOIN categories pc ON pc.id = p.category_id \
         WHERE pc.id = c.id OR pc.parent_id = c.id) AS product_count \
        FROM categories c ORDER BY COALESCE(c.parent_id, c.id), c.parent_id IS NOT NULL, c.sort_order, c.id";
    let rows: Vec<(i64, String, String, String, Option<i64>, i64)> = db
        .traced_all(SQL, sqlx::query_as(SQL).fetch_all(db.pool()))
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, slug, name, description, parent_id, product_count)| Category {
                id,
                slug,
                name,
                description,
                parent_id,
                product_count,
            },
        )
        .collect())
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_are_escaped_and_text_lowered() {
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("50%_off!"), "%50!%!_off!!%");
    }
}
