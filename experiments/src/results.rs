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
    /// Tail sampling in the collector against head sampling (empty in results made before
    /// the comparison existed, or without the otel build).
    #[serde(default)]
    pub tail: Vec<crate::tail::TailRow>,
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
    /// Share of requests that are expected to fail with a 4xx, and with an injected 5xx.
    pub expected_4xx_share: f64,
    pub expected_5xx_share: f64,
    /// Which CPUs each group of processes was pinned to (`shop`, `loadgen`, `sinks`), if pinned.
    pub pinning: BTreeMap<String, String>,
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
}

/// One measured load run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadRun {
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
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct LossAccount {
    pub reported_dropped: u64,
    pub measured_missing: u64,
}

/// Cost of one config, per million shop requests.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cost {
    pub config: String,
    pub requests: u64,
    /// Per signal: API calls and bytes per request (from the backend's stats).
    pub per_request: BTreeMap<String, PerRequest>,
    /// Per sink: requests and bytes per request counted on the wire by the pass-through.
    pub wire_per_request: BTreeMap<String, PerRequest>,
    /// Dollar items per million shop requests, e.g. ("X-Ray traces recorded", 5.0).
    pub items: Vec<CostItem>,
    pub total_usd_per_million: f64,
    /// Where the prices come from (`experiments/prices.toml` meta).
    pub prices_source: String,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PerRequest {
    pub api_calls: f64,
    pub bytes: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CostItem {
    pub item: String,
    /// Quantity per million requests, in `unit`.
    pub quantity: f64,
    pub unit: String,
    pub usd: f64,
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
