//! Who emits the telemetry, in AWS's terms.
//!
//! The contract's [`Resource`] (what the shop knows about itself: service
//! name and version, environment, instance id) becomes, per signal:
//!
//! | signal | where the resource goes |
//! |---|---|
//! | traces | the segment's `name` (the service, cleaned for X-Ray), `origin` (`SHOP_XRAY_ORIGIN`), `service.version`, `aws.xray.sdk`, the `environment` annotation |
//! | metrics | the `service.name` dimension on every datum |
//! | logs | the `service` field of every line; the log group (`/shop-lab/{environment}`) and stream (`{service}/{instance id}`) |
//!
//! The log group and stream, and the metric dimension, are settled in
//! [`crate::config`]; this file holds what segments carry.

use telemetry_api::Resource;

use crate::traces::segment::segment_name;

/// What a segment needs to know about the emitting service.
#[derive(Debug, Clone)]
pub struct AwsResource {
    pub service_name: String,
    pub service_version: String,
    pub environment: String,
    /// X-Ray's `origin` (`AWS::ECS::Container`, `AWS::EC2::Instance`, …), when known.
    pub origin: Option<String>,
    pub sdk_version: &'static str,
}

impl AwsResource {
    /// The resource for the contract's description of this process, with the
    /// configured `origin`.
    pub fn new(resource: &Resource, origin: Option<String>) -> AwsResource {
        AwsResource {
            origin,
            service_name: segment_name(&resource.service_name).into_owned(),
            service_version: resource.service_version.clone(),
            environment: resource.environment.clone(),
            sdk_version: env!("CARGO_PKG_VERSION"),
        }
    }
}
