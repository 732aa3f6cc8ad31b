//! Coupons at checkout (C-SHOP-06, O-METRIC-13): the discount on the order,
//! a 422 naming why a coupon does not apply, limits in total and per
//! customer that hold under concurrent checkouts (like the overselling
//! test in concurrency.rs), and `shop.coupon.redemptions` by outcome/reason.

use serde_json::{Value, json};
use telemetry_api::semconv::{self, metrics};

use crate::db_tests;
use crate::support::*;

/// A cart with `quantity` units of `product`, and its subtotal.
async fn cart_of(app: &TestApp, product: i64, quantity: i64) -> (String, i64) {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, product, quantity).await, 201).await;
    let body = app.get_json(&format!("/api/carts/{cart}"), 200).await;
    (cart, body["subtotal_cents"].as_i64().unwrap())
}

fn with_coupon(cart: &str, email: &str, code: &str) -> Value {
    let mut body = order_body(cart);
    body["email"] = json!(email);
    body["coupon_code"] = json!(code);
    body
}

fn redemptions(app: &TestApp, outcome: &'static str, reason: &'static str) -> f64 {
    app.recorder.counter_total(
        metrics::SHOP_COUPON_REDEMPTIONS,
        &[
            (semconv::SHOP_COUPON_OUTCOME, outcome.into()),
            (semconv::SHOP_COUPON_REASON, reason.into()),
        ],
    )
}

/// A coupon made for one test, straight into the database (there is no admin API yet).
async fn make_coupon(
    app: &TestApp,
    code: &str,
    max_redemptions: Option<i64>,
    per_customer: Option<i64>,
) {
    sqlx::query(
        "INSERT INTO coupons (code, kind, amount, min_subtotal_cents, max_redemptions, per_customer_limit, created_at) \
         VALUES (?, 'fixed', 100, 0, ?, ?, 0)",
    )
    .bind(code)
    .bind(max_redemptions)
    .bind(per_customer)
    .execute(app.db.pool())
    .await
    .unwrap();
}

async fn race(app: std::sync::Arc<TestApp>, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let r = app.checkout(&format!("racer-{i}"), &body).await;
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn redeemed_count(app: &TestApp, code: &str) -> (i64, i64) {
    let counted: i64 = sqlx::query_scalar("SELECT redeemed_count FROM coupons WHERE code = ?")
        .bind(code)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.code = ?",
    )
    .bind(code).fetch_one(app.db.pool()).await.unwrap();
    (counted, rows)
}

db_tests! {
    async fn a_coupon_takes_its_discount_off_the_order(app) {
        let (cart, subtotal) = cart_of(&app, 2, 2).await;
        let order = expect_json(app.checkout("c-1", &with_coupon(&cart, "coupon@example.com", "welcome10")).await, 201).await;
        let discount = subtotal / 10;
        assert_eq!(order["coupon_code"], "WELCOME10");
        assert_eq!(order["discount_cents"], discount);
        let shipping = order["shipping_cents"].as_i64().unwrap();
        assert_eq!(shipping, if subtotal >= 5000 { 0 } else { 499 }, "shipping is judged before the discount");
        assert_eq!(order["total_cents"], subtotal - discount + shipping);
        assert_eq!(redemptions(&app, "redeemed", "none"), 1.0);
        let fetched = app.get_json(&format!("/api/orders/{}", order["id"].as_str().unwrap()), 200).await;
        assert_eq!(fetched, order);

        // Without a coupon: no discount, as before.
        let (cart, subtotal) = cart_of(&app, 3, 1).await;
        let plain = expect_json(app.checkout("c-2", &order_body(&cart)).await, 201).await;
        assert_eq!(plain["coupon_code"], Value::Null);
        assert_eq!(plain["discount_cents"], 0);
        assert_eq!(plain["total_cents"], subtotal + plain["shipping_cents"].as_i64().unwrap());
    }

    async fn a_coupon_that_does_not_apply_is_a_422_saying_why(app) {
        let (cart, subtotal) = cart_of(&app, 2, 1).await;
        sqlx::query("UPDATE coupons SET min_subtotal_cents = ? WHERE code = 'SAVE5'")
            .bind(subtotal + 1).execute(app.db.pool()).await.unwrap();
        let stock = app.stock(2).await;
        for (code, error) in [
            ("NOSUCHCODE", "coupon_unknown"),
            ("SPRING2024", "coupon_expired"),
            ("future", "coupon_not_yet_valid"),
            ("SAVE5", "coupon_minimum_not_met"),
        ] {
            let body = expect_error(app.checkout(&format!("c-{code}"), &with_coupon(&cart, "why@example.com", code)).await, 422, error, Some("coupon_code")).await;
            assert!(!body["error"]["message"].as_str().unwrap().is_empty());
        }
        expect_error(app.checkout("c-bad", &with_coupon(&cart, "why@example.com", "not a code")).await, 400, "validation_failed", Some("coupon_code")).await;
        assert_eq!(redemptions(&app, "rejected", "unknown"), 1.0);
        assert_eq!(redemptions(&app, "rejected", "expired"), 1.0);
        assert_eq!(redemptions(&app, "rejected", "not_yet_valid"), 1.0);
        assert_eq!(redemptions(&app, "rejected", "minimum_not_met"), 1.0);
        // Nothing happened: the cart is open, the stock untouched.
        assert_eq!(app.get_json(&format!("/api/carts/{cart}"), 200).await["status"], "open");
        assert_eq!(app.stock(2).await, stock);

        // WELCOME10 is once per customer: a guest is known by the e-mail, whatever its case.
        expect_json(app.checkout("c-w1", &with_coupon(&cart, "once@example.com", "WELCOME10")).await, 201).await;
        let (again, _) = cart_of(&app, 2, 1).await;
        expect_error(app.checkout("c-w2", &with_coupon(&again, "ONCE@example.com", "WELCOME10")).await, 422, "coupon_customer_limit", Some("coupon_code")).await;
        assert_eq!(redemptions(&app, "rejected", "customer_limit"), 1.0);
        expect_json(app.checkout("c-w3", &with_coupon(&again, "twice@example.com", "WELCOME10")).await, 201).await;
    }

    async fn concurrent_checkouts_never_redeem_a_coupon_past_its_limit(app) {
        make_coupon(&app, "LASTONE", Some(1), None).await;
        let mut bodies = Vec::new();
        for i in 0..12 {
            let (cart, _) = cart_of(&app, 6, 1).await;
            bodies.push(with_coupon(&cart, &format!("racer{i}@example.com"), "LASTONE"));
        }
        let app = std::sync::Arc::new(app);
        let results = race(app.clone(), bodies).await;
        let placed = results.iter().filter(|(s, _)| *s == 201).count();
        for (status, body) in &results {
            if *status != 201 {
                assert_eq!(*status, 422, "{body}");
                assert_eq!(body["error"]["code"], "coupon_exhausted", "{body}");
            }
        }
        assert_eq!(placed, 1, "{results:?}");
        assert_eq!(redeemed_count(&app, "LASTONE").await, (1, 1));
        assert_eq!(redemptions(&app, "redeemed", "none"), 1.0);
        assert_eq!(redemptions(&app, "rejected", "exhausted"), 11.0);
    }

    async fn concurrent_checkouts_of_one_customer_respect_the_per_customer_limit(app) {
        make_coupon(&app, "ONEEACH", None, Some(1)).await;
        let mut bodies = Vec::new();
        for _ in 0..8 {
            let (cart, _) = cart_of(&app, 7, 1).await;
            bodies.push(with_coupon(&cart, "same.buyer@example.com", "oneeach"));
        }
        let app = std::sync::Arc::new(app);
        let results = race(app.clone(), bodies).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == 201).count(), 1, "{results:?}");
        for (status, body) in &results {
            if *status != 201 {
                assert_eq!(*status, 422, "{body}");
                assert_eq!(body["error"]["code"], "coupon_customer_limit", "{body}");
            }
        }
        assert_eq!(redeemed_count(&app, "ONEEACH").await, (1, 1));
    }
}
