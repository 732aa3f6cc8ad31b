//! Inventory in the back office (A-INV-01..05), on both databases: an
//! inventory manager receives and writes off stock, sets a threshold, and
//! the crossing raises one alert (with its outbox event); stock never goes
//! below zero; the movement history shows sales and adjustments; the
//! forecast follows the sales; a viewer reads but cannot adjust.

use serde_json::{Value, json};
use shop_core::admin::Role;

use crate::admin::{AdminClient, ready_admin};
use crate::db_tests;
use crate::support::*;

async fn adjust(
    app: &TestApp,
    admin: &AdminClient,
    product: i64,
    body: Value,
) -> reqwest::Response {
    admin
        .post(
            app,
            &format!("/api/admin/inventory/{product}/adjustments"),
            &body,
        )
        .await
}

db_tests! {
    async fn an_inventory_manager_adjusts_stock_and_a_crossing_raises_one_alert(app) {
        let manager = ready_admin(&app, "stock.manager@example.com", &[Role::InventoryManager]).await;
        let viewer = ready_admin(&app, "stock.viewer@example.com", &[Role::Viewer]).await;
        let start = app.get_json("/api/inventory/7", 200).await["quantity"].as_i64().unwrap();

        // A sale, for the history and the forecast.
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 7, 2).await, 201).await;
        expect_json(app.checkout("inv-1", &order_body(&cart)).await, 201).await;

        let received = expect_json(adjust(&app, &manager, 7, json!({ "delta": 10, "reason": "receiving" })).await, 200).await;
        assert_eq!(received["level"]["quantity"], start - 2 + 10);
        assert_eq!(received["alert"], false);
        expect_error(adjust(&app, &manager, 7, json!({ "delta": 5, "reason": "damage" })).await, 400, "validation_failed", Some("delta")).await;
        expect_error(adjust(&app, &manager, 7, json!({ "delta": 5, "reason": "theft" })).await, 400, "validation_failed", Some("reason")).await;
        expect_error(adjust(&app, &manager, 7, json!({ "delta": -100000, "reason": "correction" })).await, 409, "insufficient_stock", None).await;
        expect_error(adjust(&app, &manager, 99999, json!({ "delta": 1, "reason": "receiving" })).await, 404, "not_found", None).await;
        expect_error(adjust(&app, &viewer, 7, json!({ "delta": 1, "reason": "receiving" })).await, 403, "forbidden", None).await;

        // A threshold, then a write-off that crosses it: one alert and one outbox event.
        let on_hand = start - 2 + 10;
        let level = expect_json(manager.send(&app, reqwest::Method::PUT, "/api/admin/inventory/7/threshold", Some(&json!({ "threshold": on_hand - 1 }))).await, 200).await;
        assert_eq!(level["status"], "in_stock");
        let crossed = expect_json(adjust(&app, &manager, 7, json!({ "delta": -1, "reason": "damage" })).await, 200).await;
        assert_eq!((crossed["alert"].as_bool(), crossed["level"]["status"].as_str()), (Some(true), Some("low_stock")));
        let again = expect_json(adjust(&app, &manager, 7, json!({ "delta": -1, "reason": "correction" })).await, 200).await;
        assert_eq!(again["alert"], false, "already below: no second alert");
        let alerts = expect_json(viewer.get(&app, "/api/admin/inventory/alerts").await, 200).await;
        assert_eq!(alerts.as_array().unwrap().len(), 1);
        assert_eq!((alerts[0]["product_id"].as_i64(), alerts[0]["quantity"].as_i64()), (Some(7), Some(on_hand - 1)));
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'inventory.low_stock'").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(events, 1);
        let low = expect_json(viewer.get(&app, "/api/admin/inventory?status=low_stock&limit=200").await, 200).await;
        assert!(low.as_array().unwrap().iter().any(|l| l["product_id"] == 7), "{low}");

        // The history, newest first: the two write-offs, the receipt, the sale.
        let moves = expect_json(viewer.get(&app, "/api/admin/inventory/7/movements?limit=4").await, 200).await;
        let reasons: Vec<&str> = moves.as_array().unwrap().iter().map(|m| m["reason"].as_str().unwrap()).collect();
        assert_eq!(reasons, ["correction", "damage", "receiving", "order"]);
        assert_eq!(moves[3]["delta"], -2);

        // The forecast: 2 units sold in 28 days.
        let f = expect_json(viewer.get(&app, "/api/admin/inventory/7/forecast").await, 200).await;
        assert_eq!(f["units_sold"], 2);
        let cover = f["days_of_cover"].as_f64().unwrap();
        assert!((cover - (on_hand - 2) as f64 / (2.0 / 28.0)).abs() < 1e-6, "{f}");
        assert!(f["method"].as_str().unwrap().contains("28 days"));
        let none = expect_json(viewer.get(&app, "/api/admin/inventory/8/forecast").await, 200).await;
        assert!(none["days_of_cover"].is_null());

        // Each adjustment and the threshold are in the audit log with before and after.
        let auditor = ready_admin(&app, "stock.auditor@example.com", &[Role::SecurityAuditor]).await;
        let log = expect_json(auditor.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let of_product: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["target"] == "product:7").collect();
        let actions: Vec<&str> = of_product.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["inventory.adjust", "inventory.threshold", "inventory.adjust", "inventory.adjust"]);
        assert!(of_product[0]["after"].as_str().unwrap().contains("receiving"));
    }
}
