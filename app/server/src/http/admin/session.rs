//! The admin session on a request: the `shop_admin_session` cookie, looked
//! up on every back-office route by two extractors.
//!
//! - [`PendingAdmin`]: any live admin session, also one that has not given
//!   its second factor yet. Only the MFA routes and logout take it.
//! - [`Admin`]: a session that has given its second factor. Every other
//!   back-office route takes it and calls [`Admin::authorize`] with its
//!   operation, which checks the role matrix and the step-up window, and
//!   audits a refusal.
//!
//! The cookie is apart from the customers' (`shop_session`): another name,
//! `Path=/api/admin`, `SameSite=Strict`. A state-changing request also needs
//! the session's `X-CSRF-Token`, as for customers ([`super::super::csrf`]).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use cookie::SameSite;
use shop_core::accounts::SecretToken;
use shop_core::admin::{AdminSession, Admins, Operation, SESSION_ABSOLUTE_LIFETIME};
use shop_core::audit::Origin;
use shop_core::time::now_millis;
use telemetry_api::trace::{current_request_id, current_span_context};
use telemetry_api::{Telemetry, semconv};

use crate::http::csrf;
use crate::http::error::ApiError;
use crate::http::observe::client_address_of;
use crate::http::session::{CookieSpec, cookie_token, is_safe};

/// The admin session cookie's name.
pub const ADMIN_COOKIE: &str = "shop_admin_session";

/// A live admin session, second factor given or not.
pub struct PendingAdmin {
    pub session: AdminSession,
    pub origin: Origin,
}

/// A live admin session that has given its second factor.
pub struct Admin {
    pub session: AdminSession,
    pub origin: Origin,
}

/// Where a request came from, for the audit log: the client address, and
/// the request and trace ids as the response headers show them, read from
/// the request's span (only here, not on every request's path).
pub fn origin(
    headers: &HeaderMap,
    extensions: &axum::http::Extensions,
    telemetry: &Telemetry,
) -> Origin {
    Origin {
        client_address: client_address_of(headers, extensions),
        request_id: current_request_id().map(|id| id.to_string()),
        trace_id: current_span_context().map(|c| telemetry.format_trace_id(c.trace_id)),
    }
}

fn unauthenticated() -> ApiError {
    ApiError::Unauthenticated {
        code: "unauthenticated",
        message: "log in to the back office first: this needs the shop_admin_session cookie"
            .to_owned(),
    }
}

fn token(headers: &HeaderMap) -> Option<SecretToken> {
    cookie_token(headers, ADMIN_COOKIE)
}

impl<S> FromRequestParts<S> for PendingAdmin
where
    S: Send + Sync,
    Admins: FromRef<S>,
    Telemetry: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let admins = Admins::from_ref(state);
        let token = token(&parts.headers).ok_or_else(unauthenticated)?;
        let session = admins
            .authenticate(&token)
            .await?
            .ok_or_else(unauthenticated)?;
        if !is_safe(&parts.method) {
            csrf::check(&parts.headers, &session.csrf_hash)?;
        }
        // On the server span, and (through the telemetry layer's scope) on
        // every log line of the request: the pseudonym, never the id.
        tracing::Span::current().record(semconv::ENDUSER_PSEUDO_ID, session.pseudonym.as_str());
        Ok(PendingAdmin {
            session,
            origin: origin(
                &parts.headers,
                &parts.extensions,
                &Telemetry::from_ref(state),
            ),
        })
    }
}

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    Admins: FromRef<S>,
    Telemetry: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let PendingAdmin { session, origin } =
            PendingAdmin::from_request_parts(parts, state).await?;
        if !session.mfa_passed {
            return Err(shop_core::admin::Error::MfaRequired.into());
        }
        Ok(Admin { session, origin })
    }
}

impl Admin {
    /// Allows `op` or refuses it (403 `forbidden` or `step_up_required`),
    /// auditing a refusal. Names the operation on the server span.
    pub async fn authorize(&self, admins: &Admins, op: Operation) -> Result<(), ApiError> {
        tracing::Span::current().record(semconv::SHOP_ADMIN_ACTION, op.as_str());
        match self.session.authorize(op, now_millis()) {
            Ok(()) => Ok(()),
            Err(refused) => {
                admins
                    .denied(&self.session, op, self.origin.clone())
                    .await?;
                Err(refused.into())
            }
        }
    }
}

/// The admin cookie: `SameSite=Strict`, only sent to the back office's routes.
fn spec(tls: bool) -> CookieSpec {
    CookieSpec::new(ADMIN_COOKIE, "/api/admin", SameSite::Strict, tls)
}

/// `Set-Cookie` for a new admin session.
pub fn admin_cookie(token: &SecretToken, tls: bool) -> HeaderValue {
    let max_age = cookie::time::Duration::seconds(SESSION_ABSOLUTE_LIFETIME.as_secs() as i64);
    spec(tls).set(token.expose(), max_age)
}

/// `Set-Cookie` that removes the admin session cookie.
pub fn clear_admin_cookie(tls: bool) -> HeaderValue {
    spec(tls).set("", cookie::time::Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    #[test]
    fn the_admin_cookie_is_strict_httponly_and_scoped_to_the_back_office() {
        let t = SecretToken::random();
        let c = admin_cookie(&t, false);
        let c = c.to_str().unwrap();
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/api/admin",
            "Max-Age=43200",
        ] {
            assert!(c.contains(attribute), "{c}");
        }
        assert!(c.starts_with(&format!("shop_admin_session={}", t.expose())));
        assert!(!c.contains("Secure"));
        assert!(admin_cookie(&t, true).to_str().unwrap().contains("Secure"));
        assert!(
            clear_admin_cookie(false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn the_customers_cookie_opens_no_admin_session() {
        let t = SecretToken::random();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("shop_session={}", t.expose())).unwrap(),
        );
        assert!(token(&h).is_none());
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; shop_admin_session={}", t.expose())).unwrap(),
        );
        assert_eq!(token(&h), Some(t));
    }
}
