//! Telemetry set-up: the only place that names a backend. Everything else
//! in the shop talks to `telemetry_api`.

use telemetry_api::metrics::{Counter, Gauge, Histogram};
use telemetry_api::semconv::{self, metrics as names};
use telemetry_api::{Backend, Resource, Telemetry, Unit};

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

/// The shop's metric instruments, created once at start-up (O-METRIC-01/03
/// and the business metrics).
#[derive(Clone)]
pub struct ShopMetrics {
    pub http_requests: Counter,
    pub http_errors: Counter,
    pub http_duration: Histogram,
    pub http_client_duration: Histogram,
    pub db_duration: Histogram,
    pub db_connections: Gauge,
    pub product_views: Counter,
    pub cart_additions: Counter,
    pub orders: Counter,
    pub revenue: Counter,
}

impl ShopMetrics {
    pub fn new(telemetry: &Telemetry) -> ShopMetrics {
        let m = telemetry.meter();
        let buckets = Some(semconv::DURATION_BUCKETS_SECONDS);
        ShopMetrics {
            http_requests: m.counter(
                names::HTTP_SERVER_REQUESTS,
                Unit::count("{request}"),
                "Inbound HTTP requests.",
            ),
            http_errors: m.counter(
                names::HTTP_SERVER_ERRORS,
                Unit::count("{error}"),
                "Inbound HTTP requests answered with a 5xx status.",
            ),
            http_duration: m.histogram(
                names::HTTP_SERVER_REQUEST_DURATION,
                Unit::SECONDS,
                "Duration of inbound HTTP requests.",
                buckets,
            ),
            http_client_duration: m.histogram(
                names::HTTP_CLIENT_REQUEST_DURATION,
                Unit::SECONDS,
                "Duration of outbound service-to-service HTTP calls.",
                buckets,
            ),
            db_duration: m.histogram(
                names::DB_CLIENT_OPERATION_DURATION,
                Unit::SECONDS,
                "Duration of database operations.",
                buckets,
            ),
            db_connections: m.gauge(
                names::DB_CLIENT_CONNECTION_COUNT,
                Unit::count("{connection}"),
                "Database pool connections by state.",
            ),
            product_views: m.counter(
                names::SHOP_PRODUCT_VIEWS,
                Unit::count("{view}"),
                "Product detail views.",
            ),
            cart_additions: m.counter(
                names::SHOP_CART_ADDITIONS,
                Unit::count("{item}"),
                "Units added to carts.",
            ),
            orders: m.counter(
                names::SHOP_ORDERS,
                Unit::count("{order}"),
                "Checkout attempts by outcome.",
            ),
            revenue: m.counter(
                names::SHOP_REVENUE,
                Unit::count("{cent}"),
                "Revenue of placed orders, in cents.",
            ),
        }
    }
}
