//! Bad input of every kind gets a JSON 4xx naming the problem; nothing
//! panics, nothing answers 5xx.

use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, TestRunner};

use std::time::Duration;

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn unknown_routes_and_methods_are_json(app) {
        let body = expect_error(app.get("/api/nope").await, 404, "route_not_found", None).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("/api/nope"));
        let r = app.client.delete(app.url("/api/products")).send().await.unwrap();
        expect_error(r, 405, "method_not_allowed", None).await;
        let r = app.client.put(app.url("/api/orders")).send().await.unwrap();
        expect_error(r, 405, "method_not_allowed", None).await;
    }

    async fn malformed_bodies(app) {
        let cart = app.create_cart().await;
        let url = app.url(&format!("/api/carts/{cart}/items"));
        let send = |body: &'static str, content_type: &'static str| {
            app.client.post(&url).header("content-type", content_type).body(body).send()
        };
        expect_error(send("{\"product_id\": 2,", "application/json").await.unwrap(), 400, "malformed_json", None).await;
        expect_error(send("{\"product_id\": 2} trailing", "application/json").await.unwrap(), 400, "malformed_json", None).await;
        expect_error(send("", "application/json").await.unwrap(), 400, "malformed_json", None).await;
        expect_error(send("[1, 2]", "application/json").await.unwrap(), 400, "invalid_body", None).await;
        expect_error(send("{\"product_id\": 2}", "text/plain").await.unwrap(), 415, "unsupported_media_type", None).await;
        let r = app.client.post(&url).body("{\"product_id\": 2}").send().await.unwrap();
        expect_error(r, 415, "unsupported_media_type", None).await;
        let huge = format!("{{\"product_id\": 2, \"pad\": \"{}\"}}", "x".repeat(70 * 1024));
        let r = app.client.post(&url).header("content-type", "application/json").body(huge).send().await.unwrap();
        expect_error(r, 413, "payload_too_large", None).await;
        // Nothing was added by any of these.
        assert_eq!(app.get_json(&format!("/api/carts/{cart}"), 200).await["item_count"], 0);
    }
}

/// A request that outlives `--request-timeout` is answered with the JSON
/// 503 `request_timeout`, and the shop serves on. Deterministic: the test
/// holds SQLite's write lock, so creating a cart cannot finish until the
/// test lets go, long after the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_timeout_gets_a_json_503() {
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.request_timeout = Duration::from_millis(300);
    let app = spawn_with(opts).await;
    let lock = app.db.begin_write().await.unwrap();
    let r = app.client.post(app.url("/api/carts")).send().await.unwrap();
    assert!(r.headers().contains_key("retry-after"));
    let body = expect_error(r, 503, "request_timeout", None).await;
    assert_eq!(
        body["error"]["message"],
        "the shop did not answer within 300ms"
    );
    drop(lock);
    app.get_json("/api/categories", 200).await;
}

/// Random paths, query strings and bodies against every route never get a
/// 5xx or a non-JSON answer (SQLite; the checks are about the HTTP layer).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_input_never_gets_a_5xx() {
    let app = spawn_app(DbKind::Sqlite).await;
    let cart = app.create_cart().await;
    let handle = tokio::runtime::Handle::current();
    let requests = {
        let segment = prop_oneof![
            Just("products".to_owned()),
            Just("carts".to_owned()),
            Just("orders".to_owned()),
            Just("categories".to_owned()),
            Just("inventory".to_owned()),
            Just("items".to_owned()),
            Just("search".to_owned()),
            Just(cart.clone()),
            "-?[0-9]{1,22}",
            "[a-zA-Z0-9%._~-]{0,12}",
        ];
        let path =
            prop::collection::vec(segment, 0..5).prop_map(|s| format!("/api/{}", s.join("/")));
        let query = prop::collection::vec(
            (
                prop_oneof![
                    Just("page"),
                    Just("per_page"),
                    Just("sort"),
                    Just("q"),
                    Just("min_price"),
                    Just("category_id"),
                    Just("x")
                ],
                "[a-zA-Z0-9%_-]{0,10}",
            ),
            0..4,
        )
        .prop_map(|kv| {
            kv.into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        });
        let body = prop_oneof![
            Just(String::new()),
            "\\PC{0,64}",
            Just("{\"product_id\": 2, \"quantity\": 1}".to_owned()),
            Just(serde_json::to_string(&order_body(&cart)).unwrap()),
            (any::<i64>(), any::<i64>()).prop_map(|(p, q)| format!("{{\"product_id\": {p}, \"quantity\": {q}}}")),
            Just("{\"items\": [{\"product_id\": 1, \"quantity\": 1}, {\"product_id\": 1, \"quantity\": 1}]}".to_owned()),
        ];
        let method = prop_oneof![Just("GET"), Just("POST"), Just("PATCH"), Just("DELETE")];
        (method, path, query, body)
    };
    let mut runner = TestRunner::new(PropConfig {
        cases: 400,
        failure_persistence: None,
        ..PropConfig::default()
    });
    let result = runner.run(&requests, |(method, path, query, body)| {
        let url = if query.is_empty() {
            app.url(&path)
        } else {
            app.url(&format!("{path}?{query}"))
        };
        let (status, content_type) = tokio::task::block_in_place(|| {
            handle.block_on(async {
                let r = app
                    .client
                    .request(method.parse().unwrap(), &url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", "prop")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let ct = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap_or("").to_owned());
                (r.status().as_u16(), ct)
            })
        });
        prop_assert!(status < 500, "{method} {url} body {body:?} -> {status}");
        prop_assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{} {}",
            method,
            url
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
