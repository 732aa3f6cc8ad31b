//! `stock-report`: the stock report batch job (A-BATCH-01) run by a
//! schedule. In AWS an EventBridge rule or EventBridge Scheduler invokes the
//! function with a *Scheduled Event*:
//!
//! ```json
//! {"version":"0","id":"…","detail-type":"Scheduled Event","source":"aws.events","account":"…",
//!  "time":"2026-12-02T06:00:00Z","region":"us-east-1","resources":["arn:aws:events:…:rule/stock-report-daily"],"detail":{}}
//! ```
//!
//! The function runs the job through the shop's own
//! [`Batch::run`](shop_core::batch::Batch::run) with the trigger `schedule`,
//! exactly as the server's scheduler does: the run is recorded in
//! `batch_runs` and the audit log, refused while another run of the job is
//! running (here or in a shop), and is a root span of its own trace with
//! its logs and `shop.batch.*` metrics (see `shop_core::batch`). The
//! invocation's span records the run's id and trace id, so the two traces
//! can be found from each other; the audit entry's origin is the invocation
//! (its Lambda request id and trace).
//!
//! The database is the shop's: `DATABASE_URL` (`sqlite://…` or
//! `mysql://…`), else the Secrets Manager secret `SHOP_DATABASE_URL_SECRET`
//! names, read once at cold start ([`crate::database_url`]);
//! `SHOP_DB_MAX_CONNECTIONS` (default 2). The function does not migrate it:
//! the shop owns its schema.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Serialize;
use serde_json::Value;
use shop_core::audit::Origin;
use shop_core::batch::{self, Batch, Job, Trigger};
use shop_core::db::Db;
use shop_core::instruments::Instruments;
use telemetry_api::Telemetry;

use crate::database_url;
use crate::function::{FunctionError, Handled, StartError};

/// The function's state: the shop's batch runner on its database.
#[derive(Clone)]
pub struct StockReport {
    batch: Batch,
    telemetry: Telemetry,
}

/// The function's answer: the run as the shop records it, or why none ran.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// The schedule's `detail-type` and rule (`resources`), as received.
    pub detail_type: String,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<batch::Run>,
    /// Why no run happened (`already_running`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl StockReport {
    /// Connects to the shop's database (no query yet): `DATABASE_URL`, else
    /// the secret `SHOP_DATABASE_URL_SECRET` names; neither is an init error.
    pub async fn from_env(telemetry: Telemetry) -> Result<StockReport, StartError> {
        let url = database_url::required().await?;
        let max = std::env::var("SHOP_DB_MAX_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2);
        let instruments = Instruments::new(&telemetry);
        let db = Db::connect(url.expose(), max, instruments.db_duration.clone())
            .await
            .map_err(|e| StartError::Config(format!("database: {e}")))?;
        Ok(StockReport::new(db, instruments, telemetry))
    }

    pub fn new(db: Db, instruments: Instruments, telemetry: Telemetry) -> StockReport {
        StockReport {
            batch: Batch::new(db, instruments, telemetry.clone()),
            telemetry,
        }
    }

    /// Runs the report once for a scheduled event.
    pub async fn handle(
        &self,
        event: EventBridgeEvent<Value>,
    ) -> Result<Handled<Answer>, FunctionError> {
        let mut answer = Answer {
            detail_type: event.detail_type.clone(),
            resources: event.resources.clone().unwrap_or_default(),
            run: None,
            skipped: None,
        };
        if event.detail_type != "Scheduled Event" {
            tracing::warn!(
                detail_type = event.detail_type.as_str(),
                source = event.source.as_str(),
                "not a Scheduled Event; running the report anyway"
            );
        }
        let origin = Origin {
            request_id: telemetry_api::trace::current_request_id().map(|r| r.to_string()),
            trace_id: telemetry_api::trace::current_span_context()
                .map(|c| self.telemetry.format_trace_id(c.trace_id)),
            ..Origin::default()
        };
        match self
            .batch
            .run(Job::StockReport, Trigger::Schedule, origin)
            .await
        {
            Ok(run) => {
                tracing::info!(
                    shop.batch.job = run.job.as_str(),
                    shop.batch.outcome = run.outcome.as_str(),
                    shop.batch.run.id = run.id.as_str(),
                    shop.batch.trace_id = run.trace_id.as_deref().unwrap_or(""),
                    "stock report run"
                );
                if run.outcome != "success" {
                    let why = run
                        .detail
                        .as_ref()
                        .and_then(|d| d.get("error"))
                        .and_then(Value::as_str)
                        .unwrap_or("see the run's detail")
                        .to_owned();
                    return Err(FunctionError::new(
                        "batch_failed",
                        format!("stock report run {} failed: {why}", run.id),
                    ));
                }
                let items = run.items.max(0) as u64;
                answer.run = Some(run);
                Ok(Handled {
                    value: answer,
                    items,
                })
            }
            Err(batch::Error::AlreadyRunning(_)) => {
                tracing::info!("stock report skipped: a run is already running");
                answer.skipped = Some("already_running".to_owned());
                Ok(Handled {
                    value: answer,
                    items: 0,
                })
            }
            Err(e) => Err(FunctionError::new("batch_unrecorded", e.to_string())),
        }
    }
}
