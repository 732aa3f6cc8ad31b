//! `order-mail`: the shop's mail sender as a Lambda function, the
//! serverless alternative to the notification worker (C-NOTIF-01..04).
//!
//! In AWS an **SQS event-source mapping** polls the shop's mail queues
//! (`shop-notifications`, `shop-sale-notices`) and invokes the function with
//! a batch of up to 10 messages, an [`SqsEvent`]:
//!
//! ```json
//! {"Records": [{"messageId": "…", "receiptHandle": "…", "body": "{\"detail-type\":\"order.placed\",…}",
//!   "attributes": {"ApproximateReceiveCount": "1", "AWSTraceHeader": "Root=…"},
//!   "messageAttributes": {}, "eventSource": "aws:sqs",
//!   "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:shop-notifications", "awsRegion": "us-east-1"}]}
//! ```
//!
//! **Nothing of the worker is rewritten here.** Each batch goes to the
//! worker's own [`Worker::handle_batch`]: the same parsing (an EventBridge
//! event, bare or wrapped in an SNS notification), the same dedupe in
//! `processed_events`, the same templates and SES call, the same
//! acknowledgement in the outbox, the same spans and metrics. The function
//! only translates: Lambda's record into the SDK's [`Message`], and the
//! worker's [`Outcome`]s into a **partial batch response**.
//!
//! | outcome | the worker | the function |
//! |---|---|---|
//! | `sent`, `duplicate`, `skipped`, `failed` (final) | deletes the message | leaves it out of `batchItemFailures`: the mapping deletes it |
//! | `retry` (SES or the database down) | leaves it: redelivered after the visibility timeout | reports it in `batchItemFailures`: the same |
//! | `poison` (not a shop event) | leaves it: the redrive policy moves it to the DLQ | reports it: the same |
//!
//! The mapping must be configured with `FunctionResponseTypes =
//! ["ReportBatchItemFailures"]`; without it Lambda ignores the answer's
//! list and deletes the whole batch when the invocation succeeds. The
//! function itself never deletes a message. A failed invocation (an event
//! that is not an SQS batch) returns the whole batch to the queue.
//!
//! **Trace context.** The invocation's span comes from
//! [`crate::function`]; under it the worker's `receive {queue}` span for the
//! batch, linked to every message's producer, and per message a
//! `process {queue}` span whose parent is the producer's context, read
//! where the worker reads it: the `AWSTraceHeader` system attribute, the
//! message attributes, the event's `detail.trace` (`shop.trace.carrier`
//! says which). So a checkout's trace continues into the function's SES
//! call as it does into the worker's.
//!
//! Environment (the worker's settings, as Lambda passes them):
//! `DATABASE_URL` (the shop's: the orders, the dedupe table, the outbox;
//! else the Secrets Manager secret `SHOP_DATABASE_URL_SECRET` names, read
//! once at cold start: [`crate::database_url`]), `SHOP_DB_MAX_CONNECTIONS` (2), `SHOP_MAIL_FROM` (`shop@example.com`; SES
//! must know it), `SHOP_PUBLIC_URL` (required: the links in the mails), and
//! SES from the AWS SDK's chain (`AWS_ENDPOINT_URL_SES`, `AWS_REGION`,
//! credentials), exactly as the shop's worker finds it.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{Message, MessageAttributeValue, MessageSystemAttributeName};
use serde::Serialize;
use shop_core::db::Db;
use shop_core::instruments::Instruments;
use shop_core::notifications::{Outcome, Settings, Worker};
use telemetry_api::Telemetry;

use crate::database_url;
use crate::function::{FunctionError, Handled, StartError};

/// The sender when `SHOP_MAIL_FROM` is not set (the shop's default).
pub const DEFAULT_MAIL_FROM: &str = "shop@example.com";

/// The queue name when a record names none (a hand-made event).
const UNKNOWN_QUEUE: &str = "unknown";

/// The function's state: the shop's own notification worker.
#[derive(Clone)]
pub struct OrderMail {
    worker: Worker,
}

/// The function's answer: Lambda's partial batch response
/// (`batchItemFailures`, what the event-source mapping reads), and each
/// message's outcome for a human reader (Lambda ignores other members).
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    #[serde(flatten)]
    pub response: SqsBatchResponse,
    /// SQS message id → the worker's outcome (`sent`, `duplicate`, …).
    pub outcomes: BTreeMap<String, &'static str>,
}

impl Answer {
    /// The message ids the function reports as failed.
    pub fn failed_ids(&self) -> Vec<&str> {
        self.response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl OrderMail {
    /// Builds the worker from the environment (see the module
    /// documentation): connects to the database (no query yet; its URL
    /// from Secrets Manager first when only `SHOP_DATABASE_URL_SECRET` is
    /// set) and reads the AWS SDK's configuration (no network call).
    pub async fn from_env(telemetry: Telemetry) -> Result<OrderMail, StartError> {
        let max = env("SHOP_DB_MAX_CONNECTIONS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(2);
        let mail_from = env("SHOP_MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned());
        // Checked as the shop checks `--mail-from`: a typo fails the cold
        // start, not every mail.
        let mail_from = shop_core::email::EmailAddress::parse(&mail_from)
            .map_err(|e| StartError::Config(format!("SHOP_MAIL_FROM: {e}")))?
            .as_str()
            .to_owned();
        let shop_url = env("SHOP_PUBLIC_URL")
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
            .ok_or_else(|| {
                StartError::Config(
                    "SHOP_PUBLIC_URL is not set to an http(s) URL: the shop's address, for the links in the mails"
                        .to_owned(),
                )
            })?;
        // Last of the checks: with the secret, this is a call to Secrets Manager, not worth making
        // for a function that a typo above stops anyway.
        let url = database_url::required().await?;
        let instruments = Instruments::new(&telemetry);
        let db = Db::connect(url.expose(), max, instruments.db_duration.clone())
            .await
            .map_err(|e| StartError::Config(format!("database: {e}")))?;
        let sdk = shop_core::aws::sdk_config(&shop_core::aws::Settings::default()).await;
        let settings = Settings {
            // The mapping names the queue of each record; the worker's own
            // polling settings are unused here.
            queues: Vec::new(),
            wait: Duration::ZERO,
            mail_from,
            shop_url,
            // One warm instance's breaker: a mail it refuses is reported as
            // a failed record, and SQS hands it out again later.
            ses_breaker: shop_core::resilience::BreakerSettings::default(),
        };
        // No provisioner: in AWS the infrastructure's code owns the queues
        // and the SES identity, and a function has no business creating them.
        let worker = Worker::new(db, &sdk, telemetry, instruments, settings, None);
        Ok(OrderMail { worker })
    }

    /// A function around an existing worker.
    pub fn new(worker: Worker) -> OrderMail {
        OrderMail { worker }
    }

    /// Handles one batch (see the module documentation). Never fails for a
    /// message's sake: what could not be done is in `batchItemFailures`.
    pub async fn handle(&self, event: SqsEvent) -> Result<Handled<Answer>, FunctionError> {
        let mut answer = Answer {
            response: SqsBatchResponse::default(),
            outcomes: BTreeMap::new(),
        };
        let items = event.records.len() as u64;
        // A mapping delivers one queue per function, but nothing stops a
        // hand-made event from mixing them: group by queue, keeping order.
        let mut groups: Vec<(String, Vec<&SqsMessage>)> = Vec::new();
        for record in &event.records {
            let queue = queue_name(record);
            match groups.iter_mut().find(|(q, _)| *q == queue) {
                Some((_, group)) => group.push(record),
                None => groups.push((queue, vec![record])),
            }
        }
        for (queue, records) in groups {
            let messages: Vec<Message> = records.iter().map(|r| to_message(r)).collect();
            let outcomes = self.worker.handle_batch(&queue, None, &messages).await;
            for (record, outcome) in records.iter().zip(outcomes) {
                let id = record.message_id.clone().unwrap_or_default();
                if is_batch_failure(outcome) {
                    if id.is_empty() {
                        // Nothing to name it by: the mapping will delete it.
                        tracing::warn!(
                            outcome = outcome.as_str(),
                            "a record without a message id failed; it cannot be reported for retry"
                        );
                    } else {
                        let mut failure = BatchItemFailure::default();
                        failure.item_identifier = id.clone();
                        answer.response.batch_item_failures.push(failure);
                    }
                }
                if !id.is_empty() {
                    answer.outcomes.insert(id, outcome.as_str());
                }
            }
        }
        tracing::info!(
            messages = items,
            failed = answer.response.batch_item_failures.len(),
            "batch handled"
        );
        Ok(Handled {
            value: answer,
            items,
        })
    }
}

/// The queue a record came from: the last part of its `eventSourceARN`
/// (`arn:aws:sqs:{region}:{account}:{queue}`), the name the worker's spans use.
pub fn queue_name(record: &SqsMessage) -> String {
    record
        .event_source_arn
        .as_deref()
        .and_then(|arn| arn.rsplit(':').next())
        .filter(|name| !name.is_empty())
        .unwrap_or(UNKNOWN_QUEUE)
        .to_owned()
}

/// Lambda's record as the SQS SDK's message, which is what the worker reads
/// (`ReceiveMessage` gives it the same fields). The body, id and receipt
/// handle are copied as they are; system attributes by name
/// (`AWSTraceHeader`, `ApproximateReceiveCount`, …); message attributes with
/// a string value (the trace carriers are strings; binary ones are of no
/// use to the worker and are left out).
pub fn to_message(record: &SqsMessage) -> Message {
    let attributes: HashMap<MessageSystemAttributeName, String> = record
        .attributes
        .iter()
        .map(|(k, v)| (MessageSystemAttributeName::from(k.as_str()), v.clone()))
        .collect();
    let message_attributes: HashMap<String, MessageAttributeValue> = record
        .message_attributes
        .iter()
        .filter_map(|(k, v)| {
            let value = MessageAttributeValue::builder()
                .data_type(v.data_type.clone().unwrap_or_else(|| "String".to_owned()))
                .set_string_value(v.string_value.clone())
                .build()
                .ok()?;
            v.string_value.is_some().then(|| (k.clone(), value))
        })
        .collect();
    Message::builder()
        .set_message_id(record.message_id.clone())
        .set_receipt_handle(record.receipt_handle.clone())
        .set_body(record.body.clone())
        .set_attributes(Some(attributes))
        .set_message_attributes(Some(message_attributes))
        .build()
}

/// Whether a message with `outcome` goes back to the queue (is reported in
/// `batchItemFailures`): exactly when the worker would leave it there.
pub fn is_batch_failure(outcome: Outcome) -> bool {
    !outcome.is_final()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: serde_json::Value) -> SqsMessage {
        serde_json::from_value(json).expect("an SQS record")
    }

    #[test]
    fn a_lambda_record_becomes_the_message_the_worker_reads() {
        let r = record(serde_json::json!({
            "messageId": "m-1", "receiptHandle": "rh", "body": "{}",
            "attributes": {"ApproximateReceiveCount": "3", "AWSTraceHeader": "Root=1-00000000-000000000000000000000001;Parent=0000000000000001;Sampled=1"},
            "messageAttributes": {
                "traceparent": {"stringValue": "00-0123-01", "dataType": "String", "stringListValues": [], "binaryListValues": []},
                "blob": {"binaryValue": "AAE=", "dataType": "Binary"}
            },
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:shop-notifications",
            "awsRegion": "us-east-1"
        }));
        assert_eq!(queue_name(&r), "shop-notifications");
        let m = to_message(&r);
        assert_eq!(m.message_id(), Some("m-1"));
        assert_eq!(m.body(), Some("{}"));
        let a = m.attributes().unwrap();
        assert_eq!(a[&MessageSystemAttributeName::ApproximateReceiveCount], "3");
        assert!(a[&MessageSystemAttributeName::AwsTraceHeader].starts_with("Root=1-"));
        let ma = m.message_attributes().unwrap();
        assert_eq!(ma["traceparent"].string_value(), Some("00-0123-01"));
        assert!(!ma.contains_key("blob"));
    }

    #[test]
    fn a_record_without_a_source_still_has_a_queue_name() {
        let r = record(serde_json::json!({"messageId": "m-2", "body": "x"}));
        assert_eq!(queue_name(&r), UNKNOWN_QUEUE);
        assert_eq!(to_message(&r).body(), Some("x"));
    }

    #[test]
    fn only_retry_and_poison_go_back_to_the_queue() {
        for (outcome, failed) in [
            (Outcome::Sent, false),
            (Outcome::Duplicate, false),
            (Outcome::Skipped, false),
            (Outcome::Failed, false),
            (Outcome::Retry, true),
            (Outcome::Poison, true),
        ] {
            assert_eq!(is_batch_failure(outcome), failed, "{outcome:?}");
        }
    }

    #[test]
    fn the_answer_is_lambdas_partial_batch_response() {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = "m-1".to_owned();
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures.push(failure);
        let answer = Answer {
            response,
            outcomes: BTreeMap::from([("m-1".to_owned(), "retry")]),
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["batchItemFailures"][0]["itemIdentifier"], "m-1");
        assert_eq!(json["outcomes"]["m-1"], "retry");
        assert_eq!(answer.failed_ids(), vec!["m-1"]);
    }
}
