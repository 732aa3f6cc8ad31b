//! The criterion microbenchmarks, read from criterion's output directory
//! (`target/criterion`): every `…/new/benchmark.json` with its
//! `estimates.json` beside it, whatever the depth (criterion 0.8 nests
//! `<group>/<function>/<value>/new/`). Times are in nanoseconds.

use std::path::Path;

use serde::Deserialize;

/// The span benchmark the targets give a budget (docs/targets.md, T-SPAN): start, 3 attributes, end.
pub const SPAN_BENCH: &str = "start_3_attributes_end";
/// docs/targets.md, T-SPAN: such a span costs at most this, in nanoseconds.
pub const SPAN_BUDGET_NS: f64 = 300.0;
/// The benchmark of a whole request's telemetry when its trace is not
/// sampled (docs/targets.md, T-UNSAMPLED).
pub const UNSAMPLED_BENCH: &str = "request/unsampled";
/// docs/targets.md, T-UNSAMPLED: such a request's telemetry costs at most
/// this, in nanoseconds.
pub const UNSAMPLED_BUDGET_NS: f64 = 2000.0;

/// A target's budget for the benchmarks it applies to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    /// What the target is about, for the targets table.
    pub what: &'static str,
    pub ns: f64,
}

/// One benchmark's median and its confidence interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub full_id: String,
    pub median_ns: f64,
    pub lower_ns: f64,
    pub upper_ns: f64,
    pub confidence: f64,
}

impl Bench {
    /// The target's budget this benchmark is held to, if any.
    pub fn budget(&self) -> Option<Budget> {
        if self.full_id.contains(SPAN_BENCH) {
            Some(Budget {
                what: "a span (start, 3 attributes, end)",
                ns: SPAN_BUDGET_NS,
            })
        } else if self.full_id.starts_with(UNSAMPLED_BENCH) {
            Some(Budget {
                what: "an unsampled request's telemetry",
                ns: UNSAMPLED_BUDGET_NS,
            })
        } else {
            None
        }
    }

    /// Whether the median is within `budget`.
    pub fn within(&self, budget: Budget) -> bool {
        self.median_ns <= budget.ns
    }
}

/// What was found: the benchmarks (sorted by id) and how many result
/// directories could not be read.
#[derive(Clone, Debug, Default)]
pub struct Benches {
    pub benches: Vec<Bench>,
    pub unreadable: usize,
}

#[derive(Deserialize)]
struct BenchmarkJson {
    full_id: String,
}

#[derive(Deserialize)]
struct Interval {
    confidence_level: f64,
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct Estimate {
    confidence_interval: Interval,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

fn read_one(dir: &Path) -> anyhow::Result<Bench> {
    let b: BenchmarkJson = serde_json::from_slice(&std::fs::read(dir.join("benchmark.json"))?)?;
    let e: Estimates = serde_json::from_slice(&std::fs::read(dir.join("estimates.json"))?)?;
    Ok(Bench {
        full_id: b.full_id,
        median_ns: e.median.point_estimate,
        lower_ns: e.median.confidence_interval.lower_bound,
        upper_ns: e.median.confidence_interval.upper_bound,
        confidence: e.median.confidence_interval.confidence_level,
    })
}

fn walk(dir: &Path, depth: usize, out: &mut Benches) {
    // criterion nests at most four levels; the cap guards against loops.
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut dirs: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "new" {
            if d.join("benchmark.json").is_file() {
                match read_one(&d) {
                    Ok(b) => out.benches.push(b),
                    Err(_) => out.unreadable += 1,
                }
            }
        } else if !matches!(name, "base" | "change" | "report") {
            walk(&d, depth + 1, out);
        }
    }
}

/// Every benchmark under `dir`, sorted by id.
pub fn read(dir: &Path) -> Benches {
    let mut out = Benches::default();
    walk(dir, 0, &mut out);
    out.benches.sort_by(|a, b| a.full_id.cmp(&b.full_id));
    out.benches.dedup_by(|a, b| a.full_id == b.full_id);
    out
}
