//! `make profile`: where each build's CPU goes on the shop's core (#13).
//!
//! The overhead runs say *how much* CPU a backend adds per request; this says *where*. Each build
//! (`noop`, `awssdk-100`, `otel-100`) is started at the embedded operating point (one process on
//! SQLite, pinned to the shop's CPU, as the overhead runs start it) and driven at saturation
//! (closed loop, the same seeded mix). During the measured window `perf record` samples the shop
//! process with DWARF call stacks; every sample is then put in one bucket ([`classify`]) by its
//! thread and the frames on its stack, and the bucket's share of the samples, times the CPU the
//! process used per request in the same window, is its cost in µs per request.
//!
//! A sample is a statistical estimate: a bucket of a few hundred samples is good to a few per cent
//! of itself, a bucket of ten is a hint. The figures of one run are comparable with each other
//! (same window, same requests); between runs, compare the shares and the buckets that moved.
//!
//! Every run is kept as `report/profiles/<label>.json`, and `report/profile.md` shows them all in
//! the order they were made, so a change's "before" and "after" stay side by side in REPORT.md.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::builds;
use crate::lab::Lab;
use crate::load::{self, Arrivals, Propagate};
use crate::plan::{Point, all_configs};
use crate::procstat;
use crate::results::Shape;
use crate::shop::{Shop, Sinks};

/// The configs profiled: the baseline and each backend at 100 % sampling (the overhead target).
pub const CONFIGS: [&str; 3] = ["noop", "awssdk-100", "otel-100"];

/// Samples per second per thread. An odd rate, so that sampling does not fall into step with a
/// timer of the shop's.
const FREQUENCY: u32 = 499;

/// Bytes of stack copied per sample for DWARF unwinding: deep enough for a request's stack
/// (tokio → hyper → axum → the handler → sqlx → SQLite), small enough to keep `perf.data` near
/// 150 MB for a 20 s window.
const STACK_BYTES: u32 = 16_384;

/// How long a run lasts.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub warmup: Duration,
    pub window: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            warmup: Duration::from_secs(5),
            window: Duration::from_secs(20),
        }
    }
}

/// One bucket of one profile.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Bucket {
    pub name: String,
    pub samples: u64,
    /// µs of the shop's CPU per request.
    pub us_per_request: f64,
}

/// One build's profile.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BuildProfile {
    pub config: String,
    pub requests: u64,
    pub throughput_rps: f64,
    /// The shop process's CPU (every thread) per request in the sampled window, µs.
    pub cpu_us_per_request: f64,
    /// The shop process's CPU over the window, in cores (about 1.0 when the shop's one CPU was
    /// saturated; less means the load generator or a lock held it back).
    pub busy_cores: f64,
    pub samples: u64,
    pub buckets: Vec<Bucket>,
    /// The telemetry functions that the most samples were in (the frame nearest the leaf that
    /// belongs to a telemetry crate), with their sample counts.
    pub top_telemetry: Vec<(String, u64)>,
    /// Samples per thread name.
    pub threads: BTreeMap<String, u64>,
}

/// One `make profile` run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProfileRun {
    pub label: String,
    pub commit: String,
    pub generated_at: String,
    pub window_s: f64,
    pub builds: Vec<BuildProfile>,
}

/// The buckets in the order the tables show them.
pub const BUCKETS: [&str; 10] = [
    "tracing: dispatch, registry, span state and fields",
    "span records: build, convert, queue",
    "log records",
    "metric instruments",
    "sampling, ids, propagation",
    "other telemetry on request threads",
    "export threads (batch, encode, send)",
    "database (sqlx, SQLite)",
    "kernel (network, scheduling)",
    "the shop and its HTTP stack",
];

/// Crates whose frames are telemetry (the contract, the backends, the SDKs under them, and
/// `tracing` itself).
const TELEMETRY_CRATES: [&str; 12] = [
    "telemetry_api",
    "telemetry_awssdk",
    "telemetry_otel",
    "opentelemetry",
    "opentelemetry_sdk",
    "opentelemetry_otlp",
    "opentelemetry_aws",
    "opentelemetry_proto",
    "tracing_subscriber",
    "tracing_core",
    "tracing",
    "tracing_log",
];

/// The crate path a frame's symbol names: `<telemetry_api::layer::TelemetryLayer as …>::on_close`
/// → `telemetry_api::layer::TelemetryLayer`; `core::ptr::drop_in_place::<telemetry_api::…>` is
/// read through to what is dropped.
fn frame_path(symbol: &str) -> &str {
    let s = symbol.trim_start_matches('<');
    let s = s
        .strip_prefix("core::ptr::drop_in_place::<")
        .map(|r| r.trim_start_matches('<'))
        .unwrap_or(s);
    let end = s.find([' ', '<', '>', '(']).unwrap_or(s.len());
    &s[..end]
}

fn is_telemetry(path: &str) -> bool {
    let krate = path.split("::").next().unwrap_or("");
    TELEMETRY_CRATES.contains(&krate) && !is_wrapper(path)
}

/// `tracing`'s future wrappers (`Instrumented`, `WithDispatch`): the future they wrap is usually
/// inlined into their `poll`, so a sample "in" one of them is mostly the wrapped request's own
/// code. Their real cost (entering and leaving the span) is in the calls they make, which are
/// frames of their own.
fn is_wrapper(path: &str) -> bool {
    path.starts_with("tracing::instrument::")
}

/// Crates whose frames are the shop's work, not telemetry's: a walk from the leaf that meets one
/// before any telemetry frame stops there.
const APP_CRATES: [&str; 10] = [
    "shop",
    "shop_core",
    "axum",
    "hyper",
    "hyper_util",
    "tower",
    "tower_http",
    "sqlx",
    "sqlx_core",
    "reqwest",
];

fn is_app(path: &str) -> bool {
    let krate = path.split("::").next().unwrap_or("");
    is_wrapper(path) || APP_CRATES.contains(&krate) || krate.starts_with("sqlx_")
}

/// Which bucket a sample is in, from its thread's name and its frames (leaf first).
///
/// The stack is walked from the leaf: frames of general-purpose code (the standard library,
/// the allocator, `serde`, `tokio`'s primitives, the kernel…) are passed over; the first frame
/// of a telemetry crate puts the sample in that telemetry bucket, the first frame of the shop's
/// own code (its crates, axum, hyper, sqlx) ends the walk: the sample is the shop's.
pub fn classify(thread: &str, frames: &[&str]) -> &'static str {
    // The backends' own threads: the awssdk and otel export runtimes (`telemetry-…`) and the
    // OpenTelemetry SDK's batch processors and periodic reader (`OpenTelemetry.…`, cut to 15
    // characters by the kernel).
    if thread.starts_with("telemetry-") || thread.starts_with("OpenTelemetry") {
        return BUCKETS[6];
    }
    for frame in frames {
        let path = frame_path(frame);
        if is_app(path) {
            break;
        }
        if !is_telemetry(path) {
            continue;
        }
        let has = |needle: &str| frame.contains(needle);
        return if has("::logs") || has("opentelemetry_appender") || has("::on_event") {
            BUCKETS[2]
        } else if has("::metrics") {
            BUCKETS[3]
        } else if has("::sampling") || has("::propagation") || has("::ids") || has("IdGenerator") {
            BUCKETS[4]
        } else if has("::traces")
            || has("opentelemetry_sdk::trace")
            || has("::export")
            || has("::segment")
            || has("telemetry_api::record")
            || has("::on_close")
        {
            BUCKETS[1]
        } else if path.starts_with("tracing") || path.starts_with("telemetry_api") {
            BUCKETS[0]
        } else {
            BUCKETS[5]
        };
    }
    if thread.starts_with("sqlx-sqlite")
        || frames
            .iter()
            .any(|f| f.contains("sqlx") || f.starts_with("sqlite3"))
    {
        return BUCKETS[7];
    }
    if frames.first().is_some_and(|f| f.starts_with("[k]")) {
        return BUCKETS[8];
    }
    BUCKETS[9]
}

/// One sample of `perf script`'s output: the thread's name and its frames, leaf first. Kernel
/// frames are marked `[k]`.
#[derive(Debug, Default, PartialEq)]
pub struct Sample {
    pub thread: String,
    pub frames: Vec<String>,
}

/// Parses `perf script -F comm,tid,ip,sym,dso` (a header line per sample, then one indented line
/// per frame: address, symbol, `(dso)`; samples separated by blank lines).
pub fn parse_script(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut current: Option<Sample> = None;
    for line in text.lines() {
        if line.trim().is_empty() {
            if let Some(s) = current.take() {
                out.push(s);
            }
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let Some(s) = current.as_mut() else { continue };
            let rest = line.trim_start();
            // "addr symbol (dso)": the symbol is between the first space and the last " (".
            let Some((_, after_addr)) = rest.split_once(' ') else {
                continue;
            };
            let (symbol, dso) = match after_addr.rfind(" (") {
                Some(i) => (&after_addr[..i], &after_addr[i + 2..]),
                None => (after_addr, ""),
            };
            if symbol == "[unknown]" && dso.starts_with("[unknown]") {
                continue;
            }
            let kernel = dso.starts_with("[kernel");
            s.frames.push(if kernel {
                format!("[k]{symbol}")
            } else {
                symbol.to_owned()
            });
        } else {
            if let Some(s) = current.take() {
                out.push(s);
            }
            // "comm tid": the name may contain spaces; the tid is the last word.
            let name = line
                .trim_end()
                .rsplit_once(char::is_whitespace)
                .map_or(line, |(n, _)| n)
                .trim()
                .to_owned();
            current = Some(Sample {
                thread: name,
                frames: Vec::new(),
            });
        }
    }
    out.extend(current);
    out
}

/// Buckets, top telemetry functions and threads of `samples`, with `cpu_us_per_request` spread
/// over the buckets by their share.
pub fn summarise(
    config: &str,
    samples: &[Sample],
    requests: u64,
    throughput_rps: f64,
    cpu_us_per_request: f64,
) -> BuildProfile {
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut top: BTreeMap<String, u64> = BTreeMap::new();
    let mut threads: BTreeMap<String, u64> = BTreeMap::new();
    for s in samples {
        let frames: Vec<&str> = s.frames.iter().map(String::as_str).collect();
        *counts.entry(classify(&s.thread, &frames)).or_default() += 1;
        *threads.entry(s.thread.clone()).or_default() += 1;
        if s.thread.starts_with("telemetry-") || s.thread.starts_with("OpenTelemetry") {
            // The export threads' own work: the frame nearest the leaf in a crate of ours or an
            // SDK's (what is being encoded or sent), or the leaf.
            if let Some(f) = frames
                .iter()
                .find(|f| is_telemetry(frame_path(f)))
                .or(frames.first())
            {
                *top.entry(format!("[export] {}", shorten(f))).or_default() += 1;
            }
        } else if let Some(f) = frames
            .iter()
            .map(|f| (f, frame_path(f)))
            .take_while(|(_, p)| !is_app(p))
            .find(|(_, p)| is_telemetry(p))
            .map(|(f, _)| f)
        {
            *top.entry(shorten(f)).or_default() += 1;
        }
    }
    let total = samples.len() as u64;
    let buckets = BUCKETS
        .iter()
        .map(|name| {
            let n = counts.get(name).copied().unwrap_or(0);
            Bucket {
                name: (*name).to_owned(),
                samples: n,
                us_per_request: if total == 0 {
                    0.0
                } else {
                    cpu_us_per_request * n as f64 / total as f64
                },
            }
        })
        .collect();
    let mut top: Vec<(String, u64)> = top.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    top.truncate(20);
    BuildProfile {
        config: config.to_owned(),
        requests,
        throughput_rps,
        cpu_us_per_request,
        busy_cores: 0.0,
        samples: total,
        buckets,
        top_telemetry: top,
        threads,
    }
}

/// A symbol without its generic arguments' paths, short enough for a table cell.
fn shorten(symbol: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in symbol.chars() {
        match c {
            '<' => {
                depth += 1;
                if depth > 1 {
                    continue;
                }
            }
            '>' => {
                depth = depth.saturating_sub(1);
                if depth > 0 {
                    continue;
                }
            }
            _ if depth > 1 => continue,
            _ => {}
        }
        out.push(c);
    }
    out.replace("<>", "").replace('|', "\\|")
}

/// `perf`, installed by `scripts/lab/perf.sh` when missing.
fn perf(repo: &Path) -> anyhow::Result<PathBuf> {
    let out = Command::new(repo.join("scripts/lab/perf.sh"))
        .arg("path")
        .stderr(Stdio::inherit())
        .output()
        .context("running scripts/lab/perf.sh path")?;
    anyhow::ensure!(
        out.status.success(),
        "perf is not installed: run scripts/lab/perf.sh install"
    );
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Profiles one build: start, set up, drive at saturation, sample the measured window.
async fn profile_one(
    perf: &Path,
    bin: &Path,
    config: &crate::plan::TelemetryConfig,
    lab: &Lab,
    sinks: &Sinks,
    dir: &Path,
    timing: Timing,
) -> anyhow::Result<BuildProfile> {
    let run = format!("profile-{}", config.id());
    let run_dir = dir.join(&run);
    std::fs::create_dir_all(&run_dir)?;
    sinks.reset();
    lab.reset_moto().await?;
    let shop = Shop::start(
        Point::Embedded,
        bin,
        config,
        lab,
        sinks,
        &run,
        &run_dir,
        Some("1"),
        &[],
    )
    .await
    .with_context(|| format!("starting the shop for {run}"))?;
    let pid = shop.pids()[0].1;
    let setup = load::setup(&shop, &run, 42, Propagate::None).await;
    let _ = shop.flush().await;
    let ticks = procstat::clock_ticks();
    let data = run_dir.join("perf.data");
    // The sampler starts when the warm-up ends and stops with the window.
    let sampler = {
        let perf = perf.to_owned();
        let data = data.clone();
        tokio::spawn(async move {
            tokio::time::sleep(timing.warmup).await;
            let before = procstat::sample(pid, ticks);
            let status = tokio::process::Command::new(&perf)
                .args(["record", "-q", "-F", &FREQUENCY.to_string(), "--call-graph"])
                .arg(format!("dwarf,{STACK_BYTES}"))
                .args(["-p", &pid.to_string(), "-o"])
                .arg(&data)
                .args(["--", "sleep", &timing.window.as_secs_f64().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            let after = procstat::sample(pid, ticks);
            (status, before.zip(after).map(|(b, a)| a.cpu_s - b.cpu_s))
        })
    };
    let outcome = load::drive(
        &shop,
        &run,
        42,
        &Shape::Closed { concurrency: 16 },
        timing.warmup,
        timing.window,
        Propagate::None,
        Arrivals::Fixed,
        setup,
        &|_| {},
    )
    .await;
    let (status, cpu_s) = sampler.await?;
    let _ = shop.flush().await;
    shop.stop(lab).await;
    anyhow::ensure!(
        status.as_ref().is_ok_and(|s| s.success()),
        "perf record failed for {run}: {status:?}"
    );
    let cpu_s = cpu_s.context("the shop's CPU could not be read around the window")?;
    let requests = outcome.ledger.entries.iter().filter(|e| e.measured).count() as u64;
    anyhow::ensure!(requests > 0, "{run}: no request in the measured window");
    // `--no-inline`: resolving inlined frames runs addr2line over the binary's debug info for
    // every address, minutes per run; the symbols of the real frames are enough for the buckets.
    eprintln!("{run}: reading the samples back (perf script)");
    let script = Command::new(perf)
        .args(["script", "--no-inline", "-F", "comm,tid,ip,sym,dso", "-i"])
        .arg(&data)
        .stderr(Stdio::null())
        .output()
        .context("perf script")?;
    let samples = parse_script(&String::from_utf8_lossy(&script.stdout));
    // perf.data stays (about 150 MB, replaced by the next run) for `perf report -i` by hand.
    let mut profile = summarise(
        config.id(),
        &samples,
        requests,
        requests as f64 / outcome.window.as_secs_f64(),
        cpu_s * 1e6 / requests as f64,
    );
    profile.busy_cores = cpu_s / timing.window.as_secs_f64();
    eprintln!(
        "{run}: {} requests, {:.0} req/s, {:.0} µs of CPU per request, {:.2} cores busy, {} samples",
        profile.requests,
        profile.throughput_rps,
        profile.cpu_us_per_request,
        profile.busy_cores,
        profile.samples
    );
    Ok(profile)
}

/// Builds the three configs (release, one build per backend, as the full report does; not the
/// Lambda function, which is not profiled), starts the
/// private lab pinned like the overhead runs, and profiles each build in turn.
pub async fn run(repo: &Path, label: &str, timing: Timing) -> anyhow::Result<ProfileRun> {
    let perf = perf(repo)?;
    let configs: Vec<crate::plan::TelemetryConfig> = CONFIGS
        .iter()
        .map(|id| {
            all_configs()
                .into_iter()
                .find(|c| c.id() == *id)
                .with_context(|| format!("no config {id}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut shops = BTreeMap::new();
    for c in &configs {
        shops.insert(
            c.backend(),
            builds::build_shop(repo, "release", c.backend())?,
        );
    }
    let capture = builds::build_capture(repo, "release")?;
    procstat::pin(std::process::id(), "0");
    eprintln!("starting the private lab (MariaDB, LocalStack, moto, the collector)");
    let mut lab = Lab::start(repo, &capture, Some(("1", "0")))?;
    let sinks = Sinks::start(&lab).await?;
    lab.route_xray_leg(&sinks.xray.url())?;
    let dir = repo.join("target").join("experiments").join("profile");
    let mut builds = Vec::new();
    for config in &configs {
        let p = profile_one(
            &perf,
            &shops[config.backend()],
            config,
            &lab,
            &sinks,
            &dir,
            timing,
        )
        .await;
        match p {
            Ok(p) => builds.push(p),
            Err(e) => {
                lab.stop();
                return Err(e);
            }
        }
    }
    lab.stop();
    Ok(ProfileRun {
        label: label.to_owned(),
        commit: crate::runner::command_output("git", &["describe", "--always", "--dirty"], repo),
        generated_at: crate::runner::now_rfc3339(),
        window_s: timing.window.as_secs_f64(),
        builds,
    })
}

/// Every saved run under `dir` (`report/profiles/*.json`), oldest first.
pub fn load_all(dir: &Path) -> Vec<ProfileRun> {
    let mut runs: Vec<ProfileRun> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect();
    runs.sort_by(|a, b| a.generated_at.cmp(&b.generated_at));
    runs
}

fn us(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn signed(v: f64) -> String {
    if v >= 0.0 {
        format!("+{}", us(v))
    } else {
        format!("−{}", us(-v))
    }
}

/// How many of [`BUCKETS`], from the first, are telemetry (the rest are the database, the
/// kernel and the shop).
const TELEMETRY_BUCKETS: usize = 7;

/// A build's µs per request in the telemetry buckets, and in the export threads' alone.
fn telemetry_us(b: &BuildProfile) -> (f64, f64) {
    let total = b
        .buckets
        .iter()
        .take(TELEMETRY_BUCKETS)
        .map(|x| x.us_per_request)
        .sum();
    let export = b
        .buckets
        .get(TELEMETRY_BUCKETS - 1)
        .map_or(0.0, |x| x.us_per_request);
    (total, export)
}

/// One line per run: what each backend's telemetry buckets add over noop's, so the runs of a
/// series of changes read down one column. The buckets of the database, kernel and shop move by
/// tens of µs between runs of the same code (under `perf`, one window each), so the process's
/// whole CPU is shown last and in brackets.
fn across_runs(o: &mut String, runs: &[ProfileRun]) {
    let configs: Vec<&str> = runs
        .iter()
        .flat_map(|r| r.builds.iter().map(|b| b.config.as_str()))
        .filter(|c| *c != "noop")
        .fold(Vec::new(), |mut v, c| {
            if !v.contains(&c) {
                v.push(c);
            }
            v
        });
    if runs.len() < 2 || configs.is_empty() {
        return;
    }
    o.push_str("Across runs, µs per request that each build's telemetry buckets add over noop's: in all, of which on its export threads, and [the whole process's difference].\n\n| run | commit |");
    for c in &configs {
        o.push_str(&format!(" {c} − noop |"));
    }
    o.push_str("\n|---|---|");
    for _ in &configs {
        o.push_str("---|");
    }
    o.push('\n');
    for run in runs {
        let noop = run.builds.iter().find(|b| b.config == "noop");
        o.push_str(&format!("| {} | `{}` |", run.label, run.commit));
        for c in &configs {
            match (noop, run.builds.iter().find(|b| b.config == *c)) {
                (Some(n), Some(b)) => {
                    let ((bt, be), (nt, ne)) = (telemetry_us(b), telemetry_us(n));
                    o.push_str(&format!(
                        " **{}**, export {} <sub>[{}]</sub> |",
                        signed(bt - nt),
                        signed(be - ne),
                        signed(b.cpu_us_per_request - n.cpu_us_per_request)
                    ));
                }
                _ => o.push_str(" – |"),
            }
        }
        o.push('\n');
    }
    o.push('\n');
}

/// The Markdown of every saved run (REPORT.md's "Where the time goes").
pub fn markdown(runs: &[ProfileRun]) -> String {
    let mut o = String::new();
    o.push_str(
        "From `make profile` (a run of its own, [experiments/src/profile.rs](experiments/src/profile.rs)): each build at the embedded point (one process on SQLite, pinned to the shop's CPU), driven at saturation (closed×16, the seeded mix), sampled by `perf record` with DWARF call stacks for the measured window. Each sample is bucketed by its thread (the backends' export threads) or by walking its stack from the leaf: the first telemetry frame names the bucket, the first frame of the shop's own code (its crates, axum, hyper, sqlx) makes it the shop's. A bucket's µs per request is its share of the samples times the process's CPU per request in that window. Under `perf` the shop serves about half the requests per second of the overhead runs, so read the shares and the differences between builds, not the absolute figures. One run per build: read small buckets (tens of samples) as hints. Every run is kept, oldest first, so a change's before and after stand side by side.\n\n",
    );
    across_runs(&mut o, runs);
    for run in runs {
        o.push_str(&format!(
            "#### {} (`{}`, {}, {:.0} s windows)\n\n",
            run.label, run.commit, run.generated_at, run.window_s
        ));
        let noop = run.builds.iter().find(|b| b.config == "noop");
        o.push_str("| bucket |");
        for b in &run.builds {
            o.push_str(&format!(" {} µs/req |", b.config));
            if noop.is_some() && b.config != "noop" {
                o.push_str(&format!(" {} − noop |", b.config));
            }
        }
        o.push('\n');
        o.push('|');
        o.push_str("---|");
        for b in &run.builds {
            o.push_str("---|");
            if noop.is_some() && b.config != "noop" {
                o.push_str("---|");
            }
        }
        o.push('\n');
        for (i, name) in BUCKETS.iter().enumerate() {
            o.push_str(&format!("| {name} |"));
            for b in &run.builds {
                let v = b.buckets.get(i).map_or(0.0, |x| x.us_per_request);
                let pct = if b.samples == 0 {
                    0.0
                } else {
                    100.0 * b.buckets.get(i).map_or(0, |x| x.samples) as f64 / b.samples as f64
                };
                o.push_str(&format!(" {} <sub>{pct:.1} %</sub> |", us(v)));
                if let Some(n) = noop.filter(|_| b.config != "noop") {
                    let base = n.buckets.get(i).map_or(0.0, |x| x.us_per_request);
                    o.push_str(&format!(" {} |", signed(v - base)));
                }
            }
            o.push('\n');
        }
        o.push_str("| **all (the process's CPU per request)** |");
        for b in &run.builds {
            o.push_str(&format!(" **{}** |", us(b.cpu_us_per_request)));
            if let Some(n) = noop.filter(|_| b.config != "noop") {
                o.push_str(&format!(
                    " **{}** |",
                    signed(b.cpu_us_per_request - n.cpu_us_per_request)
                ));
            }
        }
        o.push('\n');
        o.push_str("| requests / throughput / cores busy / samples |");
        for b in &run.builds {
            o.push_str(&format!(
                " {} / {:.0} req/s / {:.2} / {} |",
                b.requests, b.throughput_rps, b.busy_cores, b.samples
            ));
            if noop.is_some() && b.config != "noop" {
                o.push_str(" |");
            }
        }
        o.push_str("\n\n");
        for b in run.builds.iter().filter(|b| b.config != "noop") {
            if b.top_telemetry.is_empty() {
                continue;
            }
            o.push_str(&format!(
                "<details><summary>{}: the telemetry functions most samples were in</summary>\n\n| function (nearest the top of the stack) | samples | share |\n|---|---|---|\n",
                b.config
            ));
            for (f, n) in &b.top_telemetry {
                o.push_str(&format!(
                    "| `{f}` | {n} | {:.1} % |\n",
                    100.0 * *n as f64 / b.samples.max(1) as f64
                ));
            }
            o.push_str("\n</details>\n\n");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "tokio-runtime-w   4242 \n\
\t    55d0 telemetry_awssdk::logs::LogExporter::export_log (/x/shop)\n\
\t    55e0 <telemetry_api::layer::TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_event (/x/shop)\n\
\t    55f0 shop::http::orders::checkout (/x/shop)\n\
\tffffffffffffffff [unknown] ([unknown])\n\
\n\
telemetry-awssdk  4243 \n\
\t    1000 serde_json::ser::format_escaped_str (/x/shop)\n\
\n\
sqlx-sqlite-wor   4244 \n\
\t    2000 sqlite3VdbeExec (/x/shop)\n\
\n\
tokio-runtime-w   4242 \n\
\tffffffff81000000 tcp_sendmsg ([kernel.kallsyms])\n\
\n";

    #[test]
    fn perf_script_is_read_sample_by_sample_with_kernel_frames_marked() {
        let samples = parse_script(SCRIPT);
        assert_eq!(samples.len(), 4);
        assert_eq!(samples[0].thread, "tokio-runtime-w");
        assert_eq!(
            samples[0].frames.len(),
            3,
            "the [unknown] end marker is dropped"
        );
        assert_eq!(
            samples[0].frames[1],
            "<telemetry_api::layer::TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_event"
        );
        assert_eq!(samples[3].frames, vec!["[k]tcp_sendmsg".to_owned()]);
    }

    #[test]
    fn samples_go_to_the_bucket_of_the_telemetry_frame_nearest_the_leaf() {
        let samples = parse_script(SCRIPT);
        let bucket = |i: usize| {
            let f: Vec<&str> = samples[i].frames.iter().map(String::as_str).collect();
            classify(&samples[i].thread, &f)
        };
        assert_eq!(bucket(0), "log records");
        assert_eq!(bucket(1), "export threads (batch, encode, send)");
        assert_eq!(bucket(2), "database (sqlx, SQLite)");
        assert_eq!(bucket(3), "kernel (network, scheduling)");
        assert_eq!(
            classify(
                "tokio-runtime-w",
                &["malloc", "shop::http::catalog::list", "main"]
            ),
            "the shop and its HTTP stack"
        );
        assert_eq!(
            classify(
                "tokio-runtime-w",
                &[
                    "malloc",
                    "core::ptr::drop_in_place::<telemetry_api::record::SpanRecord>",
                    "<telemetry_api::layer::TelemetryLayer as tracing_subscriber::layer::Layer<S>>::on_close",
                ]
            ),
            "span records: build, convert, queue"
        );
        assert_eq!(
            classify(
                "tokio-runtime-w",
                &["tracing_core::dispatcher::get_default", "shop::db::query"]
            ),
            "tracing: dispatch, registry, span state and fields"
        );
        assert_eq!(
            classify("OpenTelemetry.T", &["prost::encoding::encode"]),
            "export threads (batch, encode, send)"
        );
    }

    #[test]
    fn buckets_share_the_cpu_per_request_by_their_samples() {
        let p = summarise("awssdk-100", &parse_script(SCRIPT), 100, 50.0, 400.0);
        assert_eq!(p.samples, 4);
        let total: f64 = p.buckets.iter().map(|b| b.us_per_request).sum();
        assert!((total - 400.0).abs() < 1e-9, "{total}");
        let logs = p.buckets.iter().find(|b| b.name == "log records").unwrap();
        assert_eq!(logs.samples, 1);
        assert!((logs.us_per_request - 100.0).abs() < 1e-9);
        assert_eq!(
            p.top_telemetry,
            vec![
                ("[export] serde_json::ser::format_escaped_str".to_owned(), 1),
                (
                    "telemetry_awssdk::logs::LogExporter::export_log".to_owned(),
                    1
                )
            ]
        );
        let run = |label: &str| ProfileRun {
            label: label.into(),
            commit: "abc".into(),
            generated_at: "2026-12-03T00:00:00Z".into(),
            window_s: 20.0,
            builds: vec![
                summarise("noop", &parse_script(SCRIPT)[2..], 100, 60.0, 300.0),
                p.clone(),
            ],
        };
        let md = markdown(&[run("before")]);
        assert!(
            !md.contains("Across runs"),
            "one run has nothing to compare"
        );
        // Two runs: a line each with the telemetry buckets (logs 100, export 100) over noop's
        // (none), and the whole process's difference.
        let md = markdown(&[run("before"), run("after")]);
        assert!(
            md.contains("| after | `abc` | **+200**, export +100 <sub>[+100]</sub> |"),
            "{md}"
        );
        assert!(
            md.contains("| log records | 0.0 <sub>0.0 %</sub> | 100 <sub>25.0 %</sub> | +100 |"),
            "{md}"
        );
        assert!(
            md.contains("**all (the process's CPU per request)** | **300** | **400** | **+100** |"),
            "{md}"
        );
    }
}
