//! The OTLP exporters of the three signals, over HTTP (`http/protobuf`) or
//! gRPC (tonic), each wrapped in its counting exporter.
//!
//! The exporters themselves read the specification's endpoint, header,
//! compression and timeout variables (`OTEL_EXPORTER_OTLP[_SIGNAL]_*`); this
//! module only chooses the transport per signal and plugs in the counting
//! parts (see [`crate::stats`]).
//!
//! Retries: the OTLP exporters retry transient failures (connection errors,
//! HTTP 429/502/503/504, gRPC `UNAVAILABLE`, …) twice with a short
//! exponential backoff, so that a collector restart of a second or so loses
//! nothing; a batch that still fails is dropped and counted. Longer outages
//! are the collector's job (rotel and ADOT keep retrying for minutes).

use std::sync::Arc;
use std::time::Duration;

use opentelemetry_otlp::{
    LogExporter, MetricExporter, RetryPolicy, SpanExporter, WithExportConfig, WithHttpConfig,
    WithTonicConfig,
};
use opentelemetry_sdk::metrics::Temporality;

use crate::config::{Protocol, Transport};
use crate::stats::{CountingHttpClient, Tally};
use telemetry_api::BackendError;

fn retry_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_retries(2)
        .with_initial_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(1))
}

/// The HTTP client for one signal: counts calls and bytes; `reqwest` with no
/// TLS (the collector is a local sidecar; an `https` endpoint fails at the
/// first export with an error saying so).
fn http_client(t: &Transport, tally: &Arc<Tally>) -> Result<CountingHttpClient, BackendError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
        BackendError("the otel backend must be built inside a Tokio runtime".to_owned())
    })?;
    let client = reqwest::Client::builder()
        .timeout(t.timeout)
        .build()
        .map_err(|e| BackendError(format!("building the OTLP HTTP client: {e}")))?;
    Ok(CountingHttpClient {
        client,
        runtime,
        tally: tally.clone(),
    })
}

/// Counts each gRPC request (retries included); tonic does not expose the
/// encoded size here, so gRPC `bytes` stay 0.
fn grpc_interceptor(
    tally: &Arc<Tally>,
) -> impl FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status>
+ Clone
+ Send
+ Sync
+ 'static {
    let tally = tally.clone();
    move |request| {
        tally.api_call(0);
        crate::stats::sink_check()?;
        Ok(request)
    }
}

fn build_error(
    signal: &str,
) -> impl FnOnce(opentelemetry_otlp::ExporterBuildError) -> BackendError + '_ {
    move |e| BackendError(format!("building the OTLP {signal} exporter: {e}"))
}

/// The OTLP span exporter for a transport.
pub fn span_exporter(t: &Transport, tally: &Arc<Tally>) -> Result<SpanExporter, BackendError> {
    match t.protocol {
        Protocol::HttpProtobuf => SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_http_client(http_client(t, tally)?)
            .with_retry_policy(retry_policy())
            .build(),
        Protocol::Grpc => SpanExporter::builder()
            .with_tonic()
            .with_protocol(opentelemetry_otlp::Protocol::Grpc)
            .with_interceptor(grpc_interceptor(tally))
            .with_retry_policy(retry_policy())
            .build(),
    }
    .map_err(build_error("span"))
}

/// The OTLP log exporter for a transport.
pub fn log_exporter(t: &Transport, tally: &Arc<Tally>) -> Result<LogExporter, BackendError> {
    match t.protocol {
        Protocol::HttpProtobuf => LogExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_http_client(http_client(t, tally)?)
            .with_retry_policy(retry_policy())
            .build(),
        Protocol::Grpc => LogExporter::builder()
            .with_tonic()
            .with_protocol(opentelemetry_otlp::Protocol::Grpc)
            .with_interceptor(grpc_interceptor(tally))
            .with_retry_policy(retry_policy())
            .build(),
    }
    .map_err(build_error("log"))
}

/// The OTLP metric exporter for a transport and temporality.
pub fn metric_exporter(
    t: &Transport,
    tally: &Arc<Tally>,
    temporality: Temporality,
) -> Result<MetricExporter, BackendError> {
    match t.protocol {
        Protocol::HttpProtobuf => MetricExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_http_client(http_client(t, tally)?)
            .with_retry_policy(retry_policy())
            .with_temporality(temporality)
            .build(),
        Protocol::Grpc => MetricExporter::builder()
            .with_tonic()
            .with_protocol(opentelemetry_otlp::Protocol::Grpc)
            .with_interceptor(grpc_interceptor(tally))
            .with_retry_policy(retry_policy())
            .with_temporality(temporality)
            .build(),
    }
    .map_err(build_error("metric"))
}
