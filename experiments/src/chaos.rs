//! `make chaos`: scripted fault experiments (O-CHAOS-01, O-FAULT-02; docs/chaos.md).
//!
//! Each experiment states a hypothesis in three parts (what shoppers see, what the telemetry
//! shows, which alarm it is meant to fire) and checks it against what happened. A small steady
//! load (browse the catalog, add to a cart) runs before the fault (baseline), during it, and
//! after it is cleared (recovery); what it got back, how long that took, the calls that reached
//! inventory through its pass-through, and the backend's own export counters are the evidence.
//!
//! Every experiment runs for both backends, on the split topology (catalog, orders and
//! inventory services on the private lab's MariaDB), one fresh shop per backend:
//!
//! | experiment | fault | how |
//! |---|---|---|
//! | `inventory-slow` | inventory answers 800 ms late | the fault flag `inventory_latency_ms` |
//! | `inventory-down` | inventory answers 503 to everything | its pass-through switched down |
//! | `sink-down` | the telemetry sink refuses every export | the fault flag `telemetry_sink_down` |
//! | `sink-down-long` | the same for five minutes, under a saturating load | the same flag; the shop's memory sampled throughout ([`memory`]) |
//! | `database-down` | MariaDB stopped, then started again | `lab.sh down mariadb` / `up mariadb` |
//!
//! The alarms named are proven to fire elsewhere: `make test-terraform`'s alert check drives
//! the awssdk build into `<prefix>-checkout-errors-awssdk` and `<prefix>-latency-awssdk` on
//! LocalStack (docs/faults.md). Here the experiment checks the signal the alarm reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use serde::Serialize;
use telemetry_api::SignalStats;

use crate::builds;
use crate::lab::Lab;
use crate::plan::{Point, TelemetryConfig, all_configs};
use crate::scenario::Service;
use crate::shop::{Shop, Sinks};
use crate::wiretap::Mode;

pub mod memory;

/// How long each phase of an experiment drives load.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub baseline: Duration,
    pub fault: Duration,
    pub recovery: Duration,
    /// `sink-down-long`: the saturating load with the sink healthy (the
    /// memory it is compared with), then the outage under the same load.
    pub saturated_healthy: Duration,
    pub long_outage: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            baseline: Duration::from_secs(8),
            fault: Duration::from_secs(12),
            recovery: Duration::from_secs(8),
            saturated_healthy: Duration::from_secs(30),
            // docs/targets.md, T-OUTAGE and T-RSS: "the sinks down for 5 minutes at saturation".
            long_outage: Duration::from_secs(300),
        }
    }
}

/// The experiments, in the order they run.
pub const EXPERIMENTS: [&str; 5] = [
    "inventory-slow",
    "inventory-down",
    "sink-down",
    "database-down",
    "sink-down-long",
];

/// Shoppers of the saturating load (`sink-down-long`): as many as the
/// harness's closed loop at saturation, none pausing between requests.
const SATURATING_SHOPPERS: u64 = 16;

/// The most the export may take to resume once the sink is back
/// (docs/targets.md, T-OUTAGE).
const RESUME_WITHIN: Duration = Duration::from_secs(10);

/// What an experiment expects.
#[derive(Clone, Debug, Serialize)]
pub struct Hypothesis {
    pub users: &'static str,
    pub telemetry: &'static str,
    pub alarm: &'static str,
}

fn hypothesis(experiment: &str) -> Hypothesis {
    match experiment {
        "inventory-slow" => Hypothesis {
            users: "adding to a cart takes about 0.8 s longer and still succeeds; browsing the catalog is as fast as before",
            telemetry: "the wait shows inside the orders service's call to inventory; no telemetry is lost",
            alarm: "<prefix>-latency-<backend> (request latency; p95 in AWS, the average in envs/local)",
        },
        "inventory-down" => Hypothesis {
            users: "adding to a cart is refused at once (503 with Retry-After, well under a second); the catalog is served",
            telemetry: "the inventory circuit opens (shop.circuit.transitions, a WARN line) and calls to inventory stop until it is back; no telemetry is lost",
            alarm: "<prefix>-error-rate-<backend> (5xx share above 5 %)",
        },
        "sink-down" => Hypothesis {
            users: "nothing changes: every request succeeds, about as fast as before",
            telemetry: "failed exports are counted, the loss is reported (dropped) rather than hidden, and exporting resumes by itself once the sink is back",
            alarm: "<prefix>-telemetry-drops (the backends' drop reports in their logs)",
        },
        "sink-down-long" => Hypothesis {
            users: "nothing changes for five minutes of a saturating load: every request succeeds",
            telemetry: "each shop process's memory levels off once the backend's bounded queues are full (the curve is recorded); every lost item is counted; exporting resumes within 10 s of the sink's return",
            alarm: "<prefix>-telemetry-drops (the backends' drop reports in their logs)",
        },
        "database-down" => Hypothesis {
            users: "every request is answered 503 with Retry-After within the pool's 5-second wait, none hangs; everything is served again once the database is back",
            telemetry: "the 5xx answers are counted per route with their error; no telemetry is lost",
            alarm: "<prefix>-error-rate-<backend> (5xx share above 5 %)",
        },
        _ => unreachable!("unknown experiment {experiment}"),
    }
}

/// One check of a hypothesis, with what was seen.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub what: String,
    pub passed: bool,
    pub observed: String,
}

fn check(what: impl Into<String>, passed: bool, observed: impl Into<String>) -> Check {
    Check {
        what: what.into(),
        passed,
        observed: observed.into(),
    }
}

/// One experiment on one backend.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub experiment: String,
    pub backend: String,
    pub hypothesis: Hypothesis,
    pub checks: Vec<Check>,
    /// What each phase's load got back (for the report).
    pub phases: Vec<PhaseSummary>,
    /// The shop's memory over the experiment, when it was sampled
    /// (`sink-down-long`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memory: Vec<memory::Point>,
    /// The experiment could not run (the lab failed it): why.
    pub error: Option<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.checks.iter().all(|c| c.passed)
    }
}

// --- load ---------------------------------------------------------------------------------

/// How an answer is filed.
fn class(status: Option<reqwest::StatusCode>, retry_after: bool) -> &'static str {
    match status {
        None => "no answer",
        Some(s) if s.is_success() => "2xx",
        Some(s) if s.as_u16() == 503 && retry_after => "503 + Retry-After",
        Some(s) if s.is_client_error() => "4xx",
        Some(_) => "other 5xx",
    }
}

/// What one kind of request got in one phase.
struct Tally {
    answers: BTreeMap<&'static str, u64>,
    latency: Histogram<u64>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            answers: BTreeMap::new(),
            latency: crate::load::histogram(),
        }
    }

    fn record(&mut self, class: &'static str, took: Duration) {
        *self.answers.entry(class).or_default() += 1;
        let _ = self
            .latency
            .record((took.as_micros() as u64).clamp(1, 60_000_000));
    }

    fn count(&self) -> u64 {
        self.answers.values().sum()
    }

    fn of(&self, class: &str) -> u64 {
        self.answers.get(class).copied().unwrap_or(0)
    }

    fn ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    fn summary(&self) -> OpSummary {
        OpSummary {
            answers: self
                .answers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            p50_ms: self.ms(0.5),
            p95_ms: self.ms(0.95),
        }
    }
}

/// What one phase's load got back: catalog browsing and adding to a cart.
struct Phase {
    browse: Tally,
    add: Tally,
}

/// The same, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct PhaseSummary {
    pub phase: &'static str,
    pub browse: OpSummary,
    pub add: OpSummary,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpSummary {
    pub answers: BTreeMap<String, u64>,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

impl Phase {
    fn summary(&self, phase: &'static str) -> PhaseSummary {
        PhaseSummary {
            phase,
            browse: self.browse.summary(),
            add: self.add.summary(),
        }
    }
}

/// The shoppers: two of them, each browsing the catalog, then creating a cart and adding one
/// item to it, about ten times a second between them.
struct Load {
    catalog: String,
    orders: String,
    client: reqwest::Client,
}

impl Load {
    fn new(shop: &Shop) -> anyhow::Result<Load> {
        Ok(Load {
            catalog: shop.url(Service::Catalog),
            orders: shop.url(Service::Orders),
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(15))
                .build()?,
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (&'static str, Duration, String) {
        let start = Instant::now();
        match req.send().await {
            Ok(r) => {
                let status = r.status();
                let retry_after = r.headers().contains_key("retry-after");
                let body = r.text().await.unwrap_or_default();
                (class(Some(status), retry_after), start.elapsed(), body)
            }
            Err(_) => (class(None, false), start.elapsed(), String::new()),
        }
    }

    /// Creates a cart and adds one `product` to it (a cart of its own for each add, so the line
    /// never outgrows the stock): the add's answer and time, or the cart's when it failed.
    async fn add(&self, product: i64) -> (&'static str, Duration) {
        let (c, took, body) = self
            .send(self.client.post(format!("{}/api/carts", self.orders)))
            .await;
        let cart = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned));
        match (c, cart) {
            ("2xx", Some(cart)) => {
                let (c, took, _) = self
                    .send(
                        self.client
                            .post(format!("{}/api/carts/{cart}/items", self.orders))
                            .json(&serde_json::json!({ "product_id": product, "quantity": 1 })),
                    )
                    .await;
                (c, took)
            }
            (c, _) => (c, took),
        }
    }

    /// Drives both shoppers for `how_long`.
    async fn drive(self: &Arc<Self>, how_long: Duration) -> Phase {
        self.drive_with(how_long, 2, Duration::from_millis(100))
            .await
    }

    /// Drives `shoppers` for `how_long`, each pausing `pause` after adding to a cart.
    async fn drive_with(
        self: &Arc<Self>,
        how_long: Duration,
        shoppers: u64,
        pause: Duration,
    ) -> Phase {
        let phase = Arc::new(Mutex::new(Phase {
            browse: Tally::new(),
            add: Tally::new(),
        }));
        let until = Instant::now() + how_long;
        let mut tasks = Vec::new();
        for shopper in 0..shoppers {
            let (load, phase) = (self.clone(), phase.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = shopper;
                while Instant::now() < until {
                    let page = 1 + i % 3;
                    let (c, took, _) = load
                        .send(
                            load.client
                                .get(format!("{}/api/products?page={page}", load.catalog)),
                        )
                        .await;
                    phase.lock().unwrap().browse.record(c, took);
                    let (c, took) = load.add(1 + (i % 5) as i64).await;
                    phase.lock().unwrap().add.record(c, took);
                    i += shoppers;
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        Arc::try_unwrap(phase)
            .ok()
            .expect("the shoppers are done")
            .into_inner()
            .unwrap()
    }

    /// How long until a request of `kind` succeeds again (`None`: not within `limit`).
    async fn until_served(&self, kind: &str, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            let ok = match kind {
                "browse" => {
                    self.send(self.client.get(format!("{}/api/products", self.catalog)))
                        .await
                        .0
                        == "2xx"
                }
                _ => self.add(1).await.0 == "2xx",
            };
            if ok {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        None
    }
}

// --- telemetry counters ---------------------------------------------------------------------

/// Every signal's counters added up.
fn total(stats: &BTreeMap<String, SignalStats>) -> SignalStats {
    let mut t = SignalStats::default();
    for s in stats.values() {
        t += *s;
    }
    t
}

fn delta(after: &SignalStats, before: &SignalStats) -> SignalStats {
    SignalStats {
        received: after.received.saturating_sub(before.received),
        sent: after.sent.saturating_sub(before.sent),
        dropped: after.dropped.saturating_sub(before.dropped),
        retries: after.retries.saturating_sub(before.retries),
        api_calls: after.api_calls.saturating_sub(before.api_calls),
        errors: after.errors.saturating_sub(before.errors),
        bytes: after.bytes.saturating_sub(before.bytes),
    }
}

// --- the experiments ------------------------------------------------------------------------

/// Where the flags file of a run is, and how to set it.
struct Flags(PathBuf);

impl Flags {
    fn set(&self, json: &str) -> anyhow::Result<()> {
        // Write and rename: the shop never reads half a file.
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, &self.0)?;
        Ok(())
    }
}

/// The shops notice a changed flags file within about a second.
const FLAGS_SETTLE: Duration = Duration::from_millis(2500);

fn all_answered(t: &Tally, class: &str) -> (bool, String) {
    let n = t.count();
    (
        n > 0 && t.of(class) == n,
        format!("{} of {n} {class}", t.of(class)),
    )
}

fn fmt_answers(t: &Tally) -> String {
    t.answers
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "Not slower than before": within twice the baseline, or 50 ms more, whichever is larger.
fn not_slower(now_ms: f64, before_ms: f64) -> bool {
    now_ms <= (2.0 * before_ms).max(before_ms + 50.0)
}

struct Ctx<'a> {
    lab: &'a Lab,
    shop: &'a Shop,
    load: Arc<Load>,
    flags: Flags,
    timing: Timing,
}

impl Ctx<'_> {
    async fn stats(&self) -> SignalStats {
        self.shop
            .stats()
            .await
            .map(|s| total(&s))
            .unwrap_or_default()
    }

    /// How long after `since` the backends sent something they had not sent at `at`
    /// (`None`: not within `limit`).
    async fn resumed(&self, at: &SignalStats, since: Instant, limit: Duration) -> Option<Duration> {
        while since.elapsed() < limit {
            if delta(&self.stats().await, at).sent > 0 {
                return Some(since.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        None
    }

    /// Lost, but not silently: after a flush every item the backends took is either sent
    /// or counted as dropped.
    async fn accounted_for(&self) -> anyhow::Result<Check> {
        let settled = total(&self.shop.flush().await?);
        Ok(check(
            "telemetry: every item is accounted for (sent, or reported dropped)",
            settled.received == settled.sent + settled.dropped,
            format!(
                "{} received = {} sent + {} dropped",
                settled.received, settled.sent, settled.dropped
            ),
        ))
    }

    async fn run(&self, experiment: &str) -> anyhow::Result<Outcome> {
        let t = self.timing;
        let before = self.stats().await;
        let baseline = self.load.drive(t.baseline).await;
        let mut checks = Vec::new();
        let mut phases = vec![baseline.summary("baseline")];
        let mut curve = Vec::new();
        match experiment {
            "inventory-slow" => {
                self.flags.set(r#"{"inventory_latency_ms": 800}"#)?;
                tokio::time::sleep(FLAGS_SETTLE).await;
                let fault = self.load.drive(t.fault).await;
                self.flags.set("{}")?;
                tokio::time::sleep(FLAGS_SETTLE).await;
                let recovery = self.load.drive(t.recovery).await;
                let (ok, seen) = all_answered(&fault.add, "2xx");
                checks.push(check(
                    "users, fault: every add to a cart succeeds",
                    ok,
                    seen,
                ));
                let (b, f) = (baseline.add.ms(0.5), fault.add.ms(0.5));
                checks.push(check(
                    "users, fault: adding takes at least 0.7 s longer (median)",
                    f >= b + 700.0,
                    format!("median {b:.0} ms → {f:.0} ms"),
                ));
                let (b, f) = (baseline.browse.ms(0.5), fault.browse.ms(0.5));
                checks.push(check(
                    "users, fault: browsing is not slower (median)",
                    not_slower(f, b),
                    format!("median {b:.0} ms → {f:.0} ms"),
                ));
                let (b, r) = (baseline.add.ms(0.5), recovery.add.ms(0.5));
                checks.push(check(
                    "users, recovery: adding is as fast as before (median)",
                    not_slower(r, b),
                    format!("median {b:.0} ms → {r:.0} ms"),
                ));
                phases.push(fault.summary("fault"));
                phases.push(recovery.summary("recovery"));
            }
            "inventory-down" => {
                let tap = self
                    .shop
                    .inventory_tap
                    .as_ref()
                    .context("the split shop has an inventory pass-through")?;
                let calls_before = tap.count().requests;
                tap.set(Mode::Down);
                let fault = self.load.drive(t.fault).await;
                let calls = tap.count().requests - calls_before;
                tap.set(Mode::Forward);
                let back = self.load.until_served("add", Duration::from_secs(30)).await;
                let recovery = self.load.drive(t.recovery).await;
                let n = fault.add.count();
                let refused = fault.add.of("503 + Retry-After");
                checks.push(check(
                    "users, fault: every add to a cart is a 503 with Retry-After",
                    n > 0 && refused == n,
                    fmt_answers(&fault.add),
                ));
                checks.push(check(
                    "users, fault: refused at once (p95 under 1 s)",
                    fault.add.ms(0.95) < 1000.0,
                    format!("p95 {:.0} ms", fault.add.ms(0.95)),
                ));
                let (ok, seen) = all_answered(&fault.browse, "2xx");
                checks.push(check("users, fault: the catalog is served", ok, seen));
                checks.push(check(
                    "telemetry, fault: the circuit opened (fewer calls reached inventory than adds were made)",
                    calls < n,
                    format!("{calls} calls reached inventory for {n} adds"),
                ));
                checks.push(check(
                    "users, recovery: adding succeeds again within 30 s of inventory's return",
                    back.is_some(),
                    back.map_or("not within 30 s".to_owned(), |d| {
                        format!("after {:.1} s", d.as_secs_f64())
                    }),
                ));
                let (ok, seen) = all_answered(&recovery.add, "2xx");
                checks.push(check("users, recovery: every add succeeds", ok, seen));
                phases.push(fault.summary("fault"));
                phases.push(recovery.summary("recovery"));
            }
            "sink-down" => {
                let at_fault = self.stats().await;
                self.flags.set(r#"{"telemetry_sink_down": true}"#)?;
                tokio::time::sleep(FLAGS_SETTLE).await;
                let fault = self.load.drive(t.fault).await;
                let during = delta(&self.stats().await, &at_fault);
                self.flags.set("{}")?;
                tokio::time::sleep(FLAGS_SETTLE).await;
                let at_recovery = self.stats().await;
                let recovery = self.load.drive(t.recovery).await;
                // Exports resume on their own schedule (backoff, the next batch): wait for one.
                let mut resumed = delta(&self.stats().await, &at_recovery);
                let deadline = Instant::now() + Duration::from_secs(60);
                while resumed.sent == 0 && Instant::now() < deadline {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    resumed = delta(&self.stats().await, &at_recovery);
                }
                for (what, tally) in [("browse", &fault.browse), ("add to a cart", &fault.add)] {
                    let (ok, seen) = all_answered(tally, "2xx");
                    checks.push(check(
                        format!("users, fault: every {what} succeeds"),
                        ok,
                        seen,
                    ));
                }
                let (b, f) = (baseline.add.ms(0.5), fault.add.ms(0.5));
                checks.push(check(
                    "users, fault: adding is not slower (median)",
                    not_slower(f, b),
                    format!("median {b:.0} ms → {f:.0} ms"),
                ));
                checks.push(check(
                    "telemetry, fault: the failed exports are counted",
                    during.errors > 0,
                    format!(
                        "{} failed export calls, {} items dropped and reported, {} sent",
                        during.errors, during.dropped, during.sent
                    ),
                ));
                checks.push(check(
                    "telemetry, recovery: exporting resumes by itself",
                    resumed.sent > 0,
                    format!("{} items sent after the sink came back", resumed.sent),
                ));
                checks.push(self.accounted_for().await?);
                phases.push(fault.summary("fault"));
                phases.push(recovery.summary("recovery"));
            }
            "sink-down-long" => {
                let pids = self.shop.pids();
                let (healthy, mut points) = memory::sampled(
                    "healthy",
                    &pids,
                    self.load
                        .drive_with(t.saturated_healthy, SATURATING_SHOPPERS, Duration::ZERO),
                )
                .await;
                let at_fault = self.stats().await;
                self.flags.set(r#"{"telemetry_sink_down": true}"#)?;
                tokio::time::sleep(FLAGS_SETTLE).await;
                let (fault, outage) = memory::sampled(
                    "outage",
                    &pids,
                    self.load
                        .drive_with(t.long_outage, SATURATING_SHOPPERS, Duration::ZERO),
                )
                .await;
                points.extend(outage);
                let during = delta(&self.stats().await, &at_fault);
                let at_recovery = self.stats().await;
                self.flags.set("{}")?;
                // The sink is back from here: the recovery load gives the backends something
                // to send while the clock runs.
                let back = Instant::now();
                let (recovery, resumed) = tokio::join!(
                    self.load.drive(t.recovery.max(RESUME_WITHIN * 2)),
                    self.resumed(&at_recovery, back, Duration::from_secs(60))
                );
                for (what, tally) in [("browse", &fault.browse), ("add to a cart", &fault.add)] {
                    let (ok, seen) = all_answered(tally, "2xx");
                    checks.push(check(
                        format!("users, outage: every {what} succeeds"),
                        ok,
                        seen,
                    ));
                }
                for l in memory::levelling(&points) {
                    let Some(l) = l else {
                        checks.push(check(
                            "memory, outage: levels off",
                            false,
                            "too few samples to tell (the outage was too short)",
                        ));
                        continue;
                    };
                    checks.push(check(
                        format!("memory, outage: {} levels off (the last third grows at most {} MiB or {:.0} % over the middle)", l.process, memory::GROWTH_MIB, memory::GROWTH_SHARE * 100.0),
                        l.levelled_off,
                        format!(
                            "healthy {:.1} MiB; outage, highest per third: {:.1} → {:.1} → {:.1} MiB",
                            l.healthy, l.thirds[0], l.thirds[1], l.thirds[2]
                        ),
                    ));
                }
                checks.push(check(
                    "telemetry, outage: the failed exports are counted",
                    during.errors > 0 && during.dropped > 0,
                    format!(
                        "{} failed export calls, {} items dropped and reported, {} sent",
                        during.errors, during.dropped, during.sent
                    ),
                ));
                checks.push(check(
                    format!(
                        "telemetry, recovery: exporting resumes within {} s of the sink's return",
                        RESUME_WITHIN.as_secs()
                    ),
                    resumed.is_some_and(|d| d <= RESUME_WITHIN),
                    resumed.map_or("not within 60 s".to_owned(), |d| {
                        format!("after {:.1} s", d.as_secs_f64())
                    }),
                ));
                checks.push(self.accounted_for().await?);
                phases.push(healthy.summary("saturated, healthy"));
                phases.push(fault.summary("saturated, outage"));
                phases.push(recovery.summary("recovery"));
                curve = points;
            }
            "database-down" => {
                self.lab.component("down", "mariadb")?;
                let fault = self.load.drive(t.fault).await;
                self.lab.component("up", "mariadb")?;
                let back = self
                    .load
                    .until_served("browse", Duration::from_secs(60))
                    .await;
                let add_back = self.load.until_served("add", Duration::from_secs(30)).await;
                let recovery = self.load.drive(t.recovery).await;
                for (what, tally) in [("browse", &fault.browse), ("add to a cart", &fault.add)] {
                    let (ok, seen) = all_answered(tally, "503 + Retry-After");
                    checks.push(check(
                        format!("users, fault: every {what} is a 503 with Retry-After"),
                        ok,
                        seen,
                    ));
                }
                let p95 = fault.browse.ms(0.95).max(fault.add.ms(0.95));
                checks.push(check(
                    "users, fault: nothing hangs (p95 within the pool's 5 s wait and a second)",
                    p95 <= 6000.0,
                    format!("p95 {p95:.0} ms"),
                ));
                checks.push(check(
                    "users, recovery: served again within a minute of the restart",
                    back.is_some() && add_back.is_some(),
                    match (back, add_back) {
                        (Some(b), Some(a)) => format!(
                            "browsing after {:.1} s, adding {:.1} s later",
                            b.as_secs_f64(),
                            a.as_secs_f64()
                        ),
                        _ => format!("browsing: {back:?}, adding: {add_back:?}"),
                    },
                ));
                for (what, tally) in [
                    ("browse", &recovery.browse),
                    ("add to a cart", &recovery.add),
                ] {
                    let (ok, seen) = all_answered(tally, "2xx");
                    checks.push(check(
                        format!("users, recovery: every {what} succeeds"),
                        ok,
                        seen,
                    ));
                }
                phases.push(fault.summary("fault"));
                phases.push(recovery.summary("recovery"));
            }
            other => anyhow::bail!("unknown experiment {other}"),
        }
        if !experiment.starts_with("sink-down") {
            let lost = delta(&self.stats().await, &before);
            checks.push(check(
                "telemetry: nothing dropped",
                lost.dropped == 0,
                format!(
                    "{} items received, {} dropped, {} failed export calls",
                    lost.received, lost.dropped, lost.errors
                ),
            ));
        }
        Ok(Outcome {
            checks,
            phases,
            memory: curve,
        })
    }
}

/// What an experiment found.
struct Outcome {
    checks: Vec<Check>,
    phases: Vec<PhaseSummary>,
    memory: Vec<memory::Point>,
}

/// Runs `experiments` (default: all) for `backends` (default: awssdk and otel) and returns
/// the verdicts. Starts and stops its own private lab.
pub async fn run(
    repo: &Path,
    experiments: &[String],
    backends: &[String],
    timing: Timing,
) -> anyhow::Result<Vec<Verdict>> {
    let experiments: Vec<String> = if experiments.is_empty() {
        EXPERIMENTS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        for e in experiments {
            anyhow::ensure!(
                EXPERIMENTS.contains(&e.as_str()),
                "unknown experiment {e} (known: {})",
                EXPERIMENTS.join(", ")
            );
        }
        experiments.to_vec()
    };
    let backends: Vec<String> = if backends.is_empty() {
        vec!["awssdk".to_owned(), "otel".to_owned()]
    } else {
        backends.to_vec()
    };
    let configs: Vec<TelemetryConfig> = backends
        .iter()
        .map(|b| {
            all_configs()
                .into_iter()
                .find(|c| c.id() == format!("{b}-100"))
                .with_context(|| format!("no config {b}-100 (backends: awssdk, otel)"))
        })
        .collect::<anyhow::Result<_>>()?;
    // The workspace's dev build (`make test` made it): every backend in one binary.
    let bins = builds::build(repo, "dev", &backends, false)?;
    eprintln!("starting the private lab (MariaDB, LocalStack, moto, the collector)");
    let mut lab = Lab::start(repo, &bins.capture, None)?;
    let sinks = Sinks::start(&lab).await?;
    lab.route_xray_leg(&sinks.xray.url())?;
    let runs_dir = repo.join("target").join("experiments").join("chaos");
    let mut verdicts = Vec::new();
    for config in &configs {
        let backend = config.backend().to_owned();
        let run = format!("chaos-{backend}");
        let run_dir = runs_dir.join(&run);
        std::fs::create_dir_all(&run_dir)?;
        let flags = Flags(run_dir.join("faults.json"));
        flags.set("{}")?;
        let env = [
            ("SHOP_FAULTS_FILE".to_owned(), flags.0.display().to_string()),
            // Short open periods, so an experiment sees the circuit close again.
            ("SHOP_CIRCUIT_OPEN_SECONDS".to_owned(), "2".to_owned()),
        ];
        sinks.reset();
        let shop = Shop::start(
            Point::Split,
            bins.shop(&backend),
            config,
            &lab,
            &sinks,
            &run,
            &run_dir,
            None,
            &env,
        )
        .await
        .with_context(|| format!("starting the shop for {run}"))?;
        let ctx = Ctx {
            lab: &lab,
            shop: &shop,
            load: Arc::new(Load::new(&shop)?),
            flags,
            timing,
        };
        for experiment in &experiments {
            eprintln!("{backend} {experiment}: running");
            let (outcome, error) = match ctx.run(experiment).await {
                Ok(o) => (o, None),
                Err(e) => (
                    Outcome {
                        checks: Vec::new(),
                        phases: Vec::new(),
                        memory: Vec::new(),
                    },
                    Some(format!("{e:#}")),
                ),
            };
            // Whatever happened, the next experiment starts from a healthy lab.
            let _ = ctx.flags.set("{}");
            if let Some(tap) = &shop.inventory_tap {
                tap.set(Mode::Forward);
            }
            if experiment == "database-down" {
                let _ = lab.component("up", "mariadb");
            }
            let verdict = Verdict {
                experiment: experiment.clone(),
                backend: backend.clone(),
                hypothesis: hypothesis(experiment),
                checks: outcome.checks,
                phases: outcome.phases,
                memory: outcome.memory,
                error,
            };
            print_verdict(&verdict);
            verdicts.push(verdict);
        }
        shop.stop(&lab).await;
    }
    drop(sinks);
    lab.stop();
    Ok(verdicts)
}

/// One experiment's verdict on the terminal.
pub fn print_verdict(v: &Verdict) {
    let word = if v.passed() { "PASS" } else { "FAIL" };
    println!("{word}  {} on {}", v.experiment, v.backend);
    if let Some(e) = &v.error {
        println!("      could not run: {e}");
    }
    for c in &v.checks {
        let mark = if c.passed { "ok  " } else { "FAIL" };
        println!("      {mark} {}: {}", c.what, c.observed);
    }
}

/// The results as Markdown: the section `REPORT.md` includes (report/chaos.md).
pub fn markdown(verdicts: &[Verdict], when: &str, timing: &Timing) -> String {
    let mut o = String::new();
    let passed = verdicts.iter().filter(|v| v.passed()).count();
    o.push_str(&format!(
        "`make chaos` on {when}: {passed} of {} experiments held their hypothesis. Each ran on the split topology (catalog, orders and inventory on MariaDB) with a fresh shop per backend, under a steady load of two shoppers (browse the catalog; create a cart and add an item): {} s before the fault, {} s with it, {} s after it is cleared ([docs/chaos.md](docs/chaos.md)). `sink-down-long` adds a saturating load of {SATURATING_SHOPPERS} shoppers that never pause: {} s with the sink healthy, then {} s with it down, the shop's memory sampled every {} s.\n\n",
        verdicts.len(),
        timing.baseline.as_secs(),
        timing.fault.as_secs(),
        timing.recovery.as_secs(),
        timing.saturated_healthy.as_secs(),
        timing.long_outage.as_secs(),
        memory::EVERY.as_secs()
    ));
    o.push_str("| experiment | backend | verdict | checks passed |\n|---|---|---|---|\n");
    for v in verdicts {
        let n = v.checks.iter().filter(|c| c.passed).count();
        o.push_str(&format!(
            "| {} | {} | {} | {n} of {} |\n",
            v.experiment,
            v.backend,
            if v.passed() { "holds" } else { "**fails**" },
            v.checks.len()
        ));
    }
    o.push('\n');
    let mut seen = Vec::new();
    for v in verdicts {
        if !seen.contains(&v.experiment) {
            seen.push(v.experiment.clone());
            let h = &v.hypothesis;
            o.push_str(&format!(
                "### {}\n\n- **Shoppers:** {}\n- **Telemetry:** {}\n- **Alarm:** {}\n\n",
                v.experiment, h.users, h.telemetry, h.alarm
            ));
        }
        o.push_str(&format!("**{}**", v.backend));
        if let Some(e) = &v.error {
            o.push_str(&format!(": could not run: {e}\n\n"));
            continue;
        }
        o.push_str("\n\n| check | seen | |\n|---|---|---|\n");
        for c in &v.checks {
            o.push_str(&format!(
                "| {} | {} | {} |\n",
                c.what,
                c.observed,
                if c.passed { "✅" } else { "❌" }
            ));
        }
        o.push_str("\n| phase | browse: answers | browse p50 / p95 | add: answers | add p50 / p95 |\n|---|---|---|---|---|\n");
        for p in &v.phases {
            let answers = |a: &BTreeMap<String, u64>| {
                a.iter()
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            o.push_str(&format!(
                "| {} | {} | {:.0} / {:.0} ms | {} | {:.0} / {:.0} ms |\n",
                p.phase,
                answers(&p.browse.answers),
                p.browse.p50_ms,
                p.browse.p95_ms,
                answers(&p.add.answers),
                p.add.p50_ms,
                p.add.p95_ms
            ));
        }
        o.push('\n');
        memory_table(&mut o, &v.memory);
    }
    o
}

/// The memory curve, every [`MEMORY_ROW_EVERY`]: resident set per shop process (MiB).
fn memory_table(o: &mut String, curve: &[memory::Point]) {
    let Some(first) = curve.first() else {
        return;
    };
    let names: Vec<&String> = first.rss_mib.keys().collect();
    o.push_str(&format!(
        "| phase | s | {} |\n|---|---|{}\n",
        names
            .iter()
            .map(|n| format!("{n} (MiB)"))
            .collect::<Vec<_>>()
            .join(" | "),
        "---|".repeat(names.len())
    ));
    let mut last: Option<(&str, f64)> = None;
    for (i, p) in curve.iter().enumerate() {
        let end_of_phase = curve.get(i + 1).is_none_or(|n| n.phase != p.phase);
        let due = match last {
            Some((phase, t)) if phase == p.phase => {
                p.t_s - t >= MEMORY_ROW_EVERY.as_secs_f64() - 0.5
            }
            _ => true,
        };
        if !(due || end_of_phase) {
            continue;
        }
        last = Some((p.phase, p.t_s));
        let cells: Vec<String> = names
            .iter()
            .map(|n| {
                p.rss_mib
                    .get(*n)
                    .map_or("–".to_owned(), |m| format!("{m:.1}"))
            })
            .collect();
        o.push_str(&format!(
            "| {} | {:.0} | {} |\n",
            p.phase,
            p.t_s,
            cells.join(" | ")
        ));
    }
    o.push('\n');
}

/// How far apart the memory table's rows are (the JSON has every sample).
const MEMORY_ROW_EVERY: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_filed_by_status_and_retry_after() {
        use reqwest::StatusCode;
        assert_eq!(class(Some(StatusCode::CREATED), false), "2xx");
        assert_eq!(
            class(Some(StatusCode::SERVICE_UNAVAILABLE), true),
            "503 + Retry-After"
        );
        assert_eq!(
            class(Some(StatusCode::SERVICE_UNAVAILABLE), false),
            "other 5xx"
        );
        assert_eq!(
            class(Some(StatusCode::INTERNAL_SERVER_ERROR), false),
            "other 5xx"
        );
        assert_eq!(class(Some(StatusCode::CONFLICT), false), "4xx");
        assert_eq!(class(None, false), "no answer");
    }

    #[test]
    fn not_slower_allows_twice_or_fifty_ms() {
        assert!(not_slower(19.0, 10.0));
        assert!(not_slower(59.0, 10.0));
        assert!(!not_slower(61.0, 10.0));
        assert!(not_slower(390.0, 200.0));
        assert!(!not_slower(410.0, 200.0));
    }

    #[test]
    fn every_experiment_has_a_hypothesis() {
        for e in EXPERIMENTS {
            let h = hypothesis(e);
            assert!(!h.users.is_empty() && !h.telemetry.is_empty() && !h.alarm.is_empty());
        }
    }

    #[test]
    fn the_memory_table_has_a_row_every_30_s_and_each_phases_last() {
        let point = |phase, t_s: f64, mib: f64| memory::Point {
            phase,
            t_s,
            rss_mib: [("shop-orders".to_owned(), mib)].into(),
        };
        let mut curve: Vec<memory::Point> = (0..=6)
            .map(|i| point("healthy", 5.0 * i as f64, 40.0))
            .collect();
        curve.extend((0..=61).map(|i| point("outage", 5.0 * i as f64, 50.0 + i as f64 / 10.0)));
        let mut o = String::new();
        memory_table(&mut o, &curve);
        let rows: Vec<&str> = o.lines().skip(2).filter(|l| !l.is_empty()).collect();
        assert_eq!(rows.first(), Some(&"| healthy | 0 | 40.0 |"), "{o}");
        assert!(rows.contains(&"| healthy | 30 | 40.0 |"), "{o}");
        assert!(rows.contains(&"| outage | 0 | 50.0 |"), "{o}");
        assert!(rows.contains(&"| outage | 150 | 53.0 |"), "{o}");
        assert_eq!(rows.last(), Some(&"| outage | 305 | 56.1 |"), "{o}");
        // 0 and 30 of the healthy phase; 0, 30, …, 300 and the last sample of the outage.
        assert_eq!(rows.len(), 2 + 11 + 1, "{o}");
    }

    #[test]
    fn a_verdict_fails_with_any_failed_check_or_an_error() {
        let mut v = Verdict {
            experiment: "sink-down".into(),
            backend: "otel".into(),
            hypothesis: hypothesis("sink-down"),
            checks: vec![check("a", true, "x"), check("b", true, "y")],
            phases: Vec::new(),
            memory: Vec::new(),
            error: None,
        };
        assert!(v.passed());
        v.checks.push(check("c", false, "z"));
        assert!(!v.passed());
        v.checks.pop();
        v.error = Some("lab".into());
        assert!(!v.passed());
        let md = markdown(&[v], "today", &Timing::default());
        assert!(md.contains("could not run: lab"), "{md}");
    }
}
