//! Order tracking (C-SHOP-05): the status history an order shows, the
//! customer's cancel (before packing, stock released exactly once) and
//! return request (after delivery), on their own orders and as a guest via
//! the lookup; illegal moves are 409; `shop.order.transitions` counts them.

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::orders::OrderStatus;
use telemetry_api::semconv::{self, metrics};

use crate::accounts::{Client, new_customer};
use crate::db_tests;
use crate::support::*;

/// A guest order of `quantity` units of `product`.
async fn guest_order(app: &TestApp, key: &str, product: i64, quantity: i64) -> Value {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, product, quantity).await, 201).await;
    expect_json(app.checkout(key, &order_body(&cart)).await, 201).await
}

/// Drives an order forward as the admin will, through the domain's store.
async fn advance(app: &TestApp, id: &str, path: &[OrderStatus]) {
    for pair in path.windows(2) {
        OrderStatus::transition(pair[0], pair[1]).unwrap();
        assert!(
            shop_core::orders::store::change_status(&app.db, id, pair[0], pair[1])
                .await
                .unwrap()
        );
    }
}

fn statuses(order: &Value) -> Vec<&str> {
    order["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect()
}

fn lookup(order: &Value) -> Value {
    json!({ "order_id": order["id"], "email": "Learner@Example.com" })
}

fn transitions(app: &TestApp, from: &'static str, to: &'static str) -> f64 {
    app.recorder.counter_total(
        metrics::SHOP_ORDER_TRANSITIONS,
        &[
            (semconv::SHOP_ORDER_TRANSITION_FROM, from.into()),
            (semconv::SHOP_ORDER_TRANSITION_TO, to.into()),
        ],
    )
}

db_tests! {
    async fn a_new_order_is_paid_and_shows_its_history(app) {
        let order = guest_order(&app, "t-1", 2, 1).await;
        assert_eq!(order["status"], "paid");
        assert_eq!(statuses(&order), ["placed", "paid"]);
        assert!(order["status_history"][0].get("from").is_none());
        assert_eq!(order["status_history"][1]["from"], "placed");
        assert!(order["status_history"][1]["at"].as_str().unwrap().ends_with('Z'));
        let fetched = app.get_json(&format!("/api/orders/{}", order["id"].as_str().unwrap()), 200).await;
        assert_eq!(fetched["status_history"], order["status_history"]);
    }

    async fn a_guest_cancels_before_packing_and_stock_comes_back_once(app) {
        let before = app.stock(2).await;
        let order = guest_order(&app, "t-2", 2, 3).await;
        assert_eq!(app.stock(2).await, before - 3);

        // The wrong e-mail is 404, like a wrong id.
        let wrong = json!({ "order_id": order["id"], "email": "someone@example.com" });
        expect_error(app.post_json("/api/orders/lookup/cancel", &wrong).await, 404, "not_found", None).await;

        let cancelled = expect_json(app.post_json("/api/orders/lookup/cancel", &lookup(&order)).await, 200).await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(statuses(&cancelled), ["placed", "paid", "cancelled"]);
        assert_eq!(app.stock(2).await, before);
        assert_eq!(transitions(&app, "paid", "cancelled"), 1.0);

        // Again: 409, and the stock does not move twice.
        let body = expect_error(app.post_json("/api/orders/lookup/cancel", &lookup(&order)).await, 409, "illegal_transition", None).await;
        assert_eq!(body["error"]["details"], json!({ "from": "cancelled", "to": "cancelled" }));
        assert_eq!(app.stock(2).await, before);
        let released: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS SIGNED) FROM inventory_movements WHERE reference = ? AND reason = 'cancel'",
        )
        .bind(order["id"].as_str().unwrap())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(released, 3);
    }

    async fn concurrent_cancels_release_stock_exactly_once(app) {
        let before = app.stock(3).await;
        let order = guest_order(&app, "t-3", 3, 2).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (app, body) = (app.clone(), lookup(&order));
            tasks.push(tokio::spawn(async move {
                app.post_json("/api/orders/lookup/cancel", &body).await.status().as_u16()
            }));
        }
        let mut codes = Vec::new();
        for t in tasks {
            codes.push(t.await.unwrap());
        }
        assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{codes:?}");
        assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 7, "{codes:?}");
        assert_eq!(app.stock(3).await, before);
    }

    async fn too_late_to_cancel_once_packed_and_returns_only_after_delivery(app) {
        use OrderStatus as S;
        let order = guest_order(&app, "t-4", 4, 1).await;
        let id = order["id"].as_str().unwrap();
        // Not delivered yet: no return.
        let body = expect_error(app.post_json("/api/orders/lookup/return", &lookup(&order)).await, 409, "illegal_transition", None).await;
        assert_eq!(body["error"]["details"], json!({ "from": "paid", "to": "return_requested" }));

        advance(&app, id, &[S::Paid, S::Packed]).await;
        let stock = app.stock(4).await;
        let body = expect_error(app.post_json("/api/orders/lookup/cancel", &lookup(&order)).await, 409, "illegal_transition", None).await;
        assert_eq!(body["error"]["details"], json!({ "from": "packed", "to": "cancelled" }));
        assert_eq!(app.stock(4).await, stock);

        advance(&app, id, &[S::Packed, S::Shipped, S::Delivered]).await;
        let returned = expect_json(app.post_json("/api/orders/lookup/return", &lookup(&order)).await, 200).await;
        assert_eq!(returned["status"], "return_requested");
        assert_eq!(statuses(&returned), ["placed", "paid", "packed", "shipped", "delivered", "return_requested"]);
        assert_eq!(transitions(&app, "delivered", "return_requested"), 1.0);
        expect_error(app.post_json("/api/orders/lookup/return", &lookup(&order)).await, 409, "illegal_transition", None).await;
    }

    async fn customers_cancel_and_return_their_own_orders_only(app) {
        use OrderStatus as S;
        let me: Client = new_customer(&app, "tracker@example.com").await;
        expect_json(app.add_item(&me.cart_id, 5, 1).await, 201).await;
        let mut body = order_body(&me.cart_id);
        body["email"] = json!("tracker@example.com");
        let r = app.client.post(app.url("/api/orders")).header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
            .header("Idempotency-Key", "t-5").json(&body).send().await.unwrap();
        let mine = expect_json(r, 201).await;
        let mine_id = mine["id"].as_str().unwrap();

        // A guest order is not the customer's (404), and a guest cannot cancel the customer's
        // order through the lookup.
        let theirs = guest_order(&app, "t-6", 5, 1).await;
        let path = |id: &str, action: &str| format!("/api/account/orders/{id}/{action}");
        expect_error(me.send(&app, Method::POST, &path(theirs["id"].as_str().unwrap(), "cancel"), None, true).await, 404, "not_found", None).await;
        let as_guest = json!({ "order_id": mine_id, "email": "tracker@example.com" });
        expect_error(app.post_json("/api/orders/lookup/cancel", &as_guest).await, 404, "not_found", None).await;

        // Without a session: 401; without the CSRF token: 403.
        expect_error(app.post_json(&path(mine_id, "cancel"), &json!({})).await, 401, "unauthenticated", None).await;
        expect_error(me.send(&app, Method::POST, &path(mine_id, "cancel"), None, false).await, 403, "csrf_failed", None).await;

        advance(&app, mine_id, &[S::Paid, S::Packed, S::Shipped, S::Delivered]).await;
        expect_error(me.send(&app, Method::POST, &path(mine_id, "cancel"), None, true).await, 409, "illegal_transition", None).await;
        let returned = expect_json(me.send(&app, Method::POST, &path(mine_id, "return"), None, true).await, 200).await;
        assert_eq!(returned["status"], "return_requested");
        let fetched = expect_json(me.get(&app, &format!("/api/account/orders/{mine_id}")).await, 200).await;
        assert_eq!(fetched["status"], "return_requested");
    }
}
