//! The telemetry backend: which ones this build has, which one to run, and
//! building it. The only file of the shop that names a backend; everything
//! else talks to `telemetry_api` and cannot tell which one is behind it.

use clap::ValueEnum;
use telemetry_api::{Backend, Resource};

/// Telemetry backends the shop knows about (whether compiled in or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
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
}

/// Why no backend can be chosen (a usage error: exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error(
        "the `{0}` telemetry backend is not compiled into this build; rebuild with `cargo run -p shop --features {0}` (compiled in: {1})"
    )]
    NotCompiled(&'static str, String),
    #[error(
        "more than one telemetry backend is compiled in ({0}); choose one with --telemetry or SHOP_TELEMETRY"
    )]
    Ambiguous(String),
}

/// A backend that was chosen but failed to start.
#[derive(Debug, thiserror::Error)]
#[error("the {backend} telemetry backend failed to start: {message}")]
pub struct StartError {
    pub backend: &'static str,
    pub message: String,
}

/// The backend to serve with: the one asked for if it is compiled in, else
/// the single compiled backend, else `noop`. Only `serve` needs one, so
/// `migrate` and `seed` never fail on this.
pub fn resolve(asked: Option<TelemetryChoice>) -> Result<TelemetryChoice, ChoiceError> {
    let compiled = compiled_backends();
    match asked {
        Some(TelemetryChoice::Noop) => Ok(TelemetryChoice::Noop),
        Some(choice) if compiled.contains(&choice) => Ok(choice),
        Some(choice) => Err(ChoiceError::NotCompiled(choice.as_str(), names(&compiled))),
        None => match compiled.as_slice() {
            [] => Ok(TelemetryChoice::Noop),
            [one] => Ok(*one),
            _ => Err(ChoiceError::Ambiguous(names(&compiled))),
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
// Without a backend feature, only `noop` exists and the resource goes unused.
#[cfg_attr(
    not(any(feature = "awssdk", feature = "otel")),
    allow(unused_variables)
)]
pub async fn build(choice: TelemetryChoice, resource: &Resource) -> Result<Backend, StartError> {
    match choice {
        TelemetryChoice::Noop => Ok(telemetry_api::noop::backend()),
        #[cfg(feature = "awssdk")]
        TelemetryChoice::Awssdk => {
            telemetry_awssdk::backend(resource)
                .await
                .map_err(|e| StartError {
                    backend: "awssdk",
                    message: e.to_string(),
                })
        }
        #[cfg(feature = "otel")]
        TelemetryChoice::Otel => telemetry_otel::backend(resource)
            .await
            .map_err(|e| StartError {
                backend: "otel",
                message: e.to_string(),
            }),
        // `resolve` only yields compiled-in choices.
        #[allow(unreachable_patterns)]
        other => Err(StartError {
            backend: other.as_str(),
            message: "not compiled into this build".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noop_is_always_there_and_others_only_when_compiled() {
        assert_eq!(
            resolve(Some(TelemetryChoice::Noop)).unwrap(),
            TelemetryChoice::Noop
        );
        for choice in [TelemetryChoice::Awssdk, TelemetryChoice::Otel] {
            let compiled = compiled_backends().contains(&choice);
            assert_eq!(resolve(Some(choice)).is_ok(), compiled, "{choice:?}");
        }
    }
}
