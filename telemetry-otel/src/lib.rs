//! The `otel` telemetry backend: OTLP traces, metrics and logs through
//! the OpenTelemetry SDK to a collector.
//!
//! Not implemented yet (issue "telemetry-otel"): [`backend`] refuses to
//! start, so a build with `--features otel` fails loudly at start-up
//! instead of silently exporting nothing.

use telemetry_api::{Backend, Resource};

/// Why the backend could not start.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Builds the backend from the environment (`OTEL_*` variables).
pub async fn backend(_resource: &Resource) -> Result<Backend, Error> {
    Err(Error(
        "not implemented yet: the otel backend arrives with its own issue; use --telemetry noop"
            .to_owned(),
    ))
}
