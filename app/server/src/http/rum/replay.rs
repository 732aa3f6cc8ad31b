//! Session replay's intake (F-RUM-03): the browser's recording of its own
//! page, kept in an S3 bucket of its own, so that the Lab page can play a
//! session back beside its events and traces.
//!
//! The recorder is rrweb (`app/web/src/telemetry/replay.ts`): a first full
//! snapshot of the DOM, then its mutations, the mouse, scrolls and inputs, as
//! JSON events. The browser sends them in chunks, `POST /api/rum/v1/replay`
//! with `{session_id, sequence, events}`; each chunk is one object,
//! `replays/{session_id}/{sequence}.json` (a retried chunk replaces itself).
//!
//! A recording is not telemetry: it goes to no backend, is counted but not
//! relayed, and is off unless a bucket is configured (`--rum-replay-bucket`).
//! It is also the one thing the browser sends that could carry what a shopper
//! typed. The recorder masks every input (`maskAllInputs`) and the text of the
//! pages that show personal data; the intake does not trust that and masks
//! again here: every input's value and every `value` attribute is replaced by
//! as many `*` as it had characters ([`mask`]). CloudWatch RUM records no
//! sessions for replay; this has no AWS counterpart to compare with.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use telemetry_api::export::without_telemetry;
use utoipa::ToSchema;

use super::{RumState, Window, invalid};
use crate::http::error::{self, ApiError};

/// The largest chunk: a first full snapshot of a product page with its inlined styles fits.
pub const MAX_REPLAY_BODY: usize = 2 * 1024 * 1024;
/// Most events in one chunk.
pub const MAX_EVENTS: usize = 10_000;
/// The highest chunk number of a session (a day of a busy tab sends far fewer).
pub const MAX_SEQUENCE: u32 = 100_000;
/// rrweb's event types: DomContentLoaded (0) … Plugin (6).
const EVENT_TYPES: std::ops::RangeInclusive<i64> = 0..=6;
/// rrweb's incremental snapshot (type 3) whose `data.source` is an input (5).
const INCREMENTAL: i64 = 3;
const INPUT_SOURCE: i64 = 5;
/// The elements whose `value` is what a shopper typed or chose.
const FORM_TAGS: [&str; 3] = ["input", "textarea", "select"];

/// The object key of a chunk.
pub fn key(session_id: &str, sequence: u32) -> String {
    format!("{}{sequence:08}.json", prefix(session_id))
}

/// Where a session's chunks are.
pub fn prefix(session_id: &str) -> String {
    format!("replays/{session_id}/")
}

/// One chunk of a recording, as the browser sends it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayChunk {
    /// The tab's `session.id` (1–64 letters, digits, `-` or `_`).
    pub session_id: String,
    /// The chunk's number in the session, from 0 (a page load goes on counting where the last left off).
    pub sequence: u32,
    /// rrweb events: `{type, timestamp, data}`.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

/// What the intake kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplayAccepted {
    pub events: usize,
    /// Values the recorder should have masked and the intake masked itself (0 from the shop's UI).
    pub masked_by_intake: usize,
}

/// `POST /api/rum/v1/replay`.
#[utoipa::path(post, path = "/api/rum/v1/replay", tag = "rum",
    request_body(content = ReplayChunk, description = "A chunk of an rrweb recording", content_type = "application/json"),
    responses(
        (status = 200, description = "Kept, masked where the recorder had not", body = ReplayAccepted),
        (status = 400, description = "Malformed: the error names the field", body = error::ErrorBody),
        (status = 404, description = "Replay is off in this shop (`replay_off`)", body = error::ErrorBody),
        (status = 413, description = "Body over 2 MiB", body = error::ErrorBody),
        (status = 415, description = "Not application/json", body = error::ErrorBody),
        (status = 429, description = "Too many requests from this client", body = error::ErrorBody),
        (status = 503, description = "The replay store did not answer (`replay_store_unavailable`)", body = error::ErrorBody),
    ))]
pub async fn replay(
    State(state): State<RumState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, ApiError> {
    let Some(store) = state.replays.clone() else {
        return Err(off());
    };
    state.limiter.check(client.ip())?;
    let chunk = decode(request).await?;
    let session_id = crate::http::readback::session::parse_session_id(&chunk.session_id)
        .ok_or_else(|| {
            invalid(
                "session_id",
                "a session id is 1 to 64 letters, digits, '-' or '_'",
            )
        })?;
    if chunk.sequence > MAX_SEQUENCE {
        return Err(invalid(
            "sequence",
            format!("at most {MAX_SEQUENCE} chunks a session"),
        ));
    }
    let (events, masked) = check(chunk.events, &Window::now())?;
    let body = serde_json::to_vec(&events).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Not traced, as the rest of the intake: a recording's chunk is no request of the shop's.
    without_telemetry(store.put(&key(session_id, chunk.sequence), body, "application/json"))
        .await
        .map_err(|e| ApiError::ServiceUnavailable {
            code: "replay_store_unavailable",
            message: format!("the replay store did not take the chunk: {e}"),
        })?;
    state.count("replay", "accepted", events.len());
    state.count("replay", "masked", masked);
    Ok((
        StatusCode::OK,
        Json(ReplayAccepted {
            events: events.len(),
            masked_by_intake: masked,
        }),
    )
        .into_response())
}

/// The answer while replay is off.
pub fn off() -> ApiError {
    ApiError::TokenNotFound {
        code: "replay_off",
        message:
            "session replay is off: start the shop with --rum-replay-bucket BUCKET (make lab does)"
                .to_owned(),
        field: None,
    }
}

async fn decode(request: Request) -> Result<ReplayChunk, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // `text/plain`: what `navigator.sendBeacon` sends for a string body.
    if !(content_type.starts_with("application/json") || content_type.starts_with("text/plain")) {
        return Err(ApiError::UnsupportedMediaType {
            expected: "application/json",
        });
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_REPLAY_BODY)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: MAX_REPLAY_BODY,
            field: None,
        })?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest {
        code: "invalid_replay",
        message: format!("not a replay chunk ({{session_id, sequence, events}}): {e}"),
    })
}

/// Checks every event's shape and time, and masks what a shopper typed. Returns the events and
/// how many values were masked here.
pub fn check(events: Vec<Value>, window: &Window) -> Result<(Vec<Value>, usize), ApiError> {
    if events.is_empty() {
        return Err(invalid("events", "a chunk has at least one event"));
    }
    if events.len() > MAX_EVENTS {
        return Err(invalid(
            "events",
            format!("{} events in one chunk; at most {MAX_EVENTS}", events.len()),
        ));
    }
    let mut masked = 0;
    let mut out = Vec::with_capacity(events.len());
    for (i, mut event) in events.into_iter().enumerate() {
        let at = format!("events[{i}]");
        let kind = event
            .get("type")
            .and_then(Value::as_i64)
            .filter(|t| EVENT_TYPES.contains(t))
            .ok_or_else(|| invalid(&format!("{at}.type"), "an rrweb event type, 0 to 6"))?;
        let ms = event
            .get("timestamp")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite() && *t > 0.0)
            .ok_or_else(|| {
                invalid(
                    &format!("{at}.timestamp"),
                    "milliseconds since the epoch, a positive number",
                )
            })?;
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms as u64);
        window
            .check(when)
            .map_err(|reason| invalid(&format!("{at}.timestamp"), reason))?;
        if !event.get("data").is_some_and(Value::is_object) {
            return Err(invalid(&format!("{at}.data"), "an object"));
        }
        masked += mask(kind, &mut event);
        out.push(event);
    }
    Ok((out, masked))
}

/// Masks, in one event, what a form element holds: an input event's text, the `value` of the
/// form elements of a snapshot or of added nodes, and any `value` attribute a mutation set.
/// Returns how many values were not masked already.
pub fn mask(kind: i64, event: &mut Value) -> usize {
    let Some(data) = event.get_mut("data") else {
        return 0;
    };
    let mut n = 0;
    if kind == INCREMENTAL && data.get("source").and_then(Value::as_i64) == Some(INPUT_SOURCE) {
        n += mask_string(data.get_mut("text"));
    }
    if kind == INCREMENTAL
        && let Some(changes) = data.get_mut("attributes").and_then(Value::as_array_mut)
    {
        for change in changes {
            n += mask_string(
                change
                    .get_mut("attributes")
                    .and_then(|a| a.get_mut("value")),
            );
        }
    }
    n + mask_nodes(data)
}

/// Walks serialized nodes (rrweb-snapshot: `tagName`, `attributes`, `childNodes`, and a
/// mutation's `adds[].node`) and masks the form elements' values.
fn mask_nodes(v: &mut Value) -> usize {
    match v {
        Value::Object(map) => {
            let mut n = 0;
            let form = map
                .get("tagName")
                .and_then(Value::as_str)
                .is_some_and(|t| FORM_TAGS.contains(&t.to_ascii_lowercase().as_str()));
            if form {
                n += mask_string(map.get_mut("attributes").and_then(|a| a.get_mut("value")));
            }
            for (_, child) in map.iter_mut() {
                if child.is_object() || child.is_array() {
                    n += mask_nodes(child);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(mask_nodes).sum(),
        _ => 0,
    }
}

/// Replaces a string with as many `*` as it has characters; 1 when it was not masked already.
fn mask_string(v: Option<&mut Value>) -> usize {
    match v {
        Some(Value::String(s)) if s.chars().any(|c| c != '*') => {
            *s = "*".repeat(s.chars().count());
            1
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    #[test]
    fn typed_text_is_masked_wherever_rrweb_puts_it() {
        let t = now_ms();
        let events = vec![
            // A full snapshot with a filled-in e-mail field and a paragraph.
            json!({"type": 2, "timestamp": t, "data": {"node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "input", "attributes": {"type": "email", "value": "ann@example.com"}, "childNodes": []},
                {"type": 2, "id": 3, "tagName": "p", "attributes": {}, "childNodes": [
                    {"type": 3, "id": 4, "textContent": "Tent, 2 people"}]},
            ]}}}),
            // What the shopper typed, and a node added with a value.
            json!({"type": 3, "timestamp": t, "data": {"source": 5, "id": 2, "text": "secret", "isChecked": false}}),
            json!({"type": 3, "timestamp": t, "data": {"source": 0, "texts": [], "removes": [],
                "attributes": [{"id": 2, "attributes": {"value": "again"}}],
                "adds": [{"parentId": 1, "nextId": null, "node": {"type": 2, "id": 5, "tagName": "TEXTAREA", "attributes": {"value": "my address"}, "childNodes": []}}]}}),
            // Already masked by the recorder: left as it is.
            json!({"type": 3, "timestamp": t, "data": {"source": 5, "id": 2, "text": "*****"}}),
        ];
        let (out, masked) = check(events, &Window::now()).unwrap();
        assert_eq!(masked, 4);
        let text = serde_json::to_string(&out).unwrap();
        for typed in ["ann@example.com", "secret", "again", "my address"] {
            assert!(!text.contains(typed), "{typed} in {text}");
        }
        assert!(text.contains("Tent, 2 people"), "page text is kept");
        assert_eq!(out[1]["data"]["text"], "******");
        assert_eq!(
            out[0]["data"]["node"]["childNodes"][0]["attributes"]["value"],
            "*".repeat(15)
        );
    }

    #[test]
    fn malformed_events_are_refused_naming_the_field() {
        let t = now_ms();
        for (event, field) in [
            (
                json!({"type": 9, "timestamp": t, "data": {}}),
                "events[0].type",
            ),
            (json!({"timestamp": t, "data": {}}), "events[0].type"),
            (json!({"type": 2, "data": {}}), "events[0].timestamp"),
            (
                json!({"type": 2, "timestamp": -1, "data": {}}),
                "events[0].timestamp",
            ),
            (
                json!({"type": 2, "timestamp": t - 7 * 3600 * 1000, "data": {}}),
                "events[0].timestamp",
            ),
            (
                json!({"type": 2, "timestamp": t, "data": 3}),
                "events[0].data",
            ),
        ] {
            match check(vec![event.clone()], &Window::now()) {
                Err(ApiError::Validation { field: f, .. }) => assert_eq!(f, field, "{event}"),
                other => panic!("{event}: {other:?}"),
            }
        }
        assert!(check(Vec::new(), &Window::now()).is_err());
    }

    #[test]
    fn chunks_are_kept_in_order_under_their_session() {
        assert_eq!(key("abc", 7), "replays/abc/00000007.json");
        assert!(key("abc", 10) > key("abc", 9));
        assert!(key("abc", 0).starts_with(&prefix("abc")));
    }
}
