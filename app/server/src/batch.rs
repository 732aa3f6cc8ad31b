//! The batch scheduler: runs `shop_core::batch` jobs inside the server on
//! the periods given by `--batch-schedule` (`SHOP_BATCH_SCHEDULE`), e.g.
//! `stock_report=24h,maintenance=1h`. Off unless configured (and always
//! off in the tests' shops).
//!
//! Each configured job waits one period, runs, and waits again. The first
//! run is one period after start-up, so restarting the shop does not run
//! every job at once. The period is counted from the end of a run, so a slow
//! run never overlaps the next; a run another process is doing is skipped
//! (`Batch::run` refuses it). At shutdown the loops
//! stop waiting; a run already under way finishes first (the server waits
//! for it), so a run is never cut in half.
//!
//! Each run is its own root span, log lines and metrics (see
//! `shop_core::batch`); the scheduler itself only logs what it skipped or
//! could not record.

use std::fmt;
use std::time::Duration;

use shop_core::audit::Origin;
use shop_core::batch::{Batch, Error, Job, Trigger};
use tokio::sync::watch;
use tokio::time::Instant;

/// Which jobs run how often: `JOB=EVERY,…` parsed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Schedule(pub Vec<(Job, Duration)>);

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(job, every)| format!("{job}={}", humantime::format_duration(*every)))
            .collect();
        f.write_str(&parts.join(","))
    }
}

impl Schedule {
    /// Parses `stock_report=24h,maintenance=1h`; an empty string or `off`
    /// is no schedule. Each job at most once, each period longer than zero.
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("off") {
            return Ok(Schedule::default());
        }
        let mut out: Vec<(Job, Duration)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, every) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not JOB=EVERY (e.g. maintenance=1h)"))?;
            let job = Job::parse(name.trim()).ok_or_else(|| {
                format!(
                    "unknown job {:?}; the jobs are {}",
                    name.trim(),
                    Job::names()
                )
            })?;
            let every = humantime::parse_duration(every.trim())
                .map_err(|e| format!("{job}: {e} (a duration like 1h or 30m)"))?;
            if every.is_zero() {
                return Err(format!("{job}: the period must be longer than zero"));
            }
            if out.iter().any(|(j, _)| *j == job) {
                return Err(format!("{job} is scheduled twice"));
            }
            out.push((job, every));
        }
        Ok(Schedule(out))
    }

    /// Whether any job is scheduled.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Runs the schedule until `stop` changes, then returns (after a run under
/// way has finished). One task for every job: jobs due at once run one
/// after the other.
pub async fn run_schedule(batch: Batch, schedule: Schedule, mut stop: watch::Receiver<bool>) {
    let start = Instant::now();
    let mut due: Vec<(Job, Duration, Instant)> = schedule
        .0
        .into_iter()
        .map(|(job, every)| {
            tracing::info!(
                shop.batch.job = job.as_str(),
                every_secs = every.as_secs(),
                "batch job scheduled"
            );
            (job, every, start + every)
        })
        .collect();
    loop {
        let Some(next) = (0..due.len()).min_by_key(|&i| due[i].2) else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(due[next].2) => {}
            _ = stop.changed() => return,
        }
        let (job, every, _) = due[next];
        match batch.run(job, Trigger::Schedule, Origin::default()).await {
            // The run reported itself (span, logs, metrics, record).
            Ok(_) => {}
            Err(Error::AlreadyRunning(_)) => tracing::info!(
                shop.batch.job = job.as_str(),
                "scheduled batch run skipped: one is already running"
            ),
            Err(e) => tracing::warn!(
                shop.batch.job = job.as_str(),
                error = %e,
                "scheduled batch run could not be recorded"
            ),
        }
        // The period counts from the end of the run: runs never overlap.
        due[next].2 = Instant::now() + every;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_names_known_jobs_once_with_periods() {
        assert!(Schedule::parse("").unwrap().is_empty());
        assert!(Schedule::parse("off").unwrap().is_empty());
        let s = Schedule::parse("stock_report=24h, maintenance=90m").unwrap();
        assert_eq!(
            s.0,
            vec![
                (Job::StockReport, Duration::from_secs(86_400)),
                (Job::Maintenance, Duration::from_secs(5_400)),
            ]
        );
        assert_eq!(s.to_string(), "stock_report=1day,maintenance=1h 30m");
        for (bad, says) in [
            (
                "vacuum=1h",
                "unknown job \"vacuum\"; the jobs are stock_report",
            ),
            ("maintenance", "not JOB=EVERY"),
            ("maintenance=soon", "maintenance:"),
            ("maintenance=0s", "longer than zero"),
            ("maintenance=1h,maintenance=2h", "scheduled twice"),
        ] {
            let e = Schedule::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
