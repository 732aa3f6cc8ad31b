//! `image-resize` (A-PROD-05 as a function): an original picture lands in
//! the shop's bucket under `originals/products/{id}/{name}`; the function
//! reads it, makes the catalog's sizes with the shop's own
//! [`resize_for_catalog`](shop_core::catalog::resize::resize_for_catalog),
//! and writes them where the shop keeps an admin's upload
//! ([`image_store::upload_key`]):
//!
//! ```text
//! originals/products/12/IMG_0042.jpg        (the trigger; the shop or an admin puts it)
//! products/12/r3f2a9c1d0b7e4a55/original    (the same bytes, with their content type)
//! products/12/r3f2a9c1d0b7e4a55/large.png   (600 × 600)
//! products/12/r3f2a9c1d0b7e4a55/thumb.png   (200 × 200)
//! ```
//!
//! The revision comes from the pictures' bytes ([`image_store::revision_of`]),
//! exactly as when the shop resizes an upload itself, so the same original
//! gives the same keys (a redelivered event rewrites the same objects). The
//! function writes nothing under `originals/`, so its own writes can never
//! trigger it again (the bucket's notification filters on that prefix).
//!
//! Events: an S3 notification (`{"Records":[{"eventSource":"aws:s3",…}]}`,
//! what S3 sends a function it notifies directly, and what the lab's event
//! source sends), or an SQS batch whose bodies are S3 notifications (what an
//! SQS event-source mapping sends when the notifications go through a
//! queue). An `s3:TestEvent` is skipped. Keys arrive URL-encoded (`+` or
//! `%20` for a space) and are decoded.
//!
//! A picture the resizer refuses (not a picture, too many pixels, damaged)
//! is reported in the answer and the log and is not an error: retrying
//! would refuse it again. S3 failing is an error, so Lambda retries.
//!
//! **The shop's uploads** (`--image-resize function`): the shop names an
//! original `originals/products/{id}/{upload-id}` and records the upload as
//! `pending` first. With the shop's database (`DATABASE_URL`, or the
//! Secrets Manager secret `SHOP_DATABASE_URL_SECRET` names, read at cold
//! start: [`crate::database_url`]), the function records what it did there: the picture's rows, the product's
//! new URLs, the audit entry and the upload's `done`
//! ([`image_store::record_resized`], one transaction), or the refusal
//! ([`image_store::record_failed`]). A database failure fails the
//! invocation (redelivered; recording is idempotent). An original no upload
//! row names (put by hand) is resized and not recorded.
//!
//! **Trace.** S3's notifications carry no trace context, so the shop writes
//! it into the original's user metadata (`x-amz-meta-traceparent`,
//! `x-amz-meta-x-amzn-trace-id`). After `GetObject`, the per-original span
//! `image.resize` continues that trace (read with the backend's own
//! propagator): with awssdk a segment in the upload's trace whose parent is
//! the upload's server segment; the invocation's own span stays in the
//! invocation's trace, and `image.resize` links to it (a span link in OTLP;
//! X-Ray has none, and the awssdk backend keeps it as metadata).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shop_core::audit::Origin as AuditOrigin;
use shop_core::catalog::image_store::{self, Recorded, ResizedUpload};
use shop_core::catalog::images::{CONTENT_TYPE, ImageSize};
use shop_core::catalog::resize::{self, rejection_kind};
use shop_core::db::Db;
use shop_core::instruments::Instruments;
use shop_core::objects::{ObjectStore, ObjectStoreSettings};
use telemetry_api::trace::{span_context, with_remote_parent};
use telemetry_api::{Telemetry, semconv};

use crate::carrier::Fields;
use tracing::Instrument;
use tracing::field::Empty;

use crate::database_url;
use crate::function::{FunctionError, Handled, StartError};

/// The prefix of the originals that trigger the function.
pub const ORIGINALS_PREFIX: &str = "originals/products/";

/// The function's state: the shop's bucket, and its database when the
/// function records the shop's uploads.
#[derive(Clone)]
pub struct ImageResize {
    store: ObjectStore,
    db: Option<Db>,
    telemetry: Option<Telemetry>,
}

/// One original the event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub bucket: String,
    /// Decoded.
    pub key: String,
    pub product_id: i64,
}

/// What happened to one original.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Resized {
    pub source_key: String,
    pub product_id: i64,
    /// `resized`, or `rejected` (with `reason`).
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_height: Option<u32>,
    /// The objects written, `original` first.
    #[serde(default)]
    pub objects: Vec<Written>,
    /// The shop's upload id, when the key names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
    /// What the shop's database says now: `done`, `failed`,
    /// `already_recorded`, `unknown_upload`; `None` without the database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
    /// Where the `image.resize` span's parent came from: `object_metadata`
    /// (the upload's trace) or `invocation`.
    #[serde(default)]
    pub trace_source: String,
}

/// An object the function wrote.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Written {
    pub key: String,
    /// `original`, `large` or `thumb`.
    pub name: String,
    pub bytes: usize,
    /// For the sizes: their side in pixels, and the ETag the shop serves them under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixels: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// The function's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Answer {
    pub bucket: String,
    pub resized: Vec<Resized>,
    /// Records that named no original (another prefix, a test event).
    pub skipped: Vec<String>,
}

impl ImageResize {
    /// The bucket from `SHOP_IMAGES_BUCKET` (required), endpoint and region
    /// from `SHOP_S3_ENDPOINT` and `SHOP_S3_REGION` or the AWS SDK's chain,
    /// as the shop reads them.
    pub async fn from_env() -> Result<ImageResize, StartError> {
        let bucket = std::env::var("SHOP_IMAGES_BUCKET")
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| StartError::Config("SHOP_IMAGES_BUCKET is not set: the bucket the originals land in and the pictures go to".to_owned()))?;
        let mut settings = ObjectStoreSettings::new(bucket);
        settings.endpoint = std::env::var("SHOP_S3_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty());
        settings.region = std::env::var("SHOP_S3_REGION")
            .ok()
            .filter(|v| !v.is_empty());
        let store = ObjectStore::connect(&settings)
            .await
            .map_err(|e| StartError::Config(e.to_string()))?;
        Ok(ImageResize {
            store,
            db: None,
            telemetry: None,
        })
    }

    /// [`ImageResize::from_env`], plus the shop's database when there is
    /// one (`DATABASE_URL`, else the secret `SHOP_DATABASE_URL_SECRET` names:
    /// [`database_url::from_env`]; `SHOP_DB_MAX_CONNECTIONS`, 2), and the
    /// function's telemetry (its propagator reads the originals' trace
    /// metadata). Neither set: the function resizes and records nothing.
    pub async fn from_env_with(telemetry: Telemetry) -> Result<ImageResize, StartError> {
        let mut resize = ImageResize::from_env().await?;
        if let Some(url) = database_url::from_env().await? {
            let max = std::env::var("SHOP_DB_MAX_CONNECTIONS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(2);
            let instruments = Instruments::new(&telemetry);
            let db = Db::connect(url.expose(), max, instruments.db_duration.clone())
                .await
                .map_err(|e| StartError::Config(format!("database: {e}")))?;
            resize.db = Some(db);
        }
        resize.telemetry = Some(telemetry);
        Ok(resize)
    }

    pub fn new(store: ObjectStore) -> ImageResize {
        ImageResize {
            store,
            db: None,
            telemetry: None,
        }
    }

    /// Handles one event (see the module documentation).
    pub async fn handle(&self, event: Value) -> Result<Handled<Answer>, FunctionError> {
        let (originals, skipped) = originals(&event)?;
        let mut answer = Answer {
            bucket: self.store.bucket().to_owned(),
            resized: Vec::new(),
            skipped,
        };
        for original in originals {
            if original.bucket != self.store.bucket() {
                return Err(FunctionError::new(
                    "wrong_bucket",
                    format!(
                        "the event names bucket {:?}; this function writes to {:?} (SHOP_IMAGES_BUCKET)",
                        original.bucket,
                        self.store.bucket()
                    ),
                ));
            }
            let object = self
                .store
                .get(&original.key)
                .await
                .map_err(|e| FunctionError::new("s3", e.to_string()))?
                .ok_or_else(|| {
                    FunctionError::new(
                        "original_missing",
                        format!(
                            "{} is not in the bucket (deleted since the event?)",
                            original.key
                        ),
                    )
                })?;
            // The upload's trace, from the original's metadata (S3's event carries none).
            let parent = self.telemetry.as_ref().and_then(|t| {
                t.propagator()
                    .extract(&Fields::from_pairs(object.metadata.iter()))
            });
            let trace_source = if parent.is_some() {
                "object_metadata"
            } else {
                "invocation"
            };
            let span = match parent {
                // A root span here, so that it continues the remote context
                // (`with_remote_parent` applies to root spans only).
                Some(p) => with_remote_parent(Some(p), || {
                    tracing::info_span!(
                        parent: None,
                        "image.resize",
                        span.kind = "consumer",
                        shop.product.id = original.product_id,
                        aws.s3.key = original.key.as_str(),
                        shop.image.trace_source = trace_source,
                        shop.image.revision = Empty,
                        error.type = Empty,
                    )
                }),
                None => tracing::info_span!(
                    "image.resize",
                    span.kind = "internal",
                    shop.product.id = original.product_id,
                    aws.s3.key = original.key.as_str(),
                    shop.image.trace_source = trace_source,
                    shop.image.revision = Empty,
                    error.type = Empty,
                ),
            };
            // Joined to the upload's trace, `image.resize` links back to the invocation
            // that ran it (OTLP carries links; X-Ray keeps them as metadata).
            if trace_source == "object_metadata"
                && let Some(invocation) = span_context(&tracing::Span::current())
            {
                telemetry_api::trace::add_link(&span, invocation);
            }
            let done = self
                .resize(&original, object)
                .instrument(span.clone())
                .await
                .map(|mut r| {
                    r.trace_source = trace_source.to_owned();
                    r
                });
            match &done {
                Ok(r) if r.outcome == "rejected" => {
                    span.record(
                        semconv::ERROR_TYPE,
                        r.reason.as_deref().unwrap_or("rejected"),
                    );
                }
                Ok(r) => {
                    span.record("shop.image.revision", r.revision.as_deref().unwrap_or(""));
                }
                Err(e) => {
                    span.record(semconv::ERROR_TYPE, e.kind);
                }
            }
            answer.resized.push(done?);
        }
        let items = answer
            .resized
            .iter()
            .filter(|r| r.outcome == "resized")
            .count() as u64;
        Ok(Handled {
            value: answer,
            items,
        })
    }

    async fn resize(
        &self,
        original: &Original,
        object: shop_core::objects::Object,
    ) -> Result<Resized, FunctionError> {
        let upload_id = upload_of(&original.key);
        let mut resized = Resized {
            source_key: original.key.clone(),
            product_id: original.product_id,
            outcome: "resized".to_owned(),
            reason: None,
            revision: None,
            source_format: None,
            source_width: None,
            source_height: None,
            objects: Vec::new(),
            upload_id: upload_id.clone(),
            recorded: None,
            trace_source: String::new(),
        };
        let pictures = match resize::resize_off_thread(object.bytes.clone()).await {
            Ok(p) => p,
            Err(rejected) => {
                tracing::warn!(
                    shop.product.id = original.product_id,
                    key = original.key.as_str(),
                    error.type = rejection_kind(&rejected),
                    error = %rejected,
                    "original refused; nothing written"
                );
                resized.outcome = "rejected".to_owned();
                resized.reason = Some(rejection_kind(&rejected).to_owned());
                if let (Some(db), Some(id)) = (&self.db, &upload_id) {
                    let recorded = image_store::record_failed(
                        db,
                        original.product_id,
                        id,
                        rejection_kind(&rejected),
                        self.origin(),
                    )
                    .await
                    .map_err(|e| FunctionError::new("db", e.to_string()))?;
                    resized.recorded = Some(recorded_str(&recorded).to_owned());
                }
                return Ok(resized);
            }
        };
        let revision = image_store::revision_of(&pictures);
        let key = |name: &str| image_store::upload_key(original.product_id, &revision, name);
        let bytes = object.bytes.len();
        self.put(
            &key("original"),
            "original",
            object.bytes,
            pictures.source_format.content_type(),
        )
        .await?;
        resized.objects.push(Written {
            key: key("original"),
            name: "original".to_owned(),
            bytes,
            pixels: None,
            etag: None,
        });
        for size in ImageSize::ALL {
            let png = pictures.png(size).to_vec();
            let (k, bytes, etag) = (
                key(&format!("{}.png", size.as_str())),
                png.len(),
                image_store::etag_of(&png),
            );
            self.put(&k, size.as_str(), png, CONTENT_TYPE).await?;
            resized.objects.push(Written {
                key: k,
                name: size.as_str().to_owned(),
                bytes,
                pixels: Some(size.pixels()),
                etag: Some(etag),
            });
        }
        tracing::info!(
            shop.product.id = original.product_id,
            revision = revision.as_str(),
            format = pictures.source_format.as_str(),
            source_width = pictures.source_width,
            source_height = pictures.source_height,
            "product picture resized"
        );
        if let (Some(db), Some(id)) = (&self.db, &upload_id) {
            let record = ResizedUpload {
                revision: revision.clone(),
                sizes: resized
                    .objects
                    .iter()
                    .filter_map(|w| {
                        let size = ImageSize::ALL.into_iter().find(|s| s.as_str() == w.name)?;
                        Some((size, w.key.clone(), w.etag.clone()?))
                    })
                    .collect(),
                source_format: pictures.source_format.as_str().to_owned(),
                source_width: pictures.source_width,
                source_height: pictures.source_height,
            };
            let recorded =
                image_store::record_resized(db, original.product_id, id, &record, self.origin())
                    .await
                    .map_err(|e| FunctionError::new("db", e.to_string()))?;
            resized.recorded = Some(recorded_str(&recorded).to_owned());
        }
        resized.revision = Some(revision);
        resized.source_format = Some(pictures.source_format.as_str().to_owned());
        resized.source_width = Some(pictures.source_width);
        resized.source_height = Some(pictures.source_height);
        Ok(resized)
    }

    /// The audit entry's origin: the trace the resize runs in (the upload's).
    fn origin(&self) -> AuditOrigin {
        let trace_id = span_context(&tracing::Span::current()).and_then(|c| {
            self.telemetry
                .as_ref()
                .map(|t| t.format_trace_id(c.trace_id))
        });
        AuditOrigin {
            trace_id,
            ..AuditOrigin::default()
        }
    }

    /// One object to S3 under its own span, named as the shop's upload names it.
    async fn put(
        &self,
        key: &str,
        name: &'static str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), FunctionError> {
        let span = tracing::info_span!(
            "catalog.image.upload",
            span.kind = "internal",
            shop.image.size = name,
            shop.image.bytes = bytes.len(),
        );
        self.store
            .put(key, bytes, content_type)
            .instrument(span)
            .await
            .map_err(|e| FunctionError::new("s3", e.to_string()))
    }
}

/// The originals an event names, and a description of every record that
/// names none. An event that is neither an S3 notification nor an SQS batch
/// of them is an error.
pub fn originals(event: &Value) -> Result<(Vec<Original>, Vec<String>), FunctionError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        if event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
            skipped.push("s3:TestEvent".to_owned());
            return Ok((found, skipped));
        }
        return Err(FunctionError::new(
            "invalid_event",
            "not an S3 notification (no Records) nor an SQS batch of them",
        ));
    };
    for record in records {
        match record.get("eventSource").and_then(Value::as_str) {
            Some("aws:s3") => s3_record(record, &mut found, &mut skipped)?,
            Some("aws:sqs") => {
                let body = record.get("body").and_then(Value::as_str).unwrap_or("");
                let inner: Value = serde_json::from_str(body).map_err(|e| {
                    FunctionError::new(
                        "invalid_event",
                        format!("an SQS record's body is not JSON: {e}"),
                    )
                })?;
                let (more, more_skipped) = originals(&inner)?;
                found.extend(more);
                skipped.extend(more_skipped);
            }
            other => skipped.push(format!(
                "record from {}",
                other.unwrap_or("an unknown source")
            )),
        }
    }
    Ok((found, skipped))
}

fn s3_record(
    record: &Value,
    found: &mut Vec<Original>,
    skipped: &mut Vec<String>,
) -> Result<(), FunctionError> {
    let name = record
        .get("eventName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let s3 = record.get("s3").unwrap_or(&Value::Null);
    let bucket = s3.pointer("/bucket/name").and_then(Value::as_str);
    let key = s3.pointer("/object/key").and_then(Value::as_str);
    let (Some(bucket), Some(key)) = (bucket, key) else {
        return Err(FunctionError::new(
            "invalid_event",
            "an S3 record without s3.bucket.name or s3.object.key",
        ));
    };
    let key = decode_key(key);
    if !name.starts_with("ObjectCreated:") {
        skipped.push(format!("{name} {key}"));
        return Ok(());
    }
    match product_of(&key) {
        Some(product_id) => found.push(Original {
            bucket: bucket.to_owned(),
            key,
            product_id,
        }),
        None => skipped.push(format!("{key}: not under {ORIGINALS_PREFIX}{{id}}/")),
    }
    Ok(())
}

/// The shop's upload id in an original's key,
/// `originals/products/{id}/{upload-id}` (`None`: another name).
pub fn upload_of(key: &str) -> Option<String> {
    let name = key.rsplit('/').next()?;
    (product_of(key).is_some() && image_store::is_upload_id(name)).then(|| name.to_owned())
}

fn recorded_str(r: &Recorded) -> &'static str {
    match r {
        Recorded::Done(_) => "done",
        Recorded::Failed => "failed",
        Recorded::AlreadyRecorded => "already_recorded",
        Recorded::UnknownUpload => "unknown_upload",
    }
}

/// The product id of an original's key, `originals/products/{id}/{name}`.
pub fn product_of(key: &str) -> Option<i64> {
    let rest = key.strip_prefix(ORIGINALS_PREFIX)?;
    let (id, name) = rest.split_once('/')?;
    if name.is_empty() {
        return None;
    }
    id.parse::<i64>().ok().filter(|id| *id > 0)
}

/// An S3 notification's key, decoded: `+` is a space (AWS), then `%XX`
/// (LocalStack writes a space as `%20`).
pub fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_decoded_the_aws_way_and_the_localstack_way() {
        assert_eq!(
            decode_key("originals/products/7/cat+photo.jpg"),
            "originals/products/7/cat photo.jpg"
        );
        assert_eq!(
            decode_key("originals/products/7/cat%20photo.jpg"),
            "originals/products/7/cat photo.jpg"
        );
        assert_eq!(decode_key("a%2Bb%"), "a+b%");
        assert_eq!(decode_key("%zz"), "%zz");
    }

    #[test]
    fn only_originals_of_a_product_are_taken() {
        assert_eq!(product_of("originals/products/12/IMG_1.jpg"), Some(12));
        for key in [
            "originals/products/12/",
            "originals/products/x/a.jpg",
            "products/12/r1/large.png",
            "originals/products/0/a",
        ] {
            assert_eq!(product_of(key), None, "{key}");
        }
    }

    #[test]
    fn the_shops_uploads_are_named_by_their_upload_id() {
        let id = "0f8e2a1c9b7d4e6fa1b2c3d4e5f60718";
        assert_eq!(
            upload_of(&format!("originals/products/12/{id}")),
            Some(id.to_owned())
        );
        assert_eq!(upload_of("originals/products/12/IMG_0042.jpg"), None);
        assert_eq!(upload_of(&format!("products/12/{id}")), None);
        assert_eq!(
            image_store::original_key(12, id),
            format!("originals/products/12/{id}")
        );
    }

    fn s3_event(key: &str) -> Value {
        json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "media"}, "object": {"key": key, "size": 10}}}]})
    }

    #[test]
    fn s3_notifications_sqs_batches_and_test_events() {
        let (found, skipped) = originals(&s3_event("originals/products/3/a%20b.png")).unwrap();
        assert_eq!(
            found,
            vec![Original {
                bucket: "media".into(),
                key: "originals/products/3/a b.png".into(),
                product_id: 3
            }]
        );
        assert!(skipped.is_empty());

        let sqs = json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m1",
            "body": s3_event("originals/products/4/c.jpg").to_string()}]});
        let (found, _) = originals(&sqs).unwrap();
        assert_eq!(found[0].product_id, 4);

        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "media"});
        assert_eq!(
            originals(&test).unwrap(),
            (vec![], vec!["s3:TestEvent".to_owned()])
        );

        let (found, skipped) = originals(&s3_event("thumbs/x.jpg")).unwrap();
        assert!(found.is_empty() && skipped.len() == 1, "{skipped:?}");
        assert!(originals(&json!({"hello": 1})).is_err());
    }
}
