//! What a function writes on stdout (where Lambda collects it for
//! CloudWatch Logs): JSON log lines carrying the Lambda request id and the
//! trace id, and one EMF line per invocation with its duration, whether it
//! was a cold start, how many items it processed and the process's memory.

use std::time::Duration;

use serde_json::{Value, json};
use shop_functions::carrier::Fields;
use shop_functions::invoke::{Carriers, Invoker};

use crate::common::{self, Watch};
use crate::lab;

#[tokio::test(flavor = "multi_thread")]
async fn each_invocation_logs_its_request_and_trace_id_and_prints_one_emf_line() {
    let env = common::emulators();
    let bucket = lab::bucket(&env).await;
    let watch = Watch::start();
    let mut function = lab::image_resize(&watch, &env, "fn-test-stdout", &bucket);
    let invoker = Invoker::new(common::lambda(&watch.endpoint(), &env));
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket});

    let mut seen = Vec::new();
    for cold in [true, false] {
        let (header, root, _) = common::caller_trace_header();
        let answer = invoker
            .invoke(
                "image-resize",
                test_event.clone(),
                &Fields::new().with("x-amzn-trace-id", header),
                Carriers::ALL,
            )
            .await
            .unwrap();
        assert!(
            answer.succeeded(),
            "{:?}",
            String::from_utf8_lossy(&answer.payload)
        );
        let invocation = answer.json()["invocation"].clone();
        let request_id = invocation["request_id"].as_str().unwrap().to_owned();
        assert_eq!(invocation["trace_id"], root.as_str());
        assert_eq!(invocation["cold_start"], cold);

        // The closing log line: JSON, with the request id and the trace id in X-Ray's format.
        let line = function
            .wait_json(Duration::from_secs(10), |l| {
                l["request_id"] == request_id.as_str() && l["message"] == "invocation finished"
            })
            .unwrap_or_else(|| panic!("no log line for {request_id}: {:#?}", function.lines()));
        assert_eq!(line["trace_id"], root.as_str(), "{line}");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["service"], "fn-test-stdout");
        assert_eq!(line["faas.coldstart"], cold);
        assert!(
            line["span_id"].as_str().is_some_and(|s| s.len() == 16),
            "{line}"
        );

        // The EMF line: metrics declared under _aws, values at the top, the ids as properties.
        let emf = function
            .wait_json(Duration::from_secs(10), |l| {
                l.get("_aws").is_some() && l["request_id"] == request_id.as_str()
            })
            .unwrap_or_else(|| panic!("no EMF line for {request_id}: {:#?}", function.lines()));
        let declared = &emf["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "ShopLab/Functions");
        assert_eq!(declared["Dimensions"], json!([["FunctionName"]]));
        let mut names: Vec<&str> = declared["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        names.sort_unstable();
        let mut expected = vec!["ColdStart", "Duration", "FlushDuration", "ItemsProcessed"];
        if cold {
            expected.push("InitDuration");
        }
        // The process's own memory (Lambda's REPORT line has "Max Memory Used";
        // cargo-lambda has no such line). Read from /proc, so only on Linux.
        if cfg!(target_os = "linux") {
            expected.extend(["MaxMemoryUsed", "MemoryUsed"]);
        }
        expected.sort_unstable();
        assert_eq!(names, expected, "{emf}");
        for m in declared["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            let unit = if name.ends_with("Duration") {
                "Milliseconds"
            } else if name.ends_with("MemoryUsed") {
                "Megabytes"
            } else {
                "Count"
            };
            assert_eq!(m["Unit"], unit, "{m}");
        }
        if cfg!(target_os = "linux") {
            // Plausible: a Rust process with a tokio runtime and the AWS SDK is
            // megabytes, not bytes or gigabytes, and its peak is never below now.
            let (peak, now) = (
                emf["MaxMemoryUsed"].as_f64().unwrap(),
                emf["MemoryUsed"].as_f64().unwrap(),
            );
            assert!(now > 1.0 && peak >= now && peak < 4096.0, "{emf}");
        }
        assert!(emf["_aws"]["Timestamp"].as_u64().is_some());
        assert_eq!(emf["FunctionName"], "image-resize");
        assert_eq!(emf["ColdStart"], if cold { 1.0 } else { 0.0 });
        assert_eq!(emf["ItemsProcessed"], 0.0);
        assert!(emf["Duration"].as_f64().is_some_and(|d| d >= 0.0), "{emf}");
        assert_eq!(emf["trace_id"], root.as_str());
        assert_eq!(emf["outcome"], "success");
        assert_eq!(emf["telemetry"], "awssdk");
        seen.push(emf);
    }
    // Every stdout line is JSON: logs and EMF alike (CloudWatch Logs can parse all of them).
    let lines = function.lines().to_vec();
    for l in &lines {
        assert!(
            serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()),
            "not a JSON line: {l}"
        );
    }
    eprintln!("EMF, cold then warm: {}\n{}", seen[0], seen[1]);
}
