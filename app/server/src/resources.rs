//! The shop process's own resources as gauges (O-METRIC-02, O-METRIC-11): CPU, memory, open
//! file descriptors and threads, under the semantic conventions' `process.*` names, sampled on
//! the same beat as the database pool's `db.client.connection.count` (startup.rs).
//!
//! Reading them is `sysinfo`'s job (Linux's `/proc/self`, and the other systems' own calls):
//! open files and threads are known on Linux only, and are simply not recorded elsewhere. In AWS,
//! Container Insights adds the container's view (terraform/envs/aws); these are the process's,
//! through whichever telemetry backend the shop runs.

use shop_core::instruments::ProcessGauges;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Keeps the state `sysinfo` needs between samples (CPU use is a difference of two readings).
pub struct ProcessSampler {
    system: System,
    pid: Option<Pid>,
    cpus: f64,
}

impl Default for ProcessSampler {
    fn default() -> ProcessSampler {
        ProcessSampler::new()
    }
}

impl ProcessSampler {
    pub fn new() -> ProcessSampler {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        ProcessSampler {
            system: System::new(),
            pid: sysinfo::get_current_pid().ok(),
            cpus,
        }
    }

    /// Reads the process once and sets the gauges. The first CPU reading has no interval
    /// before it, so it is left out rather than reported as 0.
    pub fn sample(&mut self, gauges: &ProcessGauges) {
        let Some(pid) = self.pid else { return };
        let first = self.system.process(pid).is_none();
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing()
                .with_cpu()
                .with_memory()
                .with_tasks(),
        );
        let Some(p) = self.system.process(pid) else {
            return;
        };
        if !first {
            // sysinfo's cpu_usage is percent of one CPU; the convention's utilization is a
            // share of all the CPUs the process may use.
            let utilization = f64::from(p.cpu_usage()) / 100.0 / self.cpus;
            gauges.cpu_utilization.set(utilization.clamp(0.0, 1.0), &[]);
        }
        gauges.memory_usage.set(p.memory() as f64, &[]);
        gauges.memory_virtual.set(p.virtual_memory() as f64, &[]);
        if let Some(n) = p.open_files() {
            gauges.open_files.set(n as f64, &[]);
        }
        // The tasks of a process are its threads, the main one included.
        if let Some(tasks) = p.tasks() {
            gauges.threads.set(tasks.len().max(1) as f64, &[]);
        }
    }
}
