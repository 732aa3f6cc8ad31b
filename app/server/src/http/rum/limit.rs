//! The intake's rate limit: a token bucket per client address (`governor`).
//!
//! It lives in the process's memory: with several shop processes behind a
//! load balancer each enforces its own limit, which is enough for what it
//! is for (one misbehaving tab or script must not flood the backend). The
//! accounts' login throttle is stricter and sits in the database instead
//! (`shop_core::accounts::throttle`).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::http::error::ApiError;

/// Addresses remembered before the idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

pub struct ClientLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl ClientLimiter {
    /// `per_minute` requests a minute per address, in bursts of as many.
    pub fn new(per_minute: u32) -> ClientLimiter {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        ClientLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `client` may send now; a 429 with `Retry-After` when not.
    pub fn check(&self, client: IpAddr) -> Result<(), ApiError> {
        if self.limiter.len() > MAX_TRACKED {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::TooManyRequests {
                message: "too much telemetry from this client: slow down".to_owned(),
                retry_after: wait.max(Duration::from_secs(1)),
            }
        })
    }
}
