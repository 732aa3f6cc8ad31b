//! The environment the benches run in: every backend configured the way its
//! ecosystem configures it (the AWS SDK's variables and `SHOP_*` for
//! `awssdk`, the `OTEL_*` variables for `otel`), with every sink pointed at
//! a closed local port, so nothing leaves the machine and nothing answers.
//!
//! The backends read the process environment when they are built (and the
//! SDKs inside them read it too), so it has to be set before the process
//! starts: Rust 2024 makes `std::env::set_var` `unsafe` (other threads may
//! read the environment at the same time) and this workspace denies unsafe
//! code. So the bench binary starts, sees that [`MARKER`] is not set, and
//! runs itself again with this environment added ([`run_in_bench_env`]); the
//! second process does the work and the first one passes its exit code on.
//!
//! Values set here always win over the caller's: a shell where
//! `eval "$(scripts/lab/lab.sh env)"` pointed `AWS_ENDPOINT_URL_XRAY` at the
//! lab's emulator must not make the benches talk to it.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Set in the re-executed bench process; its presence means "the
/// environment below is in force".
pub const MARKER: &str = "SHOP_BENCH_ENV";

/// Where every exporter sends: the TCP discard port on the loopback
/// interface, which nothing listens on here, so each export attempt fails at
/// once with "connection refused" (and is counted as dropped).
pub const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";

/// Items (spans, log records) each backend's export queue holds: more than
/// the benches let pile up between two flushes ([`crate::paced::BACKLOG`]
/// plus a chunk), so that no queue fills up during a timed chunk. The
/// backends' defaults are 2048 (`otel`), 4096 spans and 8192 log records
/// (`awssdk`).
pub const QUEUE: usize = 1 << 16;

/// The variables the benches set, as `(name, value)`.
pub fn variables() -> Vec<(&'static str, String)> {
    let queue = QUEUE.to_string();
    let hour_ms = "3600000".to_owned();
    vec![
        (MARKER, "1".to_owned()),
        // --- awssdk: the AWS SDK's own variables (region, static
        // credentials, one endpoint per service) ...
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "bench".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "bench".to_owned()),
        ("AWS_ENDPOINT_URL", DEAD_ENDPOINT.to_owned()),
        ("AWS_ENDPOINT_URL_XRAY", DEAD_ENDPOINT.to_owned()),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", DEAD_ENDPOINT.to_owned()),
        ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", DEAD_ENDPOINT.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        // No profile files: nothing from ~/.aws takes part.
        ("AWS_CONFIG_FILE", "/dev/null".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".to_owned()),
        // ... and the backend's (telemetry-awssdk/src/config.rs): 100 %
        // sampling from the rules file the tests use; big queues; partial
        // batches and metric intervals far beyond a bench's length; one
        // attempt per batch, so a batch to the dead endpoint fails in
        // microseconds instead of backing off for seconds.
        ("SHOP_XRAY_SAMPLING_SOURCE", "local".to_owned()),
        ("SHOP_XRAY_SAMPLING_RULES", sample_everything()),
        ("SHOP_XRAY_QUEUE", queue.clone()),
        ("SHOP_XRAY_INTERVAL_MS", "600000".to_owned()),
        ("SHOP_CW_LOGS_QUEUE", queue.clone()),
        ("SHOP_CW_LOGS_INTERVAL_MS", "600000".to_owned()),
        ("SHOP_CW_METRICS_INTERVAL_MS", hour_ms.clone()),
        ("SHOP_AWS_MAX_ATTEMPTS", "1".to_owned()),
        ("SHOP_AWS_ATTEMPT_TIMEOUT_MS", "1000".to_owned()),
        // --- otel: the specification's variables (telemetry-otel/src/config.rs).
        ("OTEL_EXPORTER_OTLP_ENDPOINT", DEAD_ENDPOINT.to_owned()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_owned()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000".to_owned()),
        ("OTEL_TRACES_SAMPLER", "always_on".to_owned()),
        ("OTEL_PROPAGATORS", "tracecontext,baggage".to_owned()),
        ("SHOP_OTEL_ID_GENERATOR", "random".to_owned()),
        // The SDK's batch processors export when `MAX_EXPORT_BATCH_SIZE`
        // items are waiting or `SCHEDULE_DELAY` has passed; the OTLP
        // exporter then retries a failed batch twice (200 ms, 400 ms). With
        // the default 512 that is 0.6 s of waiting per 512 spans, so the
        // queue would be full (and every span dropped before conversion)
        // almost all the time. So the processors never export by
        // themselves here; the benches flush between chunks, untimed.
        ("OTEL_BSP_MAX_QUEUE_SIZE", queue.clone()),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", queue.clone()),
        ("OTEL_BSP_SCHEDULE_DELAY", hour_ms.clone()),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", queue.clone()),
        ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", queue),
        ("OTEL_BLRP_SCHEDULE_DELAY", hour_ms.clone()),
        ("OTEL_METRIC_EXPORT_INTERVAL", hour_ms),
    ]
}

/// Variables removed from the caller's environment: they would override
/// the ones above (a signal-specific endpoint wins over the general one) or
/// pull in the caller's AWS profile.
pub const UNSET: &[&str] = &[
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SDK_DISABLED",
];

/// `telemetry-awssdk/sampling-rules/sample-everything.json`: X-Ray's rule
/// format with a default rule of rate 1.0, as the tests and experiments use.
pub fn sample_everything() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../telemetry-awssdk/sampling-rules/sample-everything.json")
        .to_string_lossy()
        .into_owned()
}

/// True in the process that runs with [`variables`] in force.
pub fn in_bench_env() -> bool {
    std::env::var_os(MARKER).is_some()
}

/// Called first thing in the bench binary's `main`. In the bench environment
/// it returns `None` (go on); otherwise it runs this same executable with the
/// same arguments and [`variables`] added, waits, and returns its exit code.
pub fn run_in_bench_env() -> Option<ExitCode> {
    if in_bench_env() {
        return None;
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("shop-benches: cannot find the bench executable to re-run it: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    let mut command = Command::new(exe);
    command.args(std::env::args_os().skip(1));
    for name in UNSET {
        command.env_remove(name);
    }
    let status = command.envs(variables()).status();
    Some(match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(s.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!("shop-benches: re-running the bench executable failed: {e}");
            ExitCode::FAILURE
        }
    })
}

/// Panics unless the bench environment is in force: building `awssdk` or
/// `otel` without it would export to whatever the caller's environment names
/// (real AWS, the lab's emulators, a collector on localhost:4318).
pub fn assert_isolated() {
    assert!(
        in_bench_env(),
        "the awssdk and otel backends are built only under the bench environment \
         (shop_benches::env::run_in_bench_env), so that nothing is exported anywhere"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sink_is_the_dead_endpoint_and_the_rules_file_exists() {
        let vars = variables();
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        for k in [
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_XRAY",
            "AWS_ENDPOINT_URL_CLOUDWATCH",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ] {
            assert_eq!(get(k), Some(DEAD_ENDPOINT), "{k}");
        }
        assert!(UNSET.contains(&"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        assert!(std::path::Path::new(&sample_everything()).is_file());
        // The backends accept every value (a bad one stops them at start-up).
        let resource = telemetry_api::Resource::new("shop", "bench");
        telemetry_awssdk::config::Config::from(&resource, |k| get(k).map(str::to_owned))
            .expect("awssdk accepts the bench environment");
        telemetry_otel::config::Config::from(&|k: &str| get(k).map(str::to_owned))
            .expect("otel accepts the bench environment");
    }
}
