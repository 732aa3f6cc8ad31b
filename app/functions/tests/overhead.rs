//! Cold-start and per-invocation overhead of each telemetry backend inside
//! a function (issue #16, "Lambda cold-start overhead per backend"): a
//! measurement, not a check, so it is ignored by default. Run it with
//!
//! ```sh
//! cargo test -p shop-functions --all-features --test overhead -- --ignored --nocapture
//! ```
//!
//! For each backend (`noop`, `awssdk` to LocalStack and moto, `otel` to an
//! in-process otlp-capture), `SHOP_OVERHEAD_COLD` fresh `image-resize`
//! processes (default 5) each serve one cold and `SHOP_OVERHEAD_WARM`
//! (default 10) warm invocations resizing a 320 × 200 JPEG from LocalStack's
//! S3, under `cargo lambda watch`. It prints the medians of what the
//! function's EMF lines say: `InitDuration`, `Duration` cold and warm,
//! `FlushDuration` cold and warm, and the invoker's round trip.

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use serde_json::{Value, json};
use shop_functions::carrier::Fields;
use shop_functions::invoke::{Carriers, Invoker};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn overhead_per_backend() {
    let (colds, warms) = (
        count("SHOP_OVERHEAD_COLD", 5),
        count("SHOP_OVERHEAD_WARM", 10),
    );
    let lab = common::emulators();
    let bucket = common::unique("fn-overhead");
    let s3 = common::s3(&lab);
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let key = "originals/products/9/p.jpg";
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(common::jpeg(320, 200)))
        .send()
        .await
        .unwrap();
    let event = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]});
    let capture = otlp_capture::Capture::start().unwrap();
    let rules = common::repo_root().join("telemetry-awssdk/sampling-rules/sample-everything.json");

    println!(
        "backend | cold starts | warm | InitDuration | Duration cold | Duration warm | FlushDuration cold | FlushDuration warm | round trip warm (ms, medians)"
    );
    for backend in ["noop", "awssdk", "otel"] {
        let mut env: BTreeMap<String, String> = lab.clone();
        for (k, v) in [
            ("SHOP_TELEMETRY", backend),
            ("SHOP_SERVICE_NAME", "fn-overhead"),
            ("SHOP_IMAGES_BUCKET", bucket.as_str()),
            ("SHOP_XRAY_SAMPLING_RULES", &rules.display().to_string()),
            ("SHOP_CW_NAMESPACE", "ShopLabTest/fn-overhead"),
            ("SHOP_CW_LOG_GROUP", "/shop-lab-test/fn-overhead"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &capture.url()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ] {
            env.insert(k.to_owned(), v.to_owned());
        }
        let (mut init, mut cold_d, mut warm_d, mut cold_f, mut warm_f, mut trip) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..colds {
            let watch = common::Watch::start();
            let mut function = watch.attach(
                "image-resize",
                Path::new(env!("CARGO_BIN_EXE_image-resize")),
                &env,
            );
            let invoker = Invoker::new(common::lambda(&watch.endpoint(), &lab));
            for i in 0..=warms {
                let clock = Instant::now();
                let answer = invoker
                    .invoke("image-resize", event.clone(), &Fields::new(), Carriers::ALL)
                    .await
                    .unwrap();
                let elapsed = clock.elapsed().as_secs_f64() * 1000.0;
                assert!(
                    answer.succeeded(),
                    "{}",
                    String::from_utf8_lossy(&answer.payload)
                );
                let request_id = answer.json()["invocation"]["request_id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let emf: Value = function
                    .wait_json(Duration::from_secs(10), |l| {
                        l.get("_aws").is_some() && l["request_id"] == request_id.as_str()
                    })
                    .expect("the EMF line");
                let f = |k: &str| emf[k].as_f64().unwrap();
                if i == 0 {
                    init.push(f("InitDuration"));
                    cold_d.push(f("Duration"));
                    cold_f.push(f("FlushDuration"));
                } else {
                    warm_d.push(f("Duration"));
                    warm_f.push(f("FlushDuration"));
                    trip.push(elapsed);
                }
            }
        }
        println!(
            "{backend} | {colds} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1}",
            colds * warms,
            median(init),
            median(cold_d),
            median(warm_d),
            median(cold_f),
            median(warm_f),
            median(trip)
        );
    }
}
