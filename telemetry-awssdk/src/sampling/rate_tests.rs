//! Statistical tests of the X-Ray rule's two budgets: the fixed rate is an
//! unbiased coin (a binomial test), the reservoir an exact count per second.
//!
//! Deterministic: the coin is a seeded `Xoshiro256PlusPlus` (a portable
//! generator whose stream is fixed for a given seed) and the clock is a
//! simulated second passed to `decide_at`, so these tests never flake. The
//! seeds are arbitrary; a biased sampler would fail for almost any seed.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use telemetry_api::binomial::acceptance_interval;
use telemetry_api::sampling::SamplingParams;
use telemetry_api::{SpanKind, TraceId};

use super::{Rule, RulesSource, XraySampler};

/// Decisions per rate: enough that a 1-point bias at p = 0.5 is caught.
const N: u64 = 20_000;
/// 99.9 % two-sided acceptance interval.
const ALPHA: f64 = 0.001;
/// Some simulated epoch second (late 2023).
const T0: u64 = 1_700_000_000;

fn sampler(reservoir: u32, rate: f64) -> XraySampler {
    XraySampler::new(
        "shop",
        "",
        vec![Rule::catch_all("Default", reservoir, rate)],
        RulesSource::Default,
    )
}

fn params() -> SamplingParams<'static> {
    SamplingParams {
        remote_parent: None,
        trace_id: TraceId(1),
        name: "GET /api/products",
        kind: SpanKind::Server,
        attributes: &[],
    }
}

#[test]
fn the_fixed_rate_is_a_binomial_share() {
    for (seed, rate) in [(1_u64, 0.05), (2, 0.5), (3, 0.01)] {
        // Reservoir 0: a pure fixed rate.
        let s = sampler(0, rate);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let sampled = (0..N)
            .filter(|i| s.decide_at(&params(), T0 + i / 100, || rng.random::<f64>()))
            .count() as u64;
        let (lo, hi) = acceptance_interval(N, rate, ALPHA);
        assert!(
            (lo..=hi).contains(&sampled),
            "rate {rate}: {sampled} of {N} sampled, 99.9 % interval [{lo}, {hi}]"
        );
    }
}

#[test]
fn the_reservoir_takes_exactly_r_per_second() {
    for reservoir in [1_u32, 3, 10] {
        let s = sampler(reservoir, 0.0);
        // The coin is never needed with rate 0, but any draw must say no.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for second in T0..T0 + 60 {
            let sampled = (0..50)
                .filter(|_| s.decide_at(&params(), second, || rng.random::<f64>()))
                .count();
            assert_eq!(sampled, reservoir as usize, "second {second}");
        }
        // Fewer requests than the budget: all of them.
        let sampled = (0..reservoir - 1)
            .filter(|_| s.decide_at(&params(), T0 + 1000, || rng.random::<f64>()))
            .count();
        assert_eq!(sampled, reservoir as usize - 1);
    }
}

#[test]
fn the_rate_applies_to_what_the_reservoir_leaves() {
    // X-Ray's default rule: 1 per second, then 5 % of the rest.
    let (seconds, per_second) = (100_u64, 201_u64);
    let s = sampler(1, 0.05);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut sampled = 0_u64;
    for second in T0..T0 + seconds {
        for _ in 0..per_second {
            if s.decide_at(&params(), second, || rng.random::<f64>()) {
                sampled += 1;
            }
        }
    }
    let by_rate = sampled - seconds;
    let rest = seconds * (per_second - 1);
    let (lo, hi) = acceptance_interval(rest, 0.05, ALPHA);
    assert!(
        (lo..=hi).contains(&by_rate),
        "{by_rate} of {rest} sampled by the rate, 99.9 % interval [{lo}, {hi}]"
    );
    let stats = &s.rules()[0].stats;
    assert_eq!(
        stats.requests.load(std::sync::atomic::Ordering::Relaxed),
        seconds * per_second
    );
    assert_eq!(
        stats.sampled.load(std::sync::atomic::Ordering::Relaxed),
        sampled
    );
}
