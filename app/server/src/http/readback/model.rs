//! What the Lab page draws: one shape for a trace, whichever store kept it.
//!
//! X-Ray keeps segment documents (JSON with nested subsegments); the
//! collector's store keeps OTLP spans. [`super::xray`] and
//! [`super::capture`] turn each into these types, so the page draws both
//! the same way and a learner can put the two side by side.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

/// A trace as one store kept it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreReading {
    /// `xray` or `collector`.
    pub store: &'static str,
    /// What the store stands in for, in words.
    pub label: &'static str,
    pub status: ReadingStatus,
    /// Why the store could not be read, or what was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Parents before children, in start order.
    pub spans: Vec<StoredSpan>,
    /// The log records of the trace the store holds (empty where the store keeps none).
    pub logs: Vec<StoredLog>,
    /// The shell command that reads the same trace back from the same store.
    pub command: String,
}

/// One browser session's log records as one store kept them: the UI's events (page views,
/// clicks, cart changes, funnel steps…) and errors, oldest first, each in its own trace.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionReading {
    /// `xray` (CloudWatch Logs beside X-Ray) or `collector`.
    pub store: &'static str,
    pub label: &'static str,
    /// `found` with at least one record, `missing` with none, `unavailable` when the store did not answer.
    pub status: ReadingStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub logs: Vec<StoredLog>,
    /// The shell command that reads the same records back from the same store.
    pub command: String,
}

impl SessionReading {
    /// What a store answered: found when it kept at least one record of the session.
    pub fn of(
        store: &'static str,
        label: &'static str,
        logs: Vec<StoredLog>,
        command: String,
    ) -> Self {
        let status = if logs.is_empty() {
            ReadingStatus::Missing
        } else {
            ReadingStatus::Found
        };
        SessionReading {
            store,
            label,
            status,
            message: (status == ReadingStatus::Missing).then(|| {
                "no record of this session here yet: the tab sends its events in batches (and when it is hidden), then the backend in its own"
                    .to_owned()
            }),
            logs,
            command,
        }
    }

    /// A store that did not answer, and why.
    pub fn unavailable(
        store: &'static str,
        label: &'static str,
        message: String,
        command: String,
    ) -> Self {
        SessionReading {
            store,
            label,
            status: ReadingStatus::Unavailable,
            message: Some(message),
            logs: Vec::new(),
            command,
        }
    }
}

/// Whether the store had the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadingStatus {
    /// The store answered with at least one span.
    Found,
    /// The store answered, without this trace (not sampled, not exported yet, or another shop's).
    Missing,
    /// The store did not answer.
    Unavailable,
}

/// How a span ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// A client error (X-Ray's `error`, a 4xx) or an OTLP status ERROR.
    Error,
    /// A server error (X-Ray's `fault`, a 5xx).
    Fault,
}

/// One span (an X-Ray segment or subsegment, or an OTLP span).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredSpan {
    pub span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The service that recorded it: the segment's name in X-Ray, `service.name` in OTLP.
    pub service: String,
    pub name: String,
    /// `server`, `client`, `internal`, `producer` or `consumer`.
    pub kind: String,
    /// Unix time in milliseconds.
    pub start_ms: f64,
    /// `None` while X-Ray holds it in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_ms: Option<f64>,
    pub outcome: Outcome,
    /// Flattened, with the store's own names (`http.response.status` in X-Ray, `http.response.status_code` in OTLP).
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Exceptions and other events.
    pub events: Vec<StoredEvent>,
}

/// An event on a span (an exception, mostly).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredEvent {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<f64>,
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// A log record joined to a trace.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoredLog {
    pub time_ms: f64,
    pub severity: String,
    pub body: String,
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    /// The record's trace, as 32 hex digits whichever store kept it (a session's records are in
    /// many traces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// Parents before their children, each level in start order (the waterfall's order). Spans
/// whose parent is not in the trace (its root, or a parent another store holds) come first.
pub fn tree_order(mut spans: Vec<StoredSpan>) -> Vec<StoredSpan> {
    spans.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    let ids: std::collections::HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_id.as_deref().filter(|p| ids.contains(p)) {
            Some(p) => children.entry(p).or_default().push(i),
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(spans.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    let mut seen = vec![false; spans.len()];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push(i);
        if let Some(kids) = children.get(spans[i].span_id.as_str()) {
            stack.extend(kids.iter().rev());
        }
    }
    // A cycle (two spans naming each other) leaves spans unvisited: keep them, at the end.
    order.extend((0..spans.len()).filter(|i| !seen[*i]));
    let mut slots: Vec<Option<StoredSpan>> = spans.drain(..).map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, start: f64) -> StoredSpan {
        StoredSpan {
            span_id: id.to_owned(),
            parent_id: parent.map(str::to_owned),
            service: "shop".to_owned(),
            name: id.to_owned(),
            kind: "internal".to_owned(),
            start_ms: start,
            end_ms: Some(start + 1.0),
            outcome: Outcome::Ok,
            attributes: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    #[test]
    fn parents_come_before_children_and_siblings_in_start_order() {
        let spans = vec![
            span("c2", Some("root"), 3.0),
            span("g", Some("c1"), 2.5),
            span("root", Some("elsewhere"), 1.0),
            span("c1", Some("root"), 2.0),
        ];
        let names: Vec<String> = tree_order(spans).into_iter().map(|s| s.name).collect();
        assert_eq!(names, ["root", "c1", "g", "c2"]);
    }

    #[test]
    fn a_cycle_keeps_every_span() {
        let spans = vec![span("a", Some("b"), 1.0), span("b", Some("a"), 2.0)];
        assert_eq!(tree_order(spans).len(), 2);
    }
}
