//! The lab's stand-in for the part of AWS that hands S3's notifications to
//! `image-resize` — and ONLY that. Neither LocalStack nor moto runs Lambda
//! code without Docker, and `cargo lambda watch` has no event sources, so
//! in the lab the bucket notifies a queue and this poller does what the
//! Lambda service would do with it:
//!
//! 1. receive up to 10 messages from the queue (long polling), with their
//!    `AWSTraceHeader` system attribute and message attributes;
//! 2. skip S3's `s3:TestEvent` (S3 sends it when the notification is set
//!    up; AWS never invokes a function with it) and delete it;
//! 3. invoke the function synchronously through the Lambda Invoke API with
//!    the message body, the S3 notification, as the event: what S3 sends a
//!    function it notifies directly;
//! 4. delete the message when the invocation succeeded; otherwise leave it,
//!    so the queue redelivers it after its visibility timeout and its
//!    redrive policy moves it to a dead-letter queue after N receives, as
//!    with a real SQS event-source mapping.
//!
//! The trace context, when the message carries one (`AWSTraceHeader`, or a
//! `traceparent` message attribute), goes on with the invocation (see
//! [`crate::invoke`]). LocalStack's S3 notifications carry none
//! (docs/functions.md). It makes no spans, metrics or logs to any backend:
//! the Lambda service's own segments are not something the lab imitates.
//!
//! What it does not do: batching several messages into one SQS event,
//! partial batch responses, concurrency scaling, or back-off: one message,
//! one invocation, one at a time.

use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use serde_json::Value;

use crate::carrier::Fields;
use crate::invoke::{Carriers, Invoker};

/// What one poll did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Polled {
    pub received: usize,
    pub invoked: usize,
    pub deleted: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// The poller: a queue, a function, a Lambda endpoint.
#[derive(Debug, Clone)]
pub struct EventSource {
    pub sqs: aws_sdk_sqs::Client,
    pub invoker: Invoker,
    pub queue_url: String,
    pub function: String,
    pub wait: Duration,
}

impl EventSource {
    /// One receive (long poll for up to `wait`) and the invocations of what
    /// it brought.
    pub async fn poll_once(&self) -> Result<Polled, String> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(self.wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "ReceiveMessage: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?;
        let mut polled = Polled::default();
        for message in received.messages() {
            polled.received += 1;
            let id = message.message_id().unwrap_or("?");
            let body = message.body().unwrap_or("");
            let event: Value = match serde_json::from_str(body) {
                Ok(v) => v,
                Err(e) => {
                    // Left on the queue: the redrive policy ends it in the DLQ.
                    log(
                        "message body is not JSON; left for the dead-letter queue",
                        id,
                        &e.to_string(),
                    );
                    polled.failed += 1;
                    continue;
                }
            };
            let delete = if event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
                polled.skipped += 1;
                true
            } else {
                let mut fields = Fields::new();
                if let Some(h) = message
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::AwsTraceHeader))
                {
                    fields = fields.with("x-amzn-trace-id", h.clone());
                }
                for (name, value) in message.message_attributes().into_iter().flatten() {
                    if matches!(
                        name.to_ascii_lowercase().as_str(),
                        "traceparent" | "tracestate"
                    ) && let Some(v) = value.string_value()
                    {
                        fields = fields.with(name, v);
                    }
                }
                polled.invoked += 1;
                match self
                    .invoker
                    .invoke(&self.function, event, &fields, Carriers::ALL)
                    .await
                {
                    Ok(answer) if answer.succeeded() => true,
                    Ok(answer) => {
                        log(
                            "the function failed; the message stays for redelivery",
                            id,
                            &String::from_utf8_lossy(&answer.payload),
                        );
                        polled.failed += 1;
                        false
                    }
                    Err(e) => {
                        log(
                            "could not invoke; the message stays for redelivery",
                            id,
                            &e.to_string(),
                        );
                        polled.failed += 1;
                        false
                    }
                }
            };
            if delete && let Some(handle) = message.receipt_handle() {
                match self
                    .sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                {
                    Ok(_) => polled.deleted += 1,
                    Err(e) => log(
                        "DeleteMessage failed",
                        id,
                        &aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
                    ),
                }
            }
        }
        Ok(polled)
    }
}

/// One JSON line on stderr (this component has no telemetry backend).
pub fn log(message: &str, message_id: &str, detail: &str) {
    eprintln!(
        "{}",
        serde_json::json!({"component": "lab-event-source", "message": message, "sqs_message_id": message_id, "detail": detail})
    );
}
