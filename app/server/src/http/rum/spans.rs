//! Browser spans (OTLP) → the contract's [`SpanRecord`]s, relayed for the
//! browser app.
//!
//! A malformed request (a bad id, a span that ends before it starts, too
//! many spans, another service's resource) is refused whole with a 400
//! naming the field. A well-formed span from a browser whose clock is far
//! off is *rejected* alone and reported in OTLP's `partialSuccess`: X-Ray
//! would refuse it anyway, and the rest of the batch is good.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::{Span, status::StatusCode};
use telemetry_api::record::SpanEvent;
use telemetry_api::{Resource, SpanContext, SpanKind, SpanRecord, SpanStatus};

use super::attributes;
use super::{Converted, MAX_ITEMS, Window, invalid, scope_target};
use crate::http::error::ApiError;

/// Most events kept per span.
const MAX_EVENTS: usize = 32;
/// The longest a browser span may last (a page left open for a day is not a span).
const MAX_DURATION: Duration = Duration::from_secs(3600);

/// Converts and checks a trace export request.
pub fn convert(
    request: ExportTraceServiceRequest,
    producer: &Arc<Resource>,
    window: &Window,
) -> Result<Converted<SpanRecord>, ApiError> {
    let total: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    if total > MAX_ITEMS {
        return Err(invalid(
            "resourceSpans",
            format!("{total} spans in one request; at most {MAX_ITEMS}"),
        ));
    }
    let mut out = Converted::default();
    for (i, rs) in request.resource_spans.into_iter().enumerate() {
        super::check_producer(
            rs.resource.as_ref(),
            producer,
            &format!("resourceSpans[{i}].resource"),
        )?;
        for (j, ss) in rs.scope_spans.into_iter().enumerate() {
            let target = scope_target(ss.scope.as_ref().map(|s| s.name.as_str()));
            for (k, span) in ss.spans.into_iter().enumerate() {
                let at = format!("resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
                match record(span, &at, target, producer, window)? {
                    Ok(record) => out.items.push(record),
                    Err(reason) => out.reject(reason),
                }
            }
        }
    }
    children_first(&mut out.items);
    Ok(out)
}

/// Orders a batch as the shop's own spans arrive: every span before its
/// parent (deepest first). A browser exports in whatever order its spans
/// ended, and a backend that assembles a trace's documents when the local
/// root arrives (X-Ray's) would otherwise send a child that came after its
/// root on its own.
fn children_first(spans: &mut [SpanRecord]) {
    use std::collections::HashMap;
    let key = |s: &SpanRecord| (s.context.trace_id.0, s.context.span_id.0);
    let parents: HashMap<(u128, u64), u64> = spans
        .iter()
        .filter_map(|s| Some((key(s), s.parent_span_id?.0)))
        .collect();
    let depths: HashMap<(u128, u64), usize> = spans
        .iter()
        .map(|s| {
            let (trace, mut id) = key(s);
            let mut depth = 0usize;
            // Bounded: a cycle in a malicious batch must not loop forever.
            while let Some(parent) = parents.get(&(trace, id)) {
                depth += 1;
                id = *parent;
                if depth > parents.len() {
                    break;
                }
            }
            (key(s), depth)
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(depths.get(&key(s)).copied().unwrap_or(0)));
}

/// One span: `Err` for a malformed one (the request is refused), `Ok(Err)`
/// for one rejected alone.
fn record(
    span: Span,
    at: &str,
    target: &'static str,
    producer: &Arc<Resource>,
    window: &Window,
) -> Result<Result<SpanRecord, String>, ApiError> {
    let trace_id = super::trace_id(&span.trace_id).ok_or_else(|| {
        invalid(
            &format!("{at}.traceId"),
            "must be 16 bytes (32 hex digits), not all zero",
        )
    })?;
    let span_id = super::span_id(&span.span_id).ok_or_else(|| {
        invalid(
            &format!("{at}.spanId"),
            "must be 8 bytes (16 hex digits), not all zero",
        )
    })?;
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        _ => Some(super::span_id(&span.parent_span_id).ok_or_else(|| {
            invalid(
                &format!("{at}.parentSpanId"),
                "must be empty or 8 bytes (16 hex digits), not all zero",
            )
        })?),
    };
    let name = span.name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(invalid(
            &format!("{at}.name"),
            "must be 1 to 128 characters",
        ));
    }
    if span.end_time_unix_nano < span.start_time_unix_nano {
        return Err(invalid(
            &format!("{at}.endTimeUnixNano"),
            "must not be before startTimeUnixNano",
        ));
    }
    let start_time = super::time(span.start_time_unix_nano);
    let end_time = super::time(span.end_time_unix_nano);
    if let Err(reason) = window.check(start_time) {
        return Ok(Err(format!("{at}: {reason}")));
    }
    if end_time.duration_since(start_time).unwrap_or_default() > MAX_DURATION {
        return Ok(Err(format!("{at}: lasts over an hour")));
    }

    let (attributes, _) = attributes::keep(&span.attributes);
    let events = span
        .events
        .iter()
        .take(MAX_EVENTS)
        .filter(|e| !e.name.is_empty() && e.name.len() <= 64)
        .map(|e| SpanEvent {
            name: Cow::Owned(e.name.clone()),
            timestamp: super::time(e.time_unix_nano).clamp(start_time, end_time),
            level: if e.name == "exception" {
                tracing::Level::ERROR
            } else {
                tracing::Level::INFO
            },
            attributes: attributes::keep(&e.attributes).0,
        })
        .collect::<Vec<_>>();
    let dropped_events = (span.events.len() - events.len()) as u32;
    let status = match span.status.as_ref() {
        Some(s) if s.code == StatusCode::Error as i32 => SpanStatus::Error {
            description: match attributes::text(&s.message, 256) {
                telemetry_api::Value::Str(m) if !m.is_empty() => m.into_owned(),
                _ => "error".to_owned(),
            },
        },
        _ => SpanStatus::Unset,
    };
    let kind = match span.kind {
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Internal,
    };
    Ok(Ok(SpanRecord {
        context: SpanContext {
            trace_id,
            span_id,
            sampled: true,
            is_remote: false,
            trace_state: None,
        },
        parent_span_id,
        // The parent is the browser's own span (a click, the page load):
        // local to the producer this span is relayed for.
        parent_is_remote: false,
        name: Cow::Owned(name.to_owned()),
        kind,
        target,
        start_time,
        end_time,
        attributes,
        events,
        dropped_events,
        status,
        request_id: None,
        links: Vec::new(),
        relayed_for: Some(producer.clone()),
    }))
}
