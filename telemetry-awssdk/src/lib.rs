//! The `awssdk` telemetry backend: X-Ray segments, CloudWatch metrics and
//! CloudWatch Logs through the AWS SDK for Rust.
//!
//! Not implemented yet (issue "telemetry-awssdk"): [`backend`] refuses to
//! start, so a build with `--features awssdk` fails loudly at start-up
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

/// Builds the backend from the environment (AWS SDK default chain, `AWS_ENDPOINT_URL_*`).
pub async fn backend(_resource: &Resource) -> Result<Backend, Error> {
    Err(Error(
        "not implemented yet: the awssdk backend arrives with its own issue; use --telemetry noop"
            .to_owned(),
    ))
}
