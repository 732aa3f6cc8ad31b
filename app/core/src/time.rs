//! Time as the shop stores and shows it: the schema keeps epoch
//! milliseconds (an integer both SQLite and MySQL map the same way); the API
//! shows RFC 3339.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Epoch milliseconds as RFC 3339 UTC with millisecond precision.
pub fn rfc3339(epoch_millis: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(epoch_millis.max(0) as u64);
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_milliseconds_and_clamps_before_the_epoch() {
        assert_eq!(rfc3339(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
    }
}
