//! The X-Ray option over OTLP/gRPC: `OTEL_PROPAGATORS=xray` reads and writes
//! `X-Amzn-Trace-Id` and makes X-Ray-compatible trace ids (epoch seconds
//! first), so ADOT's `awsxray` exporter could hand the same trace to X-Ray;
//! log lines write trace ids in X-Ray's form. Also: delta temporality and
//! `OTEL_SERVICE_NAME`.
//!
//! And a header with a `Root` but no `Parent` (what an Application Load
//! Balancer sends): the SDK's X-Ray propagator (`opentelemetry-aws` 0.21)
//! extracts it as a span context with an all-zero span id, which
//! OpenTelemetry calls invalid, and the SDK's rule is to start a new trace
//! for an invalid parent. The `awssdk` backend continues the Root instead, as
//! the X-Ray SDKs do: a difference between the backends (a finding in
//! `telemetry-otel/README.md`).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::TempDir;
use crate::lab::{Http, Pipeline, checkout_tree, order_body, start_split, totals_by};

const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";
const TRACE: &str = "5759e988bd862e3fe1be46a994272793";
const PARENT: &str = "53995c3f42cd8ad8";

#[test]
fn an_x_ray_trace_crosses_two_services_over_otlp_grpc() {
    let pipeline = Pipeline::start();
    let mut env = pipeline.shop_env("grpc");
    env.push(("OTEL_PROPAGATORS".into(), "xray".into()));
    env.push((
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE".into(),
        "delta".into(),
    ));
    let data = TempDir::new();
    let inventory_name = [("OTEL_SERVICE_NAME".to_owned(), "inventory-xray".to_owned())];
    let (mut inventory, mut orders) = start_split(&env, &inventory_name, &[], data.path());
    let http = Http::new();

    let cart = http.post(&orders.url("/api/carts"), &serde_json::json!({}));
    assert_eq!(cart.status, 201);
    // A trace started here has an X-Ray id: epoch seconds in the first 32 bits.
    let started_here = cart.header("x-trace-id").to_owned();
    assert!(started_here.starts_with("1-"), "{started_here}");
    let secs = u64::from_str_radix(&started_here[2..10], 16).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(secs) < 300, "{started_here} vs {now}");
    let cart = cart.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        http.post(
            &orders.url(&format!("/api/carts/{cart}/items")),
            &serde_json::json!({ "product_id": 4, "quantity": 2 }),
        )
        .status,
        201
    );
    let checkout = http.send(
        http.request(reqwest::Method::POST, &orders.url("/api/orders"))
            .header("Idempotency-Key", "otel-xray-1")
            .header(
                "X-Amzn-Trace-Id",
                format!("Root={ROOT};Parent={PARENT};Sampled=1"),
            )
            .json(&order_body(&cart)),
    );
    assert_eq!(checkout.status, 201, "{}", checkout.body);
    assert_eq!(checkout.header("x-trace-id"), ROOT);

    let flushed = http.post(&orders.url("/api/telemetry/flush"), &serde_json::json!({}));
    assert_eq!(flushed.status, 200, "{}", flushed.body);
    let stats = http.get(&orders.url("/api/telemetry/stats")).body;
    let spans_stats = &stats["export"]["spans"];
    assert!(spans_stats["api_calls"].as_u64().unwrap() > 0, "{stats}");
    assert_eq!(spans_stats["errors"], 0, "{stats}");
    // tonic does not expose the encoded size: gRPC bytes are not counted.
    assert_eq!(spans_stats["bytes"], 0, "{stats}");

    assert!(orders.terminate().success());
    assert!(inventory.terminate().success());

    // Log lines on stdout join X-Ray: trace ids in X-Ray's form.
    let line = orders
        .lines()
        .iter()
        .find(|l| l["message"] == "request completed" && l["trace_id"] == ROOT)
        .cloned();
    assert!(line.is_some(), "an access log line with trace_id {ROOT}");

    pipeline.expect_tree(TRACE, &checkout_tree("shop-orders", "inventory-xray"));
    let spans = pipeline.capture.store().spans();
    let server = spans
        .iter()
        .find(|s| {
            s.trace_id() == TRACE
                && s.span.kind == 2
                && s.resource_str("service.name") == Some("shop-orders")
        })
        .unwrap();
    assert_eq!(server.parent_span_id(), PARENT);
    assert_eq!(server.attr_i64("http.response.status_code"), Some(201));

    // Delta temporality: every point is an increment; the sums equal what was driven.
    let expected: BTreeMap<String, u64> = [
        ("/api/carts", 1),
        ("/api/carts/{id}/items", 1),
        ("/api/orders", 1),
        ("/api/telemetry/flush", 1),
        ("/api/telemetry/stats", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    pipeline.wait("the delta metric totals", |s| {
        totals_by(
            &s.metrics(),
            "shop-orders",
            "http.server.requests",
            "http.route",
        ) == expected
            && totals_by(
                &s.metrics(),
                "inventory-xray",
                "http.server.requests",
                "http.route",
            )
            .get("/api/inventory/check")
                == Some(&2)
    });
    let metrics = pipeline.capture.store().metrics();
    let requests = metrics
        .iter()
        .find(|m| m.metric.name == "http.server.requests")
        .unwrap();
    match &requests.metric.data {
        Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Sum(sum)) => {
            assert_eq!(sum.aggregation_temporality, 1, "delta");
            assert!(sum.is_monotonic);
        }
        other => panic!("a sum: {other:?}"),
    }

    // OTLP log records carry the same trace id (as 16 bytes).
    pipeline.wait("the checkout's log records", |s| {
        s.logs().iter().any(|l| l.trace_id() == TRACE)
    });
}

#[test]
fn an_x_ray_root_without_parent_starts_a_new_trace() {
    let (pipeline, mut shop) = Pipeline::with_shop(&[("OTEL_PROPAGATORS", "xray")]);
    let http = Http::new();
    let answer = http.send(
        http.request(reqwest::Method::GET, &shop.url("/api/products/7"))
            .header("X-Amzn-Trace-Id", format!("Root={ROOT};Sampled=1")),
    );
    assert_eq!(answer.status, 200);
    // A new X-Ray trace id, not the load balancer's Root.
    let new_root = answer.header("x-trace-id").to_owned();
    assert_ne!(new_root, ROOT, "the Root is not continued");
    assert!(
        new_root.starts_with("1-") && new_root.len() == ROOT.len(),
        "{new_root}"
    );
    let new_trace = new_root[2..].replace('-', "");
    assert!(shop.terminate().success());

    pipeline.wait("the request's server span", |s| {
        s.spans()
            .iter()
            .any(|sp| sp.trace_id() == new_trace && sp.span.kind == 2)
    });
    let spans = pipeline.capture.store().spans();
    let server = spans
        .iter()
        .find(|s| s.trace_id() == new_trace && s.span.kind == 2)
        .unwrap();
    assert_eq!(server.parent_span_id(), "", "a root span: no parent");
    assert_eq!(server.attr_i64("http.response.status_code"), Some(200));
    assert!(
        spans.iter().all(|s| s.trace_id() != TRACE),
        "nothing arrived under the load balancer's Root"
    );
}
