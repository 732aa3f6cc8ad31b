//! Configuration from the environment, the OpenTelemetry way.
//!
//! Every setting the OpenTelemetry specification defines an environment
//! variable for is read from that variable (`OTEL_EXPORTER_OTLP_*`,
//! `OTEL_TRACES_SAMPLER`, `OTEL_PROPAGATORS`, `OTEL_BSP_*`, `OTEL_BLRP_*`,
//! `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, …). Only where the specification has no
//! variable does the shop add one, prefixed `SHOP_OTEL_`:
//!
//! | variable | values | default |
//! |---|---|---|
//! | `SHOP_OTEL_ID_GENERATOR` | `random`, `xray` | `xray` when `OTEL_PROPAGATORS` names `xray`, else `random` |
//!
//! Some variables are read by the SDK itself (`OTEL_BSP_SCHEDULE_DELAY`,
//! `OTEL_BLRP_SCHEDULE_DELAY`, `OTEL_METRIC_EXPORT_INTERVAL`, the endpoint,
//! header and compression variables of the OTLP exporter, and
//! `OTEL_RESOURCE_ATTRIBUTES`). The ones read here are those this crate needs
//! to *act* on: which transport to build, the HTTP client's timeout, the queue
//! bound it enforces itself, and the choices it validates.
//!
//! Unlike the specification's "warn and use the default", an invalid value
//! here stops the shop at start-up with a message naming the variable: a lab
//! that silently samples nothing or ships nowhere teaches the wrong lesson.

use std::time::Duration;

use opentelemetry_sdk::metrics::Temporality;

use telemetry_api::BackendError;

/// Reads one environment variable. Injected so that tests need not mutate
/// the process environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment (empty values count as unset, as the
/// specification says).
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.trim().is_empty())
}

/// The wire protocol of one signal's OTLP exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `http/protobuf` (the specification's default): POST to `/v1/traces` etc.
    HttpProtobuf,
    /// `grpc`: the OTLP gRPC services (tonic).
    Grpc,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::Grpc => "grpc",
        }
    }
}

/// The three OTLP signals; used to pick signal-specific variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    fn upper(self) -> &'static str {
        match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
            Signal::Logs => "LOGS",
        }
    }
}

/// Transport settings of one signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transport {
    pub protocol: Protocol,
    /// Per-request timeout (`OTEL_EXPORTER_OTLP[_SIGNAL]_TIMEOUT`, ms; default 10 s).
    pub timeout: Duration,
}

/// A propagator named in `OTEL_PROPAGATORS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropagatorName {
    /// W3C `traceparent` / `tracestate`.
    TraceContext,
    /// W3C `baggage`.
    Baggage,
    /// AWS `X-Amzn-Trace-Id`.
    Xray,
}

/// How new trace ids are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdScheme {
    /// 128 random bits (W3C).
    Random,
    /// First 32 bits are the epoch seconds, as X-Ray trace ids have them
    /// (`1-<8 hex digits of epoch seconds>-<24 hex digits>`), so X-Ray
    /// accepts the id.
    Xray,
}

/// The sampler chosen by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SamplerChoice {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio(f64),
}

/// Everything the backend reads from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub traces: Transport,
    pub metrics: Transport,
    pub logs: Transport,
    pub sampler: SamplerChoice,
    pub propagators: Vec<PropagatorName>,
    pub id_scheme: IdScheme,
    /// Spans waiting for export at most (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048).
    pub span_queue: usize,
    /// Log records waiting for export at most (`OTEL_BLRP_MAX_QUEUE_SIZE`, 2048).
    pub log_queue: usize,
    /// `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE` (`cumulative`).
    pub temporality: Temporality,
    /// `OTEL_SERVICE_NAME`, which wins over the shop's own service name.
    pub service_name: Option<String>,
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, BackendError> {
        Config::from(&process_env)
    }

    /// Reads the configuration through `env`.
    pub fn from(env: Env<'_>) -> Result<Config, BackendError> {
        let propagators = propagators(env)?;
        let id_scheme = match env("SHOP_OTEL_ID_GENERATOR").as_deref().map(str::trim) {
            None if propagators.contains(&PropagatorName::Xray) => IdScheme::Xray,
            None => IdScheme::Random,
            Some(v) if v.eq_ignore_ascii_case("random") => IdScheme::Random,
            Some(v) if v.eq_ignore_ascii_case("xray") => IdScheme::Xray,
            Some(v) => {
                return Err(BackendError(format!(
                    "SHOP_OTEL_ID_GENERATOR={v}: expected `random` or `xray`"
                )));
            }
        };
        Ok(Config {
            traces: transport(env, Signal::Traces)?,
            metrics: transport(env, Signal::Metrics)?,
            logs: transport(env, Signal::Logs)?,
            sampler: sampler(env)?,
            propagators,
            id_scheme,
            span_queue: positive(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2048)?,
            log_queue: positive(env, "OTEL_BLRP_MAX_QUEUE_SIZE", 2048)?,
            temporality: temporality(env)?,
            service_name: env("OTEL_SERVICE_NAME").map(|v| v.trim().to_owned()),
        })
    }
}

/// The signal-specific variable if set, else the generic one.
fn signal_var(env: Env<'_>, signal: Signal, suffix: &str) -> Option<(String, String)> {
    let specific = format!("OTEL_EXPORTER_OTLP_{}_{suffix}", signal.upper());
    if let Some(v) = env(&specific) {
        return Some((specific, v));
    }
    let generic = format!("OTEL_EXPORTER_OTLP_{suffix}");
    env(&generic).map(|v| (generic, v))
}

fn transport(env: Env<'_>, signal: Signal) -> Result<Transport, BackendError> {
    let protocol = match signal_var(env, signal, "PROTOCOL") {
        None => Protocol::HttpProtobuf,
        Some((_, v)) if v.trim().eq_ignore_ascii_case("http/protobuf") => Protocol::HttpProtobuf,
        Some((_, v)) if v.trim().eq_ignore_ascii_case("grpc") => Protocol::Grpc,
        Some((name, v)) => {
            return Err(BackendError(format!(
                "{name}={v}: this build speaks `http/protobuf` and `grpc` (not `http/json`)"
            )));
        }
    };
    let timeout = match signal_var(env, signal, "TIMEOUT") {
        None => Duration::from_secs(10),
        Some((name, v)) => match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                return Err(BackendError(format!(
                    "{name}={v}: expected a positive number of milliseconds"
                )));
            }
        },
    };
    Ok(Transport { protocol, timeout })
}

fn positive(env: Env<'_>, name: &str, default: usize) -> Result<usize, BackendError> {
    match env(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(BackendError(format!(
                "{name}={v}: expected a positive integer"
            ))),
        },
    }
}

fn sampler(env: Env<'_>) -> Result<SamplerChoice, BackendError> {
    let ratio = || -> Result<f64, BackendError> {
        match env("OTEL_TRACES_SAMPLER_ARG") {
            // The specification's default ratio is 1.0.
            None => Ok(1.0),
            Some(v) => match v.trim().parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                _ => Err(BackendError(format!(
                    "OTEL_TRACES_SAMPLER_ARG={v}: expected a ratio between 0 and 1"
                ))),
            },
        }
    };
    // The specification's default is `parentbased_always_on`.
    let Some(name) = env("OTEL_TRACES_SAMPLER") else {
        return Ok(SamplerChoice::ParentBasedAlwaysOn);
    };
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "always_on" => SamplerChoice::AlwaysOn,
        "always_off" => SamplerChoice::AlwaysOff,
        "traceidratio" => SamplerChoice::TraceIdRatio(ratio()?),
        "parentbased_always_on" => SamplerChoice::ParentBasedAlwaysOn,
        "parentbased_always_off" => SamplerChoice::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => SamplerChoice::ParentBasedTraceIdRatio(ratio()?),
        _ => {
            return Err(BackendError(format!(
                "OTEL_TRACES_SAMPLER={name}: expected always_on, always_off, traceidratio, \
                 parentbased_always_on, parentbased_always_off or parentbased_traceidratio"
            )));
        }
    })
}

fn propagators(env: Env<'_>) -> Result<Vec<PropagatorName>, BackendError> {
    // The specification's default is `tracecontext,baggage`.
    let Some(list) = env("OTEL_PROPAGATORS") else {
        return Ok(vec![PropagatorName::TraceContext, PropagatorName::Baggage]);
    };
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let p = match name.to_ascii_lowercase().as_str() {
            "tracecontext" => PropagatorName::TraceContext,
            "baggage" => PropagatorName::Baggage,
            "xray" => PropagatorName::Xray,
            "none" => continue,
            _ => {
                return Err(BackendError(format!(
                    "OTEL_PROPAGATORS: `{name}` is not available in this build (tracecontext, baggage, xray, none)"
                )));
            }
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

fn temporality(env: Env<'_>) -> Result<Temporality, BackendError> {
    const NAME: &str = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
    match env(NAME) {
        None => Ok(Temporality::Cumulative),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "cumulative" => Ok(Temporality::Cumulative),
            "delta" => Ok(Temporality::Delta),
            "lowmemory" => Ok(Temporality::LowMemory),
            _ => Err(BackendError(format!(
                "{NAME}={v}: expected cumulative, delta or lowmemory"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, BackendError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from(&move |k: &str| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_specification() {
        let c = config(&[]).unwrap();
        assert_eq!(c.traces.protocol, Protocol::HttpProtobuf);
        assert_eq!(c.traces.timeout, Duration::from_secs(10));
        assert_eq!(c.sampler, SamplerChoice::ParentBasedAlwaysOn);
        assert_eq!(
            c.propagators,
            vec![PropagatorName::TraceContext, PropagatorName::Baggage]
        );
        assert_eq!(c.id_scheme, IdScheme::Random);
        assert_eq!(c.span_queue, 2048);
        assert_eq!(c.temporality, Temporality::Cumulative);
    }

    #[test]
    fn signal_specific_variables_win_over_generic_ones() {
        let c = config(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ])
        .unwrap();
        assert_eq!(c.traces.protocol, Protocol::Grpc);
        assert_eq!(c.metrics.protocol, Protocol::Grpc);
        assert_eq!(c.logs.protocol, Protocol::HttpProtobuf);
        assert_eq!(c.traces.timeout, Duration::from_millis(2500));
        assert_eq!(c.metrics.timeout, Duration::from_millis(700));
    }

    #[test]
    fn samplers_and_propagators_parse() {
        let c = config(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.05"),
            ("OTEL_PROPAGATORS", "xray, tracecontext,xray"),
        ])
        .unwrap();
        assert_eq!(c.sampler, SamplerChoice::ParentBasedTraceIdRatio(0.05));
        assert_eq!(
            c.propagators,
            vec![PropagatorName::Xray, PropagatorName::TraceContext]
        );
        // X-Ray propagation implies X-Ray-compatible ids unless told otherwise.
        assert_eq!(c.id_scheme, IdScheme::Xray);
        let c = config(&[
            ("OTEL_PROPAGATORS", "xray"),
            ("SHOP_OTEL_ID_GENERATOR", "random"),
        ])
        .unwrap();
        assert_eq!(c.id_scheme, IdScheme::Random);
        assert!(
            config(&[("OTEL_PROPAGATORS", "none")])
                .unwrap()
                .propagators
                .is_empty()
        );
    }

    #[test]
    fn bad_values_are_errors_that_name_the_variable() {
        for (k, v) in [
            ("OTEL_TRACES_SAMPLER", "sometimes"),
            ("OTEL_PROPAGATORS", "b3"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            (
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                "sideways",
            ),
            ("SHOP_OTEL_ID_GENERATOR", "uuid"),
        ] {
            let e = config(&[(k, v)]).unwrap_err();
            assert!(e.0.contains(k), "{e}");
        }
        let e = config(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "2"),
        ])
        .unwrap_err();
        assert!(e.0.contains("OTEL_TRACES_SAMPLER_ARG"));
    }
}
