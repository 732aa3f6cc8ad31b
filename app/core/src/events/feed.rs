//! The back office's live feed (F-LAMBDA-01): the events an admin should
//! see as they happen — a new order, stock running low, the stock report
//! ready, the `image-resize` function done with a picture — read from the
//! outbox, where every one of them is written in the transaction of its
//! change, whoever made it (a request, the notification worker, a Lambda
//! function).
//!
//! Why the outbox rather than a queue: every shop process can read it (a
//! queue gives each message to one consumer, and the admin's browser may be
//! connected to any process), it is ordered (its row id is the feed's
//! cursor, so a reconnecting browser resumes where it stopped), and the
//! event's trace context is in the row, so the browser's notification joins
//! the trace of the change that caused it.

use serde_json::Value as Json;
use telemetry_api::SpanContext;

use crate::db::Db;
use crate::events::{EventType, trace};

/// One event of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// The outbox row's id: the feed's cursor (`Last-Event-ID`).
    pub id: i64,
    pub event_id: String,
    pub event_type: EventType,
    /// When the change happened (epoch milliseconds).
    pub occurred_at: i64,
    /// The public payload ([`EventType::public_data`]): ids, statuses, amounts.
    pub data: Json,
    /// Where in its trace the event was written.
    pub context: Option<SpanContext>,
}

/// An outbox row as the feed reads it: id, type, payload, time, event id, trace context.
type OutboxRow = (i64, String, String, i64, Option<String>, Option<String>);

/// The newest row's id (0 for an empty outbox): where a new feed starts.
pub async fn latest(db: &Db) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM outbox";
    let (id,): (i64,) = sqlx::query_as(SQL).fetch_one(db.pool()).await?;
    Ok(id)
}

/// The events after row `after` of the types in `wanted`, oldest first, and the cursor to read
/// from next (past rows of other types too, so that they are not read again). At most `limit`
/// rows are looked at.
pub async fn after(
    db: &Db,
    after: i64,
    wanted: &[EventType],
    limit: i64,
) -> Result<(Vec<FeedItem>, i64), sqlx::Error> {
    const SQL: &str = "SELECT id, topic, payload, created_at, event_id, trace_context \
        FROM outbox WHERE id > ? ORDER BY id LIMIT ?";
    let rows: Vec<OutboxRow> = sqlx::query_as(SQL)
        .bind(after)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let next = rows.last().map_or(after, |r| r.0);
    let items = rows
        .into_iter()
        .filter_map(|(id, topic, payload, created_at, event_id, context)| {
            let event_type = EventType::parse(&topic).filter(|t| wanted.contains(t))?;
            let payload = serde_json::from_str(&payload).unwrap_or(Json::Null);
            Some(FeedItem {
                id,
                event_id: event_id.unwrap_or_else(|| format!("outbox-{id}")),
                event_type,
                occurred_at: created_at,
                data: event_type.public_data(&payload),
                context: context.as_deref().and_then(trace::decode),
            })
        })
        .collect();
    Ok((items, next))
}
