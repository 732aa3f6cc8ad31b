//! CloudWatch metrics: per-interval aggregates sent with PutMetricData (or
//! as EMF lines) add up, read back with GetMetricData, to exactly what was
//! driven.

use std::time::Duration;

use serde_json::Value;

use crate::common::ShopProcess;
use crate::lab::*;

/// 7 product listings and 3 unknown products, on one shop.
async fn drive(shop: &ShopProcess) {
    let c = http();
    for _ in 0..7 {
        let r = c
            .get(shop.url("/api/products?per_page=2"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    for id in [900001, 900002, 900003] {
        let r = c
            .get(shop.url(&format!("/api/products/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
}

fn dims<'a>(service: &'a str, route: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("service.name", service),
        ("http.request.method", "GET"),
        ("http.route", route),
        ("http.response.status_code", status),
    ]
}

/// O-METRIC-01/03: request counts and latency sample counts per route and
/// status equal what was sent; nothing was dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_metric_data_sums_equal_what_was_driven() {
    let env = lab_env();
    let service = unique("metrics");
    let namespace = format!("ShopLabTest/{service}");
    let shop = awssdk_shop(&service, env).start();
    drive(&shop).await;
    let stats = flush_accounted(&shop).await;
    let m = &stats["export"]["metrics"];
    assert!(m["sent"].as_u64().unwrap() >= 20, "{m}");
    assert_eq!(m["dropped"], 0);
    assert!(m["api_calls"].as_u64().unwrap() >= 1 && m["bytes"].as_u64().unwrap() > 0);

    let cw = cloudwatch(env);
    let ok = dims(&service, "/api/products", "200");
    let missing = dims(&service, "/api/products/{id}", "404");
    let sum = |d, name, stat| {
        let cw = cw.clone();
        let ns = namespace.clone();
        async move { metric_statistic(&cw, &ns, name, d, stat).await }
    };
    assert_eq!(sum(&ok, "http.server.requests", "Sum").await, 7.0);
    assert_eq!(sum(&missing, "http.server.requests", "Sum").await, 3.0);
    assert_eq!(
        sum(&ok, "http.server.request.duration", "SampleCount").await,
        7.0
    );
    assert_eq!(
        sum(&missing, "http.server.request.duration", "SampleCount").await,
        3.0
    );
    let total_seconds = sum(&ok, "http.server.request.duration", "Sum").await;
    assert!(
        total_seconds > 0.0 && total_seconds < 7.0 * 5.0,
        "{total_seconds}"
    );
    // 5xx counter: none happened, so no data.
    assert_eq!(sum(&ok, "http.server.errors", "Sum").await, 0.0);
}

/// With `SHOP_CW_HISTOGRAMS=values` histograms go as Values/Counts (what
/// CloudWatch needs for percentiles); the sample count is still exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_and_counts_keep_sample_counts_exact() {
    let env = lab_env();
    let service = unique("metrics-values");
    let namespace = format!("ShopLabTest/{service}");
    let shop = awssdk_shop(&service, env)
        .env("SHOP_CW_HISTOGRAMS", "values")
        .start();
    drive(&shop).await;
    flush_accounted(&shop).await;
    let cw = cloudwatch(env);
    let ok = dims(&service, "/api/products", "200");
    assert_eq!(
        metric_statistic(
            &cw,
            &namespace,
            "http.server.request.duration",
            &ok,
            "SampleCount"
        )
        .await,
        7.0
    );
    assert_eq!(
        metric_statistic(&cw, &namespace, "http.server.requests", &ok, "Sum").await,
        7.0
    );
}

/// O-METRIC-05: in EMF mode the same totals arrive as Embedded Metric
/// Format lines in CloudWatch Logs (read back and summed here: LocalStack
/// does not turn EMF lines into metrics, so GetMetricData cannot be used).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emf_lines_carry_the_same_totals() {
    let env = lab_env();
    let service = unique("metrics-emf");
    let shop = awssdk_shop(&service, env)
        .env("SHOP_CW_METRICS", "emf")
        .start();
    drive(&shop).await;
    let stats = flush_accounted(&shop).await;
    assert_eq!(stats["export"]["metrics"]["dropped"], 0);

    let group = format!("/shop-lab-test/{service}/metrics");
    let mut lines = Vec::new();
    for _ in 0..50 {
        lines = log_events(&logs(env), &group).await;
        if !lines.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut requests = std::collections::BTreeMap::new();
    let mut samples = std::collections::BTreeMap::new();
    for (_, line) in &lines {
        let v: Value = serde_json::from_str(line).unwrap();
        let directive = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], format!("ShopLabTest/{service}"));
        let dim_names: Vec<&str> = directive["Dimensions"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for d in &dim_names {
            assert!(v.get(*d).is_some(), "dimension {d} has a value: {v}");
        }
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(v.get(m["Name"].as_str().unwrap()).is_some(), "{v}");
        }
        let key = (
            v["http.route"].as_str().unwrap_or("").to_owned(),
            v["http.response.status_code"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
        if let Some(n) = v["http.server.requests"].as_f64() {
            *requests.entry(key.clone()).or_insert(0.0) += n;
        }
        if let Some(a) = v["http.server.request.duration"].as_array() {
            *samples.entry(key).or_insert(0) += a.len();
        }
    }
    let ok = ("/api/products".to_owned(), "200".to_owned());
    let missing = ("/api/products/{id}".to_owned(), "404".to_owned());
    assert_eq!(requests.get(&ok), Some(&7.0), "{requests:?}");
    assert_eq!(requests.get(&missing), Some(&3.0), "{requests:?}");
    assert_eq!(samples.get(&ok), Some(&7), "{samples:?}");
    assert_eq!(samples.get(&missing), Some(&3), "{samples:?}");
}

/// The account counters (O-METRIC-13, O-SEC-01) reach CloudWatch like the
/// other business metrics, with their bounded outcome and kind dimensions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_counters_arrive_by_outcome_and_kind() {
    let env = lab_env();
    let service = unique("metrics-accounts");
    let namespace = format!("ShopLabTest/{service}");
    let shop = awssdk_shop(&service, env).start();
    let c = http();
    let post = |path: &str, body: serde_json::Value| c.post(shop.url(path)).json(&body).send();
    let email = "metrics@example.com";
    let password = "correct horse battery";
    let r = post(
        "/api/auth/register",
        serde_json::json!({ "email": email, "password": password, "name": "Aiko" }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    for _ in 0..2 {
        let r = post(
            "/api/auth/login",
            serde_json::json!({ "email": email, "password": "wrong password!" }),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = post(
        "/api/auth/login",
        serde_json::json!({ "email": email, "password": password }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    flush_accounted(&shop).await;

    let cw = cloudwatch(env);
    let sum = |name: &'static str, key: &'static str, value: &'static str| {
        let (cw, ns, service) = (cw.clone(), namespace.clone(), service.clone());
        async move {
            metric_statistic(
                &cw,
                &ns,
                name,
                &[("service.name", service.as_str()), (key, value)],
                "Sum",
            )
            .await
        }
    };
    assert_eq!(
        sum("shop.logins", "shop.login.outcome", "failed").await,
        2.0
    );
    assert_eq!(sum("shop.logins", "shop.login.outcome", "ok").await, 1.0);
    assert_eq!(
        sum("shop.registrations", "shop.registration.outcome", "created").await,
        1.0
    );
    assert_eq!(
        sum(
            "shop.security.events",
            "shop.security.event.kind",
            "login_failed"
        )
        .await,
        2.0
    );
}
