//! The trace picture: the same kind of request (a checkout) drawn as each
//! backend stored it, side by side — awssdk's X-Ray segments and
//! subsegments, and otel's spans (from X-Ray when the otel build's traces
//! reach it; otherwise from the OTLP capture receiver, and the panel says
//! so). Each node is a row: its name indented by depth, and a bar from its
//! start to its end on the trace's own time axis.
//!
//! Hand-written SVG text (plotters draws charts with axes; this is a tree):
//! fixed sizes, no fonts embedded, the same results give the same bytes.

use std::fmt::Write;

use super::View;
use super::charts::{Chart, Charts};
use super::text::{self, md};
use crate::results::{Fidelity, TracePicture};

const PANEL: f64 = 620.0;
const LABEL: f64 = 310.0;
const ROW: f64 = 18.0;
const TOP: f64 = 58.0;
/// Paul Tol's "muted" colours, one per service.
const SERVICES: [(&str, &str); 3] = [
    ("catalog", "#88CCEE"),
    ("orders", "#CC6677"),
    ("inventory", "#DDCC77"),
];

/// The nominal runs with a picture: the first per backend, awssdk first.
fn panels<'a>(view: &View<'a>) -> Vec<(&'a Fidelity, &'a TracePicture)> {
    let mut out: Vec<(&Fidelity, &TracePicture)> = Vec::new();
    for backend in ["awssdk", "otel"] {
        if let Some(f) = view.r.fidelity.iter().find(|f| {
            f.load == "nominal"
                && f.picture.is_some()
                && view
                    .config(&f.config)
                    .map_or(f.config.starts_with(backend), |c| c.backend == backend)
        }) {
            out.push((f, f.picture.as_ref().expect("filtered")));
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn color(service: &str) -> &'static str {
    SERVICES
        .iter()
        .find(|(s, _)| *s == service)
        .map_or("#BBBBBB", |(_, c)| c)
}

/// The picture as an SVG, `None` when no run kept one.
pub(crate) fn chart(view: &View, file: &str) -> Option<Chart> {
    let panels = panels(view);
    if panels.is_empty() {
        return None;
    }
    let rows = panels.iter().map(|(_, p)| p.nodes.len()).max().unwrap_or(0) as f64;
    let width = PANEL * panels.len() as f64;
    let height = TOP + ROW * rows + 40.0;
    let title = "One checkout trace as each backend stored it".to_owned();
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
    );
    for (n, (f, p)) in panels.iter().enumerate() {
        let x0 = PANEL * n as f64;
        let end = p
            .nodes
            .iter()
            .map(|s| s.start_ms + s.duration_ms)
            .fold(0.0f64, f64::max)
            .max(1e-3);
        let scale = (PANEL - LABEL - 20.0) / end;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="18" font-size="14" font-weight="bold">{}</text>"#,
            x0 + 10.0,
            escape(&f.config)
        );
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="34" font-size="11" fill="#444444">{}</text>"##,
            x0 + 10.0,
            escape(&p.store)
        );
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="48" font-size="10" fill="#666666">trace {} · 0 – {} ms</text>"##,
            x0 + 10.0,
            escape(&p.trace_id),
            text::num(end)
        );
        for (i, node) in p.nodes.iter().enumerate() {
            let y = TOP + ROW * i as f64;
            let label = format!("{} ({})", node.name, node.kind);
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{}" font-size="11">{}</text>"#,
                x0 + 10.0 + 12.0 * node.depth as f64,
                y + 12.0,
                escape(&label)
            );
            let bar_x = x0 + LABEL + node.start_ms * scale;
            let bar_w = (node.duration_ms * scale).max(1.0);
            let stroke = if node.depth == 0 || node.kind == "segment" || node.kind == "server" {
                r##" stroke="#333333" stroke-width="1""##
            } else {
                ""
            };
            let _ = writeln!(
                svg,
                r#"<rect x="{bar_x:.1}" y="{}" width="{bar_w:.1}" height="{}" fill="{}"{stroke}><title>{} {} ms</title></rect>"#,
                y + 3.0,
                ROW - 6.0,
                color(&node.service),
                escape(&node.name),
                text::num(node.duration_ms)
            );
        }
    }
    let ly = TOP + ROW * rows + 20.0;
    for (j, (service, c)) in SERVICES.iter().enumerate() {
        let x = 10.0 + 120.0 * j as f64;
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{c}"/><text x="{}" y="{}" font-size="11">shop-{service}</text>"#,
            ly - 10.0,
            x + 16.0,
            ly
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{ly}" font-size="11" fill="#444444">outlined: a segment (X-Ray) or server span (OTLP)</text>"##,
        10.0 + 120.0 * SERVICES.len() as f64
    );
    svg.push_str("</svg>\n");
    Some(Chart {
        file: file.to_owned(),
        title,
        svg,
    })
}

/// Appends the "Trace as stored" subsection.
pub(crate) fn section(o: &mut String, view: &View, charts: &Charts, assets: &str) {
    let Some(chart) = &charts.trace else {
        return;
    };
    let panels = panels(view);
    o.push_str("### One checkout as each backend stored it\n\n");
    let _ = writeln!(
        o,
        "The same step of the scenario (a checkout whose every span arrived), read back from each sink and drawn as a tree: names indented by depth, bars on the trace's own time axis (each panel has its own scale). Where each panel was read:\n"
    );
    for (f, p) in &panels {
        let _ = writeln!(
            o,
            "- **{}**: {}, trace `{}`, {} nodes.",
            md(&f.config),
            md(&p.store),
            p.trace_id,
            p.nodes.len()
        );
    }
    o.push('\n');
    let link = if assets == "." {
        chart.file.clone()
    } else {
        format!("{assets}/{}", chart.file)
    };
    let _ = writeln!(o, "![{}]({link})\n", md(&chart.title));
}
