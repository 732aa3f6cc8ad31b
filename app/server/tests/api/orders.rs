//! Checkout with an Idempotency-Key, mock payment, stock decrement, order
//! lookup (C-SHOP-02).

use serde_json::json;

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn checkout_places_an_order_and_decrements_stock(app) {
        let before2 = app.stock(2).await;
        let before3 = app.stock(3).await;
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 2).await;
        app.add_item(&cart, 3, 1).await;
        let cart_body = app.get_json(&format!("/api/carts/{cart}"), 200).await;

        let r = app.checkout("order-1", &order_body(&cart)).await;
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(r.headers().get("idempotent-replayed").is_none());
        let order = expect_json(r, 201).await;
        assert_eq!(location, format!("/api/orders/{}", order["id"].as_str().unwrap()));
        assert_eq!(order["status"], "paid");
        assert_eq!(order["cart_id"], cart);
        assert_eq!(order["items"].as_array().unwrap().len(), 2);
        assert_eq!(order["subtotal_cents"], cart_body["subtotal_cents"]);
        let subtotal = order["subtotal_cents"].as_i64().unwrap();
        let shipping = if subtotal >= 5000 { 0 } else { 499 };
        assert_eq!(order["shipping_cents"], shipping);
        assert_eq!(order["total_cents"], subtotal + shipping);
        assert_eq!(order["shipping_address"]["country"], "JP");
        assert!(order["payment_reference"].as_str().unwrap().starts_with("pay_"));

        assert_eq!(app.stock(2).await, before2 - 2);
        assert_eq!(app.stock(3).await, before3 - 1);
        let fetched = app.get_json(&location, 200).await;
        assert_eq!(fetched, order);
        // The cart is closed.
        assert_eq!(app.get_json(&format!("/api/carts/{cart}"), 200).await["status"], "checked_out");
        expect_error(app.add_item(&cart, 4, 1).await, 409, "cart_checked_out", None).await;
        expect_error(app.checkout("order-2", &order_body(&cart)).await, 409, "cart_checked_out", None).await;
    }

    async fn the_same_idempotency_key_returns_the_same_order(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 1).await;
        let before = app.stock(2).await;
        let first = expect_json(app.checkout("same-key", &order_body(&cart)).await, 201).await;
        let r = app.checkout("same-key", &order_body(&cart)).await;
        assert_eq!(r.headers()["idempotent-replayed"], "true");
        let second = expect_json(r, 201).await;
        assert_eq!(first, second);
        // Stock moved once.
        assert_eq!(app.stock(2).await, before - 1);
        // Same key, different request: refused, naming the header.
        let mut other = order_body(&cart);
        other["email"] = json!("someone.else@example.com");
        expect_error(app.checkout("same-key", &other).await, 422, "idempotency_key_reused", Some("Idempotency-Key")).await;
    }

    async fn checkout_refusals(app) {
        let cart = app.create_cart().await;
        // No key.
        let r = app.post_json("/api/orders", &order_body(&cart)).await;
        expect_error(r, 400, "validation_failed", Some("Idempotency-Key")).await;
        // Empty cart.
        expect_error(app.checkout("k-empty", &order_body(&cart)).await, 422, "cart_empty", Some("cart_id")).await;
        // Unknown and malformed carts.
        expect_error(app.checkout("k-404", &order_body("00000000-0000-4000-8000-000000000000")).await, 404, "not_found", None).await;
        expect_error(app.checkout("k-bad", &order_body("cart-1")).await, 400, "validation_failed", Some("cart_id")).await;
        // Field validation.
        app.add_item(&cart, 2, 1).await;
        for (path, value, field) in [
            ("/email", json!("not-an-email"), "email"),
            ("/shipping_address/country", json!("Japan"), "shipping_address.country"),
            ("/shipping_address/name", json!("  "), "shipping_address.name"),
            ("/shipping_address/postal_code", json!("100<0005>"), "shipping_address.postal_code"),
            ("/payment/token", json!("4242424242424242"), "payment.token"),
            ("/shipping_address/city", json!(7), "shipping_address.city"),
        ] {
            let mut body = order_body(&cart);
            *body.pointer_mut(path).unwrap() = value;
            expect_error(app.checkout(&format!("k-{field}"), &body).await, 400, "validation_failed", Some(field)).await;
        }
        let mut body = order_body(&cart);
        body["shipping_address"].as_object_mut().unwrap().remove("city");
        expect_error(app.checkout("k-missing", &body).await, 400, "validation_failed", Some("shipping_address.city")).await;
        // Nothing was placed by any of these.
        let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(orders, 0);
    }

    async fn declined_payment_keeps_stock_and_cart(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 1).await;
        let before = app.stock(2).await;
        let mut body = order_body(&cart);
        body["payment"]["token"] = json!("tok_chargeDeclined");
        expect_error(app.checkout("declined", &body).await, 402, "payment_declined", None).await;
        assert_eq!(app.stock(2).await, before);
        assert_eq!(app.get_json(&format!("/api/carts/{cart}"), 200).await["status"], "open");
        // The same key may be retried with a working card.
        expect_json(app.checkout("declined-retry", &order_body(&cart)).await, 201).await;
    }

    async fn out_of_stock_at_checkout_is_409_with_the_items(app) {
        let cart = app.create_cart().await;
        app.add_item(&cart, 2, 3).await;
        app.set_stock(2, 1).await;
        let body = expect_error(app.checkout("short", &order_body(&cart)).await, 409, "insufficient_stock", None).await;
        assert_eq!(body["error"]["details"]["items"][0]["product_id"], 2);
        assert_eq!(body["error"]["details"]["items"][0]["on_hand"], 1);
        assert_eq!(app.stock(2).await, 1);
    }

    async fn order_lookup_errors(app) {
        expect_error(app.get("/api/orders/nope").await, 400, "validation_failed", Some("id")).await;
        expect_error(app.get("/api/orders/00000000-0000-4000-8000-000000000000").await, 404, "not_found", None).await;
    }
}
