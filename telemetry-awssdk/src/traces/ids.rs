//! X-Ray trace ids: `1-{8 hex digits of epoch seconds}-{24 random hex digits}`.
//!
//! The contract's [`TraceId`] is 128 bits; an X-Ray id is the same 128 bits
//! written with the first 32 (the start time in seconds) split off. X-Ray
//! rejects traces whose time part is more than 30 days old, so ids must be
//! made this way, not from 128 random bits.

use std::time::{SystemTime, UNIX_EPOCH};

use telemetry_api::{IdGenerator, SpanId, TraceId};

/// Makes X-Ray compatible ids: trace ids start with the current epoch
/// seconds; span ids are 64 random bits.
#[derive(Debug, Default, Clone, Copy)]
pub struct XrayIdGenerator;

impl IdGenerator for XrayIdGenerator {
    fn new_trace_id(&self) -> TraceId {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()) as u32;
        let random: u128 = rand::random::<u128>() & ((1u128 << 96) - 1);
        // A zero random part would still be valid; make it non-zero anyway
        // so the id can never be all zeros even with a zero clock.
        TraceId((u128::from(secs) << 96) | random.max(1))
    }

    fn new_span_id(&self) -> SpanId {
        loop {
            let id = rand::random::<u64>();
            if id != 0 {
                return SpanId(id);
            }
        }
    }
}

/// `1-5759e988-bd862e3fe1be46a994272793`. Called for every log line (its
/// `xray_trace_id`) and every response header, so it writes the digits
/// itself: `format!("{:032x}")` of a `u128` and a second `format!` cost
/// about 1.4 µs per request in `make profile`.
pub fn format_trace_id(id: TraceId) -> String {
    let bytes = trace_id_bytes(id);
    std::str::from_utf8(&bytes)
        .expect("hex digits are ASCII")
        .to_owned()
}

/// The 35 ASCII bytes of X-Ray's form of `id`: the 128 bits with the first
/// 32 (the epoch seconds) split off.
pub fn trace_id_bytes(id: TraceId) -> [u8; 35] {
    let mut buf = [0u8; 35];
    buf[0] = b'1';
    buf[1] = b'-';
    write_hex(&mut buf[2..10], id.0 >> 96);
    buf[10] = b'-';
    write_hex(&mut buf[11..], id.0 & ((1u128 << 96) - 1));
    buf
}

/// Writes the low `out.len()` hex digits of `v` into `out`, most
/// significant first, lowercase, zero-padded.
pub(crate) fn write_hex(out: &mut [u8], mut v: u128) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in out.iter_mut().rev() {
        *b = DIGITS[(v & 0xf) as usize];
        v >>= 4;
    }
}

/// Parses `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy`; `None` if malformed.
pub fn parse_trace_id(s: &str) -> Option<TraceId> {
    let rest = s.strip_prefix("1-")?;
    let (time, random) = rest.split_once('-')?;
    if time.len() != 8 || random.len() != 24 {
        return None;
    }
    let id = TraceId::from_hex(&format!("{time}{random}"))?;
    id.is_valid().then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_the_epoch_seconds_and_round_trip() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let id = XrayIdGenerator.new_trace_id();
        let secs = (id.0 >> 96) as u64;
        assert!(secs.abs_diff(now) <= 1, "{secs} vs {now}");
        let s = format_trace_id(id);
        assert_eq!(s.len(), 35);
        assert!(s.starts_with("1-"));
        assert_eq!(parse_trace_id(&s), Some(id));
    }

    #[test]
    fn the_hand_written_digits_are_what_the_formatting_machinery_writes() {
        for raw in [
            1u128,
            u128::MAX,
            0x5759_e988_bd86_2e3f_e1be_46a9_9427_2793,
            (0x6559_0000u128 << 96) | 0xf,
        ] {
            let hex = format!("{raw:032x}");
            assert_eq!(
                format_trace_id(TraceId(raw)),
                format!("1-{}-{}", &hex[..8], &hex[8..])
            );
        }
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "1-5759e988",
            "2-5759e988-bd862e3fe1be46a994272793",
            "1-5759e98-bd862e3fe1be46a9942727930",
            "1-5759e988-bd862e3fe1be46a99427279z",
            "1-00000000-000000000000000000000000",
        ] {
            assert_eq!(parse_trace_id(bad), None, "{bad}");
        }
        assert_eq!(
            parse_trace_id("1-5759e988-bd862e3fe1be46a994272793").map(format_trace_id),
            Some("1-5759e988-bd862e3fe1be46a994272793".to_owned())
        );
    }
}
