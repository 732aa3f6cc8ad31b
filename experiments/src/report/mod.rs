//! `REPORT.md` and its SVG charts, written from [`Results`] alone: every
//! figure in the report comes from `results.json`, nothing is typed in by
//! hand, and the same results always give byte-identical files.
//!
//! | module | what it writes |
//! |---|---|
//! | [`markdown`] | the report's text and tables, section by section |
//! | [`charts`] | the SVG charts (latency by percentile, throughput, cost) |
//! | [`dollars`] | the cost section's dollar tables (per request, fixed monthly, at 10/100/1 000 req/s) |
//! | [`saturation`] | the "fidelity at saturation" table |
//! | [`trace_picture`] | one checkout trace as each backend stored it, side by side (hand-written SVG) |
//! | [`memory`] | what each backend adds to a shop process's RSS (T-RSS), and the whole lab's (T-LAB-RSS) |
//! | [`lambda`] | the Lambda functions' cold start and per-invocation cost per backend |
//! | [`benches`] | the criterion microbenchmarks, read from `target/criterion` |
//! | [`history`] | the committed full runs side by side, and the commits between them (`report/history.json`) |
//! | [`text`] | how numbers look (shared by tables and charts) |

mod async_hops;
mod benches;
mod browser;
mod charts;
mod dollars;
pub mod history;
mod into_xray;
mod lambda;
mod markdown;
mod memory;
mod saturation;
mod tail;
mod text;
mod trace_picture;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use anyhow::Context;

use crate::results::{OverheadSummary, Results, Shape};

/// Writes `report_md` (REPORT.md) and the SVG charts into `assets_dir`
/// (e.g. `report/`), linking the charts relatively. `results.json` is
/// expected in `assets_dir` (the caller saves it) and is linked too.
/// `criterion_dir` (e.g. `target/criterion`), when it exists, adds the
/// microbenchmark table.
pub fn write(
    results: &Results,
    report_md: &Path,
    assets_dir: &Path,
    criterion_dir: Option<&Path>,
) -> anyhow::Result<()> {
    let report_dir = match report_md.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("creating {}", report_dir.display()))?;
    std::fs::create_dir_all(assets_dir)
        .with_context(|| format!("creating {}", assets_dir.display()))?;
    let assets_link = relative_link(&report_dir, assets_dir)?;

    // The detailed sections (per-shape tables, charts, targets) show one
    // operating point, the one the fidelity and cost runs were made at; the
    // headline and the sweep tables show every point.
    let detail_point = View::detail_point(results);
    let detail = View::only_point(results, &detail_point);
    let view = View::with_points(&detail, results, detail_point);
    let charts = charts::render(&view)?;
    for chart in charts.all() {
        let path = assets_dir.join(&chart.file);
        std::fs::write(&path, &chart.svg).with_context(|| format!("writing {}", path.display()))?;
    }
    remove_stale_charts(assets_dir, &charts)?;
    let benches = match criterion_dir {
        Some(dir) if dir.is_dir() => Some(benches::read(dir)),
        _ => None,
    };
    // `make chaos` writes its section beside the results; a report without it says how to get it.
    let chaos = std::fs::read_to_string(assets_dir.join("chaos.md")).ok();
    // So does `make profile`, one JSON file per run.
    let profiles = crate::profile::load_all(&assets_dir.join("profiles"));
    let profile = (!profiles.is_empty()).then(|| crate::profile::markdown(&profiles));
    // And `shop-experiments history` (or a whole full run) the committed runs' figures.
    let runs = history::load(&assets_dir.join("history.json"));
    let history = (!runs.is_empty()).then(|| history::markdown(&runs));
    let md = markdown::render(
        &view,
        &charts,
        benches.as_ref(),
        Sections {
            chaos: chaos.as_deref(),
            profile: profile.as_deref(),
            history: history.as_deref(),
        },
        &assets_link,
    );
    std::fs::write(report_md, md).with_context(|| format!("writing {}", report_md.display()))?;
    Ok(())
}

/// The sections other commands wrote beside the results (Markdown), each
/// `None` when that command has not been run.
pub(crate) struct Sections<'a> {
    /// `make chaos`: `report/chaos.md`.
    pub chaos: Option<&'a str>,
    /// `make profile`: every `report/profiles/*.json`.
    pub profile: Option<&'a str>,
    /// `shop-experiments history`: `report/history.json`.
    pub history: Option<&'a str>,
}

/// Removes charts of ours that this rendering did not write (a shape or a
/// section the previous results had and these do not), so the assets
/// directory always matches the report.
fn remove_stale_charts(assets_dir: &Path, charts: &charts::Charts) -> anyhow::Result<()> {
    let written: BTreeSet<&str> = charts.all().map(|c| c.file.as_str()).collect();
    let entries = std::fs::read_dir(assets_dir)
        .with_context(|| format!("listing {}", assets_dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with("latency-") && name.ends_with(".svg"))
            || charts::FIXED_FILES.contains(&name.as_str());
        if ours && !written.contains(name.as_str()) && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("removing {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// The link prefix from the report's directory to the assets directory,
/// with `/` separators (`report`, `../report`, `.`).
fn relative_link(from_dir: &Path, to_dir: &Path) -> anyhow::Result<String> {
    let from = from_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", from_dir.display()))?;
    let to = to_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", to_dir.display()))?;
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// A telemetry config as the report shows it: in plan order, with its colour.
#[derive(Clone, Debug)]
pub(crate) struct ConfigView {
    pub id: String,
    pub backend: String,
    /// Trace sampling share, when the plan names the config.
    pub sampling: Option<f64>,
    /// Fill and stroke colour in every chart (`#rrggbb`).
    pub color: &'static str,
    /// Not the backend's first config: its lines are dashed, so it stays
    /// distinct from its sibling where shades are hard to tell apart.
    pub dashed: bool,
}

/// One fixed hue per backend (colour-blind-safe: grey, orange and blue
/// never collide), darkest for the first config of the backend in plan
/// order, lighter for the next ones (the 5 % and other variants).
fn palette(backend: &str) -> &'static [&'static str] {
    match backend {
        "noop" => &["#6e6e6e", "#a6a6a6", "#cccccc"],
        "awssdk" => &["#e66100", "#f5a04f", "#a84700", "#f9c896"],
        "otel" => &["#1f5fa8", "#5fa8dc", "#0b3a6e", "#a3cdee"],
        _ => &["#1b9e77", "#7fcdb0", "#0d5e46", "#b8e6d4"],
    }
}

/// The results, ordered and coloured once for every section and chart.
pub(crate) struct View<'a> {
    /// The results of the detail point only (see [`View::detail_point`]).
    pub r: &'a Results,
    /// Every operating point's results.
    pub all: &'a Results,
    /// The operating point `r` holds (`split` for results older than the points).
    pub point: String,
    pub configs: Vec<ConfigView>,
    /// Shapes measured, saturation first, then the open-loop rates ascending.
    pub shapes: Vec<Shape>,
}

impl<'a> View<'a> {
    /// The point the detailed sections show: `split` when it was measured
    /// (fidelity and cost are made there, and older results have only it),
    /// else the first one measured.
    pub fn detail_point(r: &Results) -> String {
        let points: Vec<&String> = r.runs.iter().map(|x| &x.point).collect();
        if points.is_empty() || points.iter().any(|p| *p == "split") {
            "split".to_owned()
        } else {
            points[0].clone()
        }
    }

    /// `r` with only the overhead runs and summaries of `point`.
    pub fn only_point(r: &Results, point: &str) -> Results {
        let mut out = r.clone();
        out.runs.retain(|x| x.point == point);
        out.overhead.retain(|x| x.point == point);
        out
    }

    /// The operating points in `all`, in run order (the plan's, else as found).
    pub fn points(&self) -> Vec<String> {
        let mut points = self.all.meta.plan.points.clone();
        for p in self.all.overhead.iter().map(|o| &o.point) {
            if !points.contains(p) {
                points.push(p.clone());
            }
        }
        points.retain(|p| self.all.overhead.iter().any(|o| &o.point == p));
        points
    }

    /// A view whose detailed sections show `r` (one point) and whose
    /// per-point tables read `all`.
    pub fn with_points(r: &'a Results, all: &'a Results, point: String) -> View<'a> {
        let mut seen = BTreeSet::new();
        let mut ids: Vec<(String, String, Option<f64>)> = Vec::new();
        for c in &r.meta.plan.configs {
            if seen.insert(c.id.clone()) {
                ids.push((c.id.clone(), c.backend.clone(), Some(c.sampling)));
            }
        }
        let others = r
            .runs
            .iter()
            .map(|x| &x.config)
            .chain(r.overhead.iter().map(|x| &x.config))
            .chain(r.fidelity.iter().map(|x| &x.config))
            .chain(r.cost.iter().map(|x| &x.config));
        for id in others {
            if seen.insert(id.clone()) {
                // Not in the plan: guess the backend from the id's first word.
                let backend = id.split('-').next().unwrap_or(id).to_owned();
                ids.push((id.clone(), backend, None));
            }
        }
        let mut used: Vec<(String, usize)> = Vec::new();
        let configs = ids
            .into_iter()
            .map(|(id, backend, sampling)| {
                let n = match used.iter_mut().find(|(b, _)| *b == backend) {
                    Some((_, n)) => {
                        *n += 1;
                        *n - 1
                    }
                    None => {
                        used.push((backend.clone(), 1));
                        0
                    }
                };
                let colors = palette(&backend);
                ConfigView {
                    color: colors[n % colors.len()],
                    dashed: n > 0,
                    id,
                    backend,
                    sampling,
                }
            })
            .collect();

        let mut shapes: Vec<Shape> = Vec::new();
        for s in r
            .overhead
            .iter()
            .map(|o| &o.shape)
            .chain(r.runs.iter().map(|x| &x.shape))
        {
            if !shapes.contains(s) {
                shapes.push(s.clone());
            }
        }
        shapes.sort_by(|a, b| shape_key(a).total_cmp(&shape_key(b)));
        View {
            r,
            all,
            point,
            configs,
            shapes,
        }
    }

    pub fn config(&self, id: &str) -> Option<&ConfigView> {
        self.configs.iter().find(|c| c.id == id)
    }

    pub fn overhead(&self, config: &str, shape: &Shape) -> Option<&'a OverheadSummary> {
        self.r
            .overhead
            .iter()
            .find(|o| o.config == config && &o.shape == shape)
    }

    /// The configs that have an overhead summary under `shape`, in order.
    pub fn overhead_rows(&self, shape: &Shape) -> Vec<(&ConfigView, &'a OverheadSummary)> {
        self.configs
            .iter()
            .filter_map(|c| self.overhead(&c.id, shape).map(|o| (c, o)))
            .collect()
    }

    /// The saturation shape, if one was measured.
    pub fn closed(&self) -> Option<&Shape> {
        self.shapes
            .iter()
            .find(|s| matches!(s, Shape::Closed { .. }))
    }

    /// `noop`'s median throughput at saturation.
    pub fn noop_saturation(&self) -> Option<f64> {
        let closed = self.closed()?;
        self.overhead("noop", closed)
            .map(|o| o.throughput_rps.median)
            .filter(|t| *t > 0.0)
    }

    /// An open-loop rate as a share of `noop`'s saturation throughput.
    pub fn load_share(&self, shape: &Shape) -> Option<f64> {
        match shape {
            Shape::Open { rate } => self.noop_saturation().map(|t| rate / t),
            Shape::Closed { .. } => None,
        }
    }

    /// The targets' "half load" (docs/targets.md): the open-loop rate closest to half of
    /// `noop`'s saturation throughput; the lowest open rate when there is
    /// no saturation run to compare with. The text says which rule applied.
    pub fn half_load(&self) -> Option<(&Shape, String)> {
        let open: Vec<&Shape> = self
            .shapes
            .iter()
            .filter(|s| matches!(s, Shape::Open { .. }))
            .collect();
        let first = *open.first()?;
        match self.noop_saturation() {
            Some(_) => {
                let best = open
                    .iter()
                    .min_by(|a, b| {
                        let da = (self.load_share(a).unwrap_or(0.0) - 0.5).abs();
                        let db = (self.load_share(b).unwrap_or(0.0) - 0.5).abs();
                        da.total_cmp(&db)
                    })
                    .copied()
                    .unwrap_or(first);
                let share = self.load_share(best).unwrap_or(0.0);
                Some((
                    best,
                    format!(
                        "{} ({} of noop's saturation throughput: the open rate closest to half of it)",
                        best.label(),
                        text::pct(share)
                    ),
                ))
            }
            None => Some((
                first,
                format!(
                    "{} (the lowest open rate, taken as half load: no noop saturation run to compare with)",
                    first.label()
                ),
            )),
        }
    }
}

/// Sort key of a shape: saturation first, then open-loop rates ascending.
fn shape_key(s: &Shape) -> f64 {
    match s {
        Shape::Closed { concurrency } => -1.0 / (*concurrency as f64 + 1.0),
        Shape::Open { rate } => *rate,
    }
}
