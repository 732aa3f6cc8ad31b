//! Logs: the contract's log records as OpenTelemetry log records, through
//! the SDK's `BatchLogProcessor` to the OTLP log exporter.
//!
//! Each record carries the trace and span id of the span it happened in
//! (sampled or not: logs never depend on trace sampling, and the
//! `trace_flags` say whether the trace was recorded), so a log line joins
//! its trace in any OTLP backend. (The `awssdk` backend writes the same
//! record as a JSON line to CloudWatch Logs with an X-Ray trace id.)
//!
//! | contract | OTLP log record |
//! |---|---|
//! | `timestamp` | `time_unix_nano` (and `observed_time_unix_nano`, set by the SDK) |
//! | `level` | `severity_number` and `severity_text` (`TRACE`…`ERROR`) |
//! | `message` | `body` (a string) |
//! | `attributes` | `attributes` |
//! | `request_id` | attribute `shop.request.id` |
//! | `span_context` | `trace_id`, `span_id`, `flags` |
//! | `target` | instrumentation scope name |

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, Severity};
use opentelemetry::trace::TraceFlags;
use opentelemetry::{InstrumentationScope, Key};
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use telemetry_api::LogRecord;

use crate::traces::SHOP_REQUEST_ID;
use crate::traces::convert;

/// Emits contract log records into an SDK logger provider.
#[derive(Debug)]
pub struct LogBridge {
    /// One logger for all records; each record's `target` becomes its
    /// instrumentation scope name in OTLP (the SDK's OTLP encoding uses a
    /// record's target as the scope name, as `tracing` users expect).
    logger: SdkLogger,
}

impl LogBridge {
    pub fn new(provider: &SdkLoggerProvider) -> LogBridge {
        use opentelemetry::logs::LoggerProvider as _;
        LogBridge {
            logger: provider
                .logger_with_scope(InstrumentationScope::builder("telemetry-otel").build()),
        }
    }

    /// Converts and emits one record (the batch processor queues it).
    pub fn emit(&self, record: &LogRecord) {
        let mut r = self.logger.create_log_record();
        r.set_target(record.target);
        r.set_timestamp(record.timestamp);
        let (number, text) = severity(record.level);
        r.set_severity_number(number);
        r.set_severity_text(text);
        r.set_body(AnyValue::from(record.message.clone()));
        for kv in &record.attributes {
            r.add_attribute(Key::from_static_str(kv.key), convert::any_value(&kv.value));
        }
        if let Some(id) = &record.request_id {
            r.add_attribute(SHOP_REQUEST_ID, id.to_string());
        }
        if let Some(c) = &record.span_context {
            r.set_trace_context(
                convert::trace_id(c.trace_id),
                convert::span_id(c.span_id),
                Some(if c.sampled {
                    TraceFlags::SAMPLED
                } else {
                    TraceFlags::default()
                }),
            );
        }
        self.logger.emit(r);
    }
}

/// `tracing` levels as OpenTelemetry severities (the log data model's
/// mapping: TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17).
pub fn severity(level: tracing::Level) -> (Severity, &'static str) {
    match level {
        tracing::Level::TRACE => (Severity::Trace, "TRACE"),
        tracing::Level::DEBUG => (Severity::Debug, "DEBUG"),
        tracing::Level::INFO => (Severity::Info, "INFO"),
        tracing::Level::WARN => (Severity::Warn, "WARN"),
        tracing::Level::ERROR => (Severity::Error, "ERROR"),
    }
}
