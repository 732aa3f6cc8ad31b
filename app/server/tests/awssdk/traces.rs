//! X-Ray: one segment per service per request, subsegments for SQL and
//! service calls, the trace continued from an incoming `X-Amzn-Trace-Id`
//! across two services, and error/fault flags from status codes.

use serde_json::{Value, json};

use crate::common::{TempDir, order_body};
use crate::lab::*;

async fn post_json(url: &str, body: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut r = http().post(url).json(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap()
}

/// O-TRACE-01/02/03: a checkout with an incoming X-Ray header crosses
/// orders → inventory; X-Ray holds exactly the spans each service sent,
/// nested as they ran, with the incoming Parent as the orders segment's
/// parent and the orders call subsegment as the inventory segment's parent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_is_one_trace_across_two_services() {
    let env = lab_env();
    let data = TempDir::new();
    let inv_name = unique("inventory");
    let ord_name = unique("orders");
    let inventory = awssdk_shop(&inv_name, env)
        .args(["--role", "inventory"])
        .data_dir(data.path())
        .start();
    let orders = awssdk_shop(&ord_name, env)
        .args(["--role", "orders", "--inventory-url", &inventory.address])
        .data_dir(data.path())
        .start();

    let r = post_json(&orders.url("/api/carts"), &json!({}), &[]).await;
    assert_eq!(r.status(), 201);
    let cart: Value = r.json().await.unwrap();
    let cart = cart["id"].as_str().unwrap().to_owned();
    let r = post_json(
        &orders.url(&format!("/api/carts/{cart}/items")),
        &json!({"product_id": 2, "quantity": 1}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 201);

    // The inventory shop's counters so far (start-up work is traced too).
    let inv_before = flush(&inventory).await;
    let (root, header) = xray_header("1");
    let r = post_json(
        &orders.url("/api/orders"),
        &order_body(&cart),
        &[
            ("Idempotency-Key", "awssdk-trace-1"),
            ("X-Amzn-Trace-Id", &header),
        ],
    )
    .await;
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    assert_eq!(
        r.headers()["x-trace-id"],
        root.as_str(),
        "the incoming trace is continued"
    );

    // One flush each: the statistics then count exactly the spans of the
    // requests so far (not the flush request's own).
    let inv_stats = flush(&inventory).await;
    let ord_stats = flush(&orders).await;
    assert_eq!(inv_stats["backend"], "awssdk");
    assert!(
        ord_stats["sampler"].as_str().unwrap().contains("file"),
        "moto has no sampling-rule API, so the rules file applies: {}",
        ord_stats["sampler"]
    );

    let client = xray(env);
    let docs = wait_trace(&client, &root, 2).await;
    let segment = |name: &str| {
        docs.iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("no {name} segment in {docs:#?}"))
    };
    let ord = segment(&ord_name);
    let inv = segment(&inv_name);
    assert_eq!(docs.len(), 2, "one document per service: {docs:#?}");

    // The orders segment continues the caller's trace.
    assert_eq!(ord["trace_id"], root.as_str());
    assert_eq!(ord["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(ord["http"]["request"]["method"], "POST");
    assert!(
        ord["http"]["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/api/orders")
    );
    assert_eq!(ord["http"]["response"]["status"], 201);
    assert_eq!(ord["annotations"]["route"], "/api/orders");
    assert_eq!(ord["annotations"]["status_class"], "2xx");
    assert_eq!(ord["annotations"]["checkout_outcome"], "placed");
    assert!(ord.get("error").is_none() && ord.get("fault").is_none());

    // Its subsegments: SQL statements, and exactly one call to inventory.
    let ord_nodes = all_nodes(ord);
    let calls: Vec<&&Value> = ord_nodes
        .iter()
        .filter(|n| n["namespace"] == "remote" && n.get("http").is_some())
        .collect();
    assert_eq!(calls.len(), 1, "one service call: {ord:#}");
    let call = calls[0];
    assert!(
        call["http"]["request"]["url"]
            .as_str()
            .unwrap()
            .contains("/api/inventory")
    );
    assert_eq!(call["http"]["response"]["status"], 200);
    let sql: Vec<&&Value> = ord_nodes
        .iter()
        .filter(|n| n.get("sql").is_some())
        .collect();
    assert!(!sql.is_empty(), "SQL subsegments: {ord:#}");
    for s in &sql {
        assert_eq!(s["namespace"], "remote");
        assert_eq!(s["sql"]["database_type"], "sqlite");
        let q = s["sql"]["sanitized_query"].as_str().unwrap();
        assert!(
            !q.contains("learner@example.com") && !q.contains(&cart),
            "literals removed: {q}"
        );
    }

    // The inventory segment hangs under the orders call subsegment.
    assert_eq!(inv["trace_id"], root.as_str());
    assert_eq!(inv["parent_id"], call["id"]);
    assert_eq!(inv["http"]["response"]["status"], 200);

    // Exactly what the inventory service sent for this trace arrived: the
    // spans it sent since `inv_before` are this trace's (sub)segments plus
    // the server span of the flush request that took `inv_before`.
    let inv_nodes = all_nodes(inv).len() as u64;
    let sent = |s: &Value| s["export"]["spans"]["sent"].as_u64().unwrap();
    assert_eq!(sent(&inv_stats) - sent(&inv_before), inv_nodes + 1);
    let mut ids: Vec<&str> = ord_nodes
        .iter()
        .chain(all_nodes(inv).iter())
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "(sub)segment ids are unique");
    flush_accounted(&inventory).await;
    flush_accounted(&orders).await;
}

/// Status codes become X-Ray's flags: 4xx `error`, 5xx `fault` with a
/// `cause`; a failing service call is a faulted remote subsegment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_set_error_and_fault_flags() {
    let env = lab_env();
    let name = unique("orders-down");
    // Inventory is a port nobody listens on (a privileged one: a free
    // ephemeral port could be taken by another test's shop meanwhile).
    let dead = "http://127.0.0.1:1".to_owned();
    let shop = awssdk_shop(&name, env)
        .args(["--role", "orders", "--inventory-url", &dead])
        .start();
    let c = http();
    let r = c
        .get(shop.url("/api/orders/00000000-0000-4000-8000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let not_found = r.headers()["x-trace-id"].to_str().unwrap().to_owned();

    let r = post_json(&shop.url("/api/carts"), &json!({}), &[]).await;
    let cart: Value = r.json().await.unwrap();
    let cart = cart["id"].as_str().unwrap().to_owned();
    // Adding an item asks inventory for stock: inventory is down.
    let r = post_json(
        &shop.url(&format!("/api/carts/{cart}/items")),
        &json!({"product_id": 3, "quantity": 1}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 503);
    let unavailable = r.headers()["x-trace-id"].to_str().unwrap().to_owned();
    flush_accounted(&shop).await;

    let client = xray(env);
    let d = &wait_trace(&client, &not_found, 1).await[0];
    assert_eq!(d["name"], name.as_str());
    assert_eq!(d["http"]["response"]["status"], 404);
    assert_eq!(d["error"], true);
    assert!(d.get("fault").is_none());
    assert_eq!(d["annotations"]["status_class"], "4xx");

    let d = &wait_trace(&client, &unavailable, 1).await[0];
    assert_eq!(d["fault"], true);
    assert_eq!(d["http"]["response"]["status"], 503);
    assert!(
        !d["cause"]["exceptions"].as_array().unwrap().is_empty(),
        "a fault carries a cause: {d:#}"
    );
    let call = all_nodes(d)
        .into_iter()
        .find(|n| n["namespace"] == "remote" && n.get("http").is_some())
        .unwrap_or_else(|| panic!("the failed call is a subsegment: {d:#}"));
    assert_eq!(call["fault"], true);
    assert_eq!(call["cause"]["exceptions"][0]["remote"], true);
    assert!(call["annotations"]["error_type"].is_string());
}
