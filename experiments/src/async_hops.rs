//! The asynchronous hops (issue #16): orders that produce mail, through the
//! outbox, EventBridge, SQS, the notification worker and SES, per backend.
//!
//! For each telemetry config the harness starts the embedded shop with
//! events on (against the private LocalStack, each AWS service behind a
//! counting pass-through), places orders one after another, waits for every
//! confirmation in LocalStack's SES mailbox, and reads the traces back the
//! way a user would (X-Ray for awssdk, the capture receiver for otel). Per
//! order and per hop it records whether the stored trace is **connected**
//! (the next hop's span is a child of the previous one), **linked** (only a
//! span link joins them) or **broken**; the end-to-end delay from the
//! checkout's start to the end of its SES call, from the stored spans; and
//! the AWS calls per order at the pass-throughs, priced per million orders.
//!
//! Uploads that produce resized images run in the same shop: an admin sends
//! pictures (`--image-resize function`), the shop puts each original in S3
//! with its trace context in the object's metadata, the bucket notifies an
//! SQS queue, `lab-event-source` invokes `image-resize` under
//! `cargo lambda watch` (with this config's backend), and the function writes
//! the sizes and records the upload. Per upload and per hop
//! ([`UPLOAD_HOPS`]) the same three verdicts, and the delay from the upload's
//! server span to the end of its `image.resize` span.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, anyhow};
use serde::{Deserialize, Serialize};

use crate::readback::Span;

/// The hops, in order.
pub const HOPS: [&str; 4] = [
    "checkout → outbox",
    "outbox → EventBridge",
    "EventBridge → SQS → worker",
    "worker → SES",
];

/// The hops of an upload, in order.
pub const UPLOAD_HOPS: [&str; 3] = ["upload → S3", "S3 → queue → function", "function → S3"];

/// The objects `image-resize` writes per original: the original under its
/// revision, the large picture and the thumbnail (`image_resize::Resized::objects`).
pub const RESIZED_OBJECTS: usize = 3;

/// How the stored traces joined one hop.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HopCount {
    pub hop: String,
    pub connected: u64,
    pub linked: u64,
    pub broken: u64,
}

/// One config's async run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AsyncRow {
    pub config: String,
    pub orders: u64,
    /// Confirmation mails that reached LocalStack's SES mailbox.
    pub mails: u64,
    pub hops: Vec<HopCount>,
    /// Checkout start → end of its SES call, ms, from the stored spans:
    /// median, 95th percentile, largest (over the orders whose trace reached SES).
    pub delay_ms_p50: Option<f64>,
    pub delay_ms_p95: Option<f64>,
    pub delay_ms_max: Option<f64>,
    /// AWS requests at the pass-throughs during the orders (after start-up's
    /// provisioning), by service: `eventbridge`, `sqs`, `ses`.
    pub requests: BTreeMap<String, u64>,
    /// How long the orders took to place and mail (s): the worker's idle long
    /// polls are billed per request too, so SQS requests depend on it.
    pub window_s: f64,
    /// Dollars per million orders at these counts and list prices.
    pub dollars_per_million_orders: f64,
    /// Where the worker found each trace context (`shop.trace.carrier`), by carrier.
    pub carriers: BTreeMap<String, u64>,
    /// The uploads' half of the run (absent in runs made before it existed).
    #[serde(default)]
    pub uploads: Option<UploadRow>,
}

/// Uploads that produce resized images, in one config's async run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadRow {
    pub uploads: u64,
    /// Uploads whose status the shop reported `done` (resized and recorded by the function).
    pub resized: u64,
    pub hops: Vec<HopCount>,
    /// The upload's server span start → end of its `image.resize` span, ms, from the
    /// stored spans: median, 95th percentile, largest.
    pub delay_ms_p50: Option<f64>,
    pub delay_ms_p95: Option<f64>,
    pub delay_ms_max: Option<f64>,
    /// Where `image.resize` found its parent (`shop.image.trace_source`), by source.
    pub trace_sources: BTreeMap<String, u64>,
}

/// List prices of the messaging services (prices.toml, `[messaging]`).
#[derive(Clone, Debug, PartialEq)]
pub struct MessagingPrices {
    /// EventBridge: custom events put on a bus, per event (64 KB chunks).
    pub eventbridge_event: f64,
    /// SQS standard queue: per request (every call, empty receives too).
    pub sqs_request: f64,
    /// SES: per mail sent.
    pub ses_mail: f64,
}

impl MessagingPrices {
    pub fn load(path: &Path) -> anyhow::Result<MessagingPrices> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: toml::Value = toml::from_str(&text)?;
        let get = |key: &str| -> anyhow::Result<f64> {
            let v = doc
                .get("messaging")
                .and_then(|t| t.get(key))
                .ok_or_else(|| anyhow!("prices.toml: missing [messaging] {key}"))?;
            v.as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .ok_or_else(|| anyhow!("prices.toml: [messaging] {key} is not a number"))
        };
        Ok(MessagingPrices {
            eventbridge_event: get("eventbridge_custom_events_per_million")? / 1e6,
            sqs_request: get("sqs_standard_requests_per_million")? / 1e6,
            ses_mail: get("ses_emails_per_1000")? / 1e3,
        })
    }

    /// Dollars per million orders for `requests` counted over `orders`.
    pub fn per_million_orders(&self, requests: &BTreeMap<String, u64>, orders: u64) -> f64 {
        if orders == 0 {
            return 0.0;
        }
        let n = |k: &str| requests.get(k).copied().unwrap_or(0) as f64;
        // One event per PutEvents call (the dispatcher's choice: docs/events.md).
        let dollars = n("eventbridge") * self.eventbridge_event
            + n("sqs") * self.sqs_request
            + n("ses") * self.ses_mail;
        dollars * 1e6 / orders as f64
    }
}

/// An order as the driver placed it.
#[derive(Clone, Debug)]
pub struct PlacedOrder {
    /// The trace id as the read-back spells it.
    pub trace_id: String,
}

/// Links the otel read-back found (span id → the span ids it links to).
pub type Links = BTreeMap<String, Vec<String>>;

/// Scores each order's hops and delay from the stored spans.
pub fn score(
    orders: &[PlacedOrder],
    spans: &[Span],
    links: &Links,
) -> (Vec<HopCount>, Vec<f64>, BTreeMap<String, u64>) {
    let mut hops: Vec<HopCount> = HOPS
        .iter()
        .map(|h| HopCount {
            hop: (*h).to_owned(),
            ..Default::default()
        })
        .collect();
    let mut delays = Vec::new();
    let mut carriers = BTreeMap::new();
    let linked_to = |target: &str| {
        links
            .values()
            .any(|to| to.iter().any(|t| t.eq_ignore_ascii_case(target)))
    };
    for o in orders {
        let trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == o.trace_id).collect();
        let server = trace
            .iter()
            .find(|s| s.kind == "server" && s.name.contains("/api/orders"));
        let create = trace.iter().find(|s| s.name == "order.placed create");
        // 1. The outbox row's span under the checkout.
        let c1 = matches!((server, create), (Some(srv), Some(c)) if c.parent == srv.id);
        count(&mut hops[0], c1, false);
        // 2. The dispatcher's send span under the create span.
        let send = create.and_then(|c| {
            trace
                .iter()
                .find(|s| s.name.starts_with("send ") && s.parent == c.id)
        });
        count(&mut hops[1], send.is_some(), false);
        // 3. The worker's process span under the send span (or only linked to it).
        let process = send.and_then(|snd| {
            trace
                .iter()
                .find(|s| s.name.starts_with("process ") && s.parent == snd.id)
        });
        let linked = process.is_none() && send.is_some_and(|snd| linked_to(&snd.id));
        count(&mut hops[2], process.is_some(), linked);
        if let Some(p) = process {
            let carrier = p
                .attributes
                .get("shop.trace.carrier")
                .cloned()
                .unwrap_or_else(|| "unknown".to_owned());
            *carriers.entry(carrier).or_insert(0) += 1;
        }
        // 4. The SES call under the process span.
        let ses = process.and_then(|p| {
            trace
                .iter()
                .find(|s| s.parent == p.id && (s.name == "SES.SendEmail" || s.name == "SES"))
        });
        count(&mut hops[3], ses.is_some(), false);
        if let (Some(srv), Some(mail)) = (server, ses) {
            delays.push((mail.end - srv.start) * 1000.0);
        }
    }
    (hops, delays, carriers)
}

/// An upload as the driver sent it.
#[derive(Clone, Debug)]
pub struct PlacedUpload {
    /// The trace id as the read-back spells it.
    pub trace_id: String,
}

/// Whether `s` is an S3 `PutObject` client span (`S3.PutObject`, as both backends name it).
fn is_s3_put(s: &Span) -> bool {
    s.name == "S3.PutObject"
        || (s.attributes.get("rpc.service").map(String::as_str) == Some("S3")
            && s.attributes.get("rpc.method").map(String::as_str) == Some("PutObject"))
}

/// Whether `span` sits under `ancestor` (by parent ids, within one trace's spans).
fn is_under(span: &Span, ancestor: &str, trace: &[&Span]) -> bool {
    let mut parent = span.parent.as_str();
    // A trace is a tree; the bound only guards against a malformed cycle.
    for _ in 0..trace.len() {
        if parent.is_empty() {
            return false;
        }
        if parent == ancestor {
            return true;
        }
        match trace.iter().find(|s| s.id == parent) {
            Some(p) => parent = p.parent.as_str(),
            None => return false,
        }
    }
    false
}

/// Scores each upload's hops and delay from the stored spans: the original's
/// `PutObject` under the upload's server span; the function's `image.resize`
/// as that server span's child (the context the original's metadata
/// carried), or only linked to it; and the function's [`RESIZED_OBJECTS`]
/// `PutObject`s under `image.resize`.
pub fn score_uploads(
    uploads: &[PlacedUpload],
    spans: &[Span],
    links: &Links,
) -> (Vec<HopCount>, Vec<f64>, BTreeMap<String, u64>) {
    let mut hops: Vec<HopCount> = UPLOAD_HOPS
        .iter()
        .map(|h| HopCount {
            hop: (*h).to_owned(),
            ..Default::default()
        })
        .collect();
    let mut delays = Vec::new();
    let mut sources = BTreeMap::new();
    for u in uploads {
        let trace: Vec<&Span> = spans.iter().filter(|s| s.trace_id == u.trace_id).collect();
        let server = trace
            .iter()
            .find(|s| s.kind == "server" && s.name.ends_with("/image"));
        // 1. The original into S3, within the request.
        let put = server.is_some_and(|srv| {
            trace
                .iter()
                .any(|s| is_s3_put(s) && is_under(s, &srv.id, &trace))
        });
        count(&mut hops[0], put, false);
        // 2. The function's work continues the upload's trace (or only links to it).
        let resize = server.and_then(|srv| {
            trace
                .iter()
                .find(|s| s.name == "image.resize" && s.parent == srv.id)
        });
        let linked = resize.is_none()
            && server.is_some_and(|srv| {
                links
                    .values()
                    .any(|to| to.iter().any(|t| t.eq_ignore_ascii_case(&srv.id)))
            });
        count(&mut hops[1], resize.is_some(), linked);
        if let Some(r) = resize {
            let source = r
                .attributes
                .get("shop.image.trace_source")
                .cloned()
                .unwrap_or_else(|| "unknown".to_owned());
            *sources.entry(source).or_insert(0) += 1;
        }
        // 3. The sizes it wrote, under its span.
        let written = resize.map_or(0, |r| {
            trace
                .iter()
                .filter(|s| is_s3_put(s) && is_under(s, &r.id, &trace))
                .count()
        });
        count(&mut hops[2], written >= RESIZED_OBJECTS, false);
        if let (Some(srv), Some(r)) = (server, resize) {
            delays.push((r.end - srv.start) * 1000.0);
        }
    }
    (hops, delays, sources)
}

fn count(h: &mut HopCount, connected: bool, linked: bool) {
    if connected {
        h.connected += 1;
    } else if linked {
        h.linked += 1;
    } else {
        h.broken += 1;
    }
}

/// The span links in what the capture receiver holds (OTLP/JSON): span id → linked span ids.
pub fn otlp_links(traces: &serde_json::Value) -> Links {
    let mut out = Links::new();
    for req in traces.as_array().into_iter().flatten() {
        for rs in req["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                for s in ss["spans"].as_array().into_iter().flatten() {
                    let to: Vec<String> = s["links"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|l| l["spanId"].as_str().map(str::to_owned))
                        .collect();
                    if !to.is_empty()
                        && let Some(id) = s["spanId"].as_str()
                    {
                        out.insert(id.to_owned(), to);
                    }
                }
            }
        }
    }
    out
}

/// The `q` quantile (0..=1) of `values` (nearest rank), or `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(
        trace: &str,
        id: &str,
        parent: &str,
        kind: &str,
        name: &str,
        start: f64,
        end: f64,
    ) -> Span {
        Span {
            trace_id: trace.into(),
            id: id.into(),
            parent: parent.into(),
            kind: kind.into(),
            name: name.into(),
            start,
            end,
            ..Default::default()
        }
    }

    #[test]
    fn a_whole_chain_is_connected_and_its_delay_runs_to_the_ses_call() {
        let mut spans = vec![
            span("t1", "a", "", "server", "POST /api/orders", 10.0, 10.1),
            span(
                "t1",
                "b",
                "a",
                "producer",
                "order.placed create",
                10.05,
                10.06,
            ),
            span("t1", "c", "b", "producer", "send shop-events", 10.2, 10.3),
            span(
                "t1",
                "d",
                "c",
                "consumer",
                "process shop-notifications",
                10.4,
                10.6,
            ),
            span("t1", "e", "d", "client", "SES.SendEmail", 10.45, 10.5),
            // The second order's worker lost the context: a trace of its own.
            span("t2", "f", "", "server", "POST /api/orders", 20.0, 20.1),
            span(
                "t2",
                "g",
                "f",
                "producer",
                "order.placed create",
                20.05,
                20.06,
            ),
            span("t2", "h", "g", "producer", "send shop-events", 20.2, 20.3),
            span(
                "t9",
                "i",
                "",
                "consumer",
                "process shop-notifications",
                20.4,
                20.6,
            ),
        ];
        spans[3]
            .attributes
            .insert("shop.trace.carrier".into(), "event_detail".into());
        let orders = [
            PlacedOrder {
                trace_id: "t1".into(),
            },
            PlacedOrder {
                trace_id: "t2".into(),
            },
        ];
        let (hops, delays, carriers) = score(&orders, &spans, &Links::new());
        assert_eq!((hops[0].connected, hops[1].connected), (2, 2));
        assert_eq!((hops[2].connected, hops[2].broken), (1, 1));
        assert_eq!((hops[3].connected, hops[3].broken), (1, 1));
        assert_eq!(delays.len(), 1);
        assert!((delays[0] - 500.0).abs() < 1e-6, "{delays:?}");
        assert_eq!(carriers["event_detail"], 1);
        // A receive span that links to the send span makes the hop linked, not broken.
        let links = Links::from([("r".to_owned(), vec!["h".to_owned()])]);
        let (hops, _, _) = score(&orders, &spans, &links);
        assert_eq!(
            (hops[2].connected, hops[2].linked, hops[2].broken),
            (1, 1, 0)
        );
    }

    #[test]
    fn an_uploads_hops_run_from_its_request_through_the_function_to_the_sizes() {
        let put = |trace: &str, id: &str, parent: &str, at: f64| {
            span(trace, id, parent, "client", "S3.PutObject", at, at + 0.01)
        };
        let mut spans = vec![
            span(
                "u1",
                "a",
                "",
                "server",
                "POST /api/admin/products/{id}/image",
                1.0,
                1.2,
            ),
            span(
                "u1",
                "b",
                "a",
                "internal",
                "catalog.image.upload",
                1.1,
                1.15,
            ),
            put("u1", "c", "b", 1.11),
            span("u1", "d", "a", "consumer", "image.resize", 2.0, 2.5),
            put("u1", "e", "d", 2.3),
            put("u1", "f", "d", 2.35),
            span("u1", "g", "d", "internal", "catalog.image.resize", 2.1, 2.2),
            put("u1", "h", "g", 2.4),
            // The second upload: the function lost the context and wrote only two sizes.
            span(
                "u2",
                "i",
                "",
                "server",
                "POST /api/admin/products/{id}/image",
                3.0,
                3.2,
            ),
            put("u2", "j", "i", 3.1),
            span("u9", "k", "", "internal", "image.resize", 4.0, 4.5),
            put("u9", "l", "k", 4.1),
        ];
        spans[3]
            .attributes
            .insert("shop.image.trace_source".into(), "object_metadata".into());
        let uploads = [
            PlacedUpload {
                trace_id: "u1".into(),
            },
            PlacedUpload {
                trace_id: "u2".into(),
            },
        ];
        let (hops, delays, sources) = score_uploads(&uploads, &spans, &Links::new());
        assert_eq!((hops[0].connected, hops[0].broken), (2, 0));
        assert_eq!((hops[1].connected, hops[1].broken), (1, 1));
        // Three writes under `image.resize`, one of them a level further down.
        assert_eq!((hops[2].connected, hops[2].broken), (1, 1));
        assert_eq!(delays.len(), 1);
        assert!((delays[0] - 1500.0).abs() < 1e-6, "{delays:?}");
        assert_eq!(sources["object_metadata"], 1);
        // A span that links to the second upload's request makes its hop linked.
        let links = Links::from([("k".to_owned(), vec!["i".to_owned()])]);
        let (hops, _, _) = score_uploads(&uploads, &spans, &links);
        assert_eq!(
            (hops[1].connected, hops[1].linked, hops[1].broken),
            (1, 1, 0)
        );
    }

    #[test]
    fn prices_per_million_orders() {
        let p = MessagingPrices {
            eventbridge_event: 1.0 / 1e6,
            sqs_request: 0.4 / 1e6,
            ses_mail: 0.1 / 1e3,
        };
        let requests = BTreeMap::from([
            ("eventbridge".to_owned(), 20),
            ("sqs".to_owned(), 30),
            ("ses".to_owned(), 10),
        ]);
        // Per order: 2 events ($2/M), 3 SQS requests ($1.2/M), 1 mail ($100/M).
        let d = p.per_million_orders(&requests, 10);
        assert!((d - 103.2).abs() < 1e-9, "{d}");
        assert_eq!(p.per_million_orders(&requests, 0), 0.0);
    }

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(3.0));
        assert_eq!(quantile(&v, 0.95), Some(5.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
