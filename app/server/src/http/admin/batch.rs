//! Batch jobs from the back office (A-BATCH-01..03): run one now, and read
//! the recent runs. The jobs, their telemetry and their record are
//! `shop_core::batch`'s; the scheduler is `crate::batch`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use shop_core::admin::{Admins, Operation};
use shop_core::audit::Outcome;
use shop_core::batch::{Batch, Job, Run, Trigger};
use utoipa::IntoParams;

use super::session::Admin;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{Path, Query};

/// Most runs one listing returns.
pub const MAX_LIMIT: i64 = 100;

fn job(name: &str) -> Result<Job, ApiError> {
    Job::parse(name).ok_or_else(|| {
        ApiError::validation("job", format!("unknown job; the jobs are {}", Job::names()))
    })
}

/// Run a batch job now: `stock_report`, `orders_export` or `maintenance`. The run is a trace of
/// its own (its id is the run's `trace_id`), an audit entry and a row of the run history. A job
/// that fails (S3 unreachable, a broken audit chain) is a run with outcome `failed` and the
/// reason in its `detail`, answered 200 like any other run.
#[utoipa::path(post, path = "/api/admin/batch/{job}", tag = "admin",
    params(("job" = String, Path, description = "The job", pattern = "^(stock_report|orders_export|maintenance)$")),
    security(("admin_session" = [], "admin_csrf" = [])),
    responses(
        (status = 200, description = "The run, finished (see its `outcome`)", body = Run),
        (status = 400, description = "Unknown job (`field` is `job`)", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Missing X-CSRF-Token, or your roles do not allow this", body = ErrorBody),
        (status = 409, description = "A run of this job is already running (`batch_running`)", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("batch.run"))))]
pub async fn run(
    State(admins): State<Admins>,
    State(batch): State<Batch>,
    admin: Admin,
    Path(name): Path<String>,
) -> ApiResult<Json<Run>> {
    admin.authorize(&admins, Operation::BatchRun).await?;
    let job = job(&name)?;
    // A task of its own: a run is not cut in half when the request is
    // (the client goes away, the request timeout answers 503); it finishes
    // and records itself, and the run history shows how it went.
    let trigger = Trigger::Admin(admin.session.admin_id.clone());
    let origin = admin.origin.clone();
    let run = tokio::spawn(async move { batch.run(job, trigger, origin).await })
        .await
        .map_err(|e| ApiError::Internal(format!("the batch run's task failed: {e}")))??;
    // Audited by the run itself; counted here, with how the run went.
    let outcome = if run.outcome == Outcome::Success.as_str() {
        Outcome::Success
    } else {
        Outcome::Failed
    };
    admins.counted_as(Operation::BatchRun, outcome);
    Ok(Json(run))
}

/// Which runs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    /// Only this job's runs.
    #[param(pattern = "^(stock_report|orders_export|maintenance)$")]
    pub job: Option<String>,
    /// 1–100 (default 20), newest first.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// The recent batch runs, newest first, whoever started them (the schedule, the command line,
/// an admin).
#[utoipa::path(get, path = "/api/admin/batch/runs", tag = "admin", params(RunFilter),
    security(("admin_session" = [])),
    responses(
        (status = 200, description = "Runs, newest first", body = Vec<Run>),
        (status = 400, description = "Invalid query parameter", body = ErrorBody),
        (status = 401, description = "No admin session, or no second factor yet", body = ErrorBody),
        (status = 403, description = "Your roles do not allow this", body = ErrorBody),
    ),
    extensions(("x-admin-operation" = json!("batch.read"))))]
pub async fn runs(
    State(admins): State<Admins>,
    State(batch): State<Batch>,
    admin: Admin,
    Query(filter): Query<RunFilter>,
) -> ApiResult<Json<Vec<Run>>> {
    admin.authorize(&admins, Operation::BatchRead).await?;
    let job = filter.job.as_deref().map(job).transpose()?;
    let limit = filter.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let runs = batch.recent(job, limit).await?;
    admins.counted(Operation::BatchRead);
    Ok(Json(runs))
}
