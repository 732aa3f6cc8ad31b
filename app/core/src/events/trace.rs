//! Carrying a trace context across the asynchronous hops.
//!
//! - In the outbox row: [`encode`]/[`decode`], a backend-neutral
//!   `trace_id-span_id-flags` string (hex), written by the `create` span.
//! - In an event's detail and in message attributes: the propagation fields
//!   of whichever backend runs ([`Fields`]), so `traceparent` with otel and
//!   `x-amzn-trace-id` with awssdk.
//! - In the native AWS places: EventBridge's `TraceHeader` and SQS's
//!   `AWSTraceHeader` system attribute take an X-Ray header; the awssdk
//!   backend's propagator writes exactly that ([`xray_header`]).
//!
//! A consumer prefers the native header when the hop kept it, and falls back
//! to the detail's copy ([`extract_first`]).

use std::collections::BTreeMap;

use telemetry_api::propagation::{Extractor, Injector, Propagator};
use telemetry_api::{SpanContext, SpanId, TraceId};

/// `trace_id-span_id-01` (sampled) or `-00`.
pub fn encode(c: &SpanContext) -> String {
    format!(
        "{}-{}-{}",
        c.trace_id.to_hex(),
        c.span_id.to_hex(),
        if c.sampled { "01" } else { "00" }
    )
}

/// The context [`encode`] wrote, as a remote parent; `None` when malformed.
pub fn decode(s: &str) -> Option<SpanContext> {
    let mut parts = s.split('-');
    let trace_id = TraceId::from_hex(parts.next()?)?;
    let span_id = SpanId::from_hex(parts.next()?)?;
    let sampled = match parts.next()? {
        "01" => true,
        "00" => false,
        _ => return None,
    };
    if parts.next().is_some() || !trace_id.is_valid() || !span_id.is_valid() {
        return None;
    }
    Some(SpanContext::remote(trace_id, span_id, sampled))
}

/// Propagation fields by lower-case name (a detail's `trace`, message
/// attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields(pub BTreeMap<String, String>);

impl Injector for Fields {
    fn set(&mut self, key: &'static str, value: String) {
        self.0.insert(key.to_ascii_lowercase(), value);
    }
}

impl Extractor for Fields {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(&key.to_ascii_lowercase()).map(String::as_str)
    }
}

/// The fields `propagator` writes for `context`.
pub fn inject(propagator: &dyn Propagator, context: &SpanContext) -> Fields {
    let mut fields = Fields::default();
    propagator.inject(context, &mut fields);
    fields
}

/// The X-Ray header among `fields` (present with the awssdk backend).
pub fn xray_header(fields: &Fields) -> Option<&str> {
    fields.get("x-amzn-trace-id")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_context_decodes_as_the_remote_parent_it_was() {
        let c = SpanContext::remote(TraceId(0xabc), SpanId(0x12), true);
        let back = decode(&encode(&c)).unwrap();
        assert_eq!(
            (back.trace_id, back.span_id, back.sampled),
            (c.trace_id, c.span_id, true)
        );
        assert!(back.is_remote);
        let unsampled = SpanContext::remote(TraceId(1), SpanId(2), false);
        assert!(!decode(&encode(&unsampled)).unwrap().sampled);
    }

    #[test]
    fn malformed_contexts_are_ignored() {
        for bad in [
            "",
            "x",
            "00000000000000000000000000000001-0000000000000002",
            "0-0-01",
            "00000000000000000000000000000001-0000000000000002-02",
            "00000000000000000000000000000001-0000000000000002-01-x",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn fields_are_case_insensitive() {
        let mut f = Fields::default();
        f.set("X-Amzn-Trace-Id", "Root=1-2-3".to_owned());
        assert_eq!(xray_header(&f), Some("Root=1-2-3"));
        assert_eq!(f.get("X-AMZN-TRACE-ID"), Some("Root=1-2-3"));
    }
}
