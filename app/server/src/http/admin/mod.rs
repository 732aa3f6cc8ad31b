//! The back office's routes, under `/api/admin/…` (issue #15): signing in
//! ([`auth`]), managing admins ([`admins`]), the audit log ([`audit`]),
//! orders and the sales report ([`orders`]), stock ([`inventory`]), the
//! catalog with its CSV import and export ([`catalog`]), product pictures
//! ([`images`]), batch jobs ([`batch`]), live notifications ([`notifications`]). The rules are `shop_core::admin`'s
//! and `shop_core::audit`'s; [`session`] is how a request proves it is an
//! admin.
//!
//! Every route names its operation in the OpenAPI document
//! (`x-admin-operation`): an operation of the role matrix
//! (`shop_core::admin::Operation`), or `public` (accepting an invitation,
//! the password step of a login) or `session` (the second-factor steps and
//! logout, open to any admin session of one's own). The RBAC test walks the
//! document and calls every route with every role.

pub mod admins;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod catalog;
pub mod faults;
pub mod images;
pub mod inventory;
pub mod notifications;
pub mod orders;
pub mod session;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{delete, get, patch, post, put};
use shop_core::admin::Admins;
use shop_core::catalog::Catalog;
use shop_core::db::Db;
use shop_core::objects::ObjectStore;
use shop_core::orders::Orders;

/// The back office's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Admins: FromRef<S>,
    Orders: FromRef<S>,
    Catalog: FromRef<S>,
    Db: FromRef<S>,
    Option<ObjectStore>: FromRef<S>,
    crate::config::ImageResize: FromRef<S>,
    shop_core::batch::Batch: FromRef<S>,
    telemetry_api::Telemetry: FromRef<S>,
{
    Router::new()
        .route(
            "/api/admin/invitations/accept",
            post(auth::accept_invitation),
        )
        .route("/api/admin/login", post(auth::login))
        .route("/api/admin/mfa/enrol", post(auth::enrol))
        .route("/api/admin/mfa/confirm", post(auth::confirm))
        .route("/api/admin/mfa/verify", post(auth::verify))
        .route("/api/admin/step-up", post(auth::step_up))
        .route("/api/admin/logout", post(auth::logout))
        .route("/api/admin/me", get(auth::me))
        .route(
            "/api/admin/notifications",
            get(notifications::notifications),
        )
        .route("/api/admin/sessions", get(auth::sessions))
        .route("/api/admin/sessions/{id}", delete(auth::revoke_session))
        .route("/api/admin/admins", get(admins::list))
        .route("/api/admin/invitations", post(admins::invite))
        .route("/api/admin/admins/{id}/roles", put(admins::change_roles))
        .route("/api/admin/admins/{id}/disable", post(admins::disable))
        .route("/api/admin/admins/{id}/enable", post(admins::enable))
        .route("/api/admin/admins/{id}/reset-mfa", post(admins::reset_mfa))
        .route(
            "/api/admin/admins/{id}/revoke-sessions",
            post(admins::revoke_sessions),
        )
        .route("/api/admin/audit", get(audit::entries))
        .route("/api/admin/audit/verify", post(audit::verify))
        .route("/api/admin/orders", get(orders::list))
        .route("/api/admin/orders/{id}", get(orders::get))
        .route("/api/admin/orders/{id}/customer", get(orders::customer))
        .route("/api/admin/orders/{id}/status", post(orders::move_order))
        .route("/api/admin/reports/sales", get(orders::sales_report))
        .route(
            "/api/admin/reports/compliance",
            get(audit::compliance_report),
        )
        .route("/api/admin/batch/runs", get(batch::runs))
        .route(
            "/api/admin/faults",
            get(faults::get_faults).put(faults::set_faults),
        )
        .route("/api/admin/batch/{job}", post(batch::run))
        .route("/api/admin/inventory", get(inventory::levels))
        .route("/api/admin/inventory/alerts", get(inventory::alerts))
        .route(
            "/api/admin/inventory/{product_id}/adjustments",
            post(inventory::adjust),
        )
        .route(
            "/api/admin/products",
            get(catalog::list_products).post(catalog::create_product),
        )
        .route(
            "/api/admin/products/bulk-delete",
            post(catalog::bulk_delete),
        )
        .route(
            "/api/admin/products/{id}",
            get(catalog::get_product)
                .patch(catalog::update_product)
                .delete(catalog::delete_product),
        )
        .route(
            "/api/admin/categories",
            get(catalog::list_categories).post(catalog::create_category),
        )
        .route(
            "/api/admin/categories/{id}",
            patch(catalog::update_category).delete(catalog::delete_category),
        )
        .route("/api/admin/catalog/export", get(catalog::export))
        .route(
            "/api/admin/catalog/import/preview",
            post(catalog::import_preview),
        )
        .route("/api/admin/catalog/import", post(catalog::import_apply))
        .route(
            "/api/admin/inventory/{product_id}/threshold",
            put(inventory::set_threshold),
        )
        .route(
            "/api/admin/inventory/{product_id}/movements",
            get(inventory::movements),
        )
        .route(
            "/api/admin/inventory/{product_id}/forecast",
            get(inventory::forecast),
        )
        .route(
            "/api/admin/products/{id}/image",
            post(images::upload).layer(images::body_limit()),
        )
        .route(
            "/api/admin/products/{id}/image/uploads/{upload_id}",
            get(images::status),
        )
}
