//! The backend-neutral records the tracing glue hands to a backend: a
//! finished span, a log record, and the resource describing who emitted them.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::SystemTime;

use crate::context::{SpanContext, SpanId};
use crate::value::{KeyValue, Value};

/// The role of a span in a trace (the OpenTelemetry span kinds; X-Ray
/// expresses `server` as a segment and the rest as subsegments).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    #[default]
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// Parses the value of the `span.kind` control field; unknown values are
    /// `Internal`.
    pub fn parse(s: &str) -> SpanKind {
        match s {
            "server" => SpanKind::Server,
            "client" => SpanKind::Client,
            "producer" => SpanKind::Producer,
            "consumer" => SpanKind::Consumer,
            _ => SpanKind::Internal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// Outcome of a span. `Error` when the span carries an `error.type`
/// attribute; the shop never sets `Ok` explicitly (the OTel convention).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum SpanStatus {
    #[default]
    Unset,
    Error {
        /// The `error.type` value, or the message of the last ERROR event.
        description: String,
    },
}

/// Something that happened during a span: a `tracing` event recorded while
/// the span was current. Events with `exception.*` fields are exceptions.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanEvent {
    pub name: Cow<'static, str>,
    pub timestamp: SystemTime,
    pub level: tracing::Level,
    pub attributes: Vec<KeyValue>,
}

impl SpanEvent {
    /// True when the event describes an exception (has `exception.type` or
    /// `exception.message`).
    pub fn is_exception(&self) -> bool {
        self.attributes.iter().any(|kv| {
            kv.key == crate::semconv::EXCEPTION_TYPE || kv.key == crate::semconv::EXCEPTION_MESSAGE
        })
    }
}

/// A finished, sampled span, handed to the backend once, when it closes.
#[derive(Clone, Debug)]
pub struct SpanRecord {
    pub context: SpanContext,
    /// The parent span, local or remote; `None` for a trace root.
    pub parent_span_id: Option<SpanId>,
    /// True when the parent lives in another process (so this span is the
    /// local root of its trace in this service: an X-Ray *segment*).
    pub parent_is_remote: bool,
    pub name: Cow<'static, str>,
    pub kind: SpanKind,
    /// The `tracing` target (module path) that created the span: the
    /// instrumentation scope.
    pub target: &'static str,
    pub start_time: SystemTime,
    pub end_time: SystemTime,
    pub attributes: Vec<KeyValue>,
    pub events: Vec<SpanEvent>,
    /// Events not kept because the span already held
    /// [`crate::layer::MAX_EVENTS_PER_SPAN`].
    pub dropped_events: u32,
    pub status: SpanStatus,
    pub request_id: Option<Arc<str>>,
    /// Other spans this one is causally related to without being their
    /// child: the messages a batch `receive` span took, each in its own
    /// trace ([`crate::trace::add_link`]). OTLP carries them; X-Ray has no
    /// links, so the awssdk backend lists them in metadata.
    pub links: Vec<crate::context::SpanContext>,
    /// `None` for every span the shop makes. `Some` for a span the shop
    /// *relays* for another producer (the browser, through the RUM intake):
    /// the backend ships it under that producer's resource, so it shows as
    /// its own service (`shop-web`), not as the shop's ([`crate::Telemetry::relay_span`]).
    pub relayed_for: Option<Arc<Resource>>,
}

impl SpanRecord {
    /// The value of an attribute, if set.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        crate::value::find(&self.attributes, key)
    }

    /// True when this span has no parent in this process: it starts the
    /// service's part of the trace (a root, or a child of a remote parent).
    pub fn is_local_root(&self) -> bool {
        self.parent_span_id.is_none() || self.parent_is_remote
    }
}

/// One structured log event (a `tracing` event), with the trace context of
/// the span it happened in. Emitted for every event that passes the level
/// filter, whether or not the trace is sampled, so logs never depend on
/// trace sampling.
#[derive(Clone, Debug)]
pub struct LogRecord {
    pub timestamp: SystemTime,
    pub level: tracing::Level,
    pub target: &'static str,
    pub message: String,
    /// The event's fields other than `message`.
    pub attributes: Vec<KeyValue>,
    /// The context of the span the event happened in, if any.
    pub span_context: Option<SpanContext>,
    pub request_id: Option<Arc<str>>,
    /// As [`SpanRecord::relayed_for`]: `Some` for a record the shop relays
    /// for another producer.
    pub relayed_for: Option<Arc<Resource>>,
}

impl LogRecord {
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        crate::value::find(&self.attributes, key)
    }
}

/// Who emits the telemetry: the OpenTelemetry *resource*, which X-Ray calls
/// the segment's `name`/`origin`/`aws` fields and CloudWatch the log group
/// and metric namespace/dimensions.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Resource {
    /// `service.name`, e.g. `shop` or `shop-orders`.
    pub service_name: String,
    pub service_version: String,
    /// `service.namespace`, e.g. `observability-shop-lab`.
    pub service_namespace: String,
    /// `deployment.environment.name`, e.g. `local`.
    pub environment: String,
    /// `service.instance.id`: unique per process.
    pub instance_id: String,
    pub host_name: String,
    pub process_pid: u32,
    /// Further attributes (e.g. from `OTEL_RESOURCE_ATTRIBUTES`).
    pub attributes: Vec<(String, String)>,
}

impl Resource {
    /// A resource for this process with the given service name and version;
    /// other fields take local defaults.
    pub fn new(service_name: impl Into<String>, service_version: impl Into<String>) -> Resource {
        let host_name = std::env::var("HOSTNAME")
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|h| h.trim().to_owned())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Resource {
            service_name: service_name.into(),
            service_version: service_version.into(),
            service_namespace: "observability-shop-lab".to_owned(),
            environment: "local".to_owned(),
            instance_id: format!("{:032x}", rand::random::<u128>()),
            host_name,
            process_pid: std::process::id(),
            attributes: Vec::new(),
        }
    }
}
