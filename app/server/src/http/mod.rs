//! The HTTP API: one module per resource, each with its own `router()`; this
//! module only assembles them for the process's role and wraps them in the
//! layers every request goes through.
//!
//! Handlers are thin: they parse the wire (the request types and the
//! OpenAPI annotations live here, beside the routes), convert to the core's
//! validated types, call `shop_core`, and turn the result or the domain
//! error into a response ([`error`]).

pub mod accounts;
pub mod admin;
pub mod carts;
pub mod catalog;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod health;
pub mod images;
pub mod inventory;
pub mod lab;
pub mod observe;
pub mod openapi;
pub mod orders;
pub mod readback;
pub mod reviews;
pub mod rum;
pub mod session;
pub mod social;
pub mod timeout;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{Method, Uri};
use axum::response::Html;
use axum::routing::get;
use shop_core::accounts::Accounts;
use shop_core::accounts::social::SocialLogin;
use shop_core::admin::Admins;
use shop_core::cart::Carts;
use shop_core::catalog::Catalog;
use shop_core::db::Db;
use shop_core::instruments::Instruments;
use shop_core::inventory::{Inventory, InventoryClient};
use shop_core::objects::ObjectStore;
use shop_core::orders::Orders;
use shop_core::payments::MockProvider;
use telemetry_api::Telemetry;
use tower_http::catch_panic::CatchPanicLayer;

use crate::config::Role;
use error::ApiError;

/// Everything the process's parts share. Cheap to clone (all handles).
/// Each part takes only what it needs, through [`FromRef`]: the catalog a
/// [`Catalog`], the cart a [`Carts`], checkout an [`Orders`], the lab
/// endpoints the [`Telemetry`] handle, and so on.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub telemetry: Telemetry,
    pub instruments: Instruments,
    pub inventory: InventoryClient,
    pub payments: MockProvider,
    /// Social login's relying party (off unless `--oidc-issuer` is set).
    pub social: SocialLogin,
    /// The callback URL registered at the provider, when configured.
    pub oidc_redirect_url: Option<std::sync::Arc<str>>,
    pub role: Role,
    /// Where admins' product pictures go (off unless `--images-bucket` is set).
    pub images: Option<ObjectStore>,
    /// Where session recordings go (off unless `--rum-replay-bucket` is set); skipped by
    /// `FromRef`, which already hands out the pictures' `Option<ObjectStore>`.
    #[from_ref(skip)]
    pub replays: Option<ObjectStore>,
    /// Who resizes an uploaded picture (`--image-resize`): the request, or the function.
    pub image_resize: crate::config::ImageResize,
    /// Runs the batch jobs (and keeps their record).
    pub batch: shop_core::batch::Batch,
    /// The browser UI's static export, when it is built (`--web-dir`).
    pub web: Option<web::WebUi>,
    /// The RUM intake's settings.
    pub rum: rum::RumSettings,
    /// The Lab page's read-back of traces from the stores (`--lab-readback-*`).
    pub readback: readback::ReadbackSettings,
}

impl FromRef<AppState> for Catalog {
    fn from_ref(s: &AppState) -> Catalog {
        Catalog::new(s.db.clone(), s.instruments.clone())
    }
}

impl FromRef<AppState> for Carts {
    fn from_ref(s: &AppState) -> Carts {
        Carts::new(s.db.clone(), s.inventory.clone(), s.instruments.clone())
    }
}

impl FromRef<AppState> for Orders {
    fn from_ref(s: &AppState) -> Orders {
        Orders::new(
            s.db.clone(),
            s.inventory.clone(),
            s.payments.clone(),
            s.instruments.clone(),
        )
    }
}

impl FromRef<AppState> for Accounts {
    fn from_ref(s: &AppState) -> Accounts {
        Accounts::new(s.db.clone(), s.instruments.clone())
    }
}

impl FromRef<AppState> for Admins {
    fn from_ref(s: &AppState) -> Admins {
        Admins::new(s.db.clone(), s.instruments.clone())
    }
}

impl FromRef<AppState> for Inventory {
    fn from_ref(s: &AppState) -> Inventory {
        Inventory::new(s.db.clone())
    }
}

impl FromRef<AppState> for health::HealthState {
    fn from_ref(s: &AppState) -> health::HealthState {
        health::HealthState {
            db: s.db.clone(),
            telemetry: s.telemetry.clone(),
            role: s.role,
        }
    }
}

impl FromRef<AppState> for observe::ObserveState {
    fn from_ref(s: &AppState) -> observe::ObserveState {
        observe::ObserveState {
            telemetry: s.telemetry.clone(),
            instruments: s.instruments.clone(),
        }
    }
}

/// The routes this process serves for its role, wrapped in the layers:
/// the request timeout, the panic catcher and the observing middleware.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let role = state.role;
    let mut api = Router::new()
        .merge(health::router())
        .merge(openapi::router())
        .merge(lab::router());
    if role.serves_catalog() {
        api = api
            .merge(catalog::router())
            .merge(images::router())
            .merge(reviews::router());
    }
    if role.serves_orders() {
        api = api
            .merge(carts::router())
            .merge(orders::router())
            .merge(accounts::router())
            .merge(social::router())
            // The back office lives with the orders role: it manages orders,
            // and its catalog and stock routes reach the same database.
            .merge(admin::router());
    }
    if role.serves_inventory() {
        api = api.merge(inventory::router());
    }
    let dispatch = state.telemetry.dispatch().clone();
    let ui = state.web.clone();
    let readback = readback::router(
        readback::ReadbackState::new(state.readback.clone()).with_replays(state.replays.clone()),
    );
    let rum = rum::router(
        rum::RumState::new(state.telemetry.clone(), state.rum.clone())
            .with_replays(state.replays.clone()),
    );
    let api = api
        .route("/", get(home))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Innermost first: a panic is a bug, but it must still end as a JSON
        // 500 that the observing middleware sees, not a dropped connection.
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                axum::response::IntoResponse::into_response(ApiError::Internal(
                    "handler panicked".to_owned(),
                ))
            },
        ))
        // Recognises a session cookie (and checks CSRF) on every route, so
        // checkout, the cart and the account routes all see the customer.
        .layer(axum::middleware::from_fn_with_state(
            Accounts::from_ref(&state),
            session::recognise,
        ));
    // Inside the observing middleware, so a timed-out request is still one
    // span, one access-log line and one 503 in the metrics.
    let observed = timeout::apply(api, request_timeout)
        .layer(axum::middleware::from_fn_with_state(
            observe::ObserveState::from_ref(&state),
            observe::observe,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            observe::with_dispatch(dispatch.clone(), req, next)
        }))
        .with_state(state)
        // Beside the API, outside its telemetry (http/rum/mod.rs says why).
        .merge(rum)
        .merge(readback);
    // Outermost: the UI's files are served as a CDN would, outside the API's telemetry.
    match ui {
        Some(ui) => observed.layer(axum::middleware::from_fn_with_state(ui, web::serve)),
        None => observed,
    }
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::RouteNotFound {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

/// A landing page for people who open the shop in a browser.
async fn home(State(state): State<health::HealthState>) -> Html<String> {
    Html(format!(
        include_str!("home.html"),
        service = state.telemetry.resource().service_name,
        role = state.role.as_str(),
        backend = state.telemetry.backend_name(),
        db = state.db.system().as_str(),
    ))
}
