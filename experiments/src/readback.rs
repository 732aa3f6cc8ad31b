//! What arrived at the sinks, read back through the sinks' own APIs and
//! turned into one neutral shape, so the oracle compares both backends the
//! same way:
//!
//! - `awssdk`: X-Ray `BatchGetTraces` (moto), CloudWatch `GetMetricData`
//!   and Logs `FilterLogEvents` (LocalStack);
//! - `otel`: the capture receiver behind the collector (`GET /captured/*`,
//!   OTLP/JSON of the requests that arrived).
//!
//! Trace ids are normalised to 32 hex digits (X-Ray's `1-5759e988-bd862e3fe1be46a994272793`
//! becomes `5759e988bd862e3fe1be46a994272793`).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use crate::shop::RUN_ATTRIBUTE;

/// A span, whichever backend sent it.
#[derive(Clone, Debug, Default)]
pub struct Span {
    pub trace_id: String,
    pub id: String,
    /// Empty for a root without a parent.
    pub parent: String,
    /// `catalog`, `orders`, `inventory` (the shop's service name without `shop-`).
    pub service: String,
    /// `server`, `client`, `internal`, ...
    pub kind: String,
    pub name: String,
    /// Attributes as strings, under their OpenTelemetry names.
    pub attributes: BTreeMap<String, String>,
    /// OTLP status error, or X-Ray `fault`.
    pub failed: bool,
    /// X-Ray only: the `error` (4xx) and `throttle` (429) flags.
    pub error_flag: bool,
    pub throttle_flag: bool,
    /// X-Ray only: a subsegment's `namespace` (`remote` for a call to a
    /// database or another service, `aws` for an AWS API); `None` for a
    /// segment, a plain subsegment and every OTLP span.
    pub namespace: Option<String>,
    /// Start and end, seconds since the epoch.
    pub start: f64,
    pub end: f64,
}

/// A log record, whichever backend sent it.
#[derive(Clone, Debug, Default)]
pub struct Log {
    pub service: String,
    pub message: String,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub request_id: Option<String>,
    /// Size of the event's message as stored (CloudWatch Logs; 0 for OTLP).
    pub bytes: usize,
}

/// 32 hex → X-Ray's form `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy` (the inverse of
/// [`normalise_trace_id`]); anything else is returned as it is.
pub fn xray_trace_id(hex: &str) -> String {
    if hex.len() == 32 {
        format!("1-{}-{}", &hex[..8], &hex[8..])
    } else {
        hex.to_owned()
    }
}

/// `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy` → 32 hex; 32 hex stays.
pub fn normalise_trace_id(id: &str) -> String {
    match id.strip_prefix("1-") {
        Some(rest) => rest.replace('-', ""),
        None => id.to_ascii_lowercase(),
    }
}

fn service_role(name: &str) -> String {
    name.strip_prefix("shop-").unwrap_or(name).to_owned()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------- X-Ray

/// X-Ray annotation key → the attribute it came from (the inverse of the
/// awssdk backend's table, `telemetry-awssdk/src/traces/segment.rs`).
const ANNOTATIONS: &[(&str, &str)] = &[
    ("route", "http.route"),
    ("user_type", "shop.user.type"),
    ("order_status", "shop.order.status"),
    ("checkout_outcome", "shop.checkout.outcome"),
    ("order_id", "shop.order.id"),
    ("product_id", "shop.product.id"),
    ("category_id", "shop.category.id"),
    ("db_operation", "db.operation.name"),
    ("error_type", "error.type"),
    ("event_type", "shop.event.type"),
    ("event_outcome", "shop.event.outcome"),
    ("trace_carrier", "shop.trace.carrier"),
];

fn xray_node(out: &mut Vec<Span>, node: &Value, trace_id: &str, parent: &str, service: &str) {
    let meta = &node["metadata"];
    let mut attributes = BTreeMap::new();
    if let Some(m) = meta["attributes"].as_object() {
        for (k, v) in m {
            attributes.insert(k.clone(), scalar(v));
        }
    }
    if let Some(a) = node["annotations"].as_object() {
        for (k, v) in a {
            let key = ANNOTATIONS
                .iter()
                .find(|(ann, _)| ann == k)
                .map_or(k.as_str(), |(_, attr)| attr);
            attributes.insert(key.to_owned(), scalar(v));
        }
    }
    if let Some(m) = node["http"]["request"]["method"].as_str() {
        attributes.insert("http.request.method".into(), m.to_owned());
    }
    if let Some(q) = node["sql"]["sanitized_query"].as_str() {
        attributes.insert("db.query.text".into(), q.to_owned());
    }
    if let Some(t) = node["sql"]["database_type"].as_str() {
        attributes.insert("db.system.name".into(), t.to_owned());
    }
    if let Some(s) = node["http"]["response"]["status"].as_u64() {
        attributes.insert("http.response.status_code".into(), s.to_string());
    }
    let id = node["id"].as_str().unwrap_or_default().to_owned();
    out.push(Span {
        trace_id: trace_id.to_owned(),
        id: id.clone(),
        parent: parent.to_owned(),
        service: service.to_owned(),
        kind: meta["span"]["kind"].as_str().unwrap_or("?").to_owned(),
        name: meta["span"]["name"].as_str().unwrap_or("?").to_owned(),
        attributes,
        failed: node["fault"].as_bool().unwrap_or(false),
        error_flag: node["error"].as_bool().unwrap_or(false),
        throttle_flag: node["throttle"].as_bool().unwrap_or(false),
        namespace: node["namespace"].as_str().map(str::to_owned),
        start: node["start_time"].as_f64().unwrap_or(0.0),
        end: node["end_time"].as_f64().unwrap_or(0.0),
    });
    for sub in node["subsegments"].as_array().into_iter().flatten() {
        xray_node(out, sub, trace_id, &id, service);
    }
}

/// The spans of a segment document (a segment, or an independent subsegment).
pub fn xray_spans(doc: &Value) -> Vec<Span> {
    let trace_id = normalise_trace_id(doc["trace_id"].as_str().unwrap_or_default());
    let parent = doc["parent_id"].as_str().unwrap_or_default();
    // An independent subsegment carries no service name of its own; its
    // `parent_id` joins it to the segment that has one.
    let service = if doc["type"] == "subsegment" {
        "?".to_owned()
    } else {
        service_role(doc["name"].as_str().unwrap_or_default())
    };
    let mut out = Vec::new();
    xray_node(&mut out, doc, &trace_id, parent, &service);
    out
}

/// Dimensions of a CloudWatch metric, as (name, value).
pub type Dims = Vec<(String, String)>;

/// A `GetMetricData` question: metric name, dimensions, statistic.
pub type MetricAsk = (String, Dims, &'static str);

/// X-Ray, CloudWatch and Logs clients on the emulators.
pub struct Aws {
    pub xray: aws_sdk_xray::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Aws {
    pub async fn new(moto: &str, localstack: &str) -> Aws {
        let base = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_xray::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .load()
            .await;
        let xray = aws_sdk_xray::config::Builder::from(&base)
            .endpoint_url(moto)
            .build();
        let cw = aws_sdk_cloudwatch::config::Builder::from(&base)
            .endpoint_url(localstack)
            .build();
        let logs = aws_sdk_cloudwatchlogs::config::Builder::from(&base)
            .endpoint_url(localstack)
            .build();
        Aws {
            xray: aws_sdk_xray::Client::from_conf(xray),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cw),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs),
        }
    }

    /// Every span of the given traces (`1-…` ids), five ids per `BatchGetTraces` (the API's limit).
    pub async fn traces(&self, xray_ids: &[String]) -> anyhow::Result<Vec<Span>> {
        let mut out = Vec::new();
        for chunk in xray_ids.chunks(5) {
            let mut next: Option<String> = None;
            loop {
                let r = self
                    .xray
                    .batch_get_traces()
                    .set_trace_ids(Some(chunk.to_vec()))
                    .set_next_token(next.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        anyhow::anyhow!(
                            "BatchGetTraces: {}",
                            aws_sdk_xray::error::DisplayErrorContext(e)
                        )
                    })?;
                for t in r.traces() {
                    for s in t.segments() {
                        let doc: Value = serde_json::from_str(s.document().unwrap_or("null"))
                            .context("a segment document that is not JSON")?;
                        out.extend(xray_spans(&doc));
                    }
                }
                next = r.next_token().map(str::to_owned);
                if next.is_none() {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Statistics of many metrics at once (`GetMetricData`, ≤ 500 queries a
    /// call), each summed over the periods returned. `queries`: (metric
    /// name, dimensions, statistic).
    pub async fn metric_stats(
        &self,
        namespace: &str,
        queries: &[MetricAsk],
    ) -> anyhow::Result<Vec<f64>> {
        use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
        let now = std::time::SystemTime::now();
        let mut out = vec![0.0; queries.len()];
        for (chunk_no, chunk) in queries.chunks(400).enumerate() {
            let mut req = self
                .cloudwatch
                .get_metric_data()
                .start_time((now - Duration::from_secs(3600)).into())
                .end_time((now + Duration::from_secs(600)).into());
            for (i, (name, dims, stat)) in chunk.iter().enumerate() {
                let metric = Metric::builder()
                    .namespace(namespace)
                    .metric_name(name)
                    .set_dimensions(Some(
                        dims.iter()
                            .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                            .collect(),
                    ))
                    .build();
                req = req.metric_data_queries(
                    MetricDataQuery::builder()
                        .id(format!("q{i}"))
                        .metric_stat(
                            MetricStat::builder()
                                .metric(metric)
                                .period(60)
                                .stat(*stat)
                                .build(),
                        )
                        .build(),
                );
            }
            let r = req.send().await.map_err(|e| {
                anyhow::anyhow!(
                    "GetMetricData: {}",
                    aws_sdk_cloudwatch::error::DisplayErrorContext(e)
                )
            })?;
            for res in r.metric_data_results() {
                let Some(i) = res
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                else {
                    continue;
                };
                out[chunk_no * 400 + i] = res.values().iter().sum();
            }
        }
        Ok(out)
    }

    /// Every metric series of a namespace (`ListMetrics`): name and dimensions.
    pub async fn list_series(
        &self,
        namespace: &str,
    ) -> anyhow::Result<Vec<(String, Vec<(String, String)>)>> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let r = self
                .cloudwatch
                .list_metrics()
                .namespace(namespace)
                .set_next_token(next.clone())
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "ListMetrics: {}",
                        aws_sdk_cloudwatch::error::DisplayErrorContext(e)
                    )
                })?;
            for m in r.metrics() {
                let dims = m
                    .dimensions()
                    .iter()
                    .map(|d| {
                        (
                            d.name().unwrap_or("").to_owned(),
                            d.value().unwrap_or("").to_owned(),
                        )
                    })
                    .collect();
                out.push((m.metric_name().unwrap_or("").to_owned(), dims));
            }
            next = r.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(out);
            }
        }
    }

    /// [`Aws::metric_stats`] with exact dimension matching, whatever the
    /// emulator does. LocalStack (4.x, `cloudwatch_database_helper.py`)
    /// selects datapoints with `dimensions LIKE '%name=value%'`, so asking
    /// for `http.route=/api/products` also sums `/api/products/{id}` and
    /// `/api/products/search`. Real CloudWatch matches exactly. We read every
    /// series the namespace holds (`ListMetrics`), ask for each, and undo
    /// the over-matching by inclusion–exclusion, most specific series first.
    pub async fn metric_stats_exact(
        &self,
        namespace: &str,
        queries: &[MetricAsk],
    ) -> anyhow::Result<Vec<f64>> {
        let listed = self.list_series(namespace).await?;
        let mut stats_of: BTreeMap<&str, Vec<&'static str>> = BTreeMap::new();
        for (name, _, stat) in queries {
            let v = stats_of.entry(name.as_str()).or_default();
            if !v.contains(stat) {
                v.push(stat);
            }
        }
        // (series index, stat) for every listed series of a queried metric.
        let mut asks = Vec::new();
        for (i, (name, dims)) in listed.iter().enumerate() {
            for stat in stats_of.get(name.as_str()).into_iter().flatten() {
                asks.push((i, *stat, (name.clone(), dims.clone(), *stat)));
            }
        }
        let raw = self
            .metric_stats(
                namespace,
                &asks.iter().map(|a| a.2.clone()).collect::<Vec<_>>(),
            )
            .await?;
        let like: BTreeMap<(usize, &str), f64> = asks
            .iter()
            .zip(&raw)
            .map(|((i, stat, _), v)| ((*i, *stat), *v))
            .collect();
        let exact = undo_like(&listed, &like);
        Ok(queries
            .iter()
            .map(|(name, dims, stat)| {
                listed
                    .iter()
                    .position(|(n, d)| n == name && same_dims(d, dims))
                    .and_then(|i| exact.get(&(i, *stat)).copied())
                    .unwrap_or(0.0)
            })
            .collect())
    }

    /// How many metric series (name + dimension set) a namespace holds (`ListMetrics`).
    pub async fn series(&self, namespace: &str) -> anyhow::Result<u64> {
        Ok(self.list_series(namespace).await?.len() as u64)
    }

    /// Every event of a log group, as (timestamp, message).
    pub async fn log_events(&self, group: &str) -> anyhow::Result<Vec<String>> {
        let mut events = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let r = match self
                .logs
                .filter_log_events()
                .log_group_name(group)
                .set_next_token(next.clone())
                .send()
                .await
            {
                Ok(r) => r,
                Err(e) => {
                    let text = aws_sdk_cloudwatchlogs::error::DisplayErrorContext(&e).to_string();
                    if text.contains("ResourceNotFound") {
                        return Ok(events); // nothing ever arrived
                    }
                    anyhow::bail!("FilterLogEvents {group}: {text}");
                }
            };
            events.extend(
                r.events()
                    .iter()
                    .map(|e| e.message().unwrap_or("").to_owned()),
            );
            next = r.next_token().map(str::to_owned);
            if next.is_none() {
                return Ok(events);
            }
        }
    }

    /// The log records of a group, parsed from the shop's JSON lines.
    pub async fn logs(&self, group: &str) -> anyhow::Result<Vec<Log>> {
        Ok(self
            .log_events(group)
            .await?
            .iter()
            .filter_map(|m| cloudwatch_log(m))
            .collect())
    }
}

/// One CloudWatch Logs event of the shop (a JSON line, see
/// `telemetry_api::logs::to_json`) as a [`Log`]; `None` for a line that is
/// not JSON.
pub fn cloudwatch_log(line: &str) -> Option<Log> {
    let v = serde_json::from_str::<Value>(line).ok()?;
    Some(Log {
        bytes: line.len(),
        service: service_role(v["service"].as_str().unwrap_or_default()),
        message: v["message"].as_str().unwrap_or_default().to_owned(),
        trace_id: v["trace_id"].as_str().map(normalise_trace_id),
        span_id: v["span_id"].as_str().map(str::to_owned),
        request_id: v["request_id"].as_str().map(str::to_owned),
    })
}

fn same_dims(a: &[(String, String)], b: &[(String, String)]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// Whether LocalStack's `LIKE '%n1=v1%n2=v2%'` (dimensions sorted by name,
/// `_` matching any one character) selects the series stored as
/// `n1=v1\tn2=v2\t`.
fn like_matches(pattern_dims: &[(String, String)], stored_dims: &[(String, String)]) -> bool {
    let mut p = pattern_dims.to_vec();
    p.sort();
    let mut s = stored_dims.to_vec();
    s.sort();
    let stored: Vec<char> = s
        .iter()
        .flat_map(|(n, v)| format!("{n}={v}\t").chars().collect::<Vec<_>>())
        .collect();
    let mut at = 0;
    for (n, v) in &p {
        let seg: Vec<char> = format!("{n}={v}").chars().collect();
        let found = (at..=stored.len().saturating_sub(seg.len())).find(|&i| {
            seg.iter()
                .zip(&stored[i..])
                .all(|(c, d)| *c == '_' || c == d)
        });
        match found {
            Some(i) if stored.len() >= seg.len() => at = i + seg.len(),
            _ => return false,
        }
    }
    true
}

/// Exact per-series values from over-matched ones: a series' LIKE value is
/// its own plus that of every other series it matches; solve from the
/// series that match nothing else upwards.
fn undo_like(
    listed: &[(String, Vec<(String, String)>)],
    like: &BTreeMap<(usize, &str), f64>,
) -> BTreeMap<(usize, &'static str), f64> {
    let mut exact: BTreeMap<(usize, &'static str), f64> = BTreeMap::new();
    let covers = |i: usize| -> Vec<usize> {
        (0..listed.len())
            .filter(|&j| {
                j != i
                    && listed[j].0 == listed[i].0
                    && like_matches(&listed[i].1, &listed[j].1)
                    && !same_dims(&listed[i].1, &listed[j].1)
            })
            .collect()
    };
    let keys: Vec<(usize, &str)> = like.keys().copied().collect();
    // Fewer covered series first: their covered sets are solved before them.
    let mut order: Vec<(usize, Vec<usize>)> = (0..listed.len()).map(|i| (i, covers(i))).collect();
    order.sort_by_key(|(_, c)| c.len());
    for (i, cover) in &order {
        for (k, stat) in keys.iter().filter(|(k, _)| k == i) {
            let stat: &'static str = match *stat {
                "Sum" => "Sum",
                "SampleCount" => "SampleCount",
                "Maximum" => "Maximum",
                "Minimum" => "Minimum",
                _ => "Average",
            };
            let others: f64 = cover.iter().filter_map(|j| exact.get(&(*j, stat))).sum();
            exact.insert((*k, stat), like[&(*k, stat)] - others);
        }
    }
    exact
}

// ---------------------------------------------------------------- OTLP

fn otlp_attr_value(v: &Value) -> String {
    for k in ["stringValue", "intValue", "doubleValue", "boolValue"] {
        if let Some(x) = v.get(k) {
            return scalar(x);
        }
    }
    v.to_string()
}

fn otlp_attrs(list: &Value) -> BTreeMap<String, String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|kv| {
            (
                kv["key"].as_str().unwrap_or_default().to_owned(),
                otlp_attr_value(&kv["value"]),
            )
        })
        .collect()
}

const KINDS: [&str; 6] = [
    "unspecified",
    "internal",
    "server",
    "client",
    "producer",
    "consumer",
];

/// What the capture receiver holds (OTLP/JSON, as `GET /captured/*` returns it).
pub struct Captured {
    pub traces: Value,
    pub metrics: Value,
    pub logs: Value,
}

impl Captured {
    /// What the receiver holds of `run`: resource blocks of other runs (a
    /// previous run's last export, arriving late) are left out.
    pub async fn fetch(base: &str, run: &str) -> anyhow::Result<Captured> {
        let c = reqwest::Client::builder().no_proxy().build()?;
        let get = |what: &'static str| {
            let c = c.clone();
            let url = format!("{base}/captured/{what}");
            async move {
                c.get(&url)
                    .send()
                    .await?
                    .error_for_status()?
                    .json::<Value>()
                    .await
                    .with_context(|| format!("reading {url}"))
            }
        };
        let mut captured = Captured {
            traces: get("traces").await?,
            metrics: get("metrics").await?,
            logs: get("logs").await?,
        };
        captured.keep_run(run);
        Ok(captured)
    }

    /// Drops the resource blocks whose `shop.lab.run` is not `run`.
    fn keep_run(&mut self, run: &str) {
        for (requests, key) in [
            (&mut self.traces, "resourceSpans"),
            (&mut self.metrics, "resourceMetrics"),
            (&mut self.logs, "resourceLogs"),
        ] {
            for req in requests.as_array_mut().into_iter().flatten() {
                if let Some(blocks) = req.get_mut(key).and_then(Value::as_array_mut) {
                    blocks.retain(|b| {
                        otlp_attrs(&b["resource"]["attributes"])
                            .get(RUN_ATTRIBUTE)
                            .is_some_and(|r| r == run)
                    });
                }
            }
        }
    }

    pub async fn clear(base: &str) -> anyhow::Result<()> {
        reqwest::Client::builder()
            .no_proxy()
            .build()?
            .delete(format!("{base}/captured"))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    pub fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        for req in self.traces.as_array().into_iter().flatten() {
            for rs in req["resourceSpans"].as_array().into_iter().flatten() {
                let res = otlp_attrs(&rs["resource"]["attributes"]);
                let service = service_role(res.get("service.name").map_or("", String::as_str));
                for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                    for s in ss["spans"].as_array().into_iter().flatten() {
                        let kind = s["kind"].as_u64().unwrap_or(0) as usize;
                        out.push(Span {
                            trace_id: s["traceId"]
                                .as_str()
                                .unwrap_or_default()
                                .to_ascii_lowercase(),
                            id: s["spanId"].as_str().unwrap_or_default().to_owned(),
                            parent: s["parentSpanId"].as_str().unwrap_or_default().to_owned(),
                            service: service.clone(),
                            kind: KINDS.get(kind).unwrap_or(&"?").to_string(),
                            name: s["name"].as_str().unwrap_or_default().to_owned(),
                            attributes: otlp_attrs(&s["attributes"]),
                            failed: s["status"]["code"].as_u64() == Some(2),
                            error_flag: false,
                            throttle_flag: false,
                            namespace: None,
                            start: s["startTimeUnixNano"]
                                .as_str()
                                .and_then(|v| v.parse::<f64>().ok())
                                .or_else(|| s["startTimeUnixNano"].as_f64())
                                .unwrap_or(0.0)
                                / 1e9,
                            end: s["endTimeUnixNano"]
                                .as_str()
                                .and_then(|v| v.parse::<f64>().ok())
                                .or_else(|| s["endTimeUnixNano"].as_f64())
                                .unwrap_or(0.0)
                                / 1e9,
                        });
                    }
                }
            }
        }
        out
    }

    pub fn logs(&self) -> Vec<Log> {
        let mut out = Vec::new();
        for req in self.logs.as_array().into_iter().flatten() {
            for rl in req["resourceLogs"].as_array().into_iter().flatten() {
                let res = otlp_attrs(&rl["resource"]["attributes"]);
                let service = service_role(res.get("service.name").map_or("", String::as_str));
                for sl in rl["scopeLogs"].as_array().into_iter().flatten() {
                    for r in sl["logRecords"].as_array().into_iter().flatten() {
                        let attrs = otlp_attrs(&r["attributes"]);
                        let nonempty = |v: &Value| {
                            v.as_str()
                                .filter(|s| !s.is_empty() && s.bytes().any(|b| b != b'0'))
                                .map(str::to_ascii_lowercase)
                        };
                        out.push(Log {
                            service: service.clone(),
                            message: otlp_attr_value(&r["body"]),
                            trace_id: nonempty(&r["traceId"]),
                            span_id: nonempty(&r["spanId"]),
                            request_id: attrs.get("shop.request.id").cloned(),
                            bytes: 0,
                        });
                    }
                }
            }
        }
        out
    }

    /// Distinct metric series (name + resource service + point attributes), as
    /// CloudWatch would count custom metrics with `service.name` as a dimension.
    pub fn series(&self) -> u64 {
        let mut seen = std::collections::BTreeSet::new();
        for req in self.metrics.as_array().into_iter().flatten() {
            for rm in req["resourceMetrics"].as_array().into_iter().flatten() {
                let res = otlp_attrs(&rm["resource"]["attributes"]);
                let service = res.get("service.name").cloned().unwrap_or_default();
                for sm in rm["scopeMetrics"].as_array().into_iter().flatten() {
                    for m in sm["metrics"].as_array().into_iter().flatten() {
                        let data = ["sum", "gauge", "histogram"]
                            .iter()
                            .find_map(|k| m.get(*k))
                            .cloned()
                            .unwrap_or_default();
                        for p in data["dataPoints"].as_array().into_iter().flatten() {
                            let pa = otlp_attrs(&p["attributes"]);
                            seen.insert(format!("{}|{service}|{pa:?}", m["name"]));
                        }
                    }
                }
            }
        }
        seen.len() as u64
    }

    /// Sum data points and histogram (count, sum) of `name` on `service`
    /// whose attributes include `attrs`, summed over series. Cumulative
    /// streams contribute their last value; delta streams the sum of their points.
    pub fn metric(&self, name: &str, service: &str, attrs: &[(String, String)]) -> (f64, f64) {
        // stream key (resource attrs + point attrs) → (cumulative?, last/sum count, last/sum sum)
        let mut streams: BTreeMap<String, (bool, f64, f64, u64)> = BTreeMap::new();
        for req in self.metrics.as_array().into_iter().flatten() {
            for rm in req["resourceMetrics"].as_array().into_iter().flatten() {
                let res = otlp_attrs(&rm["resource"]["attributes"]);
                if service_role(res.get("service.name").map_or("", String::as_str)) != service {
                    continue;
                }
                let instance = res.get("service.instance.id").cloned().unwrap_or_default();
                for sm in rm["scopeMetrics"].as_array().into_iter().flatten() {
                    for m in sm["metrics"].as_array().into_iter().flatten() {
                        if m["name"] != name {
                            continue;
                        }
                        let (data, is_hist) = if m.get("sum").is_some() {
                            (&m["sum"], false)
                        } else if m.get("histogram").is_some() {
                            (&m["histogram"], true)
                        } else {
                            continue;
                        };
                        let cumulative = data["aggregationTemporality"].as_u64() == Some(2);
                        for p in data["dataPoints"].as_array().into_iter().flatten() {
                            let pa = otlp_attrs(&p["attributes"]);
                            if !attrs.iter().all(|(k, v)| pa.get(k) == Some(v)) {
                                continue;
                            }
                            let num = |v: &Value| {
                                v.as_f64()
                                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                                    .unwrap_or(0.0)
                            };
                            let (count, sum) = if is_hist {
                                (num(&p["count"]), num(&p["sum"]))
                            } else {
                                let v = if p.get("asInt").is_some() {
                                    num(&p["asInt"])
                                } else {
                                    num(&p["asDouble"])
                                };
                                (v, v)
                            };
                            let t = p["timeUnixNano"]
                                .as_str()
                                .and_then(|s| s.parse::<u64>().ok())
                                .unwrap_or(0);
                            let key = format!("{instance}|{pa:?}");
                            let e = streams.entry(key).or_insert((cumulative, 0.0, 0.0, 0));
                            if cumulative {
                                if t >= e.3 {
                                    *e = (true, count, sum, t);
                                }
                            } else {
                                e.1 += count;
                                e.2 += sum;
                            }
                        }
                    }
                }
            }
        }
        streams
            .values()
            .fold((0.0, 0.0), |(c, s), e| (c + e.1, s + e.2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(route: &str, status: &str) -> Vec<(String, String)> {
        vec![
            ("service.name".into(), "shop-catalog".into()),
            ("http.route".into(), route.into()),
            ("http.response.status_code".into(), status.into()),
        ]
    }

    #[test]
    fn over_matched_series_are_undone() {
        let listed = vec![
            ("r".to_owned(), dims("/api/products", "200")),
            ("r".to_owned(), dims("/api/products/{id}", "200")),
            ("r".to_owned(), dims("/api/products/search", "200")),
            ("r".to_owned(), dims("/api/products/{id}", "404")),
        ];
        assert!(like_matches(&listed[0].1, &listed[1].1));
        assert!(!like_matches(&listed[1].1, &listed[0].1));
        assert!(!like_matches(&listed[1].1, &listed[3].1));
        // True values 7, 20, 5, 3; LocalStack answers with the LIKE sums.
        let mut like = BTreeMap::new();
        like.insert((0, "Sum"), 7.0 + 20.0 + 5.0);
        like.insert((1, "Sum"), 20.0);
        like.insert((2, "Sum"), 5.0);
        like.insert((3, "Sum"), 3.0);
        let exact = undo_like(&listed, &like);
        assert_eq!(exact[&(0, "Sum")], 7.0);
        assert_eq!(exact[&(1, "Sum")], 20.0);
        assert_eq!(exact[&(3, "Sum")], 3.0);
    }

    #[test]
    fn xray_ids_normalise_to_32_hex() {
        assert_eq!(
            normalise_trace_id("1-5759e988-bd862e3fe1be46a994272793"),
            "5759e988bd862e3fe1be46a994272793"
        );
        assert_eq!(normalise_trace_id("ABCDEF"), "abcdef");
    }

    #[test]
    fn a_segment_tree_flattens_with_parents_and_attributes() {
        let doc = serde_json::json!({
            "trace_id": "1-5759e988-bd862e3fe1be46a994272793",
            "id": "aaaaaaaaaaaaaaaa", "parent_id": "1111111111111111", "name": "shop-orders",
            "http": {"request": {"method": "POST"}, "response": {"status": 503}},
            "fault": true,
            "annotations": {"route": "/api/orders"},
            "metadata": {"span": {"name": "POST /api/orders", "kind": "server"}},
            "subsegments": [{
                "id": "bbbbbbbbbbbbbbbb", "name": "shop-inventory", "fault": true,
                "namespace": "remote",
                "metadata": {"span": {"name": "POST /api/inventory/check", "kind": "client"}}
            }]
        });
        let spans = xray_spans(&doc);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].service, "orders");
        assert_eq!(spans[0].parent, "1111111111111111");
        assert_eq!(spans[0].attributes["http.route"], "/api/orders");
        assert_eq!(spans[0].attributes["http.response.status_code"], "503");
        assert!(spans[0].failed);
        assert_eq!(spans[1].parent, "aaaaaaaaaaaaaaaa");
        assert_eq!(spans[1].service, "orders");
        assert_eq!(spans[1].kind, "client");
        assert_eq!(spans[0].namespace, None);
        assert_eq!(spans[1].namespace.as_deref(), Some("remote"));
    }

    #[test]
    fn a_previous_runs_late_export_is_left_out() {
        // The same cumulative counter from two runs' catalog processes.
        let block = |run: &str, instance: &str, value: u64| {
            serde_json::json!({
                "resource": { "attributes": [
                    { "key": "service.name", "value": { "stringValue": "shop-catalog" } },
                    { "key": "service.instance.id", "value": { "stringValue": instance } },
                    { "key": RUN_ATTRIBUTE, "value": { "stringValue": run } },
                ] },
                "scopeMetrics": [{ "metrics": [{
                    "name": "http.server.requests",
                    "sum": { "aggregationTemporality": 2, "dataPoints": [
                        { "asInt": value.to_string(), "timeUnixNano": "1", "attributes": [] }
                    ] }
                }] }]
            })
        };
        let mut captured = Captured {
            traces: serde_json::json!([]),
            metrics: serde_json::json!([
                { "resourceMetrics": [block("otel-100-nominal", "a", 102)] },
                { "resourceMetrics": [block("otel-5-nominal", "b", 102)] },
            ]),
            logs: serde_json::json!([]),
        };
        assert_eq!(
            captured.metric("http.server.requests", "catalog", &[]).0,
            204.0,
            "without the filter both runs count"
        );
        captured.keep_run("otel-5-nominal");
        assert_eq!(
            captured.metric("http.server.requests", "catalog", &[]).0,
            102.0
        );
    }
}
