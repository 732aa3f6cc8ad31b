//! The catalog in the back office (A-PROD-01..04), on both databases: a
//! catalog manager builds a category tree and products, edits and deletes
//! them within the rules (two-level tree, a product that sold stays), and
//! bulk-edits the catalog by CSV: the export imports back unchanged, a file
//! with a bad row is refused whole with a per-row report, and applying the
//! same file twice changes nothing the second time. Every change is in the
//! audit log and is a span.

use reqwest::Method;
use serde_json::{Value, json};
use shop_core::admin::Role;
use shop_core::db::seed::PRODUCT_COUNT;

use crate::admin::{AdminClient, ready_admin};
use crate::db_tests;
use crate::support::*;

async fn send(
    app: &TestApp,
    admin: &AdminClient,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    admin.send(app, method, path, Some(&body)).await
}

async fn csv(app: &TestApp, admin: &AdminClient, path: &str, file: &str) -> reqwest::Response {
    admin
        .send_raw(app, Method::POST, path, "text/csv", file.to_owned())
        .await
}

async fn audit_of(app: &TestApp, target: &str) -> Vec<Value> {
    let auditor = ready_admin(
        app,
        &format!("auditor.{}@example.com", target.replace(':', "-")),
        &[Role::SecurityAuditor],
    )
    .await;
    let log = expect_json(auditor.get(app, "/api/admin/audit?limit=1000").await, 200).await;
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == target)
        .cloned()
        .collect()
}

async fn price_of(app: &TestApp, id: i64) -> i64 {
    app.get_json(&format!("/api/products/{id}"), 200).await["price_cents"]
        .as_i64()
        .unwrap()
}

db_tests! {
    async fn a_catalog_manager_edits_products_and_the_category_tree(app) {
        let manager = ready_admin(&app, "catalog.manager@example.com", &[Role::CatalogManager]).await;
        let viewer = ready_admin(&app, "catalog.viewer@example.com", &[Role::Viewer]).await;

        // A department and a category in it.
        let dept = expect_json(manager.post(&app, "/api/admin/categories", &json!({ "slug": "lighting", "name": "Lighting" })).await, 201).await;
        let dept_id = dept["id"].as_i64().unwrap();
        assert!(dept["parent_id"].is_null());
        let lamps = expect_json(manager.post(&app, "/api/admin/categories", &json!({ "slug": "desk-lamps", "name": "Desk lamps", "parent_id": dept_id })).await, 201).await;
        let lamps_id = lamps["id"].as_i64().unwrap();
        assert_eq!(lamps["parent_id"], dept_id);
        expect_error(manager.post(&app, "/api/admin/categories", &json!({ "slug": "desk-lamps", "name": "Again" })).await, 409, "slug_taken", None).await;
        expect_error(manager.post(&app, "/api/admin/categories", &json!({ "slug": "Desk Lamps", "name": "x" })).await, 400, "validation_failed", Some("slug")).await;
        expect_error(manager.post(&app, "/api/admin/categories", &json!({ "slug": "shades", "name": "Shades", "parent_id": lamps_id })).await, 409, "category_tree", None).await;
        expect_error(manager.post(&app, "/api/admin/categories", &json!({ "slug": "shades", "name": "Shades", "parent_id": 99999 })).await, 400, "validation_failed", Some("parent_id")).await;

        // A product in it: no stock, the drawn pictures, on sale at once.
        let new = json!({ "sku": "LAMP-0001", "name": "Brass desk lamp", "description": "Warm light.", "price_cents": 4999, "category_id": lamps_id });
        let lamp = expect_json(manager.post(&app, "/api/admin/products", &new).await, 201).await;
        let id = lamp["id"].as_i64().unwrap();
        assert!(id > PRODUCT_COUNT as i64);
        assert_eq!((lamp["sku"].as_str(), lamp["category"]["slug"].as_str()), (Some("LAMP-0001"), Some("desk-lamps")));
        assert_eq!((lamp["stock"]["quantity"].as_i64(), lamp["stock"]["status"].as_str()), (Some(0), Some("out_of_stock")));
        assert_eq!(lamp["image_url"], format!("/images/products/{id}/large.png"));
        let picture = app.get(&format!("/images/products/{id}/thumb.png")).await;
        assert_eq!(picture.status(), 200);
        assert_eq!(picture.headers()["content-type"], "image/png");
        let listed = app.get_json(&format!("/api/categories/{dept_id}/products"), 200).await;
        assert_eq!(listed["total"], 1, "a department lists its categories' products");

        // Bad input names its field; a taken SKU is a conflict; a viewer may not write.
        expect_error(manager.post(&app, "/api/admin/products", &json!({ "sku": "LAMP-0001", "name": "Twin", "price_cents": 1, "category_id": lamps_id })).await, 409, "sku_taken", None).await;
        for (body, field) in [
            (json!({ "sku": "lamp 2", "name": "x", "price_cents": 1, "category_id": lamps_id }), "sku"),
            (json!({ "sku": "LAMP-2", "name": "  ", "price_cents": 1, "category_id": lamps_id }), "name"),
            (json!({ "sku": "LAMP-2", "name": "x", "price_cents": -1, "category_id": lamps_id }), "price_cents"),
            (json!({ "sku": "LAMP-2", "name": "x", "price_cents": 1, "category_id": 99999 }), "category_id"),
            (json!({ "sku": "LAMP-2", "name": "x", "price_cents": 1, "category_id": lamps_id, "currency": "EUR" }), "currency"),
        ] {
            expect_error(manager.post(&app, "/api/admin/products", &body).await, 400, "validation_failed", Some(field)).await;
        }
        expect_error(viewer.post(&app, "/api/admin/products", &json!({ "sku": "LAMP-3", "name": "x", "price_cents": 1, "category_id": lamps_id })).await, 403, "forbidden", None).await;

        // Edit: only the fields given change; the shop shows the new price at once.
        let edited = expect_json(send(&app, &manager, Method::PATCH, &format!("/api/admin/products/{id}"), json!({ "price_cents": 3999, "name": "Brass desk lamp, small" })).await, 200).await;
        assert_eq!((edited["price_cents"].as_i64(), edited["description"].as_str()), (Some(3999), Some("Warm light.")));
        assert_eq!(price_of(&app, id).await, 3999);
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/products/{id}"), json!({})).await, 400, "validation_failed", Some("body")).await;
        expect_error(send(&app, &manager, Method::PATCH, "/api/admin/products/99999", json!({ "price_cents": 1 })).await, 404, "not_found", None).await;
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/products/{id}"), json!({ "sku": "AUDIO-0001" })).await, 409, "sku_taken", None).await;
        let read = expect_json(viewer.get(&app, &format!("/api/admin/products/{id}")).await, 200).await;
        assert_eq!(read["name"], "Brass desk lamp, small");
        let page = expect_json(viewer.get(&app, &format!("/api/admin/products?category_id={lamps_id}")).await, 200).await;
        assert_eq!(page["total"], 1);

        // The tree: two levels. A department with categories cannot go under another; a
        // category can become a department, be renamed, and go back.
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{dept_id}"), json!({ "parent_id": 1 })).await, 409, "category_tree", None).await;
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{lamps_id}"), json!({ "parent_id": 2 })).await, 409, "category_tree", None).await;
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{lamps_id}"), json!({ "parent_id": lamps_id })).await, 409, "category_tree", None).await;
        let top = expect_json(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{lamps_id}"), json!({ "parent_id": null, "name": "Lamps" })).await, 200).await;
        assert!(top["parent_id"].is_null());
        assert_eq!(top["name"], "Lamps");
        let back = expect_json(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{lamps_id}"), json!({ "parent_id": dept_id })).await, 200).await;
        assert_eq!((back["parent_id"].as_i64(), back["name"].as_str(), back["product_count"].as_i64()), (Some(dept_id), Some("Lamps"), Some(1)));
        expect_error(send(&app, &manager, Method::PATCH, &format!("/api/admin/categories/{lamps_id}"), json!({ "slug": "audio" })).await, 409, "slug_taken", None).await;
        let tree = expect_json(viewer.get(&app, "/api/admin/categories").await, 200).await;
        assert!(tree["items"].as_array().unwrap().iter().any(|c| c["slug"] == "desk-lamps" && c["parent_id"] == dept_id));

        // Delete: a category only when empty; a product only if it never sold.
        let not_empty = expect_error(send(&app, &manager, Method::DELETE, &format!("/api/admin/categories/{dept_id}"), json!({})).await, 409, "category_not_empty", None).await;
        assert_eq!(not_empty["error"]["details"]["categories"], 1);
        let cart = app.create_cart().await;
        expect_json(app.add_item(&cart, 2, 1).await, 201).await;
        expect_json(app.checkout("catalog-sold", &order_body(&cart)).await, 201).await;
        let sold = expect_error(send(&app, &manager, Method::DELETE, "/api/admin/products/2", json!({})).await, 409, "product_has_orders", None).await;
        assert_eq!(sold["error"]["details"]["product_ids"], json!([2]));
        expect_error(send(&app, &viewer, Method::DELETE, &format!("/api/admin/products/{id}"), json!({})).await, 403, "forbidden", None).await;
        let r = send(&app, &manager, Method::DELETE, &format!("/api/admin/products/{id}"), json!({})).await;
        assert_eq!(r.status(), 204);
        expect_error(app.get(&format!("/api/products/{id}")).await, 404, "not_found", None).await;
        expect_error(send(&app, &manager, Method::DELETE, &format!("/api/admin/products/{id}"), json!({})).await, 404, "not_found", None).await;
        assert_eq!(send(&app, &manager, Method::DELETE, &format!("/api/admin/categories/{lamps_id}"), json!({})).await.status(), 204);
        assert_eq!(send(&app, &manager, Method::DELETE, &format!("/api/admin/categories/{dept_id}"), json!({})).await.status(), 204);

        // Bulk delete: all or none.
        let mut fresh = Vec::new();
        for n in 0..2 {
            let p = json!({ "sku": format!("BULK-{n}"), "name": "Bulk", "price_cents": 100, "category_id": 2 });
            fresh.push(expect_json(manager.post(&app, "/api/admin/products", &p).await, 201).await["id"].as_i64().unwrap());
        }
        expect_error(manager.post(&app, "/api/admin/products/bulk-delete", &json!({ "ids": [fresh[0], 2] })).await, 409, "product_has_orders", None).await;
        app.get_json(&format!("/api/products/{}", fresh[0]), 200).await;
        expect_error(manager.post(&app, "/api/admin/products/bulk-delete", &json!({ "ids": [] })).await, 400, "validation_failed", Some("ids")).await;
        let done = expect_json(manager.post(&app, "/api/admin/products/bulk-delete", &json!({ "ids": fresh })).await, 200).await;
        assert_eq!(done["deleted"], 2);

        // The audit log: the product's life, with what it was and what it became.
        let life = audit_of(&app, &format!("product:{id}")).await;
        let actions: Vec<&str> = life.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["catalog.write", "catalog.write", "catalog.delete"]);
        assert!(life[1]["before"].as_str().unwrap().contains("4999") && life[1]["after"].as_str().unwrap().contains("3999"), "{life:?}");
        assert!(life[2]["after"].is_null());
        let bulk = audit_of(&app, &format!("product:{}", fresh[1])).await;
        assert_eq!(bulk.last().unwrap()["action"], "catalog.bulk_delete");

        // Each change is a span with its business attributes (O-TRACE-04).
        let spans = app.recorder.spans();
        let created = spans.iter().find(|s| s.name == "catalog.product.create").expect("a create span");
        assert!(created.attributes.iter().any(|kv| kv.key == "shop.product.id" && format!("{:?}", kv.value).contains(&id.to_string())), "{created:?}");
        for name in ["catalog.product.update", "catalog.product.delete", "catalog.category.create", "catalog.category.update", "catalog.category.delete"] {
            assert!(spans.iter().any(|s| s.name == name), "no {name} span");
        }
        assert!(crate::admin::counter(&app, "catalog.write", "success") >= 4.0);
    }

    async fn the_catalog_round_trips_through_csv_and_imports_all_or_nothing(app) {
        let manager = ready_admin(&app, "csv.manager@example.com", &[Role::CatalogManager]).await;
        let viewer = ready_admin(&app, "csv.viewer@example.com", &[Role::Viewer]).await;

        // The export: one row per product, with a header; it imports back as "unchanged".
        let r = manager.get(&app, "/api/admin/catalog/export").await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        assert!(r.headers()["content-disposition"].to_str().unwrap().contains("catalog.csv"));
        let export = r.text().await.unwrap();
        assert!(export.starts_with("sku,name,description,price_cents,currency,category\n"), "{}", &export[..80]);
        assert!(export.contains("AUDIO-0001,"));
        let preview = expect_json(csv(&app, &manager, "/api/admin/catalog/import/preview", &export).await, 200).await;
        assert_eq!((preview["rows"].as_u64(), preview["unchanged"].as_u64()), (Some(PRODUCT_COUNT as u64), Some(PRODUCT_COUNT as u64)));
        assert_eq!((preview["created"].as_u64(), preview["updated"].as_u64(), preview["applied"].as_bool()), (Some(0), Some(0), Some(false)));
        assert_eq!(preview["errors"], json!([]));

        // A file that updates one product, creates one, and has one bad row.
        let before = price_of(&app, 1).await;
        let good = "sku,name,price_cents,category,currency\n\
            AUDIO-0001,Renamed headphones,1234,audio,USD\n\
            NEW-0001,\"Tent, two-person\",25999,camping,\n";
        let bad = format!("{good}NEW-0002,Stove,abc,camping,USD\n");
        let plan = expect_json(csv(&app, &manager, "/api/admin/catalog/import/preview", &bad).await, 200).await;
        assert_eq!((plan["created"].as_u64(), plan["updated"].as_u64()), (Some(1), Some(1)));
        assert_eq!(plan["errors"], json!([{ "line": 4, "sku": "NEW-0002", "field": "price_cents", "message": "\"abc\" is not a whole number of cents" }]));
        assert_eq!(plan["plan"][0]["changed"], json!(["name", "price_cents"]));
        let refused = expect_error(csv(&app, &manager, "/api/admin/catalog/import", &bad).await, 422, "import_rejected", None).await;
        assert_eq!(refused["error"]["details"]["errors"][0]["line"], 4);
        assert_eq!(refused["error"]["details"]["applied"], false);
        // Nothing was written.
        assert_eq!(price_of(&app, 1).await, before);
        let created: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE sku = 'NEW-0001'").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(created, 0);

        // Without the bad row: applied, all of it.
        let applied = expect_json(csv(&app, &manager, "/api/admin/catalog/import", good).await, 200).await;
        assert_eq!((applied["applied"].as_bool(), applied["created"].as_u64(), applied["updated"].as_u64()), (Some(true), Some(1), Some(1)));
        let new_id = applied["plan"][1]["product_id"].as_i64().unwrap();
        let tent = app.get_json(&format!("/api/products/{new_id}"), 200).await;
        assert_eq!((tent["name"].as_str(), tent["price_cents"].as_i64(), tent["stock"]["quantity"].as_i64()), (Some("Tent, two-person"), Some(25999), Some(0)));
        assert_eq!(price_of(&app, 1).await, 1234);
        // The same file again: nothing changes.
        let again = expect_json(csv(&app, &manager, "/api/admin/catalog/import", good).await, 200).await;
        assert_eq!((again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(0), Some(2)));
        assert_eq!(again["sha256"], applied["sha256"]);
        let twins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products WHERE sku = 'NEW-0001'").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(twins, 1);

        // A text cell that a spreadsheet would run is exported defused and imported as it was.
        expect_json(send(&app, &manager, Method::PATCH, "/api/admin/products/3", json!({ "name": "=HYPERLINK(\"x\")" })).await, 200).await;
        let export = manager.get(&app, "/api/admin/catalog/export").await.text().await.unwrap();
        assert!(export.contains("'=HYPERLINK"), "defused");
        let round = expect_json(csv(&app, &manager, "/api/admin/catalog/import/preview", &export).await, 200).await;
        assert_eq!(round["unchanged"].as_u64(), round["rows"].as_u64());

        // The file as a whole: its type, its header; and the role.
        expect_error(manager.send_raw(&app, Method::POST, "/api/admin/catalog/import", "application/json", "{}").await, 415, "unsupported_media_type", None).await;
        expect_error(csv(&app, &manager, "/api/admin/catalog/import", "sku,title,price_cents,category\n").await, 400, "validation_failed", Some("header")).await;
        expect_error(csv(&app, &viewer, "/api/admin/catalog/import", good).await, 403, "forbidden", None).await;
        expect_error(viewer.get(&app, "/api/admin/catalog/export").await, 403, "forbidden", None).await;

        // Audited: each applied import with the file's digest, and each export.
        let imports = audit_of(&app, "catalog").await;
        let actions: Vec<&str> = imports.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["catalog.export", "catalog.import", "catalog.import", "catalog.export"]);
        assert!(imports[1]["after"].as_str().unwrap().contains(applied["sha256"].as_str().unwrap()));
        let span = app.recorder.spans().into_iter().find(|s| s.name == "catalog.import").expect("an import span");
        assert!(span.attributes.iter().any(|kv| kv.key == "shop.import.rows"), "{span:?}");
    }
}
