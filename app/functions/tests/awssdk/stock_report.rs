//! `stock-report` on an EventBridge Scheduled Event: the shop's stock report
//! run, recorded as the shop records any batch run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use shop_core::db::Db;
use shop_functions::carrier::Fields;
use shop_functions::invoke::{Answer, Carriers, Invoker};
use telemetry_api::Telemetry;

use crate::common::{self, Watch};
use crate::lab;

/// A fresh SQLite database of the shop's in a directory of its own, migrated
/// and seeded as the shop does it (the function does neither): the
/// directory, the URL and a connection to read what the function recorded.
pub async fn shop_database(prefix: &str) -> (PathBuf, String, Db) {
    let dir = std::env::temp_dir().join(common::unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("shop.db").display());
    let telemetry = Telemetry::builder(
        telemetry_api::noop::backend(),
        telemetry_api::Resource::new("test", "0"),
    )
    .build()
    .unwrap();
    let instruments = shop_core::instruments::Instruments::new(&telemetry);
    let db = Db::connect(&url, 2, instruments.db_duration.clone())
        .await
        .unwrap();
    db.migrate().await.unwrap();
    shop_core::db::seed::seed_if_empty(&db).await.unwrap();
    (dir, url, db)
}

/// An EventBridge Scheduled Event, as a rule `stock-report-daily` sends it.
pub fn scheduled_event() -> Value {
    json!({"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "000000000000", "time": "2026-12-02T06:00:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:000000000000:rule/stock-report-daily"], "detail": {}})
}

/// Invokes `stock-report` (attached to `watch` as `function`) on the scheduled event, under a
/// caller's trace header, and checks that it succeeded (showing the function's lines if not):
/// the answer, and the caller's trace root.
pub async fn invoke_scheduled(
    watch: &Watch,
    env: &BTreeMap<String, String>,
    function: &mut common::Process,
) -> (Answer, String) {
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), env));
    let (header, root, _) = common::caller_trace_header();
    let answer = invoker
        .invoke(
            "stock-report",
            scheduled_event(),
            &Fields::new().with("x-amzn-trace-id", header),
            Carriers::ALL,
        )
        .await
        .unwrap();
    assert!(
        answer.succeeded(),
        "{:?} {:#?}",
        String::from_utf8_lossy(&answer.payload),
        function.lines()
    );
    (answer, root)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_event_runs_the_stock_report_and_the_run_is_recorded() {
    let env = common::emulators();
    let (dir, url, db) = shop_database("fn-stock").await;

    let watch = Watch::start();
    let mut function = watch.attach(
        "stock-report",
        Path::new(env!("CARGO_BIN_EXE_stock-report")),
        &lab::function_env(&env, "fn-test-stock", &[("DATABASE_URL", &url)]),
    );
    let (answer, root) = invoke_scheduled(&watch, &env, &mut function).await;
    let body = answer.json();
    let run = &body["run"];
    assert_eq!(run["job"], "stock_report");
    assert_eq!(run["triggered_by"], "schedule");
    assert_eq!(run["outcome"], "success");
    let products: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(run["items"], products, "{body}");
    assert_eq!(
        body["resources"][0],
        "arn:aws:events:us-east-1:000000000000:rule/stock-report-daily"
    );

    // The run is in batch_runs, and its audit entry's origin is the invocation.
    let (outcome, trigger): (String, String) =
        sqlx::query_as("SELECT outcome, triggered_by FROM batch_runs WHERE id = ?")
            .bind(run["id"].as_str().unwrap())
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        (outcome.as_str(), trigger.as_str()),
        ("success", "schedule")
    );

    // The invocation continues the caller's trace; the run is a root of its own (as every batch
    // run is), named in the invocation's log line.
    assert_eq!(body["invocation"]["trace_id"], root.as_str());
    let run_trace = run["trace_id"]
        .as_str()
        .expect("the run's trace id")
        .to_owned();
    assert_ne!(run_trace, root);
    let logged = function
        .wait_json(Duration::from_secs(10), |l| {
            l["message"] == "stock report run"
        })
        .unwrap_or_else(|| panic!("{:#?}", function.lines()));
    assert_eq!(logged["trace_id"], root.as_str());
    assert_eq!(logged["shop.batch.trace_id"], run_trace.as_str());
    let docs = common::segments(&env, &run_trace, Duration::from_secs(10)).await;
    assert!(
        docs.iter().any(|d| d["name"] == "fn-test-stock"),
        "the batch run's segment in X-Ray: {docs:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
