//! The inventory service's own routes (A-INV-01): a product's stock level
//! and status, as the orders service and an operator see them.

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn a_products_level_follows_stock_and_checkouts(app) {
        let level = app.get_json("/api/inventory/2", 200).await;
        assert_eq!(level["product_id"], 2);
        assert_eq!(level["quantity"].as_i64().unwrap(), app.stock(2).await);
        let threshold = level["low_stock_threshold"].as_i64().unwrap();
        assert!(threshold > 0, "{level}");
        assert!(level["updated_at"].as_str().unwrap().contains('T'), "{level}");

        // The status follows the quantity against the product's threshold.
        app.set_stock(2, threshold + 1).await;
        assert_eq!(app.get_json("/api/inventory/2", 200).await["status"], "in_stock");
        app.set_stock(2, threshold).await;
        assert_eq!(app.get_json("/api/inventory/2", 200).await["status"], "low_stock");
        app.set_stock(2, 0).await;
        let out = app.get_json("/api/inventory/2", 200).await;
        assert_eq!((out["quantity"].as_i64(), out["status"].as_str()), (Some(0), Some("out_of_stock")));

        // A checkout takes its units off the level.
        app.set_stock(2, 10).await;
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 2, 3).await, 201).await;
        expect_json(app.checkout("inventory-level", &order_body(&cart)).await, 201).await;
        assert_eq!(app.get_json("/api/inventory/2", 200).await["quantity"], 7);
    }

    async fn an_unknown_or_malformed_product_is_a_4xx(app) {
        expect_error(app.get("/api/inventory/99999").await, 404, "not_found", None).await;
        expect_error(app.get("/api/inventory/two").await, 400, "validation_failed", Some("product_id")).await;
    }
}
