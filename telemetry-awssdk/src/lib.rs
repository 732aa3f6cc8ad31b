//! # telemetry-awssdk: the shop's telemetry straight to AWS
//!
//! The `awssdk` backend of the telemetry contract ([`telemetry_api`]). It
//! ships the three signals with the AWS SDK for Rust, as a service would
//! without a collector. The `otel` backend (crate `telemetry-otel`) has the
//! same modules, one per concept, built in the same order by [`build`]:
//!
//! | module | contract | here | AWS API |
//! |---|---|---|---|
//! | [`config`] | — | the AWS SDK's chain (region, credentials, `AWS_ENDPOINT_URL_*`) + `SHOP_XRAY_*`, `SHOP_CW_*`, `SHOP_AWS_*` | — |
//! | [`resource`] | `Resource` | segment `name`/`origin`, log group and stream, the `service.name` dimension | — |
//! | [`sampling`] | `Sampler` | X-Ray rules: reservoir + fixed rate ([`sampling::rules`], [`sampling::source`]) | `GetSamplingRules`/`GetSamplingTargets` |
//! | [`propagation`] | `Propagator` | `X-Amzn-Trace-Id` (a `Root` without `Parent` continues the trace) | — |
//! | [`traces`] | `SpanRecord`, `IdGenerator` | segment documents ([`traces::segment`]); epoch-prefixed ids ([`traces::ids`]) | X-Ray `PutTraceSegments` |
//! | [`metrics`] | `MeterProvider` | per-interval aggregation; EMF lines ([`metrics::emf`]); the drop report ([`metrics::dropped`]) | CloudWatch `PutMetricData`, or EMF lines via Logs |
//! | [`logs`] | `LogRecord` | JSON lines with the X-Ray trace id | CloudWatch Logs `PutLogEvents` |
//! | [`stats`] | `Exporter::stats` | per-signal counters; API calls and bytes counted on the wire | — |
//! | [`export`] | `Exporter` | bounded queues, one background worker loop, counted retries, concurrent calls | — |
//!
//! Nothing here ever blocks or fails a request. Every background task (and
//! the AWS SDK's HTTP connections) runs on the backend's own Tokio runtime,
//! on a thread of its own ([`telemetry_api::runtime`]), never on the shop's.

pub mod config;
pub mod export;
pub mod logs;
pub mod metrics;
pub mod propagation;
pub mod resource;
pub mod sampling;
pub mod stats;
pub mod traces;

use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use telemetry_api::export::{PerSignal, SignalCounters};
use telemetry_api::{Backend, BackendError, Resource};

use config::Config;
use export::AwsSdkExporter;
use logs::{LogShipper, Renderer};
use metrics::{CloudWatchMeterProvider, MetricsMode};
use propagation::XrayPropagator;
use resource::AwsResource;
use sampling::{RulesSource, XraySampler};
use stats::{Stats, WireCounter};
use telemetry_api::runtime::ExportRuntime;
use traces::TraceExporter;
use traces::ids::{XrayIdGenerator, format_trace_id};

/// Builds the backend from the environment (see [`config`]) and starts its
/// background tasks on the backend's own runtime thread
/// ([`telemetry_api::runtime`]).
pub async fn backend(resource: &Resource) -> Result<Backend, BackendError> {
    let config = Config::from_env(resource)?;
    build(resource, &config).await
}

/// Builds the backend from an explicit configuration. Fails only on
/// configuration errors (an unreadable rules file, no region); an
/// unreachable AWS is not an error: export fails later, is counted, and
/// recovers by itself.
pub async fn build(resource: &Resource, config: &Config) -> Result<Backend, BackendError> {
    // 0. The runtime every background task runs on; it lives as long as the
    // exporter (which holds it) and stops when that is dropped.
    let runtime = Arc::new(ExportRuntime::start("telemetry-awssdk")?);
    let (resource, config, rt) = (resource.clone(), config.clone(), runtime.clone());
    runtime
        .run(async move { build_on_export_runtime(&resource, &config, rt).await })
        .await
}

/// [`build`]'s steps, run on the backend's runtime so that the tasks they
/// spawn (`tokio::spawn`) and the SDK's connections live there.
async fn build_on_export_runtime(
    resource: &Resource,
    config: &Config,
    runtime: Arc<ExportRuntime>,
) -> Result<Backend, BackendError> {
    // 1. Configuration: the AWS SDK's own (region, credentials, endpoints).
    let sdk = sdk_config(config).await?;

    // 2. Resource: who emits, in X-Ray's and CloudWatch's terms.
    let aws_resource = AwsResource::new(resource, config.origin.clone());

    // 3. Sampling: rules from the API, a file, or X-Ray's default. The
    // sampling calls are not counted as span export.
    let sampling_client = aws_sdk_xray::Client::new(&sdk);
    let (rules, source) = sampling::source::load(
        &sampling_client,
        &resource.service_name,
        config.sampling_source,
        config.sampling_rules.as_deref(),
        Duration::from_secs(2),
    )
    .await
    .map_err(BackendError)?;
    let sampler = Arc::new(XraySampler::new(
        resource.service_name.clone(),
        config.origin.clone().unwrap_or_default(),
        rules,
        source.clone(),
    ));
    if source == RulesSource::Api {
        tokio::spawn(telemetry_api::export::without_telemetry(
            sampling::source::poll(sampling_client, sampler.clone()),
        ));
    }

    // 4. Propagation and ids: `X-Amzn-Trace-Id`, X-Ray's trace ids.
    let propagator = Arc::new(XrayPropagator);
    let id_generator = Arc::new(XrayIdGenerator);

    // 5. Traces: segment documents → PutTraceSegments.
    let span_counters = Arc::new(SignalCounters::default());
    let xray = aws_sdk_xray::Client::from_conf(
        aws_sdk_xray::config::Builder::from(&sdk)
            .interceptor(WireCounter(span_counters.clone()))
            .build(),
    );
    let traces = TraceExporter::start(
        xray,
        aws_resource,
        config.traces.clone(),
        span_counters.clone(),
    );

    // 6. Metrics: aggregated per interval → PutMetricData, or EMF lines
    // through a log shipper of their own (counted as metrics). Every interval
    // also carries the drops of all three signals not yet delivered
    // (`shop.telemetry.dropped`, metrics/dropped.rs).
    let metric_counters = Arc::new(SignalCounters::default());
    let log_counters = Arc::new(SignalCounters::default());
    let drops = Arc::new(metrics::dropped::Report::new(PerSignal {
        spans: span_counters.clone(),
        metrics: metric_counters.clone(),
        logs: log_counters.clone(),
    }));
    let emf = (config.metrics.mode == MetricsMode::Emf).then(|| {
        Arc::new(LogShipper::start(
            logs_client(&sdk, &metric_counters),
            config.emf_logs.clone(),
            metric_counters.clone(),
        ))
    });
    let meter_provider = Arc::new(CloudWatchMeterProvider::start(
        aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&sdk)
                .interceptor(WireCounter(metric_counters.clone()))
                .build(),
        ),
        emf.clone(),
        config.metrics.clone(),
        metric_counters.clone(),
        drops,
    ));

    // 7. Logs: JSON lines (rendered by the exporter) → PutLogEvents.
    let renderer = Renderer {
        service: resource.service_name.clone(),
        format_trace_id,
    };
    let logs = LogShipper::start(
        logs_client(&sdk, &log_counters),
        config.logs.clone(),
        log_counters.clone(),
    );

    // 8. Statistics: the counters the three signals fill.
    let stats = Stats {
        spans: span_counters,
        metrics: metric_counters,
        logs: log_counters,
    };

    Ok(Backend {
        name: "awssdk",
        sampler,
        id_generator,
        propagator,
        meter_provider: meter_provider.clone(),
        exporter: Arc::new(AwsSdkExporter {
            traces,
            logs,
            metrics: meter_provider,
            emf,
            renderer,
            stats,
            runtime,
        }),
        format_trace_id,
    })
}

/// The AWS SDK's configuration from its default chain. Retries are ours
/// (counted, [`export::retry`]); each attempt is bounded so a slow endpoint
/// cannot hold a queue for long.
async fn sdk_config(config: &Config) -> Result<SdkConfig, BackendError> {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(config.attempt_timeout)
                .build(),
        )
        .load()
        .await;
    if sdk.region().is_none() {
        return Err(BackendError(
            "no AWS region: set AWS_REGION (the local lab uses us-east-1)".to_owned(),
        ));
    }
    Ok(sdk)
}

/// A CloudWatch Logs client whose calls and bytes count into `counters`.
fn logs_client(sdk: &SdkConfig, counters: &Arc<SignalCounters>) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
            .interceptor(WireCounter(counters.clone()))
            .build(),
    )
}
