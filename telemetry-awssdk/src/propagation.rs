//! The `X-Amzn-Trace-Id` header: X-Ray's trace context.
//!
//! `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`
//!
//! - `Root`: the trace id in X-Ray form;
//! - `Parent`: the caller's (sub)segment id, 16 hex digits;
//! - `Sampled`: `1` recorded, `0` not, `?` (or absent) "you decide";
//! - anything else (`Lineage=…`, `Self=…` from load balancers) is carried
//!   through unchanged in [`SpanContext::trace_state`] and written back on
//!   egress.
//!
//! An upstream "you decide" cannot be expressed by the contract's boolean
//! `sampled`, so it travels as `Sampled=?` at the front of `trace_state`,
//! where [`crate::sampling::XraySampler`] looks for it.
//!
//! A header with a `Root` and no `Parent` is what an Application Load
//! Balancer sends. As the X-Ray SDKs do, the trace is continued: the
//! extracted context has the `Root` as its trace id and no parent
//! ([`SpanContext::remote_trace`]), so the request's segment keeps that
//! trace id and has no `parent_id`, and it can be found under the id the
//! load balancer logged. A `Parent` that is present but malformed (or all
//! zeros) makes the whole header ignored, as before.

use std::sync::Arc;

use telemetry_api::propagation::{Extractor, Injector, Propagator};
use telemetry_api::{SpanContext, SpanId};

use crate::traces::ids::{format_trace_id, parse_trace_id};

/// The header's name (lowercase, as `http::HeaderName` wants it).
pub const HEADER: &str = "x-amzn-trace-id";

/// The marker for an upstream that left the sampling decision to us.
pub(crate) const UNDECIDED: &str = "Sampled=?";

/// Reads and writes `X-Amzn-Trace-Id`.
#[derive(Debug, Default, Clone, Copy)]
pub struct XrayPropagator;

/// True when the remote parent asked us to make the sampling decision.
pub(crate) fn is_undecided(parent: &SpanContext) -> bool {
    parent
        .trace_state
        .as_deref()
        .is_some_and(|s| s == UNDECIDED || s.starts_with("Sampled=?;"))
}

impl Propagator for XrayPropagator {
    fn extract(&self, carrier: &dyn Extractor) -> Option<SpanContext> {
        let header = carrier.get(HEADER)?;
        let mut root = None;
        let mut parent = None;
        let mut sampled = None;
        let mut rest: Vec<&str> = Vec::new();
        for field in header.split(';') {
            let field = field.trim();
            let Some((k, v)) = field.split_once('=') else {
                continue;
            };
            match k.trim() {
                "Root" => root = parse_trace_id(v.trim()),
                // `None` inside: present but malformed, so the header is ignored.
                "Parent" => parent = Some(SpanId::from_hex(v.trim())),
                "Sampled" => sampled = Some(v.trim()),
                _ if !field.is_empty() => rest.push(field),
                _ => {}
            }
        }
        let trace_id = root?;
        // No `Parent` at all: a load balancer's Root-only header.
        let span_id = match parent {
            None => SpanId::INVALID,
            Some(p) => p?,
        };
        let decided = match sampled {
            Some("1") => Some(true),
            Some("0") => Some(false),
            _ => None,
        };
        let mut state = Vec::with_capacity(rest.len() + 1);
        if decided.is_none() {
            state.push(UNDECIDED);
        }
        state.extend(rest);
        // `span_id` is INVALID for a Root-only header: the trace goes on
        // with no parent (`SpanContext::remote_trace`).
        let mut ctx = SpanContext::remote(trace_id, span_id, decided.unwrap_or(false));
        if !state.is_empty() {
            ctx.trace_state = Some(Arc::from(state.join(";")));
        }
        Some(ctx)
    }

    fn inject(&self, context: &SpanContext, carrier: &mut dyn Injector) {
        let mut value = format!(
            "Root={};Parent={};Sampled={}",
            format_trace_id(context.trace_id),
            context.span_id.to_hex(),
            if context.sampled { 1 } else { 0 }
        );
        if let Some(state) = context.trace_state.as_deref() {
            for field in state.split(';').filter(|f| *f != UNDECIDED) {
                value.push(';');
                value.push_str(field);
            }
        }
        carrier.set(HEADER, value);
    }

    fn fields(&self) -> &'static [&'static str] {
        &[HEADER]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;
    use telemetry_api::TraceId;

    fn extract(v: &str) -> Option<SpanContext> {
        let mut h = HeaderMap::new();
        h.insert(HEADER, v.parse().unwrap());
        XrayPropagator.extract(&h)
    }

    #[test]
    fn extracts_root_parent_and_decision() {
        let c =
            extract("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
                .unwrap();
        assert_eq!(c.trace_id, TraceId(0x5759e988_bd862e3fe1be46a994272793));
        assert_eq!(c.span_id, SpanId(0x53995c3f42cd8ad8));
        assert!(c.sampled && c.is_remote && c.trace_state.is_none());

        let c = extract(
            " Root=1-5759e988-bd862e3fe1be46a994272793 ; Parent=53995c3f42cd8ad8 ; Sampled=0",
        )
        .unwrap();
        assert!(!c.sampled && !is_undecided(&c));
    }

    #[test]
    fn undecided_and_extra_fields_survive_a_round_trip() {
        let c = extract(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Lineage=a87bd80c:1",
        )
        .unwrap();
        assert!(is_undecided(&c));
        let mut out = HeaderMap::new();
        let mine = SpanContext {
            span_id: SpanId(0xabc),
            sampled: true,
            ..c
        };
        XrayPropagator.inject(&mine, &mut out);
        assert_eq!(
            out[HEADER],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000abc;Sampled=1;Lineage=a87bd80c:1"
        );
    }

    #[test]
    fn malformed_or_partial_headers_are_ignored() {
        for bad in [
            "",
            "garbage",
            "Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=nope;Parent=53995c3f42cd8ad8;Sampled=1",
            "Root=nope;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz;Sampled=1",
        ] {
            assert_eq!(extract(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_root_without_parent_continues_the_trace_with_no_parent() {
        // What an Application Load Balancer sends.
        let c = extract("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1").unwrap();
        assert_eq!(
            c,
            SpanContext::remote_trace(TraceId(0x5759e988_bd862e3fe1be46a994272793), true)
        );
        assert!(c.continues_trace() && c.parent_span_id().is_none());
        assert!(!is_undecided(&c));

        // `Sampled=` is read as before: 0 is honoured, `?` or none leaves it to the rules.
        let c = extract("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0").unwrap();
        assert!(!c.sampled && !is_undecided(&c) && c.parent_span_id().is_none());
        let c = extract("Root=1-5759e988-bd862e3fe1be46a994272793").unwrap();
        assert!(is_undecided(&c) && c.parent_span_id().is_none());
        let c = extract("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=?;Lineage=a87bd80c:1")
            .unwrap();
        assert!(is_undecided(&c));

        // Downstream, this service's span is the parent; other fields go on.
        let mine = SpanContext {
            span_id: SpanId(0xabc),
            sampled: true,
            is_remote: false,
            ..c
        };
        let mut out = HeaderMap::new();
        XrayPropagator.inject(&mine, &mut out);
        assert_eq!(
            out[HEADER],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000abc;Sampled=1;Lineage=a87bd80c:1"
        );
    }

    #[test]
    fn a_root_only_request_becomes_a_segment_under_that_root_with_no_parent() {
        use crate::resource::AwsResource;
        use crate::traces::ids::XrayIdGenerator;
        use crate::traces::segment::segment_documents;
        use telemetry_api::trace::{span_context, with_remote_parent};
        use telemetry_api::{Resource, Telemetry, recording};

        let (mut backend, recorder) = recording::backend();
        backend.propagator = std::sync::Arc::new(XrayPropagator);
        backend.id_generator = std::sync::Arc::new(XrayIdGenerator);
        backend.format_trace_id = crate::traces::ids::format_trace_id;
        let resource = Resource::new("shop", "0");
        let t = Telemetry::builder(backend, resource.clone())
            .build()
            .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            HEADER,
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
                .parse()
                .unwrap(),
        );
        tracing::dispatcher::with_default(t.dispatch(), || {
            let parent = t.propagator().extract(&headers);
            let span = with_remote_parent(parent, || {
                tracing::info_span!("GET /api/products", span.kind = "server")
            });
            // What the shop writes into `x-trace-id`.
            let ctx = span_context(&span).unwrap();
            assert_eq!(
                t.format_trace_id(ctx.trace_id),
                "1-5759e988-bd862e3fe1be46a994272793"
            );
        });
        let spans = recorder.spans();
        let (docs, too_big) = segment_documents(&AwsResource::new(&resource, None), &spans[0], &[]);
        assert_eq!((docs.len(), too_big), (1, 0));
        let doc: serde_json::Value = serde_json::from_str(&docs[0]).unwrap();
        assert_eq!(doc["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
        assert!(doc.get("parent_id").is_none(), "{doc}");
        assert!(
            doc.get("type").is_none(),
            "a segment, not a subsegment: {doc}"
        );
    }
}
