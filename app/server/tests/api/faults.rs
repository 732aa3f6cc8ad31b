//! The fault flags (O-ALERT-04, docs/faults.md): failures and delays
//! injected on purpose through a file, the admin API and the command line,
//! each visible in telemetry as what it is.
//!
//! Each shop here reads its own temporary flags file. Timing assertions are
//! lower bounds only (a request takes at least the injected delay).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::Role;
use telemetry_api::Value as V;
use telemetry_api::semconv;

use crate::admin::ready_admin;
use crate::common::{TempDir, shop_command};
use crate::support::*;

/// A shop (SQLite) reading its flags from `file`.
async fn spawn_reading(file: &Path) -> TestApp {
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.faults_file = Some(file.to_path_buf());
    spawn_with(opts).await
}

fn write(file: &Path, text: &str) {
    // Through a rename, as an editor or the admin API would: never half a file.
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, file).unwrap();
}

/// A cart with one of product 2, and its checkout body.
async fn ready_cart(app: &TestApp) -> (String, Value) {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, 2, 1).await, 201).await;
    let body = order_body(&cart);
    (cart, body)
}

async fn orders_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Polls `check` every 100 ms for up to 10 s (the shop looks at the file at
/// most once a second).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within 10 s: {what}");
}

fn fault_events(app: &TestApp, flag: &str) -> usize {
    app.recorder
        .spans()
        .iter()
        .flat_map(|s| s.events.iter())
        .filter(|e| {
            e.attributes
                .iter()
                .any(|kv| kv.key == semconv::FAULT_INJECTED && kv.value == V::from(flag.to_owned()))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_failure_answers_500_and_writes_nothing_then_off_places_the_order() {
    let dir = TempDir::new();
    let file = dir.path().join("faults.json");
    write(&file, r#"{"checkout_failure_percent": 100}"#);
    let app = spawn_reading(&file).await;

    let (cart, body) = ready_cart(&app).await;
    let stock = app.stock(2).await;
    let orders = orders_count(&app).await;
    let e = expect_error(
        app.checkout("fault-1", &body).await,
        500,
        "injected_fault",
        None,
    )
    .await;
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("checkout_failure_percent"),
        "{e}"
    );
    // Nothing written: no order, stock untouched, the cart still open with its item.
    assert_eq!(orders_count(&app).await, orders);
    assert_eq!(app.stock(2).await, stock);
    let c = app.get_json(&format!("/api/carts/{cart}"), 200).await;
    assert_eq!(c["items"].as_array().unwrap().len(), 1, "{c}");
    // Visible as what it is: the event on the request's span and the warn log line.
    assert!(fault_events(&app, "checkout_failure_percent") >= 1);
    assert!(
        app.recorder
            .logs()
            .iter()
            .any(|l| l.level == tracing::Level::WARN
                && l.attribute(semconv::FAULT_INJECTED)
                    == Some(&V::from("checkout_failure_percent".to_owned())))
    );
    // Bad input still gets its own answer first.
    expect_error(
        app.checkout("fault-bad", &json!({ "cart_id": cart })).await,
        400,
        "validation_failed",
        None,
    )
    .await;

    // Off: the same key was not consumed, and the order goes through.
    write(&file, r#"{"checkout_failure_percent": 0}"#);
    let body2 = body.clone();
    eventually("the shop picks up checkout_failure_percent = 0", || {
        let (app, body) = (&app, body2.clone());
        async move { app.checkout("fault-1", &body).await.status() == 201 }
    })
    .await;
    assert_eq!(orders_count(&app).await, orders + 1);
    assert_eq!(app.stock(2).await, stock - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_decline_answers_as_a_real_decline() {
    let dir = TempDir::new();
    let file = dir.path().join("faults.json");
    write(&file, r#"{"payment_decline_percent": 100}"#);
    let app = spawn_reading(&file).await;
    let (_, body) = ready_cart(&app).await;
    let injected = expect_error(
        app.checkout("decline-1", &body).await,
        402,
        "payment_declined",
        None,
    )
    .await;

    // A real decline of the simulation, for comparison.
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.payment_simulation = shop_core::payments::Simulation::parse("*=0ms:1").unwrap();
    let real_app = spawn_with(opts).await;
    let (_, body) = ready_cart(&real_app).await;
    let real = expect_error(
        real_app.checkout("decline-1", &body).await,
        402,
        "payment_declined",
        None,
    )
    .await;
    assert_eq!(
        injected, real,
        "the same answer as a real processor_declined"
    );
    assert!(
        injected["error"]["message"]
            .as_str()
            .unwrap()
            .contains("processor_declined")
    );

    let span = app
        .recorder
        .spans()
        .into_iter()
        .find(|s| s.name == "payment.authorize")
        .expect("the payment's span");
    assert_eq!(
        span.attribute("payment.outcome"),
        Some(&V::from("processor_declined"))
    );
    assert!(fault_events(&app, "payment_decline_percent") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_slowdown_and_inventory_latency_delay_requests() {
    let dir = TempDir::new();
    let file = dir.path().join("faults.json");
    let app = spawn_reading(&file).await;
    let (_, body) = ready_cart(&app).await;

    write(&file, r#"{"database_slowdown_ms": 300}"#);
    let slow = Duration::from_millis(300);
    eventually(
        "a product read takes at least the database slowdown",
        || async {
            let start = Instant::now();
            let r = app.get("/api/products/3").await;
            r.status() == 200 && start.elapsed() >= slow
        },
    )
    .await;
    assert!(fault_events(&app, "database_slowdown_ms") >= 1);

    write(&file, r#"{"inventory_latency_ms": 400}"#);
    let latency = Duration::from_millis(400);
    // Picked up once the database is fast again, then the checkout's stock check waits.
    eventually("a product read is fast again", || async {
        let start = Instant::now();
        let r = app.get("/api/products/3").await;
        r.status() == 200 && start.elapsed() < slow
    })
    .await;
    let start = Instant::now();
    expect_json(app.checkout("slow-stock", &body).await, 201).await;
    assert!(start.elapsed() >= latency, "{:?}", start.elapsed());
    let check = app
        .recorder
        .spans()
        .into_iter()
        .find(|s| s.name == "inventory.check" && !s.events.is_empty())
        .expect("the stock check's span with the fault event");
    assert!(check.end_time.duration_since(check.start_time).unwrap() >= latency);
    assert!(fault_events(&app, "inventory_latency_ms") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_changes_are_picked_up_and_a_malformed_file_keeps_the_flags() {
    let dir = TempDir::new();
    let file = dir.path().join("faults.json");
    let app = spawn_reading(&file).await;
    let (_, body) = ready_cart(&app).await;
    // Polled with an empty cart: refused (422) without the fault, 500 with it;
    // either way nothing is written, so the polling changes nothing.
    let empty = order_body(&app.create_cart().await);
    expect_error(app.checkout("probe", &empty).await, 422, "cart_empty", None).await;

    write(&file, r#"{"checkout_failure_percent": 100}"#);
    eventually("checkout_failure_percent = 100 is picked up", || async {
        app.checkout("probe", &empty).await.status() == 500
    })
    .await;

    // A broken edit: a warning, once, and the flags in force stay.
    write(&file, r#"{"checkout_failure_percent": 0,"#);
    eventually("the malformed file is reported", || async {
        // Any request makes the shop look at the file (at most once a second).
        let _ = app.get("/api/health").await;
        app.recorder
            .logs()
            .iter()
            .any(|l| l.message.contains("faults file does not parse"))
    })
    .await;
    expect_error(
        app.checkout("after-bad", &body).await,
        500,
        "injected_fault",
        None,
    )
    .await;
    // An unknown flag is refused the same way.
    write(
        &file,
        r#"{"checkout_failure_percent": 0, "everything_on_fire": true}"#,
    );
    eventually("the file with an unknown flag is reported", || async {
        let _ = app.get("/api/health").await;
        app.recorder
            .logs()
            .iter()
            .filter(|l| l.message.contains("faults file does not parse"))
            .count()
            >= 2
    })
    .await;
    expect_error(
        app.checkout("after-unknown", &body).await,
        500,
        "injected_fault",
        None,
    )
    .await;

    // Removed: all off.
    std::fs::remove_file(&file).unwrap();
    eventually("no file: checkout works", || async {
        app.checkout("after-removal", &body).await.status() == 201
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_reads_and_replaces_the_flags_with_step_up_and_audit() {
    let dir = TempDir::new();
    let file = dir.path().join("faults.json");
    let app = spawn_reading(&file).await;
    let mut boss = ready_admin(&app, "boss@example.com", &[Role::Administrator]).await;
    let auditor = ready_admin(&app, "auditor@example.com", &[Role::SecurityAuditor]).await;
    let clerk = ready_admin(&app, "clerk@example.com", &[Role::OrderManager]).await;

    let got = expect_json(boss.get(&app, "/api/admin/faults").await, 200).await;
    assert_eq!(got["flags"]["checkout_failure_percent"], 0);
    assert_eq!(got["flags"]["telemetry_sink_down"], false);
    assert_eq!(got["file"], file.display().to_string());
    expect_json(auditor.get(&app, "/api/admin/faults").await, 200).await;
    expect_error(
        clerk.get(&app, "/api/admin/faults").await,
        403,
        "forbidden",
        None,
    )
    .await;

    // Writing: administrators only, with a recent step-up.
    let body = json!({ "checkout_failure_percent": 100, "inventory_latency_ms": 5 });
    expect_error(
        auditor
            .send(&app, Method::PUT, "/api/admin/faults", Some(&body))
            .await,
        403,
        "forbidden",
        None,
    )
    .await;
    expect_error(
        clerk
            .send(&app, Method::PUT, "/api/admin/faults", Some(&body))
            .await,
        403,
        "forbidden",
        None,
    )
    .await;
    sqlx::query("UPDATE admin_sessions SET elevated_until = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    expect_error(
        boss.send(&app, Method::PUT, "/api/admin/faults", Some(&body))
            .await,
        403,
        "step_up_required",
        None,
    )
    .await;
    let code = boss.fresh_code();
    expect_json(
        boss.post(&app, "/api/admin/step-up", &json!({ "code": code }))
            .await,
        200,
    )
    .await;

    // Bad values: 400 naming the flag; nothing changes.
    for (bad, field) in [
        (
            json!({ "checkout_failure_percent": 101 }),
            "checkout_failure_percent",
        ),
        (
            json!({ "database_slowdown_ms": -5 }),
            "database_slowdown_ms",
        ),
        (
            json!({ "telemetry_sink_down": "yes" }),
            "telemetry_sink_down",
        ),
        (json!({ "checkout": 5 }), "checkout"),
    ] {
        expect_error(
            boss.send(&app, Method::PUT, "/api/admin/faults", Some(&bad))
                .await,
            400,
            "validation_failed",
            Some(field),
        )
        .await;
    }
    // Not an object at all: refused by the JSON extractor, as every route's body is.
    expect_error(
        boss.send(&app, Method::PUT, "/api/admin/faults", Some(&json!([1, 2])))
            .await,
        400,
        "invalid_body",
        None,
    )
    .await;
    assert!(!file.exists(), "a refused PUT writes nothing");

    let put = expect_json(
        boss.send(&app, Method::PUT, "/api/admin/faults", Some(&body))
            .await,
        200,
    )
    .await;
    assert_eq!(put["flags"]["checkout_failure_percent"], 100);
    assert_eq!(put["flags"]["inventory_latency_ms"], 5);
    assert_eq!(
        put["flags"]["payment_decline_percent"], 0,
        "the whole set: left out is off"
    );
    // Written to the file, and in force at once.
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk["checkout_failure_percent"], 100);
    let (_, order) = ready_cart(&app).await;
    expect_error(
        app.checkout("admin-set", &order).await,
        500,
        "injected_fault",
        None,
    )
    .await;
    assert_eq!(
        expect_json(auditor.get(&app, "/api/admin/faults").await, 200).await["flags"],
        put["flags"]
    );

    // Audited with the flags before and after.
    let (before, after, outcome): (Option<String>, Option<String>, String) = sqlx::query_as(
        "SELECT before_json, after_json, outcome FROM audit_log WHERE action = 'faults.set' AND outcome = 'success' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(outcome, "success");
    let before: Value = serde_json::from_str(&before.unwrap()).unwrap();
    let after: Value = serde_json::from_str(&after.unwrap()).unwrap();
    assert_eq!(before["checkout_failure_percent"], 0);
    assert_eq!(after["checkout_failure_percent"], 100);

    // Off again through the API.
    expect_json(
        boss.send(&app, Method::PUT, "/api/admin/faults", Some(&json!({})))
            .await,
        200,
    )
    .await;
    expect_json(app.checkout("admin-set", &order).await, 201).await;
}

fn shop_faults(file: &Path, args: &[&str]) -> std::process::Output {
    shop_command()
        .arg("faults")
        .args(args)
        .env("SHOP_FAULTS_FILE", file)
        .output()
        .unwrap()
}

#[test]
fn the_command_line_sets_shows_and_clears_the_flags() {
    let dir = TempDir::new();
    let file: PathBuf = dir.path().join("faults.json");

    let out = shop_faults(&file, &["show"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["checkout_failure_percent"], 0, "no file: all off");

    let out = shop_faults(&file, &["set", "checkout_failure_percent=100"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = shop_faults(
        &file,
        &["set", "telemetry_sink_down=true", "inventory_latency_ms=20"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = shop_faults(&file, &["show"]);
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        shown["checkout_failure_percent"], 100,
        "set merges: {shown}"
    );
    assert_eq!(shown["telemetry_sink_down"], true);
    assert_eq!(shown["inventory_latency_ms"], 20);

    // Refused, naming the flag and its range; the file is unchanged.
    for (arg, needle) in [
        (
            "checkout_failure_percent=101",
            "checkout_failure_percent: must be an integer from 0 to 100",
        ),
        ("database_slowdown_ms=slow", "database_slowdown_ms"),
        ("nonsense=1", "unknown flag"),
        ("checkout_failure_percent", "FLAG=VALUE"),
    ] {
        let out = shop_faults(&file, &["set", arg]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{arg}: {err}");
    }
    let shown: Value = serde_json::from_slice(&shop_faults(&file, &["show"]).stdout).unwrap();
    assert_eq!(shown["checkout_failure_percent"], 100);

    let out = shop_faults(&file, &["off"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!file.exists());
    let shown: Value = serde_json::from_slice(&shop_faults(&file, &["show"]).stdout).unwrap();
    assert_eq!(shown["checkout_failure_percent"], 0);
    assert_eq!(shown["telemetry_sink_down"], false);
}
