//! The exact binomial acceptance interval, for statistical tests of samplers.
//!
//! A ratio sampler at rate `p` asked `n` times samples a Binomial(`n`, `p`)
//! number of traces. A test that draws its decisions from a fixed seed is
//! deterministic, and checking the count against this interval says whether
//! the sampler is *unbiased*: a correct sampler falls outside it only with
//! probability `alpha` over all seeds, a biased one falls outside it almost
//! always once `n` is large.
//!
//! The interval is computed exactly from the binomial distribution, not
//! from the normal approximation: at `p = 0.01` and `n = 20 000` the mean is
//! only 200 and the distribution is visibly skewed, which is exactly where
//! the approximation's tails are least trustworthy. The exact sum costs `n`
//! floating-point steps, nothing for a test.

/// The two-sided acceptance interval `[lo, hi]` for the number of
/// successes in `n` independent trials of probability `p`: the counts `k`
/// with `P(X ≤ k) > alpha/2` and `P(X ≥ k) > alpha/2`. A count outside it
/// rejects "the rate is `p`" at significance `alpha` (e.g. 0.001 for a
/// 99.9 % interval).
pub fn acceptance_interval(n: u64, p: f64, alpha: f64) -> (u64, u64) {
    let pmf = pmf(n, p);
    let half = alpha / 2.0;
    // Each tail is summed from its own end, so small terms are added first.
    let mut lower = 0.0;
    let mut lo = 0;
    for (k, mass) in pmf.iter().enumerate() {
        lower += mass;
        if lower > half {
            lo = k as u64;
            break;
        }
    }
    let mut upper = 0.0;
    let mut hi = n;
    for (k, mass) in pmf.iter().enumerate().rev() {
        upper += mass;
        if upper > half {
            hi = k as u64;
            break;
        }
    }
    (lo, hi)
}

/// `P(X ≤ k)` for X ~ Binomial(`n`, `p`).
pub fn cdf(n: u64, p: f64, k: u64) -> f64 {
    pmf(n, p).iter().take(k as usize + 1).sum()
}

/// `P(X = k)` for every `k` in `0..=n`.
///
/// Worked in logarithms (`(1-p)^n` alone underflows to 0 for `p = 0.5`,
/// `n = 20 000`) with the ratio of successive terms,
/// `P(k+1)/P(k) = (n-k)/(k+1) · p/(1-p)`.
fn pmf(n: u64, p: f64) -> Vec<f64> {
    assert!((0.0..=1.0).contains(&p), "p = {p} is not a probability");
    let mut out = vec![0.0; n as usize + 1];
    if p == 0.0 {
        out[0] = 1.0;
        return out;
    }
    if p == 1.0 {
        out[n as usize] = 1.0;
        return out;
    }
    let odds = (p / (1.0 - p)).ln();
    let mut log = n as f64 * (-p).ln_1p();
    for (k, slot) in out.iter_mut().enumerate() {
        *slot = log.exp();
        let k = k as f64;
        log += ((n as f64 - k) / (k + 1.0)).ln() + odds;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values computed exactly, in rational arithmetic, from
    // `C(n, k) p^k (1-p)^(n-k)`.

    #[test]
    fn cdf_matches_exact_values() {
        assert!((cdf(10, 0.5, 2) - 56.0 / 1024.0).abs() < 1e-15);
        assert!((cdf(10, 0.5, 10) - 1.0).abs() < 1e-12);
        assert!((cdf(20, 0.3, 3) - 0.107_086_804_503_731).abs() < 1e-12);
    }

    #[test]
    fn intervals_match_exact_values() {
        // n = 10, p = 1/2: P(X ≤ 1) = 11/1024 ≤ 0.025 < P(X ≤ 2) = 56/1024.
        assert_eq!(acceptance_interval(10, 0.5, 0.05), (2, 8));
        // P(X = 0) = 1/1024 > 0.0005: nothing is rejected.
        assert_eq!(acceptance_interval(10, 0.5, 0.001), (0, 10));
        assert_eq!(acceptance_interval(1000, 0.01, 0.001), (2, 22));
        assert_eq!(acceptance_interval(20_000, 0.05, 0.001), (900, 1103));
        assert_eq!(acceptance_interval(20_000, 0.5, 0.001), (9767, 10233));
        assert_eq!(acceptance_interval(20_000, 0.01, 0.001), (155, 248));
    }

    #[test]
    fn degenerate_rates() {
        assert_eq!(acceptance_interval(100, 0.0, 0.001), (0, 0));
        assert_eq!(acceptance_interval(100, 1.0, 0.001), (100, 100));
    }
}
