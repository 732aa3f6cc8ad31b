//! Time formatting for the API (the schema stores epoch milliseconds).

use std::time::{Duration, UNIX_EPOCH};

/// Epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn rfc3339(epoch_millis: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(epoch_millis.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}
