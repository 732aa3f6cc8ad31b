//! Orders in the back office (A-ORDER-01..04, O-SEC-04), on both databases: a
//! viewer lists orders without personal data; an order manager reads the
//! customer's details (audited), confirms, packs, ships with a tracking
//! number the customer then sees, delivers, and accepts the customer's
//! return (stock back, refund); illegal moves are 409; the sales report
//! adds up, as JSON and CSV.

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::Role;
use telemetry_api::semconv::{self, metrics};

use crate::accounts::new_customer;
use crate::admin::{AdminClient, counter, ready_admin};
use crate::db_tests;
use crate::support::*;

async fn stock(app: &TestApp, product: i64) -> i64 {
    app.get_json(&format!("/api/inventory/{product}"), 200)
        .await["quantity"]
        .as_i64()
        .unwrap()
}

async fn move_to(app: &TestApp, admin: &AdminClient, id: &str, body: Value) -> reqwest::Response {
    admin
        .post(app, &format!("/api/admin/orders/{id}/status"), &body)
        .await
}

db_tests! {
    async fn an_order_manager_fulfils_an_order_and_accepts_its_return(app) {
        let email = "orders.customer@example.com";
        let me = new_customer(&app, email).await;
        let before = stock(&app, 6).await;
        let add = json!({ "product_id": 6, "quantity": 2 });
        expect_json(me.send(&app, Method::POST, &format!("/api/carts/{}/items", me.cart_id), Some(&add), true).await, 201).await;
        let mut body = order_body(&me.cart_id);
        body["email"] = json!(email);
        let r = app.client.post(app.url("/api/orders")).header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
            .header("Idempotency-Key", "ao-1").json(&body).send().await.unwrap();
        let order = expect_json(r, 201).await;
        let id = order["id"].as_str().unwrap().to_owned();
        assert_eq!(stock(&app, 6).await, before - 2);

        let viewer = ready_admin(&app, "viewer@example.com", &[Role::Viewer]).await;
        let manager = ready_admin(&app, "manager@example.com", &[Role::OrderManager]).await;

        // A viewer lists and reads orders, never the customer's details.
        let listed = expect_json(viewer.get(&app, "/api/admin/orders?status=paid").await, 200).await;
        assert!(listed.as_array().unwrap().iter().any(|o| o["id"] == id.as_str() && o["units"] == 2), "{listed}");
        let seen = expect_json(viewer.get(&app, &format!("/api/admin/orders/{id}")).await, 200).await;
        assert!(!seen.to_string().contains(email) && seen.get("shipping_address").is_none(), "{seen}");
        assert_eq!(seen["next"], json!(["packed", "cancelled"]));
        expect_error(viewer.get(&app, &format!("/api/admin/orders/{id}/customer")).await, 403, "forbidden", None).await;
        expect_error(move_to(&app, &viewer, &id, json!({ "to": "packed" })).await, 403, "forbidden", None).await;
        expect_error(viewer.get(&app, "/api/admin/orders?limit=0").await, 400, "validation_failed", Some("limit")).await;

        // The manager reads them: an audit entry and a security event.
        let customer = expect_json(manager.get(&app, &format!("/api/admin/orders/{id}/customer")).await, 200).await;
        assert_eq!(customer["email"], email);
        let security = app.recorder.counter_total(metrics::SHOP_SECURITY_EVENTS, &[(semconv::SHOP_SECURITY_EVENT_KIND, "personal_data_read".into())]);
        assert_eq!(security, 1.0);

        // The status machine, from the back office.
        expect_error(move_to(&app, &manager, &id, json!({ "to": "delivered" })).await, 409, "illegal_transition", None).await;
        let packed = expect_json(move_to(&app, &manager, &id, json!({ "to": "packed" })).await, 200).await;
        assert_eq!(packed["status"], "packed");
        expect_error(move_to(&app, &manager, &id, json!({ "to": "shipped" })).await, 400, "validation_failed", Some("tracking_number")).await;
        expect_error(move_to(&app, &manager, &id, json!({ "to": "shipped", "tracking_number": "no spaces" })).await, 400, "validation_failed", Some("tracking_number")).await;
        expect_error(move_to(&app, &manager, &id, json!({ "to": "delivered", "tracking_number": "JP1" })).await, 400, "validation_failed", Some("tracking_number")).await;
        let shipped = expect_json(move_to(&app, &manager, &id, json!({ "to": "shipped", "tracking_number": "JP123456789" })).await, 200).await;
        assert_eq!(shipped["tracking_number"], "JP123456789");
        // The customer sees the tracking number.
        let mine = expect_json(me.get(&app, &format!("/api/account/orders/{id}")).await, 200).await;
        assert_eq!(mine["tracking_number"], "JP123456789");
        expect_json(move_to(&app, &manager, &id, json!({ "to": "delivered" })).await, 200).await;

        // The sales report counts the order while it stands.
        let report = expect_json(manager.get(&app, "/api/admin/reports/sales?group=product").await, 200).await;
        let row = report.as_array().unwrap().iter().find(|r| r["key"] == "6").unwrap_or_else(|| panic!("{report}")).clone();
        assert_eq!((row["orders"].as_i64(), row["units"].as_i64()), (Some(1), Some(2)));
        assert_eq!(row["revenue_cents"], order["items"][0]["line_total_cents"]);
        let days = expect_json(manager.get(&app, "/api/admin/reports/sales").await, 200).await;
        assert_eq!(days.as_array().unwrap().len(), 1);
        assert_eq!(days[0]["key"].as_str().unwrap().len(), 10);
        let r = manager.get(&app, "/api/admin/reports/sales?group=category&format=csv").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("key,label,orders,units,revenue_cents\r\n"), "{csv}");
        assert_eq!(csv.lines().count(), 2, "{csv}");
        expect_error(manager.get(&app, "/api/admin/reports/sales?group=week").await, 400, "validation_failed", Some("group")).await;

        // The customer asks for a return; the manager accepts it: the units go back, the total is refunded.
        expect_json(me.send(&app, Method::POST, &format!("/api/account/orders/{id}/return"), None, true).await, 200).await;
        let inventory = ready_admin(&app, "stock@example.com", &[Role::InventoryManager]).await;
        expect_error(move_to(&app, &inventory, &id, json!({ "to": "returned" })).await, 403, "forbidden", None).await;
        let returned = expect_json(move_to(&app, &manager, &id, json!({ "to": "returned" })).await, 200).await;
        assert_eq!(returned["status"], "returned");
        assert_eq!(returned["refunded_cents"], order["total_cents"]);
        assert_eq!(stock(&app, 6).await, before);
        let reason: String = sqlx::query_scalar("SELECT reason FROM inventory_movements WHERE product_id = 6 ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(reason, "return");
        // A refunded order is no longer a sale.
        let report = expect_json(manager.get(&app, "/api/admin/reports/sales?group=product").await, 200).await;
        assert!(report.as_array().unwrap().iter().all(|r| r["key"] != "6"), "{report}");

        // Every move and the read are in the audit log, and it verifies.
        let admin = ready_admin(&app, "auditor@example.com", &[Role::SecurityAuditor]).await;
        let log = expect_json(admin.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let of_order: Vec<(String, String)> = log.as_array().unwrap().iter()
            .filter(|e| e["target"] == format!("order:{id}"))
            .map(|e| (e["action"].as_str().unwrap().to_owned(), e["after"].as_str().unwrap_or_default().to_owned()))
            .collect();
        let actions: Vec<&str> = of_order.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["orders.read_customer", "orders.transition", "orders.transition", "orders.transition", "orders.return"]);
        assert!(of_order[2].1.contains("JP123456789"));
        assert_eq!(expect_json(admin.post(&app, "/api/admin/audit/verify", &json!({})).await, 200).await["intact"], true);
        assert_eq!(counter(&app, "orders.transition", "success"), 3.0);
        assert_eq!(counter(&app, "orders.return", "success"), 1.0);
        // No e-mail or address in telemetry, even after the read.
        let seen = format!("{:?}\n{:?}", app.recorder.spans(), app.recorder.logs());
        assert!(!seen.contains(email));
    }
}
