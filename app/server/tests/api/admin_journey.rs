//! Issue #15's "done means", as a new admin would try it, on both databases:
//! invited on the command line (`shop admin invite`), the admin accepts,
//! enrols TOTP, logs in with a code, edits a product, uploads its picture
//! (visible through `image_url`), bulk-imports a CSV with one bad row
//! (refused with a report, then applied without it), adjusts stock below its
//! threshold (an alert), ships an order and accepts its return, and exports
//! the sales. The audit log shows every step; `shop audit verify` passes,
//! and fails once a row is edited behind the shop's back. No secret and no
//! personal data reaches telemetry on the way.

use std::process::Output;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{PASSWORD, accept, enrol, password_login};
use crate::admin_images::{png, upload};
use crate::db_tests;
use crate::support::*;

/// `shop <args>` against the test's database, telemetry off.
fn shop(app: &TestApp, args: &[&str]) -> Output {
    crate::common::shop_command()
        .env("DATABASE_URL", app.shared_database().url())
        .args(["--telemetry", "noop"])
        .args(args)
        .output()
        .expect("the shop binary runs")
}

db_tests! {
    async fn a_new_admin_runs_the_back_office_and_the_audit_log_shows_every_step(app) {
        crate::common::lab_component("localstack");
        // Invited on the command line, as the first administrator is.
        let email = "first.admin@example.com";
        let out = shop(&app, &["admin", "invite", "--email", email, "--grant", "administrator"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // Stdout is the answer alone, three lines (the logs are on stderr), so a script can take
        // the token from line two.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{stdout}");
        assert!(lines[0].starts_with("invitation for first.admin@example.com (administrator)"), "{stdout}");
        assert!(lines[2].starts_with("accept it with:"), "{stdout}");
        let token = lines[1].trim().to_owned();

        // Accepts, enrols TOTP (the answer's otpauth URI is what the phone scans), then signs in
        // again with a code from the phone.
        expect_json(accept(&app, &token, PASSWORD).await, 201).await;
        let (mut first, next) = password_login(&app, email).await;
        assert_eq!(next, "enrol");
        let recovery = enrol(&app, &mut first).await;
        assert_eq!(recovery.len(), 10);
        let (mut admin, next) = password_login(&app, email).await;
        assert_eq!(next, "verify");
        admin.totp = first.totp.clone();
        admin.used_step = first.used_step;
        let code = admin.fresh_code(); // never the code the enrolment used
        let r = admin.post(&app, "/api/admin/mfa/verify", &json!({ "code": code })).await;
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

        // Edits a product and uploads its picture: the new URL serves the resized picture.
        let edited = expect_json(admin.send(&app, Method::PATCH, "/api/admin/products/5", Some(&json!({ "price_cents": 1999, "name": "Journey lamp" }))).await, 200).await;
        assert_eq!(edited["price_cents"], 1999);
        let uploaded = expect_json(upload(&app, &admin, "/api/admin/products/5/image", "lamp.png", &png(900, 600)).await, 200).await;
        let product = app.get_json("/api/products/5", 200).await;
        assert_eq!(product["image_url"], uploaded["image_url"]);
        assert_ne!(product["image_url"], "/images/products/5/large.png");
        let picture = app.get(product["image_url"].as_str().unwrap()).await;
        assert_eq!((picture.status().as_u16(), picture.headers()["content-type"].to_str().unwrap()), (200, "image/png"));

        // Bulk import with one bad row: refused whole, with the row named; then without it.
        let good = "sku,name,price_cents,category\nAUDIO-0001,Journey headphones,2599,audio\nJOURNEY-1,Journey tent,19999,camping\n";
        let bad = format!("{good}JOURNEY-2,Journey stove,twelve,camping\n");
        let refused = expect_error(admin.send_raw(&app, Method::POST, "/api/admin/catalog/import", "text/csv", bad).await, 422, "import_rejected", None).await;
        assert_eq!(refused["error"]["details"]["errors"][0]["line"], 4);
        assert_eq!(refused["error"]["details"]["errors"][0]["field"], "price_cents");
        let applied = expect_json(admin.send_raw(&app, Method::POST, "/api/admin/catalog/import", "text/csv", good).await, 200).await;
        assert_eq!((applied["created"].as_u64(), applied["updated"].as_u64()), (Some(1), Some(1)));

        // Stock below the threshold: one alert.
        let level = app.get_json("/api/inventory/9", 200).await;
        let (on_hand, threshold) = (level["quantity"].as_i64().unwrap(), level["low_stock_threshold"].as_i64().unwrap());
        assert!(on_hand > threshold, "{level}");
        let adjusted = expect_json(admin.post(&app, "/api/admin/inventory/9/adjustments", &json!({ "delta": threshold - on_hand, "reason": "damage" })).await, 200).await;
        assert_eq!(adjusted["alert"], true);
        let alerts = expect_json(admin.get(&app, "/api/admin/inventory/alerts").await, 200).await;
        assert_eq!(alerts[0]["product_id"], 9);

        // A customer's order, shipped with a tracking number, delivered, returned.
        let customer_email = "journey.customer@example.com";
        let me = crate::accounts::new_customer(&app, customer_email).await;
        expect_json(me.send(&app, Method::POST, &format!("/api/carts/{}/items", me.cart_id), Some(&json!({ "product_id": 6, "quantity": 1 })), true).await, 201).await;
        let mut body = order_body(&me.cart_id);
        body["email"] = json!(customer_email);
        let r = app.client.post(app.url("/api/orders")).header("cookie", &me.cookie).header("x-csrf-token", &me.csrf)
            .header("Idempotency-Key", "journey-1").json(&body).send().await.unwrap();
        let order = expect_json(r, 201).await["id"].as_str().unwrap().to_owned();
        let status = format!("/api/admin/orders/{order}/status");
        for step in [json!({ "to": "packed" }), json!({ "to": "shipped", "tracking_number": "JP1234567890" }), json!({ "to": "delivered" })] {
            expect_json(admin.post(&app, &status, &step).await, 200).await;
        }
        let seen = app.client.get(app.url(&format!("/api/account/orders/{order}"))).header("cookie", &me.cookie).send().await.unwrap();
        assert_eq!(expect_json(seen, 200).await["tracking_number"], "JP1234567890");
        expect_json(me.send(&app, Method::POST, &format!("/api/account/orders/{order}/return"), None, true).await, 200).await;
        let returned = expect_json(admin.post(&app, &status, &json!({ "to": "returned" })).await, 200).await;
        assert_eq!(returned["status"], "returned");

        // Sales, exported as CSV.
        let r = admin.get(&app, "/api/admin/reports/sales?group=product&format=csv").await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().starts_with("key,label,orders,units,revenue_cents"));

        // The audit log shows every step, in order.
        let log = expect_json(admin.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        let steps = ["admins.invite", "admins.accept_invitation", "admin.login", "admin.mfa_enrol", "admin.login", "admin.mfa",
            "catalog.write", "catalog.image_upload", "catalog.import", "inventory.adjust",
            "orders.transition", "orders.transition", "orders.transition", "orders.return", "reports.sales"];
        let mut at = 0;
        for action in &actions {
            if at < steps.len() && *action == steps[at] {
                at += 1;
            }
        }
        assert_eq!(at, steps.len(), "the log lacks {:?} in order; it has {actions:?}", steps.get(at));
        let entries: &Vec<Value> = log.as_array().unwrap();
        assert!(entries.iter().all(|e| e["request_id"].is_string() || e["actor_kind"] == "system"), "every request's entry names it");

        // No secret and no personal data reached telemetry on the way: password, TOTP secret,
        // recovery codes, invitation token, cookies, CSRF tokens, e-mail addresses, the address.
        let seen = format!("{:?}\n{:?}\n{:?}", app.recorder.spans(), app.recorder.logs(), app.recorder.measurements());
        let cookie = admin.cookie.trim_start_matches("shop_admin_session=").to_owned();
        let mut secrets = vec![PASSWORD.to_owned(), first.totp.clone().unwrap(), token.clone(), cookie, admin.csrf.clone(),
            email.to_owned(), customer_email.to_owned(), me.csrf.clone(), "1-2-3 Marunouchi".to_owned(), "Aiko Tanaka".to_owned()];
        secrets.extend(recovery.iter().cloned());
        for s in &secrets {
            assert!(!seen.contains(s.as_str()), "telemetry carries {s:?}");
        }

        // `shop audit verify` passes; after a row is edited behind the shop's back, it fails.
        let out = shop(&app, &["audit", "verify"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
        sqlx::query("UPDATE audit_log SET target = 'product:6' WHERE action = 'catalog.write'")
            .execute(app.db.pool()).await.unwrap();
        let out = shop(&app, &["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).contains("BROKEN"));
    }
}
