//! X-Ray sampling: rules from a local rules file (moto has no sampling-rule
//! API, so the backend falls back to it), and upstream decisions honoured.

use crate::common::{TempDir, repo_root};
use crate::lab::*;

/// O-TRACE-06: the example rules never trace health checks; an upstream
/// `Sampled=0` is honoured even where the rules would sample, `Sampled=1`
/// where they would not, and `Sampled=?` leaves the decision to the rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_upstream_decisions() {
    let env = lab_env();
    let dir = TempDir::new();
    // The shipped example, with the default rule raised to "everything" so
    // the outcome is deterministic.
    let example =
        std::fs::read_to_string(repo_root().join("telemetry-awssdk/sampling-rules/example.json"))
            .unwrap();
    let mut rules: serde_json::Value = serde_json::from_str(&example).unwrap();
    rules["default"] = serde_json::json!({ "fixed_target": 0, "rate": 1.0 });
    let path = dir.path().join("rules.json");
    std::fs::write(&path, rules.to_string()).unwrap();

    let service = unique("sampling");
    let shop = awssdk_shop(&service, env)
        .env("SHOP_XRAY_SAMPLING_RULES", path.display().to_string())
        .start();
    let c = http();
    let get = |path: &'static str, header: Option<String>| {
        let c = c.clone();
        let url = shop.url(path);
        async move {
            let mut r = c.get(url);
            if let Some(h) = header {
                r = r.header("X-Amzn-Trace-Id", h);
            }
            let r = r.send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.headers()["x-trace-id"].to_str().unwrap().to_owned()
        }
    };
    let health = get("/api/health", None).await;
    let products = get("/api/products", None).await;
    let (root0, h0) = xray_header("0");
    assert_eq!(get("/api/products", Some(h0)).await, root0);
    let (root1, h1) = xray_header("1");
    assert_eq!(get("/api/health", Some(h1)).await, root1);
    let (root_q, hq) = xray_header("?");
    assert_eq!(get("/api/products", Some(hq)).await, root_q);

    let stats = flush_accounted(&shop).await;
    let sampler = stats["sampler"].as_str().unwrap();
    assert!(
        sampler.contains("file") && sampler.contains("health checks"),
        "{sampler}"
    );

    let xray = xray(env);
    // Sampled traces arrive (wait for them first, then check the others are absent).
    assert_eq!(
        wait_trace(&xray, &products, 1).await.len(),
        1,
        "rules: sampled"
    );
    assert_eq!(
        wait_trace(&xray, &root1, 1).await.len(),
        1,
        "upstream Sampled=1"
    );
    assert_eq!(
        wait_trace(&xray, &root_q, 1).await.len(),
        1,
        "Sampled=? → rules"
    );
    assert!(
        trace_documents(&xray, &health).await.is_empty(),
        "health is never traced"
    );
    assert!(
        trace_documents(&xray, &root0).await.is_empty(),
        "upstream Sampled=0"
    );
}
