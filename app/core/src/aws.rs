//! Calls the shop makes to AWS services itself (EventBridge, SQS, SNS, SES,
//! S3 through `crate::objects`, Lambda), instrumented once, here: every call goes through [`call`], which makes it
//! one client span named the way the AWS SDKs' own instrumentation names it
//! (`SQS.SendMessage`), with the `rpc.*` attributes of the OpenTelemetry
//! AWS-SDK conventions (`rpc.system = aws-api`), the region, the request id
//! AWS answered with, and `error.type` when it failed. The awssdk backend
//! turns such a span into an X-Ray subsegment with `namespace: aws` and an
//! `aws` block (operation, region, request id, queue URL); the otel backend
//! exports the attributes as they are.
//!
//! The SDK's own `tracing` spans are muted ([`without_telemetry`]), as the
//! database driver's are, so a learner sees one span per call.
//!
//! Configuration follows the SDK: credentials and region from its standard
//! chain, endpoints from `AWS_ENDPOINT_URL_<SERVICE>` (the lab points them
//! at LocalStack). [`sdk_config`] makes no network call.

use std::future::Future;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::RequestId;
use telemetry_api::export::without_telemetry;
use telemetry_api::semconv;

/// Overrides of the SDK's chain (tests and emulators); everything `None`
/// (the default) leaves the standard chain in charge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// One endpoint for every service (LocalStack's gateway).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Fixed credentials (`test`/`test` for the emulators).
    pub credentials: Option<crate::objects::StaticCredentials>,
}

/// The shared SDK configuration: the standard chain (with `settings`'
/// overrides), with bounded timeouts so a service that is down fails a call
/// in seconds (the outbox and the worker retry; nothing waits on them).
pub async fn sdk_config(settings: &Settings) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(2))
            .operation_attempt_timeout(Duration::from_secs(10))
            .build(),
    );
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(c) = &settings.credentials {
        loader = loader.credentials_provider(aws_sdk_sqs::config::Credentials::new(
            &c.access_key_id,
            &c.secret_access_key,
            None,
            None,
            "shop-settings",
        ));
    }
    without_telemetry(loader.load()).await
}

/// The region of `config`, or `unknown` (shown on spans; a call without a
/// region fails with the SDK's own error).
pub fn region_of(config: &aws_config::SdkConfig) -> String {
    config
        .region()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string)
}

/// Why an AWS call failed, in words and as a short class for `error.type`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{service}.{operation}: {message}")]
pub struct CallError {
    pub service: &'static str,
    pub operation: &'static str,
    /// `unreachable`, `timeout`, or the service's error code
    /// (`ResourceNotFoundException`, `AWS.SimpleQueueService.NonExistentQueue`, …).
    pub kind: String,
    /// What the SDK said, with its causes.
    pub message: String,
}

impl CallError {
    /// The service could not be reached or did not answer in time: worth
    /// retrying later.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind.as_str(), "unreachable" | "timeout" | "sdk_error")
            || self.kind.contains("Throttl")
            || self.kind.contains("ServiceUnavailable")
            || self.kind.contains("InternalError")
    }

    /// The resource (bus, queue, topic) does not exist: on an emulator that
    /// was restarted, re-provisioning fixes it.
    pub fn is_missing_resource(&self) -> bool {
        self.kind.contains("NotFound") || self.kind.contains("NonExistent")
    }
}

/// Runs one SDK call as a client span of `service.operation` and returns
/// its output. `span` is the call's span, made by [`client_span`] (so the
/// caller can add attributes such as the queue URL first).
pub async fn call<O, E, F>(
    span: tracing::Span,
    service: &'static str,
    operation: &'static str,
    send: F,
) -> Result<O, CallError>
where
    F: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    O: RequestId,
    E: std::error::Error + ProvideErrorMetadata + RequestId + Send + Sync + 'static,
{
    match without_telemetry(send).await {
        Ok(out) => {
            record_output(&span, &out);
            Ok(out)
        }
        Err(e) => Err(record_failure(&span, service, operation, &e)),
    }
}

/// Records what AWS answered on the call's span: its request id. For a
/// caller that cannot go through [`call`] (S3's "not found" is an answer,
/// not a failure, for `crate::objects`).
pub fn record_output<O: RequestId>(span: &tracing::Span, out: &O) {
    if let Some(id) = out.request_id() {
        span.record(semconv::AWS_REQUEST_ID, id);
    }
}

/// Records a failed call on its span (`error.type`, the request id when AWS
/// answered) and in the log, and describes it.
pub fn record_failure<E>(
    span: &tracing::Span,
    service: &'static str,
    operation: &'static str,
    e: &SdkError<E, HttpResponse>,
) -> CallError
where
    E: std::error::Error + ProvideErrorMetadata + RequestId + Send + Sync + 'static,
{
    let kind = match e {
        SdkError::ServiceError(s) => s.err().code().unwrap_or("service_error").to_owned(),
        SdkError::TimeoutError(_) => "timeout".to_owned(),
        SdkError::DispatchFailure(_) => "unreachable".to_owned(),
        _ => "sdk_error".to_owned(),
    };
    if let SdkError::ServiceError(s) = e
        && let Some(id) = s.err().request_id()
    {
        span.record(semconv::AWS_REQUEST_ID, id);
    }
    span.record(semconv::ERROR_TYPE, kind.as_str());
    let message = DisplayErrorContext(e).to_string();
    span.in_scope(|| tracing::warn!(error = %message, "AWS call failed"));
    CallError {
        service,
        operation,
        kind,
        message,
    }
}

/// The client span of one AWS call (`SQS.SendMessage`), with room for the
/// request id, the error class, and the messaging attributes a queue or
/// topic call adds.
#[macro_export]
macro_rules! aws_span {
    ($service:expr, $operation:expr, $region:expr) => {
        tracing::info_span!(
            "aws",
            span.name = %format_args!("{}.{}", $service, $operation),
            span.kind = "client",
            rpc.system = "aws-api",
            rpc.service = $service,
            rpc.method = $operation,
            cloud.region = $region,
            aws.request_id = tracing::field::Empty,
            aws.sqs.queue.url = tracing::field::Empty,
            aws.s3.bucket = tracing::field::Empty,
            aws.s3.key = tracing::field::Empty,
            messaging.system = tracing::field::Empty,
            messaging.destination.name = tracing::field::Empty,
            messaging.operation.type = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.batch.message_count = tracing::field::Empty,
            error.type = tracing::field::Empty,
        )
    };
}
pub use aws_span as client_span;
