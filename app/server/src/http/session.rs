//! Sessions on the wire: the cookies that carry them, the middleware that
//! recognises a session on every request, and the [`Customer`] extractor for
//! routes that need one.
//!
//! The session token travels only in the `shop_session` cookie: `HttpOnly`
//! (page scripts cannot read it), `SameSite=Lax` (other sites' forms and
//! scripts do not send it with their POSTs), `Path=/`, and `Secure` when the
//! request came over TLS (`X-Forwarded-Proto: https` from the load balancer
//! that terminates it; the lab serves plain HTTP, where a `Secure` cookie
//! would never come back). What the database holds is its hash.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};
use shop_core::accounts::{Accounts, SecretToken, Session, UserType, session};
use telemetry_api::semconv;

use super::csrf;
use super::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "shop_session";

/// The session of a request whose route needs a logged-in customer; a
/// request without a live session is refused with 401 before the handler
/// runs.
pub struct Customer(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Customer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(Customer)
            .ok_or_else(|| ApiError::Unauthenticated {
                code: "unauthenticated",
                message: "log in first: this needs a session cookie".to_owned(),
            })
    }
}

/// Recognises the session cookie on every request. A live session is put
/// in the request's extensions (for [`Customer`] and checkout), its
/// pseudonym on the server span and the response (for the access log), and
/// a state-changing request that carries it must also carry its CSRF token
/// ([`csrf`]). A missing, malformed, unknown or expired cookie is simply no
/// session: the request goes on as a guest's.
pub async fn recognise(State(accounts): State<Accounts>, mut req: Request, next: Next) -> Response {
    let Some(token) = session_token(req.headers()) else {
        return next.run(req).await;
    };
    let session = match accounts.authenticate(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return next.run(req).await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let span = tracing::Span::current();
    span.record(semconv::ENDUSER_PSEUDO_ID, session.pseudonym.as_str());
    span.record(semconv::SHOP_USER_TYPE, UserType::Registered.as_str());
    if !is_safe(req.method())
        && !is_csrf_renewal(&req)
        && let Err(refusal) = csrf::check(req.headers(), &session.csrf_hash)
    {
        accounts.security_event("csrf_rejected", Some(&session.pseudonym));
        let mut response = refusal.into_response();
        response.extensions_mut().insert(session.pseudonym);
        return response;
    }
    let pseudonym = session.pseudonym.clone();
    req.extensions_mut().insert(session);
    let mut response = next.run(req).await;
    response.extensions_mut().insert(pseudonym);
    response
}

/// The route that hands a session a new CSRF token (`accounts::renew_csrf`): a client without
/// the token calls it, so it cannot require the token; it is the only exemption.
pub const CSRF_RENEWAL_PATH: &str = "/api/auth/csrf";

fn is_csrf_renewal(req: &Request) -> bool {
    req.method() == Method::POST && req.uri().path() == CSRF_RENEWAL_PATH
}

/// GET, HEAD and OPTIONS change nothing (the API keeps to that), so they
/// need no CSRF token.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The session token from the `Cookie` header(s), if well-formed.
fn session_token(headers: &HeaderMap) -> Option<SecretToken> {
    cookie_token(headers, SESSION_COOKIE)
}

/// The token in the cookie `name` (a customer's or an admin's session), if
/// it is well-formed.
pub(crate) fn cookie_token(headers: &HeaderMap, name: &str) -> Option<SecretToken> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| SecretToken::from_client(c.value()))
}

/// Whether the request reached the shop over TLS (terminated by a load
/// balancer, which says so in `X-Forwarded-Proto`).
pub fn is_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a new session (lives as long as the session may).
pub fn session_cookie(token: &SecretToken, tls: bool) -> HeaderValue {
    let max_age = cookie::time::Duration::seconds(session::ABSOLUTE_LIFETIME.as_secs() as i64);
    let spec = CookieSpec::new(SESSION_COOKIE, "/", SameSite::Lax, tls);
    spec.set(token.expose(), max_age)
}

/// `Set-Cookie` that removes the session cookie (logout).
pub fn clear_session_cookie(tls: bool) -> HeaderValue {
    CookieSpec::new(SESSION_COOKIE, "/", SameSite::Lax, tls).set("", cookie::time::Duration::ZERO)
}

/// A session cookie's fixed attributes: always HttpOnly, Secure over TLS.
/// The customers' and the admins' sessions differ only in these.
pub(crate) struct CookieSpec {
    name: &'static str,
    path: &'static str,
    same_site: SameSite,
    tls: bool,
}

impl CookieSpec {
    pub(crate) fn new(
        name: &'static str,
        path: &'static str,
        same_site: SameSite,
        tls: bool,
    ) -> Self {
        CookieSpec {
            name,
            path,
            same_site,
            tls,
        }
    }

    /// `Set-Cookie` with this value and lifetime (zero removes the cookie).
    pub(crate) fn set(&self, value: &str, max_age: cookie::time::Duration) -> HeaderValue {
        let c = Cookie::build((self.name, value.to_owned()))
            .http_only(true)
            .secure(self.tls)
            .same_site(self.same_site)
            .path(self.path)
            .max_age(max_age)
            .build();
        HeaderValue::from_str(&c.to_string())
            .expect("a cookie of hex digits and fixed attributes is a valid header value")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_httponly_lax_and_secure_only_over_tls() {
        let token = SecretToken::random();
        let plain = session_cookie(&token, false);
        let plain = plain.to_str().unwrap();
        assert!(plain.starts_with(&format!("shop_session={}", token.expose())));
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
            assert!(plain.contains(attribute), "{plain}");
        }
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(
            session_cookie(&token, true)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert!(
            clear_session_cookie(false)
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let token = SecretToken::random();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; shop_session={}; b=2", token.expose())).unwrap(),
        );
        assert_eq!(session_token(&headers), Some(token));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("shop_session=nope"),
        );
        assert_eq!(session_token(&headers), None);
    }

    #[test]
    fn tls_is_what_the_load_balancer_says() {
        let mut headers = HeaderMap::new();
        assert!(!is_tls(&headers));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert!(is_tls(&headers));
    }
}
