//! The catalog (C-BROWSE-01/02/03/04/05/07): products with filters, sorting
//! and pagination, search, categories, and stock status on every product.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use telemetry_api::{KeyValue, semconv};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::extract::{Path, Query};
use shop_core::db::Db;

/// How a product's stock looks to a shopper (C-BROWSE-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    InStock,
    /// At or below the product's low-stock threshold, but not zero.
    LowStock,
    OutOfStock,
}

impl StockStatus {
    pub fn of(quantity: i64, low_stock_threshold: i64) -> StockStatus {
        if quantity <= 0 {
            StockStatus::OutOfStock
        } else if quantity <= low_stock_threshold {
            StockStatus::LowStock
        } else {
            StockStatus::InStock
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stock {
    pub quantity: i64,
    pub status: StockStatus,
    pub low_stock_threshold: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Price in cents of `currency`.
    pub price_cents: i64,
    pub currency: String,
    pub category: CategoryRef,
    pub image_url: String,
    pub stock: Stock,
    /// RFC 3339.
    pub created_at: String,
}

/// One page of products.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<Product>,
    pub page: u32,
    pub per_page: u32,
    /// Products matching the filters, on all pages.
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Search results: name matches before description matches (the default for search).
    Relevance,
    PriceAsc,
    PriceDesc,
    NameAsc,
    NameDesc,
    /// Most recently added first (the default for listings).
    Newest,
}

/// Query parameters of the product listings.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Search text (required for `/api/products/search`): matches name and description, case-insensitively.
    pub q: Option<String>,
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
    /// Products per page, 1–100 (default 20).
    pub per_page: Option<u32>,
    #[param(inline)]
    pub sort: Option<Sort>,
    /// Lowest price in cents (inclusive).
    pub min_price: Option<i64>,
    /// Highest price in cents (inclusive).
    pub max_price: Option<i64>,
    /// Only this category and its sub-categories.
    pub category_id: Option<i64>,
    /// Only products with stock on hand.
    pub in_stock: Option<bool>,
}

const MAX_PER_PAGE: u32 = 100;
const MAX_PAGE: u32 = 100_000;
const MAX_QUERY_CHARS: usize = 100;

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
    created_at: i64,
    quantity: i64,
    low_stock_threshold: i64,
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
            stock: Stock {
                quantity: r.quantity,
                status: StockStatus::of(r.quantity, r.low_stock_threshold),
                low_stock_threshold: r.low_stock_threshold,
            },
            created_at: shop_core::time::rfc3339(r.created_at),
        }
    }
}

const PRODUCT_COLUMNS: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
    p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.created_at, \
    COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold \
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
fn arguments(binds: &[Bind]) -> ApiResult<sqlx::any::AnyArguments> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    for b in binds {
        match b {
            Bind::I64(v) => args.add(*v),
            Bind::Str(s) => args.add(s.clone()),
        }
        .map_err(|e| ApiError::Internal(format!("binding a listing parameter: {e}")))?;
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

/// Validates the parameters and runs the listing.
async fn list(
    db: &Db,
    params: ProductQuery,
    path_category: Option<i64>,
    search: bool,
) -> ApiResult<ProductPage> {
    let page = params.page.unwrap_or(1);
    if page == 0 || page > MAX_PAGE {
        return Err(ApiError::validation(
            "page",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let per_page = params.per_page.unwrap_or(20);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ApiError::validation(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    for (field, v) in [
        ("min_price", params.min_price),
        ("max_price", params.max_price),
    ] {
        if v.is_some_and(|v| v < 0) {
            return Err(ApiError::validation(field, "must not be negative"));
        }
    }
    if let (Some(lo), Some(hi)) = (params.min_price, params.max_price)
        && lo > hi
    {
        return Err(ApiError::validation(
            "min_price",
            "must not be greater than max_price",
        ));
    }
    if path_category.is_some() && params.category_id.is_some() {
        return Err(ApiError::validation(
            "category_id",
            "the category is already given in the path",
        ));
    }
    let category = path_category.or(params.category_id);
    if category.is_some_and(|c| c < 1) {
        return Err(ApiError::validation(
            "category_id",
            "must be a positive integer",
        ));
    }
    let q = match params.q.as_deref().map(str::trim) {
        Some("") | None if search => {
            return Err(ApiError::validation("q", "search text is required"));
        }
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
            return Err(ApiError::validation(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        Some("") | None => None,
        Some(q) => Some(q.to_owned()),
    };
    let sort = params.sort.unwrap_or(if q.is_some() {
        Sort::Relevance
    } else {
        Sort::Newest
    });
    if sort == Sort::Relevance && q.is_none() {
        return Err(ApiError::validation(
            "sort",
            "relevance needs search text (q)",
        ));
    }

    let mut f = Filter::default();
    if let Some(c) = category {
        // Fail with 404 for an unknown category rather than an empty page.
        const EXISTS: &str = "SELECT COUNT(*) FROM categories WHERE id = ?";
        let n: i64 = db
            .traced(
                EXISTS,
                sqlx::query_scalar(EXISTS).bind(c).fetch_one(db.pool()),
            )
            .await?;
        if n == 0 {
            return Err(if path_category.is_some() {
                ApiError::not_found("category", c)
            } else {
                ApiError::validation("category_id", format!("no category with id {c}"))
            });
        }
        f.clauses.push("(p.category_id = ? OR c.parent_id = ?)");
        f.binds.push(Bind::I64(c));
        f.binds.push(Bind::I64(c));
    }
    if let Some(lo) = params.min_price {
        f.clauses.push("p.price_cents >= ?");
        f.binds.push(Bind::I64(lo));
    }
    if let Some(hi) = params.max_price {
        f.clauses.push("p.price_cents <= ?");
        f.binds.push(Bind::I64(hi));
    }
    if params.in_stock == Some(true) {
        f.clauses.push("COALESCE(i.quantity, 0) > 0");
    }
    if let Some(q) = &q {
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
        let q = sqlx::query_with(AssertSqlSafe(count_sql.clone()), arguments(&f.binds)?);
        let row = db.traced(&count_sql, q.fetch_one(db.pool())).await?;
        sqlx::Row::try_get(&row, 0)?
    };

    let mut order_binds = Vec::new();
    let order = match sort {
        Sort::Relevance => {
            order_binds.push(Bind::Str(like_pattern(q.as_deref().unwrap_or_default())));
            "CASE WHEN LOWER(p.name) LIKE ? ESCAPE '!' THEN 0 ELSE 1 END, p.name"
        }
        Sort::PriceAsc => "p.price_cents",
        Sort::PriceDesc => "p.price_cents DESC",
        Sort::NameAsc => "p.name",
        Sort::NameDesc => "p.name DESC",
        Sort::Newest => "p.created_at DESC",
    };
    let list_sql = format!("{PRODUCT_COLUMNS}{where_sql} ORDER BY {order}, p.id LIMIT ? OFFSET ?");
    let mut binds = f.binds;
    binds.extend(order_binds);
    binds.push(Bind::I64(i64::from(per_page)));
    binds.push(Bind::I64(i64::from(page - 1) * i64::from(per_page)));
    let q = sqlx::query_as_with::<_, ProductRow, _>(
        AssertSqlSafe(list_sql.clone()),
        arguments(&binds)?,
    );
    let rows = db.traced_all(&list_sql, q.fetch_all(db.pool())).await?;

    Ok(ProductPage {
        items: rows.into_iter().map(Product::from).collect(),
        page,
        per_page,
        total,
        total_pages: (total + i64::from(per_page) - 1) / i64::from(per_page),
    })
}

/// List products (C-BROWSE-01/05).
#[utoipa::path(get, path = "/api/products", tag = "catalog", params(ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
    ))]
pub async fn list_products(
    State(state): State<AppState>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    Ok(Json(list(&state.db, params, None, false).await?))
}

/// Search products by name and description (C-BROWSE-04).
#[utoipa::path(get, path = "/api/products/search", tag = "catalog", params(ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "`q` is missing or a parameter is invalid", body = super::error::ErrorBody),
    ))]
pub async fn search_products(
    State(state): State<AppState>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    let page = list(&state.db, params, None, true).await?;
    tracing::Span::current().record(semconv::SHOP_SEARCH_RESULTS, page.total);
    Ok(Json(page))
}

/// Products of a category and its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories/{id}/products", tag = "catalog",
    params(("id" = i64, Path, description = "Category id"), ProductQuery),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, body = super::error::ErrorBody),
        (status = 404, description = "No such category", body = super::error::ErrorBody),
    ))]
pub async fn category_products(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(params): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    tracing::Span::current().record(semconv::SHOP_CATEGORY_ID, id);
    Ok(Json(list(&state.db, params, Some(id), false).await?))
}

/// Loads one product with its stock.
pub async fn load_product(db: &Db, id: i64) -> ApiResult<Option<Product>> {
    const SQL: &str = "SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, \
        p.category_id, c.slug AS category_slug, c.name AS category_name, p.image_url, p.created_at, \
        COALESCE(i.quantity, 0) AS quantity, COALESCE(i.low_stock_threshold, 0) AS low_stock_threshold \
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

/// One product with its stock status (C-BROWSE-02/07).
#[utoipa::path(get, path = "/api/products/{id}", tag = "catalog",
    params(("id" = i64, Path, description = "Product id")),
    responses(
        (status = 200, body = Product),
        (status = 400, description = "The id is not an integer", body = super::error::ErrorBody),
        (status = 404, description = "No such product", body = super::error::ErrorBody),
    ))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Product>> {
    tracing::Span::current().record(semconv::SHOP_PRODUCT_ID, id);
    let product = load_product(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", id))?;
    state.metrics.product_views.add(
        1,
        &[KeyValue::new(
            semconv::SHOP_CATEGORY_ID,
            product.category.id,
        )],
    );
    Ok(Json(product))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The department this category belongs to; `null` for departments.
    pub parent_id: Option<i64>,
    /// Products in this category and its sub-categories.
    pub product_count: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<Category>,
}

/// All categories, each department followed by its sub-categories (C-BROWSE-03).
#[utoipa::path(get, path = "/api/categories", tag = "catalog", responses((status = 200, body = CategoryList)))]
pub async fn list_categories(State(state): State<AppState>) -> ApiResult<Json<CategoryList>> {
    const SQL: &str = "SELECT c.id, c.slug, c.name, c.description, c.parent_id, \
        (SELECT COUNT(*) FROM products p JOIN categories pc ON pc.id = p.category_id \
         WHERE pc.id = c.id OR pc.parent_id = c.id) AS product_count \
        FROM categories c ORDER BY COALESCE(c.parent_id, c.id), c.parent_id IS NOT NULL, c.sort_order, c.id";
    let rows: Vec<(i64, String, String, String, Option<i64>, i64)> = state
        .db
        .traced_all(SQL, sqlx::query_as(SQL).fetch_all(state.db.pool()))
        .await?;
    Ok(Json(CategoryList {
        items: rows
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
            .collect(),
    }))
}
