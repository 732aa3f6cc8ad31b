//! What a run of the lab consists of: the telemetry configs under test, the
//! load shapes, durations and repeats. `full` is what `make report` runs;
//! `quick` is the CI smoke run (short durations, the three 100 % configs).

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
}

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
    /// Cargo profile of the shop builds.
    pub profile: &'static str,
    /// How open-loop sessions are spaced (overhead and fidelity runs).
    pub arrivals: Arrivals,
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
            false,
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
            false,
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
                // intervals need repeats (see `crate::stats`), and 150 runs of
                // 2 + 6 s (plus ~2 s to start each shop) keep `make report`
                // near half an hour on the 2-core lab machine.
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
                arrivals: Arrivals::Poisson,
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
                // The same code path as full mode, so CI exercises it.
                arrivals: Arrivals::Poisson,
            },
        }
    }

    /// Keeps only the configs whose id is listed (and `noop`, the baseline).
    pub fn only(&mut self, ids: &[String]) {
        if !ids.is_empty() {
            self.configs
                .retain(|c| c.id() == "noop" || ids.iter().any(|i| i == c.id()));
        }
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
