//! The shop's memory over a long outage (`sink-down-long`, T-OUTAGE and
//! T-RSS in docs/targets.md): its processes' resident set sampled every few
//! seconds while a saturating load runs, first with the sink healthy, then
//! with it down, and the question the target asks of the curve: does it
//! level off? The backends' queues are bounded, so once they are full every
//! new item is dropped at the door and nothing should keep growing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::procstat;

/// How often the curve is sampled.
pub const EVERY: Duration = Duration::from_secs(5);

/// Growth allowed between the middle and the last third of the outage: the
/// larger of this and [`GROWTH_SHARE`] of the middle third's highest.
pub const GROWTH_MIB: f64 = 4.0;
/// See [`GROWTH_MIB`].
pub const GROWTH_SHARE: f64 = 0.05;

/// One sample of every shop process.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// `healthy` (saturating load, sink up) or `outage` (sink down).
    pub phase: &'static str,
    /// Seconds since the phase began.
    pub t_s: f64,
    /// Resident set per process (with its children), MiB.
    pub rss_mib: BTreeMap<String, f64>,
}

/// Samples `pids` now.
pub fn sample(phase: &'static str, since: Instant, pids: &[(String, u32)], ticks: f64) -> Point {
    Point {
        phase,
        t_s: since.elapsed().as_secs_f64(),
        rss_mib: pids
            .iter()
            .filter_map(|(name, pid)| {
                procstat::sample_tree(*pid, ticks)
                    .map(|s| (name.clone(), s.rss_kib as f64 / 1024.0))
            })
            .collect(),
    }
}

/// Runs `work` while sampling `pids` every [`EVERY`] (and once at the end).
pub async fn sampled<T>(
    phase: &'static str,
    pids: &[(String, u32)],
    work: impl std::future::Future<Output = T>,
) -> (T, Vec<Point>) {
    let ticks = procstat::clock_ticks();
    let start = Instant::now();
    let mut curve = Vec::new();
    let mut tick = tokio::time::interval(EVERY);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => {
                curve.push(sample(phase, start, pids, ticks));
                return (out, curve);
            }
            _ = tick.tick() => curve.push(sample(phase, start, pids, ticks)),
        }
    }
}

/// What the outage's curve says of one process.
#[derive(Clone, Debug, PartialEq)]
pub struct Levelling {
    pub process: String,
    /// The highest RSS with the sink healthy under the same load, MiB.
    pub healthy: f64,
    /// The highest RSS in each third of the outage, MiB.
    pub thirds: [f64; 3],
    /// The last third grew no more than allowed over the middle one.
    pub levelled_off: bool,
}

/// Each process's levelling over `curve` (its `healthy` and `outage`
/// points); `None` for a process with fewer than three outage samples per
/// third (too short an outage to tell).
pub fn levelling(curve: &[Point]) -> Vec<Option<Levelling>> {
    let mut names: Vec<&String> = curve.iter().flat_map(|p| p.rss_mib.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let of = |phase: &str| -> Vec<(f64, f64)> {
                curve
                    .iter()
                    .filter(|p| p.phase == phase)
                    .filter_map(|p| p.rss_mib.get(name).map(|m| (p.t_s, *m)))
                    .collect()
            };
            let outage = of("outage");
            let end = outage.iter().map(|(t, _)| *t).fold(0.0, f64::max);
            let mut thirds = [f64::NAN; 3];
            for (i, third) in thirds.iter_mut().enumerate() {
                let (lo, hi) = (end * i as f64 / 3.0, end * (i + 1) as f64 / 3.0);
                let inside: Vec<f64> = outage
                    .iter()
                    .filter(|(t, _)| *t >= lo && (*t < hi || (i == 2 && *t <= hi)))
                    .map(|(_, m)| *m)
                    .collect();
                if inside.len() < 3 {
                    return None;
                }
                *third = inside.iter().copied().fold(f64::MIN, f64::max);
            }
            let healthy = of("healthy")
                .iter()
                .map(|(_, m)| *m)
                .fold(f64::NAN, f64::max);
            let allowed = GROWTH_MIB.max(thirds[1] * GROWTH_SHARE);
            Some(Levelling {
                process: name.clone(),
                healthy,
                thirds,
                levelled_off: thirds[2] <= thirds[1] + allowed,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(phase: &'static str, every_s: f64, mib: &[f64]) -> Vec<Point> {
        mib.iter()
            .enumerate()
            .map(|(i, m)| Point {
                phase,
                t_s: i as f64 * every_s,
                rss_mib: [("shop-orders".to_owned(), *m)].into(),
            })
            .collect()
    }

    #[test]
    fn a_curve_that_fills_its_queues_and_stays_there_levels_off() {
        let mut c = curve("healthy", 5.0, &[40.0, 41.0, 41.0]);
        // Fills in the first third, then flat with a little noise.
        c.extend(curve(
            "outage",
            5.0,
            &[
                41.0, 55.0, 60.0, 61.0, 61.0, 60.5, 61.2, 61.0, 61.4, 61.3, 61.0, 61.5,
            ],
        ));
        let l = levelling(&c);
        let l = l[0].as_ref().expect("enough samples");
        assert_eq!(l.process, "shop-orders");
        assert_eq!(l.healthy, 41.0);
        assert_eq!(l.thirds, [61.0, 61.2, 61.5]);
        assert!(l.levelled_off);
    }

    #[test]
    fn a_curve_that_keeps_growing_does_not() {
        let grows: Vec<f64> = (0..12).map(|i| 40.0 + 3.0 * i as f64).collect();
        let l = levelling(&curve("outage", 5.0, &grows));
        let l = l[0].as_ref().expect("enough samples");
        assert!(!l.levelled_off, "{l:?}");
    }

    #[test]
    fn too_short_an_outage_cannot_tell() {
        let l = levelling(&curve("outage", 5.0, &[40.0, 41.0, 42.0, 43.0]));
        assert_eq!(l, vec![None]);
    }
}
