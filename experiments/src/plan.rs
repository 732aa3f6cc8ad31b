//! What a run of the lab consists of: the telemetry configs under test, the
//! load shapes, durations and repeats. `full` is what `make report` runs;
//! `quick` is the CI smoke run (short durations, the three 100 % configs,
//! one repeat at each operating point).
//!
//! Overhead runs are made at two operating points ([`Point`]): the embedded
//! default a learner starts with `make run` (one process, SQLite), where the
//! shop's own work per request is small and telemetry is a large share of it,
//! and the split topology (three services and MariaDB), where the database
//! dominates. A backend's cost looks very different at the two.

use std::collections::BTreeMap;

use crate::load::Arrivals;
use crate::results::ConfigInfo;

/// Full or quick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Every config, ten interleaved repeats (enough for a bootstrap interval), short runs.
    Full,
    /// CI: proves the pipeline end to end and 100 % fidelity; overhead figures are not
    /// meaningful (one repeat: every overhead verdict is undetermined).
    Quick,
}

/// Where the shop runs during an overhead run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    /// One shop process serving everything (`SHOP_ROLE=all`, the shop's
    /// default) on a fresh SQLite file: what `make run` starts.
    Embedded,
    /// Catalog, orders and inventory as three processes (orders calling
    /// inventory over HTTP) on a fresh MariaDB database: what `make lab
    /// TOPOLOGY=split` starts, and where the fidelity runs are made.
    Split,
}

impl Point {
    /// `embedded` or `split`, as saved in the results.
    pub fn name(self) -> &'static str {
        match self {
            Point::Embedded => "embedded",
            Point::Split => "split",
        }
    }
}

/// A telemetry configuration: which build, and the environment that configures it.
#[derive(Clone, Debug)]
pub struct TelemetryConfig {
    pub info: ConfigInfo,
    /// Environment variables for every shop process of this config (besides endpoints).
    pub env: Vec<(String, String)>,
    /// Whether the overhead runs include it (cost-only variants are measured once).
    pub overhead: bool,
}

impl TelemetryConfig {
    pub fn id(&self) -> &str {
        &self.info.id
    }
    pub fn backend(&self) -> &str {
        &self.info.backend
    }

    /// Exports OTLP over gRPC: straight to the collector, past the counting
    /// pass-through (it speaks HTTP/1), so an outage switched on there does
    /// not reach it and it has no outage run.
    pub fn grpc(&self) -> bool {
        self.env
            .iter()
            .any(|(k, v)| k == "OTEL_EXPORTER_OTLP_PROTOCOL" && v == "grpc")
    }

    /// Gets an outage run (and a saturation run): 100 % sampled, measured for overhead, behind
    /// the pass-through, and not a variant of the batch-size and protocol sweep (the outage and
    /// saturation questions are per backend, and `awssdk-100`/`otel-100` answer them).
    pub fn outage_run(&self) -> bool {
        self.backend() != "noop"
            && self.info.sampling == 1.0
            && self.overhead
            && !self.grpc()
            && !self.sweep()
    }

    /// A variant of the batch-size and protocol sweep ([`SWEEP`]): its overhead is measured at
    /// saturation (closed loop) only, which is where batch size and protocol show; the open-loop
    /// shapes (added p99 at a share of noop's rate) are left to the main configs. This keeps
    /// `make report` near an hour on the 2-core lab machine.
    pub fn sweep(&self) -> bool {
        SWEEP.contains(&self.id())
    }
}

/// The configs of the batch-size and protocol sweep (see [`TelemetryConfig::sweep`]).
pub const SWEEP: [&str; 4] = [
    "awssdk-batch5-100",
    "otel-batch64-100",
    "otel-batch2048-100",
    "otel-grpc-100",
];

/// The whole plan of one `run`.
#[derive(Clone, Debug)]
pub struct Plan {
    pub mode: Mode,
    pub seed: u64,
    pub configs: Vec<TelemetryConfig>,
    /// Open-loop rates as shares of `noop`'s measured saturation throughput.
    pub open_shares: Vec<f64>,
    pub open_secs: f64,
    pub closed_concurrency: usize,
    pub closed_secs: f64,
    pub warmup_secs: f64,
    pub repeats: usize,
    /// Fidelity runs: open-loop at this rate ("nominal load") for this long.
    pub fidelity_rate: f64,
    pub fidelity_secs: f64,
    /// Outage runs: the sinks refuse everything for this long, mid-run.
    pub outage_secs: f64,
    /// Each side of the tail-sampling comparison: open loop at `fidelity_rate` for this long
    /// (long enough to meet a few slow products even in quick mode).
    pub tail_secs: f64,
    /// Cargo profile of the shop builds (and of the functions' builds).
    pub profile: &'static str,
    /// The Lambda functions' chapter ([`crate::lambda`]): fresh function processes per backend
    /// (the paired repeats), and warm invocations in each after its cold one.
    pub lambda_processes: usize,
    pub lambda_warm: usize,
    /// How open-loop sessions are spaced (overhead and fidelity runs).
    pub arrivals: Arrivals,
    /// The operating points of the overhead runs, in run order.
    pub points: Vec<Point>,
}

fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn config(
    id: &str,
    backend: &str,
    sampling: f64,
    description: &str,
    shown: &[(&str, &str)],
    env: &[(&str, &str)],
    overhead: bool,
) -> TelemetryConfig {
    TelemetryConfig {
        info: ConfigInfo {
            id: id.to_owned(),
            backend: backend.to_owned(),
            sampling,
            settings: settings(shown),
            description: description.to_owned(),
        },
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        overhead,
    }
}

/// Every config the lab knows. Sampling for awssdk comes from a rules file
/// the harness writes (`SHOP_XRAY_SAMPLING_RULES`, see [`crate::shop`]).
pub fn all_configs() -> Vec<TelemetryConfig> {
    vec![
        config(
            "noop",
            "noop",
            0.0,
            "no telemetry backend: the baseline",
            &[],
            &[],
            true,
        ),
        config(
            "awssdk-100",
            "awssdk",
            1.0,
            "X-Ray segments, PutMetricData, PutLogEvents; every trace sampled",
            &[("metrics", "PutMetricData"), ("xray batch", "50")],
            &[("SHOP_CW_METRICS", "api")],
            true,
        ),
        config(
            "awssdk-5",
            "awssdk",
            0.05,
            "as awssdk-100, 5 % of traces (rule: fixed rate 0.05, no reservoir)",
            &[("metrics", "PutMetricData"), ("xray batch", "50")],
            &[("SHOP_CW_METRICS", "api")],
            true,
        ),
        config(
            "awssdk-emf-100",
            "awssdk",
            1.0,
            "as awssdk-100, metrics as EMF log lines instead of PutMetricData",
            &[("metrics", "EMF"), ("xray batch", "50")],
            &[("SHOP_CW_METRICS", "emf")],
            false,
        ),
        config(
            "awssdk-batch5-100",
            "awssdk",
            1.0,
            "as awssdk-100, at most 5 segment documents per PutTraceSegments",
            &[("metrics", "PutMetricData"), ("xray batch", "5")],
            &[("SHOP_CW_METRICS", "api"), ("SHOP_XRAY_BATCH", "5")],
            true,
        ),
        config(
            "otel-100",
            "otel",
            1.0,
            "OTLP/HTTP protobuf to the collector (the OTel Collector built from collector/builder-config.yaml); every trace sampled",
            &[("protocol", "http/protobuf"), ("span batch", "512")],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ],
            true,
        ),
        config(
            "otel-5",
            "otel",
            0.05,
            "as otel-100, 5 % of traces (parentbased_traceidratio 0.05)",
            &[("protocol", "http/protobuf"), ("span batch", "512")],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                ("OTEL_TRACES_SAMPLER_ARG", "0.05"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ],
            true,
        ),
        config(
            "otel-batch64-100",
            "otel",
            1.0,
            "as otel-100, at most 64 spans per export request",
            &[("protocol", "http/protobuf"), ("span batch", "64")],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"),
            ],
            true,
        ),
        config(
            "otel-batch2048-100",
            "otel",
            1.0,
            "as otel-100, up to 2048 spans per export request (the whole queue)",
            &[("protocol", "http/protobuf"), ("span batch", "2048")],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "2048"),
            ],
            true,
        ),
        config(
            "otel-grpc-100",
            "otel",
            1.0,
            "as otel-100, OTLP over gRPC straight to the collector's gRPC port (no pass-through: the wire counts are the exporter's own)",
            &[("protocol", "grpc"), ("span batch", "512")],
            &[
                ("OTEL_TRACES_SAMPLER", "parentbased_always_on"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ],
            true,
        ),
    ]
}

impl Plan {
    pub fn new(mode: Mode, seed: u64) -> Plan {
        match mode {
            Mode::Full => Plan {
                mode,
                seed,
                configs: all_configs(),
                open_shares: vec![0.25, 0.5],
                // Ten short repeats rather than three long ones: the paired
                // intervals need repeats (see `crate::stats`). Each run is
                // 2 + 6 s plus ~2 s to start the shop; `Plan::estimate_secs`
                // adds them up: 9 overhead configs × 2 points × 3 shapes × 10
                // repeats = 540 runs (90 min) plus 14 fidelity and outage runs
                // (~8 min), about 1 h 40 min with the builds.
                open_secs: 6.0,
                closed_concurrency: 16,
                closed_secs: 6.0,
                warmup_secs: 2.0,
                repeats: 10,
                fidelity_rate: 50.0,
                fidelity_secs: 20.0,
                outage_secs: 8.0,
                tail_secs: 40.0,
                profile: "release",
                // 10 × 3 processes of 11 invocations: about 2 min in release.
                lambda_processes: 10,
                lambda_warm: 10,
                arrivals: Arrivals::Poisson,
                points: vec![Point::Embedded, Point::Split],
            },
            Mode::Quick => Plan {
                mode,
                seed,
                configs: all_configs()
                    .into_iter()
                    .filter(|c| matches!(c.id(), "noop" | "awssdk-100" | "otel-100"))
                    .collect(),
                open_shares: vec![0.5],
                open_secs: 3.0,
                closed_concurrency: 8,
                closed_secs: 3.0,
                warmup_secs: 1.0,
                repeats: 1,
                fidelity_rate: 20.0,
                fidelity_secs: 5.0,
                outage_secs: 3.0,
                tail_secs: 12.0,
                profile: "dev",
                // 3 × 3 processes of 4 invocations: about half a minute; 3 repeats are the
                // fewest that give the paired differences an interval worth printing.
                lambda_processes: 3,
                lambda_warm: 3,
                // The same code path as full mode, so CI exercises it.
                arrivals: Arrivals::Poisson,
                // Both, so CI runs the embedded start-up too (6 more runs of ~5 s).
                points: vec![Point::Embedded, Point::Split],
            },
        }
    }

    /// Runs only the listed configs (and `noop`, the baseline). Any config
    /// the lab knows can be named, also one the mode would not run (quick
    /// mode's dev binary has every backend in it, so `--mode quick --only
    /// otel-grpc-100` is a short check of one sweep config).
    pub fn only(&mut self, ids: &[String]) {
        if !ids.is_empty() {
            self.configs = all_configs()
                .into_iter()
                .filter(|c| c.id() == "noop" || ids.iter().any(|i| i == c.id()))
                .collect();
        }
    }

    /// Keeps only the named operating points (`embedded`, `split`); unknown
    /// names are an error, so a typo does not silently run nothing.
    pub fn only_points(&mut self, names: &[String]) -> anyhow::Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        for n in names {
            if ![Point::Embedded, Point::Split]
                .iter()
                .any(|p| p.name() == n)
            {
                anyhow::bail!("unknown operating point {n:?} (embedded, split)");
            }
        }
        self.points.retain(|p| names.iter().any(|n| n == p.name()));
        Ok(())
    }

    /// Overhead runs: every overhead config at every point, shape and repeat.
    pub fn overhead_runs(&self) -> usize {
        let overhead = self.configs.iter().filter(|c| c.overhead);
        let open = overhead.clone().filter(|c| !c.sweep()).count();
        let all = overhead.count();
        (all + open * self.open_shares.len()) * self.points.len() * self.repeats
    }

    /// Fidelity runs: one nominal run per telemetry config, one outage run per
    /// config that [`TelemetryConfig::outage_run`] says has one.
    pub fn fidelity_runs(&self) -> (usize, usize) {
        let nominal = self
            .configs
            .iter()
            .filter(|c| c.backend() != "noop")
            .count();
        let outage = self.configs.iter().filter(|c| c.outage_run()).count();
        (nominal, outage)
    }

    /// A rough wall-clock estimate of the measuring (not the builds), from
    /// the run count: each overhead run is warm-up + window + ~2 s to start
    /// and stop a shop; each fidelity run its window + ~10 s to flush and read back.
    pub fn estimate_secs(&self) -> f64 {
        let overhead = self.overhead_runs() as f64;
        let per_run = self.warmup_secs + (self.open_secs + self.closed_secs) / 2.0 + 2.0;
        let (nominal, outage) = self.fidelity_runs();
        // A saturation run per outage config (see runner::saturation_timing: 25 s in full
        // mode, 7 s in quick) and the tail-sampling comparison's two runs (each waits for the
        // collector's decisions and restarts it).
        let saturation = match self.mode {
            Mode::Full => 25.0,
            Mode::Quick => 7.0,
        };
        let tail = if self.backends().iter().any(|b| b == "otel") {
            2.0 * (self.tail_secs + 15.0)
        } else {
            0.0
        };
        // A function process: cargo-lambda's start, the init, its invocations (~0.2 s each in
        // a dev build, a resize and four S3 calls), and stopping both.
        let lambda = (self.lambda_runs() as f64) * (2.0 + 0.2 * (1 + self.lambda_warm) as f64);
        overhead * per_run
            + lambda
            + (nominal + outage) as f64 * (self.fidelity_secs + 10.0)
            + outage as f64 * (saturation + 10.0)
            + tail
    }

    /// The configs of the Lambda functions' chapter: `noop`, `awssdk-100` and `otel-100`
    /// (those of them the plan has): every trace sampled, the backends' default settings.
    pub fn lambda_configs(&self) -> Vec<&TelemetryConfig> {
        self.configs
            .iter()
            .filter(|c| matches!(c.id(), "noop" | "awssdk-100" | "otel-100"))
            .collect()
    }

    /// Function processes the Lambda chapter starts.
    pub fn lambda_runs(&self) -> usize {
        self.lambda_configs().len() * self.lambda_processes
    }

    /// The builds this plan needs: `noop`, `awssdk`, `otel`.
    pub fn backends(&self) -> Vec<String> {
        let mut b: Vec<String> = self
            .configs
            .iter()
            .map(|c| c.backend().to_owned())
            .collect();
        b.dedup();
        b.sort();
        b.dedup();
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_mode_runs_every_overhead_config_at_both_points() {
        let plan = Plan::new(Mode::Full, 42);
        assert_eq!(plan.points, vec![Point::Embedded, Point::Split]);
        let overhead: Vec<&str> = plan
            .configs
            .iter()
            .filter(|c| c.overhead)
            .map(|c| c.id())
            .collect();
        for id in [
            "awssdk-batch5-100",
            "otel-batch64-100",
            "otel-batch2048-100",
            "otel-grpc-100",
        ] {
            assert!(overhead.contains(&id), "{id} is an overhead config");
        }
        // (5 main configs × 3 shapes + 4 sweep configs × 1 shape) × 2 points × 10 repeats.
        assert_eq!(plan.overhead_runs(), 380);
        // Outage (and saturation) runs for awssdk-100 and otel-100 only.
        assert_eq!(plan.fidelity_runs(), (9, 2));
        // What README.md and the Makefile state: about 1 h 15 min of measuring.
        let minutes = plan.estimate_secs() / 60.0;
        assert!((70.0..=80.0).contains(&minutes), "{minutes}");
    }

    #[test]
    fn quick_mode_stays_short() {
        let plan = Plan::new(Mode::Quick, 42);
        assert_eq!(plan.overhead_runs(), 12);
        // A few minutes of measuring (plus the lab's start-up): CI's budget. The Lambda
        // functions' chapter is about half a minute of it (9 processes of 4 invocations).
        assert_eq!(plan.lambda_runs(), 9);
        assert!(plan.estimate_secs() < 270.0, "{}", plan.estimate_secs());
    }

    #[test]
    fn only_can_name_a_config_the_mode_would_not_run() {
        let mut plan = Plan::new(Mode::Quick, 42);
        plan.only(&["otel-grpc-100".to_owned()]);
        let ids: Vec<&str> = plan.configs.iter().map(|c| c.id()).collect();
        assert_eq!(ids, vec!["noop", "otel-grpc-100"]);
    }

    #[test]
    fn points_can_be_restricted_but_not_misspelt() {
        let mut plan = Plan::new(Mode::Full, 42);
        plan.only_points(&["embedded".to_owned()]).unwrap();
        assert_eq!(plan.points, vec![Point::Embedded]);
        assert!(plan.only_points(&["embeded".to_owned()]).is_err());
    }
}
