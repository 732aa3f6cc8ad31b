//! Running the shop with the awssdk backend, and reading back what reached
//! the emulators.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use serde_json::Value;

use crate::common::{self, ShopOptions, ShopProcess};

/// The emulators' variables (`AWS_ENDPOINT_URL_*`, region, keys), starting
/// LocalStack and moto once per test process.
pub fn lab_env() -> &'static BTreeMap<String, String> {
    static ENV: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = common::lab_component("localstack");
        env.extend(common::lab_component("moto"));
        env
    })
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", rand::random::<u32>())
}

/// The repository's rules file that samples every trace.
pub fn sample_everything() -> String {
    common::repo_root()
        .join("telemetry-awssdk/sampling-rules/sample-everything.json")
        .display()
        .to_string()
}

/// Options for a shop exporting to the emulators with short intervals;
/// every trace sampled unless the test sets other rules.
pub fn awssdk_shop(service: &str, env: &BTreeMap<String, String>) -> ShopOptions {
    ShopOptions::new()
        .args(["--telemetry", "awssdk"])
        .envs(env.clone())
        .env("SHOP_SERVICE_NAME", service)
        .env("SHOP_ENVIRONMENT", "test")
        .env("SHOP_XRAY_SAMPLING_RULES", sample_everything())
        .env("SHOP_XRAY_INTERVAL_MS", "200")
        .env("SHOP_CW_LOGS_INTERVAL_MS", "200")
        .env("SHOP_CW_METRICS_INTERVAL_MS", "1000")
        .env("SHOP_CW_NAMESPACE", format!("ShopLabTest/{service}"))
        .env("SHOP_CW_LOG_GROUP", format!("/shop-lab-test/{service}"))
        .env(
            "SHOP_CW_EMF_LOG_GROUP",
            format!("/shop-lab-test/{service}/metrics"),
        )
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The request id prefix of [`flush`] requests, so that tests can tell
/// their log lines (written after the statistics were taken) from the rest.
pub const FLUSH_REQUEST: &str = "test-flush-";

/// `POST /api/telemetry/flush`: the export statistics after the flush.
pub async fn flush(shop: &ShopProcess) -> Value {
    let c = http();

    let r = c
        .post(shop.url("/api/telemetry/flush"))
        .header(
            "x-request-id",
            format!("{FLUSH_REQUEST}{:08x}", rand::random::<u32>()),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "flush: {}", r.status());
    // The statistics in the flush response are taken inside the flush
    // request, after the flush: every earlier request's spans are in them.
    r.json().await.unwrap()
}

pub async fn stats(shop: &ShopProcess) -> Value {
    http()
        .get(shop.url("/api/telemetry/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Flushes until every signal's counters add up (received = sent +
/// dropped), for up to 8 s, and returns the statistics. A flush sends
/// every finished request; a span that ends after its request's root span
/// (a driver task may hold it a little longer) waits up to 5 s for the
/// root before it is sent on its own, so the counters may need a moment.
pub async fn flush_accounted(shop: &ShopProcess) -> Value {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let s = flush(shop).await;
        if is_accounted(&s) || Instant::now() > deadline {
            assert_accounted(&s);
            return s;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn is_accounted(stats: &Value) -> bool {
    ["spans", "metrics", "logs"].iter().all(|signal| {
        let s = &stats["export"][signal];
        s["received"].as_u64()
            == Some(s["sent"].as_u64().unwrap_or(0) + s["dropped"].as_u64().unwrap_or(0))
    })
}

/// Every signal's counters add up: what was received was sent or dropped.
pub fn assert_accounted(stats: &Value) {
    for signal in ["spans", "metrics", "logs"] {
        let s = &stats["export"][signal];
        let n = |k: &str| {
            s[k].as_u64()
                .unwrap_or_else(|| panic!("{signal}.{k} in {stats}"))
        };
        assert_eq!(
            n("received"),
            n("sent") + n("dropped"),
            "{signal}: received = sent + dropped after a flush: {s}"
        );
    }
}

fn region() -> aws_sdk_xray::config::Region {
    aws_sdk_xray::config::Region::new(lab_env()["AWS_REGION"].clone())
}

fn credentials() -> aws_sdk_xray::config::Credentials {
    aws_sdk_xray::config::Credentials::new("test", "test", None, None, "lab")
}

pub fn xray(env: &BTreeMap<String, String>) -> aws_sdk_xray::Client {
    aws_sdk_xray::Client::from_conf(
        aws_sdk_xray::Config::builder()
            .behavior_version(aws_sdk_xray::config::BehaviorVersion::latest())
            .region(region())
            .credentials_provider(credentials())
            .endpoint_url(&env["AWS_ENDPOINT_URL_XRAY"])
            .build(),
    )
}

pub fn cloudwatch(env: &BTreeMap<String, String>) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new(
                lab_env()["AWS_REGION"].clone(),
            ))
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&env["AWS_ENDPOINT_URL_CLOUDWATCH"])
            .build(),
    )
}

pub fn logs(env: &BTreeMap<String, String>) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatchlogs::config::Region::new(
                lab_env()["AWS_REGION"].clone(),
            ))
            .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&env["AWS_ENDPOINT_URL_CLOUDWATCH_LOGS"])
            .build(),
    )
}

/// The segment documents X-Ray holds for a trace (BatchGetTraces), parsed.
pub async fn trace_documents(client: &aws_sdk_xray::Client, trace_id: &str) -> Vec<Value> {
    let out = client
        .batch_get_traces()
        .trace_ids(trace_id)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "BatchGetTraces: {}",
                aws_sdk_xray::error::DisplayErrorContext(e)
            )
        });
    out.traces()
        .iter()
        .flat_map(|t| t.segments())
        .map(|s| serde_json::from_str(s.document().unwrap_or("null")).unwrap())
        .collect()
}

/// Waits (up to 10 s) until X-Ray holds at least `n` documents for the trace.
pub async fn wait_trace(client: &aws_sdk_xray::Client, trace_id: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let docs = trace_documents(client, trace_id).await;
        if docs.len() >= n || Instant::now() > deadline {
            return docs;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every (sub)segment in a document tree, depth first.
pub fn all_nodes(doc: &Value) -> Vec<&Value> {
    let mut out = vec![doc];
    for s in doc["subsegments"].as_array().into_iter().flatten() {
        out.extend(all_nodes(s));
    }
    out
}

/// A CloudWatch statistic (`Sum`, `SampleCount`, …) of one metric over the
/// last 15 minutes, summed over the periods GetMetricData returns.
pub async fn metric_statistic(
    client: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    dimensions: &[(&str, &str)],
    stat: &str,
) -> f64 {
    let now = std::time::SystemTime::now();
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(name)
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
                .collect(),
        ))
        .build();
    let out = client
        .get_metric_data()
        .metric_data_queries(
            MetricDataQuery::builder()
                .id("m0")
                .metric_stat(
                    MetricStat::builder()
                        .metric(metric)
                        .period(60)
                        .stat(stat)
                        .build(),
                )
                .build(),
        )
        .start_time((now - Duration::from_secs(900)).into())
        .end_time((now + Duration::from_secs(300)).into())
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetMetricData: {}",
                aws_sdk_cloudwatch::error::DisplayErrorContext(e)
            )
        });
    out.metric_data_results()
        .iter()
        .flat_map(|r| r.values())
        .sum()
}

/// The log group's events once the `sent` records a flush reported have
/// arrived (up to 10 s), without the flush request's own lines (sent after its
/// statistics were taken, by the next batch).
pub async fn wait_log_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    sent: u64,
) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    for _ in 0..50 {
        events = log_events(client, group).await;
        events.retain(|(_, m)| !m.contains(FLUSH_REQUEST));
        if events.len() as u64 >= sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    events
}

/// Every event of a log group (FilterLogEvents, all pages), in the order
/// CloudWatch returns them.
pub async fn log_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = client
            .filter_log_events()
            .log_group_name(group)
            .set_next_token(next.clone())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "FilterLogEvents {group}: {}",
                    aws_sdk_cloudwatchlogs::error::DisplayErrorContext(e)
                )
            });
        events.extend(out.events().iter().map(|e| {
            (
                e.timestamp().unwrap_or(0),
                e.message().unwrap_or("").to_owned(),
            )
        }));
        next = out.next_token().map(str::to_owned);
        if next.is_none() {
            return events;
        }
    }
}

/// A fresh X-Ray trace header with `Sampled` as given (`1`, `0`, `?`).
pub fn xray_header(sampled: &str) -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let root = format!(
        "1-{secs:08x}-{:024x}",
        rand::random::<u128>() & ((1u128 << 96) - 1)
    );
    let header = format!("Root={root};Parent=53995c3f42cd8ad8;Sampled={sampled}");
    (root, header)
}
