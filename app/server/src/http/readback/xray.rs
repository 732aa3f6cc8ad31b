//! Reading a trace back from X-Ray (`BatchGetTraces`), as the X-Ray
//! console does, and turning its segment documents into [`StoredSpan`]s.
//!
//! A segment document is JSON: the segment (one per service that took part),
//! its subsegments nested inside it, each with `start_time`/`end_time` in
//! epoch seconds, `error`/`fault` flags, and blocks (`http`, `aws`, `sql`,
//! `annotations`, `metadata`) that become dotted attribute names here.
//! In the lab the endpoint is moto's (`AWS_ENDPOINT_URL_XRAY`); in AWS, X-Ray's.

use std::collections::BTreeMap;

use aws_sdk_xray::error::DisplayErrorContext;
use serde_json::Value;
use telemetry_api::export::without_telemetry;

use super::model::{
    Outcome, ReadingStatus, SessionReading, StoreReading, StoredEvent, StoredLog, StoredSpan,
    tree_order,
};

/// The awssdk backend writes here directly; the otel backend's collector through its X-Ray leg.
pub const LABEL: &str = "X-Ray (moto in the lab)";

/// The trace `xray_id` (`1-5f84c7a1-…`) as X-Ray keeps it.
pub async fn read(client: &aws_sdk_xray::Client, xray_id: &str) -> StoreReading {
    let command = command(xray_id);
    let answer = without_telemetry(client.batch_get_traces().trace_ids(xray_id).send()).await;
    let out = match answer {
        Ok(out) => out,
        Err(e) => {
            return StoreReading {
                store: "xray",
                label: LABEL,
                status: ReadingStatus::Unavailable,
                message: Some(format!(
                    "BatchGetTraces failed: {}",
                    DisplayErrorContext(&e)
                )),
                spans: Vec::new(),
                logs: Vec::new(),
                command,
            };
        }
    };
    let documents = out
        .traces()
        .iter()
        .flat_map(|t| t.segments())
        .filter_map(|s| s.document());
    let mut spans = Vec::new();
    let mut unreadable = 0;
    for doc in documents {
        match serde_json::from_str::<Value>(doc) {
            Ok(doc) => segment_spans(&doc, &mut spans),
            Err(_) => unreadable += 1,
        }
    }
    let status = if spans.is_empty() {
        ReadingStatus::Missing
    } else {
        ReadingStatus::Found
    };
    let message = match (status, unreadable) {
        (_, n) if n > 0 => Some(format!("{n} segment documents were not JSON")),
        (ReadingStatus::Missing, _) => Some(
            "X-Ray has no segment of this trace: not sampled (X-Ray's rules), not sent yet, or a request to another shop"
                .to_owned(),
        ),
        _ => None,
    };
    StoreReading {
        store: "xray",
        label: LABEL,
        status,
        message,
        spans: tree_order(spans),
        logs: Vec::new(),
        command,
    }
}

/// The awssdk backend's log lines of the trace, from CloudWatch Logs: its JSON lines carry the
/// X-Ray trace id (`trace_id`), so the events of the group around the trace's time are read and
/// matched here, in the project, rather than with a filter pattern the emulator may not honour.
/// `Err` when CloudWatch Logs did not answer.
pub async fn logs(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    xray_id: &str,
    around_ms: Option<(f64, f64)>,
) -> Result<Vec<StoredLog>, String> {
    // A minute before the first span to five after the last (batching delays the lines'
    // arrival, not their timestamps).
    let (from, to) = around_ms.map_or((None, None), |(a, b)| {
        (Some(a as i64 - 60_000), Some(b as i64 + 300_000))
    });
    scan(client, group, from, to, |line| {
        line.get("trace_id").and_then(Value::as_str) == Some(xray_id)
    })
    .await
}

/// Where the awssdk backend's log lines are, beside X-Ray.
pub const LOGS_LABEL: &str = "CloudWatch Logs, beside X-Ray (LocalStack in the lab)";

/// The log lines of one browser session since `from_ms`: the lines the UI's records became
/// (`service` `shop-web`) carry the tab's `session.id`, matched here like a trace's lines.
pub async fn read_session(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    session_id: &str,
    from_ms: i64,
) -> SessionReading {
    // A term pattern (the id in quotes) finds the same lines in AWS; the emulator's filter
    // patterns are not relied on, as for a trace's lines.
    let mut command = format!(
        "aws logs filter-log-events --log-group-name {group} --start-time {from_ms} --filter-pattern '\"{session_id}\"'"
    );
    if let Some(e) = endpoint("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") {
        command.push_str(&format!(" --endpoint-url {e}"));
    }
    let found = scan(client, group, Some(from_ms), None, |line| {
        line.get("session.id").and_then(Value::as_str) == Some(session_id)
    })
    .await;
    match found {
        Ok(logs) => SessionReading::of("xray", LOGS_LABEL, logs, command),
        Err(e) => SessionReading::unavailable("xray", LOGS_LABEL, e, command),
    }
}

/// The group's JSON lines between `from` and `to` (epoch ms) that `keep` picks, oldest first.
async fn scan(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    from: Option<i64>,
    to: Option<i64>,
    keep: impl Fn(&Value) -> bool,
) -> Result<Vec<StoredLog>, String> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    // Bounded: a busy group gives up after these pages rather than holding the request.
    for _ in 0..MAX_LOG_PAGES {
        let answer = without_telemetry(
            client
                .filter_log_events()
                .log_group_name(group)
                .set_start_time(from)
                .set_end_time(to)
                .set_next_token(next.clone())
                .send(),
        )
        .await
        .map_err(|e| {
            format!(
                "FilterLogEvents {group}: {}",
                aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e)
            )
        })?;
        for event in answer.events() {
            let Some(line) = event
                .message()
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
            else {
                continue;
            };
            if keep(&line) {
                out.push(log_of(&line, event.timestamp()));
            }
        }
        next = answer.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
    Ok(out)
}

const MAX_LOG_PAGES: usize = 10;

/// One of the shop's JSON log lines (telemetry_api::logs::to_json_line) as a [`StoredLog`].
fn log_of(line: &Value, timestamp: Option<i64>) -> StoredLog {
    let str_of = |k: &str| line.get(k).and_then(Value::as_str).map(str::to_owned);
    let attributes = line
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    ![
                        "timestamp",
                        "level",
                        "message",
                        "service",
                        "trace_id",
                        "span_id",
                    ]
                    .contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    StoredLog {
        time_ms: timestamp.unwrap_or_default() as f64,
        severity: str_of("level").unwrap_or_default(),
        body: str_of("message").unwrap_or_default(),
        service: str_of("service").unwrap_or_default(),
        span_id: str_of("span_id"),
        trace_id: str_of("trace_id").and_then(|t| super::parse_trace_id(&t)),
        attributes,
    }
}

/// `aws xray batch-get-traces …` at the endpoint the shop reads.
fn command(xray_id: &str) -> String {
    match endpoint("AWS_ENDPOINT_URL_XRAY") {
        Some(e) => format!("aws xray batch-get-traces --trace-ids {xray_id} --endpoint-url {e}"),
        None => format!("aws xray batch-get-traces --trace-ids {xray_id}"),
    }
}

/// The endpoint the SDK's chain takes for a service: its own variable, else `AWS_ENDPOINT_URL`
/// (for the commands the page shows).
pub fn endpoint(service_variable: &str) -> Option<String> {
    std::env::var(service_variable)
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|e| !e.is_empty())
}

/// The spans of one segment document: the segment, then its subsegments, depth first.
pub fn segment_spans(doc: &Value, out: &mut Vec<StoredSpan>) {
    // An independent subsegment (sent apart from its segment) names its parent itself.
    let top = doc.get("type").and_then(Value::as_str) != Some("subsegment");
    let service = doc.get("name").and_then(Value::as_str).unwrap_or("unnamed");
    walk(doc, service, None, top, out);
}

fn walk(doc: &Value, service: &str, parent: Option<&str>, top: bool, out: &mut Vec<StoredSpan>) {
    let Some(id) = doc.get("id").and_then(Value::as_str) else {
        return;
    };
    let str_of = |k: &str| doc.get(k).and_then(Value::as_str);
    let name = str_of("name").unwrap_or("unnamed").to_owned();
    let kind = if top {
        "server"
    } else {
        match str_of("namespace") {
            Some("aws" | "remote") => "client",
            _ => "internal",
        }
    };
    let flag = |k: &str| doc.get(k).and_then(Value::as_bool).unwrap_or(false);
    let outcome = if flag("fault") {
        Outcome::Fault
    } else if flag("error") || flag("throttle") {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    let mut attributes = BTreeMap::new();
    for block in ["http", "aws", "sql", "annotations", "metadata", "service"] {
        if let Some(v) = doc.get(block) {
            flatten(block, v, &mut attributes);
        }
    }
    for key in ["origin", "namespace", "user"] {
        if let Some(v) = doc.get(key) {
            attributes.insert(key.to_owned(), v.clone());
        }
    }
    let events = doc
        .pointer("/cause/exceptions")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|e| {
                    let mut attributes = BTreeMap::new();
                    for (k, name) in [("type", "exception.type"), ("message", "exception.message")]
                    {
                        if let Some(v) = e.get(k) {
                            attributes.insert(name.to_owned(), v.clone());
                        }
                    }
                    StoredEvent {
                        name: "exception".to_owned(),
                        time_ms: None,
                        attributes,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    out.push(StoredSpan {
        span_id: id.to_owned(),
        parent_id: str_of("parent_id").or(parent).map(str::to_owned),
        service: service.to_owned(),
        name,
        kind: kind.to_owned(),
        start_ms: doc.get("start_time").and_then(Value::as_f64).unwrap_or(0.0) * 1000.0,
        end_ms: doc
            .get("end_time")
            .and_then(Value::as_f64)
            .map(|t| t * 1000.0),
        outcome,
        attributes,
        events,
    });
    if let Some(subs) = doc.get("subsegments").and_then(Value::as_array) {
        for sub in subs {
            walk(sub, service, Some(id), false, out);
        }
    }
}

/// `{"http": {"response": {"status": 200}}}` → `http.response.status = 200`; arrays stay whole.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_segment_and_its_nested_subsegments_become_spans_of_its_service() {
        let doc = json!({
            "name": "shop", "id": "70de5b6f19ff9a0a", "trace_id": "1-581cf771-a006649127e371903a2de979",
            "parent_id": "aaaabbbbccccdddd",
            "start_time": 1.5e9, "end_time": 1.5e9 + 0.25, "fault": true,
            "http": {"request": {"method": "POST", "url": "/api/orders"}, "response": {"status": 500}},
            "annotations": {"shop_order_id": "o-1"},
            "cause": {"exceptions": [{"id": "e1", "type": "Timeout", "message": "db slow"}]},
            "subsegments": [{
                "name": "SELECT shop", "id": "1111222233334444", "namespace": "remote",
                "start_time": 1.5e9 + 0.01, "end_time": 1.5e9 + 0.02, "error": true,
                "sql": {"database_type": "sqlite"},
                "subsegments": [{"name": "inner", "id": "5555666677778888", "start_time": 1.5e9 + 0.011}]
            }]
        });
        let mut spans = Vec::new();
        segment_spans(&doc, &mut spans);
        assert_eq!(spans.len(), 3);
        let root = &spans[0];
        assert_eq!(
            (root.service.as_str(), root.kind.as_str()),
            ("shop", "server")
        );
        assert_eq!(root.parent_id.as_deref(), Some("aaaabbbbccccdddd"));
        assert_eq!(root.outcome, Outcome::Fault);
        assert_eq!(root.attributes["http.response.status"], json!(500));
        assert_eq!(root.attributes["annotations.shop_order_id"], json!("o-1"));
        assert_eq!(
            root.events[0].attributes["exception.message"],
            json!("db slow")
        );
        assert!((root.end_ms.unwrap() - root.start_ms - 250.0).abs() < 0.01);
        let sql = &spans[1];
        assert_eq!(
            (sql.service.as_str(), sql.kind.as_str()),
            ("shop", "client")
        );
        assert_eq!(sql.parent_id.as_deref(), Some("70de5b6f19ff9a0a"));
        assert_eq!(sql.outcome, Outcome::Error);
        assert_eq!(sql.attributes["sql.database_type"], json!("sqlite"));
        let inner = &spans[2];
        assert_eq!(inner.parent_id.as_deref(), Some("1111222233334444"));
        assert_eq!(inner.end_ms, None, "in progress");
    }

    #[test]
    fn a_document_without_an_id_gives_nothing() {
        let mut spans = Vec::new();
        segment_spans(&json!({"name": "x"}), &mut spans);
        assert!(spans.is_empty());
    }
}
