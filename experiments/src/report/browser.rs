//! The report's section on the browser (see [`crate::browser`]).

use std::fmt::Write as _;

use crate::browser::{BrowserRow, LCP_BUDGET_MS, median};

fn range(values: &[f64]) -> String {
    let lo = values.iter().copied().reduce(f64::min);
    let hi = values.iter().copied().reduce(f64::max);
    match (median(values), lo, hi) {
        (Some(m), Some(lo), Some(hi)) => format!("{m:.0} ({lo:.0}–{hi:.0})"),
        _ => "n/a".to_owned(),
    }
}

fn share(part: u64, whole: u64) -> String {
    if whole == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// `## The browser: front to back, its cost, LCP`, or nothing when the run had none.
pub(crate) fn section(o: &mut String, rows: &[BrowserRow]) {
    if rows.is_empty() {
        return;
    }
    let rum_assumed = rows.iter().any(|r| r.rum_price_assumed);
    let _ = writeln!(o, "## The browser: front to back, its cost, LCP\n");
    let _ = writeln!(
        o,
        "Shoppers in Chromium (`app/web/e2e/page-views.ts`, driven by the harness): each \
         session a first visit — home, a product, *Add to cart*, the cart: three page views — \
         against the embedded shop serving its UI, with the browser's telemetry (the shop's RUM \
         intake, relayed by the backend) and, for the baseline, without it (the page is told \
         there is no intake). The joins are read back where a user would look (X-Ray from \
         moto; the collector's output). docs/rum.md explains the pipeline.\n"
    );
    let _ = writeln!(
        o,
        "| config | sessions | page views | API calls | with the header | joined front to back | LCP ms, median (range), telemetry on | off | LCP ≤ {:.1} s |",
        LCP_BUDGET_MS / 1000.0
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let worst = r
            .lcp_ms_on
            .iter()
            .chain(&r.lcp_ms_off)
            .copied()
            .reduce(f64::max);
        let verdict = match (median(&r.lcp_ms_on), worst) {
            (Some(m), Some(w)) if m <= LCP_BUDGET_MS && w <= LCP_BUDGET_MS => "met (every session)",
            (Some(m), Some(_)) if m <= LCP_BUDGET_MS => "met (median; not every session)",
            (Some(_), _) => "missed",
            _ => "undetermined",
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} ({}) | {} of {} ({}) | {} | {} | {} |",
            r.config,
            r.sessions,
            r.page_views,
            r.fetches,
            r.fetches_with_header,
            share(r.fetches_with_header, r.fetches),
            r.joined,
            r.fetches_with_header,
            share(r.joined, r.fetches_with_header),
            range(&r.lcp_ms_on),
            range(&r.lcp_ms_off),
            verdict,
        );
    }
    let _ = writeln!(
        o,
        "\n*With the header*: the calls that carried the backend's propagation header \
         (`X-Amzn-Trace-Id` for awssdk, `traceparent` for otel). The telemetry is loaded after \
         the page (it must not delay LCP), so the first page's calls, made before it is ready, \
         carry none and are their own traces on the shop's side: a measured gap, not a loss. \
         *Joined*: the stored trace holds the browser's fetch span and the shop's span under \
         it. *LCP* is the first navigation's, read by a PerformanceObserver of the page's own \
         in both passes; the machine runs the shop, the emulators and Chromium on two cores, so \
         the figures are the lab's, not a user's.\n"
    );
    for r in rows {
        let misses: Vec<&String> = r.join_misses.iter().collect();
        if !misses.is_empty() {
            let _ = writeln!(
                o,
                "Calls of `{}` that did not join (up to five): {}.\n",
                r.config,
                misses
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
    let _ = writeln!(o, "### What the browser sent, and what it costs\n");
    let _ = writeln!(
        o,
        "| config | intake per page view: requests / KB / items (traces · logs · metrics) | refused | traces per view, on / off | added $ per million page views | CloudWatch RUM events per view | CloudWatch RUM $ per million page views |"
    );
    let _ = writeln!(o, "|---|---|---:|---|---:|---:|---:|");
    for r in rows {
        let views = r.page_views.max(1) as f64;
        let per = |signal: &str| {
            r.intake.get(signal).map_or_else(
                || "0".to_owned(),
                |s| {
                    format!(
                        "{:.1} / {:.1} / {:.1}",
                        s.requests as f64 / views,
                        s.bytes as f64 / views / 1000.0,
                        s.items as f64 / views
                    )
                },
            )
        };
        let _ = writeln!(
            o,
            "| {} | {} · {} · {} | {} | {:.2} / {:.2} | {} | {:.1} | {}{} |",
            r.config,
            per("traces"),
            per("logs"),
            per("metrics"),
            r.intake_refused,
            r.traces_per_view_on,
            r.traces_per_view_off,
            super::text::usd(r.dollars_per_million_views),
            r.rum_events_per_view,
            super::text::usd(r.rum_dollars_per_million_views),
            if rum_assumed { " (assumed price)" } else { "" },
        );
    }
    let _ = writeln!(
        o,
        "\nThe added cost, item by item (per million page views):\n"
    );
    let _ = writeln!(o, "| config | item | quantity | $ | how |");
    let _ = writeln!(o, "|---|---|---:|---:|---|");
    for r in rows {
        for i in &r.cost {
            let _ = writeln!(
                o,
                "| {} | {} | {:.4} {} | {} | {} |",
                r.config,
                i.item,
                i.quantity,
                i.unit,
                super::text::usd(i.usd),
                i.note
            );
        }
    }
    let _ = writeln!(
        o,
        "\n*Added*: what the backend sent on with the browser's telemetry, less what it sent \
         for the same page views without it, at the harness's pass-throughs. The Web Vitals \
         are custom metrics in CloudWatch (one series per vital and route and rating), billed \
         per month, not per view. *CloudWatch RUM* counts the events AWS's own web client \
         would record for the same page views — each page view, navigation, Web Vital, HTTP \
         call and JS error; resource timings (on by default, sampled) are left out, so it is a \
         lower bound — at the price in `experiments/prices.toml [cloudwatch_rum]`{}. RUM keeps \
         its events 30 days and draws its own dashboards; the intake ships them to the \
         backend the shop already pays for, joined to its traces.\n",
        if rum_assumed {
            ", which is assumed: the stored pricing page shows only the free trial (1 million events)"
        } else {
            ""
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_shows_the_joins_the_lcp_verdict_and_the_assumed_rum_price() {
        let row = BrowserRow {
            config: "otel-100".into(),
            backend: "otel".into(),
            sessions: 2,
            page_views: 6,
            fetches: 16,
            fetches_with_header: 10,
            joined: 9,
            join_misses: vec!["GET /api/cart: no span of the shop under the fetch".into()],
            lcp_ms_on: vec![900.0, 3000.0],
            lcp_ms_off: vec![400.0, 500.0],
            rum_events_per_view: 5.5,
            rum_dollars_per_million_views: 55.0,
            rum_price_assumed: true,
            ..BrowserRow::default()
        };
        let mut o = String::new();
        section(&mut o, &[row]);
        assert!(
            o.contains("| otel-100 | 2 | 6 | 16 | 10 (62.5 %) | 9 of 10 (90.0 %) |"),
            "{o}"
        );
        // Median 1950 ms is within 2.5 s, one session is not.
        assert!(
            o.contains("1950 (900–3000) | 450 (400–500) | met (median; not every session) |"),
            "{o}"
        );
        assert!(
            o.contains("`GET /api/cart: no span of the shop under the fetch`"),
            "{o}"
        );
        assert!(o.contains("$55.00 (assumed price)"), "{o}");
        let mut empty = String::new();
        section(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
