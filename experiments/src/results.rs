//! What a run of the lab produces, as data: saved as `report/results.json`
//! beside `REPORT.md`, and the only input of the report writer. Every number
//! in the report comes from here; nothing is typed in by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::stats::Estimate;

/// Everything one `shop-experiments run` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Results {
    pub meta: Meta,
    /// One entry per measured load run (every repeat, every build).
    pub runs: Vec<LoadRun>,
    /// Medians and spread over the repeats of each (config, shape), with
    /// ratios against `noop` under the same shape.
    pub overhead: Vec<OverheadSummary>,
    /// One entry per fidelity run (nominal load, and under a sink outage).
    pub fidelity: Vec<Fidelity>,
    /// One entry per telemetry config (not for `noop`).
    pub cost: Vec<Cost>,
    /// One entry per backend: a closed-loop run at saturation with healthy
    /// sinks, read back and scored (empty in results written before it existed).
    #[serde(default)]
    pub saturation: Vec<SaturationFidelity>,
    /// Tail sampling in the collector against head sampling (empty in results made before
    /// the comparison existed, or without the otel build).
    #[serde(default)]
    pub tail: Vec<crate::tail::TailRow>,
    /// Orders that produce mail, per backend: the asynchronous hops (empty in results made
    /// before the comparison existed).
    #[serde(default)]
    pub async_hops: Vec<crate::async_hops::AsyncRow>,
    /// The Lambda functions' cold start and per-invocation cost per backend (empty in results
    /// made before the chapter existed).
    #[serde(default)]
    pub lambda: crate::lambda::LambdaResults,
    /// Page views in Chromium per backend: front-to-back joins, the cost of browser telemetry
    /// and LCP (empty in results made before the chapter existed).
    #[serde(default)]
    pub browser: Vec<crate::browser::BrowserRow>,
}

/// How, where and with what the results were made.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Meta {
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// `full` or `quick`.
    pub mode: String,
    /// Seed of the scenario generator.
    pub seed: u64,
    /// Wall-clock seconds the whole run took.
    pub duration_s: f64,
    pub machine: Machine,
    /// Component → version (`rustc`, `shop`, `localstack`, `moto`, `rotel`,
    /// `mariadb`, and the telemetry crates).
    pub versions: BTreeMap<String, String>,
    /// The plan that was run (durations, rates, repeats, configs).
    pub plan: Plan,
    /// Commands that reproduce these results.
    pub commands: Vec<String>,
    /// Cargo profile the shop was built with (`release`; `dev` in quick mode).
    pub profile: String,
    /// The git commit of the shop that was measured (`git describe`).
    pub commit: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub os: String,
}

/// The experiment plan.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    pub configs: Vec<ConfigInfo>,
    /// Requests per second of each open-loop run.
    pub open_rates: Vec<f64>,
    pub open_duration_s: f64,
    /// Concurrent sessions of the closed-loop (saturation) runs.
    pub closed_concurrency: usize,
    pub closed_duration_s: f64,
    pub warmup_s: f64,
    pub repeats: usize,
    /// Open-loop rate of the fidelity runs ("nominal load").
    pub fidelity_rate: f64,
    pub fidelity_duration_s: f64,
    /// Seconds the sinks are down in the outage run.
    pub outage_s: f64,
    /// How open-loop sessions were spaced: `fixed` or `poisson` (empty in
    /// results written before there was a choice: those were `fixed`).
    #[serde(default)]
    pub arrivals: String,
    /// The scenario mix: step name → share of requests (0..1), as generated.
    pub mix: BTreeMap<String, f64>,
    /// Session kind → share of sessions (0..1), as generated. Empty in results
    /// written before it was saved.
    #[serde(default)]
    pub session_mix: BTreeMap<String, f64>,
    /// How many lab customers registered and logged in before each run's load
    /// (0 in results written before there were signed-in sessions).
    #[serde(default)]
    pub customers: u32,
    /// Share of requests that are expected to fail with a 4xx, and with an injected 5xx.
    pub expected_4xx_share: f64,
    pub expected_5xx_share: f64,
    /// Which CPUs each group of processes was pinned to (`shop`, `loadgen`, `sinks`), if pinned.
    /// Results written before the affinities were read back hold the *intended* pinning here;
    /// newer ones hold what the kernel reported (see [`ProcessUsage::cpus`]).
    pub pinning: BTreeMap<String, String>,
    /// The operating points the overhead runs were made at (`embedded`, `split`), in run order.
    /// Empty in results written before there were two: those measured `split` only.
    #[serde(default)]
    pub points: Vec<String>,
}

/// A telemetry configuration under test.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// Short id used in tables and charts, e.g. `noop`, `awssdk-100`, `otel-5`, `awssdk-emf-100`.
    pub id: String,
    /// The build: `noop`, `awssdk` or `otel`.
    pub backend: String,
    /// Trace sampling share (1.0 = 100 %).
    pub sampling: f64,
    /// Free-form settings that distinguish the config (`metrics = "emf"`, `batch = "50"`, ...).
    pub settings: BTreeMap<String, String>,
    /// One line a learner can read: what this config is.
    pub description: String,
}

/// Open-loop at a fixed rate, or closed-loop to saturation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    Open { rate: f64 },
    Closed { concurrency: usize },
}

impl Shape {
    /// `open@200/s`, `closed×16`.
    pub fn label(&self) -> String {
        match self {
            Shape::Open { rate } => format!("open@{rate}/s"),
            Shape::Closed { concurrency } => format!("closed×{concurrency}"),
        }
    }
}

/// Latency percentiles in microseconds, from an HDR histogram.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Latency {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    /// (quantile 0..1, microseconds) points for a CDF chart, log-spaced towards the tail.
    pub cdf: Vec<(f64, f64)>,
}

/// Which part of the system a process belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessRole {
    /// The shop's three services.
    Shop,
    /// The telemetry pipeline outside the shop (the collector for otel).
    Pipeline,
    /// The sinks standing in for AWS (LocalStack, moto, the capture receiver) and the database.
    Sink,
    /// The load generator (this harness, with its counting pass-throughs).
    Loadgen,
}

/// CPU and memory of one process over one run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessUsage {
    /// e.g. `shop-orders`, `rotel`, `localstack`, `moto`, `mariadb`, `otlp-capture`, `loadgen`.
    pub name: String,
    pub role: ProcessRole,
    /// User + system CPU seconds during the measured window (children included).
    pub cpu_s: f64,
    /// Peak resident set (VmHWM for processes started for this run; the highest
    /// sampled RSS for long-lived ones), KiB.
    pub peak_rss_kib: u64,
    /// `cpu_s` / window: 1.0 = one core busy for the whole run.
    pub busy_cores: f64,
    /// The CPUs the kernel let the process run on, read back after it started
    /// (`Cpus_allowed_list` of `/proc/PID/status`, e.g. `1` or `0-1`). Empty in
    /// results written before it was recorded.
    #[serde(default)]
    pub cpus: String,
}

/// The operating point of results written before there were two: the split topology.
pub fn default_point() -> String {
    "split".to_owned()
}

/// How busy one CPU was over a run, from `/proc/stat` (all processes, not only ours).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CpuLoad {
    /// The CPU's number (`cpu1` in `/proc/stat` is 1).
    pub cpu: usize,
    /// Share of the window the CPU was not idle (user, system, irq, steal…), 0..=1.
    pub busy: f64,
    /// Share of the window the hypervisor ran someone else while this CPU wanted to run
    /// (`steal` in `/proc/stat`), 0..=1.
    pub steal: f64,
}

/// Export counters of one signal, summed over the shop's services (from
/// their `/api/telemetry/flush` responses): the contract's own type.
pub use telemetry_api::SignalStats;

/// What the counting pass-through in front of one sink saw.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WireCount {
    /// `xray`, `cloudwatch`, `logs`, `otlp`.
    pub sink: String,
    pub requests: u64,
    /// Request body bytes (as sent, compressed if the client compressed).
    pub bytes: u64,
    /// Requests answered by the pass-through itself (outage injection), not forwarded.
    pub refused: u64,
    /// The same counts per endpoint: the path (`/v1/logs`, `/TraceSegments`), or
    /// the operation for AWS JSON-protocol calls (`PutLogEvents`). Empty in
    /// results written before it was counted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, PathCount>,
}

/// What a pass-through saw for one endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCount {
    pub requests: u64,
    pub bytes: u64,
    pub refused: u64,
}

/// One measured load run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadRun {
    /// The operating point (`embedded` or `split`, see `crate::plan::Point`).
    #[serde(default = "default_point")]
    pub point: String,
    pub config: String,
    pub shape: Shape,
    /// 0-based repeat index; builds are interleaved within a repeat.
    pub repeat: usize,
    pub duration_s: f64,
    pub requests: u64,
    /// Requests whose status differed from what the scenario expects
    /// (e.g. a 500 where a 200 was due), and transport errors.
    pub unexpected: u64,
    pub throughput_rps: f64,
    pub latency: Latency,
    pub processes: Vec<ProcessUsage>,
    /// Per signal: `spans`, `metrics`, `logs`.
    pub stats: BTreeMap<String, SignalStats>,
    pub wire: Vec<WireCount>,
    /// Open-loop only: requests that could not be sent on time because the
    /// generator itself fell behind (coordinated-omission guard), if any.
    pub late_sends: u64,
    /// Every CPU's load over the run's CPU window. Empty in older results.
    #[serde(default)]
    pub cpu_load: Vec<CpuLoad>,
    /// The load generator's CPU was more than [`LOADGEN_BUSY_LIMIT`] busy in total
    /// (every process on it, not only the generator): the generator may have been
    /// the bottleneck, so the run's throughput and latency are suspect.
    #[serde(default)]
    pub loadgen_saturated: bool,
}

/// Above this share of busy time on the load generator's CPU a run is flagged.
pub const LOADGEN_BUSY_LIMIT: f64 = 0.8;

/// How busy the load generator's CPUs were, 0..=1: the mean over the CPUs it
/// could run on (its read-back affinity), every process on them counted;
/// `None` without the per-CPU figures or the generator's affinity.
pub fn loadgen_busy(processes: &[ProcessUsage], cpu_load: &[CpuLoad]) -> Option<f64> {
    let lg = processes.iter().find(|p| p.role == ProcessRole::Loadgen)?;
    let cpus = crate::procstat::parse_cpu_list(&lg.cpus);
    let busy: Vec<f64> = cpu_load
        .iter()
        .filter(|c| cpus.contains(&c.cpu))
        .map(|c| c.busy)
        .collect();
    (!busy.is_empty()).then(|| busy.iter().sum::<f64>() / busy.len() as f64)
}

impl LoadRun {
    /// How busy the load generator's CPUs were over the run, 0..=1: the mean
    /// over the CPUs it could run on (read back), every process on them
    /// counted; `None` in results without the per-CPU figures.
    pub fn loadgen_busy(&self) -> Option<f64> {
        loadgen_busy(&self.processes, &self.cpu_load)
    }

    /// The largest steal share of any CPU over the run; `None` in older results.
    pub fn max_steal(&self) -> Option<f64> {
        self.cpu_load.iter().map(|c| c.steal).reduce(f64::max)
    }

    /// Export API calls of `signal` (`spans`, `metrics`, `logs`) per 1 000 requests.
    pub fn export_calls_per_1k(&self, signal: &str) -> f64 {
        self.stats.get(signal).map_or(0.0, |s| s.api_calls as f64)
            / (self.requests.max(1) as f64 / 1000.0)
    }
}

/// A statistic over repeats: median, min and max.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

/// Overhead of one config under one shape, over its repeats.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverheadSummary {
    /// The operating point; pairs against `noop` are made within it.
    #[serde(default = "default_point")]
    pub point: String,
    pub config: String,
    pub shape: Shape,
    pub repeats: usize,
    pub throughput_rps: Spread,
    /// Median throughput / median `noop` throughput (same shape).
    pub throughput_vs_noop: f64,
    pub p50_us: Spread,
    pub p90_us: Spread,
    pub p99_us: Spread,
    pub p999_us: Spread,
    /// Median p99 minus `noop`'s median p99 (same shape), microseconds.
    pub added_p99_us: f64,
    /// CPU seconds per 1 000 requests: the shop's three services.
    pub shop_cpu_s_per_1k: Spread,
    /// CPU seconds per 1 000 requests: the telemetry pipeline outside the shop (collector).
    pub pipeline_cpu_s_per_1k: Spread,
    /// CPU seconds per 1 000 requests: sinks (emulators, capture, database).
    pub sink_cpu_s_per_1k: Spread,
    /// Peak RSS of the shop's services (sum), MiB.
    pub shop_peak_rss_mib: Spread,
    /// Peak RSS of the pipeline (collector), MiB.
    pub pipeline_peak_rss_mib: Spread,
    /// The busiest sink process's share of a core (max over repeats): shows
    /// whether a sink could have limited the run.
    pub busiest_sink: String,
    pub busiest_sink_cores: f64,
    /// Latency points of the median repeat (by p99), for the CDF chart.
    pub cdf: Vec<(f64, f64)>,
    /// Throughput ÷ `noop`'s, paired per repeat (repeat *i* against `noop`'s
    /// repeat *i*, same shape), with its 95 % interval. `None` in results
    /// written before paired estimates existed.
    #[serde(default)]
    pub throughput_ratio: Option<Estimate>,
    /// p99 minus `noop`'s p99, paired per repeat, microseconds.
    #[serde(default)]
    pub added_p99: Option<Estimate>,
    /// CPU the backend adds per request on the shop's cores, µs: the shop's
    /// CPU per request minus `noop`'s, paired per repeat.
    #[serde(default)]
    pub shop_cpu_us_added: Option<Estimate>,
    /// CPU of the telemetry pipeline outside the shop (the collector) per
    /// request, µs, over the repeats (there is nothing to pair it with:
    /// `noop` has no pipeline).
    #[serde(default)]
    pub pipeline_cpu_us: Option<Estimate>,
}

/// One check of the fidelity oracle.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Check {
    /// `traces`, `metrics`, `logs`, `loss`.
    pub signal: String,
    /// e.g. `traces complete`, `parent/child exact`, `counters exact`.
    pub name: String,
    /// How many items passed / were checked.
    pub passed: u64,
    pub total: u64,
    /// Up to a few examples of what failed, for a learner to look at.
    pub failures: Vec<String>,
    /// What this check cannot see on this sink (an emulator gap), if anything.
    pub gap: Option<String>,
}

impl Check {
    /// Share passed, 0..=1; `None` when nothing was to be checked (0/0, shown
    /// as "n/a"). An empty check proves nothing, so it is neither a pass nor a
    /// failure: it is left out of every aggregate score instead of counting
    /// as 100 %.
    pub fn score(&self) -> Option<f64> {
        (self.total > 0).then(|| self.passed as f64 / self.total as f64)
    }
}

/// The lowest score among `checks` and the check that has it; `None` when
/// every check is n/a (nothing was checked at all).
pub fn worst<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Option<(f64, &'a Check)> {
    checks
        .into_iter()
        .filter_map(|c| c.score().map(|s| (s, c)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// What arrived, compared with the ledger, for one config and one load.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fidelity {
    pub config: String,
    /// `nominal` or `outage`.
    pub load: String,
    pub requests: u64,
    /// Traces the backend's sampler kept (per its stats) and that the ledger expects to find.
    pub traces_expected: u64,
    pub traces_arrived: u64,
    pub checks: Vec<Check>,
    /// Outage runs: what the backend reported as dropped, and what the
    /// read-back found missing, per signal.
    pub loss: BTreeMap<String, LossAccount>,
    /// One checkout trace as the backend stored it, for the report's picture
    /// (nominal runs; `None` in results written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<TracePicture>,
    /// otel nominal runs: the same traces read back from X-Ray (where the collector's X-Ray
    /// leg put them) and scored with the X-Ray oracle, like the awssdk build's. Not part of
    /// the CI verdict: what the leg loses is a named gap (docs/lab.md). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub into_xray: Vec<Check>,
}

/// The loss of one signal in an outage run, from three independent sources:
/// the load generator's ledger (what should have arrived), the read-back
/// (what did), the shop's own counters and the pass-through's refusals.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct LossAccount {
    /// What the shop's counters say it dropped.
    pub reported_dropped: u64,
    /// `expected` − `arrived`.
    pub measured_missing: u64,
    /// Items the ledger says must arrive: spans of the sampled requests'
    /// expected trees; for logs, one access line per answered request.
    #[serde(default)]
    pub expected: u64,
    /// Of those, the items the read-back found.
    #[serde(default)]
    pub arrived: u64,
    /// Export requests of this signal the pass-through refused (answered 503
    /// itself) while the sink was down.
    #[serde(default)]
    pub refused_requests: u64,
}

/// One trace's tree as a backend stored it (X-Ray segments and subsegments,
/// or OTLP spans), flattened depth-first, for the report's picture.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TracePicture {
    /// Where it was read: e.g. `X-Ray (BatchGetTraces)`.
    pub store: String,
    pub trace_id: String,
    /// The scenario step (e.g. `checkout`).
    pub step: String,
    pub nodes: Vec<PictureNode>,
}

/// One segment, subsegment or span of a [`TracePicture`].
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PictureNode {
    /// 0 for the root.
    pub depth: usize,
    pub name: String,
    /// `catalog`, `orders`, `inventory`.
    pub service: String,
    /// `segment` or `subsegment` (X-Ray), `server`, `client`, `internal` (OTLP).
    pub kind: String,
    /// Offset from the trace's first start, and length, milliseconds.
    pub start_ms: f64,
    pub duration_ms: f64,
}

/// A closed-loop run at saturation with healthy sinks, read back and
/// scored by the same oracle as the nominal runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SaturationFidelity {
    pub config: String,
    pub concurrency: usize,
    pub duration_s: f64,
    /// The metrics export interval the run used (shortened by environment
    /// variable so that the run spans at least two).
    pub metric_interval_s: f64,
    pub requests: u64,
    pub throughput_rps: f64,
    /// Spans of the sampled requests' expected trees, and those that arrived.
    pub spans_expected: u64,
    pub spans_arrived: u64,
    /// Spans the shop's counters report dropped.
    pub spans_dropped_reported: u64,
    /// `spans_expected` − `spans_arrived` (the ledger's count of the loss).
    pub spans_missing: u64,
    /// Access lines the ledger expects (one per answered request) and those that arrived, and
    /// the log records the shop's counters report dropped (all lines, not only access lines).
    /// `None` in results written before they were recorded.
    #[serde(default)]
    pub logs_expected: Option<u64>,
    #[serde(default)]
    pub logs_arrived: Option<u64>,
    #[serde(default)]
    pub logs_dropped_reported: Option<u64>,
    /// The collector's own counts over the run, per signal (otel configs; `None` without a
    /// collector, or in results written before they were recorded).
    #[serde(default)]
    pub pipeline: Option<crate::pipeline::PipelineCounts>,
    pub checks: Vec<Check>,
    /// CPU of every process during the run.
    pub processes: Vec<ProcessUsage>,
    /// The process (shop service, collector or emulator) with the highest
    /// CPU share during the run, and that share (1.0 = one core).
    pub bottleneck: String,
    pub bottleneck_cores: f64,
}

impl SaturationFidelity {
    /// Access lines the ledger expected and those that arrived: the recorded counts, or, in
    /// results written before they were recorded, the "one access line per request" check's.
    pub fn access_lines(&self) -> (Option<u64>, Option<u64>) {
        if self.logs_expected.is_some() {
            return (self.logs_expected, self.logs_arrived);
        }
        self.checks
            .iter()
            .find(|c| c.signal == "logs" && c.name == crate::fidelity::ACCESS_LINE_CHECK)
            .map_or((None, None), |c| (Some(c.total), Some(c.passed)))
    }

    /// Access lines expected but not read back (0 where nothing is known).
    pub fn logs_missing(&self) -> u64 {
        match self.access_lines() {
            (Some(e), Some(a)) => e.saturating_sub(a),
            _ => 0,
        }
    }
}

/// Cost of one config: per-request items (per million shop requests),
/// fixed monthly items, and the total per million requests at several rates.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cost {
    pub config: String,
    pub requests: u64,
    /// Per signal: API calls and bytes per request (from the backend's stats).
    pub per_request: BTreeMap<String, PerRequest>,
    /// Per sink: requests and bytes per request counted on the wire by the pass-through.
    pub wire_per_request: BTreeMap<String, PerRequest>,
    /// Dollar items, e.g. ("X-Ray traces recorded", 5.0): per million shop
    /// requests, or per month for the fixed items (`fixed_monthly`).
    pub items: Vec<CostItem>,
    /// Dollars per million requests at [`crate::cost::REFERENCE_RATE`] requests/s
    /// (the fixed items spread over that rate's monthly requests).
    pub total_usd_per_million: f64,
    /// Dollars per million requests at each of [`crate::cost::RATES`].
    #[serde(default)]
    pub at_rates: Vec<RateTotal>,
    /// Where the prices come from (`experiments/prices.toml` meta).
    pub prices_source: String,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PerRequest {
    pub api_calls: f64,
    pub bytes: f64,
}

/// The total of a [`Cost`] at one request rate.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct RateTotal {
    pub rate_rps: f64,
    pub usd_per_million: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CostItem {
    pub item: String,
    /// Quantity in `unit`: per million requests, or per month when `fixed_monthly`.
    pub quantity: f64,
    pub unit: String,
    /// Dollars per million requests, or per month when `fixed_monthly`.
    pub usd: f64,
    /// A monthly item that does not grow with the requests (custom metrics,
    /// one metrics export per interval).
    #[serde(default)]
    pub fixed_monthly: bool,
    /// The measured quantity beside a nominal one (traces recorded are billed
    /// at the config's nominal sampling rate; the sampler's draw is shown here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
    /// How the quantity was found, or why it is not (`not measured: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Requests in a 30-day month at one request per second.
pub const SECONDS_PER_MONTH: f64 = 30.0 * 24.0 * 3600.0;

impl CostItem {
    /// Dollars per million requests at `rate` requests/s: a fixed monthly
    /// item is spread over the month's requests at that rate.
    pub fn usd_per_million_at(&self, rate: f64) -> f64 {
        if self.fixed_monthly {
            self.usd / (rate * SECONDS_PER_MONTH) * 1e6
        } else {
            self.usd
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, passed: u64, total: u64) -> Check {
        Check {
            signal: "traces".to_owned(),
            name: name.to_owned(),
            passed,
            total,
            failures: vec![],
            gap: None,
        }
    }

    #[test]
    fn nothing_checked_is_n_a_not_100_percent() {
        assert_eq!(check("empty", 0, 0).score(), None);
        assert_eq!(check("half", 1, 2).score(), Some(0.5));
        assert_eq!(check("all", 3, 3).score(), Some(1.0));
    }

    #[test]
    fn n_a_counts_neither_as_passing_nor_failing_in_the_worst_score() {
        let checks = [check("empty", 0, 0), check("all", 3, 3)];
        let (score, c) = worst(&checks).unwrap();
        assert_eq!((score, c.name.as_str()), (1.0, "all"));
        let checks = [check("half", 1, 2), check("empty", 0, 0)];
        assert_eq!(worst(&checks).unwrap().1.name, "half");
        assert!(worst(&[check("empty", 0, 0)]).is_none());
    }
}
