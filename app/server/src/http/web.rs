//! The browser UI (`app/web`, a Next.js static export) served by the shop
//! itself, in the role CloudFront plays in AWS (docs/web.md): every path that
//! is not the API (`/api/…`) or a product picture (`/images/…`) is a file of
//! the export.
//!
//! - `/cart` redirects to `/cart/`, which serves `cart/index.html` (the
//!   export's `trailingSlash`); a page that shows one thing takes its id from
//!   the query string (`/product/?id=5`), so every page is one file.
//! - A path with no file answers the export's `404.html` with status 404.
//! - Caching as a CDN would set it: the build's hashed assets (`/_next/static/…`)
//!   for a year, `immutable`; everything else `no-cache`, revalidated with
//!   `Last-Modified`, so a new build shows at once.
//!
//! These requests are static files, as CloudFront would serve them: they
//! bypass the API's observing middleware, so they make no spans, metrics or
//! access-log lines (the browser's own telemetry covers page loads).

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// Cache-Control of the build's content-hashed assets.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of everything else of the export (pages, route payloads).
const REVALIDATE: &str = "no-cache";

/// An exported UI on disk.
#[derive(Clone, Debug)]
pub struct WebUi {
    dir: PathBuf,
}

impl WebUi {
    /// The export in `dir`, if it is one (it has `index.html`).
    pub fn open(dir: &Path) -> Option<WebUi> {
        dir.join("index.html").is_file().then(|| WebUi {
            dir: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn serve(&self, req: Request) -> Response {
        let path = req.uri().path().to_owned();
        let files = ServeDir::new(&self.dir)
            .append_index_html_on_directories(true)
            .not_found_service(ServeFile::new(self.dir.join("404.html")));
        let mut response = match files.oneshot(req).await {
            Ok(r) => r.map(Body::new),
            // ServeDir's errors are I/O errors reading a file that exists.
            Err(e) => {
                tracing::warn!(error = %e, "reading a file of the browser UI failed");
                return crate::http::error::ApiError::Internal(
                    "reading a file of the browser UI failed".to_owned(),
                )
                .into_response();
            }
        };
        let cache = if path.starts_with("/_next/static/") && response.status().is_success() {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// Whether `path` belongs to the UI rather than to the shop's own routes.
pub fn is_ui_path(path: &str) -> bool {
    !(path == "/api" || path.starts_with("/api/") || path.starts_with("/images/"))
}

/// The outermost layer: a GET or HEAD of a UI path is a file of the export;
/// everything else goes on to the API.
pub async fn serve(State(ui): State<WebUi>, req: Request, next: Next) -> Response {
    if is_ui_path(req.uri().path()) && matches!(*req.method(), Method::GET | Method::HEAD) {
        ui.serve(req).await
    } else {
        next.run(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_and_the_pictures_are_not_the_uis() {
        for p in [
            "/api",
            "/api/products",
            "/api/health",
            "/images/products/1/large.png",
        ] {
            assert!(!is_ui_path(p), "{p}");
        }
        for p in [
            "/",
            "/cart/",
            "/product/",
            "/_next/static/chunks/a.js",
            "/apiary",
            "/404.html",
        ] {
            assert!(is_ui_path(p), "{p}");
        }
    }

    #[test]
    fn only_a_directory_with_an_index_is_an_export() {
        let dir = std::env::temp_dir().join(format!("shop-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(WebUi::open(&dir).is_none());
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        assert_eq!(WebUi::open(&dir).unwrap().dir(), dir);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
