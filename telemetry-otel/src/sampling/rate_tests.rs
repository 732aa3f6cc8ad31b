//! Statistical tests of the SDK's ratio samplers (`traceidratio`,
//! `parentbased_traceidratio`) as the shop asks them, with both id schemes.
//!
//! The SDK decides from the trace id alone: the lower 64 bits, shifted
//! right by one, compared with `rate · 2^63`. So the test is about the ids:
//! W3C ids are 128 random bits; X-Ray ids put the epoch seconds in the
//! first 32 bits (`SHOP_OTEL_ID_GENERATOR=xray`), so a sampler that read
//! those bits would sample a whole second or none of it, and the count
//! would leave the binomial interval by far.
//!
//! The SDK's id generators take no seed, so the main test builds ids of
//! each shape from a seeded `Xoshiro256PlusPlus` (deterministic, never
//! flaky); `the_real_generators_have_that_shape` checks the shape against
//! the generators themselves, and `the_real_generators_pass_too` runs the
//! real generators through a much wider interval (wrong by chance once in a
//! billion runs).

use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, SeedableRng};
use telemetry_api::binomial::acceptance_interval;
use telemetry_api::sampling::{Sampler, SamplingParams};
use telemetry_api::{SpanKind, TraceId};

use crate::config::{IdScheme, SamplerChoice};
use crate::sampling::OtelSampler;
use crate::traces::ids::id_generator;

/// Decisions per rate and sampler.
const N: u64 = 20_000;
/// 99.9 % two-sided acceptance interval.
const ALPHA: f64 = 0.001;
/// Some simulated epoch second (late 2023).
const T0: u64 = 1_700_000_000;
const RATES: [f64; 3] = [0.05, 0.5, 0.01];

fn decide(s: &OtelSampler, trace_id: TraceId) -> bool {
    s.should_sample(&SamplingParams {
        remote_parent: None,
        trace_id,
        name: "GET /api/products",
        kind: SpanKind::Server,
        attributes: &[],
    })
}

/// `N` ids of a scheme's shape from a seed. X-Ray ids advance one second
/// per 1 000 ids, as a busy shop's would.
fn seeded_ids(scheme: IdScheme, seed: u64) -> Vec<TraceId> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..N)
        .map(|i| {
            let random = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            TraceId(match scheme {
                IdScheme::Random => random,
                IdScheme::Xray => (u128::from(T0 + i / 1000) << 96) | (random >> 32),
            })
        })
        .collect()
}

/// The sampled count of both ratio samplers at `rate` over `ids`, which
/// must agree: with no parent, `parentbased_traceidratio` is the ratio.
fn sampled(rate: f64, ids: &[TraceId]) -> u64 {
    let plain = OtelSampler::new(SamplerChoice::TraceIdRatio(rate));
    let parent_based = OtelSampler::new(SamplerChoice::ParentBasedTraceIdRatio(rate));
    let mut count = 0;
    for &id in ids {
        let decision = decide(&plain, id);
        assert_eq!(decision, decide(&parent_based, id), "{id:?}");
        count += u64::from(decision);
    }
    count
}

#[test]
fn the_ratio_is_a_binomial_share_with_both_id_schemes() {
    for (scheme, seed) in [(IdScheme::Random, 100_u64), (IdScheme::Xray, 200)] {
        for (i, rate) in RATES.into_iter().enumerate() {
            let ids = seeded_ids(scheme, seed + i as u64);
            let count = sampled(rate, &ids);
            let (lo, hi) = acceptance_interval(N, rate, ALPHA);
            assert!(
                (lo..=hi).contains(&count),
                "{scheme:?} ids, rate {rate}: {count} of {N} sampled, 99.9 % interval [{lo}, {hi}]"
            );
        }
    }
}

#[test]
fn the_real_generators_have_that_shape() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    let before = now();
    let id = id_generator(IdScheme::Xray).new_trace_id();
    let after = now();
    let seconds = (id.0 >> 96) as u64;
    assert!(
        (before..=after).contains(&seconds),
        "{id:?}: first 32 bits {seconds}, clock {before}..{after}"
    );
}

#[test]
fn the_real_generators_pass_too() {
    for scheme in [IdScheme::Random, IdScheme::Xray] {
        let generator = id_generator(scheme);
        for rate in RATES {
            let ids: Vec<TraceId> = (0..N).map(|_| generator.new_trace_id()).collect();
            let count = sampled(rate, &ids);
            let (lo, hi) = acceptance_interval(N, rate, 1e-9);
            assert!(
                (lo..=hi).contains(&count),
                "{scheme:?} generator, rate {rate}: {count} of {N} sampled, interval [{lo}, {hi}]"
            );
        }
    }
}
