//! The back office's live notifications (`GET /api/admin/notifications`,
//! F-LAMBDA-01): a first call gives the cursor; a low-stock crossing and an
//! order arrive on the next call, each with its data and its trace; a call
//! with nothing new waits, and is answered as soon as something happens;
//! each admin sees only the events their roles may read; the image-resize
//! function's result is an event of the feed; bad parameters are 400s.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shop_core::admin::Role;

use crate::admin::{AdminClient, ready_admin};
use crate::support::*;

async fn poll(app: &TestApp, admin: &AdminClient, query: &str) -> Value {
    expect_json(
        admin
            .get(app, &format!("/api/admin/notifications{query}"))
            .await,
        200,
    )
    .await
}

fn types(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Puts product 7 one unit above a fresh threshold, then writes that unit off: a crossing.
async fn cross_low_stock(app: &TestApp, manager: &AdminClient) {
    let on_hand = app.get_json("/api/inventory/7", 200).await["quantity"]
        .as_i64()
        .unwrap();
    expect_json(
        manager
            .send(
                app,
                reqwest::Method::PUT,
                "/api/admin/inventory/7/threshold",
                Some(&json!({ "threshold": on_hand - 1 })),
            )
            .await,
        200,
    )
    .await;
    let crossed = expect_json(
        manager
            .post(
                app,
                "/api/admin/inventory/7/adjustments",
                &json!({ "delta": -1, "reason": "damage" }),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(crossed["alert"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_hears_of_low_stock_and_orders_as_they_happen_with_their_traces() {
    let app = spawn_app(DbKind::Sqlite).await;
    let admin = ready_admin(&app, "watch@example.com", &[Role::Administrator]).await;
    let stock_only = ready_admin(&app, "stock@example.com", &[Role::InventoryManager]).await;

    // The first call answers at once, with no item: where to start.
    let start = poll(&app, &admin, "").await;
    assert_eq!(start["items"], json!([]));
    let cursor = start["cursor"].as_i64().unwrap();

    cross_low_stock(&app, &stock_only).await;
    let cart = app.create_cart().await;
    expect_json(app.add_item(&cart, 2, 1).await, 201).await;
    let order = expect_json(app.checkout("feed-1", &order_body(&cart)).await, 201).await;

    let answer = poll(&app, &admin, &format!("?after={cursor}&wait=5")).await;
    assert_eq!(
        types(&answer),
        ["inventory.low_stock", "order.placed"],
        "{answer:#}"
    );
    let low = &answer["items"][0];
    assert_eq!(low["data"]["product_id"], 7);
    assert!(low["data"]["threshold"].is_i64(), "{low}");
    assert!(
        !low["trace"].as_object().unwrap().is_empty(),
        "the adjustment's trace context comes along: {low}"
    );
    let placed = &answer["items"][1];
    assert_eq!(placed["data"]["order_id"], order["id"]);
    assert!(
        !placed.to_string().contains("@example.com"),
        "no personal data: {placed}"
    );
    // The same feed for the inventory manager, without the order (not theirs to read).
    let theirs = poll(&app, &stock_only, &format!("?after={cursor}&wait=0")).await;
    assert_eq!(types(&theirs), ["inventory.low_stock"]);

    // Nothing new: the call waits its second, then answers with nothing and the same cursor.
    let next = answer["cursor"].as_i64().unwrap();
    let quiet = poll(&app, &admin, &format!("?after={next}&wait=1")).await;
    assert_eq!(
        (quiet["items"].clone(), quiet["cursor"].as_i64()),
        (json!([]), Some(next))
    );

    // A waiting call is answered when something happens, not at the end of its wait.
    let started = Instant::now();
    let query = format!("?after={next}&wait=25");
    let (waited, _) = tokio::join!(poll(&app, &admin, &query), async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        cross_low_stock(&app, &stock_only).await;
    });
    assert_eq!(types(&waited), ["inventory.low_stock"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "answered on the event, not after the 25 s wait"
    );

    for (query, field) in [
        ("?after=0&wait=26", "wait"),
        ("?after=-1", "after"),
        ("?after=x", "after"),
    ] {
        let r = admin
            .get(&app, &format!("/api/admin/notifications{query}"))
            .await;
        expect_error(r, 400, "validation_failed", Some(field)).await;
    }
    let r = app.get("/api/admin/notifications").await;
    assert_eq!(r.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_resize_functions_result_is_an_event_of_the_feed() {
    use shop_core::catalog::image_store::{self, Recorded};
    let app = spawn_app(DbKind::Sqlite).await;
    let admin = ready_admin(&app, "pictures@example.com", &[Role::CatalogManager]).await;
    let cursor = poll(&app, &admin, "").await["cursor"].as_i64().unwrap();
    // An upload handed to the function, as the shop records one; then the function's verdict,
    // through the same code the function runs (app/functions/image-resize).
    const UPLOAD: &str = "0f8e2a1c9b7d4e6fa1b2c3d4e5f60719";
    sqlx::query("INSERT INTO image_upload_jobs (id, product_id, admin_id, status, created_at, updated_at) VALUES (?, 3, 'someone', 'pending', 0, 0)")
        .bind(UPLOAD)
        .execute(app.db.pool())
        .await
        .unwrap();
    let recorded = image_store::record_failed(
        &app.db,
        3,
        UPLOAD,
        "corrupt",
        shop_core::audit::Origin::default(),
    )
    .await
    .unwrap();
    assert_eq!(recorded, Recorded::Failed);
    let answer = poll(&app, &admin, &format!("?after={cursor}&wait=5")).await;
    assert_eq!(types(&answer), ["catalog.image.processed"], "{answer:#}");
    assert_eq!(
        answer["items"][0]["data"],
        json!({"product_id": 3, "upload_id": UPLOAD, "status": "failed", "reason": "corrupt"})
    );
}
