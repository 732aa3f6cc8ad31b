//! Statistics over repeats that hold up: paired estimates, a bootstrap
//! confidence interval, and a three-way verdict against a target.
//!
//! Each repeat runs every build back to back (interleaved, see
//! [`crate::plan`]), so a build's repeat *i* and `noop`'s repeat *i* saw the
//! same machine in the same state. Pairing them — one ratio or one
//! difference per repeat — cancels the drift between repeats (a warming
//! machine, a noisy neighbour) instead of adding it to the spread.
//!
//! The interval is a percentile bootstrap of the median of those paired
//! values: resample the repeats with replacement many times, take each
//! resample's median, and keep the 2.5th and 97.5th percentiles. The
//! resampling uses a fixed seed, so the same results always render the same
//! interval (a re-render of `REPORT.md` is byte-identical).
//!
//! A target is then *met* when the whole interval is on its good side,
//! *missed* when the whole interval is on the bad side, and *undetermined*
//! when the interval straddles it or is unknown (fewer than 2 repeats).

use serde::{Deserialize, Serialize};

use crate::scenario::SplitMix64;

/// Bootstrap resamples per interval: enough that the percentiles are stable
/// to well below the precision the report prints.
pub const RESAMPLES: usize = 10_000;

/// The bootstrap's fixed seed (any constant does; a fixed one keeps re-renders identical).
pub const SEED: u64 = 0xB007_5742;

/// A median over paired repeats, with its 95 % bootstrap interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The median of the paired values.
    pub median: f64,
    /// The 95 % interval `(low, high)`; `None` with fewer than 2 paired repeats.
    pub ci95: Option<(f64, f64)>,
    /// How many paired repeats the estimate rests on.
    pub n: usize,
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The `q`-quantile (0..=1) of sorted `v`, by linear interpolation between ranks.
fn quantile(v: &[f64], q: f64) -> f64 {
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// The median of `values` with a seeded percentile-bootstrap 95 % interval
/// (`resamples` resamples). With fewer than 2 values the interval is unknown:
/// one repeat says nothing about how much a second one would differ.
pub fn bootstrap_median(values: &[f64], resamples: usize, seed: u64) -> Estimate {
    let n = values.len();
    let ci95 = (n >= 2 && resamples > 0).then(|| {
        let mut rng = SplitMix64::new(seed);
        let mut sample = vec![0.0; n];
        let mut medians: Vec<f64> = (0..resamples)
            .map(|_| {
                for s in sample.iter_mut() {
                    *s = values[rng.below(n as u64) as usize];
                }
                median(&sample)
            })
            .collect();
        medians.sort_by(f64::total_cmp);
        (quantile(&medians, 0.025), quantile(&medians, 0.975))
    });
    Estimate {
        median: median(values),
        ci95,
        n,
    }
}

/// [`bootstrap_median`] with the report's resample count and seed.
pub fn estimate(values: &[f64]) -> Estimate {
    bootstrap_median(values, RESAMPLES, SEED)
}

/// One measured value per repeat index, as `(repeat, value)`.
pub type PerRepeat = [(usize, f64)];

/// Pairs `config` with `noop` by repeat index and combines each pair with
/// `f`; repeats that only one side has are left out (a failed run does not
/// get paired with a neighbour's baseline).
pub fn paired(config: &PerRepeat, noop: &PerRepeat, f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    config
        .iter()
        .filter_map(|(r, c)| noop.iter().find(|(nr, _)| nr == r).map(|(_, b)| f(*c, *b)))
        .collect()
}

/// Paired ratios: config's repeat *i* ÷ `noop`'s repeat *i*.
pub fn ratios(config: &PerRepeat, noop: &PerRepeat) -> Vec<f64> {
    paired(config, noop, |c, b| c / b.max(1e-12))
}

/// Paired differences: config's repeat *i* − `noop`'s repeat *i* (e.g. CPU µs per request added).
pub fn differences(config: &PerRepeat, noop: &PerRepeat) -> Vec<f64> {
    paired(config, noop, |c, b| c - b)
}

/// Which side of a target is good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The value must be at most the target (added latency, CPU).
    AtMost,
    /// The value must be at least the target (throughput ratio).
    AtLeast,
}

/// The three-way outcome of checking an estimate against a target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The whole interval is on the good side.
    Met,
    /// The whole interval is on the bad side.
    Missed,
    /// The interval straddles the target, or is unknown (fewer than 2 repeats).
    Undetermined,
}

impl Verdict {
    /// Judges `estimate` against `target` in `direction`. An interval end
    /// exactly on the target counts as on the good side (the target says "at
    /// most" / "at least").
    pub fn of(estimate: &Estimate, target: f64, direction: Direction) -> Verdict {
        let Some((low, high)) = estimate.ci95 else {
            return Verdict::Undetermined;
        };
        let (good, bad) = match direction {
            Direction::AtMost => (high <= target, low > target),
            Direction::AtLeast => (low >= target, high < target),
        };
        if good {
            Verdict::Met
        } else if bad {
            Verdict::Missed
        } else {
            Verdict::Undetermined
        }
    }

    /// ✅, ❌ or ❔ with the word, as the report prints it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Met => "✅ met",
            Verdict::Missed => "❌ missed",
            Verdict::Undetermined => "❔ undetermined",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(median: f64, low: f64, high: f64) -> Estimate {
        Estimate {
            median,
            ci95: Some((low, high)),
            n: 10,
        }
    }

    #[test]
    fn ratios_and_differences_pair_by_repeat_not_by_position() {
        let config = [(0, 90.0), (1, 80.0), (2, 50.0)];
        // noop's repeats in another order, and no repeat 2: that one is left out.
        let noop = [(1, 100.0), (0, 100.0)];
        assert_eq!(ratios(&config, &noop), vec![0.9, 0.8]);
        assert_eq!(differences(&config, &noop), vec![-10.0, -20.0]);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn fewer_than_two_repeats_have_no_interval_and_no_verdict() {
        let e = estimate(&[0.97]);
        assert_eq!((e.median, e.ci95, e.n), (0.97, None, 1));
        assert_eq!(
            Verdict::of(&e, 0.95, Direction::AtLeast),
            Verdict::Undetermined
        );
        assert_eq!(estimate(&[]).ci95, None);
    }

    #[test]
    fn identical_repeats_have_a_zero_width_interval() {
        let e = estimate(&[5.0; 10]);
        assert_eq!(e.ci95, Some((5.0, 5.0)));
    }

    #[test]
    fn the_interval_holds_the_median_and_stays_within_the_data() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let e = estimate(&v);
        let (low, high) = e.ci95.unwrap();
        assert_eq!(e.median, 5.5);
        assert!(
            (1.0..5.5).contains(&low) && high > 5.5 && high <= 10.0,
            "{low}..{high}"
        );
        // The median of 10 resampled values rarely leaves the middle: 3..8 is generous.
        assert!(low >= 3.0 && high <= 8.0, "{low}..{high}");
    }

    #[test]
    fn the_bootstrap_is_deterministic_for_a_seed() {
        let v = [0.91, 0.95, 0.97, 0.99, 1.02, 0.93, 0.96, 0.98, 1.0, 0.94];
        assert_eq!(estimate(&v), estimate(&v));
        assert_ne!(
            bootstrap_median(&v, 200, 1).ci95,
            bootstrap_median(&v, 200, 2).ci95,
            "another seed draws other resamples"
        );
    }

    #[test]
    fn verdicts_at_most() {
        assert_eq!(
            Verdict::of(&est(300.0, 200.0, 400.0), 500.0, Direction::AtMost),
            Verdict::Met
        );
        assert_eq!(
            Verdict::of(&est(700.0, 600.0, 800.0), 500.0, Direction::AtMost),
            Verdict::Missed
        );
        // Straddles: the median is under the target, but the interval is not.
        assert_eq!(
            Verdict::of(&est(450.0, 300.0, 600.0), 500.0, Direction::AtMost),
            Verdict::Undetermined
        );
        assert_eq!(
            Verdict::of(&est(400.0, 300.0, 500.0), 500.0, Direction::AtMost),
            Verdict::Met
        );
    }

    #[test]
    fn verdicts_at_least() {
        assert_eq!(
            Verdict::of(&est(0.97, 0.96, 0.98), 0.95, Direction::AtLeast),
            Verdict::Met
        );
        assert_eq!(
            Verdict::of(&est(0.90, 0.88, 0.93), 0.95, Direction::AtLeast),
            Verdict::Missed
        );
        assert_eq!(
            Verdict::of(&est(0.96, 0.93, 0.98), 0.95, Direction::AtLeast),
            Verdict::Undetermined
        );
    }

    #[test]
    fn a_straddling_interval_from_real_resampling_is_undetermined() {
        // Ratios scattered either side of 0.95: the data cannot say which side is true.
        let v = [0.90, 0.99, 0.92, 0.98, 0.93, 0.97, 0.94, 0.96, 0.91, 1.0];
        let e = estimate(&v);
        let (low, high) = e.ci95.unwrap();
        assert!(low < 0.95 && high > 0.95, "{low}..{high}");
        assert_eq!(
            Verdict::of(&e, 0.95, Direction::AtLeast),
            Verdict::Undetermined
        );
        // The same data, clearly above 0.85 and clearly below 1.05.
        assert_eq!(Verdict::of(&e, 0.85, Direction::AtLeast), Verdict::Met);
        assert_eq!(Verdict::of(&e, 0.85, Direction::AtMost), Verdict::Missed);
    }
}
