//! The `shop` binary as a user runs it: `--help`, start-up errors, serving
//! with JSON logs on stdout, graceful shutdown, and the database chores.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{ShopOptions, ShopProcess, TempDir};

fn shop() -> Command {
    common::shop_command()
}

#[test]
fn help_documents_every_option_with_its_variable() {
    let out = shop().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, var) in [
        ("--listen", "SHOP_LISTEN"),
        ("--data-dir", "SHOP_DATA_DIR"),
        ("--database-url", "DATABASE_URL"),
        ("--telemetry", "SHOP_TELEMETRY"),
        ("--role", "SHOP_ROLE"),
        ("--inventory-url", "SHOP_INVENTORY_URL"),
        ("--log", "SHOP_LOG"),
        ("--log-debug-sample", "SHOP_LOG_DEBUG_SAMPLE"),
        ("--circuit-failures", "SHOP_CIRCUIT_FAILURES"),
        ("--circuit-open-seconds", "SHOP_CIRCUIT_OPEN_SECONDS"),
        ("--request-timeout", "SHOP_REQUEST_TIMEOUT"),
        ("--batch-schedule", "SHOP_BATCH_SCHEDULE"),
        ("--export-bucket", "SHOP_EXPORT_BUCKET"),
        (
            "--cloudwatch-rum-app-monitor-id",
            "SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID",
        ),
        ("--cloudwatch-rum-region", "SHOP_CLOUDWATCH_RUM_REGION"),
        ("--cloudwatch-rum-endpoint", "SHOP_CLOUDWATCH_RUM_ENDPOINT"),
        (
            "--cloudwatch-rum-identity-pool-id",
            "SHOP_CLOUDWATCH_RUM_IDENTITY_POOL_ID",
        ),
        (
            "--cloudwatch-rum-guest-role-arn",
            "SHOP_CLOUDWATCH_RUM_GUEST_ROLE_ARN",
        ),
    ] {
        assert!(
            help.contains(flag) && help.contains(var),
            "{flag} / {var} missing from --help:\n{help}"
        );
    }
    assert!(help.contains("127.0.0.1:8080"));
    for cmd in ["serve", "migrate", "seed", "audit", "batch"] {
        assert!(help.contains(cmd), "{cmd} missing");
    }
}

#[test]
fn start_up_errors_are_clear_and_exit_2() {
    let out = shop().args(["--role", "orders"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--inventory-url"));

    let out = shop()
        .args(["--database-url", "postgres://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite: or mysql:"));

    let out = shop().args(["--telemetry", "jaeger"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

/// CloudWatch RUM's options (F-RUM-01, docs/rum.md): a value that cannot work stops the start-up
/// with exit code 2 and names the option, rather than a browser failing quietly against AWS.
#[test]
fn bad_cloudwatch_rum_options_are_usage_errors() {
    const ID: &str = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081";
    let cases: [(&[&str], &str); 7] = [
        (
            &["--cloudwatch-rum-app-monitor-id", "my-monitor"],
            "is not an app monitor id (a UUID)",
        ),
        (
            &[
                "--cloudwatch-rum-app-monitor-id",
                ID,
                "--cloudwatch-rum-region",
                "https://rum.example",
            ],
            "--cloudwatch-rum-region \"https://rum.example\" is not an AWS region",
        ),
        (
            &[
                "--cloudwatch-rum-app-monitor-id",
                ID,
                "--cloudwatch-rum-region",
                "us-east-1a",
            ],
            "is not an AWS region",
        ),
        (
            &["--cloudwatch-rum-app-monitor-id", ID],
            "needs the app monitor's region",
        ),
        (
            &[
                "--cloudwatch-rum-app-monitor-id",
                ID,
                "--cloudwatch-rum-region",
                "us-east-1",
                "--cloudwatch-rum-endpoint",
                "dataplane.rum.us-east-1.amazonaws.com",
            ],
            "--cloudwatch-rum-endpoint \"dataplane.rum.us-east-1.amazonaws.com\" is not an http(s) URL",
        ),
        (
            &[
                "--cloudwatch-rum-app-monitor-id",
                ID,
                "--cloudwatch-rum-region",
                "us-east-1",
                "--cloudwatch-rum-identity-pool-id",
                "us-east-1:1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081",
            ],
            "--cloudwatch-rum-identity-pool-id and --cloudwatch-rum-guest-role-arn go together",
        ),
        (
            &[
                "--cloudwatch-rum-app-monitor-id",
                ID,
                "--cloudwatch-rum-region",
                "us-east-1",
                "--cloudwatch-rum-identity-pool-id",
                "pool",
                "--cloudwatch-rum-guest-role-arn",
                "arn:aws:iam::123456789012:role/rum",
            ],
            "is not a Cognito identity pool id",
        ),
    ];
    for (args, says) in cases {
        // shop() clears AWS_REGION: the region must come from the option.
        let out = shop().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let out = shop()
        .env("SHOP_CLOUDWATCH_RUM_APP_MONITOR_ID", ID)
        .env("SHOP_CLOUDWATCH_RUM_REGION", "us-east-1")
        .env(
            "SHOP_CLOUDWATCH_RUM_IDENTITY_POOL_ID",
            "us-east-1:1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7081",
        )
        .env("SHOP_CLOUDWATCH_RUM_GUEST_ROLE_ARN", "role/rum")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an IAM role ARN"));
}

/// The request timeout is a human-readable duration longer than zero.
#[test]
fn a_bad_request_timeout_is_a_usage_error() {
    for (value, says) in [("0s", "longer than zero"), ("soon", "--request-timeout")] {
        let out = shop().args(["--request-timeout", value]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{value}: {err}");
    }
    let out = shop().env("SHOP_REQUEST_TIMEOUT", "0ms").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The debug-log share is a ratio (docs/logging.md).
#[test]
fn a_debug_log_share_outside_zero_to_one_is_a_usage_error() {
    for value in ["1.5", "-0.1"] {
        let out = shop()
            .arg(format!("--log-debug-sample={value}"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--log-debug-sample must be between 0 and 1"),
            "{value}: {err}"
        );
    }
}

/// Choosing a backend that is not compiled in fails before anything starts;
/// choosing one that is compiled in gets past that check.
#[test]
fn only_compiled_backends_can_be_chosen() {
    for (backend, compiled) in [
        ("awssdk", cfg!(feature = "awssdk")),
        ("otel", cfg!(feature = "otel")),
    ] {
        let dir = TempDir::new();
        let mut child = shop()
            .args(["--telemetry", backend, "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A compiled-in backend may start serving: give it a moment, then stop it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if compiled {
            assert!(
                !err.contains("not compiled"),
                "{backend} is compiled in: {err}"
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{backend}: {err}");
            assert!(
                err.contains("not compiled") && err.contains(&format!("--features {backend}")),
                "{err}"
            );
        }
    }
}

/// With both backends compiled in, the shop asks which one to use.
#[test]
#[cfg(all(feature = "awssdk", feature = "otel"))]
fn two_compiled_backends_need_a_choice() {
    let out = shop().args(["--listen", "127.0.0.1:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("choose one with --telemetry"));
}

/// Starts the binary with noop telemetry on an existing data dir.
fn start(dir: &std::path::Path) -> ShopProcess {
    ShopOptions::new()
        .args(["--telemetry", "noop"])
        .data_dir(dir)
        .start()
}

#[test]
fn serves_with_json_logs_and_stops_on_sigterm() {
    let tmp = TempDir::new();
    let dir = tmp.path();
    let mut running = start(dir);
    assert!(
        dir.join("shop.db").exists(),
        "the SQLite file lives in the data dir"
    );

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, request_id, trace_id) = rt.block_on(async {
        let r = reqwest::get(format!("{}/api/products/1", running.address))
            .await
            .unwrap();
        let status = r.status().as_u16();
        let rid = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let tid = r.headers()["x-trace-id"].to_str().unwrap().to_owned();
        (status, rid, tid)
    });
    assert_eq!(status, 200);

    // The access log line on stdout carries the request and trace ids.
    let access = running
        .wait_line(Duration::from_secs(10), |l| {
            l["message"] == "request completed"
        })
        .expect("an access log line");
    assert_eq!(access["request_id"], request_id.as_str());
    assert_eq!(access["trace_id"], trace_id.as_str());
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["service"], "shop");
    assert_eq!(access["http.response.status_code"], 200);
    assert!(access["timestamp"].as_str().unwrap().ends_with('Z'));

    let status = running.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn migrate_and_seed_are_idempotent() {
    let tmp = TempDir::new();
    let dir = tmp.path();
    for cmd in ["migrate", "seed", "seed", "migrate"] {
        let out = shop().arg(cmd).arg("--data-dir").arg(dir).output().unwrap();
        assert!(out.status.success(), "{cmd}: {out:?}");
    }
    // A second start finds the catalog already there and does not duplicate it.
    let mut running = start(dir);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let total = rt.block_on(async {
        let v: serde_json::Value = reqwest::get(format!("{}/api/products", running.address))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["total"].as_i64().unwrap()
    });
    assert_eq!(total, 240);
    running.terminate();
}

/// `shop seed` renders and stores every product picture (240 products × 2
/// sizes), so a seeded database carries them; a server that seeded its own
/// fresh database draws them lazily, and serves the very same bytes.
#[test]
fn seed_stores_every_product_picture() {
    let seeded = TempDir::new();
    let out = shop()
        .arg("seed")
        .arg("--data-dir")
        .arg(seeded.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "seed: {out:?}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite://{}", seeded.path().join("shop.db").display());
    let (rows, large_etag, large): (i64, String, Vec<u8>) = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let rows = sqlx::query_scalar(
            "SELECT COUNT(*) FROM product_images WHERE content_type = 'image/png' \
             AND size IN ('large', 'thumb')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let (etag, bytes) = sqlx::query_as(
            "SELECT etag, bytes FROM product_images WHERE product_id = 1 AND size = 'large'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        (rows, etag, bytes)
    });
    assert_eq!(rows, 480);
    assert_eq!(&large[..4], b"\x89PNG");

    // Seeding again renders nothing new.
    let out = shop()
        .arg("seed")
        .arg("--data-dir")
        .arg(seeded.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "second seed: {out:?}");
    // (The seed's log line says so; a subcommand's logs are on stderr.)
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("\"pictures\":0"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A server on its own fresh database draws the picture on first request:
    // the same bytes, so the same ETag.
    let mut fresh = ShopOptions::new().args(["--telemetry", "noop"]).start();
    let (status, etag, served) = rt.block_on(async {
        let r = reqwest::get(fresh.url("/images/products/1/large.png"))
            .await
            .unwrap();
        let status = r.status().as_u16();
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        (status, etag, r.bytes().await.unwrap().to_vec())
    });
    fresh.terminate();
    assert_eq!(status, 200);
    assert_eq!(etag, large_etag);
    assert!(
        served == large,
        "the lazily drawn picture differs from the seeded one"
    );
}

/// `shop audit verify`: exit 0 and the head for an intact chain, exit 1
/// naming the entry for a tampered one (the chain itself is tested on both
/// databases in `tests/api/audit.rs`).
#[test]
fn audit_verify_reports_an_intact_and_a_tampered_log() {
    let tmp = TempDir::new();
    let verify = || {
        shop()
            .args(["audit", "verify", "--data-dir"])
            .arg(tmp.path())
            .output()
            .unwrap()
    };
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("audit log intact: no entries yet"),
        "{stdout}"
    );

    // A row that was not written by the shop: its hash does not match its content.
    let url = format!("sqlite://{}", tmp.path().join("shop.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let zero = "0".repeat(64);
        let forged = "f".repeat(64);
        sqlx::query("INSERT INTO audit_log (seq, at, action, prev_hash, hash) VALUES (1, 0, 'admins.change_roles', ?, ?)")
            .bind(&zero)
            .bind(&forged)
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_head SET seq = 1, hash = ? WHERE id = 1")
            .bind(&forged)
            .execute(&pool)
            .await
            .unwrap();
    });
    let out = verify();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout.contains("audit log BROKEN at entry #1 (edited)"),
        "{stdout}"
    );
}

/// `shop admin invite` bootstraps the first administrator: it prints a token the running shop
/// accepts; a bad role or e-mail is a usage error.
#[test]
fn admin_invite_prints_a_token_that_opens_an_account() {
    let tmp = TempDir::new();
    let out = shop()
        .args([
            "admin",
            "invite",
            "--email",
            "first@example.com",
            "--grant",
            "root",
            "--data-dir",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role \"root\""));

    let out = shop()
        .args([
            "admin",
            "invite",
            "--email",
            "first@example.com",
            "--grant",
            "administrator",
            "--data-dir",
        ])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let token = stdout
        .lines()
        .find(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no token in:\n{stdout}"))
        .to_owned();

    let mut running = start(tmp.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body) = rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{}/api/admin/invitations/accept", running.address))
            .json(&serde_json::json!({ "token": token, "name": "First Admin", "password": "brass lantern; quiet fjord, 42 owls" }))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
    });
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["roles"], serde_json::json!(["administrator"]));
    running.terminate();
}

/// `shop batch <job>` runs a job once and exits 0 when it succeeded, 1 when
/// it failed: maintenance fails on a tampered audit log, the orders export
/// without a bucket; an unknown job or schedule is a usage error (exit 2).
#[test]
fn batch_runs_a_job_and_exits_non_zero_when_it_fails() {
    let tmp = TempDir::new();
    let batch = |job: &str| {
        shop()
            .args(["batch", job, "--telemetry", "noop", "--data-dir"])
            .arg(tmp.path())
            .output()
            .unwrap()
    };
    let out = batch("maintenance");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("batch maintenance success: 0 items"),
        "{stdout}"
    );
    assert!(stdout.contains("\"intact\":true"), "{stdout}");
    // The run's structured log lines are on stderr, in the run's trace; stdout is the run alone
    // (the log writer is a background thread: on one stream, its lines would land anywhere).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.lines().any(|l| l.starts_with("{\"timestamp\"")),
        "a log line on stdout:\n{stdout}"
    );
    let finished = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "batch run finished")
        .unwrap_or_else(|| panic!("no closing log line in:\n{stderr}"));
    assert_eq!(finished["shop.batch.job"], "maintenance");
    assert_eq!(finished["shop.batch.outcome"], "success");
    assert!(
        finished["trace_id"].as_str().is_some_and(|t| t.len() == 32),
        "{finished}"
    );

    let out = batch("stock_report");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("batch stock_report success"));

    let out = batch("orders_export");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("batch orders_export failed") && stdout.contains("--export-bucket"),
        "{stdout}"
    );

    // Someone edits the audit log: maintenance fails, naming the entry.
    let url = format!("sqlite://{}", tmp.path().join("shop.db").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("UPDATE audit_log SET target = 'batch:forged' WHERE seq = 1")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let out = batch("maintenance");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stdout.contains("batch maintenance failed")
            && stdout.contains("the audit chain is broken at entry #1 (edited)"),
        "{stdout}"
    );

    let out = batch("vacuum");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
    let out = shop()
        .args(["--batch-schedule", "vacuum=1h", "migrate", "--data-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown job \"vacuum\""));
    let out = shop()
        .env("SHOP_BATCH_SCHEDULE", "maintenance=0s")
        .args(["migrate", "--data-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("longer than zero"));
}

/// The JSON object a chore printed (its log lines are JSON too: the object with `key`).
fn printed_json(stdout: &[u8], key: &str) -> serde_json::Value {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        // Log lines have a `level`; the printed result does not.
        .find(|v| v.get(key).is_some() && v.get("level").is_none())
        .unwrap_or_else(|| {
            panic!(
                "no JSON with {key:?} in:\n{}",
                String::from_utf8_lossy(stdout)
            )
        })
}

/// `shop events provision`, `shop events status` and `shop dlq redrive` against the lab's
/// LocalStack, as an operator runs them: the resources appear (idempotently), the status names
/// every queue and its dead-letter queue with the outbox's counts, and a redrive of an empty
/// dead-letter queue moves nothing and succeeds; one of a missing queue fails, saying so.
#[test]
fn events_provision_status_and_dlq_redrive_work_from_the_command_line() {
    let env = common::lab_component("localstack");
    let tmp = TempDir::new();
    let prefix = format!("cli{:08x}", rand::random::<u32>());
    let run = |args: &[&str]| {
        shop()
            .args(args)
            .args(["--events-prefix", &prefix, "--data-dir"])
            .arg(tmp.path())
            .envs(env.clone())
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = run(&["events", "provision"]);
        assert!(out.status.success(), "{out:?}");
        let made = printed_json(&out.stdout, "queues");
        assert_eq!(made["bus"], format!("{prefix}-events"));
        for q in ["notifications", "sale-notices", "admin-alerts"] {
            let name = format!("{prefix}-{q}");
            assert!(made["queues"][&name].is_string(), "{made}");
            assert!(made["queues"][format!("{name}-dlq")].is_string(), "{made}");
        }
        assert_eq!(
            made["rules"][format!("{prefix}-mail")],
            serde_json::json!([
                "order.placed",
                "order.shipped",
                "inventory.back_in_stock",
                "inventory.stock_report",
                "account.password_reset"
            ])
        );
    }
    let out = run(&["events", "status"]);
    assert!(out.status.success(), "{out:?}");
    let status = printed_json(&out.stdout, "outbox");
    assert_eq!(status["outbox"]["pending"], 0);
    assert_eq!(status["queues"][format!("{prefix}-notifications-dlq")], 0);

    let out = run(&["dlq", "redrive"]);
    assert!(out.status.success(), "{out:?}");
    let moved = printed_json(&out.stdout, "moved");
    assert_eq!(moved["status"], "NOTHING_TO_MOVE");
    assert_eq!(moved["queue"], format!("{prefix}-notifications"));

    let out = run(&["dlq", "redrive", "--queue", "no-such-queue"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("QueueDoesNotExist")
            || String::from_utf8_lossy(&out.stderr).contains("NonExistentQueue"),
        "{out:?}"
    );
}
