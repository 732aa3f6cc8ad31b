//! Where a function finds the trace context of whoever invoked it, and how
//! an invoker puts it there.
//!
//! A function's parent context can come from three places, preferred in this
//! order ([`parent_context`]):
//!
//! 1. **The client context** (`ClientContext` of the Invoke API, base64 JSON;
//!    the function gets it decoded in `Context::client_context`): its
//!    `custom` map holds the propagation fields of the invoker's backend
//!    (`X-Amzn-Trace-Id` for awssdk, `traceparent`/`tracestate` for otel).
//! 2. **The event itself**: a member [`EVENT_MEMBER`] at the top of the
//!    event JSON with the same fields. Only the lab's invokers add it: it is
//!    the carrier that survives `cargo lambda watch` 1.9.2, which loses both
//!    other carriers (docs/functions.md, "The trace-header gap").
//! 3. **Lambda's trace header** (`Lambda-Runtime-Trace-Id`, which
//!    `lambda_runtime` also puts into `_X_AMZN_TRACE_ID`): in AWS, the
//!    caller's `X-Amzn-Trace-Id` continued by the Lambda service; under
//!    `cargo lambda watch`, a fresh root of its own.
//!
//! Each carrier is read with the backend's own propagator, so the awssdk
//! backend reads `X-Amzn-Trace-Id` and the otel backend `traceparent` (or
//! X-Ray's header with `OTEL_PROPAGATORS=xray`).

use std::collections::BTreeMap;

use base64::Engine as _;
use lambda_runtime::Context;
use serde::Serialize;
use telemetry_api::SpanContext;
use telemetry_api::propagation::{Extractor, Injector, Propagator};

/// The top-level member of an event that carries trace context in the lab.
pub const EVENT_MEMBER: &str = "shopTraceContext";

/// Propagation fields (header names, lowercase, to values): what a
/// propagator writes on the way out and reads on the way in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Fields(pub BTreeMap<String, String>);

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    /// The fields `propagator` writes for `context`.
    pub fn injected(propagator: &dyn Propagator, context: &SpanContext) -> Fields {
        let mut fields = Fields::new();
        propagator.inject(context, &mut fields);
        fields
    }

    /// One field.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Fields {
        self.0.insert(key.to_ascii_lowercase(), value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Fields from any string map (a client context's `custom`, an event
    /// member); names are compared without case.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Fields {
        Fields(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        )
    }

    /// The X-Ray header among them, if any.
    pub fn xray_header(&self) -> Option<&str> {
        self.0.get("x-amzn-trace-id").map(String::as_str)
    }

    /// The Invoke API's `ClientContext`: `{"custom": {…fields}}`, base64.
    pub fn client_context(&self) -> String {
        let json = serde_json::json!({ "custom": self.0 });
        base64::engine::general_purpose::STANDARD.encode(json.to_string())
    }
}

impl Extractor for Fields {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(&key.to_ascii_lowercase()).map(String::as_str)
    }
}

impl Injector for Fields {
    fn set(&mut self, key: &'static str, value: String) {
        self.0.insert(key.to_ascii_lowercase(), value);
    }
}

/// Which carrier the invocation's trace context came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceSource {
    /// The Invoke API's client context.
    ClientContext,
    /// The lab's member of the event ([`EVENT_MEMBER`]).
    Event,
    /// Lambda's trace header (`_X_AMZN_TRACE_ID`).
    LambdaTraceHeader,
    /// None of them: the invocation starts a trace.
    New,
}

impl TraceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceSource::ClientContext => "client_context",
            TraceSource::Event => "event",
            TraceSource::LambdaTraceHeader => "lambda_trace_header",
            TraceSource::New => "new",
        }
    }
}

/// The fields of the event's [`EVENT_MEMBER`], if it has one.
pub fn event_fields(event: &serde_json::Value) -> Option<Fields> {
    let member = event.get(EVENT_MEMBER)?.as_object()?;
    Some(Fields(
        member
            .iter()
            .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_owned())))
            .collect(),
    ))
}

/// The parent of an invocation's span, and where it came from (see the
/// module documentation for the order).
pub fn parent_context(
    context: &Context,
    event: Option<&Fields>,
    propagator: &dyn Propagator,
) -> (Option<SpanContext>, TraceSource) {
    if let Some(cc) = &context.client_context
        && let Some(parent) = propagator.extract(&Fields::from_pairs(&cc.custom))
    {
        return (Some(parent), TraceSource::ClientContext);
    }
    if let Some(fields) = event
        && let Some(parent) = propagator.extract(fields)
    {
        return (Some(parent), TraceSource::Event);
    }
    if let Some(header) = context.xray_trace_id.as_deref()
        && let Some(parent) = propagator.extract(&Fields::new().with("x-amzn-trace-id", header))
    {
        return (Some(parent), TraceSource::LambdaTraceHeader);
    }
    (None, TraceSource::New)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_context_is_base64_json_with_the_fields_in_custom() {
        let fields = Fields::new().with(
            "X-Amzn-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        );
        let raw = base64::engine::general_purpose::STANDARD
            .decode(fields.client_context())
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(
            json["custom"]["x-amzn-trace-id"],
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        );
        let custom: BTreeMap<String, String> =
            serde_json::from_value(json["custom"].clone()).unwrap();
        assert_eq!(Fields::from_pairs(&custom), fields);
    }

    #[test]
    fn the_event_member_is_read_when_present() {
        let event = serde_json::json!({"Records": [], EVENT_MEMBER: {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}});
        let fields = event_fields(&event).unwrap();
        assert_eq!(
            fields.get("TraceParent"),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
        assert_eq!(event_fields(&serde_json::json!({"Records": []})), None);
    }
}
