//! `lab-event-source`: the lab's stand-in for the Lambda service's delivery
//! of a queue's messages. Polls a queue and invokes the function through the
//! Lambda Invoke API: with each S3 notification (`s3`, the default: the
//! queue that receives the bucket's ObjectCreated notifications, for
//! `image-resize`), deleting the message when the invocation succeeded; or
//! with SQS batches as an event-source mapping does (`sqs`: the mail queue,
//! for `order-mail`), deleting what the answer's `batchItemFailures` does
//! not name. It does only what the Lambda service would do (see
//! `shop_functions::event_source` and README.md).
//!
//! Settings (environment): `SHOP_EVENT_SOURCE_QUEUE_URL` (required),
//! `SHOP_EVENT_SOURCE_FUNCTION` (default `image-resize`),
//! `SHOP_EVENT_SOURCE_EVENT` (`s3` or `sqs`, default `s3`),
//! `SHOP_EVENT_SOURCE_WAIT_SECS` (long poll, default 5); the AWS SDK's
//! chain with `AWS_ENDPOINT_URL_SQS` (LocalStack) and
//! `AWS_ENDPOINT_URL_LAMBDA` (`cargo lambda watch`). Stops on SIGTERM or
//! Ctrl-C after the poll under way.

use std::process::ExitCode;
use std::time::Duration;

use shop_functions::event_source::{EventShape, EventSource, log};
use shop_functions::invoke::Invoker;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(queue_url) = std::env::var("SHOP_EVENT_SOURCE_QUEUE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!(
            "lab-event-source: SHOP_EVENT_SOURCE_QUEUE_URL is not set (the queue the bucket notifies)"
        );
        return ExitCode::from(2);
    };
    let function =
        std::env::var("SHOP_EVENT_SOURCE_FUNCTION").unwrap_or_else(|_| "image-resize".to_owned());
    let shape = match std::env::var("SHOP_EVENT_SOURCE_EVENT")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        None => EventShape::default(),
        Some(v) => match EventShape::parse(&v) {
            Some(shape) => shape,
            None => {
                eprintln!(
                    "lab-event-source: SHOP_EVENT_SOURCE_EVENT={v:?} is not an event shape: use s3 (one S3 notification per invocation) or sqs (SQS batches)"
                );
                return ExitCode::from(2);
            }
        },
    };
    let wait = std::env::var("SHOP_EVENT_SOURCE_WAIT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let source = EventSource {
        sqs: aws_sdk_sqs::Client::new(&sdk),
        invoker: Invoker::from_env(None).await,
        queue_url,
        function,
        wait: Duration::from_secs(wait),
        shape,
    };
    eprintln!(
        "{}",
        serde_json::json!({"component": "lab-event-source", "message": "polling", "queue_url": source.queue_url, "function": source.function, "event": source.shape.as_str()})
    );
    let mut stop = std::pin::pin!(async {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    });
    loop {
        tokio::select! {
            _ = &mut stop => return ExitCode::SUCCESS,
            polled = source.poll_once() => match polled {
                Ok(p) if p.received > 0 => eprintln!(
                    "{}",
                    serde_json::json!({"component": "lab-event-source", "message": "polled",
                        "received": p.received, "invoked": p.invoked, "deleted": p.deleted, "failed": p.failed, "skipped": p.skipped})
                ),
                Ok(_) => {}
                Err(e) => {
                    log("poll failed; retrying in 1 s", "-", &e);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        }
    }
}
