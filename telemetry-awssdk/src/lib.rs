//! # telemetry-awssdk: the shop's telemetry straight to AWS
//!
//! The `awssdk` backend of the telemetry contract ([`telemetry_api`]). It
//! ships the three signals with the AWS SDK for Rust, as a service would
//! without a collector:
//!
//! | signal | contract | here | AWS API |
//! |---|---|---|---|
//! | traces | `SpanRecord` | segment documents ([`xray::segment`]) | X-Ray `PutTraceSegments` |
//! | sampling | `Sampler` | X-Ray rules: reservoir + fixed rate ([`xray::sampling`]) | `GetSamplingRules`/`GetSamplingTargets` |
//! | ids, propagation | `IdGenerator`, `Propagator` | epoch-prefixed ids, `X-Amzn-Trace-Id` ([`xray::ids`], [`xray::propagation`]) | — |
//! | metrics | `MeterProvider` | per-interval aggregation ([`cloudwatch::metrics`]) | CloudWatch `PutMetricData`, or EMF lines via Logs |
//! | logs | `LogRecord` | JSON lines with the X-Ray trace id ([`cloudwatch::logs`]) | CloudWatch Logs `PutLogEvents` |
//!
//! Every signal has a bounded queue, a background task that batches within
//! the API's limits and retries with backoff ([`pipeline`]), and counters of
//! what was received, sent, dropped, retried, and of the API calls and bytes
//! put on the wire. Nothing here ever blocks or fails a request.
//!
//! Configuration: the AWS SDK's own environment (region, credentials,
//! `AWS_ENDPOINT_URL_XRAY`, `AWS_ENDPOINT_URL_CLOUDWATCH`,
//! `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`, …) and the variables in [`config`].

pub mod cloudwatch;
pub mod config;
pub mod pipeline;
pub mod xray;

use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use telemetry_api::export::{BoxFuture, ExportError, SignalCounters};
use telemetry_api::{Backend, ExportStats, Exporter, LogRecord, Resource, SpanRecord};

use cloudwatch::logs::{LogItem, LogShipper, Renderer};
use cloudwatch::metrics::{CloudWatchMeterProvider, MetricsMode};
use config::Config;
use pipeline::WireCounter;
use xray::exporter::TraceExporter;
use xray::ids::{XrayIdGenerator, format_trace_id};
use xray::propagation::XrayPropagator;
use xray::sampling::XraySampler;
use xray::segment::SegmentContext;

/// Why the backend could not start.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Builds the backend from the environment and starts its background tasks
/// on the current Tokio runtime. Fails only on configuration errors (a bad
/// variable, an unreadable rules file, no region); an unreachable AWS is
/// not an error: export fails later, is counted, and recovers by itself.
pub async fn backend(resource: &Resource) -> Result<Backend, Error> {
    let config = Config::from_env(resource).map_err(Error)?;
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        // Retries are ours (counted); each attempt is bounded so a slow
        // endpoint cannot hold a queue for long.
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(1))
                .operation_attempt_timeout(config.attempt_timeout)
                .build(),
        )
        .load()
        .await;
    if sdk.region().is_none() {
        return Err(Error(
            "no AWS region: set AWS_REGION (the local lab uses us-east-1)".to_owned(),
        ));
    }

    let counters = [
        Arc::new(SignalCounters::default()),
        Arc::new(SignalCounters::default()),
        Arc::new(SignalCounters::default()),
    ];
    let [spans, metrics, logs] = &counters;
    let xray_client = |c: &Arc<SignalCounters>| {
        aws_sdk_xray::Client::from_conf(
            aws_sdk_xray::config::Builder::from(&sdk)
                .interceptor(WireCounter(c.clone()))
                .build(),
        )
    };
    let logs_client = |c: &Arc<SignalCounters>| {
        aws_sdk_cloudwatchlogs::Client::from_conf(
            aws_sdk_cloudwatchlogs::config::Builder::from(&sdk)
                .interceptor(WireCounter(c.clone()))
                .build(),
        )
    };

    // Sampling: rules from the API, a file, or X-Ray's default. The
    // sampling calls are not counted as span export.
    let sampling_client = aws_sdk_xray::Client::new(&sdk);
    let (rules, source) = xray::sampling_source::load(
        &sampling_client,
        &resource.service_name,
        config.sampling_source,
        config.sampling_rules.as_deref(),
        std::time::Duration::from_secs(2),
    )
    .await
    .map_err(Error)?;
    let sampler = Arc::new(XraySampler::new(
        resource.service_name.clone(),
        config.origin.clone().unwrap_or_default(),
        rules,
        source.clone(),
    ));
    if source == xray::sampling::RulesSource::Api {
        tokio::spawn(telemetry_api::export::without_telemetry(
            xray::sampling_source::poll(sampling_client, sampler.clone()),
        ));
    }

    let traces = TraceExporter::start(
        xray_client(spans),
        SegmentContext::new(resource, config.origin.clone()),
        config.traces.clone(),
        spans.clone(),
    );
    let renderer = Renderer {
        service: resource.service_name.clone(),
        format_trace_id,
    };
    let log_shipper = LogShipper::start(
        logs_client(logs),
        config.logs.clone(),
        renderer.clone(),
        logs.clone(),
    );
    let emf = (config.metrics.mode == MetricsMode::Emf).then(|| {
        Arc::new(LogShipper::start(
            logs_client(metrics),
            config.emf_logs.clone(),
            renderer,
            metrics.clone(),
        ))
    });
    let meter_provider = Arc::new(CloudWatchMeterProvider::start(
        aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&sdk)
                .interceptor(WireCounter(metrics.clone()))
                .build(),
        ),
        emf.clone(),
        config.metrics.clone(),
        metrics.clone(),
    ));

    Ok(Backend {
        name: "awssdk",
        sampler,
        id_generator: Arc::new(XrayIdGenerator),
        propagator: Arc::new(XrayPropagator),
        meter_provider: meter_provider.clone(),
        exporter: Arc::new(AwsSdkExporter {
            traces,
            logs: log_shipper,
            metrics: meter_provider,
            emf,
            counters,
        }),
        format_trace_id,
    })
}

/// The contract's exporter: spans to X-Ray, log records to CloudWatch Logs;
/// flush and shutdown reach all three signals.
struct AwsSdkExporter {
    traces: TraceExporter,
    logs: LogShipper,
    metrics: Arc<CloudWatchMeterProvider>,
    emf: Option<Arc<LogShipper>>,
    /// spans, metrics, logs
    counters: [Arc<SignalCounters>; 3],
}

impl Exporter for AwsSdkExporter {
    fn export_span(&self, span: SpanRecord) {
        self.traces.export(span);
    }

    fn export_log(&self, record: &LogRecord) {
        SignalCounters::add(&self.counters[2].received, 1);
        self.logs.send(LogItem::Record(record.clone()));
    }

    fn stats(&self) -> ExportStats {
        ExportStats {
            spans: self.counters[0].snapshot(),
            metrics: self.counters[1].snapshot(),
            logs: self.counters[2].snapshot(),
        }
    }

    fn force_flush(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            // Metrics first: in EMF mode they become log lines to flush next.
            tokio::join!(self.traces.flush(), self.metrics.flush(), self.logs.flush());
            if let Some(emf) = &self.emf {
                emf.flush().await;
            }
            Ok(())
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            tokio::join!(
                self.traces.shutdown(),
                self.metrics.shutdown(),
                self.logs.shutdown()
            );
            if let Some(emf) = &self.emf {
                emf.shutdown().await;
            }
            Ok(())
        })
    }
}
