//! The reference row: `tracing-opentelemetry`, the common way a Rust service
//! sends its `tracing` spans to OpenTelemetry, over an `opentelemetry_sdk`
//! tracer provider (always-on sampler, random ids, a batch span processor
//! with the SDK's default sizes) whose exporter discards what it gets.
//!
//! Its request path does what a span costs there: the layer builds an
//! OpenTelemetry span from the `tracing` span's fields, the SDK samples it,
//! ends it into `SpanData` and queues it for the batch processor's thread.
//! What the exporter would then do (encode, send) is left out, as for the
//! other rows, whose queues are also drained off the clock. Events become
//! span events (the bridge makes no log records; that would be
//! `opentelemetry-appender-tracing`). No filter beyond `info`, like the
//! shop's telemetry.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Registry};

/// An exporter that counts what reaches it and drops it.
#[derive(Debug)]
struct Discard(Arc<AtomicU64>);

impl SpanExporter for Discard {
    fn export(
        &self,
        batch: Vec<SpanData>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        std::future::ready(Ok(()))
    }
}

pub struct Reference {
    pub dispatch: Dispatch,
    provider: SdkTracerProvider,
    /// Spans that reached the exporter.
    exported: Arc<AtomicU64>,
    /// Spans the benches ended under this set-up (counted outside the timing).
    ended: Cell<u64>,
}

impl Reference {
    pub fn new() -> Reference {
        let exported = Arc::new(AtomicU64::new(0));
        // The SDK's defaults, spelled out: the bench environment sets
        // `OTEL_BSP_*` for the `otel` backend, which the builder would read.
        let processor = BatchSpanProcessor::builder(Discard(exported.clone()))
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_max_queue_size(2048)
                    .with_max_export_batch_size(512)
                    .with_scheduled_delay(Duration::from_secs(5))
                    .build(),
            )
            .build();
        let provider = SdkTracerProvider::builder()
            .with_sampler(Sampler::AlwaysOn)
            .with_span_processor(processor)
            .build();
        let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("shop"));
        let subscriber = Registry::default().with(layer).with(EnvFilter::new("info"));
        Reference {
            dispatch: Dispatch::new(subscriber),
            provider,
            exported,
            ended: Cell::new(0),
        }
    }

    pub fn count_spans(&self, n: u64) {
        self.ended.set(self.ended.get() + n);
    }

    /// Hands everything queued to the exporter and waits for it.
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            eprintln!("shop-benches: flushing the reference: {e}");
        }
    }

    /// Whether every span reached the exporter: a span dropped because the
    /// batch processor's queue (2048) was full costs the request less than
    /// a queued one, so the benches flush often enough that none is.
    pub fn report(&self) {
        self.flush();
        let ended = self.ended.get();
        let exported = self.exported.load(Ordering::Relaxed);
        eprintln!(
            "tracing-opentelemetry: {ended} spans ended, {exported} reached its exporter \
             ({} dropped by its full queue)",
            ended.saturating_sub(exported)
        );
    }

    pub fn shutdown(&self) {
        let _ = self.provider.shutdown();
    }
}
