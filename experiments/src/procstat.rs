//! CPU seconds and memory of a process, read from `/proc` (Linux).
//!
//! CPU is `utime + stime` (+ the same for reaped children) from
//! `/proc/PID/stat`, in clock ticks; memory is `VmHWM` (the kernel's
//! high-water mark of the resident set) and `VmRSS` from `/proc/PID/status`.
//! The CPUs a process may run on are read back from `Cpus_allowed_list` in
//! the same file, so the report states what the kernel did, not what was
//! asked. Whole-machine figures per CPU (busy time, steal) come from
//! `/proc/stat`.

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

/// The CPUs `pid` may run on, as the kernel reports them (`Cpus_allowed_list`
/// of `/proc/PID/status`, the `sched_getaffinity` mask in list form: `1`,
/// `0-1`, `0,2`); `None` if the process is gone.
pub fn affinity(pid: u32) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|v| v.trim().to_owned())
}

/// One CPU's time counters from `/proc/stat`, in clock ticks since boot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    /// `cpuN`'s N.
    pub cpu: usize,
    /// Every column added up.
    pub total: u64,
    /// `idle` + `iowait`: the CPU had nothing to run.
    pub idle: u64,
    /// `steal`: the hypervisor ran another guest while this one wanted the CPU.
    pub steal: u64,
}

/// Parses the per-CPU lines (`cpu0 …`, `cpu1 …`, not the `cpu` total) of a `/proc/stat` text.
/// Columns: user nice system idle iowait irq softirq steal guest guest_nice; guest time is
/// already inside user, so the two guest columns are left out of the total.
pub fn parse_cpu_times(stat: &str) -> Vec<CpuTimes> {
    stat.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let cpu = f.next()?.strip_prefix("cpu")?.parse::<usize>().ok()?;
            let v: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
            let col = |i: usize| v.get(i).copied().unwrap_or(0);
            Some(CpuTimes {
                cpu,
                total: (0..8).map(col).sum(),
                idle: col(3) + col(4),
                steal: col(7),
            })
        })
        .collect()
}

/// The per-CPU counters now (empty if `/proc/stat` cannot be read).
pub fn cpu_times() -> Vec<CpuTimes> {
    parse_cpu_times(&fs::read_to_string("/proc/stat").unwrap_or_default())
}

/// Per CPU between two readings: (cpu, busy share, steal share) of the elapsed ticks.
pub fn cpu_shares(before: &[CpuTimes], after: &[CpuTimes]) -> Vec<(usize, f64, f64)> {
    after
        .iter()
        .filter_map(|a| {
            let b = before.iter().find(|b| b.cpu == a.cpu)?;
            let total = a.total.saturating_sub(b.total);
            if total == 0 {
                return Some((a.cpu, 0.0, 0.0));
            }
            let idle = a.idle.saturating_sub(b.idle);
            let steal = a.steal.saturating_sub(b.steal);
            let t = total as f64;
            Some((
                a.cpu,
                (total.saturating_sub(idle)) as f64 / t,
                steal as f64 / t,
            ))
        })
        .collect()
}

/// The CPU numbers of a list such as `0-1,3` (`Cpus_allowed_list`'s form).
pub fn parse_cpu_list(list: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    out.extend(a..=b);
                }
            }
            None => out.extend(part.parse::<usize>().ok()),
        }
    }
    out
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
        let cpus = affinity(me).expect("own Cpus_allowed_list");
        assert!(!parse_cpu_list(&cpus).is_empty(), "{cpus}");
    }

    #[test]
    fn cpu_lists_expand() {
        assert_eq!(parse_cpu_list("1"), vec![1]);
        assert_eq!(parse_cpu_list("0-2,5"), vec![0, 1, 2, 5]);
        assert_eq!(parse_cpu_list(""), Vec::<usize>::new());
    }

    #[test]
    fn busy_and_steal_shares_come_from_per_cpu_deltas() {
        let before = parse_cpu_times(
            "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 100 0 50 800 50 0 0 0 0 0\ncpu1 10 0 10 900 0 0 0 80 5 0\n",
        );
        assert_eq!(before.len(), 2, "the aggregate `cpu` line is not a CPU");
        // cpu0: 100 more ticks, 90 of them busy; cpu1: 100 more ticks, 20 idle, 40 stolen.
        let after =
            parse_cpu_times("cpu0 180 0 60 810 50 0 0 0 0 0\ncpu1 30 0 30 920 0 0 0 120 9 0\n");
        let shares = cpu_shares(&before, &after);
        assert_eq!(shares.len(), 2);
        let (c0, busy0, steal0) = shares[0];
        assert_eq!(c0, 0);
        assert!((busy0 - 0.9).abs() < 1e-9 && steal0 == 0.0, "{shares:?}");
        let (_, busy1, steal1) = shares[1];
        assert!(
            (busy1 - 0.8).abs() < 1e-9 && (steal1 - 0.4).abs() < 1e-9,
            "{shares:?}"
        );
    }

    #[test]
    fn this_machine_has_per_cpu_counters() {
        assert!(!cpu_times().is_empty());
    }
}
