//! The shop's telemetry around whichever backend runs: the resource that
//! describes this process, and the log filter and console logs. The backend
//! itself is chosen and built in [`crate::startup::backend`]; the metric
//! instruments are `shop_core::instruments`.

use telemetry_api::logs::Console;
use telemetry_api::{Backend, Resource, SetupError, Telemetry};

use crate::config::Config;

/// Filter directives added to the user's: libraries the shop and its
/// backends use are noisy at `info` and below.
const QUIET_DEPENDENCIES: &str = "sqlx=warn,hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,tower=warn,\
                                  aws_smithy_runtime=warn,aws_config=warn,opentelemetry=warn";

/// The resource describing this process.
pub fn resource(config: &Config) -> Resource {
    let mut r = Resource::new(config.service_name.clone(), config.service_version.clone());
    r.environment = config.environment.clone();
    r.attributes
        .push(("shop.role".to_owned(), config.role.as_str().to_owned()));
    r
}

/// Wraps a backend in the shop's telemetry (filter, console logs). The
/// server logs to stdout; a command (`shop admin invite`, `shop batch` …)
/// to stderr, so that its stdout holds its answer alone.
pub fn build(
    config: &Config,
    backend: Backend,
    resource: Resource,
    console: Console,
) -> Result<Telemetry, SetupError> {
    let builder = Telemetry::builder(backend, resource)
        .filter(format!("{QUIET_DEPENDENCIES},{}", config.log))
        .stdout_json_logs(config.stdout_logs)
        .debug_log_sampling(config.log_debug_sample);
    match console {
        Console::Stdout => builder,
        Console::Stderr => builder.json_logs_on_stderr(),
    }
    .build()
}
