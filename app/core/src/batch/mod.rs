//! Batch jobs (A-BATCH-01..03): work the shop does on its own rather than
//! for a request.
//!
//! - [`stock_report`]: stock levels by status, and the products that need
//!   attention (low or out of stock);
//! - [`orders_export`]: the orders placed since the last export, as CSV,
//!   written to the object store (S3);
//! - [`maintenance`]: purge expired carts and sessions, and verify the
//!   audit log's hash chain.
//!
//! Every job runs through [`Batch::run`], whoever starts it: the server's
//! scheduler, the command line (`shop batch <job>`), or an admin
//! (`POST /api/admin/batch/{job}`). A run:
//!
//! - is a **root span** of its own trace (`batch <job>`), never a child of
//!   the request that started it: a run outlives a request, and its trace
//!   should read the same whoever started it. Its database and S3 calls are
//!   its children. The run record keeps its trace id;
//! - writes **structured logs** (`batch run started`, `batch run finished`
//!   with the job, outcome, items and duration);
//! - records **metrics**: `shop.batch.duration` (histogram, s) and
//!   `shop.batch.runs` by job and outcome, `shop.batch.items` by job;
//! - is a **row of `batch_runs`** ([`Run`]: id, job, start, end, items,
//!   outcome, detail) and an **audit entry** (`batch.run`, target
//!   `batch:<job>`) naming who started it;
//! - runs **alone**: a second run of the same job while one is running, in
//!   this process or another on the same database, is refused
//!   ([`Error::AlreadyRunning`]).
//!
//! A job that fails is a run with outcome `failed` (and why, in its
//! detail), not an error of [`Batch::run`]: that returns an error only when
//! the run could not be recorded at all.

pub mod maintenance;
pub mod orders_export;
mod runs;
pub mod stock_report;

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value as Json;
use telemetry_api::{KeyValue, Telemetry, semconv};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;

use crate::audit::{self, Actor, AuditEvent, Origin, Outcome};
use crate::db::Db;
use crate::instruments::Instruments;
use crate::objects::ObjectStore;
use crate::time::now_millis;

/// A run that has been running this long is taken to be dead (its process
/// stopped mid-run) and no longer blocks the next run of its job.
pub const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// A batch job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// Stock levels by status and the products that need attention (A-BATCH-01).
    StockReport,
    /// The orders placed since the last export, as CSV, to S3 (A-BATCH-02).
    OrdersExport,
    /// Purge expired carts and sessions; verify the audit chain (A-BATCH-03).
    Maintenance,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 3] = [Job::StockReport, Job::OrdersExport, Job::Maintenance];

    /// The name in the API, the command line, the database and telemetry.
    pub fn as_str(self) -> &'static str {
        match self {
            Job::StockReport => "stock_report",
            Job::OrdersExport => "orders_export",
            Job::Maintenance => "maintenance",
        }
    }

    /// The job named `name`.
    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.as_str() == name)
    }

    /// The names of every job, for messages: `stock_report, orders_export, maintenance`.
    pub fn names() -> String {
        Job::ALL.map(Job::as_str).join(", ")
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who started a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// The server's scheduler (`--batch-schedule`).
    Schedule,
    /// `shop batch <job>`.
    Cli,
    /// An admin, by id (`POST /api/admin/batch/{job}`).
    Admin(String),
}

impl Trigger {
    /// `schedule`, `cli` or `admin`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Cli => "cli",
            Trigger::Admin(_) => "admin",
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Trigger::Schedule => Actor::System("scheduler"),
            Trigger::Cli => Actor::System("cli"),
            Trigger::Admin(id) => Actor::Admin(id.clone()),
        }
    }
}

/// A run of a job, as `batch_runs` keeps it and the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Run {
    /// A UUID.
    pub id: String,
    /// `stock_report`, `orders_export` or `maintenance`.
    pub job: String,
    /// `schedule`, `cli` or `admin`.
    pub triggered_by: String,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; absent while running.
    pub finished_at: Option<String>,
    /// What the job handled: products, orders, purged rows.
    pub items: i64,
    /// `running`, `success`, `failed`, or `abandoned` (its process stopped mid-run).
    pub outcome: String,
    /// The job's summary (counts, the export's object key, the audit chain's verdict; `error`
    /// when it failed).
    #[schema(value_type = Object)]
    pub detail: Option<Json>,
    /// The run's own trace.
    pub trace_id: Option<String>,
}

/// Why a job failed: a short class (the span's `error.type`) and a message
/// for the run's detail and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(kind: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Failure {
        Failure::new(crate::db::error_type(&e), e.to_string())
    }
}

impl From<crate::objects::Error> for Failure {
    fn from(e: crate::objects::Error) -> Failure {
        Failure::new("s3", e.to_string())
    }
}

/// What a job did: how many items, its summary, and (for a job that
/// finished its work but found something wrong, like a broken audit chain)
/// the problem that makes the run fail.
#[derive(Clone, Debug, PartialEq)]
pub struct Done {
    pub items: u64,
    pub detail: Json,
    pub problem: Option<Failure>,
}

/// Why a run could not happen or be recorded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A run of this job is running (here or in another process).
    #[error("a {0} run is already running; try again when it has finished")]
    AlreadyRunning(Job),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Runs batch jobs and keeps their record. Cheap to clone.
#[derive(Clone)]
pub struct Batch {
    db: Db,
    instruments: Instruments,
    telemetry: Telemetry,
    /// Where the orders export goes; `None`: not configured (the export fails, saying so).
    exports: Option<ObjectStore>,
}

impl Batch {
    pub fn new(db: Db, instruments: Instruments, telemetry: Telemetry) -> Batch {
        Batch {
            db,
            instruments,
            telemetry,
            exports: None,
        }
    }

    /// The same, writing the orders export to `store`.
    pub fn with_exports(mut self, store: ObjectStore) -> Batch {
        self.exports = Some(store);
        self
    }

    /// The object store the orders export writes to, if configured.
    pub fn exports(&self) -> Option<&ObjectStore> {
        self.exports.as_ref()
    }

    /// Runs `job` now, started by `trigger` (from `origin`, for the audit
    /// entry), and returns its record. See the module documentation.
    pub async fn run(&self, job: Job, trigger: Trigger, origin: Origin) -> Result<Run, Error> {
        let id = uuid::Uuid::new_v4().to_string();
        // The run reports to this runner's telemetry, whoever calls: the
        // scheduler's task, a request's handler, the command line, a test.
        let dispatch = self.telemetry.dispatch().clone();
        // `parent: None`: a new trace, even when an admin's request starts it.
        let span = tracing::dispatcher::with_default(&dispatch, || {
            tracing::info_span!(
                parent: None,
                "batch run",
                span.name = format!("batch {job}").as_str(),
                shop.batch.job = job.as_str(),
                shop.batch.trigger = trigger.as_str(),
                shop.batch.run.id = id.as_str(),
                shop.batch.outcome = tracing::field::Empty,
                shop.batch.item_count = tracing::field::Empty,
                error.type = tracing::field::Empty,
            )
        });
        let trace_id = telemetry_api::trace::span_context(&span)
            .map(|c| self.telemetry.format_trace_id(c.trace_id));
        self.run_in(job, trigger, origin, id, trace_id, span.clone())
            .instrument(span)
            .with_subscriber(dispatch)
            .await
    }

    async fn run_in(
        &self,
        job: Job,
        trigger: Trigger,
        mut origin: Origin,
        id: String,
        trace_id: Option<String>,
        span: tracing::Span,
    ) -> Result<Run, Error> {
        let started_at = now_millis();
        let started = runs::start(
            &self.db,
            &id,
            job,
            &trigger,
            started_at,
            trace_id.as_deref(),
        )
        .await;
        if let Err(e) = started {
            // The span says why this trace did nothing.
            let kind = match &e {
                Error::AlreadyRunning(_) => "already_running",
                Error::Db(db) => crate::db::error_type(db),
            };
            span.record(semconv::ERROR_TYPE, kind);
            tracing::info!(
                shop.batch.job = job.as_str(),
                shop.batch.trigger = trigger.as_str(),
                error.type = kind,
                "batch run refused"
            );
            return Err(e);
        }
        tracing::info!(
            shop.batch.job = job.as_str(),
            shop.batch.trigger = trigger.as_str(),
            shop.batch.run.id = id.as_str(),
            "batch run started"
        );
        let clock = Instant::now();
        let done = match job {
            Job::StockReport => stock_report::run(&self.db).await,
            Job::OrdersExport => {
                orders_export::run(&self.db, self.exports.as_ref(), &id, started_at).await
            }
            Job::Maintenance => maintenance::run(&self.db, &self.instruments, started_at).await,
        };
        let elapsed = clock.elapsed();
        let (items, mut detail, failure) = match done {
            Ok(Done {
                items,
                detail,
                problem,
            }) => (items, detail, problem),
            Err(f) => (0, serde_json::json!({}), Some(f)),
        };
        if let (Some(f), Some(map)) = (&failure, detail.as_object_mut()) {
            map.insert("error".to_owned(), Json::String(f.message.clone()));
        }
        let outcome = if failure.is_some() {
            Outcome::Failed
        } else {
            Outcome::Success
        };
        let finished_at = now_millis();
        // A finished stock report is delivered (A-BATCH-01): the event names
        // the run and its counts; the notification worker mails the admins
        // who look after stock, reading the full report from the run.
        let announce = (job == Job::StockReport && outcome == Outcome::Success).then(|| {
            let mut summary = serde_json::json!({ "run_id": id });
            for key in [
                "products",
                "units_on_hand",
                "in_stock",
                "low_stock",
                "out_of_stock",
            ] {
                summary[key] = detail.get(key).cloned().unwrap_or(Json::Null);
            }
            (crate::events::EventType::StockReport, summary)
        });
        runs::finish(
            &self.db,
            &id,
            finished_at,
            items,
            outcome,
            &detail,
            announce,
        )
        .await?;

        // Telemetry: the span's result, the metrics, the closing log line.
        span.record(semconv::SHOP_BATCH_OUTCOME, outcome.as_str());
        span.record(semconv::SHOP_BATCH_ITEM_COUNT, items as i64);
        let by_job = KeyValue::new(semconv::SHOP_BATCH_JOB, job.as_str());
        let by_outcome = KeyValue::new(semconv::SHOP_BATCH_OUTCOME, outcome.as_str());
        self.instruments
            .batch_duration
            .record(elapsed.as_secs_f64(), &[by_job.clone(), by_outcome.clone()]);
        self.instruments
            .batch_runs
            .add(1, &[by_job.clone(), by_outcome]);
        self.instruments.batch_items.add(items, &[by_job]);
        match &failure {
            None => tracing::info!(
                shop.batch.job = job.as_str(),
                shop.batch.outcome = outcome.as_str(),
                shop.batch.item_count = items,
                shop.batch.run.id = id.as_str(),
                duration_ms = elapsed.as_millis() as u64,
                "batch run finished"
            ),
            Some(f) => {
                span.record(semconv::ERROR_TYPE, f.kind);
                tracing::warn!(
                    shop.batch.job = job.as_str(),
                    shop.batch.outcome = outcome.as_str(),
                    shop.batch.item_count = items,
                    shop.batch.run.id = id.as_str(),
                    duration_ms = elapsed.as_millis() as u64,
                    error.type = f.kind,
                    error = f.message.as_str(),
                    "batch run finished"
                )
            }
        }

        // The audit entry: who ran what, and how it went. A run started
        // outside a request leads to its own trace.
        if origin.trace_id.is_none() {
            origin.trace_id = trace_id.clone();
        }
        audit::append(
            &self.db,
            AuditEvent::new(trigger.actor(), "batch.run", outcome)
                .target(format!("batch:{job}"))
                .change(
                    None,
                    Some(serde_json::json!({
                        "run": id,
                        "items": items,
                        "triggered_by": trigger.as_str(),
                    })),
                )
                .origin(origin),
        )
        .await?;
        Ok(Run {
            id,
            job: job.as_str().to_owned(),
            triggered_by: trigger.as_str().to_owned(),
            started_at: crate::time::rfc3339(started_at),
            finished_at: Some(crate::time::rfc3339(finished_at)),
            items: items as i64,
            outcome: outcome.as_str().to_owned(),
            detail: Some(detail),
            trace_id,
        })
    }

    /// One run by its id.
    pub async fn find(db: &Db, id: &str) -> Result<Option<Run>, sqlx::Error> {
        runs::find(db, id).await
    }

    /// The most recent runs, newest first, of one job or all.
    pub async fn recent(&self, job: Option<Job>, limit: i64) -> Result<Vec<Run>, sqlx::Error> {
        runs::recent(&self.db, job, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_round_trip() {
        for job in Job::ALL {
            assert_eq!(Job::parse(job.as_str()), Some(job));
        }
        assert_eq!(Job::parse("vacuum"), None);
        assert_eq!(Job::names(), "stock_report, orders_export, maintenance");
    }
}
