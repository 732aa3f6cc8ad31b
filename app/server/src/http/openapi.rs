//! `GET /api/openapi.json`: the OpenAPI document, generated from the
//! handlers' annotations and the types' derives (utoipa), so it cannot drift
//! from the code.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::{
    accounts, admin, carts, catalog, error, health, images, inventory, lab, orders, readback,
    reviews, rum, social,
};

/// `GET /api/openapi.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/api/openapi.json", get(document))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Observability Shop Lab",
        description = "The shop's HTTP API. Every error is JSON: {\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}. \
                       Every response carries x-request-id and x-trace-id headers, and x-trace-sampled (1 or 0)."
    ),
    paths(
        health::health,
        rum::config,
        rum::traces,
        rum::logs_route,
        rum::metrics,
        rum::replay::replay,
        readback::config,
        readback::trace,
        readback::session::session,
        readback::session::replay,
        readback::service_map::service_map,
        catalog::list_products,
        catalog::search_products,
        catalog::get_product,
        catalog::list_categories,
        catalog::category_products,
        reviews::list_reviews,
        reviews::write_review,
        reviews::related_products,
        images::product_image,
        images::uploaded_image,
        carts::create_cart,
        carts::get_cart,
        carts::add_item,
        carts::update_item,
        carts::remove_item,
        orders::create_order,
        orders::get_order,
        accounts::lookup_guest_order,
        accounts::register,
        accounts::login,
        accounts::logout,
        accounts::logout_everywhere,
        accounts::renew_csrf,
        accounts::current_session,
        social::auth_methods,
        social::oidc_login,
        social::oidc_callback,
        accounts::request_password_reset,
        accounts::confirm_password_reset,
        accounts::get_profile,
        accounts::update_profile,
        accounts::list_addresses,
        accounts::add_address,
        accounts::delete_address,
        accounts::make_default_address,
        accounts::list_orders,
        accounts::get_account_order,
        accounts::list_stock_alerts,
        accounts::add_stock_alert,
        accounts::delete_stock_alert,
        orders::cancel_account_order,
        orders::return_account_order,
        orders::cancel_guest_order,
        orders::return_guest_order,
        inventory::check,
        inventory::get_level,
        lab::stats,
        lab::flush,
        admin::auth::accept_invitation,
        admin::auth::login,
        admin::auth::enrol,
        admin::auth::confirm,
        admin::auth::verify,
        admin::auth::step_up,
        admin::auth::logout,
        admin::auth::me,
        admin::notifications::notifications,
        admin::auth::sessions,
        admin::auth::revoke_session,
        admin::admins::list,
        admin::admins::invite,
        admin::admins::change_roles,
        admin::admins::disable,
        admin::admins::enable,
        admin::admins::reset_mfa,
        admin::admins::revoke_sessions,
        admin::audit::entries,
        admin::audit::verify,
        admin::audit::compliance_report,
        admin::orders::list,
        admin::orders::get,
        admin::orders::customer,
        admin::orders::move_order,
        admin::orders::sales_report,
        admin::inventory::levels,
        admin::inventory::alerts,
        admin::inventory::adjust,
        admin::inventory::set_threshold,
        admin::inventory::movements,
        admin::inventory::forecast,
        admin::catalog::list_products,
        admin::catalog::get_product,
        admin::catalog::create_product,
        admin::catalog::update_product,
        admin::catalog::delete_product,
        admin::catalog::bulk_delete,
        admin::catalog::list_categories,
        admin::catalog::create_category,
        admin::catalog::update_category,
        admin::catalog::delete_category,
        admin::catalog::export,
        admin::catalog::import_preview,
        admin::catalog::import_apply,
        admin::images::upload,
        admin::images::status,
        admin::batch::run,
        admin::batch::runs,
        admin::faults::get_faults,
        admin::faults::set_faults,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&AnyOperation, &SessionSecurity),
    tags(
        (name = "catalog", description = "Products, categories, search"),
        (name = "carts", description = "Server-side carts"),
        (name = "orders", description = "Checkout and orders"),
        (name = "accounts", description = "Customer accounts: registration, login (a `shop_session` cookie), profile, addresses, password reset, order history. \
            A request with a session cookie that changes something (not GET) must carry the session's `X-CSRF-Token` header (403 without)."),
        (name = "inventory", description = "Stock levels (the inventory service)"),
        (name = "health", description = "Health check"),
        (name = "telemetry", description = "Lab endpoints: export statistics and flush"),
        (name = "admin", description = "The back office (docs/admin.md): admins log in with a password, then a TOTP code; every route names its \
            operation in `x-admin-operation`, allowed to the roles of the matrix in docs/admin.md. Privileged operations need a step-up \
            (the code again) within 10 minutes. A request that changes something needs the session's `X-CSRF-Token`."),
    )
)]
/// The OpenAPI description of every route.
pub struct ApiDoc;

/// Adds what every operation can answer, whatever its handler does: `503` when the database
/// cannot answer or the request ran out of time (`--request-timeout`), with `Retry-After`.
/// Operations that document their own `503` (the health check's body differs) keep theirs.
struct AnyOperation;

impl Modify for AnyOperation {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let unavailable = ResponseBuilder::new()
            .description(
                "The database or another service is unavailable, or the request took longer than \
                 the shop's request timeout (`service_unavailable`, `request_timeout`); retry after \
                 `Retry-After` seconds",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                operation
                    .responses
                    .responses
                    .entry("503".to_owned())
                    .or_insert_with(|| unavailable.clone().into());
            }
        }
    }
}

/// The two security schemes of the account routes: the session cookie, and
/// the CSRF token header that state-changing requests with it need.
struct SessionSecurity;

impl Modify for SessionSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::session::SESSION_COOKIE,
                "The session token from `POST /api/auth/login` (HttpOnly, SameSite=Lax; Secure over TLS)",
            ))),
        );
        components.add_security_scheme(
            "admin_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::admin::session::ADMIN_COOKIE,
                "The admin session token from `POST /api/admin/login` (HttpOnly, SameSite=Strict, Path=/api/admin); usable once the second factor is given",
            ))),
        );
        components.add_security_scheme(
            "admin_csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The admin session's CSRF token (`csrf_token` of the admin login response)",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The session's CSRF token (`csrf_token` of the login response)",
            ))),
        );
    }
}

/// The OpenAPI document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
