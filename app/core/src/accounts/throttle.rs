//! The login limiter's rules (O-SEC-01): failed logins are counted per
//! account and per client address over a sliding window; past a limit, the
//! shop refuses further attempts (429) until the oldest counted failure
//! leaves the window.
//!
//! The counts live in the database (`login_failures`), not in process
//! memory: the split topology runs several shop processes on one database,
//! and a limiter in each process's memory (e.g. `governor`) would let an
//! attacker multiply the limit by spreading attempts across them, and would
//! forget every count on a restart.

use std::time::Duration;

/// How far back failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures per account within the window before it is locked.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures from one client address within the window (across accounts)
/// before that address is refused: stops one client from trying a few
/// passwords on many accounts.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;

/// The failures counted in the window for one key: how many, and when the
/// oldest one happened (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub oldest_at: Option<i64>,
}

/// Why attempts are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// Too many failures for this account.
    Account,
    /// Too many failures from this client address.
    Client,
}

impl Limited {
    /// The `kind` of the security event.
    pub fn as_str(self) -> &'static str {
        match self {
            Limited::Account => "account",
            Limited::Client => "client_address",
        }
    }
}

/// The decision: `Some((why, retry_after))` when an attempt must be refused.
pub fn decide(account: Failures, client: Failures, now_ms: i64) -> Option<(Limited, Duration)> {
    let retry = |f: Failures| {
        let window_ms = WINDOW.as_millis() as i64;
        let until = f.oldest_at.unwrap_or(now_ms) + window_ms;
        Duration::from_millis((until - now_ms).clamp(1_000, window_ms) as u64)
    };
    if account.count >= MAX_FAILURES_PER_ACCOUNT {
        Some((Limited::Account, retry(account)))
    } else if client.count >= MAX_FAILURES_PER_CLIENT {
        Some((Limited::Client, retry(client)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(count: i64, oldest_at: i64) -> Failures {
        Failures {
            count,
            oldest_at: Some(oldest_at),
        }
    }

    #[test]
    fn under_both_limits_attempts_are_allowed() {
        assert_eq!(decide(f(4, 0), f(19, 0), 1_000), None);
        assert_eq!(
            decide(
                Failures {
                    count: 0,
                    oldest_at: None
                },
                f(0, 0),
                0
            ),
            None
        );
    }

    #[test]
    fn the_account_limit_comes_first_and_says_when_to_retry() {
        let now = 10 * 60 * 1000;
        let (why, after) = decide(f(5, 0), f(25, 0), now).unwrap();
        assert_eq!(why, Limited::Account);
        // The oldest failure leaves the 15-minute window in 5 minutes.
        assert_eq!(after, Duration::from_secs(5 * 60));
    }

    #[test]
    fn the_client_limit_applies_across_accounts() {
        let (why, after) = decide(f(0, 0), f(20, 0), WINDOW.as_millis() as i64).unwrap();
        assert_eq!(why, Limited::Client);
        // Never less than a second: `Retry-After: 0` would invite a busy loop.
        assert_eq!(after, Duration::from_secs(1));
    }
}
