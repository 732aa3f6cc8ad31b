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

/// An RFC 3339 time as epoch milliseconds (negative before 1970): any offset (`Z`,
/// `+09:00`…), fractions of a second, years 0001–9999, as the OpenAPI document's
/// `format: date-time` promises. `None` when `t` is not one. (The `time` crate parses; humantime,
/// used for formatting, reads only UTC times from 1970.)
pub fn parse_rfc3339_millis(t: &str) -> Option<i64> {
    let at = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_rfc3339_time_parses_with_its_offset() {
        assert_eq!(parse_rfc3339_millis("1970-01-01T00:00:01.5Z"), Some(1_500));
        assert_eq!(parse_rfc3339_millis("1970-01-01T09:00:00+09:00"), Some(0));
        assert_eq!(parse_rfc3339_millis("1969-12-31T23:59:59Z"), Some(-1_000));
        assert!(parse_rfc3339_millis("0001-01-01T00:00:00-23:59").is_some());
        for bad in [
            "",
            "__dict__",
            "2026-13-01T00:00:00Z",
            "2026-12-01",
            "2026-12-01T00:00:00",
        ] {
            assert_eq!(parse_rfc3339_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_has_milliseconds_and_clamps_before_the_epoch() {
        assert_eq!(rfc3339(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
    }
}
