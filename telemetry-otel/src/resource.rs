//! The OpenTelemetry resource: who emits the telemetry.
//!
//! Built from the contract's [`telemetry_api::Resource`] (what the shop knows
//! about itself: service name and version from its flags, environment,
//! instance id, host name, pid, role), then the specification's environment
//! variables on top, so an operator's `OTEL_*` settings win over the shop's
//! defaults:
//!
//! 1. the shop's attributes (`service.*`, `deployment.environment.name`,
//!    `host.name`, `host.arch`, `os.type`, `process.pid`,
//!    `process.executable.name`, `process.runtime.name`, `shop.role`);
//! 2. the SDK's `TelemetryResourceDetector` (`telemetry.sdk.*`);
//! 3. the SDK's `EnvResourceDetector`: `OTEL_RESOURCE_ATTRIBUTES`;
//! 4. `OTEL_SERVICE_NAME`, which the specification ranks above a
//!    `service.name` in `OTEL_RESOURCE_ATTRIBUTES`.
//!
//! `host.arch`, `os.type` and the process attributes are a few standard
//! library constants, written here rather than pulling in
//! `opentelemetry-resource-detectors`, whose process detector would also
//! export the command line (and with it a `--database-url` password).

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::{
    EnvResourceDetector, ResourceDetector, TelemetryResourceDetector,
};
use telemetry_api::semconv;

/// The resource for the contract's description of this process;
/// `service_name` is `OTEL_SERVICE_NAME` when set ([`crate::config::Config`]).
pub fn resource(r: &telemetry_api::Resource, service_name: Option<&str>) -> Resource {
    let mut attributes = vec![
        KeyValue::new(semconv::SERVICE_NAME, r.service_name.clone()),
        KeyValue::new(semconv::SERVICE_VERSION, r.service_version.clone()),
        KeyValue::new(semconv::SERVICE_NAMESPACE, r.service_namespace.clone()),
        KeyValue::new(semconv::SERVICE_INSTANCE_ID, r.instance_id.clone()),
        KeyValue::new(semconv::DEPLOYMENT_ENVIRONMENT_NAME, r.environment.clone()),
        KeyValue::new(semconv::HOST_NAME, r.host_name.clone()),
        KeyValue::new("host.arch", host_arch()),
        KeyValue::new("os.type", std::env::consts::OS),
        KeyValue::new(semconv::PROCESS_PID, i64::from(r.process_pid)),
        KeyValue::new("process.runtime.name", "rust"),
    ];
    if let Some(name) = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
    {
        attributes.push(KeyValue::new("process.executable.name", name));
    }
    attributes.extend(
        r.attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    let detectors: [Box<dyn ResourceDetector>; 2] = [
        Box::new(TelemetryResourceDetector),
        Box::new(EnvResourceDetector::new()),
    ];
    let mut builder = Resource::builder_empty()
        .with_attributes(attributes)
        .with_detectors(&detectors);
    if let Some(name) = service_name {
        builder = builder.with_service_name(name.to_owned());
    }
    builder.build()
}

/// The resource of a producer the shop relays for (the browser app): who it
/// is, and what it said of its SDK; nothing of this host or process, which
/// did not produce the records.
pub fn relayed_resource(r: &telemetry_api::Resource) -> Resource {
    let mut attributes = vec![
        KeyValue::new(semconv::SERVICE_NAME, r.service_name.clone()),
        KeyValue::new(semconv::SERVICE_VERSION, r.service_version.clone()),
        KeyValue::new(semconv::SERVICE_NAMESPACE, r.service_namespace.clone()),
        KeyValue::new(semconv::DEPLOYMENT_ENVIRONMENT_NAME, r.environment.clone()),
    ];
    attributes.extend(
        r.attributes
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    Resource::builder_empty()
        .with_attributes(attributes)
        .build()
}

/// `host.arch` in the semantic conventions' spelling.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::Key;

    #[test]
    fn otel_service_name_wins_over_the_shops_name() {
        let mut r = telemetry_api::Resource::new("shop-orders", "1.2.3");
        r.attributes.push(("shop.role".into(), "orders".into()));
        let get = |res: &Resource, k: &'static str| {
            res.get(&Key::from_static_str(k)).map(|v| v.to_string())
        };
        let plain = resource(&r, None);
        assert_eq!(get(&plain, "service.name").as_deref(), Some("shop-orders"));
        assert_eq!(get(&plain, "service.version").as_deref(), Some("1.2.3"));
        assert_eq!(get(&plain, "shop.role").as_deref(), Some("orders"));
        assert_eq!(
            get(&plain, "telemetry.sdk.name").as_deref(),
            Some("opentelemetry")
        );
        assert!(get(&plain, "process.pid").is_some());

        let named = resource(&r, Some("checkout"));
        assert_eq!(get(&named, "service.name").as_deref(), Some("checkout"));
    }
}
