//! The order of the experiment and the measuring around each run.
//!
//! 1. Build each variant once; start the lab; pin the system under test
//!    (the shop's services and their database) to one CPU and everything
//!    else (load generator, pass-throughs, collector, emulators) to the
//!    other, so that the shop's share is the same for every build and the
//!    rest is accounted for separately (the collector's CPU is reported as
//!    the otel build's pipeline cost, per 1 000 requests).
//! 2. At each operating point (embedded, then split; see [`crate::plan::Point`]):
//!    closed-loop (saturation) runs of every overhead config, interleaved
//!    and repeated; `noop`'s median throughput at that point sets its
//!    open-loop rates.
//! 3. Open-loop runs at those rates, interleaved and repeated. Every run
//!    reads back the CPUs each process may run on (the pinning table is made
//!    from these, not from what was asked), every CPU's busy and steal time,
//!    and is flagged when the load generator's CPU was nearly saturated.
//! 4. Fidelity runs at nominal load for every telemetry config (the load
//!    generator decides sampling and sends the trace context, so the ledger
//!    knows which traces must arrive), and an outage run per backend.
//! 5. Summaries, cost, and the data the report is written from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::builds::{self, Binaries};
use crate::cost::{self, Measured, Prices};
use crate::fidelity;
use crate::journal::{self, Journal};
use crate::lab::Lab;
use crate::load::{self, Propagate};
use crate::plan::{Mode, Plan, Point, TelemetryConfig};
use crate::procstat;
use crate::readback::{Aws, Captured, Log, Span};
use crate::results::*;
use crate::scenario;
use crate::scenario::Service;
use crate::shop::{Shop, Sinks};
use crate::stats;
use crate::wiretap::{Mode as TapMode, Wiretap};

/// Everything a run needs.
struct Ctx<'a> {
    repo: &'a Path,
    plan: &'a Plan,
    bins: Binaries,
    lab: Lab,
    sinks: Sinks,
    aws: Aws,
    shop_cpus: Option<String>,
    ticks: f64,
    progress: ProgressBar,
    runs_dir: PathBuf,
    /// The overhead runs finished so far, on disk (and those of an interrupted invocation).
    journal: Journal,
}

/// Whether the results meet the bar CI checks: every nominal-load fidelity
/// check at 100 %, and under the outage loss equal to the reported drops.
///
/// A check with nothing to check (0/0, "n/a") does not fail the verdict: it
/// means the run had nothing of that kind, e.g. no unsampled request in a
/// config that samples every trace (all of the quick run's), and the report
/// shows it as n/a rather than as a pass. A fidelity run in which *nothing*
/// was checked fails, though: that is a broken run, not a perfect one.
pub fn verdict(results: &Results) -> bool {
    results.fidelity.iter().all(|f| {
        f.checks.iter().all(|c| c.passed == c.total) && f.checks.iter().any(|c| c.total > 0)
    })
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_default();
    // The machine's CPUs, not this process's: by the time the report is
    // written the harness has pinned itself to one CPU, and
    // `available_parallelism` follows the affinity mask.
    let cores = match cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count()
    {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    Machine {
        cpu_model,
        cores,
        memory_gib: (memory_gib * 10.0).round() / 10.0,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        os,
    }
}

/// How long the harness waits before it tries a failed shop start again.
const RETRY_PAUSE: Duration = Duration::from_secs(15);

/// Renames the run's shop logs (`shop-{role}.log`) to
/// `shop-{role}.failed-start.log`, so that a retried start does not overwrite
/// what the failed one said. Returns the kept names, for the message.
fn keep_failed_start_logs(run_dir: &std::path::Path) -> String {
    let mut kept = Vec::new();
    if let Ok(entries) = std::fs::read_dir(run_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(role) = name
                .strip_prefix("shop-")
                .and_then(|n| n.strip_suffix(".log"))
                && !role.ends_with(".failed-start")
            {
                let to = run_dir.join(format!("shop-{role}.failed-start.log"));
                if std::fs::rename(entry.path(), &to).is_ok() {
                    kept.push(to.display().to_string());
                }
            }
        }
    }
    kept.sort();
    if kept.is_empty() {
        "none".to_owned()
    } else {
        kept.join(", ")
    }
}

/// An overhead run's name: its directory under `target/experiments/runs/`
/// and its key in the journal, e.g. `split-otel-100-open600-r3`.
fn run_name(point: Point, config: &TelemetryConfig, shape: &Shape, repeat: usize) -> String {
    format!(
        "{}-{}-{}-r{repeat}",
        point.name(),
        config.id(),
        match shape {
            Shape::Open { rate } => format!("open{}", rate.round()),
            Shape::Closed { concurrency } => format!("closed{concurrency}"),
        }
    )
}

pub(crate) fn command_output(cmd: &str, args: &[&str], dir: &Path) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub(crate) fn now_rfc3339() -> String {
    command_output("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"], Path::new("."))
}

/// Samples every process of a run: CPU at start and end, peak RSS
/// (periodically, for the long-lived ones), the CPUs each may run on, and
/// every CPU's busy and steal time.
struct Meter {
    procs: Vec<(String, u32, ProcessRole)>,
    start: Vec<procstat::Sample>,
    /// Each process's `Cpus_allowed_list`, read once everything had started.
    cpus: Vec<String>,
    cpu_start: Vec<procstat::CpuTimes>,
    peak: Arc<Mutex<Vec<u64>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
    began: Instant,
    ticks: f64,
}

impl Meter {
    fn start(procs: Vec<(String, u32, ProcessRole)>, ticks: f64) -> Meter {
        let start: Vec<procstat::Sample> = procs
            .iter()
            .map(|(_, pid, _)| procstat::sample_tree(*pid, ticks).unwrap_or_default())
            .collect();
        // Every thread of a pinned process has the same mask (taskset -a); the
        // tree's root stands for it.
        let cpus = procs
            .iter()
            .map(|(_, pid, _)| procstat::affinity(*pid).unwrap_or_default())
            .collect();
        let cpu_start = procstat::cpu_times();
        let peak = Arc::new(Mutex::new(
            start.iter().map(|s| s.rss_kib).collect::<Vec<_>>(),
        ));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let (peak, stop) = (peak.clone(), stop.clone());
            let pids: Vec<u32> = procs.iter().map(|p| p.1).collect();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(500));
                    let mut p = peak.lock().expect("peak lock");
                    for (i, pid) in pids.iter().enumerate() {
                        if let Some(s) = procstat::sample_tree(*pid, ticks) {
                            p[i] = p[i].max(s.rss_kib);
                        }
                    }
                }
            })
        };
        Meter {
            procs,
            start,
            cpus,
            cpu_start,
            peak,
            stop,
            sampler: Some(sampler),
            began: Instant::now(),
            ticks,
        }
    }

    /// The processes' usage, and every CPU's load, over the window.
    fn finish(mut self) -> (Vec<ProcessUsage>, Vec<CpuLoad>) {
        let elapsed = self.began.elapsed().as_secs_f64();
        let cpu_load = procstat::cpu_shares(&self.cpu_start, &procstat::cpu_times())
            .into_iter()
            .map(|(cpu, busy, steal)| CpuLoad { cpu, busy, steal })
            .collect();
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.sampler.take() {
            let _ = h.join();
        }
        let peak = self.peak.lock().expect("peak lock").clone();
        let usage = self
            .procs
            .iter()
            .enumerate()
            .map(|(i, (name, pid, role))| {
                let end = procstat::sample_tree(*pid, self.ticks).unwrap_or_default();
                let cpu_s = (end.cpu_s - self.start[i].cpu_s).max(0.0);
                // The shop's processes start with the run: their high-water mark is the run's peak.
                let peak_rss_kib = if *role == ProcessRole::Shop {
                    end.hwm_kib.max(peak[i])
                } else {
                    peak[i].max(end.rss_kib)
                };
                ProcessUsage {
                    name: name.clone(),
                    role: *role,
                    cpu_s,
                    peak_rss_kib,
                    busy_cores: cpu_s / elapsed.max(1e-9),
                    cpus: self.cpus[i].clone(),
                }
            })
            .collect();
        (usage, cpu_load)
    }
}

impl Ctx<'_> {
    fn processes(&self, shop: &Shop, config: &TelemetryConfig) -> Vec<(String, u32, ProcessRole)> {
        let mut p: Vec<(String, u32, ProcessRole)> = shop
            .pids()
            .into_iter()
            .map(|(n, pid)| (n, pid, ProcessRole::Shop))
            .collect();
        for (name, pid, role) in self.lab.processes() {
            // The collector is the otel build's pipeline; for the others it idles and is not theirs.
            if role == ProcessRole::Pipeline && config.backend() != "otel" {
                continue;
            }
            p.push((name, pid, role));
        }
        p.push(("loadgen".into(), std::process::id(), ProcessRole::Loadgen));
        p
    }

    async fn start_shop(
        &self,
        point: Point,
        config: &TelemetryConfig,
        run: &str,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Shop> {
        self.sinks.reset();
        self.lab.reset_moto().await?;
        if config.backend() == "otel" {
            Captured::clear(&self.lab.capture_url()).await?;
        }
        let run_dir = self.runs_dir.join(run);
        let start = || {
            Shop::start(
                point,
                self.bins.shop(config.backend()),
                config,
                &self.lab,
                &self.sinks,
                run,
                &run_dir,
                self.shop_cpus.as_deref(),
                extra_env,
            )
        };
        // A shop that does not start (the full report once died in its second
        // hour on a migration that timed out while the machine was briefly
        // overloaded) gets one more try before the whole report gives up.
        // A failed start stops what it started, so the retry begins clean.
        match start().await {
            Ok(shop) => Ok(shop),
            Err(e) => {
                // The retry writes the logs afresh: keep the failed start's.
                let kept = keep_failed_start_logs(&run_dir);
                self.progress.suspend(|| {
                    eprintln!(
                        "{run}: {e:#} (that start's logs are kept as {kept}); trying once more in {RETRY_PAUSE:?}"
                    )
                });
                tokio::time::sleep(RETRY_PAUSE).await;
                start()
                    .await
                    .with_context(|| format!("starting the shop for {run}, the second time"))
            }
        }
    }

    /// Registers and logs in the lab customers before the load, then flushes
    /// the shop's telemetry (not measured: call it before the CPU meter
    /// starts). The flush sends what start-up and the set-up made before the
    /// load begins, so that an outage later in the run drops only the load's
    /// telemetry: an otel shop's first export (its spans of the start-up's
    /// statements among it) once fell inside the outage, and those drops were
    /// spans the ledger cannot know.
    async fn setup(&self, shop: &Shop, run: &str, propagate: Propagate) -> load::Setup {
        self.progress.set_message(format!(
            "{run}: registering and logging in the lab customers"
        ));
        let setup = load::setup(shop, run, self.plan.seed, propagate).await;
        if let Err(e) = shop.flush().await {
            self.progress
                .suspend(|| eprintln!("{run}: flushing after the set-up failed: {e:#}"));
        }
        setup
    }

    /// Drives `shape` against `shop` with this plan's seed, after `setup`,
    /// showing the request count on the progress bar.
    #[allow(clippy::too_many_arguments)]
    async fn drive(
        &self,
        shop: &Shop,
        run: &str,
        shape: &Shape,
        warmup_secs: f64,
        secs: f64,
        propagate: Propagate,
        setup: load::Setup,
    ) -> load::Outcome {
        let pb = self.progress.clone();
        let label = run.to_owned();
        load::drive(
            shop,
            run,
            self.plan.seed,
            shape,
            Duration::from_secs_f64(warmup_secs),
            Duration::from_secs_f64(secs),
            propagate,
            // Fidelity and outage runs (the ones that propagate context) keep the
            // even schedule: their question is what arrived, and a fixed count of
            // sessions makes every run check as much as the last one did.
            if propagate == Propagate::None {
                self.plan.arrivals
            } else {
                load::Arrivals::Fixed
            },
            setup,
            &move |n| pb.set_message(format!("{label}: {n} requests")),
        )
        .await
    }

    /// One overhead run, from the journal when an interrupted invocation
    /// already measured it; a run measured now is journaled at once.
    async fn overhead_run(
        &self,
        point: Point,
        config: &TelemetryConfig,
        shape: Shape,
        repeat: usize,
    ) -> anyhow::Result<LoadRun> {
        let name = run_name(point, config, &shape, repeat);
        if let Some(done) = self.journal.get(&name) {
            return Ok(done);
        }
        let run = self.load_run(&name, point, config, shape, repeat).await?;
        self.journal.record(&name, &run)?;
        Ok(run)
    }

    /// One overhead run, named `run` ([`run_name`]).
    async fn load_run(
        &self,
        run: &str,
        point: Point,
        config: &TelemetryConfig,
        shape: Shape,
        repeat: usize,
    ) -> anyhow::Result<LoadRun> {
        let (warmup, secs) = match shape {
            Shape::Open { .. } => (self.plan.warmup_secs, self.plan.open_secs),
            Shape::Closed { .. } => (self.plan.warmup_secs, self.plan.closed_secs),
        };
        self.progress.set_message(format!("{run}: starting"));
        let shop = self.start_shop(point, config, run, &[]).await?;
        let setup = self.setup(&shop, run, Propagate::None).await;
        let meter = Meter::start(self.processes(&shop, config), self.ticks);
        let outcome = self
            .drive(&shop, run, &shape, warmup, secs, Propagate::None, setup)
            .await;
        let (processes, cpu_load) = meter.finish();
        let loadgen_saturated =
            loadgen_busy(&processes, &cpu_load).is_some_and(|b| b > LOADGEN_BUSY_LIMIT);
        let stats = shop.flush().await.unwrap_or_default();
        let wire = self.sinks.all().iter().map(|t| t.count()).collect();
        shop.stop(&self.lab).await;
        let measured: Vec<&load::Entry> = outcome
            .ledger
            .entries
            .iter()
            .filter(|e| e.measured)
            .collect();
        let requests = measured.len() as u64;
        let latency = load::latency(&outcome.histogram);
        let throughput = requests as f64 / outcome.window.as_secs_f64();
        let unexpected = outcome
            .ledger
            .entries
            .iter()
            .filter(|e| is_unexpected(point, e))
            .count() as u64;
        // CPU per request is over every request of the run (warm-up included), like the CPU
        // window; the set-up before it is in neither.
        let all = outcome
            .ledger
            .entries
            .iter()
            .filter(|e| !e.is_setup())
            .count() as u64;
        self.progress.suspend(|| {
            eprintln!(
                "{run}: {throughput:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {unexpected} unexpected{}",
                latency.p50_us / 1e3,
                latency.p99_us / 1e3,
                if loadgen_saturated {
                    " (flagged: the load generator's CPU was over 80 % busy)"
                } else {
                    ""
                }
            )
        });
        for e in outcome
            .ledger
            .entries
            .iter()
            .filter(|e| is_unexpected(point, e))
            .take(3)
        {
            self.progress.suspend(|| {
                eprintln!(
                    "  unexpected: {} ({}) answered {}, expected {}",
                    e.request_id,
                    e.step.name(),
                    e.status,
                    e.step.expected_status()
                )
            });
        }
        Ok(LoadRun {
            point: point.name().to_owned(),
            config: config.id().to_owned(),
            shape,
            repeat,
            duration_s: outcome.window.as_secs_f64(),
            requests: all,
            unexpected,
            throughput_rps: throughput,
            latency,
            processes,
            stats,
            wire,
            late_sends: outcome.ledger.late_sends,
            cpu_load,
            loadgen_saturated,
        })
    }

    /// One fidelity run (nominal load; with `outage`, the sinks refuse
    /// everything for a while in the middle).
    async fn fidelity_run(
        &self,
        config: &TelemetryConfig,
        outage: bool,
    ) -> anyhow::Result<(Fidelity, Measured)> {
        let run = format!(
            "{}-{}",
            config.id(),
            if outage { "outage" } else { "nominal" }
        );
        self.progress.set_message(format!("{run}: starting"));
        // Fidelity is judged on the split topology: the oracle's span trees
        // have the calls between services, and the poisoned pass-through.
        // Under an outage the otel build sends its span and log batches every
        // second, as awssdk does (its SDK default is every 5 s), so that its
        // exports fall inside the outage whatever the run's length.
        let env: Vec<(String, String)> = if outage && config.backend() == "otel" {
            ["OTEL_BSP_SCHEDULE_DELAY", "OTEL_BLRP_SCHEDULE_DELAY"]
                .into_iter()
                .map(|k| (k.to_owned(), "1000".to_owned()))
                .collect()
        } else {
            Vec::new()
        };
        let shop = self.start_shop(Point::Split, config, &run, &env).await?;
        let propagate = propagation(config);
        let secs = self.plan.fidelity_secs;
        // Before the outage's clock starts: the outage falls in the load, not the set-up.
        let setup = self.setup(&shop, &run, propagate).await;
        let collector_before = self.collector_counts(config).await?;
        let outage_task = outage.then(|| {
            let taps: Vec<_> = vec![
                self.sinks.xray.handle(),
                self.sinks.cloudwatch.handle(),
                self.sinks.logs.handle(),
                self.sinks.otlp.handle(),
            ];
            let (from, len) = (secs * 0.25, self.plan.outage_secs);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(from)).await;
                taps.iter().for_each(|t| t.set(TapMode::Down));
                tokio::time::sleep(Duration::from_secs_f64(len)).await;
                taps.iter().for_each(|t| t.set(TapMode::Forward));
            })
        });
        let shape = Shape::Open {
            rate: self.plan.fidelity_rate,
        };
        let outcome = self
            .drive(&shop, &run, &shape, 0.0, secs, propagate, setup)
            .await;
        if let Some(t) = outage_task {
            let _ = t.await;
        }
        self.progress
            .set_message(format!("{run}: flushing and reading back"));
        let stats = shop.flush().await?;
        let entries = &outcome.ledger.entries;
        let names = shop.names.clone();
        let ReadBack {
            spans,
            logs,
            answers,
            series,
            emf_event_bytes,
            store,
        } = self.read_back(config, entries, &names, &stats).await?;
        shop.stop(&self.lab).await;
        let pipeline = self.collector_since(config, collector_before).await?;
        let into_xray = if !outage && config.backend() == "otel" {
            self.otel_in_xray(entries).await?
        } else {
            Vec::new()
        };
        // The pass-throughs' counts once everything has come through: the collector sends on
        // after its batches (logs: 5 s), and the X-Ray leg after its own; the read-back waits
        // for both (and reads the emulators directly, not through the pass-throughs).
        let wire: Vec<WireCount> = self.sinks.all().iter().map(|t| t.count()).collect();

        let expected_traces = entries
            .iter()
            .filter(|e| e.sent.as_ref().is_some_and(|s| s.sampled))
            .count() as u64;
        let arrived: std::collections::BTreeSet<&str> =
            spans.iter().map(|s| s.trace_id.as_str()).collect();
        let traces_arrived = entries
            .iter()
            .filter_map(|e| e.sent.as_ref().filter(|s| s.sampled))
            .filter(|s| arrived.contains(s.trace_id.as_str()))
            .count() as u64;
        let mut checks = Vec::new();
        let mut loss = BTreeMap::new();
        let unexpected: Vec<String> = entries
            .iter()
            .filter(|e| e.unexpected())
            .take(5)
            .map(|e| {
                format!(
                    "{} ({}): status {}, expected {}",
                    e.request_id,
                    e.step.name(),
                    e.status,
                    e.step.expected_status()
                )
            })
            .collect();
        let mut statuses = Check {
            signal: "load".into(),
            name: "every request answered as the scenario expects".into(),
            passed: entries.iter().filter(|e| !e.unexpected()).count() as u64,
            total: entries.len() as u64,
            failures: unexpected,
            gap: None,
        };
        if outage {
            // Statuses must not change while the sinks are down.
            statuses.name = "every request answered as expected while the sinks were down".into();
            let dropped = |signal: &str| stats.get(signal).map_or(0, |s| s.dropped);
            loss.insert(
                "spans".into(),
                fidelity::loss_account(
                    fidelity::expected_span_count(entries),
                    fidelity::arrived_span_count(entries, &spans),
                    dropped("spans"),
                    refused(config.backend(), "spans", &wire),
                ),
            );
            loss.insert(
                "logs".into(),
                fidelity::loss_account(
                    fidelity::expected_access_lines(entries),
                    fidelity::arrived_access_lines(entries, &logs),
                    dropped("logs"),
                    refused(config.backend(), "logs", &wire),
                ),
            );
            let c = fidelity::loss(&loss);
            let any_drop = loss.values().any(|l| l.reported_dropped > 0);
            checks.push(Check {
                signal: "loss".into(),
                name: "the outage caused drops (the fault really happened)".into(),
                passed: u64::from(any_drop),
                total: 1,
                failures: if any_drop {
                    vec![]
                } else {
                    vec!["no drops reported".into()]
                },
                gap: None,
            });
            checks.push(c);
            checks.push(statuses);
        } else {
            checks.push(statuses);
            checks.extend(fidelity::traces(config.backend(), entries, &spans));
            let totals = fidelity::metric_totals(entries);
            checks.extend(fidelity::metrics(&totals, &answers));
            checks.extend(fidelity::logs(entries, &logs, &spans));
        }
        checks.push(fidelity::accounting(&stats));
        if let Some(p) = &pipeline {
            checks.push(fidelity::pipeline(p));
        }
        let score = crate::results::worst(&checks)
            .map_or("n/a (nothing checked)".to_owned(), |(s, _)| {
                format!("{:.1} %", s * 100.0)
            });
        self.progress.suspend(|| {
            eprintln!(
                "{run}: {} requests, {traces_arrived}/{expected_traces} traces, fidelity {score}",
                entries.len(),
            )
        });
        for c in checks.iter().filter(|c| c.passed != c.total) {
            self.progress.suspend(|| {
                eprintln!(
                    "  ✗ {} {}: {}/{} — {}",
                    c.signal,
                    c.name,
                    c.passed,
                    c.total,
                    c.failures.first().map_or("", String::as_str)
                )
            });
        }
        let fidelity = Fidelity {
            into_xray,
            config: config.id().to_owned(),
            load: if outage { "outage" } else { "nominal" }.into(),
            requests: entries.len() as u64,
            traces_expected: expected_traces,
            traces_arrived,
            checks,
            loss,
            picture: (!outage)
                .then(|| picture(entries, &spans, &store))
                .flatten(),
        };
        let measured = Measured {
            config: config.id().to_owned(),
            backend: config.backend().to_owned(),
            metrics_mode: match (
                config.backend(),
                config.info.settings.get("metrics").map(String::as_str),
            ) {
                ("awssdk", Some("EMF")) => "emf".into(),
                ("awssdk", _) => "api".into(),
                _ => "otlp".into(),
            },
            requests: entries.len() as u64,
            seconds: secs,
            sampling: config.info.sampling,
            traces_arrived,
            series,
            stats,
            wire,
            metric_interval_s: metric_interval_s(config),
            log_event_bytes: (config.backend() == "awssdk")
                .then(|| logs.iter().map(|l| l.bytes as u64).sum()),
            emf_event_bytes,
        };
        Ok((fidelity, measured))
    }

    /// Fidelity at saturation: a closed loop at the plan's saturation
    /// concurrency with healthy sinks, long enough for at least two metrics
    /// export intervals (shortened by environment variable for this run, see
    /// [`saturation_timing`]), read back and scored by the same oracle as
    /// the nominal runs. Where spans were lost, the process with the highest
    /// CPU share during the run is named as the bottleneck.
    /// The collector's counts now, for an otel config (`None` for the others: no collector).
    async fn collector_counts(
        &self,
        config: &TelemetryConfig,
    ) -> anyhow::Result<Option<crate::pipeline::PipelineCounts>> {
        if config.backend() != "otel" {
            return Ok(None);
        }
        crate::pipeline::scrape(&self.lab.collector_metrics_url())
            .await
            .map(Some)
    }

    /// What the collector counted since `before` (read by [`Self::collector_counts`]).
    async fn collector_since(
        &self,
        config: &TelemetryConfig,
        before: Option<crate::pipeline::PipelineCounts>,
    ) -> anyhow::Result<Option<crate::pipeline::PipelineCounts>> {
        let Some(before) = before else {
            return Ok(None);
        };
        let after = self.collector_counts(config).await?.unwrap_or_default();
        Ok(Some(crate::pipeline::since(&after, &before)))
    }

    async fn saturation_run(&self, config: &TelemetryConfig) -> anyhow::Result<SaturationFidelity> {
        let run = format!("{}-saturation", config.id());
        let (interval_s, secs) = saturation_timing(self.plan.mode);
        self.progress.set_message(format!("{run}: starting"));
        self.sinks.reset();
        self.lab.reset_moto().await?;
        if config.backend() == "otel" {
            Captured::clear(&self.lab.capture_url()).await?;
        }
        let interval_ms = format!("{}", (interval_s * 1e3).round() as u64);
        let env = [
            (
                "SHOP_CW_METRICS_INTERVAL_MS".to_owned(),
                interval_ms.clone(),
            ),
            ("OTEL_METRIC_EXPORT_INTERVAL".to_owned(), interval_ms),
        ];
        // Like the fidelity runs, at the split point (what the oracle's span trees describe).
        let shop = Shop::start(
            Point::Split,
            self.bins.shop(config.backend()),
            config,
            &self.lab,
            &self.sinks,
            &run,
            &self.runs_dir.join(&run),
            self.shop_cpus.as_deref(),
            &env,
        )
        .await
        .with_context(|| format!("starting the shop for {run}"))?;
        let propagate = propagation(config);
        let shape = Shape::Closed {
            concurrency: self.plan.closed_concurrency,
        };
        let setup = self.setup(&shop, &run, propagate).await;
        let collector_before = self.collector_counts(config).await?;
        let meter = Meter::start(self.processes(&shop, config), self.ticks);
        let outcome = self
            .drive(&shop, &run, &shape, 0.0, secs, propagate, setup)
            .await;
        let (processes, _) = meter.finish();
        self.progress
            .set_message(format!("{run}: flushing and reading back"));
        let stats = shop.flush().await?;
        let entries = &outcome.ledger.entries;
        let names = shop.names.clone();
        let read = self.read_back(config, entries, &names, &stats).await;
        shop.stop(&self.lab).await;
        let pipeline = self.collector_since(config, collector_before).await?;
        let ReadBack {
            spans,
            logs,
            answers,
            ..
        } = read?;
        let mut checks = vec![Check {
            signal: "load".into(),
            name: "every request answered as the scenario expects".into(),
            passed: entries.iter().filter(|e| !e.unexpected()).count() as u64,
            total: entries.len() as u64,
            failures: vec![],
            gap: None,
        }];
        checks.extend(fidelity::traces(config.backend(), entries, &spans));
        checks.extend(fidelity::metrics(
            &fidelity::metric_totals(entries),
            &answers,
        ));
        checks.extend(fidelity::logs(entries, &logs, &spans));
        checks.push(fidelity::accounting(&stats));
        if let Some(p) = &pipeline {
            checks.push(fidelity::pipeline(p));
        }
        let spans_expected = fidelity::expected_span_count(entries);
        let spans_arrived = fidelity::arrived_span_count(entries, &spans).min(spans_expected);
        let (bottleneck, bottleneck_cores) = processes
            .iter()
            .filter(|p| p.role != ProcessRole::Loadgen)
            .max_by(|a, b| a.busy_cores.total_cmp(&b.busy_cores))
            .map_or((String::new(), 0.0), |p| (p.name.clone(), p.busy_cores));
        let window = outcome.window.as_secs_f64();
        let sat = SaturationFidelity {
            config: config.id().to_owned(),
            concurrency: self.plan.closed_concurrency,
            duration_s: window,
            metric_interval_s: interval_s,
            requests: entries.len() as u64,
            throughput_rps: entries.iter().filter(|e| !e.is_setup()).count() as f64
                / window.max(1e-9),
            spans_expected,
            spans_arrived,
            spans_dropped_reported: stats.get("spans").map_or(0, |s| s.dropped),
            spans_missing: spans_expected - spans_arrived,
            logs_expected: Some(fidelity::expected_access_lines(entries)),
            logs_arrived: Some(fidelity::arrived_access_lines(entries, &logs)),
            logs_dropped_reported: Some(stats.get("logs").map_or(0, |s| s.dropped)),
            pipeline,
            checks,
            processes,
            bottleneck,
            bottleneck_cores,
        };
        let score = crate::results::worst(&sat.checks)
            .map_or("n/a".to_owned(), |(s, _)| format!("{:.1} %", s * 100.0));
        self.progress.suspend(|| {
            eprintln!(
                "{run}: {} requests ({:.0}/s), spans {}/{} (shop dropped {}), fidelity {score}, busiest {} at {:.2} cores",
                sat.requests,
                sat.throughput_rps,
                sat.spans_arrived,
                sat.spans_expected,
                sat.spans_dropped_reported,
                sat.bottleneck,
                sat.bottleneck_cores
            )
        });
        Ok(sat)
    }

    /// Reads back spans, logs, metric answers and the number of metric series.
    async fn read_back(
        &self,
        config: &TelemetryConfig,
        entries: &[load::Entry],
        names: &crate::shop::RunNames,
        stats: &BTreeMap<String, SignalStats>,
    ) -> anyhow::Result<ReadBack> {
        let totals = fidelity::metric_totals(entries);
        let queries = fidelity::metric_queries(&totals);
        if config.backend() == "awssdk" {
            let ids: Vec<String> = entries
                .iter()
                .filter_map(|e| e.sent.as_ref())
                .map(|s| crate::readback::xray_trace_id(&s.trace_id))
                .collect();
            let spans = self.aws.traces(&ids).await?;
            let logs = self.aws.logs(&names.log_group).await?;
            let mut cw = Vec::new();
            for q in &queries {
                let mut dims = vec![("service.name".to_owned(), format!("shop-{}", q.service))];
                dims.extend(q.attributes.iter().cloned());
                if q.histogram {
                    cw.push((q.name.to_owned(), dims.clone(), "SampleCount"));
                    cw.push((q.name.to_owned(), dims, "Sum"));
                } else {
                    cw.push((q.name.to_owned(), dims, "Sum"));
                }
            }
            let values = if config.info.settings.get("metrics").map(String::as_str) == Some("EMF") {
                // LocalStack does not turn EMF lines into metrics: the answers
                // come from the EMF lines themselves (see emf_answers).
                emf_answers(&self.aws.log_events(&names.emf_log_group).await?, &queries)
            } else {
                let v = self.aws.metric_stats_exact(&names.namespace, &cw).await?;
                let mut it = v.into_iter();
                queries
                    .iter()
                    .map(|q| {
                        let a = it.next().unwrap_or(0.0);
                        if q.histogram {
                            (a, it.next().unwrap_or(0.0))
                        } else {
                            (a, 0.0)
                        }
                    })
                    .collect()
            };
            let (series, emf_event_bytes) =
                if config.info.settings.get("metrics").map(String::as_str) == Some("EMF") {
                    let lines = self.aws.log_events(&names.emf_log_group).await?;
                    // CloudWatch Logs bills the event bytes (UTF-8 messages).
                    let bytes = lines.iter().map(|l| l.len() as u64).sum();
                    (emf_series(&lines), Some(bytes))
                } else {
                    (self.aws.series(&names.namespace).await.unwrap_or(0), None)
                };
            Ok(ReadBack {
                spans,
                logs,
                answers: values,
                series,
                emf_event_bytes,
                store: "X-Ray (BatchGetTraces)".into(),
            })
        } else {
            // The collector batches: wait until what the shop says it sent has come through (≤ 15 s).
            let want_spans = stats.get("spans").map_or(0, |s| s.sent);
            let want_logs = stats.get("logs").map_or(0, |s| s.sent);
            let deadline = Instant::now() + Duration::from_secs(15);
            let mut captured = Captured::fetch(&self.lab.capture_url(), &names.run).await?;
            loop {
                let (s, l) = (captured.spans().len() as u64, captured.logs().len() as u64);
                if (s >= want_spans && l >= want_logs) || Instant::now() > deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                captured = Captured::fetch(&self.lab.capture_url(), &names.run).await?;
            }
            // One more second for metrics (exported last, at flush).
            tokio::time::sleep(Duration::from_secs(1)).await;
            captured = Captured::fetch(&self.lab.capture_url(), &names.run).await?;
            let answers = queries
                .iter()
                .map(|q| captured.metric(q.name, &q.service, &q.attributes))
                .collect();
            let series = captured.series();
            Ok(ReadBack {
                spans: captured.spans(),
                logs: captured.logs(),
                answers,
                series,
                emf_event_bytes: None,
                store: "OTLP spans at the capture receiver (not in X-Ray in this lab)".into(),
            })
        }
    }
}

/// The metrics export interval and the length of a saturation run: two
/// whole intervals and a little more, so that at least two periodic exports
/// happen before the final flush. The shops' default interval is 60 s; the
/// run shortens it through `SHOP_CW_METRICS_INTERVAL_MS` (awssdk) and
/// `OTEL_METRIC_EXPORT_INTERVAL` (otel).
pub fn saturation_timing(mode: Mode) -> (f64, f64) {
    match mode {
        Mode::Full => (10.0, 25.0),
        Mode::Quick => (3.0, 7.0),
    }
}

/// What a fidelity run read back from the sinks.
struct ReadBack {
    spans: Vec<Span>,
    logs: Vec<Log>,
    answers: Vec<fidelity::MetricAnswer>,
    /// Distinct metric series.
    series: u64,
    /// Bytes of the EMF lines read back (EMF configs).
    emf_event_bytes: Option<u64>,
    /// Where the spans were read (for the report's trace picture).
    store: String,
}

/// The metrics export interval of `config`'s shop, seconds: its own
/// environment's setting, or the backend's default (60 s for both).
fn metric_interval_s(config: &TelemetryConfig) -> f64 {
    let key = match config.backend() {
        "awssdk" => "SHOP_CW_METRICS_INTERVAL_MS",
        _ => "OTEL_METRIC_EXPORT_INTERVAL",
    };
    config
        .env
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.parse::<f64>().ok())
        .map_or(60.0, |ms| ms / 1e3)
}

/// Export requests of `signal` the pass-through in front of the shop's sink
/// refused: awssdk has one sink per signal; otel sends all three to the
/// `otlp` pass-through, told apart by path.
fn refused(backend: &str, signal: &str, wire: &[WireCount]) -> u64 {
    let (sink, path) = match (backend, signal) {
        ("awssdk", "spans") => ("xray", None),
        ("awssdk", "logs") => ("logs", None),
        ("awssdk", _) => ("cloudwatch", None),
        (_, "spans") => (cost::OTLP, Some("/v1/traces")),
        (_, "logs") => (cost::OTLP, Some("/v1/logs")),
        _ => (cost::OTLP, Some("/v1/metrics")),
    };
    wire.iter()
        .filter(|w| w.sink == sink)
        .map(|w| match path {
            Some(p) => w.paths.get(p).map_or(0, |c| c.refused),
            None => w.refused,
        })
        .sum()
}

/// One checkout trace of the ledger as the sink stored it, flattened
/// depth-first for the report's picture (the first sampled checkout whose
/// every span arrived; `None` if there is none).
fn picture(entries: &[load::Entry], spans: &[Span], store: &str) -> Option<TracePicture> {
    entries
        .iter()
        .filter(|e| e.step.name() == "checkout" && !e.unexpected())
        .filter_map(|e| e.sent.as_ref().filter(|s| s.sampled).map(|s| (e, s)))
        .find_map(|(e, sent)| {
            let want = scenario::expected_tree(&e.step, e.status, e.signed_in)?.len();
            let mine: Vec<&Span> = spans
                .iter()
                .filter(|s| s.trace_id == sent.trace_id)
                .collect();
            (mine.len() == want).then(|| TracePicture {
                store: store.to_owned(),
                trace_id: sent.trace_id.clone(),
                step: e.step.name().to_owned(),
                nodes: picture_nodes(&mine, store.starts_with("X-Ray")),
            })
        })
}

/// `spans` depth-first from their root(s), children in start order.
fn picture_nodes(spans: &[&Span], xray: bool) -> Vec<PictureNode> {
    let ids: std::collections::BTreeSet<&str> = spans.iter().map(|s| s.id.as_str()).collect();
    let t0 = spans.iter().map(|s| s.start).fold(f64::INFINITY, f64::min);
    let mut out = Vec::new();
    fn walk(
        out: &mut Vec<PictureNode>,
        spans: &[&Span],
        parent: Option<&str>,
        ids: &std::collections::BTreeSet<&str>,
        depth: usize,
        t0: f64,
        xray: bool,
    ) {
        let mut level: Vec<&&Span> = spans
            .iter()
            .filter(|s| match parent {
                Some(p) => s.parent == p,
                None => !ids.contains(s.parent.as_str()),
            })
            .collect();
        level.sort_by(|a, b| a.start.total_cmp(&b.start));
        for s in level {
            out.push(PictureNode {
                depth,
                name: s.name.clone(),
                service: s.service.clone(),
                kind: if xray {
                    // A server span is an X-Ray segment; everything else a subsegment.
                    if s.kind == "server" {
                        "segment"
                    } else {
                        "subsegment"
                    }
                    .to_owned()
                } else {
                    s.kind.clone()
                },
                start_ms: (s.start - t0) * 1e3,
                duration_ms: ((s.end - s.start) * 1e3).max(0.0),
            });
            walk(out, spans, Some(&s.id), ids, depth + 1, t0, xray);
        }
    }
    walk(&mut out, spans, None, &ids, 0, t0, xray);
    out
}

impl Ctx<'_> {
    /// The otel build's sampled traces as X-Ray stored them (the collector's X-Ray leg: rotel's
    /// aws-xray exporter → moto), scored by the X-Ray oracle the awssdk build is scored by.
    /// The leg batches for a second and converts: poll until the count holds still.
    async fn otel_in_xray(&self, entries: &[load::Entry]) -> anyhow::Result<Vec<Check>> {
        let ids: Vec<String> = entries
            .iter()
            .filter_map(|e| e.sent.as_ref())
            .map(|s| crate::readback::xray_trace_id(&s.trace_id))
            .collect();
        let spans = until_still(Duration::from_secs(15), Duration::from_millis(800), || {
            self.aws.traces(&ids)
        })
        .await?;
        Ok(fidelity::traces("awssdk", entries, &spans))
    }
}

impl Ctx<'_> {
    /// One side of the tail-sampling comparison (see [`crate::tail`]): `config` at nominal
    /// load with the slow dependency switched on, through a collector that samples the tail
    /// (`tail`) or passes everything on (head sampling happened in the shop). What leaves the
    /// collector goes through a counting pass-through to the capture receiver.
    async fn tail_run(
        &self,
        config: &TelemetryConfig,
        strategy: &str,
        tail: bool,
    ) -> anyhow::Result<crate::tail::TailRow> {
        let run = format!("{}-{}", config.id(), if tail { "tail" } else { "head" });
        self.progress.set_message(format!("{run}: starting"));
        self.lab.start_collector(&crate::lab::CollectorSetup {
            tail_sampling: tail,
            ..self.sinks.collector_setup()
        })?;
        // At the split point: the slow dependency is the pass-through in front of inventory.
        let shop = self.start_shop(Point::Split, config, &run, &[]).await?;
        if let Some(tap) = &shop.inventory_tap {
            tap.set_slow(true);
        }
        // The shop's CPU while it serves and exports; the collector's until its last decision.
        let (shop_procs, pipeline_procs): (Vec<_>, Vec<_>) = self
            .processes(&shop, config)
            .into_iter()
            .filter(|p| matches!(p.2, ProcessRole::Shop | ProcessRole::Pipeline))
            .partition(|p| p.2 == ProcessRole::Shop);
        let propagate = propagation(config);
        let setup = self.setup(&shop, &run, propagate).await;
        let shop_meter = Meter::start(shop_procs, self.ticks);
        let pipeline_meter = Meter::start(pipeline_procs, self.ticks);
        let shape = Shape::Open {
            rate: self.plan.fidelity_rate,
        };
        let outcome = self
            .drive(
                &shop,
                &run,
                &shape,
                0.0,
                self.plan.tail_secs,
                propagate,
                setup,
            )
            .await;
        self.progress.set_message(format!(
            "{run}: flushing, waiting for the collector's decisions"
        ));
        shop.flush().await?;
        let (mut usage, _) = shop_meter.finish();
        // Tail decisions come decision_wait (3 s, lab.rs) after a trace's first span, then
        // the batch (1 s): wait until the capture has been still for two polls after that.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let names = shop.names.clone();
        let capture = self.lab.capture_url();
        let spans = until_still(
            Duration::from_secs(20),
            Duration::from_millis(700),
            || async { Ok(Captured::fetch(&capture, &names.run).await?.spans()) },
        )
        .await?;
        usage.extend(pipeline_meter.finish().0);
        shop.stop(&self.lab).await;
        let entries = &outcome.ledger.entries;
        let mut row = crate::tail::score(strategy, config.id(), entries, &spans);
        let wire = self.sinks.otlp_egress.count();
        row.egress_bytes = wire.bytes;
        row.egress_calls = wire.requests;
        let per_request = |role: ProcessRole| {
            usage
                .iter()
                .filter(|u| u.role == role)
                .map(|u| u.cpu_s)
                .sum::<f64>()
                * 1e6
                / (entries.len().max(1) as f64)
        };
        row.collector_cpu_us_per_request = per_request(ProcessRole::Pipeline);
        row.shop_cpu_us_per_request = per_request(ProcessRole::Shop);
        row.collector_peak_rss_mib = usage
            .iter()
            .filter(|u| u.name == "collector")
            .map(|u| u.peak_rss_kib as f64 / 1024.0)
            .fold(0.0, f64::max);
        self.progress.suspend(|| {
            eprintln!(
                "{run}: {} requests (slowest {} ms); kept {}/{} faults, {}/{} slow, {}/{} others",
                row.requests,
                entries
                    .iter()
                    .map(|e| e.latency_us / 1000)
                    .max()
                    .unwrap_or(0),
                row.faults_kept,
                row.faults,
                row.slow_kept,
                row.slow,
                row.rest_kept,
                row.rest
            )
        });
        // Back to the runs' collector (no tail sampling).
        self.lab.start_collector(&self.sinks.collector_setup())?;
        Ok(row)
    }

    /// Orders that produce mail, with events on (see [`crate::async_hops`]): the embedded
    /// shop publishes its outbox to the private LocalStack and runs the mail worker, each AWS
    /// service behind a counting pass-through; every order's mail must arrive.
    async fn async_run(
        &self,
        config: &TelemetryConfig,
        prices: &crate::async_hops::MessagingPrices,
    ) -> anyhow::Result<crate::async_hops::AsyncRow> {
        use crate::async_hops::{self, PlacedOrder, PlacedUpload};
        let run = format!("{}-async", config.id());
        self.progress.set_message(format!("{run}: starting"));
        let localstack = self.lab.localstack_url();
        let taps = [
            (
                "eventbridge",
                Wiretap::start("eventbridge", &localstack).await?,
            ),
            ("sqs", Wiretap::start("sqs", &localstack).await?),
            ("ses", Wiretap::start("ses", &localstack).await?),
        ];
        let prefix: String = run
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let mut env: Vec<(String, String)> = [
            ("SHOP_EVENTS", "true".to_owned()),
            ("SHOP_NOTIFICATIONS", "true".to_owned()),
            ("SHOP_EVENTS_PROVISION", "true".to_owned()),
            ("SHOP_EVENTS_PREFIX", prefix.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", taps[0].1.url()),
            ("AWS_ENDPOINT_URL_SQS", taps[1].1.url()),
            ("AWS_ENDPOINT_URL_SNS", localstack.clone()),
            ("AWS_ENDPOINT_URL_SES", taps[2].1.url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.push(("SHOP_PUBLIC_URL".to_owned(), "http://shop.lab".to_owned()));
        // Uploads: pictures to LocalStack's S3, resized by the function (not counted:
        // the pass-throughs price the orders' messaging).
        let bucket = format!("{}-images", prefix.to_ascii_lowercase());
        for (k, v) in [
            ("SHOP_IMAGES_BUCKET", bucket.clone()),
            ("SHOP_S3_ENDPOINT", localstack.clone()),
            ("SHOP_IMAGE_RESIZE", "function".to_owned()),
        ] {
            env.push((k.to_owned(), v));
        }
        let shop = self.start_shop(Point::Embedded, config, &run, &env).await?;
        let run_dir = self.runs_dir.join(&run);
        let mut function_env =
            crate::shop::telemetry_env(config, &self.lab, &self.sinks, &shop.names, &run_dir)?;
        for (k, v) in [
            ("SHOP_SERVICE_NAME", "image-resize".to_owned()),
            ("SHOP_ENVIRONMENT", "exp".to_owned()),
            ("SHOP_IMAGES_BUCKET", bucket.clone()),
            ("SHOP_S3_ENDPOINT", localstack.clone()),
            ("AWS_ENDPOINT_URL_S3", localstack.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("DATABASE_URL", shop.database_url().to_owned()),
        ] {
            function_env.insert(k.to_owned(), v);
        }
        let cargo_lambda = self.lab.cargo_lambda()?;
        let _resize = crate::uploads::start(&crate::uploads::ResizeParts {
            cargo_lambda: &cargo_lambda,
            repo: self.repo,
            function_bin: self.bins.function(config.backend()),
            event_source_bin: &self.bins.event_source,
            function_env,
            queue_url: format!("{localstack}/000000000000/{prefix}-image-originals"),
            localstack: localstack.clone(),
            dir: &run_dir.join("functions"),
        })
        .await?;
        // Provisioning at start-up is not the orders' cost: wait for the queue, then count.
        let client = reqwest::Client::builder().no_proxy().build()?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (_, tap) in &taps {
            tap.reset();
        }
        let orders_n = match self.plan.mode {
            crate::plan::Mode::Full => 50,
            crate::plan::Mode::Quick => 10,
        };
        let base = shop.url(Service::Orders);
        let began = Instant::now();
        let mut orders = Vec::new();
        let mut emails = Vec::new();
        for i in 0..orders_n {
            self.progress
                .set_message(format!("{run}: order {}/{orders_n}", i + 1));
            let email = format!("async-{prefix}-{i}@example.com");
            let cart: serde_json::Value = client
                .post(format!("{base}/api/carts"))
                .send()
                .await?
                .json()
                .await?;
            let cart = cart["id"].as_str().unwrap_or_default().to_owned();
            client
                .post(format!("{base}/api/carts/{cart}/items"))
                .json(&serde_json::json!({ "product_id": 1 + (i % 10) * 12 + 1, "quantity": 1 }))
                .send()
                .await?
                .error_for_status()?;
            let placed = client
                .post(format!("{base}/api/orders"))
                .header("Idempotency-Key", format!("{prefix}-{i}"))
                .json(&serde_json::json!({
                    "cart_id": cart, "email": email,
                    "shipping_address": { "name": "Async Lab", "line1": "1 Queue Street",
                        "city": "Tokyo", "postal_code": "100-0005", "country": "JP" },
                    "payment": { "token": "tok_visa" },
                }))
                .send()
                .await?
                .error_for_status()?;
            let trace = placed
                .headers()
                .get("x-trace-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            orders.push(PlacedOrder { trace_id: trace });
            emails.push(email);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Every confirmation in LocalStack's SES mailbox (up to a minute).
        let mut mails = 0;
        for _ in 0..600 {
            let all: serde_json::Value = client
                .get(format!("{localstack}/_aws/ses"))
                .send()
                .await?
                .json()
                .await
                .unwrap_or_default();
            mails =
                emails
                    .iter()
                    .filter(|e| {
                        all["messages"].as_array().into_iter().flatten().any(|m| {
                            m["Destination"]["ToAddresses"][0].as_str() == Some(e.as_str())
                        })
                    })
                    .count() as u64;
            if mails == orders_n as u64 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let window_s = began.elapsed().as_secs_f64();
        let requests: BTreeMap<String, u64> = taps
            .iter()
            .map(|(name, tap)| ((*name).to_owned(), tap.count().requests))
            .collect();
        // Then the uploads, one after another, as the lab admin.
        let uploads_n = match self.plan.mode {
            crate::plan::Mode::Full => 20,
            crate::plan::Mode::Quick => 4,
        };
        self.progress
            .set_message(format!("{run}: logging the lab admin in"));
        let setup = self.setup(&shop, &run, Propagate::None).await;
        let admin = setup
            .admin()
            .with_context(|| format!("{run}: the lab admin could not log in to upload"))?;
        let picture =
            crate::lambda::original_jpeg(crate::uploads::PICTURE.0, crate::uploads::PICTURE.1)?;
        let catalog = shop.url(Service::Catalog);
        let mut sent = Vec::new();
        for i in 0..uploads_n {
            self.progress
                .set_message(format!("{run}: upload {}/{uploads_n}", i + 1));
            // A product each: a second picture of one product would race the first's record.
            let product = 1 + i as i64;
            sent.push(crate::uploads::upload(&client, &catalog, &admin, product, &picture).await?);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.progress
            .set_message(format!("{run}: waiting for the resized pictures"));
        let resized =
            crate::uploads::settle(&client, &catalog, &admin, &sent, Duration::from_secs(120))
                .await?;
        self.progress.set_message(format!("{run}: reading back"));
        shop.flush().await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        shop.flush().await?;
        let (spans, links) = if config.backend() == "awssdk" {
            let ids: Vec<String> = orders
                .iter()
                .map(|o| o.trace_id.clone())
                .chain(sent.iter().map(|u| u.trace_id.clone()))
                .collect();
            let spans = until_still(
                Duration::from_secs(20),
                Duration::from_millis(700),
                || async { self.aws.traces(&ids).await },
            )
            .await?;
            (spans, async_hops::Links::new())
        } else {
            let names = shop.names.clone();
            let capture = self.lab.capture_url();
            let captured = until_still(
                Duration::from_secs(20),
                Duration::from_millis(700),
                || async { Ok(Captured::fetch(&capture, &names.run).await?.spans()) },
            )
            .await?;
            let raw = Captured::fetch(&capture, &names.run).await?;
            (captured, async_hops::otlp_links(&raw.traces))
        };
        shop.stop(&self.lab).await;
        // The read-back spells X-Ray ids its own way; match orders and uploads to it.
        let stored = |id: &str| {
            spans
                .iter()
                .find(|s| same_trace(&s.trace_id, id))
                .map_or_else(|| id.to_owned(), |s| s.trace_id.clone())
        };
        let orders: Vec<PlacedOrder> = orders
            .iter()
            .map(|o| PlacedOrder {
                trace_id: stored(&o.trace_id),
            })
            .collect();
        let uploads: Vec<PlacedUpload> = sent
            .iter()
            .map(|u| PlacedUpload {
                trace_id: stored(&u.trace_id),
            })
            .collect();
        let (upload_hops, upload_delays, trace_sources) =
            async_hops::score_uploads(&uploads, &spans, &links);
        let (hops, delays, carriers) = async_hops::score(&orders, &spans, &links);
        let row = async_hops::AsyncRow {
            config: config.id().to_owned(),
            orders: orders_n as u64,
            mails,
            hops,
            delay_ms_p50: async_hops::quantile(&delays, 0.5),
            delay_ms_p95: async_hops::quantile(&delays, 0.95),
            delay_ms_max: delays.iter().copied().reduce(f64::max),
            dollars_per_million_orders: prices.per_million_orders(&requests, orders_n as u64),
            requests,
            window_s,
            carriers,
            uploads: Some(async_hops::UploadRow {
                uploads: uploads_n as u64,
                resized,
                hops: upload_hops,
                delay_ms_p50: async_hops::quantile(&upload_delays, 0.5),
                delay_ms_p95: async_hops::quantile(&upload_delays, 0.95),
                delay_ms_max: upload_delays.iter().copied().reduce(f64::max),
                trace_sources,
            }),
        };
        self.progress.suspend(|| {
            eprintln!(
                "{run}: {} orders, {} mails; hops connected {:?}; delay p50 {:.0} ms; ${:.2} per million orders",
                row.orders,
                row.mails,
                row.hops.iter().map(|h| h.connected).collect::<Vec<_>>(),
                row.delay_ms_p50.unwrap_or(f64::NAN),
                row.dollars_per_million_orders
            )
        });
        if let Some(u) = &row.uploads {
            self.progress.suspend(|| {
                eprintln!(
                    "{run}: {} uploads, {} resized; hops connected {:?}; delay p50 {:.0} ms",
                    u.uploads,
                    u.resized,
                    u.hops.iter().map(|h| h.connected).collect::<Vec<_>>(),
                    u.delay_ms_p50.unwrap_or(f64::NAN),
                )
            });
        }
        if row.mails != row.orders {
            anyhow::bail!(
                "{run}: {} of {} confirmation mails arrived",
                row.mails,
                row.orders
            );
        }
        if let Some(u) = row.uploads.as_ref().filter(|u| u.resized != u.uploads) {
            anyhow::bail!(
                "{run}: {} of {} uploads were resized (see {})",
                u.resized,
                u.uploads,
                run_dir.join("functions").display()
            );
        }
        Ok(row)
    }

    /// The browser chapter for one config (`crate::browser`): page views in Chromium with the
    /// browser telemetry off, then on, against one shop; the joins read back from the backend's
    /// store, the added cost from the pass-throughs, LCP from the pages.
    async fn browser_run(
        &self,
        config: &TelemetryConfig,
        prices: &Prices,
        rum: &crate::browser::RumPrice,
    ) -> anyhow::Result<crate::browser::BrowserRow> {
        use crate::browser::{self, BrowserRow, Pass};
        let run = format!("{}-browser", config.id());
        let scripts = self.repo.join("scripts").join("lab");
        let web = self.repo.join("app").join("web");
        self.progress
            .set_message(format!("{run}: the UI's export and Chromium"));
        // Both idempotent: a current export and an installed Chromium are left as they are.
        let quiet = |script: &str, arg: &str| -> anyhow::Result<String> {
            let out = std::process::Command::new(scripts.join(script))
                .arg(arg)
                .output()
                .with_context(|| format!("running {script} {arg}"))?;
            if !out.status.success() {
                anyhow::bail!(
                    "{script} {arg} failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        };
        quiet("web.sh", "build")?;
        quiet("chromium.sh", "install")?;
        let chromium = quiet("chromium.sh", "path")?;
        let sessions = match self.plan.mode {
            Mode::Full => 20,
            Mode::Quick => 2,
        };
        let env: Vec<(String, String)> = [
            ("SHOP_WEB_DIR", web.join("out").display().to_string()),
            // Every page view comes from 127.0.0.1: the per-client limit is for the internet.
            ("SHOP_RUM_RATE_PER_MINUTE", "100000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let shop = self.start_shop(Point::Embedded, config, &run, &env).await?;
        let base = shop.url(Service::Catalog);
        // Awaited, not blocking: the pass-throughs the shop exports through run on this
        // runtime, and a session takes seconds.
        let drive = |telemetry: &'static str, n: usize| {
            let mut cmd = tokio::process::Command::new("node");
            cmd.current_dir(&web)
                .args(["--import", "tsx", "e2e/page-views.ts", &base])
                .arg(n.to_string())
                .arg(telemetry)
                .env("SHOP_LAB_CHROMIUM", &chromium);
            async move {
                let out = cmd
                    .output()
                    .await
                    .context("running node (the browser chapter needs Node ≥ 20.9)")?;
                if !out.status.success() {
                    anyhow::bail!(
                        "page-views.ts {telemetry} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                serde_json::from_slice::<Pass>(&out.stdout).context("page-views.ts's output")
            }
        };
        let result = async {
            // One session first, not counted: the shop's first requests (its caches, the
            // database's pages) would otherwise weigh on whichever pass came first.
            self.progress.set_message(format!("{run}: warming up"));
            drive("off", 1).await?;
            let mut passes = Vec::new();
            for telemetry in ["off", "on"] {
                self.progress
                    .set_message(format!("{run}: {sessions} sessions, telemetry {telemetry}"));
                shop.flush().await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
                self.sinks.reset();
                let pass = drive(telemetry, sessions).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
                shop.flush().await?;
                tokio::time::sleep(Duration::from_secs(2)).await;
                shop.flush().await?;
                let wire: Vec<WireCount> = self.sinks.all().iter().map(|t| t.count()).collect();
                passes.push((pass, wire));
            }
            let (on, wire_on) = passes.pop().expect("two passes");
            let (off, wire_off) = passes.pop().expect("two passes");
            self.progress.set_message(format!("{run}: reading back"));
            let fetches: Vec<&browser::Fetch> =
                on.sessions.iter().flat_map(|s| &s.fetches).collect();
            let with_header: Vec<&browser::Fetch> = fetches
                .iter()
                .copied()
                .filter(|f| f.context().is_some())
                .collect();
            let traces: Vec<String> = {
                let mut t: Vec<String> = with_header
                    .iter()
                    .filter_map(|f| f.context())
                    .map(|(trace, _)| trace)
                    .collect();
                t.sort();
                t.dedup();
                t
            };
            let spans = if config.backend() == "awssdk" {
                let ids: Vec<String> = traces
                    .iter()
                    .map(|t| crate::readback::xray_trace_id(t))
                    .collect();
                until_still(
                    Duration::from_secs(20),
                    Duration::from_millis(700),
                    || async { self.aws.traces(&ids).await },
                )
                .await?
            } else {
                // All the receiver holds, not only this run's resource blocks: the browser's
                // spans come under the `shop-web` resource the intake gives them.
                let capture = self.lab.capture_url();
                until_still(
                    Duration::from_secs(20),
                    Duration::from_millis(700),
                    || async {
                        let client = reqwest::Client::builder().no_proxy().build()?;
                        let raw: serde_json::Value = client
                            .get(format!("{capture}/captured/traces"))
                            .send()
                            .await?
                            .error_for_status()?
                            .json()
                            .await?;
                        Ok(Captured {
                            traces: raw,
                            metrics: serde_json::Value::Null,
                            logs: serde_json::Value::Null,
                        }
                        .spans()
                        .into_iter()
                        .filter(|s| {
                            traces.contains(&crate::readback::normalise_trace_id(&s.trace_id))
                        })
                        .collect())
                    },
                )
                .await?
            };
            let (joined, join_misses) = browser::score_joins(&with_header, &spans);
            let (intake, intake_refused) = browser::intake(&on);
            let views = |p: &Pass| p.sessions.iter().map(|s| s.page_views).sum::<u64>();
            let page_views = views(&on);
            let per_view = |n: usize, p: &Pass| n as f64 / views(p).max(1) as f64;
            let lcp = |p: &Pass| {
                p.sessions
                    .iter()
                    .filter_map(|s| s.lcp_ms)
                    .collect::<Vec<f64>>()
            };
            let mut row = BrowserRow {
                config: config.id().to_owned(),
                backend: config.backend().to_owned(),
                sessions: sessions as u64,
                page_views,
                fetches: fetches.len() as u64,
                fetches_with_header: with_header.len() as u64,
                joined,
                join_misses,
                intake,
                intake_refused,
                traces_per_view_on: per_view(browser::distinct_traces(&on), &on),
                traces_per_view_off: per_view(browser::distinct_traces(&off), &off),
                wire_on,
                wire_off,
                lcp_ms_on: lcp(&on),
                lcp_ms_off: lcp(&off),
                rum_events_per_view: browser::rum_events(&on) as f64 / page_views.max(1) as f64,
                rum_price_assumed: rum.assumed,
                ..BrowserRow::default()
            };
            let (items, total, rum_total) = browser::price(&row, prices, rum);
            row.cost = items;
            row.dollars_per_million_views = total;
            row.rum_dollars_per_million_views = rum_total;
            Ok(row)
        }
        .await;
        shop.stop(&self.lab).await;
        result
    }

    /// The Lambda functions' chapter (see [`crate::lambda`]): `image-resize` under cargo-lambda,
    /// fresh processes per backend, interleaved; the function is the system under test, so it
    /// runs on the shop's CPU when the harness pins.
    async fn lambda_run(&self) -> anyhow::Result<crate::lambda::LambdaResults> {
        let configs = self.plan.lambda_configs();
        if configs.is_empty() {
            return Ok(Default::default());
        }
        self.progress.set_message("lambda: installing cargo-lambda");
        let stage = crate::lambda::Stage {
            repo: self.repo,
            lab: &self.lab,
            runs_dir: &self.runs_dir,
            cargo_lambda: self.lab.cargo_lambda()?,
            configs: configs
                .into_iter()
                .map(|c| (c, self.bins.function(c.backend()).to_owned()))
                .collect(),
            repeats: self.plan.lambda_processes,
            warm: self.plan.lambda_warm,
            cpus: self.shop_cpus.as_deref(),
            progress: &self.progress,
            profile: self.plan.profile.to_owned(),
            separate_builds: self.plan.mode == Mode::Full,
        };
        crate::lambda::run(&stage).await
    }

    /// Head sampling at 5 % in the shop against tail sampling in the collector, when the plan
    /// has the otel build.
    async fn tail_comparison(&self) -> anyhow::Result<Vec<crate::tail::TailRow>> {
        if !self.plan.backends().iter().any(|b| b == "otel") {
            return Ok(Vec::new());
        }
        let all = crate::plan::all_configs();
        let by_id = |id: &str| all.iter().find(|c| c.id() == id).cloned();
        let (Some(head), Some(every)) = (by_id("otel-5"), by_id("otel-100")) else {
            return Ok(Vec::new());
        };
        let mut rows = vec![
            self.tail_run(&head, "head 5 % (in the shop)", false)
                .await?,
        ];
        self.progress.inc(1);
        rows.push(
            self.tail_run(
                &every,
                "tail: errors + ≥ 500 ms + 5 % (in the collector)",
                true,
            )
            .await?,
        );
        self.progress.inc(1);
        Ok(rows)
    }
}

/// Whether two spellings name one trace: X-Ray's `1-5f84c7a1-…` and the
/// read-back's, or the same hex.
fn same_trace(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.strip_prefix("1-")
            .unwrap_or(s)
            .replace('-', "")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// The context a config's fidelity-style runs send with each request: X-Ray's header for
/// awssdk, W3C `traceparent` for otel, sampled at the config's nominal rate.
fn propagation(config: &TelemetryConfig) -> Propagate {
    let share = config.info.sampling;
    match config.backend() {
        "awssdk" => Propagate::XRay { share },
        _ => Propagate::W3c { share },
    }
}

/// Reads `fetch` until what it returns has held the same length for two reads `every`
/// apart (or `within` has passed): a pipeline that batches has then sent on what it had.
async fn until_still<T, F, Fut>(
    within: Duration,
    every: Duration,
    fetch: F,
) -> anyhow::Result<Vec<T>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<T>>>,
{
    let deadline = Instant::now() + within;
    let mut got = fetch().await?;
    let mut still = 0;
    while still < 2 && Instant::now() < deadline {
        tokio::time::sleep(every).await;
        let now = fetch().await?;
        still = if now.len() == got.len() { still + 1 } else { 0 };
        got = now;
    }
    Ok(got)
}

/// The custom metrics EMF lines would create: one per metric name and
/// dimension values, for every dimension set a line declares.
fn emf_series(lines: &[String]) -> u64 {
    let mut seen = std::collections::BTreeSet::new();
    for d in lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        for directive in d["_aws"]["CloudWatchMetrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for set in directive["Dimensions"].as_array().into_iter().flatten() {
                let values: Vec<String> = set
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|k| k.as_str())
                    .map(|k| format!("{k}={}", d[k]))
                    .collect();
                for m in directive["Metrics"].as_array().into_iter().flatten() {
                    seen.insert(format!(
                        "{}|{}|{}",
                        directive["Namespace"],
                        m["Name"],
                        values.join(",")
                    ));
                }
            }
        }
    }
    seen.len() as u64
}

/// Metric answers computed from EMF lines (the metrics a CloudWatch would
/// extract from them; LocalStack does not extract them).
fn emf_answers(lines: &[String], queries: &[fidelity::MetricQuery]) -> Vec<fidelity::MetricAnswer> {
    let docs: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    queries
        .iter()
        .map(|q| {
            let service = format!("shop-{}", q.service);
            let mut count = 0.0;
            let mut sum = 0.0;
            for d in &docs {
                if d["service.name"] != service.as_str()
                    || !q
                        .attributes
                        .iter()
                        .all(|(k, v)| d[k.as_str()].as_str() == Some(v))
                {
                    continue;
                }
                match &d[q.name] {
                    serde_json::Value::Number(n) => {
                        let v = n.as_f64().unwrap_or(0.0);
                        count += v;
                        sum += v;
                    }
                    serde_json::Value::Array(a) => {
                        count += a.len() as f64;
                        sum += a.iter().filter_map(|v| v.as_f64()).sum::<f64>();
                    }
                    serde_json::Value::Object(o) => {
                        // StatisticSet / Values+Counts
                        if let Some(c) = o.get("Count").and_then(|v| v.as_f64()) {
                            count += c;
                            sum += o.get("Sum").and_then(|v| v.as_f64()).unwrap_or(0.0);
                        } else if let (Some(vs), Some(cs)) = (
                            o.get("Values").and_then(|v| v.as_array()),
                            o.get("Counts").and_then(|v| v.as_array()),
                        ) {
                            for (v, c) in vs.iter().zip(cs) {
                                let (v, c) = (v.as_f64().unwrap_or(0.0), c.as_f64().unwrap_or(0.0));
                                count += c;
                                sum += v * c;
                            }
                        }
                    }
                    _ => {}
                }
            }
            if q.histogram {
                (count, sum)
            } else {
                (sum, 0.0)
            }
        })
        .collect()
}

fn spread(values: &[f64]) -> Spread {
    if values.is_empty() {
        return Spread::default();
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Spread {
        median,
        min: v[0],
        max: v[n - 1],
    }
}

fn role_sum(run: &LoadRun, role: ProcessRole, f: impl Fn(&ProcessUsage) -> f64) -> f64 {
    run.processes.iter().filter(|p| p.role == role).map(f).sum()
}

/// Medians and spread of each (config, shape), against `noop`.
pub fn summarise(runs: &[LoadRun]) -> Vec<OverheadSummary> {
    let mut keys: Vec<(String, String, Shape)> = Vec::new();
    for r in runs {
        if !keys
            .iter()
            .any(|(p, c, s)| *p == r.point && *c == r.config && *s == r.shape)
        {
            keys.push((r.point.clone(), r.config.clone(), r.shape.clone()));
        }
    }
    let mut out: Vec<OverheadSummary> = Vec::new();
    for (point, config, shape) in &keys {
        let rs: Vec<&LoadRun> = runs
            .iter()
            .filter(|r| &r.point == point && &r.config == config && &r.shape == shape)
            .collect();
        let col =
            |f: &dyn Fn(&LoadRun) -> f64| spread(&rs.iter().map(|r| f(r)).collect::<Vec<_>>());
        let per_1k = |r: &LoadRun, role| {
            role_sum(r, role, |p| p.cpu_s) / (r.requests.max(1) as f64 / 1000.0)
        };
        let p99 = col(&|r| r.latency.p99_us);
        let median_run = rs
            .iter()
            .min_by(|a, b| {
                (a.latency.p99_us - p99.median)
                    .abs()
                    .total_cmp(&(b.latency.p99_us - p99.median).abs())
            })
            .expect("at least one run");
        let (busiest_sink, busiest_sink_cores) = rs
            .iter()
            // The AWS stand-ins and the capture receiver; the database is part of the system under test.
            .flat_map(|r| {
                r.processes
                    .iter()
                    .filter(|p| p.role == ProcessRole::Sink && p.name != "mariadb")
            })
            .map(|p| (p.name.clone(), p.busy_cores))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or_default();
        out.push(OverheadSummary {
            point: point.clone(),
            config: config.clone(),
            shape: shape.clone(),
            repeats: rs.len(),
            throughput_rps: col(&|r| r.throughput_rps),
            throughput_vs_noop: 0.0,
            p50_us: col(&|r| r.latency.p50_us),
            p90_us: col(&|r| r.latency.p90_us),
            p99_us: p99,
            p999_us: col(&|r| r.latency.p999_us),
            added_p99_us: 0.0,
            shop_cpu_s_per_1k: col(&|r| per_1k(r, ProcessRole::Shop)),
            pipeline_cpu_s_per_1k: col(&|r| per_1k(r, ProcessRole::Pipeline)),
            sink_cpu_s_per_1k: col(&|r| per_1k(r, ProcessRole::Sink)),
            shop_peak_rss_mib: col(&|r| {
                role_sum(r, ProcessRole::Shop, |p| p.peak_rss_kib as f64) / 1024.0
            }),
            pipeline_peak_rss_mib: col(&|r| {
                role_sum(r, ProcessRole::Pipeline, |p| p.peak_rss_kib as f64) / 1024.0
            }),
            busiest_sink,
            busiest_sink_cores,
            cdf: median_run.latency.cdf.clone(),
            throughput_ratio: None,
            added_p99: None,
            shop_cpu_us_added: None,
            pipeline_cpu_us: (config != "noop").then(|| {
                stats::estimate(&col_values(&rs, |r| {
                    cpu_us_per_request(r, ProcessRole::Pipeline)
                }))
            }),
        });
    }
    let baseline: Vec<(String, Shape, f64, f64)> = out
        .iter()
        .filter(|s| s.config == "noop")
        .map(|s| {
            (
                s.point.clone(),
                s.shape.clone(),
                s.throughput_rps.median,
                s.p99_us.median,
            )
        })
        .collect();
    for s in &mut out {
        if let Some((_, _, tp, p99)) = baseline
            .iter()
            .find(|(pt, sh, _, _)| *pt == s.point && *sh == s.shape)
        {
            s.throughput_vs_noop = s.throughput_rps.median / tp.max(1e-9);
            s.added_p99_us = s.p99_us.median - p99;
        }
        // Paired per repeat: config's repeat i against noop's repeat i of the
        // same shape at the same operating point.
        let per_repeat = |config: &str, f: &dyn Fn(&LoadRun) -> f64| -> Vec<(usize, f64)> {
            runs.iter()
                .filter(|r| r.point == s.point && r.config == config && r.shape == s.shape)
                .map(|r| (r.repeat, f(r)))
                .collect()
        };
        let noop_tp = per_repeat("noop", &|r| r.throughput_rps);
        if !noop_tp.is_empty() {
            let tp = per_repeat(&s.config, &|r| r.throughput_rps);
            s.throughput_ratio = Some(stats::estimate(&stats::ratios(&tp, &noop_tp)));
            let p99 = |r: &LoadRun| r.latency.p99_us;
            s.added_p99 = Some(stats::estimate(&stats::differences(
                &per_repeat(&s.config, &p99),
                &per_repeat("noop", &p99),
            )));
            s.shop_cpu_us_added = Some(stats::estimate(&stats::differences(
                &per_repeat(&s.config, &shop_cpu_us),
                &per_repeat("noop", &shop_cpu_us),
            )));
        }
    }
    out
}

/// Whether a request's answer was not the scenario's. Embedded, the poisoned
/// add-to-cart has no pass-through to fail it (one process, no call to
/// inventory), so it answers like any other add; that is not a fault.
fn is_unexpected(point: Point, e: &load::Entry) -> bool {
    match (point, &e.step) {
        (Point::Embedded, scenario::Step::AddPoison) => !(200..500).contains(&e.status),
        _ => e.unexpected(),
    }
}

/// The pinning table: each process → the CPUs it could run on, as read back
/// in the runs (several masks, when they differed between runs, joined by " / ").
pub fn pinning_read_back(runs: &[LoadRun]) -> BTreeMap<String, String> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in runs.iter().flat_map(|r| &r.processes) {
        if p.cpus.is_empty() {
            continue;
        }
        let masks = seen.entry(p.name.clone()).or_default();
        if !masks.contains(&p.cpus) {
            masks.push(p.cpus.clone());
        }
    }
    seen.into_iter()
        .map(|(name, masks)| {
            let label = masks
                .iter()
                .map(|m| {
                    if m.contains([',', '-']) {
                        format!("CPUs {m}")
                    } else {
                        format!("CPU {m}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" / ");
            (name, label)
        })
        .collect()
}

/// CPU of `role`'s processes per request in one run, µs (over every request
/// of the run, warm-up included, like the CPU window).
fn cpu_us_per_request(r: &LoadRun, role: ProcessRole) -> f64 {
    role_sum(r, role, |p| p.cpu_s) * 1e6 / r.requests.max(1) as f64
}

fn shop_cpu_us(r: &LoadRun) -> f64 {
    cpu_us_per_request(r, ProcessRole::Shop)
}

fn col_values(rs: &[&LoadRun], f: impl Fn(&LoadRun) -> f64) -> Vec<f64> {
    rs.iter().map(|r| f(r)).collect()
}

/// Runs the whole plan.
pub async fn run(repo: &Path, plan: &Plan, pin: bool, resume: bool) -> anyhow::Result<Results> {
    let began = Instant::now();
    let runs_dir = repo.join("target").join("experiments").join("runs");
    let mode = match plan.mode {
        Mode::Full => "full",
        Mode::Quick => "quick",
    };
    let commit = command_output("git", &["describe", "--always", "--dirty"], repo);
    let journal = Journal::open(
        &runs_dir,
        &journal::Header {
            commit: commit.clone(),
            mode: mode.to_owned(),
            seed: plan.seed,
            configs: plan.configs.iter().map(|c| c.id().to_owned()).collect(),
            points: plan.points.iter().map(|p| p.name().to_owned()).collect(),
            repeats: plan.repeats,
        },
        resume,
    )?;
    if !journal.is_empty() {
        eprintln!(
            "resuming: {} overhead runs read back from {}",
            journal.len(),
            journal::path(&runs_dir, mode).display()
        );
    }
    let bins = builds::build(
        repo,
        plan.profile,
        &plan.backends(),
        plan.mode == Mode::Full,
    )?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (shop_cpus, rest_cpus) = if pin && cores >= 2 {
        (Some("1".to_owned()), Some("0".to_owned()))
    } else {
        (None, None)
    };
    if let Some(c) = &rest_cpus {
        procstat::pin(std::process::id(), c);
    }
    let ticks = procstat::clock_ticks();
    eprintln!(
        "starting the lab (MariaDB, LocalStack, moto, the OTel collector with its X-Ray leg, capture receiver)"
    );
    let pinning = shop_cpus.as_deref().zip(rest_cpus.as_deref());
    let mut lab = Lab::start(repo, &bins.capture, pinning)?;
    let sinks = Sinks::start(&lab).await?;
    lab.route_xray_leg(&sinks.xray.url())?;
    let aws = Aws::new(&lab.moto_url(), &lab.localstack_url()).await;
    let prices = Prices::load(&repo.join("experiments").join("prices.toml"))?;
    let overhead: Vec<&TelemetryConfig> = plan.configs.iter().filter(|c| c.overhead).collect();
    let telemetry: Vec<&TelemetryConfig> = plan
        .configs
        .iter()
        .filter(|c| c.backend() != "noop")
        .collect();
    let outage: Vec<&TelemetryConfig> = telemetry
        .iter()
        .copied()
        .filter(|c| c.outage_run())
        .collect();
    // Outage configs also get a saturation run.
    // The tail-sampling comparison: head and tail, with the otel build.
    let tail_runs = if plan.backends().iter().any(|b| b == "otel") {
        2
    } else {
        0
    };
    let async_runs = telemetry.iter().filter(|c| c.info.sampling >= 1.0).count();
    let total = (plan.overhead_runs()
        + telemetry.len()
        + 2 * outage.len()
        + tail_runs
        + async_runs
        + plan.lambda_runs()
        + browser_configs(&telemetry).len()) as u64;
    eprintln!(
        "{} overhead runs at {} operating point(s), {} fidelity, outage and saturation runs: about {:.0} min of measuring",
        plan.overhead_runs(),
        plan.points.len(),
        telemetry.len() + 2 * outage.len(),
        plan.estimate_secs() / 60.0
    );
    let progress = ProgressBar::new(total);
    progress.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    progress.enable_steady_tick(Duration::from_millis(200));
    let ctx = Ctx {
        repo,
        plan,
        bins,
        lab,
        sinks,
        aws,
        shop_cpus,
        ticks,
        progress,
        runs_dir,
        journal,
    };
    let result = run_all(&ctx, &overhead, &telemetry, &outage, &prices).await;
    ctx.progress.finish_and_clear();
    let Ctx { lab, .. } = ctx;
    let versions_lab = lab.versions();
    lab.stop();
    let (runs, fidelity, cost, saturation, tail, async_hops, lambda, browser) = result?;

    let (mix, c4, c5) = scenario::mix(plan.seed, 20_000);
    let rates: Vec<f64> = {
        let mut r: Vec<f64> = runs
            .iter()
            .filter_map(|r| match r.shape {
                Shape::Open { rate } => Some(rate),
                _ => None,
            })
            .collect();
        r.sort_by(f64::total_cmp);
        r.dedup();
        r
    };
    let mut versions = versions_lab;
    versions.insert("shop".into(), env!("CARGO_PKG_VERSION").into());
    let profile = plan.profile.to_owned();
    // What the kernel reported for each process, not what was asked: the
    // table once said the database was on CPU 0 while it ran on the shop's.
    let pinning = pinning_read_back(&runs);
    Ok(Results {
        meta: Meta {
            generated_at: now_rfc3339(),
            mode: mode.into(),
            seed: plan.seed,
            duration_s: began.elapsed().as_secs_f64(),
            machine: machine(),
            versions,
            plan: crate::results::Plan {
                configs: plan.configs.iter().map(|c| c.info.clone()).collect(),
                open_rates: rates,
                open_duration_s: plan.open_secs,
                closed_concurrency: plan.closed_concurrency,
                closed_duration_s: plan.closed_secs,
                warmup_s: plan.warmup_secs,
                repeats: plan.repeats,
                fidelity_rate: plan.fidelity_rate,
                fidelity_duration_s: plan.fidelity_secs,
                outage_s: plan.outage_secs,
                arrivals: plan.arrivals.name().to_owned(),
                mix,
                session_mix: scenario::session_mix(plan.seed, 20_000),
                customers: scenario::CUSTOMERS,
                expected_4xx_share: c4,
                expected_5xx_share: c5,
                pinning,
                points: plan.points.iter().map(|p| p.name().to_owned()).collect(),
            },
            commands: vec![format!(
                "cargo run{} -p shop-experiments -- run --mode {mode} --seed {}",
                if plan.mode == Mode::Full {
                    " --release"
                } else {
                    ""
                },
                plan.seed
            )],
            profile,
            commit,
        },
        overhead: summarise(&runs),
        runs,
        fidelity,
        cost,
        saturation,
        tail,
        async_hops,
        lambda,
        browser,
    })
}

type Collected = (
    Vec<LoadRun>,
    Vec<Fidelity>,
    Vec<Cost>,
    Vec<SaturationFidelity>,
    Vec<crate::tail::TailRow>,
    Vec<crate::async_hops::AsyncRow>,
    crate::lambda::LambdaResults,
    Vec<crate::browser::BrowserRow>,
);

/// The configs of the browser chapter: each backend's default at 100 % sampling (`awssdk-100`,
/// `otel-100`), not its batch-size or protocol variants.
fn browser_configs<'a>(telemetry: &[&'a TelemetryConfig]) -> Vec<&'a TelemetryConfig> {
    telemetry
        .iter()
        .copied()
        .filter(|c| c.id() == format!("{}-100", c.backend()))
        .collect()
}

async fn run_all(
    ctx: &Ctx<'_>,
    overhead: &[&TelemetryConfig],
    telemetry: &[&TelemetryConfig],
    outage: &[&TelemetryConfig],
    prices: &Prices,
) -> anyhow::Result<Collected> {
    let plan = ctx.plan;
    let mut runs = Vec::new();
    // Interleave: each repeat visits the configs in a rotated order, so no
    // build always runs first (or last) in a warming or cooling machine.
    let rotated = |repeat: usize| -> Vec<&TelemetryConfig> {
        let n = overhead.len();
        (0..n).map(|i| overhead[(i + repeat) % n]).collect()
    };
    let closed = Shape::Closed {
        concurrency: plan.closed_concurrency,
    };
    for &point in &plan.points {
        for repeat in 0..plan.repeats {
            for config in rotated(repeat) {
                runs.push(
                    ctx.overhead_run(point, config, closed.clone(), repeat)
                        .await?,
                );
                ctx.progress.inc(1);
            }
        }
        // Each point's open-loop rates are shares of its own noop saturation.
        let noop_saturation = spread(
            &runs
                .iter()
                .filter(|r| r.point == point.name() && r.config == "noop")
                .map(|r| r.throughput_rps)
                .collect::<Vec<_>>(),
        )
        .median;
        for share in &plan.open_shares {
            // Round to 10 requests/s so that the rate reads well in the report.
            let rate = ((noop_saturation * share / 10.0).round() * 10.0).max(10.0);
            for repeat in 0..plan.repeats {
                for config in rotated(repeat).into_iter().filter(|c| !c.sweep()) {
                    runs.push(
                        ctx.overhead_run(point, config, Shape::Open { rate }, repeat)
                            .await?,
                    );
                    ctx.progress.inc(1);
                }
            }
        }
    }
    let mut fidelity = Vec::new();
    let mut measured = Vec::new();
    for config in telemetry {
        let (f, m) = ctx.fidelity_run(config, false).await?;
        fidelity.push(f);
        measured.push(m);
        ctx.progress.inc(1);
    }
    for config in outage {
        let (f, _) = ctx.fidelity_run(config, true).await?;
        fidelity.push(f);
        ctx.progress.inc(1);
    }
    // Fidelity at saturation, for the configs that have an outage run (one per backend).
    let mut saturation = Vec::new();
    for config in outage {
        saturation.push(ctx.saturation_run(config).await?);
        ctx.progress.inc(1);
    }
    // Each config's cost from its own run: nothing is borrowed from another build.
    let mut costs: Vec<Cost> = measured.iter().map(|m| cost::cost(m, prices)).collect();
    costs.extend(
        measured
            .iter()
            .filter(|m| m.backend == "otel" && m.counted_otlp_bytes())
            .map(|m| cost::cost_via_otlp_endpoints(m, prices)),
    );
    let tail = ctx.tail_comparison().await?;
    let messaging = crate::async_hops::MessagingPrices::load(
        &ctx.repo.join("experiments").join("prices.toml"),
    )?;
    let mut async_rows = Vec::new();
    for config in telemetry.iter().filter(|c| c.info.sampling >= 1.0) {
        async_rows.push(ctx.async_run(config, &messaging).await?);
        ctx.progress.inc(1);
    }
    let lambda = ctx.lambda_run().await?;
    let rum = crate::browser::RumPrice::load(&ctx.repo.join("experiments").join("prices.toml"))?;
    let mut browser = Vec::new();
    for config in browser_configs(telemetry) {
        browser.push(ctx.browser_run(config, prices, &rum).await?);
        ctx.progress.inc(1);
    }
    Ok((
        runs, fidelity, costs, saturation, tail, async_rows, lambda, browser,
    ))
}

#[cfg(test)]
mod failed_start_tests {
    use super::keep_failed_start_logs;

    #[test]
    fn a_failed_starts_logs_are_kept_under_another_name() {
        let dir = std::env::temp_dir().join(format!("shop-exp-keep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("shop-inventory.log"), "migration failed").unwrap();
        std::fs::write(dir.join("load.jsonl"), "{}").unwrap();
        let kept = keep_failed_start_logs(&dir);
        assert!(kept.ends_with("shop-inventory.failed-start.log"), "{kept}");
        assert_eq!(
            std::fs::read_to_string(dir.join("shop-inventory.failed-start.log")).unwrap(),
            "migration failed"
        );
        assert!(!dir.join("shop-inventory.log").exists() && dir.join("load.jsonl").exists());
        assert_eq!(
            keep_failed_start_logs(&dir),
            "none",
            "a kept log is not renamed twice"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_lines_make_one_series_per_name_and_dimension_values() {
        let line = |route: &str| {
            serde_json::json!({
                "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{
                    "Namespace": "ShopLab",
                    "Dimensions": [["service.name", "http.route"]],
                    "Metrics": [{"Name": "http.server.requests"}, {"Name": "http.server.request.duration"}]
                }]},
                "service.name": "shop-catalog",
                "http.route": route,
                "http.server.requests": 3,
                "http.server.request.duration": [0.001, 0.002, 0.003]
            })
            .to_string()
        };
        let lines = vec![line("/a"), line("/b"), line("/a"), "not json".to_owned()];
        assert_eq!(emf_series(&lines), 4);
        let q = fidelity::MetricQuery {
            name: "http.server.request.duration",
            service: "catalog".into(),
            attributes: vec![("http.route".into(), "/a".into())],
            histogram: true,
        };
        let (count, sum) = emf_answers(&lines, &[q])[0];
        assert_eq!(count, 6.0);
        assert!((sum - 0.012).abs() < 1e-12);
    }

    #[test]
    fn n_a_checks_pass_the_verdict_but_a_run_that_checked_nothing_fails() {
        let check = |passed, total| Check {
            signal: "traces".into(),
            name: "unsampled traces absent".into(),
            passed,
            total,
            failures: vec![],
            gap: None,
        };
        let results = |checks: Vec<Check>| Results {
            fidelity: vec![Fidelity {
                config: "otel-100".into(),
                load: "nominal".into(),
                requests: 10,
                traces_expected: 10,
                traces_arrived: 10,
                checks,
                loss: BTreeMap::new(),
                picture: None,
                into_xray: Vec::new(),
            }],
            ..Default::default()
        };
        assert!(verdict(&results(vec![check(10, 10), check(0, 0)])));
        assert!(!verdict(&results(vec![check(9, 10), check(0, 0)])));
        assert!(!verdict(&results(vec![check(0, 0), check(0, 0)])));
    }

    #[test]
    fn spread_is_median_min_max() {
        let s = spread(&[3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
    }
}
