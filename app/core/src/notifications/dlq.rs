//! Dead-letter queues: looking into them and moving their messages back
//! (`shop dlq redrive`).
//!
//! A message lands in `<queue>-dlq` after the queue's `maxReceiveCount`
//! receives without being deleted: the worker could not read it, or kept
//! failing on it. Once the cause is fixed, a redrive moves the messages back
//! to the queue they came from, with SQS's own `StartMessageMoveTask` (what
//! the console's "Start DLQ redrive" button calls); the worker then gets
//! them again. Their ids and bodies are unchanged, so the worker's dedupe
//! still applies.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use crate::aws::{self, CallError, client_span};
use crate::events::provision::{self, Settings};

/// What a redrive did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Redrive {
    pub queue: String,
    pub dead_letter_queue: String,
    /// Messages in the dead-letter queue when the redrive started.
    pub waiting: i64,
    /// Messages moved back (SQS's count).
    pub moved: i64,
    /// The move task's final status (`COMPLETED`, `FAILED`, …).
    pub status: String,
}

/// How many messages `queue` holds (visible ones; SQS's approximation).
pub async fn depth(sdk: &aws_config::SdkConfig, queue: &str) -> Result<i64, CallError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let region = aws::region_of(sdk);
    let url = provision::queue_url(&sqs, &region, queue).await?;
    let (depth, _) = attributes(&sqs, &region, &url).await?;
    Ok(depth)
}

async fn attributes(
    sqs: &aws_sdk_sqs::Client,
    region: &str,
    url: &str,
) -> Result<(i64, String), CallError> {
    let out = aws::call(
        client_span!("SQS", "GetQueueAttributes", region),
        "SQS",
        "GetQueueAttributes",
        sqs.get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::QueueArn)
            .send(),
    )
    .await?;
    let a = out.attributes();
    let depth = a
        .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let arn = a
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    Ok((depth, arn))
}

/// Moves every message of `queue`'s dead-letter queue back to `queue` and
/// waits (up to `timeout`) for SQS to finish.
pub async fn redrive(
    sdk: &aws_config::SdkConfig,
    queue: &str,
    timeout: Duration,
) -> Result<Redrive, CallError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let region = aws::region_of(sdk);
    let dlq = Settings::dlq_of(queue);
    let source_url = provision::queue_url(&sqs, &region, queue).await?;
    let dlq_url = provision::queue_url(&sqs, &region, &dlq).await?;
    let (_, source_arn) = attributes(&sqs, &region, &source_url).await?;
    let (waiting, dlq_arn) = attributes(&sqs, &region, &dlq_url).await?;
    let mut result = Redrive {
        queue: queue.to_owned(),
        dead_letter_queue: dlq.clone(),
        waiting,
        moved: 0,
        status: "NOTHING_TO_MOVE".to_owned(),
    };
    if waiting == 0 {
        return Ok(result);
    }
    aws::call(
        client_span!("SQS", "StartMessageMoveTask", region.as_str()),
        "SQS",
        "StartMessageMoveTask",
        sqs.start_message_move_task()
            .source_arn(&dlq_arn)
            .destination_arn(&source_arn)
            .send(),
    )
    .await?;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let out = aws::call(
            client_span!("SQS", "ListMessageMoveTasks", region.as_str()),
            "SQS",
            "ListMessageMoveTasks",
            sqs.list_message_move_tasks()
                .source_arn(&dlq_arn)
                .max_results(1)
                .send(),
        )
        .await?;
        if let Some(task) = out.results().first() {
            result.moved = task.approximate_number_of_messages_moved();
            result.status = task.status().unwrap_or("UNKNOWN").to_owned();
            if result.status != "RUNNING" {
                return Ok(result);
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(result);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
