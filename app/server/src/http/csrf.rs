//! CSRF protection for cookie-authenticated requests.
//!
//! The approach, for a JSON API used from the shop's own pages:
//! - the session cookie is `SameSite=Lax`, so browsers do not attach it to
//!   another site's cross-site POST, PATCH or DELETE at all;
//! - and, as the defence that does not depend on the browser, every
//!   state-changing request that carries a session cookie must also carry
//!   the session's CSRF token in the `X-CSRF-Token` header. The token is
//!   handed out once, in the login response's body; another site can
//!   neither read that body nor set a custom header on a cross-site request
//!   without a CORS preflight, which the shop does not answer.
//!
//! The token is bound to the session (the session row keeps its hash), a
//! "synchronizer token" rather than a plain double-submit cookie: a
//! double-submit value can be planted by anyone who can write a cookie for
//! the domain (a sibling subdomain), a server-side one cannot.

use axum::http::HeaderMap;
use shop_core::accounts::SecretToken;

use super::error::ApiError;

/// The request header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Refuses (403 `csrf_failed`) a request whose `X-CSRF-Token` is missing or
/// is not the session's token, whose hash is `csrf_hash` (a customer's or an
/// admin's session: the same rule).
pub fn check(headers: &HeaderMap, csrf_hash: &str) -> Result<(), ApiError> {
    let sent = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(SecretToken::from_client);
    // Comparing hashes, not tokens: the time a mismatch takes tells an
    // attacker about the hash's prefix, which says nothing about the token.
    match sent {
        Some(token) if token.hash() == csrf_hash => Ok(()),
        Some(_) => Err(refusal(
            "the X-CSRF-Token header does not match this session",
        )),
        None => Err(refusal(
            "a request with a session cookie that changes something needs the session's X-CSRF-Token header",
        )),
    }
}

fn refusal(message: &str) -> ApiError {
    ApiError::Forbidden {
        code: "csrf_failed",
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use shop_core::accounts::{Session, UserId};

    use super::*;

    fn session_with(csrf: &SecretToken) -> Session {
        let user = UserId::random();
        Session {
            pseudonym: user.pseudonym(),
            user,
            token_hash: SecretToken::random().hash(),
            csrf_hash: csrf.hash(),
        }
    }

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(CSRF_HEADER, HeaderValue::from_str(token).unwrap());
        h
    }

    #[test]
    fn only_the_sessions_own_token_passes() {
        let csrf = SecretToken::random();
        let session = session_with(&csrf);
        assert!(check(&headers(csrf.expose()), &session.csrf_hash).is_ok());
        for refused in [
            HeaderMap::new(),
            headers(SecretToken::random().expose()),
            headers("not a token"),
            // The stored hash itself is not the token.
            headers(&session.csrf_hash),
        ] {
            let e = check(&refused, &session.csrf_hash).unwrap_err();
            assert_eq!(e.status(), axum::http::StatusCode::FORBIDDEN);
        }
    }
}
