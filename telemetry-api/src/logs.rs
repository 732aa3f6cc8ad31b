//! Local structured logs (O-LOG-01/02/04): every log record as one JSON line,
//! with level, message, service, request id and trace id, written to the
//! console (stdout for a server, stderr for a command whose stdout is its
//! answer) without blocking the request path.
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
/// fields under their (dotted) names. (A field named like one before it is
/// left out: the first value of a name wins.)
///
/// For a line to ship, [`to_json_line`] writes the same object straight to
/// text; this map is for reading a record as JSON (tests, tools).
pub fn to_json(
    record: &LogRecord,
    service: &str,
    format_trace_id: fn(TraceId) -> String,
) -> Map<String, Json> {
    match serde_json::to_value(Line::new(record, service, format_trace_id)) {
        Ok(Json::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The JSON object of [`to_json`] as one line of text (no newline), written
/// directly: no intermediate map, no copies of the message or the fields.
/// This is what each log record costs on its way to stdout and to the
/// backend, so it is kept to one pass over the record.
pub fn to_json_line(
    record: &LogRecord,
    service: &str,
    format_trace_id: fn(TraceId) -> String,
) -> String {
    serde_json::to_string(&Line::new(record, service, format_trace_id)).unwrap_or_default()
}

/// A record about to be written as JSON (see [`to_json`] for the fields).
struct Line<'a> {
    record: &'a LogRecord,
    service: &'a str,
    format_trace_id: fn(TraceId) -> String,
}

/// The names written before the event's own fields; a field with one of
/// these names is left out.
const FIXED: [&str; 9] = [
    "timestamp",
    "level",
    "message",
    "target",
    "service",
    "request_id",
    "trace_id",
    "span_id",
    "trace_sampled",
];

impl<'a> Line<'a> {
    fn new(
        record: &'a LogRecord,
        service: &'a str,
        format_trace_id: fn(TraceId) -> String,
    ) -> Self {
        Line {
            record,
            // A relayed record (the browser's) names its own producer.
            service: record
                .relayed_for
                .as_deref()
                .map_or(service, |r| r.service_name.as_str()),
            format_trace_id,
        }
    }
}

impl serde::Serialize for Line<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let r = self.record;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "timestamp",
            &format_args!("{}", humantime::format_rfc3339_micros(r.timestamp)),
        )?;
        m.serialize_entry("level", r.level.as_str())?;
        m.serialize_entry("message", &r.message)?;
        m.serialize_entry("target", r.target)?;
        m.serialize_entry("service", self.service)?;
        if let Some(id) = &r.request_id {
            m.serialize_entry("request_id", &**id)?;
        }
        if let Some(ctx) = &r.span_context {
            m.serialize_entry("trace_id", &(self.format_trace_id)(ctx.trace_id))?;
            m.serialize_entry("span_id", &format_args!("{:016x}", ctx.span_id.0))?;
            m.serialize_entry("trace_sampled", &ctx.sampled)?;
        }
        for (i, kv) in r.attributes.iter().enumerate() {
            // The first value of a name wins, as in a map filled in order.
            let fixed_and_present = match kv.key {
                "request_id" => r.request_id.is_some(),
                "trace_id" | "span_id" | "trace_sampled" => r.span_context.is_some(),
                k => FIXED.contains(&k),
            };
            if fixed_and_present || r.attributes[..i].iter().any(|e| e.key == kv.key) {
                continue;
            }
            match &kv.value {
                Value::Bool(b) => m.serialize_entry(kv.key, b)?,
                Value::I64(v) => m.serialize_entry(kv.key, v)?,
                // Not finite: `null`, as JSON has no such numbers.
                Value::F64(f) if !f.is_finite() => m.serialize_entry(kv.key, &())?,
                Value::F64(f) => m.serialize_entry(kv.key, f)?,
                Value::Str(v) => m.serialize_entry(kv.key, &**v)?,
            }
        }
        m.end()
    }
}

/// Which console stream the JSON lines go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    /// A server's or a function's: stdout is where platforms (ECS, Lambda,
    /// systemd) collect logs from.
    Stdout,
    /// A command-line tool's: its stdout is its answer (a token, a verdict),
    /// so logs stay out of it. The writer is a background thread, so on the
    /// same stream its lines would interleave with the answer's in any order.
    Stderr,
}

/// JSON lines on the console through a bounded, lossy background writer: if
/// the stream cannot keep up, lines are dropped (and counted) rather than
/// slowing requests down.
pub struct JsonLines {
    service: String,
    format_trace_id: fn(TraceId) -> String,
    writer: NonBlocking,
}

impl JsonLines {
    /// Returns the sink and the guard that flushes pending lines when dropped
    /// (keep it alive until shutdown).
    pub fn new(
        service: String,
        format_trace_id: fn(TraceId) -> String,
        console: Console,
    ) -> (Arc<Self>, WorkerGuard) {
        let builder = NonBlockingBuilder::default()
            .lossy(true)
            .buffered_lines_limit(64 * 1024)
            .thread_name("shop-log-writer");
        let (writer, guard) = match console {
            Console::Stdout => builder.finish(std::io::stdout()),
            Console::Stderr => builder.finish(std::io::stderr()),
        };
        (
            Arc::new(JsonLines {
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

impl LogSink for JsonLines {
    fn emit(&self, record: &LogRecord) {
        let mut line = Vec::with_capacity(256);
        let l = Line::new(record, &self.service, self.format_trace_id);
        if serde_json::to_writer(&mut line, &l).is_err() {
            return;
        }
        line.push(b'\n');
        let _ = self.writer.clone().write_all(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{SpanContext, SpanId, TraceId};
    use crate::value::KeyValue;
    use std::borrow::Cow;

    fn kv(key: &'static str, value: Value) -> KeyValue {
        KeyValue { key, value }
    }

    #[test]
    fn the_line_is_the_map_as_text_and_the_first_value_of_a_name_wins() {
        let record = LogRecord {
            timestamp: std::time::UNIX_EPOCH
                + std::time::Duration::from_micros(1_700_000_000_123_456),
            level: tracing::Level::WARN,
            target: "shop::http",
            message: "a \"quoted\" message\nwith a newline".to_owned(),
            attributes: vec![
                kv("service", Value::Str(Cow::Borrowed("not the service"))),
                kv(
                    "request_id",
                    Value::Str(Cow::Borrowed("kept: no request id")),
                ),
                kv("trace_id", Value::Str(Cow::Borrowed("dropped: in a span"))),
                kv("ratio", Value::F64(f64::NAN)),
                kv("count", Value::I64(-3)),
                kv("count", Value::I64(4)),
                kv("ok", Value::Bool(true)),
            ],
            span_context: Some(SpanContext {
                trace_id: TraceId(7),
                span_id: SpanId(9),
                sampled: false,
                is_remote: false,
                trace_state: None,
            }),
            request_id: None,
            relayed_for: None,
        };
        let line = to_json_line(&record, "shop", |t| t.to_hex());
        let map = to_json(&record, "shop", |t| t.to_hex());
        assert_eq!(line, Json::Object(map.clone()).to_string());
        let parsed: Map<String, Json> = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed, map);
        assert_eq!(map["timestamp"], "2023-11-14T22:13:20.123456Z");
        assert_eq!(map["service"], "shop");
        assert_eq!(map["request_id"], "kept: no request id");
        assert_eq!(map["trace_id"], TraceId(7).to_hex());
        assert_eq!(map["span_id"], "0000000000000009");
        assert_eq!(map["trace_sampled"], false);
        assert_eq!(map["ratio"], Json::Null);
        assert_eq!(map["count"], -3);
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            [
                "timestamp",
                "level",
                "message",
                "target",
                "service",
                "trace_id",
                "span_id",
                "trace_sampled",
                "request_id",
                "ratio",
                "count",
                "ok"
            ]
        );
    }
}
