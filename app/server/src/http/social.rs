//! Social login on the wire (C-USER-05): `GET /api/auth/oidc/login` sends
//! the browser to the identity provider; the provider sends it back to
//! `GET /api/auth/oidc/callback`, which opens a session exactly as the
//! password login does (the `shop_session` cookie, the CSRF token, the guest
//! cart merged). The flow, PKCE and the ID token checks are
//! `shop_core::accounts::social`'s.

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shop_core::Invalid;
use shop_core::accounts::Accounts;
use shop_core::accounts::social::{SocialError, SocialLogin};
use shop_core::cart::CartId;
use shop_core::db::Db;
use utoipa::IntoParams;

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
}

impl FromRef<AppState> for SocialState {
    fn from_ref(s: &AppState) -> SocialState {
        SocialState {
            accounts: Accounts::from_ref(s),
            social: s.social.clone(),
            db: s.db.clone(),
            redirect_url: s.oidc_redirect_url.clone(),
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
        .route("/api/auth/oidc/login", get(oidc_login))
        .route("/api/auth/oidc/callback", get(oidc_callback))
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
        (status = 400, description = "`code` or `state` is missing, or the login is unknown, used or expired (`oidc_state_unknown`)", body = ErrorBody),
        (status = 401, description = "The provider refused the login (`oidc_refused`) or its answer failed verification (`oidc_rejected`)", body = ErrorBody),
        (status = 404, description = "Social login is not configured on this shop (`social_login_not_configured`)", body = ErrorBody),
        (status = 409, description = "An account with this e-mail exists: log in with its password (`email_taken`)", body = ErrorBody),
        (status = 422, description = "The provider gave no verified e-mail address (`oidc_email_unverified`)", body = ErrorBody),
    ))]
pub async fn oidc_callback(
    State(state): State<SocialState>,
    headers: HeaderMap,
    Query(q): Query<OidcCallbackQuery>,
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
    Ok(logged_in_response(logged_in, &headers))
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
