//! The browser UI's static export, served by the shop (`--web-dir`): files
//! with a CDN's caching, the export's 404 page, and the API untouched. The
//! export here is a small one this test writes, shaped as `next build`
//! writes one (the real export is driven in Chromium by `app/web/e2e`).

use std::path::PathBuf;

use crate::support::*;

/// An export: `index.html`, `404.html`, a page directory and a hashed asset.
fn export() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "shop-web-export-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    for (file, text) in [
        ("index.html", "<!doctype html><title>home</title>"),
        ("404.html", "<!doctype html><title>not found</title>"),
        ("cart/index.html", "<!doctype html><title>cart</title>"),
        ("_next/static/chunks/app-3f2a.js", "console.log(1)"),
    ] {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_is_served_as_files_beside_the_api() {
    let dir = export();
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.web_dir = Some(dir.clone());
    let app = spawn_with(spawn).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let get = |path: &str| plain.get(format!("{}{path}", app.base)).send();

    // The home page, revalidated on every visit.
    let r = get("/").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("<title>home</title>"));
    // A page: its directory's index, after the redirect to the trailing slash.
    let r = get("/cart").await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/cart/");
    let r = get("/cart/?id=7").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<title>cart</title>"));
    // The build's hashed assets: cached for a year.
    let r = get("/_next/static/chunks/app-3f2a.js").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // No such page: the export's 404 page, with 404 (and not cached as if it were an asset).
    let r = get("/_next/static/chunks/gone.js").await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = get("/no/such/page/").await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("<title>not found</title>"));

    // The API and the pictures are the shop's, as before.
    let products = app.get_json("/api/products?per_page=1", 200).await;
    assert_eq!(products["items"].as_array().unwrap().len(), 1);
    expect_error(
        get("/api/nope").await.unwrap(),
        404,
        "route_not_found",
        None,
    )
    .await;
    let r = get("/images/products/1/thumb.png").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    // A write to a UI path is not a file: the API answers it.
    let r = plain
        .post(format!("{}/cart/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );

    // Files make no spans: the UI is not the API (a CDN's job in AWS). The API's requests do.
    let spans = app.recorder.spans();
    assert!(
        spans.iter().any(|s| s.name.contains("/api/products")),
        "{spans:?}"
    );
    assert!(
        spans
            .iter()
            .all(|s| !s.name.contains("/cart") && !s.name.contains("_next") && s.name != "GET /"),
        "a UI file made a span: {spans:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_built_ui_the_home_page_says_how_to_build_it() {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.web_dir = Some(std::env::temp_dir().join("shop-web-never-built"));
    let app = spawn_with(spawn).await;
    let r = app.get("/").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("make web"), "{text}");
    expect_error(app.get("/cart/").await, 404, "route_not_found", None).await;
}
