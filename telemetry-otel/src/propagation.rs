//! Trace context in headers, ids, and how trace ids are written in logs.
//!
//! - W3C `traceparent`/`tracestate` and `baggage` (the OpenTelemetry
//!   default) with the SDK's `TraceContextPropagator` and `BaggagePropagator`;
//! - AWS `X-Amzn-Trace-Id` with `opentelemetry_aws::trace::XrayPropagator`;
//!
//! combined in the order `OTEL_PROPAGATORS` names them (the SDK's
//! `TextMapCompositePropagator`: extract runs each in turn, inject writes all).
//! With `xray`, ids are X-Ray-compatible too ([`crate::traces::ids`]).
//!
//! A `X-Amzn-Trace-Id` with a `Root` and no `Parent` (what an Application
//! Load Balancer sends): the SDK's X-Ray propagator extracts it as a remote
//! span context with the Root's trace id and an all-zero span id, which
//! OpenTelemetry calls *invalid* (`SpanContext::is_valid` wants both ids). The
//! SDK's own tracer does not continue an invalid parent: it starts a new trace
//! (`opentelemetry_sdk` 0.33.1, `trace/tracer.rs`, `build_with_context`). This
//! backend keeps the SDK's rule: [`OtelPropagator::extract`] passes on valid
//! contexts only, so such a request starts a new trace, where the `awssdk`
//! backend continues the Root as the X-Ray SDKs do (a finding in the README).
//!
//! Baggage: the SDK propagator reads and writes the `baggage` header, but
//! the contract's `SpanContext` has no place for baggage, so it is not
//! carried from an incoming request to outgoing ones (a gap of the contract,
//! shared by both backends).

use opentelemetry::Context;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_aws::trace::XrayPropagator;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use telemetry_api::SpanContext;
use telemetry_api::propagation::{Extractor, Injector, Propagator};

use crate::config::PropagatorName;
use crate::traces::convert;

/// A contract [`Propagator`] over the SDK's composite propagator.
pub struct OtelPropagator {
    inner: TextMapCompositePropagator,
    fields: &'static [&'static str],
}

impl OtelPropagator {
    /// The propagators named in `OTEL_PROPAGATORS`, in that order.
    pub fn new(names: &[PropagatorName]) -> OtelPropagator {
        let mut parts: Vec<Box<dyn TextMapPropagator + Send + Sync>> = Vec::new();
        let mut fields: Vec<&'static str> = Vec::new();
        for name in names {
            match name {
                PropagatorName::TraceContext => {
                    parts.push(Box::new(TraceContextPropagator::new()));
                    fields.extend([TRACEPARENT, TRACESTATE]);
                }
                PropagatorName::Baggage => {
                    parts.push(Box::new(BaggagePropagator::new()));
                    fields.push(BAGGAGE);
                }
                PropagatorName::Xray => {
                    parts.push(Box::new(XrayPropagator::new()));
                    fields.push(X_AMZN_TRACE_ID);
                }
            }
        }
        OtelPropagator {
            inner: TextMapCompositePropagator::new(parts),
            // The contract wants `'static` names; the set is decided once at
            // start-up, so leaking this short list once is the simple answer.
            fields: Box::leak(fields.into_boxed_slice()),
        }
    }
}

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";
const BAGGAGE: &str = "baggage";
const X_AMZN_TRACE_ID: &str = "x-amzn-trace-id";

/// Reads contract carriers for the SDK's propagators.
struct ReadCarrier<'a>(&'a dyn Extractor);

impl opentelemetry::propagation::Extractor for ReadCarrier<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)
    }
    /// Only propagators that enumerate headers (none of ours) need keys.
    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// Writes the SDK propagators' headers into a contract carrier, whose keys
/// must be `'static`: every header our propagators write is one of four.
struct WriteCarrier<'a>(&'a mut dyn Injector);

impl opentelemetry::propagation::Injector for WriteCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        let key = match key.to_ascii_lowercase().as_str() {
            TRACEPARENT => TRACEPARENT,
            TRACESTATE => TRACESTATE,
            BAGGAGE => BAGGAGE,
            X_AMZN_TRACE_ID => X_AMZN_TRACE_ID,
            _ => return,
        };
        self.0.set(key, value);
    }
}

impl Propagator for OtelPropagator {
    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let cx = self.inner.extract(&ReadCarrier(carrier));
        let span = cx.span();
        let sc = span.span_context();
        sc.is_valid().then(|| convert::api_span_context(sc))
    }

    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        if !context.is_valid() {
            return;
        }
        // Inject describes the current span as the caller's parent: a local,
        // not a remote, context.
        let mut sc = context.clone();
        sc.is_remote = false;
        let cx = Context::new().with_remote_span_context(convert::span_context(&sc));
        self.inner.inject_context(&cx, &mut WriteCarrier(carrier));
    }

    fn fields(&self) -> &'static [&'static str] {
        self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use telemetry_api::SpanId;

    /// Headers as a map.
    #[derive(Default, Debug)]
    struct HeaderMap(HashMap<&'static str, String>);

    impl Injector for HeaderMap {
        fn set(&mut self, key: &'static str, value: String) {
            self.0.insert(key, value);
        }
    }

    impl Extractor for HeaderMap {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).map(String::as_str)
        }
    }

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    #[test]
    fn w3c_round_trip_keeps_tracestate() {
        let p = OtelPropagator::new(&[PropagatorName::TraceContext, PropagatorName::Baggage]);
        let mut h = HeaderMap::default();
        h.0.insert(TRACEPARENT, format!("00-{TRACE}-00f067aa0ba902b7-01"));
        h.0.insert(TRACESTATE, "congo=t61rcWkgMzE".to_owned());
        let c = p.extract(&h).unwrap();
        assert!(c.is_remote && c.sampled);
        assert_eq!(c.trace_id.to_hex(), TRACE);
        assert_eq!(c.span_id.to_hex(), "00f067aa0ba902b7");

        let mut child = c.clone();
        child.span_id = SpanId(0x1122334455667788);
        let mut out = HeaderMap::default();
        p.inject(&child, &mut out);
        assert_eq!(
            out.0[TRACEPARENT],
            format!("00-{TRACE}-1122334455667788-01")
        );
        assert_eq!(out.0[TRACESTATE], "congo=t61rcWkgMzE");
        assert_eq!(p.fields(), &[TRACEPARENT, TRACESTATE, BAGGAGE]);
    }

    #[test]
    fn xray_header_round_trip() {
        let p = OtelPropagator::new(&[PropagatorName::Xray]);
        let mut h = HeaderMap::default();
        h.0.insert(
            X_AMZN_TRACE_ID,
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".to_owned(),
        );
        let c = p.extract(&h).unwrap();
        assert_eq!(c.trace_id.to_hex(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(c.span_id.to_hex(), "53995c3f42cd8ad8");
        assert!(c.sampled);
        let mut out = HeaderMap::default();
        p.inject(&c, &mut out);
        assert_eq!(
            out.0[X_AMZN_TRACE_ID],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
    }

    #[test]
    fn malformed_headers_are_ignored() {
        let p = OtelPropagator::new(&[PropagatorName::TraceContext, PropagatorName::Xray]);
        for (k, v) in [
            (TRACEPARENT, "00-zz-00f067aa0ba902b7-01"),
            (
                TRACEPARENT,
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            ),
            (X_AMZN_TRACE_ID, "Root=garbage"),
            (X_AMZN_TRACE_ID, ""),
        ] {
            let mut h = HeaderMap::default();
            h.0.insert(k, v.to_owned());
            assert_eq!(p.extract(&h), None, "{k}: {v}");
        }
    }

    #[test]
    fn an_xray_root_without_parent_starts_a_new_trace_as_in_the_sdk() {
        let header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
        let mut h = HeaderMap::default();
        h.0.insert(X_AMZN_TRACE_ID, header.to_owned());
        // The SDK's X-Ray propagator keeps the Root, with an all-zero span id…
        let cx = XrayPropagator::new().extract(&ReadCarrier(&h));
        let span = cx.span();
        let sc = span.span_context();
        assert_eq!(
            sc.trace_id().to_string(),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(sc.span_id(), opentelemetry::trace::SpanId::INVALID);
        assert!(sc.is_remote() && sc.is_sampled());
        // …which OpenTelemetry calls invalid, so its tracer (and this
        // backend, which follows it) starts a new trace.
        assert!(!sc.is_valid());
        let p = OtelPropagator::new(&[PropagatorName::Xray]);
        assert_eq!(p.extract(&h), None);
    }
}
