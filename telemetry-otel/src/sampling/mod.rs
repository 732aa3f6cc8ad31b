//! Head sampling with the OpenTelemetry SDK's samplers.
//!
//! The tracing glue in `telemetry-api` asks the backend's sampler once per
//! trace, at the local root. This adapter answers with the SDK's own
//! `Sampler` (`AlwaysOn`, `AlwaysOff`, `TraceIdRatioBased`, `ParentBased`),
//! chosen by `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` (see
//! [`crate::config`]), so the decisions are exactly the SDK's — including the
//! ratio sampler's use of the trace id, which makes every service of a trace
//! decide the same way. (The `awssdk` backend answers with X-Ray's sampling
//! rules instead.)

#[cfg(test)]
mod rate_tests;

use opentelemetry::Context;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::trace::{Sampler as SdkSampler, SamplingDecision, ShouldSample};
use telemetry_api::sampling::{Sampler, SamplingParams};

use crate::config::SamplerChoice;
use crate::traces::convert;

/// A contract [`Sampler`] that delegates to an SDK sampler.
#[derive(Debug, Clone)]
pub struct OtelSampler {
    inner: SdkSampler,
    description: String,
}

impl OtelSampler {
    /// The SDK sampler for a configured choice.
    pub fn new(choice: SamplerChoice) -> OtelSampler {
        let (inner, description) = match choice {
            SamplerChoice::AlwaysOn => (SdkSampler::AlwaysOn, "always_on".to_owned()),
            SamplerChoice::AlwaysOff => (SdkSampler::AlwaysOff, "always_off".to_owned()),
            SamplerChoice::TraceIdRatio(r) => (
                SdkSampler::TraceIdRatioBased(r),
                format!("traceidratio({r})"),
            ),
            SamplerChoice::ParentBasedAlwaysOn => (
                SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOn)),
                "parentbased_always_on".to_owned(),
            ),
            SamplerChoice::ParentBasedAlwaysOff => (
                SdkSampler::ParentBased(Box::new(SdkSampler::AlwaysOff)),
                "parentbased_always_off".to_owned(),
            ),
            SamplerChoice::ParentBasedTraceIdRatio(r) => (
                SdkSampler::ParentBased(Box::new(SdkSampler::TraceIdRatioBased(r))),
                format!("parentbased_traceidratio({r})"),
            ),
        };
        OtelSampler { inner, description }
    }
}

impl Sampler for OtelSampler {
    fn should_sample(&self, params: &SamplingParams<'_>) -> bool {
        // The SDK samplers read the parent from a `Context`; only a remote
        // parent needs one (the glue never asks for local children).
        let parent = params
            .remote_parent
            .map(|p| Context::new().with_remote_span_context(convert::span_context(p)));
        let result = self.inner.should_sample(
            parent.as_ref(),
            convert::trace_id(params.trace_id),
            params.name,
            &convert::span_kind(params.kind),
            &[],
            &[],
        );
        result.decision == SamplingDecision::RecordAndSample
    }

    /// None of the SDK's built-in samplers looks at attributes, so the glue
    /// may decide before capturing a root span's fields.
    fn uses_attributes(&self) -> bool {
        false
    }

    fn description(&self) -> String {
        self.description.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_api::context::RandomIdGenerator;
    use telemetry_api::{IdGenerator, SpanContext, SpanId, SpanKind, TraceId};

    fn decide(s: &OtelSampler, trace_id: TraceId, parent: Option<&SpanContext>) -> bool {
        s.should_sample(&SamplingParams {
            remote_parent: parent,
            trace_id,
            name: "GET /",
            kind: SpanKind::Server,
            attributes: &[],
        })
    }

    #[test]
    fn parent_based_honours_the_remote_decision() {
        let s = OtelSampler::new(SamplerChoice::ParentBasedTraceIdRatio(0.0));
        let yes = SpanContext::remote(TraceId(7), SpanId(1), true);
        let no = SpanContext::remote(TraceId(7), SpanId(1), false);
        assert!(decide(&s, TraceId(7), Some(&yes)));
        assert!(!decide(&s, TraceId(7), Some(&no)));
        assert!(!decide(&s, TraceId(7), None));
        let on = OtelSampler::new(SamplerChoice::ParentBasedAlwaysOn);
        assert!(decide(&on, TraceId(7), None));
        assert!(!decide(&on, TraceId(7), Some(&no)));
        // A non-parent-based sampler ignores the caller.
        let always = OtelSampler::new(SamplerChoice::AlwaysOn);
        assert!(decide(&always, TraceId(7), Some(&no)));
    }

    #[test]
    fn ratio_samples_about_the_ratio() {
        let s = OtelSampler::new(SamplerChoice::TraceIdRatio(0.25));
        let ids = RandomIdGenerator;
        let n = 20_000;
        let hits = (0..n)
            .filter(|_| decide(&s, ids.new_trace_id(), None))
            .count();
        let share = hits as f64 / n as f64;
        assert!((0.22..0.28).contains(&share), "share {share}");
        assert_eq!(s.description(), "traceidratio(0.25)");
    }
}
