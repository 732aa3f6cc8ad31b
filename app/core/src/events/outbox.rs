//! The outbox table's reads and writes for the dispatcher and the consumers.
//!
//! Rows are written by [`super::record_in`] inside the change's transaction.
//! The dispatcher *claims* a due row before publishing it (a conditional
//! update of its `next_attempt_at`), so several shop processes sharing one
//! database (the split topology) do not all publish the same event; if one
//! did anyway, consumers dedupe by event id.

use serde_json::Value as Json;

use crate::db::Db;
use crate::events::EventType;

/// An event waiting in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub topic: String,
    pub payload: String,
    pub created_at: i64,
    pub event_id: Option<String>,
    pub trace_context: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

impl Row {
    /// The event's id (rows written before events had ids are named by row).
    pub fn event_id(&self) -> String {
        self.event_id
            .clone()
            .unwrap_or_else(|| format!("outbox-{}", self.id))
    }
}

/// Up to `limit` unpublished events whose next attempt is due, oldest first.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Row>, sqlx::Error> {
    const SQL: &str = "SELECT id, topic, payload, created_at, event_id, trace_context, attempts, next_attempt_at \
        FROM outbox WHERE published_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?";
    sqlx::query_as(SQL)
        .bind(now)
        .bind(limit)
        .fetch_all(db.pool())
        .await
}

/// Takes `row` for `lease_until` (epoch ms): `false` when another
/// dispatcher took it first.
pub async fn claim(db: &Db, row: &Row, lease_until: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE outbox SET next_attempt_at = ? \
        WHERE id = ? AND published_at IS NULL AND next_attempt_at = ?";
    let done = sqlx::query(SQL)
        .bind(lease_until)
        .bind(row.id)
        .bind(row.next_attempt_at)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The bus accepted the event.
pub async fn mark_published(db: &Db, row: &Row, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE outbox SET published_at = ?, last_error = NULL, attempts = attempts + 1, \
        event_id = COALESCE(event_id, ?) WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(now)
            .bind(row.event_id())
            .bind(row.id)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// The attempt failed: try again at `next_attempt_at`.
pub async fn mark_failed(
    db: &Db,
    row: &Row,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?";
    // The column holds a short reason, not a whole SDK error chain.
    let error: String = error.chars().take(500).collect();
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(next_attempt_at)
            .bind(error)
            .bind(row.id)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// A consumer handled the event: it will not be published again.
pub async fn acknowledge(db: &Db, event_id: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE outbox SET acked_at = ? WHERE event_id = ? AND acked_at IS NULL";
    db.traced(
        SQL,
        sqlx::query(SQL).bind(now).bind(event_id).execute(db.pool()),
    )
    .await
    .map(drop)
}

/// Puts events back in line that were published more than `timeout_ms`
/// ago, that a consumer should have acknowledged ([`EventType::expects_ack`])
/// and has not, at most `max_republish` times each. This recovers events a
/// broker lost (an emulator restarted without its state; a rule that was
/// missing for a while). Returns how many were requeued.
pub async fn requeue_unacknowledged(
    db: &Db,
    now: i64,
    timeout_ms: i64,
    max_republish: i64,
) -> Result<u64, sqlx::Error> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(REQUEUE.0.as_str()))
        .bind(now)
        .bind(now - timeout_ms)
        .bind(max_republish);
    for t in &REQUEUE.1 {
        q = q.bind(*t);
    }
    Ok(q.execute(db.pool()).await?.rows_affected())
}

/// [`requeue_unacknowledged`]'s statement, with one placeholder per topic that
/// expects an acknowledgement, and those topics; made once (the dispatcher
/// runs it every tick). The text is built from the type list, never from
/// input, hence `AssertSqlSafe`.
static REQUEUE: std::sync::LazyLock<(String, Vec<&'static str>)> = std::sync::LazyLock::new(|| {
    let topics: Vec<&'static str> = EventType::ALL
        .into_iter()
        .filter(|t| t.expects_ack())
        .map(EventType::as_str)
        .collect();
    let sql = format!(
        "UPDATE outbox SET published_at = NULL, republished = republished + 1, next_attempt_at = ? \
        WHERE acked_at IS NULL AND published_at IS NOT NULL AND published_at < ? AND republished < ? \
        AND topic IN ({})",
        vec!["?"; topics.len()].join(", ")
    );
    (sql, topics)
});

/// The private payload of an event (a reset mail's address and token).
pub async fn payload_of(db: &Db, event_id: &str) -> Result<Option<Json>, sqlx::Error> {
    const SQL: &str = "SELECT payload FROM outbox WHERE event_id = ?";
    let payload: Option<String> = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(event_id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(payload.and_then(|p| serde_json::from_str(&p).ok()))
}

/// Counts for `shop events status` and the health endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    /// Not yet on the bus.
    pub pending: i64,
    /// Pending events that failed at least once (the bus was down).
    pub retrying: i64,
    /// On the bus.
    pub published: i64,
    /// Acknowledged by their consumer.
    pub acknowledged: i64,
    /// Published again because no consumer acknowledged them in time.
    pub republished: i64,
    /// Age of the oldest pending event, milliseconds (0 when none).
    pub oldest_pending_ms: i64,
}

pub async fn status(db: &Db, now: i64) -> Result<Status, sqlx::Error> {
    const SQL: &str = "SELECT \
        COUNT(CASE WHEN published_at IS NULL THEN 1 END), \
        COUNT(CASE WHEN published_at IS NULL AND attempts > 0 THEN 1 END), \
        COUNT(CASE WHEN published_at IS NOT NULL THEN 1 END), \
        COUNT(CASE WHEN acked_at IS NOT NULL THEN 1 END), \
        COUNT(CASE WHEN republished > 0 THEN 1 END), \
        COALESCE(MIN(CASE WHEN published_at IS NULL THEN created_at END), 0) \
        FROM outbox";
    let (pending, retrying, published, acknowledged, republished, oldest): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(SQL).fetch_one(db.pool()).await?;
    Ok(Status {
        pending,
        retrying,
        published,
        acknowledged,
        republished,
        oldest_pending_ms: if oldest == 0 {
            0
        } else {
            (now - oldest).max(0)
        },
    })
}
