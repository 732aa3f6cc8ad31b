//! The lab's stand-in for the part of AWS that hands a queue's messages to a
//! function — and ONLY that. Neither LocalStack nor moto runs Lambda code
//! without Docker, and `cargo lambda watch` has no event sources, so in the
//! lab a queue receives what AWS would deliver and this poller does what the
//! Lambda service would do with it. It knows two shapes of event
//! ([`EventShape`]):
//!
//! **`s3`** (the default; `image-resize`): S3's notifications, which in AWS
//! the bucket sends the function directly.
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
//! (docs/functions.md).
//!
//! **`sqs`** (`order-mail`): what an **SQS event-source mapping** with
//! `ReportBatchItemFailures` does.
//!
//! 1. receive up to 10 messages with all their system attributes
//!    (`ApproximateReceiveCount`, `AWSTraceHeader`, …) and message attributes;
//! 2. invoke the function once with all of them as an SQS event
//!    (`{"Records": [...]}`, each record as Lambda writes it: `messageId`,
//!    `receiptHandle`, `body`, `attributes`, `messageAttributes`,
//!    `eventSourceARN`, …), with no trace context of the invocation's own:
//!    each message's context travels in its record;
//! 3. read the answer's `batchItemFailures` and delete every message it
//!    does not name; the named ones stay for redelivery (and, after N
//!    receives, the dead-letter queue). A failed invocation, or an answer
//!    naming a message that was not in the batch, leaves the whole batch,
//!    as Lambda does.
//!
//! It makes no spans, metrics or logs to any backend: the Lambda service's
//! own segments are not something the lab imitates. What it does not do:
//! concurrency scaling, batching windows, back-off, or changing a failed
//! message's visibility: one poll at a time, one invocation at a time.

use std::time::Duration;

use std::collections::HashSet;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use base64::Engine;
use serde_json::{Map, Value, json};

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

/// The event a function is invoked with: which part of AWS the poller
/// stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventShape {
    /// One invocation per message, the body (an S3 notification) as the
    /// event: S3 notifying a function directly (`image-resize`).
    #[default]
    S3,
    /// One invocation per receive, the messages as an SQS batch event: an
    /// SQS event-source mapping with `ReportBatchItemFailures`
    /// (`order-mail`).
    SqsBatch,
}

impl EventShape {
    /// `s3` or `sqs` (the values of `SHOP_EVENT_SOURCE_EVENT`).
    pub fn parse(s: &str) -> Option<EventShape> {
        match s.trim().to_ascii_lowercase().as_str() {
            "s3" => Some(EventShape::S3),
            "sqs" => Some(EventShape::SqsBatch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventShape::S3 => "s3",
            EventShape::SqsBatch => "sqs",
        }
    }
}

/// The poller: a queue, a function, a Lambda endpoint, the event's shape.
#[derive(Debug, Clone)]
pub struct EventSource {
    pub sqs: aws_sdk_sqs::Client,
    pub invoker: Invoker,
    pub queue_url: String,
    pub function: String,
    pub wait: Duration,
    pub shape: EventShape,
}

impl EventSource {
    /// One receive (long poll for up to `wait`) and the invocations of what
    /// it brought.
    pub async fn poll_once(&self) -> Result<Polled, String> {
        // An S3 notification needs only the trace header; a batch record
        // carries every system attribute, as Lambda's do.
        let system_attributes = match self.shape {
            EventShape::S3 => MessageSystemAttributeName::AwsTraceHeader,
            EventShape::SqsBatch => MessageSystemAttributeName::All,
        };
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(self.wait.as_secs().min(20) as i32)
            .message_system_attribute_names(system_attributes)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "ReceiveMessage: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?;
        match self.shape {
            EventShape::S3 => Ok(self.invoke_each(received.messages()).await),
            EventShape::SqsBatch => Ok(self.invoke_batch(received.messages()).await),
        }
    }

    /// The `s3` shape: one invocation per message.
    async fn invoke_each(&self, messages: &[Message]) -> Polled {
        let mut polled = Polled::default();
        for message in messages {
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
            if delete && self.delete(message).await {
                polled.deleted += 1;
            }
        }
        polled
    }

    /// The `sqs` shape: one invocation with the whole batch, then the
    /// deletes its partial batch response allows.
    async fn invoke_batch(&self, messages: &[Message]) -> Polled {
        let mut polled = Polled {
            received: messages.len(),
            ..Polled::default()
        };
        if messages.is_empty() {
            return polled;
        }
        let region = self
            .sqs
            .config()
            .region()
            .map_or_else(|| "us-east-1".to_owned(), ToString::to_string);
        let arn = queue_arn(&self.queue_url, &region);
        let event = sqs_event(messages, &arn, &region);
        polled.invoked = 1;
        // No context of its own: each message's is in its record.
        let answer = self
            .invoker
            .invoke(&self.function, event, &Fields::new(), Carriers::ALL)
            .await;
        let ids: Vec<&str> = messages
            .iter()
            .map(|m| m.message_id().unwrap_or(""))
            .collect();
        let failed: HashSet<String> = match answer {
            Ok(answer) if answer.succeeded() => match batch_failures(&answer.json(), &ids) {
                Ok(failed) => failed,
                Err(why) => {
                    log(
                        "the answer is not a valid partial batch response; the whole batch stays",
                        "-",
                        &why,
                    );
                    ids.iter().map(|id| (*id).to_owned()).collect()
                }
            },
            Ok(answer) => {
                log(
                    "the function failed; the whole batch stays for redelivery",
                    "-",
                    &String::from_utf8_lossy(&answer.payload),
                );
                ids.iter().map(|id| (*id).to_owned()).collect()
            }
            Err(e) => {
                log(
                    "could not invoke; the whole batch stays for redelivery",
                    "-",
                    &e.to_string(),
                );
                ids.iter().map(|id| (*id).to_owned()).collect()
            }
        };
        for (message, id) in messages.iter().zip(&ids) {
            if failed.contains(*id) {
                polled.failed += 1;
            } else if self.delete(message).await {
                polled.deleted += 1;
            }
        }
        polled
    }

    /// Deletes `message` from the queue; says whether it worked (a failed
    /// delete is logged: the message comes back, and the function's
    /// idempotence answers it).
    async fn delete(&self, message: &Message) -> bool {
        let Some(handle) = message.receipt_handle() else {
            return false;
        };
        match self
            .sqs
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(handle)
            .send()
            .await
        {
            Ok(_) => true,
            Err(e) => {
                log(
                    "DeleteMessage failed",
                    message.message_id().unwrap_or("?"),
                    &aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
                );
                false
            }
        }
    }
}

/// A queue's ARN from its URL (`…/{account}/{name}`, for AWS's URLs and
/// LocalStack's path-style ones alike) and the region: what Lambda puts in
/// a record's `eventSourceARN`.
pub fn queue_arn(queue_url: &str, region: &str) -> String {
    let mut parts = queue_url.trim_end_matches('/').rsplit('/');
    let name = parts.next().unwrap_or_default();
    let account = parts.next().unwrap_or_default();
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// The SQS event Lambda invokes a function with for `messages`: one record
/// per message, in Lambda's field names.
pub fn sqs_event(messages: &[Message], arn: &str, region: &str) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                .collect();
            let message_attributes: Map<String, Value> = m
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let binary = v
                        .binary_value()
                        .map(|b| base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
                    (
                        k.clone(),
                        json!({
                            "stringValue": v.string_value(),
                            "binaryValue": binary,
                            "stringListValues": v.string_list_values(),
                            "binaryListValues": [],
                            "dataType": v.data_type(),
                        }),
                    )
                })
                .collect();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body(),
                "md5OfMessageAttributes": m.md5_of_message_attributes(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The messages a function's answer reports as failed, by Lambda's rules
/// for `ReportBatchItemFailures`: no `batchItemFailures` (or an empty list,
/// or no JSON answer at all) means every message succeeded; an entry whose
/// `itemIdentifier` is missing, empty or not a message of the batch makes
/// the whole response invalid (`Err`: the whole batch failed).
pub fn batch_failures(answer: &Value, batch: &[&str]) -> Result<HashSet<String>, String> {
    let Some(list) = answer.get("batchItemFailures").filter(|v| !v.is_null()) else {
        return Ok(HashSet::new());
    };
    let Some(list) = list.as_array() else {
        return Err("batchItemFailures is not a list".to_owned());
    };
    let mut failed = HashSet::new();
    for entry in list {
        match entry.get("itemIdentifier").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && batch.contains(&id) => {
                failed.insert(id.to_owned());
            }
            other => {
                return Err(format!(
                    "itemIdentifier {other:?} is not a message of the batch"
                ));
            }
        }
    }
    Ok(failed)
}

/// One JSON line on stderr (this component has no telemetry backend).
pub fn log(message: &str, message_id: &str, detail: &str) {
    eprintln!(
        "{}",
        serde_json::json!({"component": "lab-event-source", "message": message, "sqs_message_id": message_id, "detail": detail})
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sqs::types::MessageAttributeValue;

    #[test]
    fn shapes_parse_and_default_to_s3() {
        assert_eq!(EventShape::default(), EventShape::S3);
        assert_eq!(EventShape::parse("sqs"), Some(EventShape::SqsBatch));
        assert_eq!(EventShape::parse(" S3 "), Some(EventShape::S3));
        assert_eq!(EventShape::parse("kinesis"), None);
    }

    #[test]
    fn the_arn_comes_from_the_queue_url() {
        assert_eq!(
            queue_arn(
                "http://127.0.0.1:4566/000000000000/shop-notifications",
                "us-east-1"
            ),
            "arn:aws:sqs:us-east-1:000000000000:shop-notifications"
        );
        assert_eq!(
            queue_arn(
                "https://sqs.eu-west-1.amazonaws.com/123456789012/q/",
                "eu-west-1"
            ),
            "arn:aws:sqs:eu-west-1:123456789012:q"
        );
    }

    #[test]
    fn a_batch_event_has_lambdas_record_fields_and_reads_back() {
        let m = Message::builder()
            .message_id("m-1")
            .receipt_handle("rh-1")
            .body("{\"detail\":{}}")
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "2")
            .attributes(MessageSystemAttributeName::AwsTraceHeader, "Root=1-a-b")
            .message_attributes(
                "traceparent",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("00-x-y-01")
                    .build()
                    .unwrap(),
            )
            .build();
        let arn = "arn:aws:sqs:us-east-1:000000000000:q";
        let event = sqs_event(&[m], arn, "us-east-1");
        let r = &event["Records"][0];
        assert_eq!(r["messageId"], "m-1");
        assert_eq!(r["eventSourceARN"], arn);
        assert_eq!(r["attributes"]["AWSTraceHeader"], "Root=1-a-b");
        assert_eq!(r["attributes"]["ApproximateReceiveCount"], "2");
        assert_eq!(
            r["messageAttributes"]["traceparent"]["stringValue"],
            "00-x-y-01"
        );
        // The shape `order-mail` takes.
        let parsed: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(event).unwrap();
        assert_eq!(parsed.records[0].body.as_deref(), Some("{\"detail\":{}}"));
    }

    #[test]
    fn partial_batch_responses_follow_lambdas_rules() {
        let batch = ["a", "b"];
        assert!(batch_failures(&Value::Null, &batch).unwrap().is_empty());
        assert!(
            batch_failures(&json!({"batchItemFailures": []}), &batch)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            batch_failures(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &batch
            )
            .unwrap(),
            HashSet::from(["b".to_owned()])
        );
        for invalid in [
            json!({"batchItemFailures": [{"itemIdentifier": "z"}]}),
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            json!({"batchItemFailures": [{}]}),
            json!({"batchItemFailures": "b"}),
        ] {
            assert!(batch_failures(&invalid, &batch).is_err(), "{invalid}");
        }
    }
}
