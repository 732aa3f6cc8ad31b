//! Memory against its two targets, from the raw runs (every repeat's peak
//! RSS per process is in `results.json`, so results made before this table
//! existed render it too):
//!
//! - **T-RSS**: what a backend adds to each shop process over `noop` at
//!   steady load, paired per repeat as the CPU is: repeat *i* of a config
//!   against `noop`'s repeat *i* at the same point and shape, the shop's
//!   summed peak RSS divided by its processes (one embedded, three split).
//!   It is judged at half load, the open-loop rate closest to half of
//!   `noop`'s saturation throughput: there every build serves the same
//!   requests, so the shop's own data (the embedded database's pages, the
//!   carts and orders it holds) grows by as much in each, and what is left
//!   is the backend's. At saturation a faster build also serves more
//!   requests and stores more; that figure is shown beside it;
//! - **T-LAB-RSS**: the whole lab (the shop, the database, the emulators,
//!   the capture receiver, the collector: every process but the load
//!   generator), summed per run, its largest over the point's runs, with
//!   what it is made of.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::View;
use super::text::{self, md};
use crate::results::{LoadRun, ProcessRole, Shape};
use crate::stats::{self, Direction, Estimate, Verdict};

/// T-RSS (docs/targets.md): RSS a backend may add to a shop process, MiB.
pub const RSS_BUDGET_MIB: f64 = 10.0;
/// T-LAB-RSS: the whole lab's RSS at most 1 GB (10⁹ bytes), in MiB.
pub const LAB_BUDGET_MIB: f64 = 1e9 / MIB;

const MIB: f64 = 1024.0 * 1024.0;

/// What a config adds to each shop process at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct RssAdded {
    pub point: String,
    pub config: String,
    /// Shop processes per run (1 embedded, 3 split).
    pub processes: usize,
    /// MiB added per process, paired per repeat against `noop`.
    pub added_mib: Estimate,
}

/// The whole lab at one point.
#[derive(Clone, Debug, PartialEq)]
pub struct LabRss {
    pub point: String,
    /// The point's first run (in run order): the lab before it has stored
    /// anything of this run's load.
    pub first_mib: f64,
    /// The largest sum over the point's runs, and the run's config.
    pub peak_mib: f64,
    pub peak_config: String,
    /// That run's processes, largest first (MiB).
    pub parts: Vec<(String, f64)>,
}

fn shop_kib(run: &LoadRun) -> (u64, usize) {
    let shop = run.processes.iter().filter(|p| p.role == ProcessRole::Shop);
    shop.fold((0, 0), |(kib, n), p| (kib + p.peak_rss_kib, n + 1))
}

/// T-RSS per point and config (not `noop`), in run order, over the runs that `at` keeps (one
/// shape per point: a config's repeats are paired with `noop`'s under the same shape).
pub fn rss_added(runs: &[LoadRun], at: impl Fn(&LoadRun) -> bool) -> Vec<RssAdded> {
    let steady = |r: &&LoadRun| at(r);
    // (point, repeat) → noop's summed shop RSS (KiB).
    let noop: BTreeMap<(&str, usize), u64> = runs
        .iter()
        .filter(steady)
        .filter(|r| r.config == "noop")
        .map(|r| ((r.point.as_str(), r.repeat), shop_kib(r).0))
        .collect();
    let mut order: Vec<(&str, &str)> = Vec::new();
    let mut values: BTreeMap<(&str, &str), (usize, Vec<f64>)> = BTreeMap::new();
    for r in runs.iter().filter(steady).filter(|r| r.config != "noop") {
        let (kib, n) = shop_kib(r);
        let Some(base) = noop.get(&(r.point.as_str(), r.repeat)) else {
            continue;
        };
        if n == 0 {
            continue;
        }
        let key = (r.point.as_str(), r.config.as_str());
        if !order.contains(&key) {
            order.push(key);
        }
        let entry = values.entry(key).or_insert((n, Vec::new()));
        entry
            .1
            .push((kib as f64 - *base as f64) * 1024.0 / MIB / n as f64);
    }
    order
        .into_iter()
        .map(|key| {
            let (processes, v) = &values[&key];
            RssAdded {
                point: key.0.to_owned(),
                config: key.1.to_owned(),
                processes: *processes,
                added_mib: stats::estimate(v),
            }
        })
        .collect()
}

/// The lab's processes in `run` (every one but the load generator), largest first (MiB).
fn lab_parts(run: &LoadRun) -> Vec<(String, f64)> {
    let mut parts: Vec<(String, f64)> = run
        .processes
        .iter()
        .filter(|p| p.role != ProcessRole::Loadgen)
        .map(|p| (p.name.clone(), p.peak_rss_kib as f64 * 1024.0 / MIB))
        .collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    parts
}

/// T-LAB-RSS per point, in run order.
pub fn lab_rss(runs: &[LoadRun]) -> Vec<LabRss> {
    let mut out: Vec<LabRss> = Vec::new();
    for r in runs {
        let parts = lab_parts(r);
        let mib: f64 = parts.iter().map(|(_, m)| m).sum();
        match out.iter_mut().find(|l| l.point == r.point) {
            Some(l) if mib > l.peak_mib => {
                l.peak_mib = mib;
                l.peak_config = r.config.clone();
                l.parts = parts;
            }
            Some(_) => {}
            None => out.push(LabRss {
                point: r.point.clone(),
                first_mib: mib,
                peak_mib: mib,
                peak_config: r.config.clone(),
                parts,
            }),
        }
    }
    out
}

/// Appends the section, if the results have runs with processes.
pub(crate) fn section(o: &mut String, view: &View) {
    let runs = &view.all.runs;
    // Each point's half-load shape (as the latency targets use it).
    let half: BTreeMap<String, Shape> = view
        .points()
        .into_iter()
        .filter_map(|p| {
            let shape = super::markdown::point_shapes(view, &p).1.cloned();
            shape.map(|s| (p, s))
        })
        .collect();
    let at_half = rss_added(runs, |r| half.get(&r.point) == Some(&r.shape));
    let at_saturation = rss_added(runs, |r| matches!(r.shape, Shape::Closed { .. }));
    // Judged at half load; results without open-loop runs are judged at saturation.
    let judged = if at_half.is_empty() {
        &at_saturation
    } else {
        &at_half
    };
    let lab = lab_rss(runs);
    if judged.is_empty() && lab.is_empty() {
        return;
    }
    o.push_str("### Memory\n\n");
    if !judged.is_empty() {
        let _ = writeln!(
            o,
            "**T-RSS**: what a backend adds to each shop process's peak RSS over noop (≤ {} MiB, docs/targets.md) at steady load: each repeat's summed peak RSS of the shop's processes minus noop's in the same repeat at the same point and load, divided by the processes, median over the repeats with its 95 % bootstrap interval. It is judged at half load (the open rate closest to half of noop's saturation throughput), where every build serves the same requests and so stores the same data; at saturation a faster build serves more requests and holds more of the shop's own data, so that column is shown, not judged.\n",
            text::plain(RSS_BUDGET_MIB)
        );
        let _ = writeln!(
            o,
            "| point | config | shop processes | MiB added per process, at half load | met | at saturation |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for a in judged {
            let load = half
                .get(&a.point)
                .filter(|_| !at_half.is_empty())
                .map_or(String::new(), |s| format!(" ({})", s.label()));
            let saturation = at_saturation
                .iter()
                .find(|s| s.point == a.point && s.config == a.config)
                .map_or("–".to_owned(), |s| {
                    text::estimate(&s.added_mib, text::num)
                });
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}{} | {} | {} |",
                md(&a.point),
                md(&a.config),
                a.processes,
                text::estimate(&a.added_mib, text::num),
                load,
                Verdict::of(&a.added_mib, RSS_BUDGET_MIB, Direction::AtMost).label(),
                saturation
            );
        }
        o.push('\n');
    }
    if !lab.is_empty() {
        let _ = writeln!(
            o,
            "**T-LAB-RSS**: the whole lab (every process but the load generator: the shop, the database, the AWS stand-ins, the capture receiver, the collector) at most 1 GB ({} MiB). Each run's sum of peak RSS; *first* is the point's first run, *largest* the largest over its runs (the emulators keep everything stored in memory, so the lab grows with the telemetry of the runs before).\n",
            text::num(LAB_BUDGET_MIB)
        );
        let _ = writeln!(
            o,
            "| point | first run (MiB) | largest (MiB) | in the run of | made of (MiB) | met |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for l in &lab {
            let parts: Vec<String> = l
                .parts
                .iter()
                .map(|(name, mib)| format!("{} {}", md(name), text::num(*mib)))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                md(&l.point),
                text::num(l.first_mib),
                text::num(l.peak_mib),
                md(&l.peak_config),
                parts.join(", "),
                if l.peak_mib <= LAB_BUDGET_MIB {
                    Verdict::Met
                } else {
                    Verdict::Missed
                }
                .label()
            );
        }
        o.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Latency, ProcessUsage};

    fn run(
        point: &str,
        config: &str,
        repeat: usize,
        shape: Shape,
        rss: &[(&str, ProcessRole, u64)],
    ) -> LoadRun {
        let mut r: LoadRun = serde_json::from_value(serde_json::json!({
            "point": point, "config": config, "shape": {"kind": "closed", "concurrency": 16},
            "repeat": repeat, "duration_s": 1.0, "requests": 1, "unexpected": 0,
            "throughput_rps": 1.0, "latency": Latency::default(), "processes": [],
            "stats": {}, "wire": [], "late_sends": 0
        }))
        .expect("a run");
        r.shape = shape;
        r.processes = rss
            .iter()
            .map(|(name, role, mib)| ProcessUsage {
                name: (*name).to_owned(),
                role: *role,
                cpu_s: 0.0,
                peak_rss_kib: mib * 1024,
                busy_cores: 0.0,
                cpus: String::new(),
            })
            .collect();
        r
    }

    const CLOSED: Shape = Shape::Closed { concurrency: 16 };

    fn split(config: &str, repeat: usize, shop: [u64; 3], localstack: u64) -> LoadRun {
        run(
            "split",
            config,
            repeat,
            CLOSED,
            &[
                ("shop-catalog", ProcessRole::Shop, shop[0]),
                ("shop-orders", ProcessRole::Shop, shop[1]),
                ("shop-inventory", ProcessRole::Shop, shop[2]),
                ("localstack", ProcessRole::Sink, localstack),
                ("loadgen", ProcessRole::Loadgen, 500),
            ],
        )
    }

    #[test]
    fn a_backend_is_paired_with_noops_repeat_and_divided_by_its_processes() {
        let runs = vec![
            split("noop", 0, [20, 30, 20], 100),
            split("awssdk-100", 0, [32, 45, 23], 150),
            split("noop", 1, [22, 30, 20], 200),
            split("awssdk-100", 1, [34, 45, 23], 250),
            // An open-loop run is another load: left out of the closed loop's pairs.
            run(
                "split",
                "awssdk-100",
                2,
                Shape::Open { rate: 100.0 },
                &[("shop-orders", ProcessRole::Shop, 900)],
            ),
        ];
        let added = rss_added(&runs, |r| matches!(r.shape, Shape::Closed { .. }));
        assert_eq!(added.len(), 1);
        let a = &added[0];
        assert_eq!(
            (a.point.as_str(), a.config.as_str(), a.processes),
            ("split", "awssdk-100", 3)
        );
        // Repeat 0: 100 − 70 = 30 MiB over 3 processes; repeat 1: 102 − 72, the same.
        assert!((a.added_mib.median - 10.0).abs() < 1e-9, "{a:?}");
        assert_eq!(a.added_mib.ci95, Some((10.0, 10.0)));
        assert_eq!(
            Verdict::of(&a.added_mib, RSS_BUDGET_MIB, Direction::AtMost),
            Verdict::Met
        );
    }

    #[test]
    fn half_load_pairs_runs_of_equal_work_apart_from_saturation() {
        const HALF: Shape = Shape::Open { rate: 500.0 };
        let embedded = |config: &str, shape: Shape, mib: u64| {
            run(
                "embedded",
                config,
                0,
                shape,
                &[("shop", ProcessRole::Shop, mib)],
            )
        };
        let runs = vec![
            // At saturation noop serves more requests and holds more of its own data...
            embedded("noop", CLOSED, 400),
            embedded("otel-100", CLOSED, 330),
            // ...at half load both serve the same requests.
            embedded("noop", HALF, 120),
            embedded("otel-100", HALF, 126),
            embedded("otel-100", Shape::Open { rate: 250.0 }, 999),
        ];
        let half = rss_added(&runs, |r| r.shape == HALF);
        assert_eq!(half.len(), 1);
        assert_eq!(half[0].added_mib.median, 6.0);
        let saturation = rss_added(&runs, |r| r.shape == CLOSED);
        assert_eq!(saturation[0].added_mib.median, -70.0);
    }

    #[test]
    fn the_lab_is_every_process_but_the_load_generator_and_its_largest_run_is_named() {
        let runs = vec![
            split("noop", 0, [20, 30, 20], 100),
            split("awssdk-100", 0, [32, 45, 23], 900),
            split("otel-100", 0, [25, 35, 20], 400),
        ];
        let lab = lab_rss(&runs);
        assert_eq!(lab.len(), 1);
        let l = &lab[0];
        assert_eq!(l.first_mib, 170.0);
        assert_eq!(l.peak_mib, 1000.0);
        assert_eq!(l.peak_config, "awssdk-100");
        assert_eq!(l.parts[0], ("localstack".to_owned(), 900.0));
        assert!(l.parts.iter().all(|(n, _)| n != "loadgen"));
        assert!(l.peak_mib > LAB_BUDGET_MIB, "1000 MiB is more than 1 GB");
    }
}
