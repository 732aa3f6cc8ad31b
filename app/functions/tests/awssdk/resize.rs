//! Upload an original → S3's notification → SQS → `lab-event-source` →
//! `image-resize` under `cargo lambda watch` → the catalog's sizes in S3.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use shop_core::catalog::image_store::revision_of;
use shop_core::catalog::resize::resize_for_catalog;

use crate::common::{self, KillOnDrop, Watch};
use crate::lab;

#[tokio::test(flavor = "multi_thread")]
async fn an_uploaded_original_becomes_the_catalog_sizes_through_the_event_source_and_the_function()
{
    let started = Instant::now();
    let env = common::emulators();
    let bucket = lab::bucket(&env).await;
    let (s3, sqs) = (common::s3(&env), common::sqs(&env));

    // The bucket notifies a queue of every object created under originals/.
    let queue = sqs
        .create_queue()
        .queue_name(common::unique("fn-originals"))
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap().to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .id("originals")
                        .queue_arn(&queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .filter(
                            NotificationConfigurationFilter::builder()
                                .key(
                                    S3KeyFilter::builder()
                                        .filter_rules(
                                            FilterRule::builder()
                                                .name(FilterRuleName::Prefix)
                                                .value("originals/")
                                                .build(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PutBucketNotificationConfiguration: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });

    // The function under cargo lambda watch, and the event source invoking it.
    let watch = Watch::start();
    let mut function = lab::image_resize(&watch, &env, "fn-test-resize", &bucket);
    let mut source = common::clean_command(env!("CARGO_BIN_EXE_lab-event-source"));
    source
        .envs(&env)
        .env("AWS_ENDPOINT_URL_LAMBDA", watch.endpoint())
        .env("SHOP_EVENT_SOURCE_QUEUE_URL", &queue_url)
        .env("SHOP_EVENT_SOURCE_WAIT_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    let mut source = KillOnDrop(source.spawn().expect("lab-event-source starts"));
    let ready = started.elapsed();

    // An admin's photo, 640 × 480 JPEG, its name with a space (keys arrive URL-encoded).
    let photo = common::jpeg(640, 480);
    let key = "originals/products/7/holiday photo.jpg";
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .content_type("image/jpeg")
        .body(ByteStream::from(photo.clone()))
        .send()
        .await
        .unwrap();
    let uploaded = Instant::now();

    // And a file that is no picture, whatever its name says: refused, not retried.
    s3.put_object()
        .bucket(&bucket)
        .key("originals/products/8/notes.jpg")
        .body(ByteStream::from(b"not a picture at all".to_vec()))
        .send()
        .await
        .unwrap();

    // What the shop's own resizer makes of it decides the revision, hence the keys.
    let revision = revision_of(&resize_for_catalog(&photo).unwrap());
    let prefix = format!("products/7/{revision}/");
    let deadline = Instant::now() + Duration::from_secs(60);
    let keys = loop {
        let listed = s3
            .list_objects_v2()
            .bucket(&bucket)
            .prefix(&prefix)
            .send()
            .await
            .unwrap();
        let keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect();
        if keys.len() == 3 {
            break keys;
        }
        assert!(
            source.0.try_wait().unwrap().is_none(),
            "lab-event-source exited"
        );
        assert!(
            function.running(),
            "image-resize exited: {:?}",
            function.lines()
        );
        assert!(
            Instant::now() < deadline,
            "after 60 s, {prefix} holds {keys:?}; function output: {:#?}",
            function.lines()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let delay = uploaded.elapsed();
    assert_eq!(
        keys,
        vec![
            format!("{prefix}large.png"),
            format!("{prefix}original"),
            format!("{prefix}thumb.png")
        ]
    );

    let get = |k: String| {
        let s3 = s3.clone();
        let bucket = bucket.clone();
        async move {
            let o = s3
                .get_object()
                .bucket(&bucket)
                .key(&k)
                .send()
                .await
                .unwrap();
            let content_type = o.content_type().map(str::to_owned);
            (
                o.body.collect().await.unwrap().into_bytes().to_vec(),
                content_type,
            )
        }
    };
    let (large, large_type) = get(format!("{prefix}large.png")).await;
    let (thumb, _) = get(format!("{prefix}thumb.png")).await;
    let (original, original_type) = get(format!("{prefix}original")).await;
    assert_eq!(common::png_dimensions(&large), (600, 600));
    assert_eq!(common::png_dimensions(&thumb), (200, 200));
    assert_eq!(large_type.as_deref(), Some("image/png"));
    assert_eq!(original, photo);
    assert_eq!(original_type.as_deref(), Some("image/jpeg"));

    // The function's closing log line: one original resized, under a request id and a trace.
    let finished = function
        .wait_json(Duration::from_secs(10), |l| {
            l["message"] == "invocation finished" && l["shop.function.items"] == 1
        })
        .unwrap_or_else(|| {
            panic!(
                "no 'invocation finished' line with 1 item: {:#?}",
                function.lines()
            )
        });
    assert!(
        finished["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{finished}"
    );
    let trace_id = finished["trace_id"]
        .as_str()
        .expect("a trace id")
        .to_owned();

    // The refused file: logged, nothing written for product 8, and (below) its message deleted.
    let refused = function
        .wait_json(Duration::from_secs(30), |l| {
            l["message"] == "original refused; nothing written"
        })
        .unwrap_or_else(|| panic!("no refusal logged: {:#?}", function.lines()));
    assert_eq!(refused["error.type"], "not_an_image", "{refused}");
    assert_eq!(refused["shop.product.id"], 8);
    let listed = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix("products/8/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0));

    // Every message was deleted once the function succeeded (the test event too): the queue is empty.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .unwrap();
        let n = |a: QueueAttributeName| attrs.attributes().unwrap()[&a].parse::<u64>().unwrap();
        if n(QueueAttributeName::ApproximateNumberOfMessages)
            + n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            == 0
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the queue still holds messages: {attrs:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The invocation's segment is in X-Ray: S3's notification carries no trace context in
    // LocalStack, so the function's trace is the one cargo lambda watch gave it.
    let docs = common::segments(&env, &trace_id, Duration::from_secs(10)).await;
    let segment = docs
        .iter()
        .find(|d| d["name"] == "fn-test-resize")
        .unwrap_or_else(|| panic!("no fn-test-resize segment in trace {trace_id}: {docs:#?}"));
    assert_eq!(segment["origin"], "AWS::Lambda::Function", "{segment}");
    let names = subsegment_names(segment);
    for expected in [
        "image.resize",
        "S3.GetObject",
        "catalog.image.decode",
        "S3.PutObject",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    eprintln!(
        "resize end to end: lab ready in {ready:.1?}, upload to three objects in {delay:.1?}, whole test {:.1?}",
        started.elapsed()
    );
    drop(source);
}

/// Every subsegment name under a segment, depth first; an AWS call's as
/// `Service.Operation` (X-Ray names the subsegment after the service and
/// keeps the operation in its `aws` block).
pub fn subsegment_names(doc: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        for s in v["subsegments"].as_array().into_iter().flatten() {
            if let Some(n) = s["name"].as_str() {
                match s["aws"]["operation"].as_str() {
                    Some(op) => out.push(format!("{n}.{op}")),
                    None => out.push(n.to_owned()),
                }
            }
            walk(s, out);
        }
    }
    walk(doc, &mut out);
    out
}

/// What an SQS event-source mapping does with a message's `AWSTraceHeader`
/// (the Lambda service continues that trace), the stand-in does too: a
/// message carrying one is processed in the sender's trace. (S3's own
/// notifications carry none in LocalStack; a producer that sends with the
/// header does, as SNS → SQS does when Publish had one.)
#[tokio::test(flavor = "multi_thread")]
async fn the_event_source_continues_the_trace_of_a_message_that_carries_one() {
    let env = common::emulators();
    let bucket = lab::bucket(&env).await;
    let (s3, sqs) = (common::s3(&env), common::sqs(&env));
    let key = "originals/products/11/side.jpg";
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(common::jpeg(300, 300)))
        .send()
        .await
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name(common::unique("fn-traced"))
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_owned();
    let (header, root, parent) = common::caller_trace_header();
    let body = serde_json::json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]});
    sqs.send_message()
        .queue_url(&queue_url)
        .message_body(body.to_string())
        .message_system_attributes(
            aws_sdk_sqs::types::MessageSystemAttributeNameForSends::AwsTraceHeader,
            aws_sdk_sqs::types::MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value(&header)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let watch = Watch::start();
    let mut function = lab::image_resize(&watch, &env, "fn-test-traced", &bucket);
    let mut source = common::clean_command(env!("CARGO_BIN_EXE_lab-event-source"));
    source
        .envs(&env)
        .env("AWS_ENDPOINT_URL_LAMBDA", watch.endpoint())
        .env("SHOP_EVENT_SOURCE_QUEUE_URL", &queue_url)
        .env("SHOP_EVENT_SOURCE_WAIT_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    let _source = KillOnDrop(source.spawn().expect("lab-event-source starts"));

    let finished = function
        .wait_json(Duration::from_secs(30), |l| {
            l["message"] == "invocation finished" && l["shop.function.items"] == 1
        })
        .unwrap_or_else(|| panic!("no invocation: {:#?}", function.lines()));
    assert_eq!(finished["trace_id"], root.as_str(), "{finished}");
    let docs = common::segments(&env, &root, Duration::from_secs(10)).await;
    let segment = docs
        .iter()
        .find(|d| d["name"] == "fn-test-traced")
        .unwrap_or_else(|| panic!("no fn-test-traced segment in {root}: {docs:#?}"));
    assert_eq!(segment["parent_id"], parent.as_str());
    assert_eq!(
        segment["metadata"]["attributes"]["shop.function.trace_source"], "event",
        "{segment}"
    );
}
