//! Browser log records (OTLP) → the contract's [`LogRecord`]s, relayed for
//! the browser app: what the UI logs is its errors (`window.onerror`,
//! unhandled rejections), each with its stack in `exception.stacktrace`.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::logs::v1::LogRecord as OtlpLogRecord;
use telemetry_api::{LogRecord, Resource, SpanContext, Value};

use super::attributes;
use super::{Converted, MAX_ITEMS, Window, invalid, scope_target};
use crate::http::error::ApiError;

/// The longest log body kept (characters).
const MAX_BODY: usize = 4096;

/// Converts and checks a log export request.
pub fn convert(
    request: ExportLogsServiceRequest,
    producer: &Arc<Resource>,
    window: &Window,
) -> Result<Converted<LogRecord>, ApiError> {
    let total: usize = request
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    if total > MAX_ITEMS {
        return Err(invalid(
            "resourceLogs",
            format!("{total} log records in one request; at most {MAX_ITEMS}"),
        ));
    }
    let mut out = Converted::default();
    for (i, rl) in request.resource_logs.into_iter().enumerate() {
        super::check_producer(
            rl.resource.as_ref(),
            producer,
            &format!("resourceLogs[{i}].resource"),
        )?;
        for (j, sl) in rl.scope_logs.into_iter().enumerate() {
            let target = scope_target(sl.scope.as_ref().map(|s| s.name.as_str()));
            for (k, log) in sl.log_records.into_iter().enumerate() {
                let at = format!("resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]");
                match record(log, &at, target, producer, window)? {
                    Ok(record) => out.items.push(record),
                    Err(reason) => out.reject(reason),
                }
            }
        }
    }
    Ok(out)
}

fn record(
    log: OtlpLogRecord,
    at: &str,
    target: &'static str,
    producer: &Arc<Resource>,
    window: &Window,
) -> Result<Result<LogRecord, String>, ApiError> {
    // The event's time, or when the SDK saw it (OTLP allows either alone).
    let nanos = match log.time_unix_nano {
        0 => log.observed_time_unix_nano,
        t => t,
    };
    if nanos == 0 {
        return Err(invalid(
            &format!("{at}.timeUnixNano"),
            "timeUnixNano or observedTimeUnixNano is required",
        ));
    }
    let timestamp = super::time(nanos);
    if let Err(reason) = window.check(timestamp) {
        return Ok(Err(format!("{at}: {reason}")));
    }
    let message = match log.body.as_ref().and_then(|b| b.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => match attributes::text(s, MAX_BODY) {
            Value::Str(s) => s.into_owned(),
            _ => String::new(),
        },
        None => String::new(),
        Some(_) => {
            return Err(invalid(
                &format!("{at}.body"),
                "must be a string (stringValue)",
            ));
        }
    };
    let span_context = match (log.trace_id.is_empty(), log.span_id.is_empty()) {
        (true, true) => None,
        _ => {
            let trace_id = super::trace_id(&log.trace_id).ok_or_else(|| {
                invalid(
                    &format!("{at}.traceId"),
                    "must be empty or 16 bytes, not all zero",
                )
            })?;
            let span_id = super::span_id(&log.span_id).ok_or_else(|| {
                invalid(
                    &format!("{at}.spanId"),
                    "must be 8 bytes, not all zero, when traceId is set",
                )
            })?;
            Some(SpanContext {
                trace_id,
                span_id,
                sampled: log.flags & 1 == 1,
                is_remote: false,
                trace_state: None,
            })
        }
    };
    let (attributes, _) = attributes::keep(&log.attributes);
    Ok(Ok(LogRecord {
        timestamp,
        level: level(log.severity_number),
        target,
        message,
        attributes,
        span_context,
        request_id: None,
        relayed_for: Some(producer.clone()),
    }))
}

/// OpenTelemetry's severity numbers (1–24) as `tracing` levels; unset is INFO.
fn level(severity: i32) -> tracing::Level {
    match severity {
        1..=4 => tracing::Level::TRACE,
        5..=8 => tracing::Level::DEBUG,
        13..=16 => tracing::Level::WARN,
        17..=24 => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    }
}
