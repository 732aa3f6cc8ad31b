//! The cost section's dollar tables: the totals per million requests at
//! several request rates, then one table per config with every item, per
//! request or fixed monthly, and how its quantity was found.
//!
//! Results written before items were split (no `fixed_monthly`) render too:
//! their items are all per request.

use super::text::{self, md};
use crate::cost::RATES;
use crate::results::{Cost, CostItem};

fn rate_head(rate: f64) -> String {
    format!("$/M at {} req/s", text::rps(rate))
}

/// The `$` cell of an item: per million requests, or per month.
fn usd_cell(i: &CostItem) -> String {
    if i.fixed_monthly {
        format!(
            "{}/month <sub>{} {}</sub>",
            text::usd(i.usd),
            text::qty(i.quantity),
            md(&i.unit)
        )
    } else {
        format!(
            "{} <sub>{} {}</sub>",
            text::usd(i.usd),
            text::qty(i.quantity),
            md(&i.unit)
        )
    }
}

/// How many of `k`'s items this lab could not measure (they cost nothing).
pub(crate) fn not_measured(k: &Cost) -> usize {
    k.items
        .iter()
        .filter(|i| {
            i.note
                .as_deref()
                .is_some_and(|n| n.starts_with("not measured"))
        })
        .count()
}

fn total_at(k: &Cost, rate: f64) -> f64 {
    k.items.iter().map(|i| i.usd_per_million_at(rate)).sum()
}

/// Appends the "Dollars per million requests" subsection for `rows`.
pub(crate) fn tables(o: &mut String, rows: &[&Cost]) {
    let mut w = |s: String| {
        o.push_str(&s);
        o.push('\n');
    };
    w("### Dollars per million requests".into());
    w(String::new());
    w("What AWS would bill for the telemetry of one million shop requests at these prices. Two kinds of items: **per request** (X-Ray traces recorded, CloudWatch Logs ingestion of the log events and their storage), in dollars per million requests; and **fixed monthly** (custom metrics, and what is sent once per metrics export interval: `PutMetricData` calls, EMF lines, OTLP metric data points), in dollars per month whatever the traffic, spread over the month's requests at each rate. Traces recorded are billed at the config's nominal sampling rate; the share the sampler actually drew in the run is shown beside it. Each config's items come from its own run, as counted at the pass-throughs in front of the AWS stand-ins or read back from them: an item a build's run could not measure says *not measured* and costs nothing (nothing is borrowed from the other build).".into());
    w(String::new());
    let heads: Vec<String> = RATES.iter().map(|r| rate_head(*r)).collect();
    w(format!(
        "| config | {} | fixed $/month | per-request $/M | items not measured |",
        heads.join(" | ")
    ));
    w(format!("|---|{}---|---|---|", "---|".repeat(RATES.len())));
    for k in rows {
        let at: Vec<String> = RATES
            .iter()
            .map(|r| format!("**{}**", text::usd(total_at(k, *r))))
            .collect();
        let fixed: f64 = k
            .items
            .iter()
            .filter(|i| i.fixed_monthly)
            .map(|i| i.usd)
            .sum();
        let per: f64 = k
            .items
            .iter()
            .filter(|i| !i.fixed_monthly)
            .map(|i| i.usd)
            .sum();
        w(format!(
            "| {} | {} | {} | {} | {} of {} |",
            md(&k.config),
            at.join(" | "),
            text::usd(fixed),
            text::usd(per),
            not_measured(k),
            k.items.len()
        ));
    }
    w(String::new());
    for k in rows {
        w(format!("#### Cost items: {}", md(&k.config)));
        w(String::new());
        w(format!(
            "| item | kind | $ <sub>quantity</sub> | measured | {} | how it was counted |",
            heads.join(" | ")
        ));
        w(format!(
            "|---|---|---|---|{}---|",
            "---|".repeat(RATES.len())
        ));
        for i in &k.items {
            let at: Vec<String> = RATES
                .iter()
                .map(|r| text::usd(i.usd_per_million_at(*r)))
                .collect();
            let measured = i.measured.map_or("–".to_owned(), |m| {
                format!("{} {}", text::qty(m), md(&i.unit))
            });
            w(format!(
                "| {} | {} | {} | {} | {} | {} |",
                md(&i.item),
                if i.fixed_monthly {
                    "fixed monthly"
                } else {
                    "per request"
                },
                usd_cell(i),
                measured,
                at.join(" | "),
                i.note.as_deref().map_or("–".to_owned(), md)
            ));
        }
        let at: Vec<String> = RATES
            .iter()
            .map(|r| format!("**{}**", text::usd(total_at(k, *r))))
            .collect();
        w(format!("| **total** | | | | {} | |", at.join(" | ")));
        w(String::new());
    }
}
