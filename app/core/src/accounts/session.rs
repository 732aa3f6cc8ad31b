//! Server-side sessions: what a session is, how long it lives, and when its
//! "last seen" time is worth a write.
//!
//! The client holds only a random token (in an HttpOnly cookie); the row
//! holds the token's hash, the user, the hash of the session's CSRF token,
//! and its times. Ending a session is deleting its row: it takes effect on
//! the very next request, whatever the cookie says.

use std::time::Duration;

use super::user::{UserId, UserPseudonym};

/// A session ends this long after login, however active.
pub const ABSOLUTE_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// "Last seen" is written at most this often per session: a browsing customer
/// would otherwise cost a write per request.
pub const TOUCH_EVERY: Duration = Duration::from_secs(5 * 60);

/// A live session, as the HTTP layer sees it after looking up the cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserId,
    pub pseudonym: UserPseudonym,
    /// The SHA-256 of the session token (its key).
    pub token_hash: String,
    /// The SHA-256 of the session's CSRF token.
    pub csrf_hash: String,
}

/// Whether a session last seen at `last_seen_at` and expiring at
/// `expires_at` is still valid at `now` (all epoch ms).
pub fn is_live(last_seen_at: i64, expires_at: i64, now: i64) -> bool {
    now < expires_at && now - last_seen_at < IDLE_TIMEOUT.as_millis() as i64
}

/// Whether "last seen" should be written now.
pub fn needs_touch(last_seen_at: i64, now: i64) -> bool {
    now - last_seen_at >= TOUCH_EVERY.as_millis() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_at_expiry_or_when_idle() {
        let day = IDLE_TIMEOUT.as_millis() as i64;
        assert!(is_live(0, 10 * day, 1));
        assert!(!is_live(0, 10 * day, day));
        assert!(!is_live(5 * day, 6 * day, 6 * day));
        assert!(is_live(5 * day, 6 * day, 6 * day - 1));
    }

    #[test]
    fn last_seen_is_written_every_five_minutes_at_most() {
        assert!(!needs_touch(0, 60_000));
        assert!(needs_touch(0, 5 * 60_000));
    }
}
