//! The commits that moved the numbers: every full `make report` that was
//! committed, its headline figures side by side, and the commits between one
//! run and the next that changed what is measured.
//!
//! The history is data, not prose: `report/history.json`, a list of
//! [`Snapshot`]s rebuilt from git by `shop-experiments history` (every
//! committed version of `report/results.json`, re-read with today's code,
//! so old and new runs are computed the same way) and brought up to date by
//! every whole full run before it renders. Rendering only reads the file, so
//! the same files still give the same REPORT.md.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::View;
use super::markdown::point_shapes;
use super::text;
use crate::results::{Results, Shape};
use crate::stats::{Direction, Estimate, Verdict};

/// The configs the history follows: each backend at 100 % sampling, where
/// the targets are hardest.
const CONFIGS: [&str; 2] = ["awssdk-100", "otel-100"];

/// The operating points, the detail point first.
const POINTS: [&str; 2] = ["split", "embedded"];

/// Paths whose commits can move a figure: the telemetry crates, the
/// harness, and how the lab starts a shop. Other commits between two runs
/// (the shop's features, docs) are counted, not listed.
const MEASURED_PATHS: [&str; 5] = [
    "telemetry-api",
    "telemetry-awssdk",
    "telemetry-otel",
    "experiments/src",
    "scripts/lab/shop.sh",
];

/// One committed full run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The commit that was measured (`meta.commit`, `git describe`).
    pub commit: String,
    /// When the run ended (`meta.generated_at`).
    pub generated_at: String,
    /// CPU model and cores: runs on different machines compare loosely.
    pub machine: String,
    pub repeats: usize,
    pub figures: Vec<Figure>,
    /// Commits between the previous snapshot's commit and this one's that
    /// touched [`MEASURED_PATHS`], oldest first (`abc1234 subject`).
    pub changes: Vec<String>,
    /// Every other commit between the two, counted.
    pub other_commits: usize,
}

/// One target's figure for one config at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// `T-CPU`, `T-THROUGHPUT`, `T-P99`, `T-RSS` or `T-NO-DROP`.
    pub target: String,
    pub point: String,
    pub config: String,
    pub value: Estimate,
}

/// A target as the history shows it.
struct Target {
    id: &'static str,
    what: &'static str,
    /// The bar at a point, and which side of it is good.
    bar: fn(&str) -> (f64, Direction),
    show: fn(f64) -> String,
}

const TARGETS: [Target; 5] = [
    Target {
        id: "T-CPU",
        what: "CPU added per request on the shop's cores at saturation (≤ 10 µs)",
        bar: |_| (10.0, Direction::AtMost),
        show: |us| format!("{} µs", text::num(us)),
    },
    Target {
        id: "T-THROUGHPUT",
        what: "throughput at saturation against noop (≥ 95 % split, ≥ 85 % embedded)",
        bar: |point| {
            let bar = if point == "embedded" { 0.85 } else { 0.95 };
            (bar, Direction::AtLeast)
        },
        show: text::pct,
    },
    Target {
        id: "T-P99",
        what: "p99 added at half load (≤ 0.5 ms)",
        bar: |_| (500.0, Direction::AtMost),
        show: |us| format!("{} ms", text::signed_ms(us)),
    },
    Target {
        id: "T-RSS",
        what: "RSS added per shop process at half load (≤ 10 MiB)",
        bar: |_| (super::memory::RSS_BUDGET_MIB, Direction::AtMost),
        show: |mib| format!("{} MiB", text::num(mib)),
    },
    Target {
        id: "T-NO-DROP",
        what: "spans missing at saturation with healthy sinks (0)",
        bar: |_| (0.0, Direction::AtMost),
        show: |n| format!("{n:.0}"),
    },
];

/// The history's figures of `results` (nothing for a quick run, or for
/// results from before paired estimates).
pub fn figures(results: &Results) -> Vec<Figure> {
    let point = View::detail_point(results);
    let detail = View::only_point(results, &point);
    let view = View::with_points(&detail, results, point);
    let points = view.points();
    let half: Vec<(String, Shape)> = points
        .iter()
        .filter_map(|p| point_shapes(&view, p).1.map(|s| (p.clone(), s.clone())))
        .collect();
    let rss = super::memory::rss_added(&results.runs, |r| {
        half.iter().any(|(p, s)| *p == r.point && *s == r.shape)
    });
    let mut out = Vec::new();
    let mut push = |target: &str, point: &str, config: &str, value: Estimate| {
        out.push(Figure {
            target: target.to_owned(),
            point: point.to_owned(),
            config: config.to_owned(),
            value,
        })
    };
    for point in POINTS.iter().filter(|p| points.iter().any(|q| q == *p)) {
        let (closed, half_shape) = point_shapes(&view, point);
        let summary = |config: &str, shape: Option<&Shape>| {
            let shape = shape?;
            results
                .overhead
                .iter()
                .find(|o| o.point == *point && o.config == config && &o.shape == shape)
        };
        for config in CONFIGS {
            let at_saturation = summary(config, closed);
            if let Some(e) = at_saturation.and_then(|o| o.shop_cpu_us_added) {
                push("T-CPU", point, config, e);
            }
            if let Some(e) = at_saturation.and_then(|o| o.throughput_ratio) {
                push("T-THROUGHPUT", point, config, e);
            }
            if let Some(e) = summary(config, half_shape).and_then(|o| o.added_p99) {
                push("T-P99", point, config, e);
            }
            if let Some(a) = rss.iter().find(|a| a.point == *point && a.config == config) {
                push("T-RSS", point, config, a.added_mib);
            }
        }
    }
    // Saturation fidelity is measured at the split point.
    for config in CONFIGS {
        if let Some(s) = results.saturation.iter().find(|s| s.config == config) {
            let missing = s.spans_missing as f64;
            push(
                "T-NO-DROP",
                "split",
                config,
                Estimate {
                    median: missing,
                    ci95: Some((missing, missing)),
                    n: 1,
                },
            );
        }
    }
    out
}

/// A snapshot of `results`, or `None` when it is not a full run with
/// paired estimates (those are not comparable).
pub fn snapshot(results: &Results) -> Option<Snapshot> {
    let figures = figures(results);
    if results.meta.mode != "full" || !figures.iter().any(|f| f.target == "T-CPU") {
        return None;
    }
    let m = &results.meta.machine;
    Some(Snapshot {
        commit: results.meta.commit.clone(),
        generated_at: results.meta.generated_at.clone(),
        machine: format!("{}, {} cores", m.cpu_model, m.cores),
        repeats: results.meta.plan.repeats,
        figures,
        changes: Vec::new(),
        other_commits: 0,
    })
}

fn git(repo: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    anyhow::ensure!(
        out.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The commit a snapshot measured, as git knows it (`git describe
/// --always --dirty` may end in `-dirty`).
fn revision(commit: &str) -> &str {
    commit.strip_suffix("-dirty").unwrap_or(commit)
}

/// The commits from `earlier` to `later` that touched [`MEASURED_PATHS`],
/// and how many others there were.
fn changes_between(
    repo: &Path,
    earlier: &str,
    later: &str,
) -> anyhow::Result<(Vec<String>, usize)> {
    let range = format!("{}..{}", revision(earlier), revision(later));
    let mut args = vec!["log", "--reverse", "--format=%h %s", range.as_str(), "--"];
    args.extend(MEASURED_PATHS);
    let listed: Vec<String> = git(repo, &args)?.lines().map(str::to_owned).collect();
    let all = git(repo, &["rev-list", "--count", range.as_str()])?
        .trim()
        .parse::<usize>()
        .unwrap_or(0);
    let others = all.saturating_sub(listed.len());
    Ok((listed, others))
}

/// Every committed full run, oldest first, from git's history of
/// `report/results.json`; then `current` (results of a run not committed
/// yet) when it is not the last of them.
pub fn from_git(repo: &Path, current: Option<&Results>) -> anyhow::Result<Vec<Snapshot>> {
    let log = git(
        repo,
        &[
            "log",
            "--reverse",
            "--format=%H",
            "--",
            "report/results.json",
        ],
    )?;
    let mut snapshots: Vec<Snapshot> = Vec::new();
    let add = |s: Snapshot, snapshots: &mut Vec<Snapshot>| -> anyhow::Result<()> {
        // A commit that re-rendered the report keeps the same run.
        if snapshots
            .iter()
            .any(|x| x.commit == s.commit && x.generated_at == s.generated_at)
        {
            return Ok(());
        }
        let mut s = s;
        if let Some(prev) = snapshots.last() {
            (s.changes, s.other_commits) = changes_between(repo, &prev.commit, &s.commit)?;
        }
        snapshots.push(s);
        Ok(())
    };
    for rev in log.lines() {
        let text = git(repo, &["show", &format!("{rev}:report/results.json")])?;
        // Versions too old for today's types are skipped: they are not comparable.
        let Ok(results) = serde_json::from_str::<Results>(&text) else {
            continue;
        };
        if let Some(s) = snapshot(&results) {
            add(s, &mut snapshots)?;
        }
    }
    if let Some(s) = current.and_then(snapshot) {
        add(s, &mut snapshots)?;
    }
    Ok(snapshots)
}

/// Reads `report/history.json` (none: an empty history).
pub fn load(path: &Path) -> Vec<Snapshot> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The section's body: a table per target (a row per run, a column per
/// config and point), then what changed between the runs.
pub fn markdown(history: &[Snapshot]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Every full `make report` that was committed, oldest first, re-read from git with today's code (`shop-experiments history` writes `report/history.json`; a whole full run brings it up to date). Runs on different machines compare loosely: the machine is named with each run. A figure is the median with its 95 % bootstrap interval; the mark is its verdict against the target.\n"
    );
    let columns: Vec<(&str, &str)> = POINTS
        .iter()
        .flat_map(|p| CONFIGS.iter().map(move |c| (*p, *c)))
        .filter(|(p, c)| {
            history
                .iter()
                .flat_map(|s| &s.figures)
                .any(|f| f.point == *p && f.config == *c)
        })
        .collect();
    for t in &TARGETS {
        let cols: Vec<&(&str, &str)> = columns
            .iter()
            .filter(|(p, c)| {
                history
                    .iter()
                    .flat_map(|s| &s.figures)
                    .any(|f| f.target == t.id && f.point == *p && f.config == *c)
            })
            .collect();
        if cols.is_empty() {
            continue;
        }
        let _ = writeln!(o, "**{}**: {}.\n", t.id, t.what);
        let mut head = String::from("| run |");
        let mut rule = String::from("|---|");
        for (p, c) in &cols {
            let _ = write!(head, " {c} {p} |");
            rule.push_str("---|");
        }
        let _ = writeln!(o, "{head}\n{rule}");
        for s in history {
            let mut row = format!("| `{}` {} |", text::md(&s.commit), day(&s.generated_at));
            for (p, c) in &cols {
                let cell = s
                    .figures
                    .iter()
                    .find(|f| f.target == t.id && f.point == *p && f.config == *c)
                    .map_or("–".to_owned(), |f| {
                        let (bar, direction) = (t.bar)(p);
                        let mark = match Verdict::of(&f.value, bar, direction) {
                            Verdict::Met => "✅",
                            Verdict::Missed => "❌",
                            Verdict::Undetermined => "❔",
                        };
                        let shown = if t.id == "T-NO-DROP" {
                            (t.show)(f.value.median)
                        } else {
                            text::estimate(&f.value, t.show)
                        };
                        format!("{shown} {mark}")
                    });
                let _ = write!(row, " {cell} |");
            }
            let _ = writeln!(o, "{row}");
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "**The runs, and the commits between them** (those that touched the telemetry crates, the harness or how the lab starts a shop; the others are counted):\n"
    );
    for (i, s) in history.iter().enumerate() {
        let _ = write!(
            o,
            "- `{}`, {} ({}, {} repeats)",
            text::md(&s.commit),
            day(&s.generated_at),
            text::md(&s.machine),
            s.repeats
        );
        if i == 0 {
            let _ = writeln!(o, ": the first run kept.");
            continue;
        }
        let _ = writeln!(
            o,
            ": since `{}`, {} such commit(s) and {} other(s).",
            text::md(&history[i - 1].commit),
            s.changes.len(),
            s.other_commits
        );
        if !s.changes.is_empty() {
            let _ = writeln!(o, "  <details><summary>the commits</summary>\n");
            for c in &s.changes {
                let _ = writeln!(o, "  - {}", text::md(&shorten(c, 160)));
            }
            let _ = writeln!(o, "\n  </details>");
        }
    }
    o
}

/// `2026-12-05T10:18:28Z` → `2026-12-05`.
fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
