//! What the tests share: the emulators' environment, a bucket, the
//! function under `cargo lambda watch` with the awssdk backend.

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{self, Process, Watch};

/// The rules file that samples every trace (X-Ray's default is 1/s + 5 %).
pub fn sample_everything() -> String {
    common::repo_root()
        .join("telemetry-awssdk/sampling-rules/sample-everything.json")
        .display()
        .to_string()
}

/// The environment of a function with the awssdk backend exporting to the
/// emulators, service `service`, and `extra`.
pub fn function_env(
    lab: &BTreeMap<String, String>,
    service: &str,
    extra: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let mut env = lab.clone();
    for (k, v) in [
        ("SHOP_TELEMETRY", "awssdk"),
        ("SHOP_SERVICE_NAME", service),
        ("SHOP_ENVIRONMENT", "test"),
        ("SHOP_XRAY_SAMPLING_RULES", &sample_everything()),
        ("SHOP_CW_NAMESPACE", &format!("ShopLabTest/{service}")),
        ("SHOP_CW_LOG_GROUP", &format!("/shop-lab-test/{service}")),
        (
            "SHOP_CW_EMF_LOG_GROUP",
            &format!("/shop-lab-test/{service}/metrics"),
        ),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

pub use crate::common::bucket;

/// `image-resize` (this build's binary) attached to `watch`, for `bucket`.
pub fn image_resize(
    watch: &Watch,
    lab: &BTreeMap<String, String>,
    service: &str,
    bucket: &str,
) -> Process {
    watch.attach(
        "image-resize",
        Path::new(env!("CARGO_BIN_EXE_image-resize")),
        &function_env(lab, service, &[("SHOP_IMAGES_BUCKET", bucket)]),
    )
}
