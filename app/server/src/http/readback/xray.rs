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
use aws_sdk_xray::primitives::DateTime;
use serde_json::Value;
use telemetry_api::export::without_telemetry;

use super::model::{
    Outcome, ReadingStatus, SessionReading, StoreReading, StoredEvent, StoredLog, StoredSpan,
    tree_order,
};
use super::service_map::{WindowTraces, trace_end_ms};

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
    let (spans, unreadable) = document_spans(documents);
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

/// `GetTraceSummaries` pages read for one window at most (real X-Ray pages its summaries; moto
/// answers with one page).
const MAX_SUMMARY_PAGES: usize = 50;
/// `BatchGetTraces` takes at most five trace ids per call.
const BATCH: usize = 5;
/// `BatchGetTraces` calls in flight at once: enough to read a window's traces in seconds, few
/// enough not to swamp the emulator (or X-Ray's rate limit).
const PARALLEL: usize = 4;

/// Every trace of the window as X-Ray keeps it, the newest `cap` of them: the ids from
/// `GetTraceSummaries` (no filter expression: moto answers one with a 500), the documents from
/// `BatchGetTraces`, five ids a call. `Err` when X-Ray did not list the window at all.
pub async fn read_window(
    client: &aws_sdk_xray::Client,
    since_ms: i64,
    until_ms: i64,
    cap: usize,
) -> Result<WindowTraces, String> {
    let mut notes = Vec::new();
    let mut truncated = false;
    let mut ids: Vec<String> = Vec::new();
    let mut next: Option<String> = None;
    for page in 0..MAX_SUMMARY_PAGES {
        let answer = without_telemetry(
            client
                .get_trace_summaries()
                .start_time(DateTime::from_millis(since_ms))
                // A second on: moto compares whole seconds and wants the end strictly after.
                .end_time(DateTime::from_millis(until_ms + 1000))
                .set_next_token(next.clone())
                .send(),
        )
        .await;
        let listing: Result<(Vec<String>, Option<String>), String> = match answer {
            Ok(out) => Ok((
                out.trace_summaries()
                    .iter()
                    .filter_map(|s| s.id().map(str::to_owned))
                    .collect(),
                out.next_token().map(str::to_owned),
            )),
            // moto's answer, which the SDK refuses: read from the raw body the error kept.
            Err(e) => e
                .raw_response()
                .filter(|raw| raw.status().is_success())
                .and_then(|raw| raw.body().bytes())
                .and_then(summary_ids)
                .ok_or_else(|| format!("GetTraceSummaries failed: {}", DisplayErrorContext(&e))),
        };
        let (found, token) = match listing {
            Ok(answered) => answered,
            Err(message) => {
                if page == 0 {
                    return Err(message);
                }
                notes.push(format!(
                    "{message} (after {page} pages: the rest were not listed)"
                ));
                truncated = true;
                break;
            }
        };
        ids.extend(found);
        next = token;
        if next.is_none() {
            break;
        }
        if page + 1 == MAX_SUMMARY_PAGES {
            notes.push(format!(
                "X-Ray listed more than {MAX_SUMMARY_PAGES} pages of summaries: the rest were not read"
            ));
            truncated = true;
        }
    }
    // Newest first (an X-Ray id starts with its trace's epoch seconds), so that a cap keeps the
    // traces a learner just made.
    ids.sort_by(|a, b| epoch_of(b).cmp(&epoch_of(a)).then_with(|| b.cmp(a)));
    ids.dedup();
    let listed = ids.len();
    if listed > cap {
        notes.push(format!(
            "X-Ray listed {listed} traces in the window: the newest {cap} were read"
        ));
        truncated = true;
        ids.truncate(cap);
    }

    let mut pending = ids.chunks(BATCH).map(<[String]>::to_vec);
    let mut running = tokio::task::JoinSet::new();
    let mut documents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut failed_calls, mut first_failure) = (0usize, None::<String>);
    loop {
        while running.len() < PARALLEL {
            let Some(chunk) = pending.next() else { break };
            running.spawn(batch_get(client.clone(), chunk));
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        match done {
            Ok(Ok(found)) => {
                for (id, docs) in found {
                    documents.entry(id).or_default().extend(docs);
                }
            }
            Ok(Err(e)) => {
                failed_calls += 1;
                first_failure.get_or_insert(e);
            }
            Err(e) => {
                failed_calls += 1;
                first_failure.get_or_insert(format!("BatchGetTraces did not finish: {e}"));
            }
        }
    }
    if let Some(e) = first_failure {
        notes.push(format!(
            "{failed_calls} BatchGetTraces calls failed, their traces are not counted: {e}"
        ));
        truncated = true;
    }
    let asked = listed.min(cap);
    let unanswered = asked.saturating_sub(documents.len());
    if unanswered > 0 && failed_calls == 0 {
        notes.push(format!(
            "{unanswered} listed traces were not returned by BatchGetTraces"
        ));
        truncated = true;
    }
    let (mut unreadable, mut before_window) = (0, 0);
    let mut traces = Vec::new();
    for docs in documents.values() {
        let (spans, bad) = document_spans(docs.iter().map(String::as_str));
        unreadable += bad;
        // X-Ray lists a trace by its start (moto: started after the window's start); the map
        // counts the traces that ended in the window.
        if spans.is_empty() {
            continue;
        }
        if trace_end_ms(&spans) >= since_ms as f64 {
            traces.push(spans);
        } else {
            before_window += 1;
        }
    }
    if unreadable > 0 {
        notes.push(format!("{unreadable} segment documents were not JSON"));
    }
    if before_window > 0 {
        notes.push(format!(
            "{before_window} listed traces ended before the window and are not counted"
        ));
    }
    Ok(WindowTraces {
        traces,
        listed,
        truncated,
        notes,
    })
}

/// The trace ids and the next page's token of a `GetTraceSummaries` answer, from its JSON.
///
/// WORKAROUND (docs/lab.md#gap-moto-trace-summaries): moto writes each summary's `Users` as an
/// object (`{}`) where X-Ray's API has a list, and the AWS SDK for Rust refuses the whole answer
/// ("expected start array or null"). The SDK keeps the answer it refused in its error; the ids
/// are read from it here. Against X-Ray the SDK parses the answer and this is never called.
fn summary_ids(body: &[u8]) -> Option<(Vec<String>, Option<String>)> {
    let body: Value = serde_json::from_slice(body).ok()?;
    let ids = body
        .get("TraceSummaries")?
        .as_array()?
        .iter()
        .filter_map(|s| s.get("Id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let next = body
        .get("NextToken")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((ids, next))
}

/// One `BatchGetTraces` call (and its pages): each trace's id and segment documents.
async fn batch_get(
    client: aws_sdk_xray::Client,
    ids: Vec<String>,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..MAX_SUMMARY_PAGES {
        let out = without_telemetry(
            client
                .batch_get_traces()
                .set_trace_ids(Some(ids.clone()))
                .set_next_token(next.clone())
                .send(),
        )
        .await
        .map_err(|e| format!("BatchGetTraces failed: {}", DisplayErrorContext(&e)))?;
        for t in out.traces() {
            let docs = t
                .segments()
                .iter()
                .filter_map(|s| s.document().map(str::to_owned))
                .collect();
            found.push((t.id().unwrap_or_default().to_owned(), docs));
        }
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    Ok(found)
}

/// The epoch seconds an X-Ray trace id starts with (`1-5f84c7a1-…`); 0 for anything else.
fn epoch_of(xray_id: &str) -> u32 {
    xray_id
        .split('-')
        .nth(1)
        .and_then(|e| u32::from_str_radix(e, 16).ok())
        .unwrap_or(0)
}

/// `aws xray get-trace-summaries …` over the window, at the endpoint the shop reads (then
/// `batch-get-traces` with the ids; in AWS, `get-service-graph` over the same times).
pub fn window_command(since_ms: i64, until_ms: i64) -> String {
    let mut command = format!(
        "aws xray get-trace-summaries --start-time {} --end-time {}",
        since_ms / 1000,
        until_ms / 1000 + 1
    );
    if let Some(e) = endpoint("AWS_ENDPOINT_URL_XRAY") {
        command.push_str(&format!(" --endpoint-url {e}"));
    }
    command
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

/// The spans of one trace's segment documents, and how many documents were not JSON.
///
/// An independent subsegment (a document of its own, `"type": "subsegment"`: a span that ended
/// after its segment was sent, or part of a segment too large for one document) carries its
/// own name, not its service's; its spans take the service of the span they hang under.
pub fn document_spans<'a>(
    documents: impl IntoIterator<Item = &'a str>,
) -> (Vec<StoredSpan>, usize) {
    let mut spans = Vec::new();
    let mut unreadable = 0;
    let mut adrift = Vec::new();
    for doc in documents {
        match serde_json::from_str::<Value>(doc) {
            Ok(doc) => {
                let first = spans.len();
                segment_spans(&doc, &mut spans);
                if doc.get("type").and_then(Value::as_str) == Some("subsegment") {
                    adrift.extend(first..spans.len());
                }
            }
            Err(_) => unreadable += 1,
        }
    }
    let adrift_ids: std::collections::HashSet<String> =
        adrift.iter().map(|&i| spans[i].span_id.clone()).collect();
    let mut service_of: std::collections::HashMap<String, String> = spans
        .iter()
        .filter(|s| !adrift_ids.contains(&s.span_id))
        .map(|s| (s.span_id.clone(), s.service.clone()))
        .collect();
    // Parents first, whatever the documents' order: each round settles the spans whose parent
    // is settled; a span whose parent is not in the trace keeps the name it came with.
    loop {
        let before = adrift.len();
        adrift.retain(|&i| {
            let found = spans[i]
                .parent_id
                .as_ref()
                .and_then(|p| service_of.get(p))
                .cloned();
            match found {
                Some(service) => {
                    service_of.insert(spans[i].span_id.clone(), service.clone());
                    spans[i].service = service;
                    false
                }
                None => true,
            }
        });
        if adrift.is_empty() || adrift.len() == before {
            break;
        }
    }
    (spans, unreadable)
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
    fn an_independent_subsegment_takes_the_service_of_the_span_it_hangs_under() {
        let trace = "1-581cf771-a006649127e371903a2de979";
        // The subsegment first: documents arrive in any order.
        let late = json!({
            "type": "subsegment", "name": "sqlite", "id": "2222222222222222", "trace_id": trace,
            "parent_id": "1111111111111111", "namespace": "remote",
            "start_time": 1.5e9, "end_time": 1.5e9 + 0.1, "sql": {"database_type": "sqlite"},
            "subsegments": [{"name": "inner", "id": "3333333333333333", "start_time": 1.5e9}]
        })
        .to_string();
        let segment = json!({
            "name": "shop-orders", "id": "1111111111111111", "trace_id": trace,
            "start_time": 1.5e9, "end_time": 1.5e9 + 0.05
        })
        .to_string();
        let lost = json!({
            "type": "subsegment", "name": "orphan", "id": "4444444444444444", "trace_id": trace,
            "parent_id": "9999999999999999", "start_time": 1.5e9, "end_time": 1.5e9 + 0.1
        })
        .to_string();
        let (spans, unreadable) =
            document_spans([late.as_str(), segment.as_str(), lost.as_str(), "{not json"]);
        assert_eq!(unreadable, 1);
        let service = |id: &str| {
            spans
                .iter()
                .find(|s| s.span_id == id)
                .map(|s| s.service.as_str())
        };
        assert_eq!(service("2222222222222222"), Some("shop-orders"));
        assert_eq!(service("3333333333333333"), Some("shop-orders"));
        assert_eq!(
            service("4444444444444444"),
            Some("orphan"),
            "no parent in the trace: kept as it came"
        );
        let sql = spans
            .iter()
            .find(|s| s.span_id == "2222222222222222")
            .unwrap();
        assert_eq!(sql.kind, "client");
    }

    #[test]
    fn the_ids_of_motos_trace_summaries_are_read_from_its_json() {
        // moto 5.2's answer, as the SDK refused it: `Users` is an object, not a list.
        let body = json!({
            "ApproximateTime": 1796470474, "TracesProcessedCount": 2,
            "TraceSummaries": [
                {"Annotations": {}, "Duration": 0, "HasError": false, "Http": {}, "Users": {},
                 "Id": "1-6b13f68c-6944d865825505a430f7b634", "ServiceIds": []},
                {"Id": "1-6b13f68d-77831c3d1285cd11a6a88080", "Users": {}},
                {"Duration": 1}
            ]
        });
        let (ids, next) = summary_ids(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            ids,
            [
                "1-6b13f68c-6944d865825505a430f7b634",
                "1-6b13f68d-77831c3d1285cd11a6a88080"
            ]
        );
        assert_eq!(next, None);
        let paged = json!({"TraceSummaries": [], "NextToken": "abc"});
        assert_eq!(
            summary_ids(paged.to_string().as_bytes()),
            Some((Vec::new(), Some("abc".to_owned())))
        );
        assert_eq!(summary_ids(b"<html>"), None);
        assert_eq!(summary_ids(b"{}"), None);
    }

    #[test]
    fn trace_ids_sort_by_their_epoch_seconds() {
        assert_eq!(epoch_of("1-5f84c7a1-a006649127e371903a2de979"), 0x5f84c7a1);
        assert_eq!(epoch_of("nonsense"), 0);
    }

    #[test]
    fn a_document_without_an_id_gives_nothing() {
        let mut spans = Vec::new();
        segment_spans(&json!({"name": "x"}), &mut spans);
        assert!(spans.is_empty());
    }
}
