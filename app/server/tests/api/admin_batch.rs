//! Batch jobs (A-BATCH-01..03) on both databases: an administrator runs the
//! stock report and maintenance from the back office; each run is a root
//! span of its own trace with its database calls under it, its log lines
//! and metrics, a row of the run history and an audit entry; maintenance
//! purges exactly the expired carts and sessions and fails on a broken
//! audit chain; the orders export writes CSV to real S3 (LocalStack),
//! incrementally; the scheduler runs a job on its own and stops with the
//! server.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::Role;
use shop_core::audit::{self, Origin};
use shop_core::batch::{Job, Trigger};
use shop_core::objects::{ObjectStore, ObjectStoreSettings, StaticCredentials};
use telemetry_api::semconv::{self, metrics};
use telemetry_api::{SpanRecord, TraceId};

use crate::accounts::new_customer;
use crate::admin::{AdminClient, counter, ready_admin};
use crate::db_tests;
use crate::support::*;

async fn run_job(app: &TestApp, admin: &AdminClient, job: &str) -> Value {
    let r = admin
        .send(app, Method::POST, &format!("/api/admin/batch/{job}"), None)
        .await;
    expect_json(r, 200).await
}

/// The root span of a run's trace (waiting for it to end here).
async fn root_span(app: &TestApp, run: &Value) -> (SpanRecord, Vec<SpanRecord>) {
    let trace = TraceId::from_hex(run["trace_id"].as_str().expect("a trace id")).unwrap();
    for _ in 0..500 {
        let spans = app.recorder.trace(trace);
        if let Some(root) = spans.iter().find(|s| s.parent_span_id.is_none()) {
            return (root.clone(), spans);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the run's root span never arrived: {run}")
}

fn by(job: &str, outcome: Option<&str>) -> Vec<(&'static str, telemetry_api::Value)> {
    let mut f = vec![(
        semconv::SHOP_BATCH_JOB,
        telemetry_api::Value::from(job.to_owned()),
    )];
    if let Some(o) = outcome {
        f.push((
            semconv::SHOP_BATCH_OUTCOME,
            telemetry_api::Value::from(o.to_owned()),
        ));
    }
    f
}

async fn exec(app: &TestApp, sql: &'static str) {
    sqlx::query(sql).execute(app.db.pool()).await.unwrap();
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

db_tests! {
    async fn a_run_is_a_root_span_with_metrics_logs_a_record_and_an_audit_entry(app) {
        let boss = ready_admin(&app, "boss@example.com", &[Role::Administrator]).await;
        let r = boss.send(&app, Method::POST, "/api/admin/batch/stock_report", None).await;
        let request_trace = r.headers()["x-trace-id"].to_str().unwrap().to_owned();
        let run = expect_json(r, 200).await;
        assert_eq!((run["job"].as_str(), run["outcome"].as_str(), run["triggered_by"].as_str()), (Some("stock_report"), Some("success"), Some("admin")));
        let d = &run["detail"];
        assert_eq!(run["items"], 240, "{run}");
        assert_eq!(d["products"], 240);
        let statuses = d["in_stock"].as_i64().unwrap() + d["low_stock"].as_i64().unwrap() + d["out_of_stock"].as_i64().unwrap();
        assert_eq!(statuses, 240, "{run}");
        assert!(d["units_on_hand"].as_i64().unwrap() > 0);

        // Its own trace, not the request's: a root span with the database calls under it.
        assert_ne!(run["trace_id"], request_trace.as_str());
        let (root, spans) = root_span(&app, &run).await;
        assert_eq!(root.name, "batch stock_report");
        assert_eq!(root.attribute(semconv::SHOP_BATCH_JOB).and_then(|v| v.as_str()), Some("stock_report"));
        assert_eq!(root.attribute(semconv::SHOP_BATCH_TRIGGER).and_then(|v| v.as_str()), Some("admin"));
        assert_eq!(root.attribute(semconv::SHOP_BATCH_OUTCOME).and_then(|v| v.as_str()), Some("success"));
        assert_eq!(root.attribute(semconv::SHOP_BATCH_ITEM_COUNT).and_then(|v| v.as_i64()), Some(240));
        assert_eq!(root.attribute(semconv::SHOP_BATCH_RUN_ID).and_then(|v| v.as_str()), run["id"].as_str());
        assert!(root.attribute(semconv::ERROR_TYPE).is_none());
        assert!(spans.iter().any(|s| s.name == "SELECT inventory" && s.parent_span_id == Some(root.context.span_id)), "{:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
        // Metrics by job and outcome; logs in the run's trace.
        assert_eq!(app.recorder.histogram_count(metrics::SHOP_BATCH_DURATION, &by("stock_report", Some("success"))), 1);
        assert_eq!(app.recorder.counter_total(metrics::SHOP_BATCH_RUNS, &by("stock_report", Some("success"))), 1.0);
        assert_eq!(app.recorder.counter_total(metrics::SHOP_BATCH_ITEMS, &by("stock_report", None)), 240.0);
        let logs = app.recorder.logs();
        let finished = logs.iter().find(|l| l.message == "batch run finished").expect("a closing log line");
        assert_eq!(finished.span_context.as_ref().unwrap().trace_id, root.context.trace_id);
        assert_eq!(finished.attribute(semconv::SHOP_BATCH_OUTCOME).and_then(|v| v.as_str()), Some("success"));
        assert!(logs.iter().any(|l| l.message == "batch run started"));
        // Counted as an admin action, audited with who started it.
        assert_eq!(counter(&app, "batch.run", "success"), 1.0);
        let log = audit::entries(&app.db, 0, i64::MAX, 1000).await.unwrap();
        let entry = log.iter().find(|e| e.action.as_deref() == Some("batch.run")).expect("an audit entry");
        assert_eq!((entry.actor_kind.as_deref(), entry.target.as_deref(), entry.outcome.as_deref()), (Some("admin"), Some("batch:stock_report"), Some("success")));
        assert!(entry.after.as_deref().unwrap().contains(run["id"].as_str().unwrap()));

        // Bad input and the wrong roles.
        expect_error(boss.send(&app, Method::POST, "/api/admin/batch/vacuum", None).await, 400, "validation_failed", Some("job")).await;
        let viewer = ready_admin(&app, "viewer@example.com", &[Role::Viewer]).await;
        expect_error(viewer.send(&app, Method::POST, "/api/admin/batch/stock_report", None).await, 403, "forbidden", None).await;
        expect_error(viewer.get(&app, "/api/admin/batch/runs").await, 403, "forbidden", None).await;

        // The orders export without a bucket fails, saying so; the run is recorded all the same.
        let failed = run_job(&app, &boss, "orders_export").await;
        assert_eq!(failed["outcome"], "failed");
        assert!(failed["detail"]["error"].as_str().unwrap().contains("--export-bucket"), "{failed}");
        assert_eq!(counter(&app, "batch.run", "failed"), 1.0);
        let (root, _) = root_span(&app, &failed).await;
        assert_eq!(root.attribute(semconv::ERROR_TYPE).and_then(|v| v.as_str()), Some("not_configured"));

        // One run of a job at a time, across processes; a run whose process died stops blocking after an hour.
        exec(&app, "INSERT INTO batch_runs (id, job, triggered_by, running_job, started_at, items, outcome) \
            VALUES ('elsewhere', 'stock_report', 'schedule', 'stock_report', 9999999999999, 0, 'running')").await;
        expect_error(boss.send(&app, Method::POST, "/api/admin/batch/stock_report", None).await, 409, "batch_running", None).await;
        assert!(app.recorder.logs().iter().any(|l| l.message == "batch run refused"
            && l.attribute(semconv::ERROR_TYPE).and_then(|v| v.as_str()) == Some("already_running")));
        exec(&app, "UPDATE batch_runs SET started_at = 0 WHERE id = 'elsewhere'").await;
        run_job(&app, &boss, "stock_report").await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM batch_runs WHERE id = 'elsewhere' AND outcome = 'abandoned'").await, 1);

        // The history, newest first, for auditors too.
        let auditor = ready_admin(&app, "auditor@example.com", &[Role::SecurityAuditor]).await;
        let runs = expect_json(auditor.get(&app, "/api/admin/batch/runs").await, 200).await;
        let jobs: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["job"].as_str().unwrap()).collect();
        assert_eq!(jobs, ["stock_report", "orders_export", "stock_report", "stock_report"], "{runs}");
        assert_eq!(runs[0]["outcome"], "success");
        let only = expect_json(auditor.get(&app, "/api/admin/batch/runs?job=orders_export&limit=5").await, 200).await;
        assert_eq!(only.as_array().unwrap().len(), 1);
        assert_eq!(only[0]["detail"]["error"], failed["detail"]["error"]);
        expect_error(auditor.get(&app, "/api/admin/batch/runs?job=vacuum").await, 400, "validation_failed", Some("job")).await;
        expect_error(auditor.get(&app, "/api/admin/batch/runs?limit=0").await, 400, "validation_failed", Some("limit")).await;
    }

    async fn maintenance_purges_what_expired_and_fails_on_a_broken_chain(app) {
        let boss = ready_admin(&app, "boss@example.com", &[Role::Administrator]).await;
        // Carts: a guest's, left a long time ago (purged); a fresh one; a customer's own, however
        // old; one checked out long ago (its order keeps it).
        let stale = app.create_cart().await;
        expect_json(app.add_item(&stale, 2, 1).await, 201).await;
        let fresh = app.create_cart().await;
        let me = new_customer(&app, "maintenance.customer@example.com").await;
        let sold = app.create_cart().await;
        expect_json(app.add_item(&sold, 3, 1).await, 201).await;
        expect_json(app.checkout("maintenance-1", &order_body(&sold)).await, 201).await;
        let old = shop_core::time::now_millis() - 31 * 24 * 60 * 60 * 1000;
        for id in [&stale, &me.cart_id, &sold] {
            sqlx::query("UPDATE carts SET updated_at = ? WHERE id = ?").bind(old).bind(id.as_str()).execute(app.db.pool()).await.unwrap();
        }
        // Sessions: the customer's expires; a second admin's goes idle; the boss's stays.
        let idle = ready_admin(&app, "idle@example.com", &[Role::Viewer]).await;
        exec(&app, "UPDATE sessions SET expires_at = 0").await;
        let customer_sessions = count(&app, "SELECT COUNT(*) FROM sessions").await;
        assert!(customer_sessions >= 1);
        exec(&app, "UPDATE admin_sessions SET last_seen_at = 0 WHERE admin_id = (SELECT id FROM admins WHERE email = 'idle@example.com')").await;

        let run = run_job(&app, &boss, "maintenance").await;
        assert_eq!(run["outcome"], "success", "{run}");
        let d = &run["detail"];
        assert_eq!((d["carts"].as_i64(), d["customer_sessions"].as_i64(), d["admin_sessions"].as_i64()), (Some(1), Some(customer_sessions), Some(1)), "{run}");
        assert_eq!(run["items"], 2 + customer_sessions);
        assert_eq!(d["audit"]["intact"], true);
        expect_error(app.get(&format!("/api/carts/{stale}")).await, 404, "not_found", None).await;
        for kept in [&fresh, &me.cart_id, &sold] {
            sqlx::query_scalar::<_, String>("SELECT id FROM carts WHERE id = ?").bind(kept.as_str()).fetch_one(app.db.pool()).await
                .unwrap_or_else(|e| panic!("cart {kept} was purged: {e}"));
        }
        assert_eq!(idle.get(&app, "/api/admin/me").await.status(), 401);
        expect_json(boss.get(&app, "/api/admin/me").await, 200).await;
        assert_eq!(app.recorder.counter_total(metrics::SHOP_BATCH_ITEMS, &by("maintenance", None)), (2 + customer_sessions) as f64);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM admin_sessions").await, 1, "only the boss's session is left");

        // Someone edits the audit log: maintenance still purges, but fails, and says where.
        exec(&app, "UPDATE audit_log SET target = 'admin:someone-else' WHERE seq = 2").await;
        let run = run_job(&app, &boss, "maintenance").await;
        assert_eq!(run["outcome"], "failed", "{run}");
        assert_eq!(run["detail"]["audit"], json!({ "intact": false, "broken_at": 2, "problem": "edited" }));
        assert!(run["detail"]["error"].as_str().unwrap().contains("#2"));
        let (root, _) = root_span(&app, &run).await;
        assert_eq!(root.attribute(semconv::ERROR_TYPE).and_then(|v| v.as_str()), Some("audit_chain_broken"));
        assert_eq!(app.recorder.counter_total(metrics::SHOP_BATCH_RUNS, &by("maintenance", Some("failed"))), 1.0);
        assert_eq!(app.recorder.counter_total(metrics::SHOP_SECURITY_EVENTS, &[(semconv::SHOP_SECURITY_EVENT_KIND, "audit_chain_broken".into())]), 1.0);
        assert_eq!(counter(&app, "batch.run", "failed"), 1.0);
    }

    async fn the_orders_export_writes_csv_to_s3_incrementally(app) {
        let env = crate::common::lab_component("localstack");
        let mut settings = ObjectStoreSettings::new(format!("shop-exports-{:08x}", rand::random::<u32>()));
        settings.endpoint = Some(env["AWS_ENDPOINT_URL_S3"].clone());
        settings.region = Some(env["AWS_REGION"].clone());
        settings.credentials = Some(StaticCredentials { access_key_id: "test".into(), secret_access_key: "test".into() });
        let store = ObjectStore::connect(&settings).await.unwrap();
        let batch = app.batch.clone().with_exports(store.clone());

        let mut ids = Vec::new();
        for key in ["export-1", "export-2"] {
            let cart = app.create_cart().await;
            expect_json(app.add_item(&cart, 4, 2).await, 201).await;
            ids.push(expect_json(app.checkout(key, &order_body(&cart)).await, 201).await["id"].as_str().unwrap().to_owned());
        }
        let first = batch.run(Job::OrdersExport, Trigger::Cli, Origin::default()).await.unwrap();
        assert_eq!((first.outcome.as_str(), first.items), ("success", 2), "{first:?}");
        let detail = first.detail.clone().unwrap();
        let key = detail["key"].as_str().unwrap();
        assert!(key.starts_with("exports/orders/") && key.ends_with(&format!("orders-{}.csv", first.id)), "{key}");
        let object = store.get(key).await.unwrap().expect("the export is in the bucket");
        assert_eq!(object.content_type.as_deref(), Some("text/csv"));
        let csv = String::from_utf8(object.bytes).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], shop_core::batch::orders_export::CSV_HEADER);
        assert_eq!(lines.len(), 3, "{csv}");
        for id in &ids {
            let line = lines.iter().find(|l| l.starts_with(id.as_str())).unwrap_or_else(|| panic!("{id} not in {csv}"));
            // lines, units: two of product 4 in one line.
            assert!(line.contains(",card,,1,2,"), "{line}");
        }
        assert!(!csv.contains('@'), "no e-mail address: {csv}");

        // The S3 call is a child of the run's root span.
        let trace = TraceId::from_hex(first.trace_id.as_deref().unwrap()).unwrap();
        let mut spans = Vec::new();
        for _ in 0..500 {
            spans = app.recorder.trace(trace);
            if spans.iter().any(|s| s.parent_span_id.is_none()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let root = spans.iter().find(|s| s.parent_span_id.is_none()).expect("a root span");
        assert_eq!(root.name, "batch orders_export");
        let put = spans.iter().find(|s| s.name == "S3.PutObject").unwrap_or_else(|| panic!("{:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>()));
        assert_eq!(put.parent_span_id, Some(root.context.span_id));
        // Instrumented like every AWS call of the shop (`shop_core::aws`): the
        // rpc conventions, the bucket and key, and the request id S3 answered with.
        for (name, expected) in [("rpc.system", Some("aws-api")), ("rpc.service", Some("S3")), ("rpc.method", Some("PutObject"))] {
            assert_eq!(put.attribute(name).and_then(|v| v.as_str()), expected, "{name}: {put:?}");
        }
        assert!(put.attribute("aws.s3.key").and_then(|v| v.as_str()).is_some_and(|k| k.starts_with("exports/")), "{put:?}");
        assert!(put.attribute("aws.request_id").and_then(|v| v.as_str()).is_some_and(|id| !id.is_empty()), "{put:?}");

        // The next run exports only what came since: nothing, then the one new order.
        let second = batch.run(Job::OrdersExport, Trigger::Cli, Origin::default()).await.unwrap();
        assert_eq!((second.outcome.as_str(), second.items), ("success", 0));
        assert_eq!(second.detail.as_ref().unwrap()["since_ms"], detail["until_ms"]);
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 5, 1).await, 201).await;
        let third_id = expect_json(app.checkout("export-3", &order_body(&cart)).await, 201).await["id"].as_str().unwrap().to_owned();
        let third = batch.run(Job::OrdersExport, Trigger::Cli, Origin::default()).await.unwrap();
        assert_eq!(third.items, 1);
        let csv = store.get(third.detail.as_ref().unwrap()["key"].as_str().unwrap()).await.unwrap().unwrap().bytes;
        let csv = String::from_utf8(csv).unwrap();
        assert_eq!(csv.lines().count(), 2);
        assert!(csv.contains(&third_id));
        let listed = store.list("exports/orders/").await.unwrap();
        assert_eq!(listed.len(), 3, "{listed:?}");

        // Each run is a data export in the compliance report, by the command line.
        let now = shop_core::time::now_millis();
        let period = audit::compliance::Period { from: 0, to: now + 1 };
        let report = audit::compliance::report(&app.db, period, now).await.unwrap();
        let exports: Vec<_> = report.data_exports.iter().filter(|e| e.target.as_deref() == Some("batch:orders_export")).collect();
        assert_eq!(exports.len(), 3);
        assert_eq!((exports[0].actor_kind.as_deref(), exports[0].actor.as_deref()), (Some("system"), Some("cli")));
        assert_eq!(exports[0].trace_id.as_deref(), first.trace_id.as_deref(), "a run outside a request leads to its own trace");
    }
}

/// The scheduler runs a configured job on its own, as a root span with
/// `shop.batch.trigger = schedule`, and stops with the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_runs_a_job_on_its_own_and_stops_with_the_server() {
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.batch_schedule = shop::batch::Schedule::parse("maintenance=200ms").unwrap();
    let app = spawn_with(opts).await;
    let mut scheduled = 0;
    // 15 s for what takes ~0.5 s idle: CI's two cores run many tests at once.
    for _ in 0..300 {
        scheduled = count(&app, "SELECT COUNT(*) FROM batch_runs WHERE job = 'maintenance' AND triggered_by = 'schedule' AND outcome = 'success'").await;
        if scheduled >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        scheduled >= 2,
        "two scheduled runs within 15 s, got {scheduled}"
    );
    let roots: Vec<SpanRecord> = app
        .recorder
        .spans()
        .into_iter()
        .filter(|s| s.name == "batch maintenance" && s.parent_span_id.is_none())
        .collect();
    assert!(!roots.is_empty());
    assert!(roots.iter().all(|s| {
        s.attribute(semconv::SHOP_BATCH_TRIGGER)
            .and_then(|v| v.as_str())
            == Some("schedule")
    }));
    let log = audit::entries(&app.db, 0, i64::MAX, 1000).await.unwrap();
    assert!(log.iter().any(
        |e| e.action.as_deref() == Some("batch.run") && e.actor.as_deref() == Some("scheduler")
    ));
    // Stops promptly: the scheduler ends with the server.
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the shop and its scheduler stop within 10 s");
}
