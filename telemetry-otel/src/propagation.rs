//! Trace context in headers, ids, and how trace ids are written in logs.
//!
//! - W3C `traceparent`/`tracestate` and `baggage` (the OpenTelemetry
//!   default) with the SDK's `TraceContextPropagator` and `BaggagePropagator`;
//! - AWS `X-Amzn-Trace-Id` with `opentelemetry_aws::trace::XrayPropagator`;
//!
//! combined in the order `OTEL_PROPAGATORS` names them (the SDK's
//! `TextMapCompositePropagator`: extract runs each in turn, inject writes all).
//! The X-Ray id generator (`opentelemetry_aws::trace::XrayIdGenerator`) puts
//! the epoch seconds in the first 32 bits of each trace id so that ADOT's
//! `awsxray` exporter can hand the same trace to X-Ray; then log lines write
//! trace ids in X-Ray's form too, so they join in the X-Ray console.
//!
//! Baggage: the SDK propagator reads and writes the `baggage` header, but
//! the contract's `SpanContext` has no place for baggage, so it is not
//! carried from an incoming request to outgoing ones (a gap of the contract,
//! shared by both backends).

use std::sync::Arc;

use opentelemetry::Context;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_aws::trace::{XrayIdGenerator, XrayPropagator};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{IdGenerator as SdkIdGenerator, RandomIdGenerator};
use telemetry_api::propagation::{Extractor, Injector, Propagator};
use telemetry_api::{IdGenerator, SpanContext, SpanId, TraceId};

use crate::config::{IdScheme, PropagatorName};
use crate::convert;

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

/// Contract ids from an SDK id generator.
#[derive(Debug)]
pub struct OtelIdGenerator<G>(pub G);

impl<G: SdkIdGenerator + 'static> IdGenerator for OtelIdGenerator<G> {
    fn new_trace_id(&self) -> TraceId {
        convert::api_trace_id(self.0.new_trace_id())
    }
    fn new_span_id(&self) -> SpanId {
        convert::api_span_id(self.0.new_span_id())
    }
}

/// The id generator for a scheme.
pub fn id_generator(scheme: IdScheme) -> Arc<dyn IdGenerator> {
    match scheme {
        IdScheme::Random => Arc::new(OtelIdGenerator(RandomIdGenerator::default())),
        IdScheme::Xray => Arc::new(OtelIdGenerator(XrayIdGenerator::default())),
    }
}

/// 32 hex digits (W3C, OTLP).
pub fn w3c_trace_id(id: TraceId) -> String {
    id.to_hex()
}

/// X-Ray's form, `1-<8 hex digits of epoch seconds>-<24 hex digits>`: what
/// the X-Ray console and CloudWatch Logs' trace links search for.
pub fn xray_trace_id(id: TraceId) -> String {
    let hex = id.to_hex();
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

/// The log format that matches an id scheme.
pub fn format_trace_id(scheme: IdScheme) -> fn(TraceId) -> String {
    match scheme {
        IdScheme::Random => w3c_trace_id,
        IdScheme::Xray => xray_trace_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
        assert_eq!(
            xray_trace_id(c.trace_id),
            "1-5759e988-bd862e3fe1be46a994272793"
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
    fn xray_ids_start_with_the_epoch_seconds() {
        let g = id_generator(IdScheme::Xray);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let id = g.new_trace_id();
        let secs = (id.0 >> 96) as u64;
        assert!(secs.abs_diff(now) < 5, "{secs} vs {now}");
        assert!(g.new_span_id().is_valid());
    }
}
