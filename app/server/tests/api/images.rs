//! Product pictures (C-BROWSE-02): every product's `image_url` and
//! `thumbnail_url` serve a PNG of the right size, with caching headers and
//! conditional GETs; bad paths are JSON errors; the route is one label in
//! the telemetry, which carries no picture bytes.

use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use telemetry_api::semconv::{self, metrics};
use telemetry_api::{SpanKind, TraceId, Value};

use crate::db_tests;
use crate::support::*;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Width and height from a PNG's header (the IHDR chunk must come first:
/// 8 bytes of signature, 4 of length, "IHDR", then width and height as
/// big-endian u32). Enough to check a picture's size without a decoder.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24,
        "{} bytes is too short for a PNG",
        bytes.len()
    );
    assert_eq!(&bytes[..8], PNG_SIGNATURE, "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk is not IHDR");
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

/// GETs a picture, asserting a 200 PNG of `pixels` × `pixels` with the
/// caching headers; returns its ETag and bytes.
async fn fetch_png(app: &TestApp, path: &str, pixels: u32) -> (String, Vec<u8>) {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let h = r.headers().clone();
    assert_eq!(h[CONTENT_TYPE], "image/png", "{path}");
    assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    assert_eq!(
        h[CACHE_CONTROL], "public, max-age=31536000, immutable",
        "{path}"
    );
    let etag = h[ETAG].to_str().unwrap().to_owned();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "strong ETag: {etag}"
    );
    let bytes = r.bytes().await.unwrap().to_vec();
    assert_eq!(
        h[CONTENT_LENGTH],
        bytes.len().to_string().as_str(),
        "{path}"
    );
    assert_eq!(png_size(&bytes), (pixels, pixels), "{path}");
    (etag, bytes)
}

/// Every product of the seeded catalog, from the listing.
async fn all_products(app: &TestApp) -> Vec<serde_json::Value> {
    let mut products = Vec::new();
    for page in 1..=3 {
        let body = app
            .get_json(&format!("/api/products?per_page=100&page={page}"), 200)
            .await;
        products.extend(body["items"].as_array().unwrap().iter().cloned());
    }
    products
}

db_tests! {
    async fn every_product_has_a_large_picture_and_a_thumbnail(app) {
        let products = all_products(&app).await;
        assert_eq!(products.len(), 240);
        for p in &products {
            let id = p["id"].as_i64().unwrap();
            let large = p["image_url"].as_str().unwrap();
            let thumb = p["thumbnail_url"].as_str().unwrap();
            assert_eq!(large, format!("/images/products/{id}/large.png"));
            assert_eq!(thumb, format!("/images/products/{id}/thumb.png"));
            fetch_png(&app, large, 600).await;
            fetch_png(&app, thumb, 200).await;
        }
        // The product page names the same pictures as the listing.
        let one = app.get_json("/api/products/17", 200).await;
        assert_eq!(one["image_url"], "/images/products/17/large.png");
        assert_eq!(one["thumbnail_url"], "/images/products/17/thumb.png");
    }

    async fn a_picture_is_stable_and_answers_conditional_requests(app) {
        let path = "/images/products/42/large.png";
        let (etag, bytes) = fetch_png(&app, path, 600).await;
        // The second answer comes from the database: same bytes, same ETag.
        let (again_etag, again) = fetch_png(&app, path, 600).await;
        assert_eq!(again_etag, etag);
        assert_eq!(again, bytes);
        // Another product's picture is another picture.
        let (other_etag, _) = fetch_png(&app, "/images/products/43/large.png", 600).await;
        assert_ne!(other_etag, etag);

        let r = app.client.get(app.url(path)).header(IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[ETAG], etag.as_str());
        assert_eq!(r.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert!(r.bytes().await.unwrap().is_empty(), "a 304 has no body");

        // A stale ETag gets the picture.
        let r = app.client.get(app.url(path)).header(IF_NONE_MATCH, "\"stale\"").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);

        // HEAD: the same headers, no body.
        let r = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "image/png");
        assert_eq!(r.headers()[ETAG], etag.as_str());
        assert!(r.bytes().await.unwrap().is_empty());
    }

    async fn bad_picture_paths_are_json_errors(app) {
        let r = app.get("/images/products/99999/large.png").await;
        expect_error(r, 404, "not_found", None).await;
        let r = app.get("/images/products/1/huge.png").await;
        expect_error(r, 404, "not_found", None).await;
        let r = app.get("/images/products/1/large.svg").await;
        expect_error(r, 404, "not_found", None).await;
        let r = app.get("/images/products/abc/large.png").await;
        expect_error(r, 400, "validation_failed", Some("id")).await;
        // The seed's old `.svg` URLs are gone.
        let r = app.get("/images/products/1.svg").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    async fn pictures_are_one_route_label_and_no_bytes_in_telemetry(app) {
        let r = app.get("/images/products/5/thumb.png").await;
        let trace = TraceId::from_hex(r.headers()["x-trace-id"].to_str().unwrap()).unwrap();
        let bytes = r.bytes().await.unwrap();
        assert_eq!(png_size(&bytes), (200, 200));
        app.get("/images/products/6/thumb.png").await;
        app.get("/images/products/5/thumb.png").await;

        let spans = app.trace(trace).await;
        let server = spans.iter().find(|s| s.kind == SpanKind::Server).unwrap();
        assert_eq!(server.name, "GET /images/products/{id}/{file}");
        assert_eq!(server.attribute(semconv::HTTP_ROUTE), Some(&Value::from("/images/products/{id}/{file}")));
        assert_eq!(server.attribute(semconv::SHOP_PRODUCT_ID), Some(&Value::I64(5)));
        // The first request drew the picture (an internal span) and stored it.
        assert!(spans.iter().any(|s| s.name == "catalog.image.render"), "{:?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
        assert!(spans.iter().any(|s| s.name == "INSERT product_images"));

        let route = [(semconv::HTTP_ROUTE, Value::from("/images/products/{id}/{file}"))];
        assert_eq!(app.recorder.counter_total(metrics::HTTP_SERVER_REQUESTS, &route), 3.0);

        // No span or log attribute carries picture bytes: statements are bound
        // and sanitised, and nothing records the body.
        let strings = app.recorder.spans().into_iter().flat_map(|s| s.attributes)
            .chain(app.recorder.logs().into_iter().flat_map(|l| l.attributes))
            .filter_map(|kv| kv.value.as_str().map(str::to_owned))
            .collect::<Vec<_>>();
        assert!(!strings.is_empty());
        for s in strings {
            assert!(s.len() < 2048 && !s.contains("PNG") && !s.contains("IHDR"), "{}", &s[..s.len().min(200)]);
        }
    }
}

db_tests! {
    async fn concurrent_first_requests_draw_the_same_picture_once_stored(app) {
        let path = "/images/products/77/thumb.png";
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (client, url) = (app.client.clone(), app.url(path));
            tasks.spawn(async move {
                let r = client.get(url).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
                (etag, r.bytes().await.unwrap().to_vec())
            });
        }
        let answers = tasks.join_all().await;
        assert!(answers.windows(2).all(|w| w[0] == w[1]), "every answer is the same picture");
        assert_eq!(png_size(&answers[0].1), (200, 200));
        let (rows, stored_etag): (i64, String) = sqlx::query_as(
            "SELECT COUNT(*), MAX(etag) FROM product_images WHERE product_id = 77 AND size = 'thumb'",
        )
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(rows, 1);
        assert_eq!(stored_etag, answers[0].0);
    }
}

/// The catalog service serves the pictures (its products' URLs point there);
/// the other roles do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_role_serves_pictures() {
    let catalog = spawn_with(Spawn {
        role: shop::config::Role::Catalog,
        ..Spawn::new(DbKind::Sqlite)
    })
    .await;
    fetch_png(&catalog, "/images/products/1/large.png", 600).await;
    let inventory = spawn_with(Spawn {
        role: shop::config::Role::Inventory,
        database: Some(catalog.shared_database()),
        ..Spawn::new(DbKind::Sqlite)
    })
    .await;
    let r = inventory.get("/images/products/1/large.png").await;
    expect_error(r, 404, "route_not_found", None).await;
}

/// The OpenAPI document describes the picture route and its answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_picture_route() {
    let app = spawn_app(DbKind::Sqlite).await;
    let doc = app.get_json("/api/openapi.json", 200).await;
    let op = &doc["paths"]["/images/products/{id}/{file}"]["get"];
    assert!(
        op.is_object(),
        "the picture route is missing: {}",
        doc["paths"]
    );
    let responses = &op["responses"];
    assert!(
        responses["200"]["content"]["image/png"].is_object(),
        "{responses}"
    );
    assert!(
        responses["200"]["headers"]["ETag"].is_object(),
        "{responses}"
    );
    assert!(responses["304"].is_object(), "{responses}");
    for status in ["400", "404"] {
        assert!(
            responses[status]["content"]["application/json"].is_object(),
            "{status}: {responses}"
        );
    }
    let product = &doc["components"]["schemas"]["Product"];
    assert!(
        product["properties"]["thumbnail_url"].is_object(),
        "{product}"
    );
    assert!(
        product["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "thumbnail_url"),
        "{product}"
    );
}

/// Migration 0002 moves a database seeded with the old `.svg` URLs to the
/// served pictures, on both engines, and leaves any other URL alone.
async fn migration_rewrites_the_old_svg_urls(kind: DbKind) {
    let database = fresh_database(kind).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(database.url())
        .await
        .unwrap();
    let migrator = match kind {
        DbKind::Sqlite => sqlx::migrate!("../core/migrations/sqlite"),
        DbKind::Mysql => sqlx::migrate!("../core/migrations/mysql"),
    };
    migrator.run_to(1, &pool).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO categories (id, slug, name, description) VALUES (1, 'audio', 'Audio', ''); \
         INSERT INTO products (id, sku, name, description, price_cents, category_id, image_url, created_at, updated_at) \
         VALUES (7, 'A-7', 'Old', '', 100, 1, '/images/products/7.svg', 0, 0), \
                (8, 'A-8', 'Custom', '', 100, 1, 'https://cdn.example/8.png', 0, 0);",
    )
    .execute(&pool)
    .await
    .unwrap();
    migrator.run(&pool).await.unwrap();
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, image_url, thumbnail_url FROM products ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        rows,
        [
            (
                7,
                "/images/products/7/large.png".to_owned(),
                "/images/products/7/thumb.png".to_owned()
            ),
            (8, "https://cdn.example/8.png".to_owned(), String::new()),
        ]
    );
}

mod migration_rewrites_old_svg_urls {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        migration_rewrites_the_old_svg_urls(DbKind::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql() {
        migration_rewrites_the_old_svg_urls(DbKind::Mysql).await
    }
}
