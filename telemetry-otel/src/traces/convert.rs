//! Conversions between the contract's types and OpenTelemetry's.
//!
//! Both use 128-bit trace ids, 64-bit span ids and typed attribute values, so
//! every conversion here is lossless: OTLP can express everything the
//! contract records (unlike X-Ray, where the `awssdk` backend has to choose
//! between annotations and metadata).

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;

use opentelemetry::trace::{TraceFlags, TraceState};
use opentelemetry::{Key, KeyValue, StringValue, Value};
use telemetry_api as api;

/// A contract trace id as an OpenTelemetry one (big-endian bytes, as on the wire).
pub fn trace_id(id: api::TraceId) -> opentelemetry::trace::TraceId {
    opentelemetry::trace::TraceId::from_bytes(id.0.to_be_bytes())
}

/// An OpenTelemetry trace id as a contract one.
pub fn api_trace_id(id: opentelemetry::trace::TraceId) -> api::TraceId {
    api::TraceId(u128::from_be_bytes(id.to_bytes()))
}

pub fn span_id(id: api::SpanId) -> opentelemetry::trace::SpanId {
    opentelemetry::trace::SpanId::from_bytes(id.0.to_be_bytes())
}

pub fn api_span_id(id: opentelemetry::trace::SpanId) -> api::SpanId {
    api::SpanId(u64::from_be_bytes(id.to_bytes()))
}

/// The contract's span context as an OpenTelemetry one. The contract keeps
/// vendor state as the W3C `tracestate` header text (`k=v,k2=v2`); the X-Ray
/// propagator keeps the extra fields of `X-Amzn-Trace-Id` in the same form.
pub fn span_context(c: &api::SpanContext) -> opentelemetry::trace::SpanContext {
    opentelemetry::trace::SpanContext::new(
        trace_id(c.trace_id),
        span_id(c.span_id),
        if c.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        },
        c.is_remote,
        trace_state(c.trace_state.as_deref()),
    )
}

/// Parses `tracestate` text; invalid text becomes an empty state (a bad
/// header must never fail a request).
pub fn trace_state(header: Option<&str>) -> TraceState {
    header
        .and_then(|h| TraceState::from_str(h).ok())
        .unwrap_or_default()
}

/// An OpenTelemetry span context as the contract's (for extract).
pub fn api_span_context(c: &opentelemetry::trace::SpanContext) -> api::SpanContext {
    let state = c.trace_state().header();
    api::SpanContext {
        trace_id: api_trace_id(c.trace_id()),
        span_id: api_span_id(c.span_id()),
        sampled: c.is_sampled(),
        is_remote: c.is_remote(),
        trace_state: (!state.is_empty()).then(|| Arc::from(state)),
    }
}

pub fn span_kind(k: api::SpanKind) -> opentelemetry::trace::SpanKind {
    use opentelemetry::trace::SpanKind as K;
    match k {
        api::SpanKind::Internal => K::Internal,
        api::SpanKind::Server => K::Server,
        api::SpanKind::Client => K::Client,
        api::SpanKind::Producer => K::Producer,
        api::SpanKind::Consumer => K::Consumer,
    }
}

// Takes the `Cow` itself (not `&str`): the variant tells whether the text is a constant.
#[allow(clippy::ptr_arg)]
fn string_value(s: &Cow<'static, str>) -> StringValue {
    match s {
        // Constants stay borrowed: no allocation for them.
        Cow::Borrowed(b) => StringValue::from(*b),
        Cow::Owned(o) => StringValue::from(o.clone()),
    }
}

/// A contract attribute value as an OpenTelemetry one.
pub fn value(v: &api::Value) -> Value {
    match v {
        api::Value::Bool(b) => Value::Bool(*b),
        api::Value::I64(i) => Value::I64(*i),
        api::Value::F64(f) => Value::F64(*f),
        api::Value::Str(s) => Value::String(string_value(s)),
    }
}

/// A contract attribute value as a log `AnyValue`.
pub fn any_value(v: &api::Value) -> opentelemetry::logs::AnyValue {
    use opentelemetry::logs::AnyValue;
    match v {
        api::Value::Bool(b) => AnyValue::Boolean(*b),
        api::Value::I64(i) => AnyValue::Int(*i),
        api::Value::F64(f) => AnyValue::Double(*f),
        api::Value::Str(s) => AnyValue::String(string_value(s)),
    }
}

/// A contract attribute as an OpenTelemetry one (keys are `'static`, so no
/// allocation for the key).
pub fn key_value(kv: &api::KeyValue) -> KeyValue {
    KeyValue::new(Key::from_static_str(kv.key), value(&kv.value))
}

/// [`key_value`], taking the attribute: an owned string is moved, not
/// copied (a finished span's attributes are not needed after conversion).
pub fn into_key_value(kv: api::KeyValue) -> KeyValue {
    let value = match kv.value {
        api::Value::Str(Cow::Owned(s)) => Value::String(StringValue::from(s)),
        other => value(&other),
    };
    KeyValue::new(Key::from_static_str(kv.key), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_an_attribute_gives_what_borrowing_it_gives() {
        for kv in [
            api::KeyValue::new("http.route", "/api/products/{id}"),
            api::KeyValue::new("shop.order.id", String::from("ord-42")),
            api::KeyValue::new("http.response.status_code", 200i64),
            api::KeyValue::new("shop.cart.total", 12.5f64),
            api::KeyValue::new("shop.guest", true),
        ] {
            assert_eq!(into_key_value(kv.clone()), key_value(&kv));
        }
    }

    #[test]
    fn ids_and_contexts_round_trip() {
        let c = api::SpanContext {
            trace_id: api::TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736),
            span_id: api::SpanId(0x00f067aa0ba902b7),
            sampled: true,
            is_remote: true,
            trace_state: Some(Arc::from("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")),
        };
        let o = span_context(&c);
        assert_eq!(o.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(o.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(api_span_context(&o), c);
    }

    #[test]
    fn bad_trace_state_is_ignored() {
        assert_eq!(trace_state(Some("not a state")).header(), "");
        assert_eq!(trace_state(None).header(), "");
    }
}
