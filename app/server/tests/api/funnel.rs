//! The customer-side business metrics (O-METRIC-06/12/14): the conversion
//! funnel view → cart → checkout → paid, and abandoned carts, each counted
//! once.

use std::time::Duration;

use shop_core::cart::abandonment;
use telemetry_api::Value;
use telemetry_api::semconv::{self, metrics};

use crate::db_tests;
use crate::support::*;

fn step(app: &TestApp, name: &'static str) -> f64 {
    app.recorder.counter_total(
        metrics::SHOP_FUNNEL_STEPS,
        &[(semconv::SHOP_FUNNEL_STEP, Value::from(name))],
    )
}

db_tests! {
    async fn the_funnel_counts_each_step_once(app) {
        for id in [2, 3, 2] {
            app.get_json(&format!("/api/products/{id}"), 200).await;
        }
        app.get("/api/products/99999").await; // not a view
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 2, 1).await, 201).await;
        expect_json(app.add_item(&cart, 3, 2).await, 201).await;
        let empty = app.create_cart().await;
        // An empty cart's checkout is refused before it is a checkout.
        expect_error(app.checkout("f-empty", &order_body(&empty)).await, 422, "cart_empty", None).await;
        let mut declined = order_body(&cart);
        declined["payment"]["token"] = serde_json::json!("tok_chargeDeclined");
        expect_error(app.checkout("f-declined", &declined).await, 402, "payment_declined", None).await;
        expect_json(app.checkout("f-ok", &order_body(&cart)).await, 201).await;
        // A replay is not a second checkout.
        expect_json(app.checkout("f-ok", &order_body(&cart)).await, 201).await;

        assert_eq!(
            [step(&app, "view"), step(&app, "cart"), step(&app, "checkout"), step(&app, "paid")],
            [3.0, 2.0, 2.0, 1.0]
        );
        // Bounded: the funnel's only dimension is the step.
        for m in app.recorder.measurements().iter().filter(|m| m.name == metrics::SHOP_FUNNEL_STEPS) {
            assert_eq!(m.attributes.len(), 1, "{m:?}");
        }
    }

    async fn abandoned_carts_are_counted_once(app) {
        let hour_ago = shop_core::time::now_millis() - 3_600_000;
        let stale = app.create_cart().await;
        expect_json(app.add_item(&stale, 2, 1).await, 201).await;
        let stale_empty = app.create_cart().await;
        let fresh = app.create_cart().await;
        expect_json(app.add_item(&fresh, 3, 1).await, 201).await;
        let bought = app.create_cart().await;
        expect_json(app.add_item(&bought, 4, 1).await, 201).await;
        expect_json(app.checkout("a-bought", &order_body(&bought)).await, 201).await;
        for cart in [&stale, &stale_empty, &bought] {
            sqlx::query("UPDATE carts SET updated_at = ? WHERE id = ?")
                .bind(hour_ago)
                .bind(cart.as_str())
                .execute(app.db.pool())
                .await
                .unwrap();
        }

        let window = Duration::from_secs(30 * 60);
        abandonment::sweep(&app.db, &app.instruments, window).await;
        abandonment::sweep(&app.db, &app.instruments, window).await;
        // Only the stale cart with items: not the empty one, the fresh one, the checked-out one;
        // and only once.
        assert_eq!(app.recorder.counter_total(metrics::SHOP_CARTS_ABANDONED, &[]), 1.0);
        let marked: Vec<String> = sqlx::query_scalar("SELECT id FROM carts WHERE abandoned_at IS NOT NULL")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
        assert_eq!(marked, vec![stale.clone()]);
    }
}
