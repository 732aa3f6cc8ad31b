//! Traces: the contract's finished spans as OpenTelemetry `SpanData`, through
//! the SDK's `BatchSpanProcessor` to the OTLP span exporter.
//!
//! The tracing glue has already assigned ids, sampled, and captured name,
//! kind, attributes, events and status, so there is no OpenTelemetry
//! `Tracer` here: each [`SpanRecord`] is converted field by field into the
//! SDK's export type and handed to the processor as if an SDK span had just
//! ended. (The `awssdk` backend turns the same record into an X-Ray segment
//! document instead.)
//!
//! The mapping:
//!
//! | contract | OTLP span |
//! |---|---|
//! | `context`, `parent_span_id`, `parent_is_remote` | `trace_id`, `span_id`, `parent_span_id`, `flags` (remote-parent bit), `trace_state` |
//! | `name`, `kind`, times | `name`, `kind`, `start_time_unix_nano`, `end_time_unix_nano` |
//! | `attributes` | `attributes`, as they are (semantic-convention keys) |
//! | `request_id` | attribute `shop.request.id` on the service's local root span |
//! | `events` | `events`; one with `exception.*` fields is named `exception`, as the convention asks; an ERROR-level event too, with `exception.message` from its `error` field (or message) and the message kept in `shop.event.message` |
//! | `dropped_events` | `dropped_events_count` |
//! | `status` | `status` (`ERROR` with the `error.type` as message, else `UNSET`) |
//! | `target` | instrumentation scope name |
//!
//! Ids are the SDK's generators' ([`ids`]); the conversions between the
//! contract's types and OpenTelemetry's are in [`convert`].

pub mod convert;
pub mod ids;

use std::borrow::Cow;

use opentelemetry::trace::{Event, SpanContext, Status, TraceFlags};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use telemetry_api::record::SpanEvent;
use telemetry_api::semconv;
use telemetry_api::{SpanRecord, SpanStatus};

/// The attribute carrying the shop's request id (no semantic convention
/// covers it; the stdout log lines call it `request_id`).
pub const SHOP_REQUEST_ID: &str = "shop.request.id";

/// Converts a finished, sampled span record to the SDK's export type.
pub fn span_data(record: SpanRecord) -> SpanData {
    let SpanRecord {
        context,
        parent_span_id,
        parent_is_remote,
        name,
        kind,
        target,
        start_time,
        end_time,
        attributes,
        events,
        dropped_events,
        status,
        request_id,
        links,
        // Chosen by the exporter: it picks the pipeline with the right resource.
        relayed_for: _,
    } = record;
    let is_local_root = parent_span_id.is_none() || parent_is_remote;

    let mut otel_attributes: Vec<KeyValue> = Vec::with_capacity(attributes.len() + 1);
    otel_attributes.extend(attributes.into_iter().map(convert::into_key_value));
    if let (true, Some(id)) = (is_local_root, &request_id) {
        otel_attributes.push(KeyValue::new(SHOP_REQUEST_ID, id.to_string()));
    }

    let span_context = SpanContext::new(
        convert::trace_id(context.trace_id),
        convert::span_id(context.span_id),
        // Only sampled spans reach the exporter.
        TraceFlags::SAMPLED,
        false,
        convert::trace_state(context.trace_state.as_deref()),
    );

    let status = match status {
        SpanStatus::Unset => Status::Unset,
        SpanStatus::Error { description } => Status::error(description),
    };

    SpanData {
        span_context,
        parent_span_id: parent_span_id
            .map(convert::span_id)
            .unwrap_or(opentelemetry::trace::SpanId::INVALID),
        parent_span_is_remote: parent_is_remote,
        span_kind: convert::span_kind(kind),
        name,
        start_time,
        end_time,
        attributes: otel_attributes,
        dropped_attributes_count: 0,
        events: span_events(events, dropped_events),
        links: span_links(links),
        status,
        instrumentation_scope: scope(target),
    }
}

/// The span's links, each to a sampled remote context (what a producer sent).
fn span_links(links: Vec<telemetry_api::SpanContext>) -> SpanLinks {
    // `SpanLinks` is non-exhaustive: start from the default, fill the fields.
    let mut out = SpanLinks::default();
    out.links = links
        .into_iter()
        .map(|c| {
            opentelemetry::trace::Link::with_context(SpanContext::new(
                convert::trace_id(c.trace_id),
                convert::span_id(c.span_id),
                if c.sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                },
                c.is_remote,
                convert::trace_state(c.trace_state.as_deref()),
            ))
        })
        .collect();
    out
}

fn span_events(events: Vec<SpanEvent>, dropped: u32) -> SpanEvents {
    // `SpanEvents` is non-exhaustive: start from the default, fill the fields.
    let mut out = SpanEvents::default();
    out.events = events.into_iter().map(event).collect();
    out.dropped_count = dropped;
    out
}

/// The instrumentation scope for a `tracing` target (module path).
pub fn scope(target: &'static str) -> InstrumentationScope {
    InstrumentationScope::builder(target).build()
}

fn event(e: SpanEvent) -> Event {
    let mut attributes: Vec<KeyValue> = e.attributes.iter().map(convert::key_value).collect();
    let name: Cow<'static, str> = if e.is_exception() {
        // Semantic conventions: exceptions are events named `exception`.
        Cow::Borrowed("exception")
    } else if e.level == tracing::Level::ERROR {
        // An ERROR event inside a span is how the shop reports a failure
        // (`tracing::error!(error = %e, "upstream failure")`): record it as
        // an exception too, so trace views show it as one. The message is
        // the `error` field when there is one, else the event's message.
        let message = e
            .attributes
            .iter()
            .find(|kv| kv.key == "error")
            .map(|kv| kv.value.to_string())
            .unwrap_or_else(|| e.name.to_string());
        attributes.push(KeyValue::new(semconv::EXCEPTION_MESSAGE, message));
        attributes.push(KeyValue::new(EVENT_MESSAGE, e.name));
        Cow::Borrowed("exception")
    } else {
        e.name
    };
    Event::new(name, e.timestamp, attributes, 0)
}

/// Keeps the original message of an ERROR event recorded as an exception.
pub const EVENT_MESSAGE: &str = "shop.event.message";

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};
    use telemetry_api::{SpanContext as ApiContext, SpanId, SpanKind, TraceId};

    #[test]
    fn a_record_maps_field_by_field() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let record = SpanRecord {
            context: ApiContext {
                trace_id: TraceId(0x0af7651916cd43dd8448eb211c80319c),
                span_id: SpanId(0x1111),
                sampled: true,
                is_remote: false,
                trace_state: Some(Arc::from("k=v")),
            },
            parent_span_id: Some(SpanId(0xb7ad6b7169203331)),
            parent_is_remote: true,
            name: Cow::Borrowed("POST /api/orders"),
            kind: SpanKind::Server,
            target: "shop::http",
            start_time: start,
            end_time: start + Duration::from_millis(5),
            attributes: vec![
                telemetry_api::KeyValue::new(semconv::HTTP_RESPONSE_STATUS_CODE, 503u16),
                telemetry_api::KeyValue::new(semconv::ERROR_TYPE, "503"),
            ],
            events: vec![SpanEvent {
                name: Cow::Borrowed("boom"),
                timestamp: start,
                level: tracing::Level::ERROR,
                attributes: vec![telemetry_api::KeyValue::new(
                    semconv::EXCEPTION_MESSAGE,
                    "boom",
                )],
            }],
            dropped_events: 2,
            status: SpanStatus::Error {
                description: "503".to_owned(),
            },
            request_id: Some(Arc::from("req-1")),
            links: vec![ApiContext::remote(TraceId(0xfeed), SpanId(0xbeef), true)],
            relayed_for: None,
        };
        let d = span_data(record);
        assert_eq!(
            d.span_context.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(d.parent_span_id.to_string(), "b7ad6b7169203331");
        assert!(d.parent_span_is_remote);
        assert_eq!(d.span_context.trace_state().header(), "k=v");
        assert_eq!(d.span_kind, opentelemetry::trace::SpanKind::Server);
        assert_eq!(d.status, Status::error("503"));
        assert_eq!(d.events.events[0].name, "exception");
        // Links carry the linked span's ids and its sampled flag.
        assert_eq!(d.links.links.len(), 1);
        let link = &d.links.links[0].span_context;
        assert_eq!(link.span_id().to_string(), "000000000000beef");
        assert!(link.is_sampled() && link.is_remote());
        // An ERROR event without exception fields becomes one too, keeping its message.
        let e = event(SpanEvent {
            name: Cow::Borrowed("upstream failure"),
            timestamp: start,
            level: tracing::Level::ERROR,
            attributes: vec![telemetry_api::KeyValue::new("error", "connection refused")],
        });
        assert_eq!(e.name, "exception");
        let get = |k: &str| {
            e.attributes
                .iter()
                .find(|kv| kv.key.as_str() == k)
                .map(|kv| kv.value.to_string())
        };
        assert_eq!(
            get("exception.message").as_deref(),
            Some("connection refused")
        );
        assert_eq!(get(EVENT_MESSAGE).as_deref(), Some("upstream failure"));
        // Other events keep their name.
        let info = event(SpanEvent {
            name: Cow::Borrowed("request completed"),
            timestamp: start,
            level: tracing::Level::INFO,
            attributes: vec![],
        });
        assert_eq!(info.name, "request completed");
        assert_eq!(d.events.dropped_count, 2);
        assert_eq!(d.instrumentation_scope.name(), "shop::http");
        assert!(
            d.attributes
                .iter()
                .any(|kv| kv.key.as_str() == SHOP_REQUEST_ID && kv.value.as_str() == "req-1")
        );
        assert!(d.attributes.iter().any(|kv| {
            kv.key.as_str() == semconv::HTTP_RESPONSE_STATUS_CODE
                && kv.value == opentelemetry::Value::I64(503)
        }));
    }
}
