//! Header propagation: reading a trace context from an incoming request
//! (*extract*) and writing the current one into an outgoing request
//! (*inject*). Each backend brings its own format — W3C `traceparent` for
//! OpenTelemetry, `X-Amzn-Trace-Id` for X-Ray — behind one trait.

use http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::context::SpanContext;

/// Read access to a carrier of propagation fields (HTTP headers, message
/// attributes).
pub trait Extractor {
    /// The value of a field; names are case-insensitive.
    fn get(&self, key: &str) -> Option<&str>;
}

/// Write access to a carrier of propagation fields.
pub trait Injector {
    /// Sets a field, replacing any previous value.
    fn set(&mut self, key: &'static str, value: String);
}

impl Extractor for HeaderMap {
    fn get(&self, key: &str) -> Option<&str> {
        HeaderMap::get(self, key).and_then(|v| v.to_str().ok())
    }
}

impl Injector for HeaderMap {
    fn set(&mut self, key: &'static str, value: String) {
        // Propagation values are built by the propagator from hex digits and
        // separators, so they are always valid header values.
        if let Ok(v) = HeaderValue::try_from(value) {
            self.insert(HeaderName::from_static(key), v);
        }
    }
}

/// A header format for trace context.
pub trait Propagator: Send + Sync + 'static {
    /// The context an upstream caller sent, or `None` when the carrier has no
    /// (valid) context. Malformed headers are ignored, never an error: a bad
    /// header must not fail a request.
    ///
    /// The context may carry a trace id without a parent span id
    /// ([`SpanContext::remote_trace`]) when the format allows it, as X-Ray's
    /// does for a load balancer's `Root=…` with no `Parent`.
    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext>;

    /// Writes `context` into the carrier so the callee continues the trace.
    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector);

    /// The header names this propagator reads and writes (lowercase).
    fn fields(&self) -> &'static [&'static str];
}

/// Propagates nothing (the `noop` backend).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopPropagator;

impl Propagator for NoopPropagator {
    fn extract(&self, _carrier: &dyn Extractor) -> Option<SpanContext> {
        None
    }
    fn inject(&self, _context: &SpanContext, _carrier: &mut dyn Injector) {}
    fn fields(&self) -> &'static [&'static str] {
        &[]
    }
}
