//! Trace and span ids from the SDK's generators, and how trace ids are
//! written in log lines and the `x-trace-id` response header.
//!
//! - `random` (the default): the SDK's `RandomIdGenerator`, ids written as 32
//!   hex digits (W3C, OTLP);
//! - `xray` (`SHOP_OTEL_ID_GENERATOR`, the default with `OTEL_PROPAGATORS=xray`):
//!   `opentelemetry_aws::trace::XrayIdGenerator` puts the epoch seconds in the
//!   first 32 bits of each trace id so that ADOT's `awsxray` exporter can hand
//!   the same trace to X-Ray; then log lines write trace ids in X-Ray's form
//!   too, so they join in the X-Ray console.

use std::sync::Arc;

use opentelemetry_aws::trace::XrayIdGenerator;
use opentelemetry_sdk::trace::{IdGenerator as SdkIdGenerator, RandomIdGenerator};
use telemetry_api::{IdGenerator, SpanId, TraceId};

use super::convert;
use crate::config::IdScheme;

/// Contract ids from an SDK id generator.
#[derive(Debug)]
pub struct OtelIdGenerator<G>(pub G);

impl<G: SdkIdGenerator + 'static> IdGenerator for OtelIdGenerator<G> {
    fn new_trace_id(&self) -> TraceId {
        convert::api_trace_id(self.0.new_trace_id())
    }
    fn new_span_id(&self) -> SpanId {
        convert::api_span_id(self.0.new_span_id())
    }
}

/// The id generator for a scheme.
pub fn id_generator(scheme: IdScheme) -> Arc<dyn IdGenerator> {
    match scheme {
        IdScheme::Random => Arc::new(OtelIdGenerator(RandomIdGenerator::default())),
        IdScheme::Xray => Arc::new(OtelIdGenerator(XrayIdGenerator::default())),
    }
}

/// 32 hex digits (W3C, OTLP).
pub fn w3c_trace_id(id: TraceId) -> String {
    id.to_hex()
}

/// X-Ray's form, `1-<8 hex digits of epoch seconds>-<24 hex digits>`: what
/// the X-Ray console and CloudWatch Logs' trace links search for.
pub fn xray_trace_id(id: TraceId) -> String {
    let hex = id.to_hex();
    format!("1-{}-{}", &hex[..8], &hex[8..])
}

/// The log format that matches an id scheme.
pub fn format_trace_id(scheme: IdScheme) -> fn(TraceId) -> String {
    match scheme {
        IdScheme::Random => w3c_trace_id,
        IdScheme::Xray => xray_trace_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xray_ids_start_with_the_epoch_seconds() {
        let g = id_generator(IdScheme::Xray);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let id = g.new_trace_id();
        let secs = (id.0 >> 96) as u64;
        assert!(secs.abs_diff(now) < 5, "{secs} vs {now}");
        assert!(g.new_span_id().is_valid());
    }

    #[test]
    fn xray_form_puts_the_epoch_seconds_first() {
        assert_eq!(
            xray_trace_id(TraceId(0x5759e988_bd862e3fe1be46a994272793)),
            "1-5759e988-bd862e3fe1be46a994272793"
        );
        assert_eq!(
            w3c_trace_id(TraceId(0x5759e988_bd862e3fe1be46a994272793)),
            "5759e988bd862e3fe1be46a994272793"
        );
    }
}
