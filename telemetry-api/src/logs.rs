//! Local structured logs (O-LOG-01/02/04): every log record as one JSON line,
//! with level, message, service, request id and trace id, written to stdout
//! without blocking the request path.
//!
//! This is the process's own console output, independent of the backend
//! (which ships the same records to CloudWatch Logs or as OTLP logs).

use std::io::Write;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};

use crate::context::TraceId;
use crate::record::LogRecord;
use crate::value::Value;

/// Somewhere log records go besides the backend.
pub trait LogSink: Send + Sync + 'static {
    fn emit(&self, record: &LogRecord);
}

/// Renders a log record as a JSON object: `timestamp` (RFC 3339, UTC,
/// microseconds), `level`, `message`, `target`, `service`, then `request_id`,
/// `trace_id`, `span_id` and `trace_sampled` when known, then the event's own
/// fields under their (dotted) names.
pub fn to_json(
    record: &LogRecord,
    service: &str,
    format_trace_id: fn(TraceId) -> String,
) -> Map<String, Json> {
    let mut m = Map::with_capacity(8 + record.attributes.len());
    m.insert(
        "timestamp".into(),
        Json::String(humantime::format_rfc3339_micros(record.timestamp).to_string()),
    );
    m.insert(
        "level".into(),
        Json::String(record.level.as_str().to_owned()),
    );
    m.insert("message".into(), Json::String(record.message.clone()));
    m.insert("target".into(), Json::String(record.target.to_owned()));
    m.insert("service".into(), Json::String(service.to_owned()));
    if let Some(id) = &record.request_id {
        m.insert("request_id".into(), Json::String(id.to_string()));
    }
    if let Some(ctx) = &record.span_context {
        m.insert(
            "trace_id".into(),
            Json::String(format_trace_id(ctx.trace_id)),
        );
        m.insert("span_id".into(), Json::String(ctx.span_id.to_hex()));
        m.insert("trace_sampled".into(), Json::Bool(ctx.sampled));
    }
    for kv in &record.attributes {
        let v = match &kv.value {
            Value::Bool(b) => Json::Bool(*b),
            Value::I64(i) => Json::from(*i),
            Value::F64(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
        };
        m.entry(kv.key.to_owned()).or_insert(v);
    }
    m
}

/// JSON lines on stdout through a bounded, lossy background writer: if
/// stdout cannot keep up, lines are dropped (and counted) rather than slowing
/// requests down.
pub struct StdoutJsonLines {
    service: String,
    format_trace_id: fn(TraceId) -> String,
    writer: NonBlocking,
}

impl StdoutJsonLines {
    /// Returns the sink and the guard that flushes pending lines when dropped
    /// (keep it alive until shutdown).
    pub fn new(
        service: String,
        format_trace_id: fn(TraceId) -> String,
    ) -> (Arc<Self>, WorkerGuard) {
        let (writer, guard) = NonBlockingBuilder::default()
            .lossy(true)
            .buffered_lines_limit(64 * 1024)
            .thread_name("shop-log-writer")
            .finish(std::io::stdout());
        (
            Arc::new(StdoutJsonLines {
                service,
                format_trace_id,
                writer,
            }),
            guard,
        )
    }

    /// Lines dropped because the writer was full.
    pub fn dropped(&self) -> u64 {
        self.writer.error_counter().dropped_lines() as u64
    }
}

impl LogSink for StdoutJsonLines {
    fn emit(&self, record: &LogRecord) {
        let mut line =
            match serde_json::to_vec(&to_json(record, &self.service, self.format_trace_id)) {
                Ok(l) => l,
                Err(_) => return,
            };
        line.push(b'\n');
        let _ = self.writer.clone().write_all(&line);
    }
}
