//! The async stage's uploads (see [`crate::async_hops`]): the parts that
//! stand in for Lambda, and an admin sending pictures.
//!
//! The lab has no Lambda service, so the stage starts what `make lab` starts
//! for `--image-resize function` (scripts/lab/shop.sh): a private
//! `cargo lambda watch --only-lambda-apis`, the `image-resize` binary of the
//! config's backend attached to it (with the shop's database and bucket and
//! the shop's telemetry settings), and `lab-event-source` polling the queue
//! the bucket notifies. The shop provisions that queue and the bucket's
//! notification at start-up (`SHOP_EVENTS_PROVISION`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::process::Child;

use crate::lambda::{FunctionProcess, Watch, clean_command};

/// The picture every upload sends (pixels): small, so the stage measures the
/// hops rather than the resizing.
pub const PICTURE: (u32, u32) = (320, 200);

/// `cargo lambda watch`, `image-resize` and `lab-event-source`, killed when dropped.
pub struct ResizeLab {
    // Field order is drop order: the poller stops first, then the function, then the API.
    _source: Child,
    _function: FunctionProcess,
    _watch: Watch,
}

/// What [`start`] needs.
pub struct ResizeParts<'a> {
    pub cargo_lambda: &'a Path,
    pub repo: &'a Path,
    pub function_bin: &'a Path,
    pub event_source_bin: &'a Path,
    /// The function's environment: telemetry, bucket, S3 endpoint, database.
    pub function_env: BTreeMap<String, String>,
    /// The queue the bucket notifies.
    pub queue_url: String,
    /// LocalStack, for the poller's SQS calls.
    pub localstack: String,
    /// Where the three write their logs.
    pub dir: &'a Path,
}

/// Starts the three; `image-resize` is started by the first invocation's wait, as Lambda
/// starts a function on its first event.
pub async fn start(parts: &ResizeParts<'_>) -> anyhow::Result<ResizeLab> {
    std::fs::create_dir_all(parts.dir)?;
    let watch = Watch::start(
        parts.cargo_lambda,
        parts.repo,
        &parts.dir.join("cargo-lambda.log"),
    )
    .await?;
    let function = FunctionProcess::start(
        parts.function_bin,
        &watch,
        &parts.function_env,
        None,
        &parts.dir.join("image-resize.log"),
    )?;
    let log = std::fs::File::create(parts.dir.join("lab-event-source.log"))?;
    let source = clean_command(parts.event_source_bin)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_ENDPOINT_URL_SQS", &parts.localstack)
        .env("AWS_ENDPOINT_URL_LAMBDA", watch.endpoint())
        .env("SHOP_EVENT_SOURCE_QUEUE_URL", &parts.queue_url)
        .env("SHOP_EVENT_SOURCE_WAIT_SECS", "1")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {}", parts.event_source_bin.display()))?;
    Ok(ResizeLab {
        _source: source,
        _function: function,
        _watch: watch,
    })
}

/// An upload the shop accepted.
pub struct Sent {
    /// The trace id the shop answered with (`x-trace-id`).
    pub trace_id: String,
    /// Where its status is (`Location`).
    pub status_url: String,
}

/// A `multipart/form-data` body with one file field, and its `Content-Type`. Written out
/// here because it is one field: reqwest's `multipart` feature would change the feature set
/// every crate of the workspace builds reqwest with.
fn multipart(field: &str, file_name: &str, mime: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    // Unique enough for a body this stage made itself (a picture it encoded).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let boundary = format!("----shoplabexp{nanos:x}");
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
         filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `POST /api/admin/products/{product}/image` as the lab admin (`admin`: its `Cookie` value
/// and CSRF token); the shop answers 202 when a function will resize it.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    admin: &(String, String),
    product: i64,
    picture: &[u8],
) -> anyhow::Result<Sent> {
    let (content_type, body) = multipart("image", "lab.jpg", "image/jpeg", picture);
    let r = client
        .post(format!("{base}/api/admin/products/{product}/image"))
        .header("cookie", &admin.0)
        .header("x-csrf-token", &admin.1)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await?;
    let status = r.status();
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (trace_id, status_url) = (header("x-trace-id"), header("location"));
    if status.as_u16() != 202 {
        bail!(
            "uploading a picture of product {product}: {status} {}",
            r.text().await.unwrap_or_default()
        );
    }
    Ok(Sent {
        trace_id,
        status_url,
    })
}

/// Polls every upload's status until none is `pending` (or `within` has passed); returns how
/// many ended `done`.
pub async fn settle(
    client: &reqwest::Client,
    base: &str,
    admin: &(String, String),
    sent: &[Sent],
    within: Duration,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + within;
    let mut settled: BTreeMap<usize, String> = BTreeMap::new();
    while settled.len() < sent.len() && Instant::now() < deadline {
        for (i, s) in sent.iter().enumerate() {
            if settled.contains_key(&i) {
                continue;
            }
            let v: serde_json::Value = client
                .get(format!("{base}{}", s.status_url))
                .header("cookie", &admin.0)
                .send()
                .await?
                .json()
                .await
                .unwrap_or_default();
            match v["status"].as_str() {
                Some("pending") | None => {}
                Some(other) => {
                    settled.insert(i, other.to_owned());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(settled.values().filter(|s| *s == "done").count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_body_has_one_file_field_between_its_boundaries() {
        let (content_type, body) = multipart("image", "a.jpg", "image/jpeg", b"\xff\xd8bytes");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!("--{boundary}\r\n")), "{text}");
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")), "{text}");
        assert!(
            text.contains("name=\"image\"; filename=\"a.jpg\""),
            "{text}"
        );
        assert!(body.windows(7).any(|w| w == b"\xff\xd8bytes"));
    }
}
