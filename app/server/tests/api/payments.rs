//! Payment methods (C-SHOP-03): card, wallet and cash on delivery behind
//! one trait, and the simulation that makes payments slow or declined so
//! that telemetry shows it. What the shopper sees, and what the recording
//! backend saw.

use std::time::Duration;

use serde_json::{Value, json};
use shop_core::payments::Simulation;
use telemetry_api::Value as V;
use telemetry_api::semconv::{self, metrics};

use crate::db_tests;
use crate::support::*;

/// A cart with `quantity` of product `product` and the checkout body paying with `payment`.
async fn cart_paying(
    app: &TestApp,
    product: i64,
    quantity: i64,
    payment: Value,
) -> (String, Value) {
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, product, quantity).await, 201).await;
    let mut body = order_body(&cart);
    body["payment"] = payment;
    (cart, body)
}

/// `(id, price_cents)` of the first twenty products, cheapest first.
async fn by_price(app: &TestApp) -> Vec<(i64, i64)> {
    let mut prices = Vec::new();
    for id in 1..=20 {
        let price = app.get_json(&format!("/api/products/{id}"), 200).await["price_cents"]
            .as_i64()
            .unwrap();
        prices.push((id, price));
    }
    prices.sort_by_key(|(_, p)| *p);
    prices
}

fn payments_counted(app: &TestApp, method: &'static str, outcome: &'static str) -> f64 {
    app.recorder.counter_total(
        metrics::SHOP_PAYMENTS,
        &[
            (semconv::SHOP_PAYMENT_METHOD, V::from(method)),
            (semconv::SHOP_PAYMENT_OUTCOME, V::from(outcome)),
        ],
    )
}

db_tests! {
    async fn a_wallet_pays_at_once_and_cash_waits_for_delivery(app) {
        let (_, body) = cart_paying(&app, 2, 1, json!({ "method": "wallet", "token": "wal_demo" })).await;
        let order = expect_json(app.checkout("wallet-1", &body).await, 201).await;
        assert_eq!(order["payment_method"], "wallet");
        assert_eq!(order["status"], "paid");
        assert!(order["payment_reference"].as_str().unwrap().starts_with("pay_"));

        // Cash on delivery, under its limit.
        let (cheap, _) = by_price(&app).await[0];
        let before = app.stock(cheap).await;
        let (_, body) = cart_paying(&app, cheap, 1, json!({ "method": "cash_on_delivery" })).await;
        let order = expect_json(app.checkout("cod-1", &body).await, 201).await;
        assert_eq!(order["payment_method"], "cash_on_delivery");
        // Nothing is paid yet: placed, with a one-entry history, stock reserved.
        assert_eq!(order["status"], "placed");
        assert_eq!(order["status_history"].as_array().unwrap().len(), 1);
        assert!(order["payment_reference"].as_str().unwrap().starts_with("cod_"));
        assert_eq!(app.stock(cheap).await, before - 1);
        // The order as fetched says the same.
        let fetched = app.get_json(&format!("/api/orders/{}", order["id"].as_str().unwrap()), 200).await;
        assert_eq!(fetched, order);
        // A card without a method still works as before.
        let (_, body) = cart_paying(&app, 4, 1, json!({ "token": "tok_visa" })).await;
        assert_eq!(expect_json(app.checkout("card-1", &body).await, 201).await["payment_method"], "card");

        assert_eq!(payments_counted(&app, "wallet", "authorized"), 1.0);
        assert_eq!(payments_counted(&app, "cash_on_delivery", "pending"), 1.0);
        assert_eq!(payments_counted(&app, "card", "authorized"), 1.0);
        assert_eq!(app.recorder.histogram_count(metrics::SHOP_PAYMENT_DURATION, &[]), 3);
    }

    async fn declines_keep_stock_and_cart_and_say_why(app) {
        let (cart, body) = cart_paying(&app, 2, 1, json!({ "method": "wallet", "token": "wal_declined" })).await;
        let before = app.stock(2).await;
        let r = expect_error(app.checkout("wallet-no", &body).await, 402, "payment_declined", None).await;
        assert!(r["error"]["message"].as_str().unwrap().contains("wallet_declined"), "{r}");
        assert_eq!(app.stock(2).await, before);
        assert_eq!(app.get_json(&format!("/api/carts/{cart}"), 200).await["status"], "open");

        // Cash on delivery is capped at 300.00: the dearest of the first products, enough units.
        let dearest = *by_price(&app).await.last().unwrap();
        let (product, price) = dearest;
        let units = 30_000 / price + 1;
        assert!(units <= 99, "the seed has a product dear enough: {dearest:?}");
        app.set_stock(product, 1_000).await;
        let (_, body) = cart_paying(&app, product, units, json!({ "method": "cash_on_delivery" })).await;
        let r = expect_error(app.checkout("cod-no", &body).await, 402, "payment_declined", None).await;
        assert!(r["error"]["message"].as_str().unwrap().contains("cod_limit_exceeded"), "{r}");
        assert_eq!(app.stock(product).await, 1_000);
        assert_eq!(payments_counted(&app, "cash_on_delivery", "declined"), 1.0);
        assert_eq!(payments_counted(&app, "wallet", "declined"), 1.0);
        // The decline is on the payment span and in a warning log line.
        let span = app.recorder.spans().into_iter().find(|s| s.name == "payment.authorize"
            && s.attribute("payment.outcome") == Some(&V::from("wallet_declined"))).expect("the declined payment's span");
        assert_eq!(span.attribute("payment.method"), Some(&V::from("wallet")));
        assert!(app.recorder.logs().iter().any(|l| l.message == "payment declined"));
    }

    async fn payment_fields_are_checked(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 1).await;
        for (i, (payment, field)) in [
            (json!({ "method": "bitcoin", "token": "tok_visa" }), "payment.method"),
            (json!({}), "payment.token"),
            (json!({ "method": "card" }), "payment.token"),
            (json!({ "method": "wallet", "token": "tok_visa" }), "payment.token"),
            (json!({ "method": "card", "token": "wal_demo" }), "payment.token"),
            (json!({ "method": "cash_on_delivery", "token": "tok_visa" }), "payment.token"),
            (json!({ "token": "4242 4242 4242 4242" }), "payment.token"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut body = order_body(&cart);
            body["payment"] = payment.clone();
            let r = app.checkout(&format!("bad-{i}"), &body).await;
            expect_error(r, 400, "validation_failed", Some(field)).await;
        }
        let mut body = order_body(&cart);
        body["payment"] = json!({ "token": "tok_visa", "card_number": "4242424242424242" });
        let r = app.checkout("unknown-field", &body).await;
        assert_eq!(r.status(), 400);
        // Nothing was charged, nothing counted.
        assert_eq!(app.recorder.counter_total(metrics::SHOP_PAYMENTS, &[]), 0.0);
    }
}

/// `--payment-simulation card=40ms:1`: every card payment is slow and declined (`processor_declined`),
/// which the span, the log line and both metrics show; other methods are untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulation_makes_payments_slow_and_declined() {
    let mut opts = Spawn::new(DbKind::Sqlite);
    opts.payment_simulation = Simulation::parse("card=40ms:1").unwrap();
    let app = spawn_with(opts).await;

    let (_, body) = cart_paying(&app, 2, 1, json!({ "token": "tok_visa" })).await;
    let r = expect_error(
        app.checkout("sim-card", &body).await,
        402,
        "payment_declined",
        None,
    )
    .await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("processor_declined"),
        "{r}"
    );
    let (_, body) = cart_paying(
        &app,
        3,
        1,
        json!({ "method": "wallet", "token": "wal_demo" }),
    )
    .await;
    expect_json(app.checkout("sim-wallet", &body).await, 201).await;

    let span = app
        .recorder
        .spans()
        .into_iter()
        .find(|s| {
            s.name == "payment.authorize" && s.attribute("payment.method") == Some(&V::from("card"))
        })
        .expect("the card payment's span");
    assert_eq!(
        span.attribute("payment.outcome"),
        Some(&V::from("processor_declined"))
    );
    let took = span.end_time.duration_since(span.start_time).unwrap();
    assert!(
        took >= Duration::from_millis(40),
        "the simulated latency is inside the span: {took:?}"
    );
    assert_eq!(payments_counted(&app, "card", "declined"), 1.0);
    assert_eq!(payments_counted(&app, "wallet", "authorized"), 1.0);
    let slow: Vec<f64> = app
        .recorder
        .measurements()
        .into_iter()
        .filter(|m| {
            m.name == metrics::SHOP_PAYMENT_DURATION
                && m.matches(&[(semconv::SHOP_PAYMENT_METHOD, V::from("card"))])
        })
        .map(|m| m.value)
        .collect();
    assert_eq!(slow.len(), 1);
    assert!(slow[0] >= 0.040, "{slow:?}");
    assert_eq!(
        app.recorder.counter_total(
            metrics::SHOP_ORDERS,
            &[(semconv::SHOP_CHECKOUT_OUTCOME, V::from("payment_declined"))]
        ),
        1.0
    );
    app.stop().await;
}
