//! Head sampling: whether a new trace is recorded. The decision is made once
//! for the root span of a trace in this process and inherited by every child.
//! Backends bring their own sampler (X-Ray rules with reservoir and fixed
//! rate; OpenTelemetry's `OTEL_TRACES_SAMPLER`); the simple ones here serve the
//! `noop` and recording backends and the benches.

use crate::context::{SpanContext, TraceId};
use crate::record::SpanKind;
use crate::value::KeyValue;

/// What a sampler may look at when a trace starts in this process.
#[derive(Debug)]
pub struct SamplingParams<'a> {
    /// The upstream context, when the request carried one.
    pub remote_parent: Option<&'a SpanContext>,
    pub trace_id: TraceId,
    pub name: &'a str,
    pub kind: SpanKind,
    /// The attributes the root span was created with (for HTTP server spans:
    /// method, route, path, host), which rule-based samplers match on.
    pub attributes: &'a [KeyValue],
}

/// Decides whether a trace is sampled.
pub trait Sampler: Send + Sync + 'static {
    fn should_sample(&self, params: &SamplingParams<'_>) -> bool;
    /// Whether [`SamplingParams::name`], `kind` and `attributes` matter to
    /// this sampler. When not, the glue skips capturing a root span's fields
    /// before deciding, so unsampled traces stay cheap; the sampler then sees
    /// the span's static name, `Internal` and no attributes.
    fn uses_attributes(&self) -> bool {
        true
    }
    /// A short description for logs and the report, e.g. `ParentBased(ratio=0.05)`.
    fn description(&self) -> String;
}

/// Samples everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct AlwaysOn;

impl Sampler for AlwaysOn {
    fn should_sample(&self, _: &SamplingParams<'_>) -> bool {
        true
    }
    fn uses_attributes(&self) -> bool {
        false
    }
    fn description(&self) -> String {
        "AlwaysOn".to_owned()
    }
}

/// Samples nothing (spans still get ids, so logs carry trace ids and
/// propagation works, but nothing is recorded or exported).
#[derive(Debug, Default, Clone, Copy)]
pub struct AlwaysOff;

impl Sampler for AlwaysOff {
    fn should_sample(&self, _: &SamplingParams<'_>) -> bool {
        false
    }
    fn uses_attributes(&self) -> bool {
        false
    }
    fn description(&self) -> String {
        "AlwaysOff".to_owned()
    }
}

/// Where a trace id falls in `0.0..1.0`: its low 56 bits, which are uniformly
/// distributed for random ids (also for X-Ray ids, whose top 32 bits are a
/// timestamp). Every ratio decision by trace id uses it, so a trace kept at a
/// smaller ratio is also kept at any larger one (the debug logs of
/// [`crate::layer::TelemetryLayer::debug_sampling`] fall on sampled traces).
pub fn trace_fraction(trace_id: TraceId) -> f64 {
    let low = (trace_id.0 as u64) & ((1 << 56) - 1);
    low as f64 / (1u64 << 56) as f64
}

/// Honours an upstream decision when there is one; otherwise samples a fixed
/// fraction of traces, deterministically by trace id (so every service
/// seeing the same trace id decides the same way).
#[derive(Debug, Clone, Copy)]
pub struct ParentBasedRatio {
    ratio: f64,
}

impl ParentBasedRatio {
    /// `ratio` is clamped to 0.0..=1.0.
    pub fn new(ratio: f64) -> Self {
        ParentBasedRatio {
            ratio: if ratio.is_nan() {
                0.0
            } else {
                ratio.clamp(0.0, 1.0)
            },
        }
    }
}

impl Sampler for ParentBasedRatio {
    fn should_sample(&self, params: &SamplingParams<'_>) -> bool {
        if let Some(parent) = params.remote_parent {
            return parent.sampled;
        }
        trace_fraction(params.trace_id) < self.ratio
    }
    fn uses_attributes(&self) -> bool {
        false
    }
    fn description(&self) -> String {
        format!("ParentBased(ratio={})", self.ratio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{IdGenerator, RandomIdGenerator, SpanId};

    fn params(trace_id: TraceId, parent: Option<&SpanContext>) -> SamplingParams<'_> {
        SamplingParams {
            remote_parent: parent,
            trace_id,
            name: "x",
            kind: SpanKind::Server,
            attributes: &[],
        }
    }

    #[test]
    fn ratio_sampler_samples_about_the_ratio_and_honours_parents() {
        let s = ParentBasedRatio::new(0.05);
        let ids = RandomIdGenerator;
        let n = 200_000;
        let hits = (0..n)
            .filter(|_| s.should_sample(&params(ids.new_trace_id(), None)))
            .count();
        let share = hits as f64 / n as f64;
        assert!((0.045..0.055).contains(&share), "share {share}");

        let parent_no = SpanContext::remote(TraceId(1), SpanId(1), false);
        let parent_yes = SpanContext::remote(TraceId(1), SpanId(1), true);
        assert!(!ParentBasedRatio::new(1.0).should_sample(&params(TraceId(7), Some(&parent_no))));
        assert!(ParentBasedRatio::new(0.0).should_sample(&params(TraceId(7), Some(&parent_yes))));
    }
}
