//! The shop process's own resources (O-METRIC-02, O-METRIC-11), under the semantic
//! conventions' names, sampled on the same beat as the database pool's
//! `db.client.connection.count` (startup.rs):
//! - gauges: `process.cpu.utilization`, `process.memory.usage` and `.virtual`,
//!   `process.open_file_descriptor.count`, `process.thread.count`;
//! - counters: `process.disk.io` (the process's storage reads and writes) and
//!   `system.network.io` (per interface of the process's network namespace: a process has no
//!   traffic count of its own, its namespace has. In a container, an ECS task, that is the
//!   container's traffic; on a laptop it is the machine's, the lab's loopback included).
//!
//! Reading them is `sysinfo`'s job (Linux's `/proc/self` and `/proc/net/dev`, and the other
//! systems' own calls): open files and threads are known on Linux only, and are simply not
//! recorded elsewhere. The counters add what `sysinfo` read since its previous refresh, so the
//! first sample adds everything since the process (or the interface) started. In AWS,
//! Container Insights adds the container's view (terraform/envs/aws); these are the process's,
//! through whichever telemetry backend the shop runs.

use shop_core::instruments::ProcessGauges;
use sysinfo::{Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use telemetry_api::KeyValue;
use telemetry_api::semconv;

/// Keeps the state `sysinfo` needs between samples (CPU use is a difference of two readings).
pub struct ProcessSampler {
    system: System,
    networks: Networks,
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
            // Empty: the first sample's refresh lists the interfaces, and its counts are their
            // totals since they came up.
            networks: Networks::new(),
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
                .with_tasks()
                .with_disk_usage(),
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
        // Since the previous refresh (the first: since the process started).
        let disk = p.disk_usage();
        for (direction, bytes) in [("read", disk.read_bytes), ("write", disk.written_bytes)] {
            gauges.disk_io.add(
                bytes,
                &[KeyValue::new(semconv::DISK_IO_DIRECTION, direction)],
            );
        }
        self.networks.refresh(true);
        for (interface, data) in &self.networks {
            for (direction, bytes) in [
                ("receive", data.received()),
                ("transmit", data.transmitted()),
            ] {
                gauges.network_io.add(
                    bytes,
                    &[
                        KeyValue::new(semconv::NETWORK_INTERFACE_NAME, interface.clone()),
                        KeyValue::new(semconv::NETWORK_IO_DIRECTION, direction),
                    ],
                );
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use telemetry_api::Value;
    use telemetry_api::recording::Recorder;

    fn sampler_and_recorder() -> (
        ProcessSampler,
        shop_core::instruments::Instruments,
        Recorder,
    ) {
        let (backend, recorder) = telemetry_api::recording::backend();
        let telemetry =
            telemetry_api::Telemetry::builder(backend, telemetry_api::Resource::new("test", "0"))
                .build()
                .expect("a recording telemetry");
        let instruments = shop_core::instruments::Instruments::new(&telemetry);
        (ProcessSampler::new(), instruments, recorder)
    }

    /// `/proc/self/io`'s `read_bytes` or `write_bytes`: the kernel's own count for the process.
    fn kernel_io(field: &str) -> u64 {
        std::fs::read_to_string("/proc/self/io")
            .expect("/proc/self/io")
            .lines()
            .find_map(|l| {
                l.strip_prefix(field)?
                    .strip_prefix(": ")?
                    .trim()
                    .parse()
                    .ok()
            })
            .expect("the field")
    }

    /// The counters add up to the kernel's own totals: the process's storage reads and writes,
    /// and each interface's traffic (here 1 MiB each way over loopback).
    #[test]
    fn disk_and_network_counters_add_up_to_the_kernels_counts() {
        let (mut sampler, instruments, recorder) = sampler_and_recorder();
        sampler.sample(&instruments.process);

        // Storage: 4 MiB written and synced (the kernel counts it where the file system has a
        // storage layer; tmpfs has none, and then both sides stay equal at what they were).
        let path = std::env::temp_dir().join(format!("shop-disk-io-{}", std::process::id()));
        let mut file = std::fs::File::create(&path).expect("a temporary file");
        file.write_all(&vec![7u8; 4 << 20]).expect("written");
        file.sync_all().expect("synced");
        drop(file);
        let _ = std::fs::remove_file(&path);
        // Network: 1 MiB from one loopback socket to another.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listener");
        let addr = listener.local_addr().expect("its address");
        let sender = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).expect("connected");
            s.write_all(&vec![1u8; 1 << 20]).expect("sent");
        });
        let (mut conn, _) = listener.accept().expect("accepted");
        let mut got = Vec::new();
        conn.read_to_end(&mut got).expect("received");
        sender.join().expect("the sender");
        assert_eq!(got.len(), 1 << 20);

        // The kernel's counts just before and just after the sampler's second reading: the
        // sampler's totals lie between (other test threads of this process may write too).
        let before = (kernel_io("read_bytes"), kernel_io("write_bytes"));
        sampler.sample(&instruments.process);
        let after = (kernel_io("read_bytes"), kernel_io("write_bytes"));
        let disk = |direction: &'static str| {
            recorder.counter_total(
                telemetry_api::semconv::metrics::PROCESS_DISK_IO,
                &[(semconv::DISK_IO_DIRECTION, Value::from(direction))],
            ) as u64
        };
        let (read, written) = (disk("read"), disk("write"));
        assert!(
            (before.0..=after.0).contains(&read),
            "read {read}, kernel {before:?}..{after:?}"
        );
        assert!(
            (before.1..=after.1).contains(&written),
            "written {written}, kernel {before:?}..{after:?}"
        );

        // Loopback carried at least the 1 MiB each way since the first reading.
        let lo = |direction: &'static str| {
            recorder.counter_total(
                telemetry_api::semconv::metrics::SYSTEM_NETWORK_IO,
                &[
                    (semconv::NETWORK_INTERFACE_NAME, Value::from("lo")),
                    (semconv::NETWORK_IO_DIRECTION, Value::from(direction)),
                ],
            ) as u64
        };
        assert!(lo("receive") >= 1 << 20, "lo received {}", lo("receive"));
        assert!(
            lo("transmit") >= 1 << 20,
            "lo transmitted {}",
            lo("transmit")
        );
    }
}
