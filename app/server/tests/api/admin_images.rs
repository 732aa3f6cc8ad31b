//! Product pictures in the back office (A-PROD-05, O-TRACE-05), on both
//! databases, against the lab's LocalStack S3 (no fake): a catalog manager
//! uploads a PNG, then a JPEG; each gets a new URL that serves 600 × 600
//! and 200 × 200 PNGs, the old URLs keep their bytes, S3 holds the objects
//! (a copy missing from the database is read back from S3), the steps are
//! spans of the upload's trace, and the audit log has each upload. Text
//! named `.png`, oversize files, decompression bombs, unknown products and
//! the wrong roles are refused with a JSON error naming the problem.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::Method;
use serde_json::Value;
use shop_core::admin::Role;
use telemetry_api::{SpanRecord, TraceId};

use crate::admin::{AdminClient, counter, ready_admin};
use crate::common;
use crate::db_tests;
use crate::support::*;

/// A `w` × `h` picture with a gradient, encoded as `format`.
fn picture(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    }));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A PNG file of `w` × `h` pixels.
pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
    picture(w, h, ImageFormat::Png)
}

/// `POST path` as `multipart/form-data` with `bytes` in the field `image`,
/// named `file_name` and declared `image/png` whatever it holds (the shop
/// must judge by content). Built by hand, as a browser would send it.
pub(crate) async fn upload(
    app: &TestApp,
    admin: &AdminClient,
    path: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    upload_field(app, admin, path, "image", file_name, bytes).await
}

async fn upload_field(
    app: &TestApp,
    admin: &AdminClient,
    path: &str,
    field: &str,
    file_name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    let boundary = format!("----shoplab{:016x}", rand::random::<u64>());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    admin
        .send_raw(
            app,
            Method::POST,
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await
}

fn trace_id_of(r: &reqwest::Response) -> TraceId {
    TraceId::from_hex(r.headers()["x-trace-id"].to_str().unwrap()).unwrap()
}

/// GETs a picture URL: 200, PNG, immutable; returns the bytes.
async fn fetch_png(app: &TestApp, url: &str) -> Vec<u8> {
    let r = app.get(url).await;
    assert_eq!(r.status(), 200, "GET {url}");
    assert_eq!(r.headers()["content-type"], "image/png", "GET {url}");
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    r.bytes().await.unwrap().to_vec()
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(png, ImageFormat::Png)
        .expect("the shop serves a valid PNG");
    (image.width(), image.height())
}

fn names(spans: &[SpanRecord]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

fn count(spans: &[SpanRecord], name: &str) -> usize {
    spans.iter().filter(|s| s.name == name).count()
}

const PATH: &str = "/api/admin/products/5/image";

db_tests! {
    async fn an_upload_gets_a_new_url_with_both_sizes_and_the_old_url_keeps_its_bytes(app) {
        common::lab_component("localstack");
        let manager = ready_admin(&app, "pictures@example.com", &[Role::CatalogManager]).await;
        let drawn = fetch_png(&app, "/images/products/5/large.png").await;

        // A PNG, wider than tall.
        let r = upload(&app, &manager, PATH, "wide cat.png", &png(320, 180)).await;
        let trace = trace_id_of(&r);
        let first = expect_json(r, 200).await;
        assert_eq!(first["product_id"], 5);
        assert_eq!(first["source_format"], "png");
        assert_eq!((first["source_width"].as_u64(), first["source_height"].as_u64()), (Some(320), Some(180)));
        let revision = first["revision"].as_str().unwrap().to_owned();
        assert_eq!(first["image_url"], format!("/images/products/5/{revision}/large.png"));
        assert_eq!(first["thumbnail_url"], format!("/images/products/5/{revision}/thumb.png"));

        // The product shows the new URLs, which serve the resized pictures.
        let product = app.get_json("/api/products/5", 200).await;
        assert_eq!(product["image_url"], first["image_url"]);
        assert_eq!(product["thumbnail_url"], first["thumbnail_url"]);
        let large = fetch_png(&app, first["image_url"].as_str().unwrap()).await;
        assert_eq!(dimensions(&large), (600, 600));
        let thumb = fetch_png(&app, first["thumbnail_url"].as_str().unwrap()).await;
        assert_eq!(dimensions(&thumb), (200, 200));
        // The seeded URL still serves the drawn picture: a URL never changes its bytes.
        assert_eq!(fetch_png(&app, "/images/products/5/large.png").await, drawn);

        // Each step is a span of the upload's trace (O-TRACE-05).
        let spans = app.trace(trace).await;
        for (name, n) in [
            ("catalog.image.receive", 1),
            ("catalog.image.decode", 1),
            ("catalog.image.resize", 2),
            ("catalog.image.encode", 2),
            ("catalog.image.upload", 3),
            ("S3.PutObject", 3),
        ] {
            assert_eq!(count(&spans, name), n, "{name} in {:?}", names(&spans));
        }
        let decode = spans.iter().find(|s| s.name == "catalog.image.decode").unwrap();
        assert_eq!(decode.attribute("shop.image.format").map(|v| v.to_string()), Some("png".to_owned()));
        let server = spans.iter().find(|s| s.kind == telemetry_api::SpanKind::Server).unwrap();
        assert_eq!(server.attribute("shop.admin.action").map(|v| v.to_string()), Some("catalog.image_upload".to_owned()));
        // Every step hangs under the request (no orphan from the blocking thread).
        let ids: Vec<_> = spans.iter().map(|s| s.context.span_id).collect();
        for s in spans.iter().filter(|s| s.name.starts_with("catalog.image.") || s.name.starts_with("S3.")) {
            assert!(s.parent_span_id.is_some_and(|p| ids.contains(&p)), "{} has no parent in the trace", s.name);
        }
        // Nor the file name the browser sent, nor the bytes, reach telemetry.
        for s in app.recorder.spans() {
            for kv in &s.attributes {
                assert!(!kv.value.to_string().contains("wide cat"), "{} = {}", kv.key, kv.value);
            }
        }

        // A JPEG replaces it at another URL; the first URL keeps serving the first picture.
        let jpeg = picture(150, 400, ImageFormat::Jpeg);
        let second = expect_json(upload(&app, &manager, PATH, "tall.png", &jpeg).await, 200).await;
        assert_eq!(second["source_format"], "jpeg");
        assert_ne!(second["revision"], first["revision"]);
        let product = app.get_json("/api/products/5", 200).await;
        assert_eq!(product["image_url"], second["image_url"]);
        assert_eq!(dimensions(&fetch_png(&app, second["image_url"].as_str().unwrap()).await), (600, 600));
        assert_eq!(dimensions(&fetch_png(&app, second["thumbnail_url"].as_str().unwrap()).await), (200, 200));
        assert_eq!(fetch_png(&app, first["image_url"].as_str().unwrap()).await, large);

        // S3 holds the pictures: without the database's copy, the shop reads them back from S3.
        sqlx::query("UPDATE product_image_uploads SET bytes = NULL").execute(app.db.pool()).await.unwrap();
        assert_eq!(fetch_png(&app, first["image_url"].as_str().unwrap()).await, large);
        assert_eq!(fetch_png(&app, first["thumbnail_url"].as_str().unwrap()).await, thumb);
        let copied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM product_image_uploads WHERE bytes IS NOT NULL")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(copied, 2, "the two pictures read from S3 are copied back");

        // An unknown revision or file is a JSON 404.
        let r = app.get("/images/products/5/r0000000000000000/large.png").await;
        expect_error(r, 404, "not_found", None).await;
        let r = app.get(&format!("/images/products/5/{revision}/huge.png")).await;
        expect_error(r, 404, "not_found", None).await;

        // Both uploads are in the audit log with the URLs before and after, and counted.
        let auditor = ready_admin(&app, "pictures.auditor@example.com", &[Role::SecurityAuditor]).await;
        let log = expect_json(auditor.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let uploads: Vec<&Value> = log.as_array().unwrap().iter()
            .filter(|e| e["action"] == "catalog.image_upload" && e["outcome"] == "success")
            .collect();
        assert_eq!(uploads.len(), 2, "{log}");
        assert!(uploads.iter().all(|e| e["target"] == "product:5"));
        let afters: Vec<&str> = uploads.iter().map(|e| e["after"].as_str().unwrap()).collect();
        assert!(afters.iter().any(|a| a.contains(first["image_url"].as_str().unwrap())), "{afters:?}");
        assert!(afters.iter().any(|a| a.contains(second["image_url"].as_str().unwrap())), "{afters:?}");
        assert!(uploads.iter().any(|e| e["before"].as_str().unwrap().contains("/images/products/5/large.png")));
        assert_eq!(counter(&app, "catalog.image_upload", "success"), 2.0);
    }

    async fn uploads_that_are_not_acceptable_pictures_are_refused_naming_the_problem(app) {
        common::lab_component("localstack");
        let manager = ready_admin(&app, "refusals@example.com", &[Role::CatalogManager]).await;
        let before = app.get_json("/api/products/5", 200).await["image_url"].clone();

        // Text named .png and declared image/png: judged by content.
        let r = upload(&app, &manager, PATH, "cat.png", b"I am not a picture, whatever my name says").await;
        let body = expect_error(r, 415, "unsupported_image", Some("image")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("PNG, JPEG, GIF or WebP"), "{body}");

        // Over 8 MiB.
        let big = vec![0u8; 8 * 1024 * 1024 + 1];
        let r = upload(&app, &manager, PATH, "big.png", &big).await;
        expect_error(r, 413, "payload_too_large", Some("image")).await;

        // A decompression bomb: a PNG header claiming 20,000 × 20,000 pixels.
        let r = upload(&app, &manager, PATH, "bomb.png", &bomb(20_000, 20_000)).await;
        let body = expect_error(r, 422, "image_too_large", Some("image")).await;
        assert!(body["error"]["message"].as_str().unwrap().contains("20000 × 20000"), "{body}");

        // A truncated PNG.
        let half = png(64, 64);
        let r = upload(&app, &manager, PATH, "half.png", &half[..half.len() / 2]).await;
        expect_error(r, 422, "invalid_image", Some("image")).await;

        // No `image` field; an empty one; not multipart at all.
        let r = upload_field(&app, &manager, PATH, "picture", "cat.png", &png(10, 10)).await;
        expect_error(r, 400, "validation_failed", Some("image")).await;
        let r = upload(&app, &manager, PATH, "empty.png", b"").await;
        expect_error(r, 400, "validation_failed", Some("image")).await;
        let r = manager.post(&app, PATH, &serde_json::json!({ "image": "x" })).await;
        expect_error(r, 415, "unsupported_media_type", None).await;

        // An unknown product, an id that is no number.
        let r = upload(&app, &manager, "/api/admin/products/999999/image", "cat.png", &png(10, 10)).await;
        expect_error(r, 404, "not_found", None).await;
        let r = upload(&app, &manager, "/api/admin/products/cat/image", "cat.png", &png(10, 10)).await;
        assert_eq!(r.status(), 400);

        // Roles without catalog.image_upload: 403, audited as denied.
        for (email, role) in [("viewer.pics@example.com", Role::Viewer), ("stock.pics@example.com", Role::InventoryManager)] {
            let other = ready_admin(&app, email, &[role]).await;
            let r = upload(&app, &other, PATH, "cat.png", &png(10, 10)).await;
            expect_error(r, 403, "forbidden", None).await;
        }
        assert_eq!(counter(&app, "catalog.image_upload", "denied"), 2.0);

        // Nothing changed.
        assert_eq!(app.get_json("/api/products/5", 200).await["image_url"], before);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM product_image_uploads").fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(rows, 0);
        assert_eq!(counter(&app, "catalog.image_upload", "success"), 0.0);
    }
}

db_tests! {
    async fn a_product_with_an_uploaded_picture_can_still_be_deleted(app) {
        common::lab_component("localstack");
        let manager = ready_admin(&app, "deleter@example.com", &[Role::CatalogManager]).await;
        let p = serde_json::json!({ "sku": "PIC-1", "name": "Pictured", "price_cents": 100, "category_id": 2 });
        let id = expect_json(manager.post(&app, "/api/admin/products", &p).await, 201).await["id"].as_i64().unwrap();
        let path = format!("/api/admin/products/{id}/image");
        let up = expect_json(upload(&app, &manager, &path, "p.png", &png(30, 30)).await, 200).await;
        fetch_png(&app, up["image_url"].as_str().unwrap()).await;
        let r = manager.send(&app, Method::DELETE, &format!("/api/admin/products/{id}"), None).await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        expect_error(app.get(up["image_url"].as_str().unwrap()).await, 404, "not_found", None).await;
    }
}

/// A PNG whose header claims `w` × `h` pixels, with hardly any pixel data.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    fn chunk(type_and_data: &[u8]) -> Vec<u8> {
        let mut out = ((type_and_data.len() - 4) as u32).to_be_bytes().to_vec();
        out.extend(type_and_data);
        let mut crc = 0xffff_ffffu32;
        for &b in type_and_data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        out.extend((!crc).to_be_bytes());
        out
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(&ihdr));
    png.extend(chunk(b"IDAT\x78\x9c\x03\x00"));
    png
}

/// Without `--images-bucket` the shop runs, and an upload answers 503
/// naming the missing setting (the configuration, not the database, decides).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_image_storage_an_upload_answers_503_naming_the_setting() {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    spawn.images = None;
    let app = spawn_with(spawn).await;
    let manager = ready_admin(&app, "nostore@example.com", &[Role::CatalogManager]).await;
    let r = upload(&app, &manager, PATH, "cat.png", &png(10, 10)).await;
    let body = expect_error(r, 503, "image_storage_not_configured", None).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--images-bucket"),
        "{body}"
    );
    // The drawn pictures are served as always.
    fetch_png(&app, "/images/products/5/large.png").await;
}

/// The object store itself (`shop_core::objects`, also the orders export's
/// way to S3) against LocalStack: the bucket is created on the first write;
/// put keeps the content type; get finds it, or `None`; list finds keys by
/// prefix, in key order; a bucket that does not exist lists nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_object_store_puts_gets_and_lists_by_prefix_on_localstack() {
    use shop_core::objects::{ObjectInfo, ObjectStore};

    common::lab_component("localstack");
    let settings = lab_images();
    let store = ObjectStore::connect(&settings).await.unwrap();
    assert_eq!(
        store.list("").await.unwrap(),
        vec![],
        "no bucket yet: nothing"
    );
    store
        .put("exports/b.csv", b"id\n2\n".to_vec(), "text/csv")
        .await
        .unwrap();
    store
        .put("exports/a.csv", b"id\n1\n".to_vec(), "text/csv")
        .await
        .unwrap();
    store
        .put("other/c.json", b"{}".to_vec(), "application/json")
        .await
        .unwrap();

    let a = store.get("exports/a.csv").await.unwrap().expect("just put");
    assert_eq!(a.bytes, b"id\n1\n");
    assert_eq!(a.content_type.as_deref(), Some("text/csv"));
    assert_eq!(store.get("exports/missing.csv").await.unwrap(), None);

    let listed = store.list("exports/").await.unwrap();
    assert_eq!(
        listed,
        vec![
            ObjectInfo {
                key: "exports/a.csv".to_owned(),
                size: 5
            },
            ObjectInfo {
                key: "exports/b.csv".to_owned(),
                size: 5
            },
        ]
    );
    assert_eq!(store.list("").await.unwrap().len(), 3);
    // Replacing an object is a put under the same key.
    store
        .put("exports/a.csv", b"id\n1\n3\n".to_vec(), "text/csv")
        .await
        .unwrap();
    assert_eq!(
        store.get("exports/a.csv").await.unwrap().unwrap().bytes,
        b"id\n1\n3\n"
    );
}

/// S3 unreachable: the upload is a JSON 503 naming image storage, the
/// product keeps its picture, and the shop goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_s3_is_a_503_and_changes_nothing() {
    let mut spawn = Spawn::new(DbKind::Sqlite);
    let mut images = lab_images();
    // A port nothing listens on.
    images.endpoint = Some(format!("http://127.0.0.1:{}", common::free_port()));
    spawn.images = Some(images);
    let app = spawn_with(spawn).await;
    let manager = ready_admin(&app, "nos3@example.com", &[Role::CatalogManager]).await;
    let before = app.get_json("/api/products/5", 200).await["image_url"].clone();
    let r = upload(&app, &manager, PATH, "cat.png", &png(10, 10)).await;
    expect_error(r, 503, "image_storage_unavailable", None).await;
    assert_eq!(
        app.get_json("/api/products/5", 200).await["image_url"],
        before
    );
}

/// `--image-resize function`, end to end on the lab's real parts (no fake):
/// the shop (in this process) provisions the originals queue and the
/// bucket's notification in LocalStack; `image-resize` (this workspace's
/// binary) runs under a private `cargo lambda watch --only-lambda-apis`
/// with the test's database as `DATABASE_URL` and the awssdk backend
/// exporting to moto's X-Ray; `lab-event-source` polls the queue and
/// invokes it through the Invoke API.
mod function_mode {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use shop::config::ImageResize;
    use shop_core::catalog::image_store;
    use shop_core::objects::ObjectStore;

    use super::*;

    /// The functions' binaries, built by cargo now (a no-op when they are up
    /// to date), as `cargo lambda watch` builds a function before its first
    /// invocation; `--all-features`, so `SHOP_TELEMETRY` picks the backend.
    /// `--workspace --tests` resolves features as `cargo test --workspace
    /// --all-features` does (dev-dependencies included), so after `make test`'s
    /// build this compiles nothing: `-p shop-functions` alone compiled tokio,
    /// the AWS SDK and the rest a second time (5 min of CI).
    fn function_binaries() -> &'static BTreeMap<String, PathBuf> {
        static BINS: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
        BINS.get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let out = Command::new(cargo)
                .current_dir(common::repo_root())
                .args([
                    "build",
                    "--workspace",
                    "--all-features",
                    "--bins",
                    "--tests",
                    "--message-format=json",
                ])
                .stderr(Stdio::inherit())
                .output()
                .expect("cargo runs");
            assert!(out.status.success(), "cargo build of the functions failed");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                // The binaries themselves, not the test harnesses cargo built
                // from the same targets (`profile.test`).
                .filter(|m| m["profile"]["test"] == Value::Bool(false))
                .filter(|m| {
                    m["target"]["kind"]
                        .as_array()
                        .is_some_and(|k| k.contains(&Value::from("bin")))
                })
                .filter_map(|m| {
                    let exe = m["executable"].as_str()?;
                    let name = m["target"]["name"].as_str()?;
                    Some((name.to_owned(), PathBuf::from(exe)))
                })
                .collect()
        })
    }

    /// A child process killed when dropped.
    struct Running(Child);

    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A command without the developer's `SHOP_*`, `AWS_*`, `OTEL_*`, `DATABASE_URL`.
    fn clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        for (k, _) in std::env::vars() {
            if k.starts_with("SHOP_")
                || k.starts_with("AWS_")
                || k.starts_with("OTEL_")
                || k.starts_with("_X_AMZN")
                || k == "DATABASE_URL"
            {
                c.env_remove(k);
            }
        }
        c
    }

    /// `cargo lambda watch`, `image-resize` attached to it, `lab-event-source` on `queue_url`.
    struct FunctionLab {
        _parts: Vec<Running>,
    }

    fn start_functions(
        lab: &BTreeMap<String, String>,
        bucket: &str,
        database_url: &str,
        queue_url: &str,
    ) -> FunctionLab {
        let bins = function_binaries();
        common::lab_install("cargo-lambda");
        let out = Command::new(common::repo_root().join("scripts/lab/cargo-lambda.sh"))
            .arg("path")
            .output()
            .unwrap();
        let cargo_lambda = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let port = common::free_port();
        let watch = clean(&cargo_lambda)
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .arg("--invoke-port")
            .arg(port.to_string())
            .arg("--manifest-path")
            .arg(common::repo_root().join("app/functions/Cargo.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cargo lambda watch starts");
        let watch = Running(watch);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let rules =
            common::repo_root().join("telemetry-awssdk/sampling-rules/sample-everything.json");
        let function = clean(&bins["image-resize"])
            .envs(lab)
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt/image-resize"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "image-resize")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("SHOP_TELEMETRY", "awssdk")
            .env("SHOP_SERVICE_NAME", "image-resize-test")
            .env("SHOP_ENVIRONMENT", "test")
            .env("SHOP_XRAY_SAMPLING_RULES", rules)
            .env("SHOP_CW_LOG_GROUP", "/shop-lab-test/image-resize")
            .env(
                "SHOP_CW_EMF_LOG_GROUP",
                "/shop-lab-test/image-resize/metrics",
            )
            .env("SHOP_IMAGES_BUCKET", bucket)
            .env("SHOP_S3_ENDPOINT", &lab["AWS_ENDPOINT_URL_S3"])
            .env("DATABASE_URL", database_url)
            .stdout(if std::env::var_os("SHOP_TEST_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::inherit())
            .spawn()
            .expect("image-resize starts");
        let source = clean(&bins["lab-event-source"])
            .envs(lab)
            .env(
                "AWS_ENDPOINT_URL_LAMBDA",
                format!("http://127.0.0.1:{port}"),
            )
            .env("SHOP_EVENT_SOURCE_QUEUE_URL", queue_url)
            .env("SHOP_EVENT_SOURCE_WAIT_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lab-event-source starts");
        FunctionLab {
            _parts: vec![Running(source), Running(function), watch],
        }
    }

    /// Polls an upload's status until it is no longer `pending`.
    async fn settled(app: &TestApp, admin: &AdminClient, status_url: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let status = expect_json(admin.get(app, status_url).await, 200).await;
            if status["status"] != "pending" {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still pending after 90 s: {status}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The segments moto's X-Ray holds for `trace` (X-Ray's id format), waiting up to 20 s for
    /// one that `pred` accepts.
    async fn segments(
        lab: &BTreeMap<String, String>,
        trace: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let xray = aws_sdk_xray::Client::from_conf(
            aws_sdk_xray::Config::builder()
                .behavior_version(aws_sdk_xray::config::BehaviorVersion::latest())
                .region(aws_sdk_xray::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_xray::config::Credentials::new(
                    "test", "test", None, None, "lab",
                ))
                .endpoint_url(&lab["AWS_ENDPOINT_URL_XRAY"])
                .build(),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = xray
                .batch_get_traces()
                .trace_ids(trace)
                .send()
                .await
                .unwrap();
            let docs: Vec<Value> = out
                .traces()
                .iter()
                .flat_map(|t| t.segments())
                .filter_map(|s| s.document())
                .filter_map(|d| serde_json::from_str(d).ok())
                .collect();
            if docs.iter().any(&pred) || Instant::now() > deadline {
                return docs;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    async fn journey(kind: DbKind) {
        let mut lab = common::lab_component("localstack");
        lab.extend(common::lab_component("moto"));
        let images = lab_images();
        let mut events = lab_events();
        (events.dispatch, events.notify) = (false, false);
        let prefix = events.resources.prefix.clone();
        let mut spawn = Spawn::new(kind);
        spawn.images = Some(images.clone());
        spawn.events = Some(events);
        spawn.image_resize = ImageResize::Function;
        let app = spawn_with(spawn).await;

        // The shop provisioned the queue the bucket notifies.
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "lab",
            ))
            .endpoint_url(&lab["AWS_ENDPOINT_URL_SQS"])
            .load()
            .await;
        let queue_url = aws_sdk_sqs::Client::new(&sdk)
            .get_queue_url()
            .queue_name(image_store::originals_queue_name(&prefix))
            .send()
            .await
            .expect("the shop provisioned the originals queue")
            .queue_url()
            .unwrap()
            .to_owned();
        let database_url = app.shared_database().url().to_owned();
        let _functions = start_functions(&lab, &images.bucket, &database_url, &queue_url);

        let manager = ready_admin(
            &app,
            "function.pictures@example.com",
            &[Role::CatalogManager],
        )
        .await;
        let me = expect_json(manager.get(&app, "/api/admin/me").await, 200).await["admin"].clone();
        let before = app.get_json("/api/products/5", 200).await["image_url"].clone();

        // A picture: 202 with the upload id and where to poll.
        let r = upload(&app, &manager, PATH, "wide cat.png", &png(320, 180)).await;
        let trace = trace_id_of(&r);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let accepted = expect_json(r, 202).await;
        let upload_id = accepted["upload_id"].as_str().unwrap().to_owned();
        assert!(image_store::is_upload_id(&upload_id), "{accepted}");
        assert_eq!(accepted["status"], "pending");
        assert_eq!(accepted["status_url"], location);
        assert_eq!(location, format!("{PATH}/uploads/{upload_id}"));
        assert_eq!(
            (
                accepted["source_format"].as_str(),
                accepted["source_width"].as_u64()
            ),
            (Some("png"), Some(320))
        );

        // The function resized it and recorded it: done, with the new URLs, which the product has.
        let status = settled(&app, &manager, &location).await;
        assert_eq!(status["status"], "done", "{status}");
        let revision = status["revision"].as_str().unwrap().to_owned();
        assert_eq!(
            status["image_url"],
            format!("/images/products/5/{revision}/large.png")
        );
        let product = app.get_json("/api/products/5", 200).await;
        assert_eq!(product["image_url"], status["image_url"]);
        assert_eq!(product["thumbnail_url"], status["thumbnail_url"]);
        assert_ne!(product["image_url"], before);
        let large = fetch_png(&app, status["image_url"].as_str().unwrap()).await;
        assert_eq!(dimensions(&large), (600, 600));
        assert_eq!(
            dimensions(&fetch_png(&app, status["thumbnail_url"].as_str().unwrap()).await),
            (200, 200)
        );
        // The same bytes the shop's own resizer makes of that picture.
        let pictures = shop_core::catalog::resize::resize_for_catalog(&png(320, 180)).unwrap();
        assert_eq!(image_store::revision_of(&pictures), revision);

        // In S3: the original (with who and which trace in its metadata) and both sizes.
        let store = ObjectStore::connect(&images).await.unwrap();
        let keys: Vec<String> = store
            .list(&format!("products/5/{revision}/"))
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(
            keys,
            ["original", "large.png", "thumb.png"]
                .map(|n| format!("products/5/{revision}/{n}"))
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        );
        let original = store
            .get(&image_store::original_key(5, &upload_id))
            .await
            .unwrap()
            .expect("the original");
        assert_eq!(original.content_type.as_deref(), Some("image/png"));
        assert_eq!(
            original.metadata.get("shop-admin").map(String::as_str),
            me["id"].as_str()
        );
        assert_eq!(original.metadata.get("shop-upload"), Some(&upload_id));
        assert!(
            original.metadata["traceparent"].contains(&trace.to_hex()),
            "{:?}",
            original.metadata
        );

        // The audit log has the upload, by the admin who sent it.
        let auditor = ready_admin(
            &app,
            "function.auditor@example.com",
            &[Role::SecurityAuditor],
        )
        .await;
        let log = expect_json(auditor.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        let entry = log
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "catalog.image_upload" && e["outcome"] == "success")
            .unwrap_or_else(|| panic!("no upload in the audit log: {log}"));
        assert_eq!(entry["target"], "product:5");
        assert_eq!(entry["actor"], me["id"], "{entry}");
        assert!(
            entry["after"]
                .as_str()
                .unwrap()
                .contains(status["image_url"].as_str().unwrap()),
            "{entry}"
        );
        assert!(
            entry["before"]
                .as_str()
                .unwrap()
                .contains(before.as_str().unwrap()),
            "{entry}"
        );

        // The upload's trace continues into the function: its `image.resize` segment is in
        // X-Ray under the upload's trace id, its parent the upload's server span.
        let server = app
            .trace(trace)
            .await
            .into_iter()
            .find(|s| s.kind == telemetry_api::SpanKind::Server)
            .unwrap();
        let hex = trace.to_hex();
        let xray_trace = format!("1-{}-{}", &hex[..8], &hex[8..]);
        let docs = segments(&lab, &xray_trace, |d| d["name"] == "image-resize-test").await;
        let segment = docs
            .iter()
            .find(|d| d["name"] == "image-resize-test")
            .unwrap_or_else(|| panic!("no function segment in trace {xray_trace}: {docs:?}"));
        assert_eq!(
            segment["parent_id"],
            server.context.span_id.to_hex(),
            "{segment}"
        );
        let text = segment.to_string();
        for step in ["catalog.image.decode", "catalog.image.upload", "S3"] {
            assert!(text.contains(step), "{step} in {segment}");
        }

        // Not a picture: refused by the request (the cheap check), nothing reaches S3.
        let r = upload(
            &app,
            &manager,
            PATH,
            "cat.png",
            b"I am not a picture, whatever my name says",
        )
        .await;
        expect_error(r, 415, "unsupported_image", Some("image")).await;
        let r = upload(&app, &manager, PATH, "bomb.png", &bomb(20_000, 20_000)).await;
        expect_error(r, 422, "image_too_large", Some("image")).await;
        assert_eq!(
            store.list("originals/products/5/").await.unwrap().len(),
            1,
            "only the first original"
        );

        // A picture whose header is fine and whose pixels are not: the function cannot decode
        // it, and the upload ends `failed` with the reason; the product keeps its picture.
        let half = png(64, 64);
        let r = upload(&app, &manager, PATH, "half.png", &half[..half.len() / 2]).await;
        let accepted = expect_json(r, 202).await;
        let status = settled(&app, &manager, accepted["status_url"].as_str().unwrap()).await;
        assert_eq!(status["status"], "failed", "{status}");
        assert_eq!(status["reason"], "corrupt", "{status}");
        assert_eq!(status["image_url"], Value::Null);
        assert_eq!(
            app.get_json("/api/products/5", 200).await["image_url"],
            product["image_url"]
        );
        let log = expect_json(auditor.get(&app, "/api/admin/audit?limit=1000").await, 200).await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "catalog.image_upload"
                    && e["outcome"] == "failed"
                    && e["after"].as_str().is_some_and(|a| a.contains("corrupt"))),
            "{log}"
        );

        // An unknown upload id is a JSON 404.
        let r = manager
            .get(&app, &format!("{PATH}/uploads/{}", "0".repeat(32)))
            .await;
        expect_error(r, 404, "not_found", None).await;
        let r = manager.get(&app, &format!("{PATH}/uploads/nonsense")).await;
        expect_error(r, 404, "not_found", None).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_is_resized_by_the_function_and_the_status_says_done_or_failed_sqlite() {
        journey(DbKind::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_is_resized_by_the_function_and_the_status_says_done_or_failed_mysql() {
        journey(DbKind::Mysql).await;
    }
}
