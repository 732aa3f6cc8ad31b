//! Checkout under contention: never oversell.

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn fifty_concurrent_buyers_for_ten_units_make_exactly_ten_orders(app) {
        const PRODUCT: i64 = 8;
        app.set_stock(PRODUCT, 50).await;
        let mut carts = Vec::new();
        for _ in 0..50 {
            let cart = app.create_cart().await;
            expect_json(app.add_item(&cart, PRODUCT, 1).await, 201).await;
            carts.push(cart);
        }
        // Only now drop stock to 10, so every buyer passed the add-time check.
        app.set_stock(PRODUCT, 10).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for (i, cart) in carts.into_iter().enumerate() {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let r = app.checkout(&format!("buyer-{i}"), &order_body(&cart)).await;
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap();
                (status, body)
            }));
        }
        let mut placed = 0;
        let mut refused = 0;
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                201 => placed += 1,
                409 => {
                    assert_eq!(body["error"]["code"], "insufficient_stock", "{body}");
                    refused += 1;
                }
                other => panic!("unexpected {other}: {body}"),
            }
        }
        assert_eq!(placed, 10);
        assert_eq!(refused, 40);
        assert_eq!(app.stock(PRODUCT).await, 0);
        let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM order_items WHERE product_id = ?")
            .bind(PRODUCT)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(orders, 10);
        let moved: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS SIGNED) FROM inventory_movements WHERE product_id = ? AND reason = 'order'",
        )
        .bind(PRODUCT)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(moved, -10);
    }

    async fn concurrent_retries_with_one_key_make_one_order(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 1).await;
        let before = app.stock(2).await;
        let app = std::sync::Arc::new(app);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let app = app.clone();
                let body = order_body(&cart);
                tokio::spawn(async move { expect_json(app.checkout("retry-storm", &body).await, 201).await })
            })
            .collect();
        let mut ids = std::collections::HashSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap()["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(app.stock(2).await, before - 1);
    }
}
