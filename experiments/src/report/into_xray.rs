//! The report's table of what each path keeps on its way into X-Ray: the awssdk build's
//! segments, the otel build's spans as the collector received them (OTLP at the capture
//! receiver), and the same otel traces as the collector's X-Ray leg stored them in X-Ray.

use std::fmt::Write as _;

use crate::results::{Check, Fidelity, Results};

fn find<'a>(checks: &'a [Check], name: &str) -> Option<&'a Check> {
    checks.iter().find(|c| c.name == name)
}

fn nominal<'a>(r: &'a Results, config: &str) -> Option<&'a Fidelity> {
    r.fidelity
        .iter()
        .find(|f| f.config == config && f.load == "nominal")
}

/// `## What reaches X-Ray`, or nothing when no otel run was read back from X-Ray.
pub(crate) fn section(o: &mut String, r: &Results) {
    let Some(otel) = nominal(r, "otel-100").filter(|f| !f.into_xray.is_empty()) else {
        return;
    };
    let awssdk = nominal(r, "awssdk-100");
    let _ = writeln!(o, "## What reaches X-Ray\n");
    let _ = writeln!(
        o,
        "The same oracle on three views of the nominal runs' traces: the awssdk build's \
         segments as X-Ray stored them; the otel build's spans as the collector passed them on \
         (OTLP, at the capture receiver); and the same otel traces as X-Ray stored them after \
         the collector's X-Ray leg converted them. In this lab that leg is rotel's `aws-xray` \
         exporter, standing in for ADOT's `awsxray`, which cannot be built here \
         (docs/lab.md, \"The collector's AWS exporters cannot be built here\"); what it loses \
         is rotel's conversion, not necessarily awsxray's. The last column is not part of the \
         CI verdict.\n"
    );
    let _ = writeln!(
        o,
        "| check | `awssdk-100` in X-Ray | `otel-100` at the collector (OTLP) | `otel-100` in X-Ray (via the leg) |"
    );
    let _ = writeln!(o, "|---|---|---|---|");
    for c in &otel.into_xray {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            c.name,
            super::markdown::cell(awssdk.and_then(|f| find(&f.checks, &c.name))),
            super::markdown::cell(find(&otel.checks, &c.name)),
            super::markdown::cell(Some(c)),
        );
    }
    let _ = writeln!(o);
}
