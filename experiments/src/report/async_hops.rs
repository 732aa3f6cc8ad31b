//! The report's section on the asynchronous hops (see [`crate::async_hops`]).

use std::fmt::Write as _;

use crate::async_hops::{AsyncRow, HopCount, UploadRow};

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
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} / {} / {} |",
            r.config,
            r.orders,
            r.mails,
            hop_cells(&r.hops, r.orders).join(" | "),
            counted(&r.carriers),
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
    uploads(o, rows);
}

/// The uploads' table, when the rows have them.
fn uploads(o: &mut String, rows: &[AsyncRow]) {
    let with: Vec<(&str, &UploadRow)> = rows
        .iter()
        .filter_map(|r| r.uploads.as_ref().map(|u| (r.config.as_str(), u)))
        .collect();
    if with.is_empty() {
        return;
    }
    let _ = writeln!(o, "### Uploads that produce resized images\n");
    let _ = writeln!(
        o,
        "The same shop runs with `--image-resize function`: the lab admin sends pictures \
         (320 × 200 JPEG, one product each, one at a time); the shop puts each original in \
         S3 with its trace context in the object's user metadata and answers 202; the bucket \
         notifies an SQS queue; `lab-event-source` (the lab's stand-in for Lambda's \
         event-source mapping) invokes `image-resize`, built with the config's backend, under \
         `cargo lambda watch`; the function writes the sizes and records the upload in the \
         shop's database. Every upload must end `done`.\n"
    );
    let _ = writeln!(
        o,
        "| config | uploads | resized | {} | where `image.resize` found its parent | delay p50 / p95 / max (ms) |",
        crate::async_hops::UPLOAD_HOPS.join(" | ")
    );
    let _ = writeln!(o, "|---|---:|---:|---|---|---|---|---|");
    for (config, u) in with {
        let _ = writeln!(
            o,
            "| {config} | {} | {} | {} | {} | {} / {} / {} |",
            u.uploads,
            u.resized,
            hop_cells(&u.hops, u.uploads).join(" | "),
            counted(&u.trace_sources),
            ms(u.delay_ms_p50),
            ms(u.delay_ms_p95),
            ms(u.delay_ms_max),
        );
    }
    let _ = writeln!(
        o,
        "\n*Connected* here: the original's `S3.PutObject` sits under the upload's server \
         span; the function's `image.resize` span is a child of that server span (S3's \
         notification carries no trace context, so the function reads it from the original's \
         metadata: `object_metadata`); and the function's {} `S3.PutObject` calls (the \
         original under its revision, the large picture, the thumbnail) sit under \
         `image.resize`. The invocation's own span stays in the invocation's trace: with otel \
         `image.resize` links to it, X-Ray has no links (the awssdk build keeps the link as \
         metadata). *Delay* runs from the upload's server span to the end of `image.resize`, \
         both as stored: mostly the event source's long poll (1 s) and the resizing.\n",
        crate::async_hops::RESIZED_OBJECTS
    );
}

/// `n/total connected[, n linked][, **n broken**]` per hop.
fn hop_cells(hops: &[HopCount], total: u64) -> Vec<String> {
    hops.iter()
        .map(|h| {
            let mut cell = format!("{}/{total} connected", h.connected);
            if h.linked > 0 {
                cell.push_str(&format!(", {} linked", h.linked));
            }
            if h.broken > 0 {
                cell.push_str(&format!(", **{} broken**", h.broken));
            }
            cell
        })
        .collect()
}

/// `` `k` ×n `` for each entry, or `–`.
fn counted(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "–".to_owned();
    }
    m.iter()
        .map(|(k, v)| format!("`{k}` ×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

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
            uploads: Some(UploadRow {
                uploads: 4,
                resized: 4,
                hops: crate::async_hops::UPLOAD_HOPS
                    .iter()
                    .map(|h| HopCount {
                        hop: (*h).into(),
                        connected: 4,
                        linked: 0,
                        broken: 0,
                    })
                    .collect(),
                delay_ms_p50: Some(1200.0),
                delay_ms_p95: Some(1900.0),
                delay_ms_max: Some(1900.0),
                trace_sources: BTreeMap::from([("object_metadata".to_owned(), 4)]),
            }),
        };
        let mut o = String::new();
        section(&mut o, std::slice::from_ref(&row));
        assert!(o.contains("### Uploads that produce resized images"), "{o}");
        assert!(
            o.contains(
                "| awssdk-100 | 4 | 4 | 4/4 connected | 4/4 connected | 4/4 connected | \
                 `object_metadata` ×4 | 1200 / 1900 / 1900 |"
            ),
            "{o}"
        );
        // A run from before the uploads existed has no such table.
        let mut older = String::new();
        section(
            &mut older,
            &[AsyncRow {
                uploads: None,
                ..row.clone()
            }],
        );
        assert!(!older.contains("### Uploads"), "{older}");
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
