//! The catalog in the back office (A-PROD-01..04): products (create,
//! change, delete one or many), the category tree (create, rename, move,
//! delete when empty), and the CSV export and import with its preview. The
//! rules are `shop_core::catalog::{edit, admin, import}`'s; this module is
//! the wire.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shop_core::admin::{Admins, Operation};
use shop_core::audit::{self, Actor, AuditEvent, Outcome};
use shop_core::catalog::edit::{self, CategoryDraft, CategoryPatch, ProductDraft, ProductPatch};
use shop_core::catalog::import::{self, ImportReport};
use shop_core::catalog::{
    self, Catalog, Category, CategoryList, Listing, Product, ProductPage, Scope,
};
use shop_core::db::Db;
use shop_core::json_integer::{self, integer};
use utoipa::ToSchema;

use super::session::Admin;
use crate::http::catalog::ProductQuery;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Csv, Json as JsonBody, Path, Query};

/// A new product. It starts with no stock (adjust it under inventory) and
/// the shop's drawn pictures (upload a photo to replace them).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    /// 2–32 characters of A–Z, 0–9 and `-`, unique.
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{1,31}$", example = "LAMP-0001")]
    pub sku: String,
    /// 1–200 characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$",
        example = "Desk lamp"
    )]
    pub name: String,
    /// At most 5,000 characters.
    #[serde(default)]
    #[schema(
        max_length = 5000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub description: String,
    /// 0–100,000,000 cents.
    #[schema(minimum = 0, maximum = 100000000, example = 2999)]
    #[serde(deserialize_with = "integer")]
    pub price_cents: i64,
    /// The shop's currency, `USD`, if given.
    #[schema(pattern = "^USD$")]
    pub currency: Option<String>,
    #[schema(minimum = 1)]
    #[serde(deserialize_with = "integer")]
    pub category_id: i64,
}

/// Changes to a product: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChanges {
    #[schema(pattern = "^[A-Z0-9][A-Z0-9-]{1,31}$")]
    pub sku: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(
        max_length = 5000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub description: Option<String>,
    #[schema(minimum = 0, maximum = 100000000)]
    #[serde(default, deserialize_with = "json_integer::optional")]
    pub price_cents: Option<i64>,
    #[schema(pattern = "^USD$")]
    pub currency: Option<String>,
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "json_integer::optional")]
    pub category_id: Option<i64>,
}

/// Products to delete at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDelete {
    /// 1–100 product ids; all are deleted or none.
    #[schema(min_items = 1, max_items = 100)]
    #[serde(deserialize_with = "json_integer::list")]
    pub ids: Vec<i64>,
}

/// What a bulk delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: usize,
}

/// A new category: a department (no `parent_id`) or a category in one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// 1–64 characters of a–z, 0–9 and `-`, unique.
    #[schema(
        pattern = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$",
        example = "desk-lamps"
    )]
    pub slug: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$",
        example = "Desk lamps"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub description: String,
    /// The department it belongs to (a category without a parent).
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "json_integer::optional")]
    pub parent_id: Option<i64>,
}

/// Changes to a category: rename it, and/or move it (`parent_id`: a
/// department's id, or `null` to make it a department).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryChanges {
    #[schema(pattern = "^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")]
    pub slug: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    pub description: Option<String>,
    /// Absent: stays; `null`: becomes a department; an id: moves under that department.
    #[serde(default, deserialize_with = "json_integer::present")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub parent_id: Option<Option<i64>>,
}

fn audit(admin: &Admin, op: Operation) -> AuditEvent {
    AuditEvent::new(
        Actor::Admin(admin.session.admin_id.clone()),
        op.as_str(),
        Outcome::Success,
    )
    .origin(admin.origin.clone())
}

fn currency(raw: Option<&str>) -> Result<(), ApiError> {
    raw.map(edit::currency).transpose()?;
    Ok(())
}

/// The catalog's products as the back office lists them: the shop's listing, with every filter.
#[utoipa::path(get, path = "/api/admin/products", tag = "admin", operation_id = "admin_list_products", params(ProductQuery),
    security(("admin_session" = [])),
    responses(
        (status = 200, body = ProductPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.read"))))]
pub async fn list_products(
    State(admins): State<Admins>,
    State(catalog): State<Catalog>,
    admin: Admin,
    Query(query): Query<ProductQuery>,
) -> ApiResult<Json<ProductPage>> {
    admin.authorize(&admins, Operation::CatalogRead).await?;
    let listing = Listing::parse(query.into(), Scope::Products)?;
    let page = catalog.list(&listing).await?;
    admins.counted(Operation::CatalogRead);
    Ok(Json(page))
}

/// One product.
#[utoipa::path(get, path = "/api/admin/products/{id}", tag = "admin", operation_id = "admin_get_product",
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [])),
    responses(
        (status = 200, body = Product),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.read"))))]
pub async fn get_product(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(id): Path<i64>,
) -> ApiResult<Json<Product>> {
    admin.authorize(&admins, Operation::CatalogRead).await?;
    let product = catalog::store::load_product(&db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("product", id))?;
    admins.counted(Operation::CatalogRead);
    Ok(Json(product))
}

/// Create a product, with no stock and the drawn pictures.
#[utoipa::path(post, path = "/api/admin/products", tag = "admin", request_body = NewProduct,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 201, description = "Created", body = Product),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 409, description = "Another product has this SKU (`sku_taken`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "`category_id` or `parent_id` names no category (`unknown_category`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.write"))))]
pub async fn create_product(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    JsonBody(body): JsonBody<NewProduct>,
) -> ApiResult<(StatusCode, Json<Product>)> {
    admin.authorize(&admins, Operation::CatalogWrite).await?;
    let draft = ProductDraft::parse(
        &body.sku,
        &body.name,
        &body.description,
        body.price_cents,
        body.category_id,
    )?;
    currency(body.currency.as_deref())?;
    let product =
        catalog::admin::create_product(&db, draft, audit(&admin, Operation::CatalogWrite)).await?;
    admins.counted(Operation::CatalogWrite);
    Ok((StatusCode::CREATED, Json(product)))
}

/// Change some of a product's fields.
#[utoipa::path(patch, path = "/api/admin/products/{id}", tag = "admin", request_body = ProductChanges,
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The product afterwards", body = Product),
        (status = 400, description = "Invalid field, or an id that is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "Another product has this SKU (`sku_taken`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "`category_id` or `parent_id` names no category (`unknown_category`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.write"))))]
pub async fn update_product(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ProductChanges>,
) -> ApiResult<Json<Product>> {
    admin.authorize(&admins, Operation::CatalogWrite).await?;
    currency(body.currency.as_deref())?;
    let patch = ProductPatch::parse(
        body.sku.as_deref(),
        body.name.as_deref(),
        body.description.as_deref(),
        body.price_cents,
        body.category_id,
    )?;
    let product =
        catalog::admin::update_product(&db, id, patch, audit(&admin, Operation::CatalogWrite))
            .await?;
    admins.counted(Operation::CatalogWrite);
    Ok(Json(product))
}

/// Delete a product that was never ordered, with its stock, movements and pictures.
#[utoipa::path(delete, path = "/api/admin/products/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Product id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such product", body = ErrorBody),
        (status = 409, description = "The product was ordered (`product_has_orders`): set its stock to 0 instead", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.delete"))))]
pub async fn delete_product(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    admin.authorize(&admins, Operation::CatalogDelete).await?;
    if id < 1 {
        return Err(ApiError::not_found("product", id));
    }
    catalog::admin::delete_products(&db, &[id], audit(&admin, Operation::CatalogDelete)).await?;
    admins.counted(Operation::CatalogDelete);
    Ok(StatusCode::NO_CONTENT)
}

/// Delete up to 100 products at once: all of them or none (needs a recent second factor).
#[utoipa::path(post, path = "/api/admin/products/bulk-delete", tag = "admin", request_body = BulkDelete,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, roles that do not allow this, or no recent step-up (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "One of the ids names no product (none was deleted)", body = ErrorBody),
        (status = 409, description = "Some were ordered (`product_has_orders`, none was deleted)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.bulk_delete"))))]
pub async fn bulk_delete(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    JsonBody(body): JsonBody<BulkDelete>,
) -> ApiResult<Json<Deleted>> {
    admin
        .authorize(&admins, Operation::CatalogBulkDelete)
        .await?;
    catalog::admin::delete_products(&db, &body.ids, audit(&admin, Operation::CatalogBulkDelete))
        .await?;
    admins.counted(Operation::CatalogBulkDelete);
    let mut ids = body.ids;
    ids.sort_unstable();
    ids.dedup();
    Ok(Json(Deleted { deleted: ids.len() }))
}

/// Every category, each department followed by its categories.
#[utoipa::path(get, path = "/api/admin/categories", tag = "admin", operation_id = "admin_list_categories",
    security(("admin_session" = [])),
    responses(
        (status = 200, body = CategoryList),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.read"))))]
pub async fn list_categories(
    State(admins): State<Admins>,
    State(catalog): State<Catalog>,
    admin: Admin,
) -> ApiResult<Json<CategoryList>> {
    admin.authorize(&admins, Operation::CatalogRead).await?;
    let list = catalog.categories().await?;
    admins.counted(Operation::CatalogRead);
    Ok(Json(list))
}

/// Create a category: a department, or a category within one (the tree has two levels).
#[utoipa::path(post, path = "/api/admin/categories", tag = "admin", request_body = NewCategory,
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 201, description = "Created", body = Category),
        (status = 400, description = "Invalid field", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 409, description = "The slug is taken (`slug_taken`), or the parent is not a department (`category_tree`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "`category_id` or `parent_id` names no category (`unknown_category`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.write"))))]
pub async fn create_category(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    JsonBody(body): JsonBody<NewCategory>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    admin.authorize(&admins, Operation::CatalogWrite).await?;
    let draft = CategoryDraft::parse(&body.slug, &body.name, &body.description, body.parent_id)?;
    let category =
        catalog::admin::create_category(&db, draft, audit(&admin, Operation::CatalogWrite)).await?;
    admins.counted(Operation::CatalogWrite);
    Ok((StatusCode::CREATED, Json(category)))
}

/// Rename and/or move a category.
#[utoipa::path(patch, path = "/api/admin/categories/{id}", tag = "admin", request_body = CategoryChanges,
    params(("id" = i64, Path, description = "Category id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The category afterwards", body = Category),
        (status = 400, description = "Invalid field, or an id that is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such category", body = ErrorBody),
        (status = 409, description = "The slug is taken (`slug_taken`), or the move would break the two-level tree (`category_tree`)", body = ErrorBody),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/json", body = ErrorBody),
        (status = 422, description = "`category_id` or `parent_id` names no category (`unknown_category`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.write"))))]
pub async fn update_category(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<CategoryChanges>,
) -> ApiResult<Json<Category>> {
    admin.authorize(&admins, Operation::CatalogWrite).await?;
    let patch = CategoryPatch::parse(
        body.slug.as_deref(),
        body.name.as_deref(),
        body.description.as_deref(),
        body.parent_id,
    )?;
    let category =
        catalog::admin::update_category(&db, id, patch, audit(&admin, Operation::CatalogWrite))
            .await?;
    admins.counted(Operation::CatalogWrite);
    Ok(Json(category))
}

/// Delete a category that holds neither products nor categories.
#[utoipa::path(delete, path = "/api/admin/categories/{id}", tag = "admin",
    params(("id" = i64, Path, description = "Category id", minimum = 1)),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a positive integer", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 404, description = "No such category", body = ErrorBody),
        (status = 409, description = "It still holds products or categories (`category_not_empty`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.delete"))))]
pub async fn delete_category(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    admin.authorize(&admins, Operation::CatalogDelete).await?;
    catalog::admin::delete_category(&db, id, audit(&admin, Operation::CatalogDelete)).await?;
    admins.counted(Operation::CatalogDelete);
    Ok(StatusCode::NO_CONTENT)
}

/// The whole catalog as CSV, to edit and import again (columns: sku, name, description,
/// price_cents, currency, category).
#[utoipa::path(get, path = "/api/admin/catalog/export", tag = "admin",
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "The catalog, one product per row, with a header line", content_type = "text/csv", body = String),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.export"))))]
pub async fn export(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
) -> ApiResult<Response> {
    admin.authorize(&admins, Operation::CatalogExport).await?;
    let csv = import::export(&db).await?;
    let rows = csv.lines().count().saturating_sub(1);
    // An export is a data export: the compliance report lists them.
    audit::append(
        &db,
        audit(&admin, Operation::CatalogExport)
            .target("catalog")
            .change(None, Some(serde_json::json!({ "rows": rows }))),
    )
    .await?;
    admins.counted(Operation::CatalogExport);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"catalog.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// What importing a catalog CSV would do: rows to create, update or leave, and every row's
/// problems. Writes nothing.
#[utoipa::path(post, path = "/api/admin/catalog/import/preview", tag = "admin",
    request_body(content = String, content_type = "text/csv", description = "A catalog CSV: columns sku, name, price_cents, category (slug); optionally description, currency"),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The plan; `errors` lists bad rows", body = ImportReport),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 413, description = "Body larger than 2 MiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not text/csv", body = ErrorBody),
        (status = 422, description = "Not the catalog's CSV (`invalid_file`): empty, an unknown, missing or repeated column (field `header`), too many rows", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.import"))))]
pub async fn import_preview(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Csv(body): Csv,
) -> ApiResult<Json<ImportReport>> {
    admin.authorize(&admins, Operation::CatalogImport).await?;
    let report = import::preview(&db, &body).await?;
    admins.counted(Operation::CatalogImport);
    Ok(Json(report))
}

/// Import a catalog CSV: every row or none. A file with bad rows is refused with 422 and the
/// same report as the preview's; applying the same file again changes nothing.
#[utoipa::path(post, path = "/api/admin/catalog/import", tag = "admin",
    request_body(content = String, content_type = "text/csv", description = "A catalog CSV: columns sku, name, price_cents, category (slug); optionally description, currency"),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "Applied", body = ImportReport),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 413, description = "Body larger than 2 MiB", body = ErrorBody),
        (status = 415, description = "Content-Type is not text/csv", body = ErrorBody),
        (status = 422, description = "Bad rows (`import_rejected`): nothing was written, `details` is the report; or not the catalog's CSV (`invalid_file`, see the preview)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("catalog.import"))))]
pub async fn import_apply(
    State(admins): State<Admins>,
    State(db): State<Db>,
    admin: Admin,
    Csv(body): Csv,
) -> ApiResult<Json<ImportReport>> {
    admin.authorize(&admins, Operation::CatalogImport).await?;
    let report = import::apply(&db, &body, audit(&admin, Operation::CatalogImport)).await?;
    admins.counted(Operation::CatalogImport);
    Ok(Json(report))
}
