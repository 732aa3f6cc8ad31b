//! The `shop` binary as a user runs it: `--help`, start-up errors, serving
//! with JSON logs on stdout, graceful shutdown, and the database chores.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn shop() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shop"));
    // Start from a clean environment so a developer's SHOP_* settings do not leak in.
    for (k, _) in std::env::vars() {
        if k.starts_with("SHOP_") || k == "DATABASE_URL" {
            c.env_remove(k);
        }
    }
    c
}

fn temp_dir() -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("shop-cli-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&p).unwrap();
    p
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
    ] {
        assert!(
            help.contains(flag) && help.contains(var),
            "{flag} / {var} missing from --help:\n{help}"
        );
    }
    assert!(help.contains("127.0.0.1:8080"));
    for cmd in ["serve", "migrate", "seed"] {
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

/// Choosing a backend that is not compiled in fails before anything starts;
/// choosing one that is compiled in gets past that check.
#[test]
fn only_compiled_backends_can_be_chosen() {
    for (backend, compiled) in [
        ("awssdk", cfg!(feature = "awssdk")),
        ("otel", cfg!(feature = "otel")),
    ] {
        let dir = temp_dir();
        let mut child = shop()
            .args(["--telemetry", backend, "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(&dir)
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
        let _ = std::fs::remove_dir_all(dir);
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

struct Running {
    child: Child,
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
    address: String,
}

/// Starts the binary and waits for its "listening" log line.
fn start(dir: &std::path::Path) -> Running {
    let mut child = shop()
        .args([
            "--telemetry",
            "noop",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the shop did not log that it is listening");
        };
        if let Some(addr) = line["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("shop listening on "))
        {
            return Running {
                child,
                lines: rx,
                address: addr.to_owned(),
            };
        }
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the shop did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn serves_with_json_logs_and_stops_on_sigterm() {
    let dir = temp_dir();
    let mut running = start(&dir);
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
    let deadline = Instant::now() + Duration::from_secs(10);
    let access = loop {
        let line = running
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("an access log line");
        if line["message"] == "request completed" {
            break line;
        }
    };
    assert_eq!(access["request_id"], request_id.as_str());
    assert_eq!(access["trace_id"], trace_id.as_str());
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["service"], "shop");
    assert_eq!(access["http.response.status_code"], 200);
    assert!(access["timestamp"].as_str().unwrap().ends_with('Z'));

    let status = terminate(&mut running.child);
    assert!(status.success(), "exit status {status:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn migrate_and_seed_are_idempotent() {
    let dir = temp_dir();
    for cmd in ["migrate", "seed", "seed", "migrate"] {
        let out = shop()
            .arg(cmd)
            .arg("--data-dir")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}: {out:?}");
    }
    // A second start finds the catalog already there and does not duplicate it.
    let mut running = start(&dir);
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
    terminate(&mut running.child);
    let _ = std::fs::remove_dir_all(dir);
}
