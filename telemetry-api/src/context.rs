//! Trace identity: trace ids, span ids and the span context that travels
//! between processes.
//!
//! Both backends use 128-bit trace ids and 64-bit span ids; they differ only
//! in how the ids are generated (X-Ray puts the epoch seconds in the first 32
//! bits) and written (`1-5759e988-bd862e3fe1be46a994272793` vs 32 hex digits),
//! which is each backend's business.
//!
//! A context received from another process may name a trace but no parent
//! span: an Application Load Balancer sends `X-Amzn-Trace-Id: Root=…` with no
//! `Parent`, and the X-Ray SDKs continue that trace with a segment that has no
//! parent. The contract allows it: such a remote context has a valid trace id
//! and [`SpanId::INVALID`] as its span id ([`SpanContext::remote_trace`]).

use std::fmt;
use std::sync::Arc;

/// A 128-bit trace id. Zero is invalid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub u128);

/// A 64-bit span id. Zero is invalid.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub u64);

impl TraceId {
    pub const INVALID: TraceId = TraceId(0);

    /// 32 lowercase hex digits, the W3C / OTLP form.
    pub fn to_hex(self) -> String {
        format!("{:032x}", self.0)
    }

    /// Parses exactly 32 hex digits; rejects the all-zero id.
    pub fn from_hex(s: &str) -> Option<TraceId> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(s, 16)
            .ok()
            .filter(|v| *v != 0)
            .map(TraceId)
    }

    pub fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl SpanId {
    pub const INVALID: SpanId = SpanId(0);

    /// 16 lowercase hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Parses exactly 16 hex digits; rejects the all-zero id.
    pub fn from_hex(s: &str) -> Option<SpanId> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(s, 16)
            .ok()
            .filter(|v| *v != 0)
            .map(SpanId)
    }

    pub fn is_valid(self) -> bool {
        self.0 != 0
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({:032x})", self.0)
    }
}
impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({:016x})", self.0)
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What identifies a span to the rest of the world: the part that is
/// propagated in headers and written into log lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanContext {
    pub trace_id: TraceId,
    /// This span's id; in a remote context, the caller's span (the parent of
    /// the span that continues the trace here). [`SpanId::INVALID`] only in a
    /// remote context that carries a trace id without a parent
    /// ([`SpanContext::remote_trace`]).
    pub span_id: SpanId,
    /// Whether this trace is recorded and exported. Decided once at the root
    /// (or upstream) and inherited by every descendant.
    pub sampled: bool,
    /// True when this context was extracted from an incoming request rather
    /// than created in this process.
    pub is_remote: bool,
    /// Vendor state carried through unchanged from extract to inject
    /// (W3C `tracestate`, or the extra fields of an `X-Amzn-Trace-Id` header).
    pub trace_state: Option<Arc<str>>,
}

impl SpanContext {
    /// A context received from another process.
    pub fn remote(trace_id: TraceId, span_id: SpanId, sampled: bool) -> Self {
        SpanContext {
            trace_id,
            span_id,
            sampled,
            is_remote: true,
            trace_state: None,
        }
    }

    /// A context received from another process that names the trace but no
    /// parent span (an ALB's Root-only `X-Amzn-Trace-Id`). The span that
    /// continues it keeps `trace_id` and has no parent.
    pub fn remote_trace(trace_id: TraceId, sampled: bool) -> Self {
        SpanContext::remote(trace_id, SpanId::INVALID, sampled)
    }

    /// Both ids are valid: a context that can be written into a header or a
    /// log line.
    pub fn is_valid(&self) -> bool {
        self.trace_id.is_valid() && self.span_id.is_valid()
    }

    /// Whether a request carrying this remote context continues its trace:
    /// the trace id is valid, with or without a parent span id.
    pub fn continues_trace(&self) -> bool {
        self.is_remote && self.trace_id.is_valid()
    }

    /// The remote parent's span id, when the caller sent one.
    pub fn parent_span_id(&self) -> Option<SpanId> {
        self.span_id.is_valid().then_some(self.span_id)
    }
}

/// Creates trace and span ids. Backends choose the scheme: random 128 bits
/// for W3C, epoch-seconds prefix for X-Ray.
pub trait IdGenerator: Send + Sync + 'static {
    fn new_trace_id(&self) -> TraceId;
    fn new_span_id(&self) -> SpanId;
}

/// Uniformly random, non-zero ids (the W3C Trace Context recommendation).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIdGenerator;

impl IdGenerator for RandomIdGenerator {
    fn new_trace_id(&self) -> TraceId {
        loop {
            let v: u128 = rand::random();
            if v != 0 {
                return TraceId(v);
            }
        }
    }

    fn new_span_id(&self) -> SpanId {
        loop {
            let v: u64 = rand::random();
            if v != 0 {
                return SpanId(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects_bad_input() {
        let t = TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(t.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(TraceId::from_hex(&t.to_hex()), Some(t));
        assert_eq!(TraceId::from_hex("00000000000000000000000000000000"), None);
        assert_eq!(TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e473"), None);
        assert_eq!(TraceId::from_hex("+bf92f3577b34da6a3ce929d0e0e4736"), None);
        let s = SpanId(0x00f067aa0ba902b7);
        assert_eq!(s.to_hex(), "00f067aa0ba902b7");
        assert_eq!(SpanId::from_hex("00f067aa0ba902b7"), Some(s));
        assert_eq!(SpanId::from_hex("0000000000000000"), None);
    }

    #[test]
    fn a_remote_trace_without_a_parent_is_continued_but_not_injectable() {
        let with_parent = SpanContext::remote(TraceId(1), SpanId(2), true);
        assert!(with_parent.is_valid() && with_parent.continues_trace());
        assert_eq!(with_parent.parent_span_id(), Some(SpanId(2)));

        let root_only = SpanContext::remote_trace(TraceId(1), true);
        assert!(!root_only.is_valid(), "no span id to write into a header");
        assert!(root_only.continues_trace());
        assert_eq!(root_only.parent_span_id(), None);

        assert!(!SpanContext::remote_trace(TraceId::INVALID, true).continues_trace());
        let local = SpanContext {
            is_remote: false,
            ..with_parent
        };
        assert!(
            !local.continues_trace(),
            "only remote contexts are continued"
        );
    }

    #[test]
    fn random_ids_are_valid_and_distinct() {
        let g = RandomIdGenerator;
        let a = g.new_trace_id();
        let b = g.new_trace_id();
        assert!(a.is_valid() && b.is_valid());
        assert_ne!(a, b);
        assert!(g.new_span_id().is_valid());
    }
}
