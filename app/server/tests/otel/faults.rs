//! The collector dies mid-run: the shop keeps answering exactly as before,
//! its memory stays bounded (queues of `OTEL_BSP_MAX_QUEUE_SIZE` /
//! `OTEL_BLRP_MAX_QUEUE_SIZE`), every lost item is counted in
//! `/api/telemetry/stats`, and export resumes by itself when the collector
//! is back on the same ports.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::common::ShopOptions;
use crate::lab::{Http, Pipeline, totals_by};

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn n(stats: &Json, signal: &str, field: &str) -> u64 {
    stats["export"][signal][field].as_u64().unwrap_or(0)
}

#[test]
fn the_collector_dies_mid_run_and_export_resumes_by_itself() {
    let mut pipeline = Pipeline::start();
    let mut env = pipeline.shop_env("http/protobuf");
    for (k, v) in [
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "64"),
    ] {
        env.push((k.to_owned(), v.to_owned()));
    }
    let mut shop = ShopOptions::new()
        .args(["--telemetry", "otel"])
        .envs(env)
        .start();
    let http = Http::new();
    let traced = |count: usize| -> Vec<String> {
        (0..count)
            .map(|_| {
                let a = http.get(&shop.url("/api/products/1"));
                assert_eq!(a.status, 200);
                a.header("x-trace-id").to_owned()
            })
            .collect()
    };
    let arrived = |ids: &[String]| {
        let ids = ids.to_vec();
        move |s: &otlp_capture::Store| {
            let spans = s.spans();
            ids.iter()
                .all(|id| spans.iter().any(|sp| &sp.trace_id() == id))
        }
    };

    let before = traced(10);
    pipeline.wait("the spans sent before the outage", arrived(&before));
    let rss_before = rss_kib(shop.child.id());

    // The collector vanishes for 3 s (at least 300 requests). Requests are
    // answered as before.
    pipeline.collector.kill();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut during_outage = 0;
    while during_outage < 300
        || (started.elapsed() < Duration::from_secs(3) && during_outage < 5000)
    {
        during_outage += 1;
        let t = Instant::now();
        let a = http.get(&shop.url("/api/products/1"));
        slowest = slowest.max(t.elapsed());
        assert_eq!(a.status, 200, "the shop is unaffected");
    }
    let during = started.elapsed();
    assert!(
        slowest < Duration::from_secs(2),
        "slowest request {slowest:?}"
    );

    // Failed exports and full queues are counted as drops.
    let deadline = Instant::now() + Duration::from_secs(15);
    let stats = loop {
        let stats = http.get(&shop.url("/api/telemetry/stats")).body;
        if n(&stats, "spans", "dropped") > 0
            && n(&stats, "spans", "errors") > 0
            && n(&stats, "logs", "dropped") > 0
            && n(&stats, "metrics", "dropped") > 0
        {
            break stats;
        }
        assert!(Instant::now() < deadline, "no drops counted: {stats}");
        std::thread::sleep(Duration::from_millis(200));
    };
    // Each failed batch was retried before it was dropped.
    assert!(n(&stats, "spans", "retries") > 0, "{stats}");
    let rss_during = rss_kib(shop.child.id());
    assert!(
        rss_during < rss_before + 64 * 1024,
        "memory grew from {rss_before} KiB to {rss_during} KiB in {during:?} ({during_outage} requests)"
    );

    println!(
        "outage: {during_outage} requests in {during:?}, slowest {slowest:?}, RSS {rss_before} -> {rss_during} KiB; stats {stats}"
    );

    // Back on the same ports: export resumes with no help (no flush call).
    // Requests keep coming; the first ones may still meet a full queue
    // (the backlog goes first), so wait until one sent after the restart
    // arrives, and then every later one does.
    pipeline.collector.restart();
    let back = Instant::now();
    let mut sent_after = Vec::new();
    loop {
        sent_after.extend(traced(1));
        let spans = pipeline.capture.store().spans();
        if sent_after
            .iter()
            .any(|id| spans.iter().any(|s| &s.trace_id() == id))
        {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(10),
            "no span sent after the restart arrived within 10 s: {}\ncollector log:\n{}",
            http.get(&shop.url("/api/telemetry/stats")).body,
            pipeline.collector.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let resumed_after = back.elapsed();
    let after = traced(10);
    pipeline.wait("every span sent once export resumed", arrived(&after));
    println!("export resumed {resumed_after:?} after the collector came back");

    // The books balance: everything received was sent or dropped. The
    // statistics in the flush response are taken inside the flush request,
    // after the flush, so its own span and access log are not in them yet.
    let flushed = http.post(&shop.url("/api/telemetry/flush"), &serde_json::json!({}));
    assert_eq!(flushed.status, 200, "{}", flushed.body);
    let stats = flushed.body;
    for signal in ["spans", "logs"] {
        let (received, sent, dropped) = (
            n(&stats, signal, "received"),
            n(&stats, signal, "sent"),
            n(&stats, signal, "dropped"),
        );
        assert_eq!(received, sent + dropped, "{signal}: {stats}");
        assert!(dropped > 0 && sent > 0, "{signal}: {stats}");
    }
    assert!(shop.terminate().success());
}

/// A real socket that accepts connections and never answers: the slowest
/// possible collector. (Not a fake service: it speaks no protocol at all.)
struct Unresponsive {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Unresponsive {
    fn start() -> Unresponsive {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => held.push(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Unresponsive { port, stop }
    }
}

impl Drop for Unresponsive {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[test]
fn a_collector_that_never_answers_costs_requests_nothing() {
    let sink = Unresponsive::start();
    let mut shop = ShopOptions::new()
        .args(["--telemetry", "otel"])
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", sink.port),
        )
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "500")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("OTEL_BLRP_SCHEDULE_DELAY", "100")
        .env("OTEL_METRIC_EXPORT_INTERVAL", "300")
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "64")
        .env("OTEL_BLRP_MAX_QUEUE_SIZE", "64")
        .start();
    let http = Http::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..300 {
        let t = Instant::now();
        assert_eq!(http.get(&shop.url("/api/products/2")).status, 200);
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(2),
        "slowest request {slowest:?}"
    );

    // Exports time out (each attempt after 500 ms): counted as errors and drops.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let stats = http.get(&shop.url("/api/telemetry/stats")).body;
        if n(&stats, "spans", "dropped") > 0
            && n(&stats, "spans", "errors") > 0
            && n(&stats, "logs", "errors") > 0
            && n(&stats, "spans", "sent") == 0
        {
            break;
        }
        assert!(Instant::now() < deadline, "no timeouts counted: {stats}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A flush against a hung collector fails in bounded time, and so does
    // shutdown: the process still exits on SIGTERM.
    let t = Instant::now();
    let flushed = http.post(&shop.url("/api/telemetry/flush"), &serde_json::json!({}));
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "flush took {:?}",
        t.elapsed()
    );
    assert_ne!(
        flushed.status, 200,
        "a flush that could not send says so: {}",
        flushed.body
    );
    let t = Instant::now();
    shop.terminate();
    assert!(
        t.elapsed() < Duration::from_secs(25),
        "shutdown took {:?}",
        t.elapsed()
    );
}

/// The `telemetry_sink_down` fault flag (docs/faults.md), set in the shop's flags file: every
/// export fails as if the collector were unreachable, while it is up. Requests answer as always;
/// failed exports, retries and losses are counted as in a real outage; the flag cleared (the
/// file edited, no restart), export resumes and new traces reach the collector's capture, and so
/// does the count of what was lost (`shop.telemetry.dropped`), each drop once.
#[test]
fn the_sink_down_flag_fails_exports_as_an_outage_and_clearing_it_resumes_them_and_reports_the_drops()
 {
    let dir = crate::common::TempDir::new();
    let flags = dir.path().join("faults.json");
    std::fs::write(&flags, r#"{ "telemetry_sink_down": true }"#).unwrap();
    let flags_path = flags.display().to_string();
    let (pipeline, shop) = Pipeline::with_shop(&[
        ("SHOP_FAULTS_FILE", flags_path.as_str()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "64"),
        // As the lab and envs/aws export metrics: the SDK forgets a difference it could not
        // send, which is what the drop report has to survive (telemetry-otel/src/dropped.rs).
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "delta"),
        // Metric exports during the outage too, so that some fail for good: the report of
        // drops they carried must come again with a later one.
        ("OTEL_METRIC_EXPORT_INTERVAL", "300"),
    ]);
    let http = Http::new();
    let traced = |count: usize| -> Vec<String> {
        (0..count)
            .map(|_| {
                let a = http.get(&shop.url("/api/products/1"));
                assert_eq!(a.status, 200, "the shop is unaffected");
                a.header("x-trace-id").to_owned()
            })
            .collect()
    };

    let during_ids = traced(300);
    let deadline = Instant::now() + Duration::from_secs(20);
    let during = loop {
        let stats = http.get(&shop.url("/api/telemetry/stats")).body;
        if n(&stats, "spans", "dropped") > 0
            && n(&stats, "spans", "errors") > 0
            && n(&stats, "logs", "dropped") > 0
            && n(&stats, "metrics", "dropped") > 0
        {
            break stats;
        }
        assert!(
            Instant::now() < deadline,
            "no failed exports counted: {stats}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        n(&during, "spans", "retries") > 0,
        "failed batches are retried: {during}"
    );
    let spans = pipeline.capture.store().spans();
    assert!(
        !during_ids
            .iter()
            .any(|id| spans.iter().any(|s| &s.trace_id() == id)),
        "no span of the flagged period reached the collector"
    );

    // Cleared in the file: the shop reads it again within a second, and what is sent from then
    // on arrives (the backlog first; wait for a request made after the change).
    std::fs::write(&flags, "{}").unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let after = traced(5);
    pipeline.wait("the spans sent after the flag was cleared", move |s| {
        let spans = s.spans();
        after
            .iter()
            .all(|id| spans.iter().any(|sp| &sp.trace_id() == id))
    });

    // The outage's drops, the failed metric exports' own among them, arrive as the delta sum
    // `shop.telemetry.dropped` once the sink is back: after a flush nothing is pending, and the
    // captured deltas add up to the shop's count, each drop once.
    assert_eq!(
        http.post(&shop.url("/api/telemetry/flush"), &serde_json::json!({}))
            .status,
        200
    );
    let stats = http.get(&shop.url("/api/telemetry/stats")).body;
    let dropped: u64 = ["spans", "logs", "metrics"]
        .iter()
        .map(|signal| n(&stats, signal, "dropped"))
        .sum();
    assert!(n(&stats, "metrics", "dropped") > 0, "{stats}");
    let service = stats["service"].as_str().unwrap().to_owned();
    pipeline.wait("every drop counted in shop.telemetry.dropped", |s| {
        totals_by(&s.metrics(), &service, "shop.telemetry.dropped", "-")
            .values()
            .sum::<u64>()
            == dropped
    });
    let reported: u64 = totals_by(
        &pipeline.capture.store().metrics(),
        &service,
        "shop.telemetry.dropped",
        "-",
    )
    .values()
    .sum();
    assert_eq!(reported, dropped, "and no more: {stats}");
}
