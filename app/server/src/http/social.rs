//! Social login on the wire (C-USER-05): `GET /api/auth/oidc/login` sends
//! the browser to the identity provider; the provider sends it back to
//! `GET /api/auth/oidc/callback`, which opens a session exactly as the
//! password login does (the `shop_session` cookie, the CSRF token, the guest
//! cart merged). The flow, PKCE and the ID token checks are
//! `shop_core::accounts::social`'s.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use shop_core::Invalid;
use shop_core::accounts::Accounts;
use shop_core::accounts::social::{SocialError, SocialLogin};
use shop_core::cart::CartId;
use shop_core::db::Db;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::accounts::{LoginResponse, logged_in_response};
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::Query;
use super::session;

/// What the social-login routes share.
#[derive(Clone)]
pub struct SocialState {
    pub accounts: Accounts,
    pub social: SocialLogin,
    pub db: Db,
    pub redirect_url: Option<std::sync::Arc<str>>,
    /// Whether this shop serves the browser UI: then a browser's callback ends on its pages.
    pub ui: bool,
}

impl FromRef<AppState> for SocialState {
    fn from_ref(s: &AppState) -> SocialState {
        SocialState {
            accounts: Accounts::from_ref(s),
            social: s.social.clone(),
            db: s.db.clone(),
            redirect_url: s.oidc_redirect_url.clone(),
            ui: s.web.is_some(),
        }
    }
}

/// The routes (served with the accounts).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    SocialState: FromRef<S>,
{
    Router::new()
        .route("/api/auth/methods", get(auth_methods))
        .route("/api/auth/oidc/login", get(oidc_login))
        .route("/api/auth/oidc/callback", get(oidc_callback))
}

/// How a person can log in on this shop.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthMethods {
    /// E-mail and password (`POST /api/auth/login`): always.
    pub password: bool,
    /// Social login through the identity provider (`GET /api/auth/oidc/login`): only when the shop
    /// has one configured (`--oidc-issuer`).
    pub social_login: bool,
}

/// How a person can log in here: the UI shows "Sign in with the identity provider" only when
/// social login is configured.
#[utoipa::path(get, path = "/api/auth/methods", tag = "accounts",
    responses((status = 200, body = AuthMethods)))]
pub async fn auth_methods(State(state): State<SocialState>) -> Json<AuthMethods> {
    Json(AuthMethods {
        password: true,
        social_login: state.social.is_configured(),
    })
}

/// Where a browser lands after a successful social login (the UI then asks
/// `POST /api/auth/csrf` for the session's CSRF token: no token travels in a URL).
pub const UI_AFTER_LOGIN: &str = "/account/?login=social";
/// Where a browser lands after a refused one, with `?error=` and the error's code.
pub const UI_LOGIN_FAILED: &str = "/account/login/";

/// Whether the callback was opened by a person's browser (a navigation asks for HTML), rather
/// than by an API client, which keeps the JSON answer.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/html"))
        })
}

/// `303 See Other` to a path of this shop's UI, keeping the response's cookies and extensions.
fn see_other(response: Response, to: &str) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::SEE_OTHER;
    parts.headers.remove(header::CONTENT_TYPE);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::LOCATION,
        HeaderValue::from_str(to).expect("a fixed path and an error code are a header value"),
    );
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Response::from_parts(parts, Body::empty())
}

/// Query parameters of `GET /api/auth/oidc/login`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OidcLoginQuery {
    /// The guest cart to merge into the customer's cart after login (optional).
    #[param(format = Uuid)]
    pub cart_id: Option<String>,
}

/// Query parameters of `GET /api/auth/oidc/callback`, as the provider sends them. Other
/// parameters a provider adds (`iss`, `session_state`) are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OidcCallbackQuery {
    /// The authorization code (absent when the provider answers with an error).
    pub code: Option<String>,
    /// The login's `state`, as the shop sent it.
    pub state: Option<String>,
    /// The provider's error code (`access_denied`, …), instead of a code.
    pub error: Option<String>,
}

/// The callback URL: the configured one, else this shop's at the host the browser used.
fn callback_url(configured: Option<&str>, headers: &HeaderMap) -> ApiResult<String> {
    if let Some(url) = configured {
        return Ok(url.to_owned());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .ok_or_else(|| {
            ApiError::validation("Host", "a Host header naming this shop is required")
        })?;
    let scheme = if session::is_tls(headers) {
        "https"
    } else {
        "http"
    };
    Ok(format!("{scheme}://{host}/api/auth/oidc/callback"))
}

/// Log in with the identity provider (C-USER-05): a redirect to its login page.
#[utoipa::path(get, path = "/api/auth/oidc/login", tag = "accounts", params(OidcLoginQuery),
    responses(
        (status = 302, description = "To the identity provider's authorization endpoint (authorization code flow with PKCE)",
            headers(("location" = String, description = "The provider's authorization URL"))),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "Social login is not configured on this shop (`social_login_not_configured`)", body = ErrorBody),
    ))]
pub async fn oidc_login(
    State(state): State<SocialState>,
    headers: HeaderMap,
    Query(q): Query<OidcLoginQuery>,
) -> ApiResult<Response> {
    let cart = q
        .cart_id
        .as_deref()
        .map(|c| CartId::parse(c).map_err(|e| e.at("cart_id")))
        .transpose()?;
    if !state.social.is_configured() {
        return Err(social_error(&state.accounts, SocialError::NotConfigured));
    }
    let redirect = callback_url(state.redirect_url.as_deref(), &headers)?;
    let url = state
        .social
        .begin(&state.db, &redirect, cart.as_ref())
        .await
        .map_err(|e| social_error(&state.accounts, e))?;
    let location = HeaderValue::from_str(&url).map_err(|_| {
        ApiError::Internal("the provider's authorization URL is not a header value".to_owned())
    })?;
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// Where the identity provider sends the browser back (C-USER-05): opens a session.
#[utoipa::path(get, path = "/api/auth/oidc/callback", tag = "accounts", params(OidcCallbackQuery),
    responses(
        (status = 200, description = "Logged in: the session is in the `shop_session` cookie", body = LoginResponse,
            headers(("set-cookie" = String, description = "`shop_session`: HttpOnly, SameSite=Lax, Secure over TLS"))),
        (status = 303, description = "A browser's callback (`Accept: text/html`) on a shop that serves the UI: logged in, to `/account/?login=social` (the UI then asks `POST /api/auth/csrf` for the CSRF token); refused (a 4xx below), to `/account/login/?error=<code>`",
            headers(("location" = String, description = "A path of the shop's UI"),
                    ("set-cookie" = String, description = "`shop_session`, when logged in"))),
        (status = 400, description = "`code` or `state` is missing, or the login is unknown, used or expired (`oidc_state_unknown`)", body = ErrorBody),
        (status = 401, description = "The provider refused the login (`oidc_refused`) or its answer failed verification (`oidc_rejected`)", body = ErrorBody),
        (status = 404, description = "Social login is not configured on this shop (`social_login_not_configured`)", body = ErrorBody),
        (status = 409, description = "An account with this e-mail exists: log in with its password (`email_taken`)", body = ErrorBody),
        (status = 422, description = "The provider gave no verified e-mail address (`oidc_email_unverified`)", body = ErrorBody),
    ))]
pub async fn oidc_callback(
    State(state): State<SocialState>,
    headers: HeaderMap,
    query: Result<Query<OidcCallbackQuery>, ApiError>,
) -> ApiResult<Response> {
    let browser = state.ui && wants_html(&headers);
    let result = match query {
        Ok(Query(q)) => complete_callback(&state, &headers, q).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(response) if browser => Ok(see_other(response, UI_AFTER_LOGIN)),
        // A refusal the person can act on goes back to the login page, which says why (the code
        // is one of a fixed set); a failure of the shop stays an error response.
        Err(e) if browser && e.status().is_client_error() => {
            let code = e.code();
            Ok(see_other(
                e.into_response(),
                &format!("{UI_LOGIN_FAILED}?error={code}"),
            ))
        }
        other => other,
    }
}

async fn complete_callback(
    state: &SocialState,
    headers: &HeaderMap,
    q: OidcCallbackQuery,
) -> ApiResult<Response> {
    if !state.social.is_configured() {
        return Err(social_error(&state.accounts, SocialError::NotConfigured));
    }
    if let Some(error) = q.error {
        // Bounded: the provider's error codes are a closed set; anything else is "other".
        let code = match error.as_str() {
            "access_denied"
            | "login_required"
            | "consent_required"
            | "interaction_required"
            | "invalid_request"
            | "server_error"
            | "temporarily_unavailable" => error,
            _ => "other".to_owned(),
        };
        return Err(social_error(&state.accounts, SocialError::Refused(code)));
    }
    let code = q
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Invalid::new("code", "is required"))?;
    let login_state = q
        .state
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Invalid::new("state", "is required"))?;
    let identity = state
        .social
        .complete(&state.db, &login_state, &code)
        .await
        .map_err(|e| social_error(&state.accounts, e))?;
    let logged_in = state.accounts.social_login(&identity).await?;
    Ok(logged_in_response(logged_in, headers))
}

/// A social-login failure as an answer; a rejected answer from the provider is also a security
/// event (it may be a forged callback).
fn social_error(accounts: &Accounts, e: SocialError) -> ApiError {
    match e {
        SocialError::NotConfigured => ApiError::TokenNotFound {
            code: "social_login_not_configured",
            message: e.to_string(),
            field: None,
        },
        SocialError::ProviderUnavailable(ref detail) => {
            tracing::warn!(error = %detail, "identity provider unavailable");
            ApiError::Unavailable {
                what: "identity provider",
            }
        }
        SocialError::UnknownState => {
            accounts.security_event("oidc_state_unknown", None);
            ApiError::BadRequest {
                code: "oidc_state_unknown",
                message: e.to_string(),
            }
        }
        SocialError::Refused(_) => ApiError::Unauthenticated {
            code: "oidc_refused",
            message: e.to_string(),
        },
        SocialError::Rejected(ref detail) => {
            tracing::warn!(error = %detail, "identity provider answer rejected");
            accounts.security_event("oidc_rejected", None);
            ApiError::Unauthenticated {
                code: "oidc_rejected",
                message: "the identity provider's answer failed verification".to_owned(),
            }
        }
        SocialError::EmailUnverified => ApiError::Unprocessable {
            code: "oidc_email_unverified",
            message: e.to_string(),
            field: None,
        },
        SocialError::Db(e) => e.into(),
    }
}
