//! Telemetry set-up: the only place that names a backend. Everything else
//! in the shop talks to `telemetry_api`.

use telemetry_api::{Backend, Resource, Telemetry};

use crate::config::{Config, TelemetryChoice};

/// Filter directives added to the user's: libraries the shop and its
/// backends use are noisy at `info` and below.
const QUIET_DEPENDENCIES: &str = "sqlx=warn,hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,tower=warn,\
                                  aws_smithy_runtime=warn,aws_config=warn,opentelemetry=warn";

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryInitError {
    #[error("the {backend} telemetry backend failed to start: {message}")]
    Backend {
        backend: &'static str,
        message: String,
    },
    #[error(transparent)]
    Setup(#[from] telemetry_api::SetupError),
}

/// The resource describing this process.
pub fn resource(config: &Config) -> Resource {
    let mut r = Resource::new(config.service_name.clone(), env!("CARGO_PKG_VERSION"));
    r.environment = config.environment.clone();
    r.attributes
        .push(("shop.role".to_owned(), config.role.as_str().to_owned()));
    r
}

/// Builds the backend chosen in the configuration.
// Without a backend feature, only `noop` exists and the resource goes unused.
#[cfg_attr(
    not(any(feature = "awssdk", feature = "otel")),
    allow(unused_variables)
)]
pub async fn backend(
    choice: TelemetryChoice,
    resource: &Resource,
) -> Result<Backend, TelemetryInitError> {
    match choice {
        TelemetryChoice::Noop => Ok(telemetry_api::noop::backend()),
        #[cfg(feature = "awssdk")]
        TelemetryChoice::Awssdk => {
            telemetry_awssdk::backend(resource)
                .await
                .map_err(|e| TelemetryInitError::Backend {
                    backend: "awssdk",
                    message: e.to_string(),
                })
        }
        #[cfg(feature = "otel")]
        TelemetryChoice::Otel => {
            telemetry_otel::backend(resource)
                .await
                .map_err(|e| TelemetryInitError::Backend {
                    backend: "otel",
                    message: e.to_string(),
                })
        }
        // Config::from_options only yields compiled-in choices.
        #[allow(unreachable_patterns)]
        other => Err(TelemetryInitError::Backend {
            backend: other.as_str(),
            message: "not compiled into this build".to_owned(),
        }),
    }
}

/// Wraps a backend in the shop's telemetry (filter, stdout logs).
pub fn build(
    config: &Config,
    backend: Backend,
    resource: Resource,
) -> Result<Telemetry, TelemetryInitError> {
    Ok(Telemetry::builder(backend, resource)
        .filter(format!("{QUIET_DEPENDENCIES},{}", config.log))
        .stdout_json_logs(config.stdout_logs)
        .build()?)
}
