//! The report's SVG charts, drawn with `plotters`' SVG backend only (no
//! `ttf`/`ab_glyph`): text goes into the SVG as `<text font-family="sans-serif">`
//! elements that the viewer lays out, so no font file or system font is
//! needed where the report is generated (CI's fresh machine included), and
//! the same results give byte-identical files (no timestamps, no ids).
//! Every chart is a plain SVG with `width`, `height` and `viewBox`, which
//! GitHub shows inline.
//!
//! Colours: one hue per backend (noop grey, awssdk orange, otel blue;
//! lighter shades for the other configs of a backend, see
//! [`super::palette`]); cost items use Paul Tol's colour-blind-safe "muted"
//! set.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::text;
use super::{ConfigView, View};
use crate::results::Shape;

/// One SVG file of the report.
pub(crate) struct Chart {
    /// File name inside the assets directory.
    pub file: String,
    /// What it shows (the image's alt text).
    pub title: String,
    pub svg: String,
}

/// The charts a set of results has (a chart without data is left out).
#[derive(Default)]
pub(crate) struct Charts {
    /// Latency by percentile, one per load shape.
    pub latency: Vec<(Shape, Chart)>,
    /// Throughput at saturation.
    pub throughput: Option<Chart>,
    /// Dollars per million requests, by item.
    pub cost: Option<Chart>,
    /// One checkout trace as each backend stored it (see [`super::trace_picture`]).
    pub trace: Option<Chart>,
}

impl Charts {
    pub fn all(&self) -> impl Iterator<Item = &Chart> {
        self.latency
            .iter()
            .map(|(_, c)| c)
            .chain(self.throughput.iter())
            .chain(self.cost.iter())
            .chain(self.trace.iter())
    }

    pub fn latency_for(&self, shape: &Shape) -> Option<&Chart> {
        self.latency
            .iter()
            .find(|(s, _)| s == shape)
            .map(|(_, c)| c)
    }
}

pub(crate) fn render(view: &View) -> anyhow::Result<Charts> {
    let mut charts = Charts::default();
    for shape in &view.shapes {
        if let Some(c) = latency(view, shape)? {
            charts.latency.push((shape.clone(), c));
        }
    }
    charts.throughput = throughput(view)?;
    charts.cost = cost(view)?;
    charts.trace = super::trace_picture::chart(view, FIXED_FILES[2]);
    Ok(charts)
}

/// The chart files whose names do not depend on the results.
pub(crate) const FIXED_FILES: [&str; 3] = ["throughput.svg", "cost.svg", "trace.svg"];

const WIDTH: u32 = 800;
const LEGEND_WIDTH: u32 = 170;
const BAR_ROW: u32 = 34;
/// Room above the top bar of the throughput chart, in rows, for the 95 % line's label.
const HEADROOM: f64 = 0.6;

/// Paul Tol's "muted" qualitative scheme (colour-blind safe), for cost items.
const ITEM_COLORS: [&str; 9] = [
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255",
    "#aa4499",
];

fn rgb(hex: &str) -> RGBColor {
    let h = hex.trim_start_matches('#');
    let c = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    RGBColor(c(0), c(2), c(4))
}

/// A sans-serif style of `px` pixels (plotters' SVG backend writes
/// `size / 1.24` as the font size).
fn font(px: f64) -> TextStyle<'static> {
    TextStyle::from(("sans-serif", px * 1.24).into_font()).color(&BLACK)
}

fn left(px: f64) -> TextStyle<'static> {
    font(px).pos(Pos::new(HPos::Left, VPos::Center))
}

/// A linear axis with the ticks we choose. (plotters' `with_key_points`
/// wrapper over an `f64` range cannot draw a mesh: it has no default label
/// format; ours has, and every label goes through our formatter anyway.)
#[derive(Clone)]
struct Axis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(range: Range<f64>, ticks: Vec<f64>) -> Axis {
        Axis { range, ticks }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let t = if span > 0.0 {
            (value - self.range.start) / span
        } else {
            0.0
        };
        limit.0 + (f64::from(limit.1 - limit.0) * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

fn plot_error<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing a chart: {e}")
}

/// Tick values in the 1-2-5 sequence covering `lo..=hi` (both > 0), first
/// ≤ lo and last ≥ hi; decades only when that would be too many ticks.
fn ticks_125(lo: f64, hi: f64) -> Vec<f64> {
    let (lo, hi) = (lo.min(hi), hi.max(lo));
    let seq = |steps: &[f64]| -> Vec<f64> {
        let mut out = Vec::new();
        let mut decade = 10f64.powf(lo.log10().floor() - 1.0);
        'outer: for _ in 0..40 {
            for s in steps {
                let v = decade * s;
                if v * (1.0 + 1e-9) >= hi {
                    out.push(v);
                    break 'outer;
                }
                out.push(v);
            }
            decade *= 10.0;
        }
        // Keep from the last value ≤ lo.
        let start = out
            .iter()
            .rposition(|v| *v <= lo * (1.0 + 1e-9))
            .unwrap_or(0);
        out.split_off(start)
    };
    let t = seq(&[1.0, 2.0, 5.0]);
    if t.len() > 10 { seq(&[1.0]) } else { t }
}

/// Percentile axis: the position of quantile q is -log10(1 - q) ("nines").
const NINES: [(f64, &str); 7] = [
    (0.0, "0"),
    (std::f64::consts::LOG10_2, "50"),
    (1.0, "90"),
    (2.0, "99"),
    (3.0, "99.9"),
    (4.0, "99.99"),
    (5.0, "99.999"),
];

fn nines_label(x: f64) -> String {
    NINES
        .iter()
        .find(|(v, _)| (v - x).abs() < 1e-9)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_default()
}

/// CDF points as (nines, log10 ms), in order; the max (q = 1) and empty
/// bins are left out, since a log axis cannot show them.
fn spectrum(cdf: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = cdf
        .iter()
        .filter(|(q, us)| q.is_finite() && *q >= 0.0 && *q < 1.0 && us.is_finite() && *us > 0.0)
        .map(|(q, us)| ((-(1.0 - q).log10()).clamp(0.0, 5.0), (us / 1000.0).log10()))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    pts
}

/// The legend beside a chart: a line in the config's colour, its id.
fn legend(area: &DrawingArea<SVGBackend, Shift>, configs: &[&ConfigView]) -> anyhow::Result<()> {
    for (i, c) in configs.iter().enumerate() {
        let y = 56 + 24 * i as i32;
        let style = rgb(c.color).stroke_width(3);
        let pts = vec![(6, y), (36, y)];
        if c.dashed {
            area.draw(&DashedPathElement::new(pts, 7, 4, style))
        } else {
            area.draw(&PathElement::new(pts, style))
        }
        .map_err(plot_error)?;
        area.draw(&Text::new(c.id.clone(), (42, y), left(13.0)))
            .map_err(plot_error)?;
    }
    Ok(())
}

/// Latency by percentile ("percentile spectrum") under one load shape:
/// x is the percentile on a scale that gives 90→99→99.9 equal room, so the
/// tail, where telemetry overhead shows, is not squashed into a corner;
/// y is the latency in ms on a log scale.
fn latency(view: &View, shape: &Shape) -> anyhow::Result<Option<Chart>> {
    let series: Vec<(&ConfigView, Vec<(f64, f64)>)> = view
        .overhead_rows(shape)
        .into_iter()
        .map(|(c, o)| (c, spectrum(&o.cdf)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let all = series.iter().flat_map(|(_, p)| p.iter());
    let x_top = all
        .clone()
        .map(|p| p.0)
        .fold(0.0f64, f64::max)
        .ceil()
        .clamp(2.0, 5.0);
    let y_lo = all.clone().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_hi = all.map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let ticks: Vec<f64> = ticks_125(10f64.powf(y_lo), 10f64.powf(y_hi))
        .into_iter()
        .map(f64::log10)
        .collect();
    let (y0, y1) = (
        ticks.first().copied().unwrap_or(y_lo),
        ticks.last().copied().unwrap_or(y_hi),
    );
    let (y0, y1) = if y1 > y0 {
        (y0, y1)
    } else {
        (y0 - 1.0, y0 + 1.0)
    };
    let x_ticks: Vec<f64> = NINES
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| *v <= x_top)
        .collect();

    let title = format!("Latency by percentile, {}", shape.label());
    let height = 460;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&title, font(16.0))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(Axis::new(0.0..x_top, x_ticks), Axis::new(y0..y1, ticks))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| nines_label(*x))
            .y_label_formatter(&|y| text::sig(10f64.powf(*y), 1))
            .x_desc("percentile (%): each step right is ten times rarer")
            .y_desc("latency (ms, log scale)")
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
            .draw()
            .map_err(plot_error)?;
        for (c, pts) in &series {
            let style = rgb(c.color).stroke_width(2);
            if c.dashed {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    pts.clone(),
                    7,
                    4,
                    style,
                )))
            } else {
                chart.draw_series(std::iter::once(PathElement::new(pts.clone(), style)))
            }
            .map_err(plot_error)?;
        }
        let configs: Vec<&ConfigView> = series.iter().map(|(c, _)| *c).collect();
        legend(&side, &configs)?;
        root.present().map_err(plot_error)?;
    }
    Ok(Some(Chart {
        file: format!("latency-{}.svg", text::slug(&shape.label())),
        title,
        svg,
    }))
}

/// The row axis of a horizontal bar chart: one bar per config, the first
/// at the top, labelled with the config's id.
struct Bars {
    ids: Vec<String>,
}

impl Bars {
    fn new(ids: Vec<String>) -> Bars {
        Bars { ids }
    }

    /// The centre of row `i`.
    fn y(&self, i: usize) -> f64 {
        (self.ids.len() - i) as f64 - 0.5
    }

    fn ticks(&self) -> Vec<f64> {
        (0..self.ids.len()).map(|i| i as f64 + 0.5).collect()
    }

    /// The id of the row whose centre is at `y`.
    fn label(&self, y: f64) -> String {
        let i = (self.ids.len() as f64 - 0.5 - y).round();
        if i >= 0.0 && (i as usize) < self.ids.len() {
            self.ids[i as usize].clone()
        } else {
            String::new()
        }
    }

    /// Room for the longest id.
    fn label_width(&self) -> u32 {
        16 + 8 * self.ids.iter().map(String::len).max().unwrap_or(4) as u32
    }
}

/// Throughput at saturation: a bar per config (median) with a min–max
/// whisker, and a dashed line at 95 % of `noop` (the throughput target's bar for 100 %
/// sampling).
fn throughput(view: &View) -> anyhow::Result<Option<Chart>> {
    let Some(shape) = view.closed() else {
        return Ok(None);
    };
    let rows = view.overhead_rows(shape);
    if rows.is_empty() {
        return Ok(None);
    }
    let n = rows.len();
    let x_hi = rows
        .iter()
        .map(|(_, o)| o.throughput_rps.max.max(o.throughput_rps.median))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.3;
    let repeats = rows.iter().map(|(_, o)| o.repeats).max().unwrap_or(1);
    let noop = view.noop_saturation();
    let bars = Bars::new(rows.iter().map(|(c, _)| c.id.clone()).collect());

    let title = format!("Throughput at saturation, {}", shape.label());
    let height = 110 + BAR_ROW * n as u32 + 20;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&title, font(16.0))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(bars.label_width())
            .build_cartesian_2d(0.0..x_hi, Axis::new(0.0..n as f64 + HEADROOM, bars.ticks()))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&|y| bars.label(*y))
            .x_label_formatter(&|x| text::num(*x))
            .x_desc(format!(
                "requests per second (bar: median; whisker: min–max over {repeats} repeat{})",
                if repeats == 1 { "" } else { "s" }
            ))
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(plot_error)?;
        for (i, (c, o)) in rows.iter().enumerate() {
            let y = bars.y(i);
            let t = &o.throughput_rps;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(0.0, y - 0.3), (t.median, y + 0.3)],
                    rgb(c.color).filled(),
                )))
                .map_err(plot_error)?;
            let whisker = BLACK.stroke_width(1);
            chart
                .draw_series([
                    PathElement::new(vec![(t.min, y), (t.max, y)], whisker),
                    PathElement::new(vec![(t.min, y - 0.15), (t.min, y + 0.15)], whisker),
                    PathElement::new(vec![(t.max, y - 0.15), (t.max, y + 0.15)], whisker),
                ])
                .map_err(plot_error)?;
            let label = if c.id == "noop" {
                format!("{} req/s", text::rps(t.median))
            } else {
                format!(
                    "{} req/s · {} of noop",
                    text::rps(t.median),
                    text::pct(o.throughput_vs_noop)
                )
            };
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((t.max.max(t.median), y))
                        + Text::new(label, (8, 0), left(12.0)),
                ))
                .map_err(plot_error)?;
        }
        if let Some(noop) = noop {
            let x = 0.95 * noop;
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(x, 0.0), (x, n as f64 + HEADROOM)],
                    5,
                    4,
                    RGBColor(80, 80, 80).stroke_width(1),
                )))
                .map_err(plot_error)?;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x, n as f64 + HEADROOM))
                        + Text::new(
                            "95 % of noop".to_owned(),
                            (5, 2),
                            font(11.0).pos(Pos::new(HPos::Left, VPos::Top)),
                        ),
                ))
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(Some(Chart {
        file: FIXED_FILES[0].to_owned(),
        title,
        svg,
    }))
}

/// Dollars per million shop requests at [`crate::cost::REFERENCE_RATE`]
/// requests/s (fixed monthly items spread over that rate's requests): a
/// stacked bar per config, one segment per billed item, the total at the
/// end, the items below.
fn cost(view: &View) -> anyhow::Result<Option<Chart>> {
    let rows: Vec<(&ConfigView, &crate::results::Cost)> = view
        .configs
        .iter()
        .filter_map(|c| {
            view.r
                .cost
                .iter()
                .find(|k| k.config == c.id)
                .map(|k| (c, k))
        })
        .collect();
    if rows.is_empty() {
        return Ok(None);
    }
    let mut items: Vec<&str> = Vec::new();
    for (_, k) in &rows {
        for i in &k.items {
            if !items.contains(&i.item.as_str()) {
                items.push(&i.item);
            }
        }
    }
    let n = rows.len();
    let rate = crate::cost::REFERENCE_RATE;
    let total = |k: &crate::results::Cost| {
        let sum: f64 = k
            .items
            .iter()
            .map(|i| i.usd_per_million_at(rate).max(0.0))
            .sum();
        sum.max(k.total_usd_per_million)
    };
    let x_hi = rows
        .iter()
        .map(|(_, k)| total(k))
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 1.2;
    let bars = Bars::new(rows.iter().map(|(c, _)| c.id.clone()).collect());

    let title = format!("Cost per million shop requests at {rate} requests/s, by item");
    let legend_height = 16 + 22 * items.len() as u32;
    let plot_height = 110 + BAR_ROW * n as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, plot_height + legend_height))
            .into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (plot, below) = root.split_vertically(plot_height);
        let mut chart = ChartBuilder::on(&plot)
            .caption(&title, font(16.0))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(bars.label_width())
            .build_cartesian_2d(0.0..x_hi, Axis::new(0.0..n as f64, bars.ticks()))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&|y| bars.label(*y))
            .x_label_formatter(&|x| text::usd(*x))
            .x_desc("USD per million shop requests")
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .bold_line_style(RGBColor(0, 0, 0).mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(plot_error)?;
        for (i, (_, k)) in rows.iter().enumerate() {
            let y = bars.y(i);
            let mut x = 0.0;
            for (j, name) in items.iter().enumerate() {
                let usd: f64 = k
                    .items
                    .iter()
                    .filter(|it| it.item == *name)
                    .map(|it| it.usd_per_million_at(rate).max(0.0))
                    .sum();
                if usd > 0.0 {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x, y - 0.3), (x + usd, y + 0.3)],
                            rgb(ITEM_COLORS[j % ITEM_COLORS.len()]).filled(),
                        )))
                        .map_err(plot_error)?;
                    x += usd;
                }
            }
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x, y))
                        + Text::new(text::usd(k.total_usd_per_million), (8, 0), left(12.0)),
                ))
                .map_err(plot_error)?;
        }
        for (j, name) in items.iter().enumerate() {
            let y = 10 + 22 * j as i32;
            below
                .draw(&Rectangle::new(
                    [(24, y), (38, y + 14)],
                    rgb(ITEM_COLORS[j % ITEM_COLORS.len()]).filled(),
                ))
                .map_err(plot_error)?;
            below
                .draw(&Text::new((*name).to_owned(), (46, y + 7), left(12.0)))
                .map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(Some(Chart {
        file: FIXED_FILES[1].to_owned(),
        title,
        svg,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_follow_1_2_5() {
        let t = ticks_125(0.3, 4.0);
        assert_eq!(t.len(), 5, "{t:?}");
        assert!(
            (t[0] - 0.2).abs() < 1e-12 && (t[4] - 5.0).abs() < 1e-12,
            "{t:?}"
        );
        let t = ticks_125(0.01, 10_000.0);
        assert!(t.len() <= 10, "{t:?}");
        assert!(t[0] <= 0.01 && *t.last().unwrap() >= 10_000.0);
    }

    #[test]
    fn spectrum_puts_the_tail_on_nines() {
        let p = spectrum(&[(0.0, 100.0), (0.99, 1000.0), (1.0, 5000.0), (0.9, 0.0)]);
        assert_eq!(p.len(), 2);
        assert!((p[1].0 - 2.0).abs() < 1e-9 && p[1].1.abs() < 1e-9);
        assert_eq!(nines_label(2.0), "99");
    }
}
