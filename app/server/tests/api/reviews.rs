//! Reviews (C-BROWSE-08) and related products (C-BROWSE-06): only buyers
//! review, once; moderation holds links; the rating aggregates on the
//! product; HTML is escaped on output; "bought together" comes from orders.

use reqwest::Method;
use serde_json::{Value, json};
use telemetry_api::semconv::{self, metrics};

use crate::accounts::{Client, new_customer};
use crate::db_tests;
use crate::support::*;

/// `me` buys one unit of `product` (logged in, so the order is theirs).
async fn buy(app: &TestApp, me: &Client, email: &str, key: &str, product: i64) -> Value {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, product, 1).await, 201).await;
    let mut body = order_body(&cart);
    body["email"] = json!(email);
    let r = app
        .client
        .post(app.url("/api/orders"))
        .header("cookie", &me.cookie)
        .header("x-csrf-token", &me.csrf)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_json(r, 201).await
}

async fn review(app: &TestApp, me: &Client, product: i64, body: &Value) -> reqwest::Response {
    me.send(
        app,
        Method::POST,
        &format!("/api/products/{product}/reviews"),
        Some(body),
        true,
    )
    .await
}

/// A guest order of these products (one unit each).
async fn guest_order(app: &TestApp, key: &str, products: &[i64]) -> Value {
    let cart = app.create_cart().await;
    for p in products {
        expect_json(app.add_item(&cart, *p, 1).await, 201).await;
    }
    expect_json(app.checkout(key, &order_body(&cart)).await, 201).await
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

db_tests! {
    /// Eight buyers review one product at the same moment: every review is written and counted
    /// (on MariaDB the rating update can deadlock; the transaction is retried, never a 500).
    async fn concurrent_reviews_of_one_product_all_land(app) {
        let mut buyers = Vec::new();
        for i in 0..8 {
            let email = format!("buyer{i}@example.com");
            let me = new_customer(&app, &email).await;
            buy(&app, &me, &email, &format!("cr-{i}"), 4).await;
            buyers.push(me);
        }
        let base = app.base.clone();
        let client = app.client.clone();
        let handles: Vec<_> = buyers.into_iter().enumerate().map(|(i, me)| {
            let (base, client) = (base.clone(), client.clone());
            tokio::spawn(async move {
                let r = client.post(format!("{base}/api/products/4/reviews"))
                    .header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
                    .json(&json!({ "rating": 1 + i % 5, "text": format!("review number {i}") }))
                    .send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap())
            })
        }).collect();
        for h in handles {
            let (status, body) = h.await.unwrap();
            assert_eq!(status, 201, "{body}");
        }
        let product = app.get_json("/api/products/4", 200).await;
        assert_eq!(product["rating"]["count"], 8, "{product}");
    }

    async fn buyers_review_once_and_the_rating_follows(app) {
        let aiko = new_customer(&app, "aiko@example.com").await;
        buy(&app, &aiko, "aiko@example.com", "r-1", 2).await;

        let text = "Kept the quokkas <b>dry</b> & warm \"all\" week.";
        let written = expect_json(review(&app, &aiko, 2, &json!({ "rating": 5, "text": format!("  {text} ") })).await, 201).await;
        assert_eq!(written["status"], "published");
        assert_eq!(written["rating"], 5);
        assert_eq!(written["text"], text);
        assert_eq!(written["text_html"], "Kept the quokkas &lt;b&gt;dry&lt;&#x2F;b&gt; &amp; warm &quot;all&quot; week.");
        assert_eq!(written["author"], "Aiko T.");
        assert_eq!(written["verified_purchase"], true);
        assert!(written.get("email").is_none() && !written.to_string().contains("aiko@"), "{written}");

        // One review per product.
        expect_error(review(&app, &aiko, 2, &json!({ "rating": 1, "text": "again" })).await, 409, "already_reviewed", None).await;
        // Not bought: refused.
        expect_error(review(&app, &aiko, 3, &json!({ "rating": 4, "text": "never had it" })).await, 403, "not_purchased", None).await;

        // A second buyer's review with a link is held: written, not shown, not counted.
        let ben = new_customer(&app, "ben@example.com").await;
        buy(&app, &ben, "ben@example.com", "r-2", 2).await;
        let held = expect_json(review(&app, &ben, 2, &json!({ "rating": 1.0, "text": "cheaper at https://spam.example" })).await, 201).await;
        assert_eq!(held["status"], "held");

        // A cancelled purchase does not count.
        let cleo = new_customer(&app, "cleo@example.com").await;
        let order = buy(&app, &cleo, "cleo@example.com", "r-3", 2).await;
        let r = cleo.send(&app, Method::POST, &format!("/api/account/orders/{}/cancel", order["id"].as_str().unwrap()), Some(&json!({})), true).await;
        expect_json(r, 200).await;
        expect_error(review(&app, &cleo, 2, &json!({ "rating": 3, "text": "meh" })).await, 403, "not_purchased", None).await;

        let page = app.get_json("/api/products/2/reviews", 200).await;
        assert_eq!(page["total"], 1);
        assert_eq!(page["rating"], json!({ "count": 1, "average": 5.0 }));
        assert_eq!(page["stars"], json!([0, 0, 0, 0, 1]));
        assert_eq!(page["items"][0]["id"], written["id"]);
        let product = app.get_json("/api/products/2", 200).await;
        assert_eq!(product["rating"], json!({ "count": 1, "average": 5.0 }));
        let name: String = product["name"].as_str().unwrap().bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let listed = app.get_json(&format!("/api/products/search?q={name}&per_page=100"), 200).await;
        let in_list = listed["items"].as_array().unwrap().iter().find(|p| p["id"] == 2).unwrap().clone();
        assert_eq!(in_list["rating"], product["rating"]);
        assert_eq!(app.get_json("/api/products/3", 200).await["rating"], json!({ "count": 0, "average": null }));

        // The outcome is on the server span.
        let outcomes: Vec<String> = app.recorder.spans().iter()
            .filter(|s| s.name == "POST /api/products/{id}/reviews")
            .filter_map(|s| s.attribute(semconv::SHOP_REVIEW_OUTCOME).map(|v| v.to_string()))
            .collect();
        assert_eq!(outcomes, ["published", "held"]);
        let counted = |outcome: &'static str| app.recorder.counter_total(metrics::SHOP_REVIEWS, &[(semconv::SHOP_REVIEW_OUTCOME, outcome.into())]);
        assert_eq!((counted("published"), counted("held")), (1.0, 1.0));
        // The review text never reaches telemetry.
        let spans = format!("{:?}", app.recorder.spans());
        let logs = format!("{:?}", app.recorder.logs());
        assert!(!spans.contains("quokkas") && !logs.contains("quokkas") && !logs.contains("spam.example"));
    }

    async fn review_refusals(app) {
        // No session, or a session without its CSRF token.
        expect_error(app.post_json("/api/products/2/reviews", &json!({ "rating": 5, "text": "x" })).await, 401, "unauthenticated", None).await;
        let aiko = new_customer(&app, "aiko@example.com").await;
        let r = aiko.send(&app, Method::POST, "/api/products/2/reviews", Some(&json!({ "rating": 5, "text": "x" })), false).await;
        assert_eq!(r.status(), 403);
        buy(&app, &aiko, "aiko@example.com", "rr-1", 2).await;
        for (body, field) in [
            (json!({ "rating": 0, "text": "ok" }), "rating"),
            (json!({ "rating": 6, "text": "ok" }), "rating"),
            (json!({ "rating": 5, "text": "   " }), "text"),
            (json!({ "rating": 5, "text": "x".repeat(2001) }), "text"),
            (json!({ "rating": 5, "text": "bell\u{7}" }), "text"),
        ] {
            expect_error(review(&app, &aiko, 2, &body).await, 400, "validation_failed", Some(field)).await;
        }
        let r = review(&app, &aiko, 2, &json!({ "rating": 4.5, "text": "ok" })).await;
        assert_eq!(r.status(), 400);
        expect_error(review(&app, &aiko, 99999, &json!({ "rating": 5, "text": "ok" })).await, 404, "not_found", None).await;
        expect_error(app.get("/api/products/99999/reviews").await, 404, "not_found", None).await;
        expect_error(app.get("/api/products/2/reviews?per_page=51").await, 400, "validation_failed", Some("per_page")).await;
        // Nothing was written.
        assert_eq!(app.get_json("/api/products/2/reviews", 200).await["total"], 0);
    }

    async fn related_products_come_from_orders_and_the_category(app) {
        guest_order(&app, "rel-1", &[2, 5]).await;
        guest_order(&app, "rel-2", &[2, 5, 6]).await;
        guest_order(&app, "rel-3", &[7, 2]).await;
        let cancelled = guest_order(&app, "rel-4", &[2, 8]).await;
        let lookup = json!({ "order_id": cancelled["id"], "email": "learner@example.com" });
        expect_json(app.post_json("/api/orders/lookup/cancel", &lookup).await, 200).await;

        let related = app.get_json("/api/products/2/related", 200).await;
        let together: Vec<(i64, i64)> = related["bought_together"].as_array().unwrap().iter()
            .map(|r| (r["product"]["id"].as_i64().unwrap(), r["orders_together"].as_i64().unwrap()))
            .collect();
        assert_eq!(together, vec![(5, 2), (6, 1), (7, 1)]);

        let category = app.get_json("/api/products/2", 200).await["category"]["id"].as_i64().unwrap();
        let same = ids(&related["same_category"]);
        assert!(same.len() <= 6);
        assert!(!same.contains(&2) && !same.iter().any(|id| [5, 6, 7].contains(id)), "{same:?}");
        for p in related["same_category"].as_array().unwrap() {
            assert_eq!(p["category"]["id"].as_i64().unwrap(), category);
        }
        let one = app.get_json("/api/products/2/related?limit=1", 200).await;
        assert_eq!(one["bought_together"].as_array().unwrap().len(), 1);
        assert!(one["same_category"].as_array().unwrap().len() <= 1);

        expect_error(app.get("/api/products/99999/related").await, 404, "not_found", None).await;
        expect_error(app.get("/api/products/2/related?limit=0").await, 400, "validation_failed", Some("limit")).await;
        expect_error(app.get("/api/products/2/related?limit=21").await, 400, "validation_failed", Some("limit")).await;
    }
}
