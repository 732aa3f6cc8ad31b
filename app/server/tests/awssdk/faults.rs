//! Behaviour under faults: the emulators stop mid-run. The shop keeps
//! answering as before, every lost item is counted, and export resumes by
//! itself when the emulators come back.
//!
//! This test runs its own LocalStack and moto (the lab scripts with a
//! private state directory and free ports), so stopping them does not
//! disturb the other tests.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, TempDir};
use crate::lab::*;

/// A private emulator pair managed by the lab scripts.
struct PrivateLab {
    state: TempDir,
    localstack_port: u16,
    moto_port: u16,
}

impl PrivateLab {
    fn new() -> PrivateLab {
        PrivateLab {
            state: TempDir::new(),
            localstack_port: common::free_port(),
            moto_port: common::free_port(),
        }
    }

    fn script(&self, name: &str, verb: &str) {
        let out = Command::new(common::repo_root().join(format!("scripts/lab/{name}.sh")))
            .arg(verb)
            .env("SHOP_LAB_STATE", self.state.path())
            .env("SHOP_LAB_LOCALSTACK_PORT", self.localstack_port.to_string())
            .env("SHOP_LAB_MOTO_PORT", self.moto_port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}.sh {verb}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        self.script("localstack", "start");
        self.script("moto", "start");
    }

    fn stop(&self) {
        self.script("moto", "stop");
        self.script("localstack", "stop");
    }

    fn env(&self) -> BTreeMap<String, String> {
        let mut env = lab_env().clone();
        for (k, v) in env.iter_mut() {
            if k.starts_with("AWS_ENDPOINT_URL_") {
                let port = if k.ends_with("XRAY") || k.ends_with("DYNAMODB") {
                    self.moto_port
                } else {
                    self.localstack_port
                };
                *v = format!("http://127.0.0.1:{port}");
            }
        }
        env
    }
}

impl Drop for PrivateLab {
    fn drop(&mut self) {
        for name in ["moto", "localstack"] {
            let _ = Command::new(common::repo_root().join(format!("scripts/lab/{name}.sh")))
                .arg("stop")
                .env("SHOP_LAB_STATE", self.state.path())
                .env("SHOP_LAB_LOCALSTACK_PORT", self.localstack_port.to_string())
                .env("SHOP_LAB_MOTO_PORT", self.moto_port.to_string())
                .output();
        }
    }
}

/// Sends `n` requests of a fixed mix and checks each status; returns the
/// trace ids.
async fn drive(shop: &common::ShopProcess, n: usize) -> Vec<String> {
    let c = http();
    let mut ids = Vec::new();
    for i in 0..n {
        let (path, status) = if i % 4 == 3 {
            ("/api/products/999999".to_owned(), 404)
        } else {
            (format!("/api/products/{}", 1 + i % 50), 200)
        };
        let r = c.get(shop.url(&path)).send().await.unwrap();
        assert_eq!(
            r.status().as_u16(),
            status,
            "{path} while the sinks are in trouble"
        );
        ids.push(r.headers()["x-trace-id"].to_str().unwrap().to_owned());
    }
    ids
}

fn signal(stats: &Value, signal: &str, counter: &str) -> u64 {
    stats["export"][signal][counter].as_u64().unwrap()
}

/// While the sinks are unreachable: every signal counts failed calls and losses, and spans were
/// retried before they were dropped.
async fn assert_outage_counted(shop: &common::ShopProcess) {
    // A flush now cannot reach the sinks: it either reports that (503) or
    // completes after counting the losses.
    let r = http()
        .post(shop.url("/api/telemetry/flush"))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 200 | 503), "{}", r.status());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let during = stats(shop).await;
    for s in ["spans", "logs", "metrics"] {
        assert!(
            signal(&during, s, "dropped") > 0,
            "{s}: losses are counted: {}",
            during["export"][s]
        );
        assert!(
            signal(&during, s, "errors") > 0,
            "{s}: failed calls are counted"
        );
    }
    assert!(signal(&during, "spans", "retries") > 0);
}

/// Once the sinks are reachable again: `n` new requests, nothing more lost, every signal sent
/// again, and the new requests' traces in X-Ray. Returns their trace ids.
async fn assert_export_resumes(
    shop: &common::ShopProcess,
    env: &BTreeMap<String, String>,
    n: usize,
) -> Vec<String> {
    // What was queued during the outage drains (sent or counted as lost).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let resumed = flush_accounted(shop).await;
    let after_ids = drive(shop, n).await;
    let after = flush_accounted(shop).await;
    for s in ["spans", "logs", "metrics"] {
        assert_eq!(
            signal(&after, s, "dropped"),
            signal(&resumed, s, "dropped"),
            "{s}: nothing more is lost once the sinks are back"
        );
        assert!(
            signal(&after, s, "sent") > signal(&resumed, s, "sent"),
            "{s} flows again"
        );
    }
    let xray = xray(env);
    for id in &after_ids {
        assert_eq!(
            wait_trace(&xray, id, 1).await.len(),
            1,
            "trace {id} arrived"
        );
    }
    after_ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sinks_down_then_back() {
    lab_env(); // the venvs are installed
    let lab = PrivateLab::new();
    lab.start();
    let env = lab.env();
    let service = unique("faults");
    let shop = awssdk_shop(&service, &env)
        // Small queues, so that an outage overflows them and memory stays bounded.
        .env("SHOP_XRAY_QUEUE", "64")
        .env("SHOP_CW_LOGS_QUEUE", "64")
        .env("SHOP_AWS_MAX_ATTEMPTS", "2")
        // Long enough for an emulator that is slow while the machine is busy: an attempt that
        // times out after LocalStack stored the data is retried, and a retried PutMetricData
        // counts twice (at least once: telemetry-awssdk/README.md, "Behaviour under faults"). While the emulators
        // are down, calls fail at once (connection refused), whatever this is.
        .env("SHOP_AWS_ATTEMPT_TIMEOUT_MS", "5000")
        .start();

    // 1. Healthy.
    drive(&shop, 20).await;
    let before = flush_accounted(&shop).await;
    assert_eq!(signal(&before, "spans", "dropped"), 0);
    assert!(signal(&before, "spans", "sent") >= 20);

    // 2. The emulators stop mid-run: the shop answers exactly as before.
    lab.stop();
    drive(&shop, 200).await;
    let r = http().get(shop.url("/api/health")).send().await.unwrap();
    assert_eq!(
        r.status(),
        200,
        "the shop is healthy without its telemetry sinks"
    );
    assert_outage_counted(&shop).await;

    // 3. The emulators return (empty: their state was in memory); export
    //    resumes by itself, log group and stream are re-created.
    lab.start();
    let after_ids = assert_export_resumes(&shop, &env, 12).await;
    let events = log_events(&logs(&env), &format!("/shop-lab-test/{service}")).await;
    let joined = events
        .iter()
        .filter_map(|(_, m)| serde_json::from_str::<Value>(m).ok())
        .filter(|v| {
            v["trace_id"]
                .as_str()
                .is_some_and(|t| after_ids.iter().any(|a| a == t))
        })
        .count();
    assert!(
        joined >= after_ids.len(),
        "the new requests' logs arrived: {joined}"
    );
    let requests = metric_statistic(
        &cloudwatch(&env),
        &format!("ShopLabTest/{service}"),
        "http.server.requests",
        &[
            ("service.name", service.as_str()),
            ("http.request.method", "GET"),
            ("http.route", "/api/products/{id}"),
            ("http.response.status_code", "200"),
        ],
        "Sum",
    )
    .await;
    assert_eq!(requests, 9.0, "the 9 successful requests after the outage");

    // 4. Shutdown (SIGTERM) flushes what is queued.
    let mut shop = shop;
    let last = drive(&shop, 4).await;
    let status = shop.terminate();
    assert!(status.success());
    let xray = xray(&env);
    for id in &last {
        assert_eq!(
            wait_trace(&xray, id, 1).await.len(),
            1,
            "trace {id} was flushed at shutdown"
        );
    }
}

/// The `telemetry_sink_down` fault flag (docs/faults.md), set in the shop's flags file: every
/// export fails as if the sinks were unreachable, while the emulators are up. Requests answer as
/// always; failed calls, retries and losses are counted as in a real outage; the flag cleared
/// (the file edited, no restart), export resumes and new traces reach X-Ray.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sink_down_flag_fails_exports_as_an_outage_and_clearing_it_resumes_them_and_reports_the_drops()
 {
    let env = lab_env().clone();
    let service = unique("sinkflag");
    let dir = TempDir::new();
    let flags = dir.path().join("faults.json");
    std::fs::write(&flags, r#"{ "telemetry_sink_down": true }"#).unwrap();
    let shop = awssdk_shop(&service, &env)
        .env("SHOP_FAULTS_FILE", flags.display().to_string())
        .env("SHOP_XRAY_QUEUE", "64")
        .env("SHOP_CW_LOGS_QUEUE", "64")
        .env("SHOP_AWS_MAX_ATTEMPTS", "2")
        .start();

    drive(&shop, 120).await;
    assert_outage_counted(&shop).await;

    // Cleared in the file: the shop reads it again within a second.
    std::fs::write(&flags, "{}").unwrap();
    assert_export_resumes(&shop, &env, 8).await;

    // The outage's drops, the metrics' own among them, reached CloudWatch once the sink was
    // back, as `shop.telemetry.dropped` (telemetry-api/src/dropped.rs), each exactly once:
    // after a flush nothing is pending, and the stored sum is the shop's count.
    let after = flush_accounted(&shop).await;
    let dropped: u64 = ["spans", "logs", "metrics"]
        .iter()
        .map(|s| signal(&after, s, "dropped"))
        .sum();
    assert!(signal(&after, "metrics", "dropped") > 0, "{after}");
    assert_eq!(
        metric_statistic(
            &cloudwatch(&env),
            &format!("ShopLabTest/{service}"),
            "shop.telemetry.dropped",
            &[("service.name", service.as_str())],
            "Sum",
        )
        .await,
        dropped as f64,
        "every drop is delivered once: {after}"
    );
}

/// The sinks answer slowly (past the attempt timeout), with 503s, and with
/// throttling errors, one after the other, through a fault-injecting
/// pass-through in front of the real emulators. Responses never change;
/// every failed attempt and retry is counted; export resumes afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_erroring_and_throttling_sinks() {
    use crate::chaos::{Chaos, Fault};
    let mut env = lab_env().clone();
    let xray_chaos = Chaos::start(&env["AWS_ENDPOINT_URL_XRAY"]).await;
    let cw_chaos = Chaos::start(&env["AWS_ENDPOINT_URL_CLOUDWATCH"]).await;
    let logs_chaos = Chaos::start(&env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"]).await;
    env.insert("AWS_ENDPOINT_URL_XRAY".into(), xray_chaos.url.clone());
    env.insert("AWS_ENDPOINT_URL_CLOUDWATCH".into(), cw_chaos.url.clone());
    env.insert(
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS".into(),
        logs_chaos.url.clone(),
    );
    let service = unique("chaos");
    let shop = awssdk_shop(&service, &env)
        .env("SHOP_AWS_ATTEMPT_TIMEOUT_MS", "300")
        .env("SHOP_AWS_MAX_ATTEMPTS", "3")
        .start();
    let set = |f: Fault| {
        xray_chaos.set(f);
        cw_chaos.set(f);
        logs_chaos.set(f);
    };

    let mut previous = flush_accounted(&shop).await;
    for fault in [
        Fault::Slow(Duration::from_secs(2)),
        Fault::Unavailable,
        Fault::Throttle,
    ] {
        set(fault);
        drive(&shop, 8).await;
        let r = http()
            .post(shop.url("/api/telemetry/flush"))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status().as_u16(), 200 | 503),
            "{fault:?}: {}",
            r.status()
        );
        // Each signal's failures, retries and losses are counted (the last
        // batch may still be in its backoff when the flush gives up: wait
        // for the counters, up to 15 s).
        let grew = |now: &Value, s: &str, counter: &str| {
            signal(now, s, counter) > signal(&previous, s, counter)
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let now = loop {
            let now = stats(&shop).await;
            let all = ["spans", "logs", "metrics"].iter().all(|s| {
                grew(&now, s, "errors") && grew(&now, s, "retries") && grew(&now, s, "dropped")
            });
            if all || std::time::Instant::now() > deadline {
                break now;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        for s in ["spans", "logs", "metrics"] {
            assert!(
                grew(&now, s, "errors"),
                "{fault:?}: {s} failures are counted: {}",
                now["export"][s]
            );
            assert!(grew(&now, s, "retries"), "{fault:?}: {s} is retried");
            assert!(
                grew(&now, s, "dropped"),
                "{fault:?}: {s} losses are counted"
            );
        }
        previous = now;
    }

    set(Fault::None);
    let ids = drive(&shop, 6).await;
    let after = flush_accounted(&shop).await;
    assert!(signal(&after, "spans", "sent") > signal(&previous, "spans", "sent"));
    let xray = xray(lab_env());
    for id in &ids {
        assert_eq!(
            wait_trace(&xray, id, 1).await.len(),
            1,
            "trace {id} arrived"
        );
    }
}
