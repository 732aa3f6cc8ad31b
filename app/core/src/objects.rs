//! The shop's object store: files kept in one S3 bucket (LocalStack's S3 in
//! the lab), through the maintained `aws-sdk-s3` crate.
//!
//! Who uses it: the admin's product pictures (`catalog::resize` makes them,
//! `shop::http::admin::images` stores them here) and batch jobs that write
//! files for people to download (the orders export). Everything the shop
//! keeps here is addressed by a *key*, a path-like name such as
//! `products/12/r3/large.png`; [`ObjectStore::list`] finds keys by prefix.
//!
//! Things a learner should know:
//!
//! - **Path-style addressing.** S3 can name a bucket in the host
//!   (`https://BUCKET.s3.amazonaws.com/KEY`, "virtual-hosted style") or in
//!   the path (`https://s3.amazonaws.com/BUCKET/KEY`). An emulator on
//!   `127.0.0.1:4566` has no DNS for `BUCKET.127.0.0.1`, so the lab needs
//!   path style ([`ObjectStoreSettings::path_style`], on by default).
//! - **Configuration.** Endpoint, region and bucket come from the shop's
//!   configuration ([`ObjectStoreSettings`]); credentials from the AWS SDK's
//!   standard chain (environment, profile, instance role) unless given
//!   explicitly. [`ObjectStore::connect`] makes no network call, so a shop
//!   whose S3 is down still starts; the first call that needs S3 fails.
//! - **The bucket is created if missing**, once per process, on the first
//!   write ([`ObjectStore::ensure_bucket`]): a fresh LocalStack needs no
//!   setup step.
//! - **Telemetry.** Each call is one client span named like the AWS SDK's
//!   own instrumentation does it (`S3.PutObject`), with `rpc.*` attributes,
//!   the bucket and the key (keys are ids and sizes, never personal data),
//!   and `error.type` when it fails. The object's bytes are never recorded.
//!   The SDK's internal `tracing` spans are muted, as the database's are.
//!
//! ```no_run
//! # async fn demo() -> Result<(), shop_core::objects::Error> {
//! use shop_core::objects::{ObjectStore, ObjectStoreSettings};
//!
//! let mut settings = ObjectStoreSettings::new("shop-exports");
//! settings.endpoint = Some("http://127.0.0.1:4566".to_owned()); // LocalStack
//! settings.region = Some("us-east-1".to_owned());
//! let store = ObjectStore::connect(&settings).await?;
//! store.put("exports/orders.csv", b"id,total\n".to_vec(), "text/csv").await?;
//! let back = store.get("exports/orders.csv").await?.expect("just written");
//! assert_eq!(back.bytes, b"id,total\n");
//! let keys = store.list("exports/").await?;
//! assert!(keys.iter().any(|o| o.key == "exports/orders.csv"));
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{
    Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use telemetry_api::export::without_telemetry;
use telemetry_api::semconv;

/// Where the object store is and how to reach it.
///
/// Build it with [`ObjectStoreSettings::new`] and set the fields you need:
/// the struct is `#[non_exhaustive]` so that a setting added later does not
/// break code that builds one.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectStoreSettings {
    /// The bucket every key lives in (created on first write if missing).
    pub bucket: String,
    /// The S3 endpoint, e.g. `http://127.0.0.1:4566` for LocalStack; `None`:
    /// the SDK's default (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, or AWS).
    pub endpoint: Option<String>,
    /// The region; `None`: the SDK's chain (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// Name the bucket in the path rather than the host name (default `true`;
    /// emulators need it, AWS accepts it).
    pub path_style: bool,
    /// Fixed credentials instead of the SDK's chain (tests, emulators).
    pub credentials: Option<StaticCredentials>,
}

impl ObjectStoreSettings {
    /// Settings for `bucket`, everything else from the SDK's defaults, with
    /// path-style addressing.
    pub fn new(bucket: impl Into<String>) -> ObjectStoreSettings {
        ObjectStoreSettings {
            bucket: bucket.into(),
            endpoint: None,
            region: None,
            path_style: true,
            credentials: None,
        }
    }
}

impl fmt::Debug for ObjectStoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreSettings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// An access key id and its secret. `Debug` shows the id only.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .finish()
    }
}

/// Why an object store call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No region anywhere: neither in the settings nor the SDK's chain.
    #[error("no AWS region for the object store: set one (the local lab uses us-east-1)")]
    NoRegion,
    /// S3 answered with an error, or could not be reached.
    #[error("S3 {operation} on bucket {bucket}: {message}")]
    S3 {
        /// The S3 API call, e.g. `PutObject`.
        operation: &'static str,
        bucket: String,
        /// What the SDK said, with its causes.
        message: String,
    },
}

/// An object read back: its bytes, the content type and the user metadata
/// it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub bytes: Vec<u8>,
    /// The `Content-Type` given to [`ObjectStore::put`] (S3 keeps it).
    pub content_type: Option<String>,
    /// The user metadata given to [`ObjectStore::put_with_metadata`]
    /// (`x-amz-meta-*` on the wire; names lowercase, without the prefix).
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// The object store: one bucket on S3. Cheap to clone (handles only).
#[derive(Clone)]
pub struct ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: Arc<str>,
    region: Arc<str>,
    /// Set once the bucket is known to exist, so only the first write asks.
    bucket_ready: Arc<AtomicBool>,
}

impl fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStore")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl ObjectStore {
    /// A client for `settings`. Reads the SDK's configuration chain (no call
    /// to S3 yet). Fails only when no region can be found.
    pub async fn connect(settings: &ObjectStoreSettings) -> Result<ObjectStore, Error> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
            // Bounded, so an unreachable S3 fails a request in seconds
            // rather than holding it until the request timeout.
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        );
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(c) = &settings.credentials {
            loader = loader.credentials_provider(Credentials::new(
                &c.access_key_id,
                &c.secret_access_key,
                None,
                None,
                "shop-settings",
            ));
        }
        let sdk = without_telemetry(loader.load()).await;
        let region = sdk.region().ok_or(Error::NoRegion)?.to_string();
        let mut config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(settings.path_style)
            // Checksums only where S3 requires them: the newer default
            // (a CRC trailer on every upload) is not understood by every
            // S3-compatible store, and TLS already protects the bytes.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &settings.endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(ObjectStore {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            bucket: Arc::from(settings.bucket.as_str()),
            region: Arc::from(region.as_str()),
            bucket_ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The bucket this store reads and writes.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Makes sure the bucket exists, creating it if it does not. Called by
    /// [`ObjectStore::put`]; after the first success it costs nothing.
    pub async fn ensure_bucket(&self) -> Result<(), Error> {
        if self.bucket_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let span = self.span("HeadBucket", None);
        let head = without_telemetry(self.client.head_bucket().bucket(&*self.bucket).send()).await;
        match head {
            Ok(out) => crate::aws::record_output(&span, &out),
            Err(e) if status_of(&e) == Some(404) => {
                drop(span);
                self.create_bucket().await?;
            }
            Err(e) => return Err(self.failed(&span, "HeadBucket", &e)),
        }
        self.bucket_ready.store(true, Ordering::Release);
        Ok(())
    }

    async fn create_bucket(&self) -> Result<(), Error> {
        let span = self.span("CreateBucket", None);
        let mut create = self.client.create_bucket().bucket(&*self.bucket);
        // us-east-1 is S3's default and must not be named; every other region must be.
        if &*self.region != "us-east-1" {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(&*self.region))
                    .build(),
            );
        }
        match without_telemetry(create.send()).await {
            Ok(out) => {
                crate::aws::record_output(&span, &out);
                Ok(())
            }
            // Another process (or request) created it first: just as good.
            Err(e)
                if matches!(
                    e.code(),
                    Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(self.failed(&span, "CreateBucket", &e)),
        }
    }

    /// Stores `bytes` under `key` with its `content_type` (what S3 answers
    /// in `Content-Type` when the object is read), replacing any object that
    /// was there. Creates the bucket first if needed.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), Error> {
        self.put_with_metadata(key, bytes, content_type, &Default::default())
            .await
    }

    /// [`ObjectStore::put`] with user metadata (`x-amz-meta-{name}: value`;
    /// S3 keeps at most 2 KB of it, ASCII). Whoever reads the object gets
    /// it back ([`Object::metadata`]): how an original tells the function
    /// that resizes it who uploaded it and in which trace.
    pub async fn put_with_metadata(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
        metadata: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), Error> {
        self.ensure_bucket().await?;
        let span = self.span("PutObject", Some(key));
        let put = self
            .client
            .put_object()
            .bucket(&*self.bucket)
            .key(key)
            .content_type(content_type)
            .set_metadata((!metadata.is_empty()).then(|| {
                metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }))
            .body(ByteStream::from(bytes))
            .send();
        match without_telemetry(put).await {
            Ok(out) => {
                crate::aws::record_output(&span, &out);
                Ok(())
            }
            Err(e) => Err(self.failed(&span, "PutObject", &e)),
        }
    }

    /// The object under `key`, or `None` when there is none (or no bucket).
    pub async fn get(&self, key: &str) -> Result<Option<Object>, Error> {
        let span = self.span("GetObject", Some(key));
        let get = self
            .client
            .get_object()
            .bucket(&*self.bucket)
            .key(key)
            .send();
        let out = match without_telemetry(get).await {
            Ok(out) => {
                crate::aws::record_output(&span, &out);
                out
            }
            Err(e) if status_of(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(self.failed(&span, "GetObject", &e)),
        };
        let content_type = out.content_type.clone();
        let metadata = out
            .metadata
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        // The body streams after the headers; it can still fail half-way.
        match without_telemetry(out.body.collect()).await {
            Ok(body) => Ok(Some(Object {
                bytes: body.into_bytes().to_vec(),
                content_type,
                metadata,
            })),
            Err(e) => {
                span.record(semconv::ERROR_TYPE, "body_read");
                let message = DisplayErrorContext(&e).to_string();
                span.in_scope(|| tracing::warn!(error = %message, "object store call failed"));
                Err(Error::S3 {
                    operation: "GetObject",
                    bucket: self.bucket.to_string(),
                    message,
                })
            }
        }
    }

    /// Makes the bucket notify the SQS queue `queue_arn` of every object
    /// created under `prefix` (`s3:ObjectCreated:*`), creating the bucket
    /// first if needed. S3 keeps one notification configuration per bucket:
    /// this **replaces** it, so calling it again is harmless (idempotent),
    /// and any other notification on the bucket is gone. The queue's policy
    /// must let S3 send to it (in AWS; the lab's LocalStack does not check).
    /// S3 answers with a test event (`s3:TestEvent`) on the queue.
    pub async fn notify_queue_of_created(
        &self,
        prefix: &str,
        queue_arn: &str,
    ) -> Result<(), Error> {
        use aws_sdk_s3::types::{
            Event, FilterRule, FilterRuleName, NotificationConfiguration,
            NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
        };
        self.ensure_bucket().await?;
        let span = self.span("PutBucketNotificationConfiguration", None);
        let filter = NotificationConfigurationFilter::builder()
            .key(
                S3KeyFilter::builder()
                    .filter_rules(
                        FilterRule::builder()
                            .name(FilterRuleName::Prefix)
                            .value(prefix)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let queue = QueueConfiguration::builder()
            .id("shop-originals")
            .queue_arn(queue_arn)
            .events(Event::from("s3:ObjectCreated:*"))
            .filter(filter)
            .build()
            .map_err(|e| Error::S3 {
                operation: "PutBucketNotificationConfiguration",
                bucket: self.bucket.to_string(),
                message: e.to_string(),
            })?;
        let put = self
            .client
            .put_bucket_notification_configuration()
            .bucket(&*self.bucket)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .queue_configurations(queue)
                    .build(),
            )
            .send();
        match without_telemetry(put).await {
            Ok(out) => {
                crate::aws::record_output(&span, &out);
                Ok(())
            }
            Err(e) => Err(self.failed(&span, "PutBucketNotificationConfiguration", &e)),
        }
    }

    /// Every object whose key starts with `prefix` (all pages), in key
    /// order. An empty prefix lists the whole bucket; a missing bucket
    /// lists nothing.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, Error> {
        let span = self.span("ListObjectsV2", None);
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&*self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send();
            let page = match without_telemetry(page).await {
                Ok(page) => {
                    crate::aws::record_output(&span, &page);
                    page
                }
                Err(e) if status_of(&e) == Some(404) => return Ok(Vec::new()),
                Err(e) => return Err(self.failed(&span, "ListObjectsV2", &e)),
            };
            found.extend(page.contents().iter().filter_map(|o| {
                Some(ObjectInfo {
                    key: o.key()?.to_owned(),
                    size: o.size().unwrap_or(0).max(0) as u64,
                })
            }));
            match page.next_continuation_token() {
                Some(next) if page.is_truncated() == Some(true) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(found)
    }

    /// The client span of one S3 call: the shape every AWS call of the shop
    /// has (`crate::aws::client_span`), with the bucket and key.
    fn span(&self, method: &'static str, key: Option<&str>) -> tracing::Span {
        let span = crate::aws::client_span!("S3", method, &*self.region);
        span.record(semconv::AWS_S3_BUCKET, &*self.bucket);
        if let Some(key) = key {
            span.record(semconv::AWS_S3_KEY, key);
        }
        span
    }

    /// Records a failed call on its span and in the log (as every AWS call's
    /// failure is: `crate::aws::record_failure`), and wraps it.
    fn failed<E>(
        &self,
        span: &tracing::Span,
        operation: &'static str,
        e: &SdkError<E, HttpResponse>,
    ) -> Error
    where
        E: std::error::Error + ProvideErrorMetadata + RequestId + Send + Sync + 'static,
    {
        let failure = crate::aws::record_failure(span, "S3", operation, e);
        Error::S3 {
            operation,
            bucket: self.bucket.to_string(),
            message: failure.message,
        }
    }
}

/// The HTTP status S3 answered with, if it answered.
fn status_of<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_path_style_and_the_sdk_chain() {
        let s = ObjectStoreSettings::new("b");
        assert_eq!(s.bucket, "b");
        assert!(s.path_style);
        assert_eq!((s.endpoint, s.region, s.credentials), (None, None, None));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let mut s = ObjectStoreSettings::new("b");
        s.credentials = Some(StaticCredentials {
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI".to_owned(),
        });
        let shown = format!("{s:?}");
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    }
}
