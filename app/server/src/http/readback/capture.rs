//! Reading a trace back from the collector's store: the lab's capture
//! receiver (`otlp-capture`), the last stage of shop → collector → capture.
//! It answers OTLP/JSON (`GET /captured/traces?trace_id=…`, and `/logs`),
//! decoded here with the official OTLP types and turned into [`StoredSpan`]s
//! and [`StoredLog`]s. In AWS, the collector (ADOT) exports to X-Ray
//! instead; this store is what the lab has in its place.

use std::collections::BTreeMap;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use serde_json::Value;

use super::model::{
    Outcome, ReadingStatus, SessionReading, StoreReading, StoredEvent, StoredLog, StoredSpan,
    tree_order,
};
use super::service_map::{WindowTraces, trace_end_ms};

pub const LABEL: &str = "The collector's store (otlp-capture in the lab)";

/// The trace `hex_id` (32 hex digits) as the capture receiver at `base` keeps it.
pub async fn read(http: &reqwest::Client, base: &str, hex_id: &str) -> StoreReading {
    let base = base.trim_end_matches('/');
    let command = format!("curl -s '{base}/captured/traces?trace_id={hex_id}'");
    let unavailable = |message: String| StoreReading {
        store: "collector",
        label: LABEL,
        status: ReadingStatus::Unavailable,
        message: Some(message),
        spans: Vec::new(),
        logs: Vec::new(),
        command: command.clone(),
    };
    let traces: Vec<ExportTraceServiceRequest> =
        match get(http, &format!("{base}/captured/traces?trace_id={hex_id}")).await {
            Ok(t) => t,
            Err(e) => return unavailable(e),
        };
    let logs: Vec<ExportLogsServiceRequest> =
        match get(http, &format!("{base}/captured/logs?trace_id={hex_id}")).await {
            Ok(l) => l,
            Err(e) => return unavailable(e),
        };
    // The receiver filters by `trace_id`; an older one (a lab started before it could) answers
    // with everything, so the trace is picked out here too.
    let mut traces = traces;
    let mut logs = logs;
    keep_trace(&mut traces, &mut logs, hex_id);
    let spans = spans_of(&traces);
    let status = if spans.is_empty() {
        ReadingStatus::Missing
    } else {
        ReadingStatus::Found
    };
    StoreReading {
        store: "collector",
        label: LABEL,
        status,
        message: (status == ReadingStatus::Missing).then(|| {
            "the collector's store has no span of this trace: not sampled, still in a batch (the collector sends every few seconds), or a request to another shop".to_owned()
        }),
        spans: tree_order(spans),
        logs: logs_of(&logs),
        command,
    }
}

/// Every trace that ended since `since_ms` as the capture receiver keeps it, the newest `cap` of
/// them. The receiver has no time index: its whole listing (`GET /captured/traces`) is read and
/// the window picked here, by each trace's last end. `Err` when the receiver did not answer.
pub async fn read_window(
    http: &reqwest::Client,
    base: &str,
    since_ms: i64,
    cap: usize,
) -> Result<WindowTraces, String> {
    let base = base.trim_end_matches('/');
    // A long-running lab's store is large: more time than for one trace.
    let requests: Vec<ExportTraceServiceRequest> = get_within(
        http,
        &format!("{base}/captured/traces"),
        Duration::from_secs(25),
    )
    .await?;
    let mut traces: Vec<(f64, Vec<StoredSpan>)> = traces_of(&requests)
        .into_values()
        .map(|spans| (trace_end_ms(&spans), spans))
        .filter(|(end, _)| *end >= since_ms as f64)
        .collect();
    let listed = traces.len();
    let mut notes = Vec::new();
    if listed > cap {
        // Newest first, so that the cap keeps the traces a learner just made.
        traces.sort_by(|a, b| b.0.total_cmp(&a.0));
        traces.truncate(cap);
        notes.push(format!(
            "the collector's store holds {listed} traces in the window: the newest {cap} were read"
        ));
    }
    Ok(WindowTraces {
        traces: traces.into_iter().map(|(_, spans)| spans).collect(),
        listed,
        truncated: listed > cap,
        notes,
    })
}

/// `curl` for the capture receiver's listing the window is read from.
pub fn window_command(base: &str) -> String {
    format!("curl -s '{}/captured/traces'", base.trim_end_matches('/'))
}

/// The log records of the browser session `session_id` as the capture receiver keeps them:
/// the UI's events and errors, each with its trace.
pub async fn read_session(http: &reqwest::Client, base: &str, session_id: &str) -> SessionReading {
    let base = base.trim_end_matches('/');
    // The id is a token (letters, digits, `-`, `_`): nothing in it needs escaping in a URL.
    let url = format!("{base}/captured/logs?service=shop-web&session_id={session_id}");
    let command = format!("curl -s '{url}'");
    let logs: Vec<ExportLogsServiceRequest> = match get(http, &url).await {
        Ok(l) => l,
        Err(e) => return SessionReading::unavailable("collector", LABEL, e, command),
    };
    // A receiver older than `session_id` answers with every record of the service.
    let mut logs = logs_of(&logs);
    logs.retain(|l| l.attributes.get("session.id").and_then(Value::as_str) == Some(session_id));
    SessionReading::of("collector", LABEL, logs, command)
}

async fn get<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    get_within(http, url, Duration::from_secs(5)).await
}

async fn get_within<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<T, String> {
    let answer = http
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !answer.status().is_success() {
        return Err(format!("GET {url}: {}", answer.status()));
    }
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("GET {url}: not OTLP/JSON ({e})"))
}

/// Only the spans and log records of the trace `hex_id`.
fn keep_trace(
    traces: &mut [ExportTraceServiceRequest],
    logs: &mut [ExportLogsServiceRequest],
    hex_id: &str,
) {
    for ss in traces
        .iter_mut()
        .flat_map(|r| &mut r.resource_spans)
        .flat_map(|rs| &mut rs.scope_spans)
    {
        ss.spans.retain(|s| hex(&s.trace_id) == hex_id);
    }
    for sl in logs
        .iter_mut()
        .flat_map(|r| &mut r.resource_logs)
        .flat_map(|rl| &mut rl.scope_logs)
    {
        sl.log_records.retain(|l| hex(&l.trace_id) == hex_id);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// An OTLP value as JSON (arrays and maps kept whole; bytes as hex).
fn json_of(v: &AnyValue) -> Value {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::BoolValue(b)) => Value::from(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::BytesValue(b)) => Value::from(hex(b)),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(json_of).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().map_or(Value::Null, json_of),
                    )
                })
                .collect(),
        ),
        // A reference into a dictionary this store does not keep (OTLP's string table): unreadable here.
        Some(any_value::Value::StringValueStrindex(i)) => Value::from(format!("(string #{i})")),
        None => Value::Null,
    }
}

fn attributes(kvs: &[KeyValue]) -> BTreeMap<String, Value> {
    kvs.iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map_or(Value::Null, json_of),
            )
        })
        .collect()
}

fn service(resource: Option<&opentelemetry_proto::tonic::resource::v1::Resource>) -> String {
    resource
        .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
        .and_then(|kv| kv.value.as_ref())
        .map_or_else(
            || "unknown".to_owned(),
            |v| match json_of(v) {
                Value::String(s) => s,
                other => other.to_string(),
            },
        )
}

/// Every span of the requests, with its resource's `service.name`.
pub fn spans_of(requests: &[ExportTraceServiceRequest]) -> Vec<StoredSpan> {
    let mut out = Vec::new();
    each_span(requests, |_, span| out.push(span));
    out
}

/// The spans of the requests by trace (32 hex digits): a trace's spans arrive in many exports.
pub fn traces_of(requests: &[ExportTraceServiceRequest]) -> BTreeMap<String, Vec<StoredSpan>> {
    let mut out: BTreeMap<String, Vec<StoredSpan>> = BTreeMap::new();
    each_span(requests, |trace_id, span| {
        out.entry(hex(trace_id)).or_default().push(span)
    });
    out
}

/// Each span of the requests as a [`StoredSpan`], with the trace id it belongs to.
fn each_span(requests: &[ExportTraceServiceRequest], mut out: impl FnMut(&[u8], StoredSpan)) {
    for rs in requests.iter().flat_map(|r| &r.resource_spans) {
        let service = service(rs.resource.as_ref());
        for span in rs.scope_spans.iter().flat_map(|ss| &ss.spans) {
            let kind = match SpanKind::try_from(span.kind) {
                Ok(SpanKind::Server) => "server",
                Ok(SpanKind::Client) => "client",
                Ok(SpanKind::Producer) => "producer",
                Ok(SpanKind::Consumer) => "consumer",
                _ => "internal",
            };
            let attributes = attributes(&span.attributes);
            let errored = span
                .status
                .as_ref()
                .is_some_and(|s| s.code == StatusCode::Error as i32);
            // OTLP has one error status; a 5xx on the span (or an error.type without a 4xx)
            // is what X-Ray calls a fault.
            let status_code = attributes
                .get("http.response.status_code")
                .and_then(Value::as_i64);
            let outcome = match (errored, status_code) {
                (_, Some(c)) if c >= 500 => Outcome::Fault,
                (true, _) => Outcome::Error,
                (false, Some(c)) if c >= 400 => Outcome::Error,
                _ => Outcome::Ok,
            };
            out(
                &span.trace_id,
                StoredSpan {
                    span_id: hex(&span.span_id),
                    parent_id: (!span.parent_span_id.is_empty()).then(|| hex(&span.parent_span_id)),
                    service: service.clone(),
                    name: span.name.clone(),
                    kind: kind.to_owned(),
                    start_ms: ms(span.start_time_unix_nano),
                    end_ms: Some(ms(span.end_time_unix_nano)),
                    outcome,
                    attributes,
                    events: span
                        .events
                        .iter()
                        .map(|e| StoredEvent {
                            name: e.name.clone(),
                            time_ms: Some(ms(e.time_unix_nano)),
                            attributes: self::attributes(&e.attributes),
                        })
                        .collect(),
                },
            );
        }
    }
}

/// Every log record of the requests, oldest first.
pub fn logs_of(requests: &[ExportLogsServiceRequest]) -> Vec<StoredLog> {
    let mut out = Vec::new();
    for rl in requests.iter().flat_map(|r| &r.resource_logs) {
        let service = service(rl.resource.as_ref());
        for record in rl.scope_logs.iter().flat_map(|sl| &sl.log_records) {
            let time = if record.time_unix_nano > 0 {
                record.time_unix_nano
            } else {
                record.observed_time_unix_nano
            };
            out.push(StoredLog {
                time_ms: ms(time),
                severity: if record.severity_text.is_empty() {
                    format!("severity {}", record.severity_number)
                } else {
                    record.severity_text.clone()
                },
                body: match record.body.as_ref().map(json_of) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => String::new(),
                },
                service: service.clone(),
                span_id: (!record.span_id.is_empty()).then(|| hex(&record.span_id)),
                trace_id: (!record.trace_id.is_empty()).then(|| hex(&record.trace_id)),
                attributes: attributes(&record.attributes),
            });
        }
    }
    out.sort_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn otlp_json_spans_and_logs_become_stored_ones() {
        let traces: Vec<ExportTraceServiceRequest> = serde_json::from_value(json!([{
            "resourceSpans": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                "scopeSpans": [{"spans": [{
                    "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
                    "parentSpanId": "00f067aa0ba902b7", "name": "POST /api/orders", "kind": 2,
                    "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000",
                    "attributes": [{"key": "http.response.status_code", "value": {"intValue": "503"}}],
                    "status": {"code": 2},
                    "events": [{"name": "exception", "timeUnixNano": "1700000000100000000",
                        "attributes": [{"key": "exception.type", "value": {"stringValue": "Timeout"}}]}]
                }]}]
            }]
        }]))
        .unwrap();
        let spans = spans_of(&traces);
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!((s.service.as_str(), s.kind.as_str()), ("shop", "server"));
        assert_eq!(s.parent_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_eq!(s.outcome, Outcome::Fault);
        assert!((s.end_ms.unwrap() - s.start_ms - 250.0).abs() < 0.01);
        assert_eq!(s.attributes["http.response.status_code"], json!(503));
        assert_eq!(s.events[0].attributes["exception.type"], json!("Timeout"));

        // Two exports of one trace, and another trace: grouped by trace id.
        let twice: Vec<ExportTraceServiceRequest> = [&traces[..], &traces[..]].concat();
        let mut other = traces.clone();
        other[0].resource_spans[0].scope_spans[0].spans[0].trace_id = vec![7; 16];
        let grouped = traces_of(&[twice, other].concat());
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped["0af7651916cd43dd8448eb211c80319c"].len(), 2);
        assert_eq!(grouped["07070707070707070707070707070707"].len(), 1);

        let logs: Vec<ExportLogsServiceRequest> = serde_json::from_value(json!([{
            "resourceLogs": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
                "scopeLogs": [{"logRecords": [{
                    "timeUnixNano": "1700000000200000000", "severityNumber": 17, "severityText": "ERROR",
                    "body": {"stringValue": "request failed"}, "spanId": "b7ad6b7169203331",
                    "traceId": "0af7651916cd43dd8448eb211c80319c"
                }]}]
            }]
        }]))
        .unwrap();
        let logs = logs_of(&logs);
        assert_eq!(logs.len(), 1);
        assert_eq!(
            (logs[0].severity.as_str(), logs[0].body.as_str()),
            ("ERROR", "request failed")
        );
        assert_eq!(logs[0].span_id.as_deref(), Some("b7ad6b7169203331"));
    }
}
