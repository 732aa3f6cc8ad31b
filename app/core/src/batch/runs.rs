//! The `batch_runs` table: start a run (at most one running per job),
//! finish it, list recent runs, and read the last successful run's detail
//! (the orders export's watermark).

use serde_json::Value as Json;

use super::{Error, Job, Run, STALE_AFTER, Trigger};
use crate::audit::Outcome;
use crate::db::Db;
use crate::events::{self, EventType};
use crate::time::rfc3339;

/// Records a run as started. A run of the same job still marked running
/// since before [`STALE_AFTER`] is marked `abandoned` first (its process
/// died); one running since later refuses this one.
pub(super) async fn start(
    db: &Db,
    id: &str,
    job: Job,
    trigger: &Trigger,
    now: i64,
    trace_id: Option<&str>,
) -> Result<(), Error> {
    const ABANDON: &str = "UPDATE batch_runs SET running_job = NULL, outcome = 'abandoned', finished_at = ? \
        WHERE running_job = ? AND started_at < ?";
    db.traced(
        ABANDON,
        sqlx::query(ABANDON)
            .bind(now)
            .bind(job.as_str())
            .bind(now - STALE_AFTER.as_millis() as i64)
            .execute(db.pool()),
    )
    .await?;
    const INSERT: &str = "INSERT INTO batch_runs (id, job, triggered_by, running_job, started_at, items, outcome, trace_id) \
        VALUES (?, ?, ?, ?, ?, 0, 'running', ?)";
    let inserted = db
        .traced(
            INSERT,
            sqlx::query(INSERT)
                .bind(id)
                .bind(job.as_str())
                .bind(trigger.as_str())
                .bind(job.as_str())
                .bind(now)
                .bind(trace_id.map(str::to_owned))
                .execute(db.pool()),
        )
        .await;
    match inserted {
        Ok(_) => Ok(()),
        // The unique `running_job`: another run of this job is running.
        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => Err(Error::AlreadyRunning(job)),
        Err(e) => Err(e.into()),
    }
}

/// Records how a run ended, and frees its job for the next run. With
/// `announce`, the event is written to the outbox in the same transaction:
/// a finished run and its announcement are stored together or not at all.
pub(super) async fn finish(
    db: &Db,
    id: &str,
    finished_at: i64,
    items: u64,
    outcome: Outcome,
    detail: &Json,
    announce: Option<(EventType, Json)>,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE batch_runs SET running_job = NULL, finished_at = ?, items = ?, outcome = ?, detail = ? \
        WHERE id = ?";
    let update = || {
        sqlx::query(SQL)
            .bind(finished_at)
            .bind(items as i64)
            .bind(outcome.as_str())
            .bind(detail.to_string())
            .bind(id)
    };
    let Some((event, payload)) = announce else {
        db.traced(SQL, update().execute(db.pool())).await?;
        return Ok(());
    };
    let mut tx = db.begin_write().await?;
    let result = async {
        db.traced(SQL, update().execute(&mut *tx)).await?;
        events::record_in(db, &mut tx, event, &payload, finished_at).await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    db.end_write(tx, result).await
}

/// One run by id.
pub(super) async fn find(db: &Db, id: &str) -> Result<Option<Run>, sqlx::Error> {
    const SQL: &str = "SELECT id, job, triggered_by, started_at, finished_at, items, outcome, detail, trace_id \
        FROM batch_runs WHERE id = ?";
    let row: Option<Row> = db
        .traced(SQL, sqlx::query_as(SQL).bind(id).fetch_optional(db.pool()))
        .await?;
    Ok(row.map(from_row))
}

type Row = (
    String,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    String,
    Option<String>,
    Option<String>,
);

fn from_row(r: Row) -> Run {
    Run {
        id: r.0,
        job: r.1,
        triggered_by: r.2,
        started_at: rfc3339(r.3),
        finished_at: r.4.map(rfc3339),
        items: r.5,
        outcome: r.6,
        detail: r.7.and_then(|d| serde_json::from_str(&d).ok()),
        trace_id: r.8,
    }
}

/// The most recent runs, newest first, of `job` or of every job.
pub(super) async fn recent(db: &Db, job: Option<Job>, limit: i64) -> Result<Vec<Run>, sqlx::Error> {
    const SQL: &str = "SELECT id, job, triggered_by, started_at, finished_at, items, outcome, detail, trace_id \
        FROM batch_runs WHERE (? = 'any' OR job = ?) ORDER BY started_at DESC, id LIMIT ?";
    let name = job.map_or("any", Job::as_str);
    let rows: Vec<Row> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(name)
                .bind(name)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The detail of `job`'s last successful run, if any.
pub(super) async fn last_success_detail(db: &Db, job: Job) -> Result<Option<Json>, sqlx::Error> {
    const SQL: &str = "SELECT detail FROM batch_runs WHERE job = ? AND outcome = 'success' \
        ORDER BY started_at DESC LIMIT 1";
    let detail: Option<Option<String>> = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(job.as_str())
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(detail.flatten().and_then(|d| serde_json::from_str(&d).ok()))
}
