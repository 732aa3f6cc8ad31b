//! The report's section on the asynchronous hops (see [`crate::async_hops`]).

use std::fmt::Write as _;

use crate::async_hops::AsyncRow;

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}"))
}

/// `## Events and mail: the asynchronous hops`, or nothing when the run had none.
pub(crate) fn section(o: &mut String, rows: &[AsyncRow]) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "## Events and mail: the asynchronous hops\n");
    let _ = writeln!(
        o,
        "Orders that produce mail (docs/events.md): the embedded shop writes each order's \
         events to its outbox, its dispatcher publishes them to EventBridge (one event per \
         `PutEvents`), a rule routes `order.placed` to an SQS queue, and the mail worker sends \
         the confirmation with SES. Orders are placed one at a time; every confirmation must \
         reach LocalStack's SES mailbox. The traces are read back as a user would (X-Ray \
         from moto; the capture receiver behind the collector) and each order's hops scored: \
         **connected** (the next hop's span is a child of the previous one), **linked** (only \
         a span link joins them), **broken**.\n"
    );
    let _ = writeln!(
        o,
        "| config | orders | mails | {} | carrier the worker used | delay p50 / p95 / max (ms) |",
        crate::async_hops::HOPS.join(" | ")
    );
    let _ = writeln!(o, "|---|---:|---:|---|---|---|---|---|---|");
    for r in rows {
        let hops: Vec<String> = r
            .hops
            .iter()
            .map(|h| {
                let mut cell = format!("{}/{} connected", h.connected, r.orders);
                if h.linked > 0 {
                    cell.push_str(&format!(", {} linked", h.linked));
                }
                if h.broken > 0 {
                    cell.push_str(&format!(", **{} broken**", h.broken));
                }
                cell
            })
            .collect();
        let carriers: Vec<String> = r
            .carriers
            .iter()
            .map(|(k, v)| format!("`{k}` ×{v}"))
            .collect();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} / {} / {} |",
            r.config,
            r.orders,
            r.mails,
            hops.join(" | "),
            if carriers.is_empty() {
                "–".to_owned()
            } else {
                carriers.join(", ")
            },
            ms(r.delay_ms_p50),
            ms(r.delay_ms_p95),
            ms(r.delay_ms_max),
        );
    }
    let _ = writeln!(
        o,
        "\n*Delay* runs from the checkout's server span to the end of its `SES.SendEmail` \
         span, both as stored. It is mostly the dispatcher's poll (every 0.5 s) and the \
         worker's long poll, not telemetry. *Carrier*: LocalStack's EventBridge drops the \
         X-Ray header on the way to SQS, so in the lab the worker continues each trace from \
         the copy the event's detail carries (`event_detail`); in AWS, EventBridge passes \
         `TraceHeader` on as `AWSTraceHeader` for the awssdk build. The worker's `receive` span \
         of a batch links to every message's producer: OTLP carries the links, X-Ray has none \
         (the awssdk build keeps them as metadata).\n"
    );
    let _ = writeln!(
        o,
        "| config | EventBridge requests | SQS requests | SES requests | window (s) | $ per million orders |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let n = |k: &str| r.requests.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {:.1} | {:.2} |",
            r.config,
            n("eventbridge"),
            n("sqs"),
            n("ses"),
            r.window_s,
            r.dollars_per_million_orders
        );
    }
    let _ = writeln!(
        o,
        "\nRequests counted at pass-throughs in front of LocalStack while the orders were \
         placed and mailed (start-up's provisioning excluded). Each order publishes two events \
         (`order.placed`, `order.paid`) and sends one mail; SQS requests are the worker's \
         receives (two queues, long polls of 10 s, billed even when empty) and one delete per \
         mail, so they depend on the window as much as on the orders. Prices: \
         `experiments/prices.toml` `[messaging]` (EventBridge per event, SQS per request, SES \
         per mail); the SES mail dominates.\n"
    );
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::async_hops::HopCount;

    #[test]
    fn the_section_shows_hops_delays_and_dollars() {
        let row = AsyncRow {
            config: "awssdk-100".into(),
            orders: 10,
            mails: 10,
            hops: crate::async_hops::HOPS
                .iter()
                .map(|h| HopCount {
                    hop: (*h).into(),
                    connected: 9,
                    linked: 0,
                    broken: 1,
                })
                .collect(),
            delay_ms_p50: Some(812.0),
            delay_ms_p95: Some(1500.0),
            delay_ms_max: Some(1700.0),
            requests: BTreeMap::from([("ses".to_owned(), 10)]),
            window_s: 6.5,
            dollars_per_million_orders: 100.0,
            carriers: BTreeMap::from([("event_detail".to_owned(), 9)]),
        };
        let mut o = String::new();
        section(&mut o, &[row]);
        assert!(o.contains("## Events and mail: the asynchronous hops"));
        assert!(
            o.contains("| awssdk-100 | 10 | 10 | 9/10 connected, **1 broken** |"),
            "{o}"
        );
        assert!(o.contains("`event_detail` ×9 | 812 / 1500 / 1700 |"), "{o}");
        assert!(
            o.contains("| awssdk-100 | 0 | 0 | 10 | 6.5 | 100.00 |"),
            "{o}"
        );
        let mut empty = String::new();
        section(&mut empty, &[]);
        assert!(empty.is_empty());
    }
}
