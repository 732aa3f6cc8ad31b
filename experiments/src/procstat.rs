//! CPU seconds and memory of a process, read from `/proc` (Linux).
//!
//! CPU is `utime + stime` (+ the same for reaped children) from
//! `/proc/PID/stat`, in clock ticks; memory is `VmHWM` (the kernel's
//! high-water mark of the resident set) and `VmRSS` from `/proc/PID/status`.

use std::fs;

/// Clock ticks per second for `/proc/PID/stat` times. Linux has reported
/// 100 on every mainstream architecture for decades; `getconf CLK_TCK` is
/// checked once at start-up by [`clock_ticks`].
const DEFAULT_TICKS: f64 = 100.0;

/// `getconf CLK_TCK`, or 100 if that cannot be run.
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_TICKS)
}

/// A snapshot of one process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sample {
    /// User + system CPU seconds so far, including waited-for children.
    pub cpu_s: f64,
    /// Resident set now, KiB.
    pub rss_kib: u64,
    /// Peak resident set since the process started, KiB.
    pub hwm_kib: u64,
}

/// Reads a snapshot of `pid`; `None` if the process is gone.
pub fn sample(pid: u32, ticks: f64) -> Option<Sample> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces:
    // count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17),
    // i.e. indexes 11..=14 of `f`.
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let cpu_s = (t(11) + t(12) + t(13) + t(14)) / ticks;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(Sample {
        cpu_s,
        rss_kib: kib("VmRSS:"),
        hwm_kib: kib("VmHWM:"),
    })
}

/// The process and all its descendants (LocalStack and moto run as a Python
/// process tree; their CPU is the tree's).
pub fn tree(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        let children =
            fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        out.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
        i += 1;
    }
    out
}

/// A snapshot summed over a process tree (RSS values are summed too).
pub fn sample_tree(pid: u32, ticks: f64) -> Option<Sample> {
    let root = sample(pid, ticks)?;
    let mut total = root;
    for p in tree(pid).into_iter().skip(1) {
        if let Some(s) = sample(p, ticks) {
            total.cpu_s += s.cpu_s;
            total.rss_kib += s.rss_kib;
            total.hwm_kib += s.hwm_kib;
        }
    }
    Some(total)
}

/// Pins `pid` (all its threads) to `cpus` (a `taskset` list such as `1`
/// or `0-1`). Uses `taskset` from util-linux: the workspace denies unsafe
/// code, and `sched_setaffinity` would need it.
pub fn pin(pid: u32, cpus: &str) -> bool {
    std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let ticks = clock_ticks();
        let me = std::process::id();
        let before = sample(me, ticks).expect("own /proc entry");
        // Burn some CPU so the counter moves.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 200 {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let after = sample(me, ticks).unwrap();
        assert!(after.cpu_s > before.cpu_s, "{before:?} → {after:?}");
        assert!(after.rss_kib > 0 && after.hwm_kib >= after.rss_kib);
        assert!(tree(me).contains(&me));
    }
}
