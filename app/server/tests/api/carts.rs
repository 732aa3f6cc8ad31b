//! The server-side cart (C-SHOP-01).

use serde_json::json;

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn add_change_and_remove_items(app) {
        let cart = app.create_cart().await;
        let empty = app.get_json(&format!("/api/carts/{cart}"), 200).await;
        assert_eq!(empty["status"], "open");
        assert_eq!(empty["items"].as_array().unwrap().len(), 0);
        assert_eq!(empty["subtotal_cents"], 0);

        let p1 = app.get_json("/api/products/2", 200).await;
        let body = expect_json(app.add_item(&cart, 2, 2).await, 201).await;
        assert_eq!(body["items"][0]["product_id"], 2);
        assert_eq!(body["items"][0]["quantity"], 2);
        assert_eq!(body["items"][0]["name"], p1["name"]);
        assert_eq!(body["subtotal_cents"], p1["price_cents"].as_i64().unwrap() * 2);

        // Adding the same product again merges into one line.
        let body = expect_json(app.add_item(&cart, 2, 1).await, 201).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        assert_eq!(body["items"][0]["quantity"], 3);
        let body = expect_json(app.add_item(&cart, 3, 1).await, 201).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 2);
        assert_eq!(body["item_count"], 4);
        let line = body["items"][0]["id"].as_i64().unwrap();

        let r = app.client.patch(app.url(&format!("/api/carts/{cart}/items/{line}"))).json(&json!({"quantity": 5})).send().await.unwrap();
        let body = expect_json(r, 200).await;
        assert_eq!(body["items"][0]["quantity"], 5);

        let r = app.client.delete(app.url(&format!("/api/carts/{cart}/items/{line}"))).send().await.unwrap();
        let body = expect_json(r, 200).await;
        assert_eq!(body["items"].as_array().unwrap().len(), 1);
        assert_eq!(body["items"][0]["product_id"], 3);

        // The cart persists server-side.
        let again = app.get_json(&format!("/api/carts/{cart}"), 200).await;
        assert_eq!(again["items"], body["items"]);
    }

    async fn a_malformed_path_parameter_is_named_as_the_route_names_it(app) {
        let cart = app.create_cart().await;
        let r = app.client.delete(app.url(&format!("/api/carts/{cart}/items/99999999999999999999"))).send().await.unwrap();
        expect_error(r, 400, "validation_failed", Some("item_id")).await;
        let r = app.client.patch(app.url(&format!("/api/carts/{cart}/items/one"))).json(&json!({"quantity": 1})).send().await.unwrap();
        expect_error(r, 400, "validation_failed", Some("item_id")).await;
    }

    async fn bad_cart_requests_are_4xx_with_the_field(app) {
        let cart = app.create_cart().await;
        expect_error(app.add_item(&cart, 2, 0).await, 400, "validation_failed", Some("quantity")).await;
        expect_error(app.add_item(&cart, 2, 100).await, 400, "validation_failed", Some("quantity")).await;
        expect_error(app.add_item(&cart, -1, 1).await, 400, "validation_failed", Some("product_id")).await;
        expect_error(app.add_item(&cart, 99999, 1).await, 422, "unknown_product", Some("product_id")).await;
        app.add_item(&cart, 2, 60).await;
        expect_error(app.add_item(&cart, 2, 60).await, 400, "validation_failed", Some("quantity")).await;
        let r = app.post_json(&format!("/api/carts/{cart}/items"), &json!({"product_id": "two"})).await;
        expect_error(r, 400, "validation_failed", Some("product_id")).await;
        let r = app.post_json(&format!("/api/carts/{cart}/items"), &json!({"quantity": 1})).await;
        expect_error(r, 400, "validation_failed", Some("product_id")).await;
        let r = app.post_json(&format!("/api/carts/{cart}/items"), &json!({"product_id": 2, "colour": "red"})).await;
        expect_error(r, 400, "validation_failed", Some("colour")).await;

        expect_error(app.get("/api/carts/not-a-uuid").await, 400, "validation_failed", Some("id")).await;
        expect_error(app.get("/api/carts/00000000-0000-4000-8000-000000000000").await, 404, "not_found", None).await;
        expect_error(app.add_item("00000000-0000-4000-8000-000000000000", 2, 1).await, 404, "not_found", None).await;
        let r = app.client.delete(app.url(&format!("/api/carts/{cart}/items/424242"))).send().await.unwrap();
        expect_error(r, 404, "not_found", None).await;
        let r = app.client.patch(app.url(&format!("/api/carts/{cart}/items/1"))).json(&json!({"quantity": "many"})).send().await.unwrap();
        expect_error(r, 400, "validation_failed", Some("quantity")).await;
    }

    async fn stock_is_checked_when_adding(app) {
        app.set_stock(5, 2).await;
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 5, 2).await, 201).await;
        let body = expect_error(app.add_item(&cart, 5, 1).await, 409, "insufficient_stock", None).await;
        assert_eq!(body["error"]["details"]["items"][0]["on_hand"], 2);
        assert_eq!(body["error"]["details"]["items"][0]["requested"], 3);
        app.set_stock(6, 0).await;
        expect_error(app.add_item(&cart, 6, 1).await, 409, "insufficient_stock", None).await;
        // Nothing was lost: the cart still holds the two units.
        let c = app.get_json(&format!("/api/carts/{cart}"), 200).await;
        assert_eq!(c["item_count"], 2);
    }

    async fn whole_numbers_written_with_a_fraction_are_integers(app) {
        // JSON Schema's `integer` (the OpenAPI document's type for ids and quantities) includes
        // 2.0, and some JSON encoders write whole floats that way.
        let cart = app.create_cart().await;
        let r = app.post_json(&format!("/api/carts/{cart}/items"), &json!({"product_id": 2.0, "quantity": 3.0})).await;
        let body = expect_json(r, 201).await;
        assert_eq!(body["items"][0]["product_id"], 2);
        assert_eq!(body["items"][0]["quantity"], 3);
        let line = body["items"][0]["id"].as_i64().unwrap();
        let r = app.client.patch(app.url(&format!("/api/carts/{cart}/items/{line}"))).json(&json!({"quantity": 4.0})).send().await.unwrap();
        assert_eq!(expect_json(r, 200).await["items"][0]["quantity"], 4);
        let r = app.post_json("/api/inventory/check", &json!({"items": [{"product_id": 2.0, "quantity": 1.0}]})).await;
        assert_eq!(expect_json(r, 200).await["items"][0]["product_id"], 2);
        // A fraction is still not an integer.
        let r = app.post_json(&format!("/api/carts/{cart}/items"), &json!({"product_id": 2, "quantity": 1.5})).await;
        expect_error(r, 400, "validation_failed", Some("quantity")).await;
    }
}
