//! The telemetry backend of a function: which ones this build has, which one
//! to run, and building it. Mirrors `shop::startup::backend` (the server's
//! one file that names a backend): the only file of this crate that names
//! one. The choice is `SHOP_TELEMETRY` (`noop`, `awssdk`, `otel`), as for
//! the shop; the cargo features `awssdk` and `otel` compile them in.

use telemetry_api::{Backend, Resource};

/// X-Ray's `origin` for a Lambda function's segments (the default of
/// `SHOP_XRAY_ORIGIN` here).
pub const LAMBDA_ORIGIN: &str = "AWS::Lambda::Function";

/// Telemetry backends a function knows about (whether compiled in or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryChoice {
    Noop,
    Awssdk,
    Otel,
}

impl TelemetryChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            TelemetryChoice::Noop => "noop",
            TelemetryChoice::Awssdk => "awssdk",
            TelemetryChoice::Otel => "otel",
        }
    }

    /// Parses `noop`, `awssdk` or `otel` (the values of `SHOP_TELEMETRY`).
    pub fn parse(s: &str) -> Option<TelemetryChoice> {
        match s.trim().to_ascii_lowercase().as_str() {
            "noop" => Some(TelemetryChoice::Noop),
            "awssdk" => Some(TelemetryChoice::Awssdk),
            "otel" => Some(TelemetryChoice::Otel),
            _ => None,
        }
    }
}

/// Why no backend can be chosen, or the chosen one did not start.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("SHOP_TELEMETRY={0:?} is not a telemetry backend: use noop, awssdk or otel")]
    Unknown(String),
    #[error(
        "the `{0}` telemetry backend is not compiled into this build; rebuild with `cargo build -p shop-functions --features {0}` (compiled in: {1})"
    )]
    NotCompiled(&'static str, String),
    #[error("more than one telemetry backend is compiled in ({0}); choose one with SHOP_TELEMETRY")]
    Ambiguous(String),
    #[error("the {backend} telemetry backend failed to start: {message}")]
    Start {
        backend: &'static str,
        message: String,
    },
}

/// The backend to run: the one `SHOP_TELEMETRY` names if it is compiled in,
/// else the single compiled backend, else `noop` (as the shop decides).
pub fn resolve(asked: Option<&str>) -> Result<TelemetryChoice, BackendError> {
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            Some(TelemetryChoice::parse(s).ok_or_else(|| BackendError::Unknown(s.to_owned()))?)
        }
    };
    let compiled = compiled_backends();
    match asked {
        Some(TelemetryChoice::Noop) => Ok(TelemetryChoice::Noop),
        Some(choice) if compiled.contains(&choice) => Ok(choice),
        Some(choice) => Err(BackendError::NotCompiled(choice.as_str(), names(&compiled))),
        None => match compiled.as_slice() {
            [] => Ok(TelemetryChoice::Noop),
            [one] => Ok(*one),
            _ => Err(BackendError::Ambiguous(names(&compiled))),
        },
    }
}

/// The backends compiled into this binary, besides `noop`.
pub fn compiled_backends() -> Vec<TelemetryChoice> {
    [
        cfg!(feature = "awssdk").then_some(TelemetryChoice::Awssdk),
        cfg!(feature = "otel").then_some(TelemetryChoice::Otel),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn names(v: &[TelemetryChoice]) -> String {
    if v.is_empty() {
        "noop only".to_owned()
    } else {
        v.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Builds the chosen backend.
#[cfg_attr(
    not(any(feature = "awssdk", feature = "otel")),
    allow(unused_variables)
)]
pub async fn build(choice: TelemetryChoice, resource: &Resource) -> Result<Backend, BackendError> {
    match choice {
        TelemetryChoice::Noop => Ok(telemetry_api::noop::backend()),
        #[cfg(feature = "awssdk")]
        TelemetryChoice::Awssdk => {
            let failed = |e: telemetry_api::BackendError| BackendError::Start {
                backend: "awssdk",
                message: e.to_string(),
            };
            // As the shop's, from the environment, but a segment's origin is Lambda's unless
            // SHOP_XRAY_ORIGIN says otherwise.
            let config = telemetry_awssdk::config::Config::from(resource, |k| {
                std::env::var(k)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .or_else(|| (k == "SHOP_XRAY_ORIGIN").then(|| LAMBDA_ORIGIN.to_owned()))
            })
            .map_err(failed)?;
            telemetry_awssdk::build(resource, &config)
                .await
                .map_err(failed)
        }
        #[cfg(feature = "otel")]
        TelemetryChoice::Otel => {
            telemetry_otel::backend(resource)
                .await
                .map_err(|e| BackendError::Start {
                    backend: "otel",
                    message: e.to_string(),
                })
        }
        #[allow(unreachable_patterns)]
        other => Err(BackendError::NotCompiled(
            other.as_str(),
            names(&compiled_backends()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noop_is_always_there_and_others_only_when_compiled() {
        assert_eq!(resolve(Some("noop")).unwrap(), TelemetryChoice::Noop);
        for choice in [TelemetryChoice::Awssdk, TelemetryChoice::Otel] {
            let compiled = compiled_backends().contains(&choice);
            assert_eq!(
                resolve(Some(choice.as_str())).is_ok(),
                compiled,
                "{choice:?}"
            );
        }
        assert!(matches!(
            resolve(Some("xray")),
            Err(BackendError::Unknown(_))
        ));
    }
}
