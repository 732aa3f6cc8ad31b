//! Shared set-up for the criterion benches: telemetry built on a backend
//! whose exporter discards everything, so a bench measures what the shop's
//! request path pays (the tracing glue, id generation, sampling, record
//! building) and not the sink.
//!
//! Run with `make bench` (or `cargo bench -p shop-benches`). The backends'
//! own benches (X-Ray segment JSON vs OTLP protobuf encoding, their exporters'
//! hot paths) and the `tracing-opentelemetry` reference join these with the
//! comparison-lab issue.

use std::sync::Arc;

use telemetry_api::context::RandomIdGenerator;
use telemetry_api::metrics::NoopMeterProvider;
use telemetry_api::noop::NoopExporter;
use telemetry_api::propagation::NoopPropagator;
use telemetry_api::sampling::{AlwaysOff, AlwaysOn, Sampler};
use telemetry_api::{Backend, Resource, Telemetry};

/// Telemetry whose spans are sampled (or not) and then discarded.
pub fn discarding(sampled: bool) -> Telemetry {
    let sampler: Arc<dyn Sampler> = if sampled {
        Arc::new(AlwaysOn)
    } else {
        Arc::new(AlwaysOff)
    };
    let backend = Backend {
        name: "discard",
        sampler,
        id_generator: Arc::new(RandomIdGenerator),
        propagator: Arc::new(NoopPropagator),
        meter_provider: Arc::new(NoopMeterProvider),
        exporter: Arc::new(NoopExporter),
        format_trace_id: |id| id.to_hex(),
    };
    Telemetry::builder(backend, Resource::new("bench", "0"))
        .build()
        .expect("the default filter parses")
}
