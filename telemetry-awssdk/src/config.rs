//! The backend's settings. AWS itself is configured the AWS way (the SDK's
//! default chain: `AWS_REGION`, credentials, and the per-service endpoint
//! variables such as `AWS_ENDPOINT_URL_XRAY`); what the SDK has no variable
//! for is read from `SHOP_XRAY_*`, `SHOP_CW_*` and `SHOP_AWS_*`:
//!
//! | variable | default | |
//! |---|---|---|
//! | `SHOP_XRAY_SAMPLING_SOURCE` | `auto` | `auto` (API, then file, then default rule), `api`, `local` |
//! | `SHOP_XRAY_SAMPLING_RULES` | none | local rules file (X-Ray SDK format) |
//! | `SHOP_XRAY_ORIGIN` | none | segment `origin` and the rules' service type, e.g. `AWS::ECS::Container` |
//! | `SHOP_XRAY_QUEUE` | 4096 | spans waiting to be sent |
//! | `SHOP_XRAY_BATCH` | 50 | segment documents per `PutTraceSegments` (max 50) |
//! | `SHOP_XRAY_INTERVAL_MS` | 1000 | how often partial batches are sent |
//! | `SHOP_CW_METRICS` | `api` | `api` (`PutMetricData`) or `emf` (Embedded Metric Format log lines) |
//! | `SHOP_CW_HISTOGRAMS` | `statistics` | `statistics` (`StatisticValues`) or `values` (`Values`/`Counts`) |
//! | `SHOP_CW_NAMESPACE` | `ShopLab` | metric namespace |
//! | `SHOP_CW_METRICS_INTERVAL_MS` | 60000 | aggregation interval |
//! | `SHOP_CW_HIGH_RESOLUTION` | `false` | 1-second storage resolution |
//! | `SHOP_CW_MAX_SERIES` | 2000 | dimension sets per instrument |
//! | `SHOP_CW_LOG_GROUP` | `/shop-lab/{environment}` | log group of the shop's logs |
//! | `SHOP_CW_EMF_LOG_GROUP` | `/shop-lab/{environment}/metrics` | log group of EMF lines |
//! | `SHOP_CW_LOG_STREAM` | `{service}/{instance id}` | log stream (both groups) |
//! | `SHOP_CW_LOGS_QUEUE` | 8192 | log records waiting to be sent |
//! | `SHOP_CW_LOGS_INTERVAL_MS` | 1000 | how often partial batches are sent |
//! | `SHOP_AWS_ATTEMPT_TIMEOUT_MS` | 3000 | one API call attempt |
//! | `SHOP_AWS_MAX_ATTEMPTS` | 4 | attempts per batch (with backoff) |

use std::time::Duration;

use telemetry_api::{BackendError, Resource};

use crate::export::retry::RetryPolicy;
use crate::logs::{LogShipConfig, MAX_EVENTS_PER_CALL};
use crate::metrics::{HistogramMode, MAX_DATUMS_PER_CALL, MetricsConfig, MetricsMode};
use crate::sampling::source::SourcePreference;
use crate::traces::{MAX_DOCUMENTS_PER_CALL, TraceExportConfig};

/// Everything the backend reads from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub sampling_source: SourcePreference,
    pub sampling_rules: Option<String>,
    /// X-Ray's `origin` for segments (and the service type rules match).
    pub origin: Option<String>,
    pub traces: TraceExportConfig,
    pub metrics: MetricsConfig,
    pub logs: LogShipConfig,
    pub emf_logs: LogShipConfig,
    pub attempt_timeout: Duration,
}

impl Config {
    /// Reads the process environment; a bad value is an error naming the
    /// variable.
    pub fn from_env(resource: &Resource) -> Result<Config, BackendError> {
        Config::from(resource, |k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get` (so that tests need not mutate
    /// the process environment). The defaults that name the service (log
    /// group and stream) come from `resource`.
    pub fn from(
        resource: &Resource,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, BackendError> {
        Config::read(resource, get).map_err(BackendError)
    }

    fn read(resource: &Resource, get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let number = |k: &str, default: u64, min: u64, max: u64| -> Result<u64, String> {
            match get(k) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(format!(
                        "{k}={v}: expected a whole number from {min} to {max}"
                    )),
                },
            }
        };
        let choice = |k: &str, options: &[&str]| -> Result<Option<String>, String> {
            match get(k) {
                None => Ok(None),
                Some(v) if options.contains(&v.trim()) => Ok(Some(v.trim().to_owned())),
                Some(v) => Err(format!("{k}={v}: expected one of {}", options.join(", "))),
            }
        };

        let retry = RetryPolicy {
            max_attempts: number("SHOP_AWS_MAX_ATTEMPTS", 4, 1, 10)? as u32,
            ..RetryPolicy::default()
        };
        let sampling_source =
            match choice("SHOP_XRAY_SAMPLING_SOURCE", &["auto", "api", "local"])?.as_deref() {
                Some("api") => SourcePreference::Api,
                Some("local") => SourcePreference::Local,
                _ => SourcePreference::Auto,
            };
        let traces = TraceExportConfig {
            queue: number("SHOP_XRAY_QUEUE", 4096, 1, 1 << 20)? as usize,
            batch: number("SHOP_XRAY_BATCH", 50, 1, MAX_DOCUMENTS_PER_CALL as u64)? as usize,
            interval: Duration::from_millis(number("SHOP_XRAY_INTERVAL_MS", 1000, 10, 600_000)?),
            retry,
            ..TraceExportConfig::default()
        };
        let env = &resource.environment;
        let metrics = MetricsConfig {
            namespace: get("SHOP_CW_NAMESPACE").unwrap_or_else(|| "ShopLab".to_owned()),
            interval: Duration::from_millis(number(
                "SHOP_CW_METRICS_INTERVAL_MS",
                60_000,
                100,
                3_600_000,
            )?),
            mode: match choice("SHOP_CW_METRICS", &["api", "emf"])?.as_deref() {
                Some("emf") => MetricsMode::Emf,
                _ => MetricsMode::PutMetricData,
            },
            histograms: match choice("SHOP_CW_HISTOGRAMS", &["statistics", "values"])?.as_deref() {
                Some("values") => HistogramMode::Values,
                _ => HistogramMode::Statistics,
            },
            high_resolution: matches!(
                choice("SHOP_CW_HIGH_RESOLUTION", &["true", "false", "1", "0"])?.as_deref(),
                Some("true" | "1")
            ),
            max_series: number("SHOP_CW_MAX_SERIES", 2000, 1, 1_000_000)? as usize,
            batch: MAX_DATUMS_PER_CALL,
            retry,
            service: resource.service_name.clone(),
        };
        let stream = get("SHOP_CW_LOG_STREAM").unwrap_or_else(|| {
            format!(
                "{}/{}",
                resource.service_name,
                &resource.instance_id[..resource.instance_id.len().min(12)]
            )
        });
        let logs = LogShipConfig {
            group: get("SHOP_CW_LOG_GROUP").unwrap_or_else(|| format!("/shop-lab/{env}")),
            stream: stream.clone(),
            queue: number("SHOP_CW_LOGS_QUEUE", 8192, 1, 1 << 20)? as usize,
            interval: Duration::from_millis(number("SHOP_CW_LOGS_INTERVAL_MS", 1000, 10, 600_000)?),
            batch: MAX_EVENTS_PER_CALL,
            retry,
        };
        let emf_logs = LogShipConfig {
            group: get("SHOP_CW_EMF_LOG_GROUP")
                .unwrap_or_else(|| format!("/shop-lab/{env}/metrics")),
            stream,
            ..logs.clone()
        };
        Ok(Config {
            sampling_source,
            sampling_rules: get("SHOP_XRAY_SAMPLING_RULES"),
            origin: match get("SHOP_XRAY_ORIGIN") {
                Some(o) if !o.trim().starts_with("AWS::") => {
                    return Err(format!(
                        "SHOP_XRAY_ORIGIN={o}: expected an X-Ray origin such as AWS::ECS::Container"
                    ));
                }
                o => o.map(|o| o.trim().to_owned()),
            },
            traces,
            metrics,
            logs,
            emf_logs,
            attempt_timeout: Duration::from_millis(number(
                "SHOP_AWS_ATTEMPT_TIMEOUT_MS",
                3000,
                100,
                120_000,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Config, String> {
        let r = Resource::new("shop", "0.1.0");
        Config::from(&r, |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .map_err(|e| e.0)
    }

    #[test]
    fn defaults_and_overrides() {
        let c = with(&[]).unwrap();
        assert_eq!(c.metrics.mode, MetricsMode::PutMetricData);
        assert_eq!(c.logs.group, "/shop-lab/local");
        assert_eq!(c.traces.batch, 50);
        let c = with(&[("SHOP_CW_METRICS", "emf"), ("SHOP_XRAY_BATCH", "10")]).unwrap();
        assert_eq!(c.metrics.mode, MetricsMode::Emf);
        assert_eq!(c.traces.batch, 10);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = with(&[("SHOP_XRAY_BATCH", "51")]).unwrap_err();
        assert!(e.contains("SHOP_XRAY_BATCH=51"), "{e}");
        let e = with(&[("SHOP_CW_METRICS", "statsd")]).unwrap_err();
        assert!(e.contains("api, emf"), "{e}");
    }
}
