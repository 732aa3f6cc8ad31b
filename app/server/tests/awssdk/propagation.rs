//! `X-Amzn-Trace-Id` as an Application Load Balancer sends it: a `Root` and
//! no `Parent`. As the X-Ray SDKs do, the shop continues that trace: its
//! segment keeps the `Root` as trace id and has no `parent_id`, so the
//! request is found in X-Ray under the id the load balancer logged.
//! (Headers with a `Parent` are covered across two services in `traces`.)

use crate::common::TempDir;
use crate::lab::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_balancers_root_only_header_continues_the_trace_without_a_parent() {
    let env = lab_env();
    let data = TempDir::new();
    let name = unique("alb");
    let shop = awssdk_shop(&name, env).data_dir(data.path()).start();

    let (root, with_parent) = xray_header("1");
    let header = with_parent.replace(";Parent=53995c3f42cd8ad8", "");
    assert_eq!(header, format!("Root={root};Sampled=1"));
    let r = http()
        .get(shop.url("/api/products/7"))
        .header("X-Amzn-Trace-Id", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-trace-id"],
        root.as_str(),
        "the load balancer's trace is continued"
    );
    flush(&shop).await;

    let docs = wait_trace(&xray(env), &root, 1).await;
    assert_eq!(docs.len(), 1, "one segment: {docs:#?}");
    let segment = &docs[0];
    assert_eq!(segment["name"], name.as_str());
    assert_eq!(segment["trace_id"], root.as_str());
    assert!(
        segment.get("parent_id").is_none(),
        "no parent: the load balancer sent none: {segment:#}"
    );
    assert!(segment.get("type").is_none(), "a segment: {segment:#}");
    assert_eq!(segment["http"]["request"]["method"], "GET");
    assert_eq!(segment["http"]["response"]["status"], 200);
    assert_eq!(segment["annotations"]["route"], "/api/products/{id}");
    // Its subsegments (the SQL statements) belong to the same trace, under it.
    let nodes = all_nodes(segment);
    assert!(nodes.len() > 1, "subsegments: {segment:#}");
    flush_accounted(&shop).await;
}
