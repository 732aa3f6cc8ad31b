//! The notification worker (C-NOTIF-01..04): consumes the SQS queues the
//! event bus routes mail events to, and sends the mails with SES.
//!
//! | event | mail | to |
//! |---|---|---|
//! | `order.placed` | order confirmation | the order's address |
//! | `order.shipped` | shipping notice, with the tracking number | the order's address |
//! | `account.password_reset` | the reset link | the account (from the outbox row: the bus never carries the token) |
//! | `inventory.back_in_stock` | back-in-stock alert | each open subscription of the product, once |
//! | `catalog.product.on_sale` (via the SNS topic) | sale notice | customers who asked for sale notices |
//! | `inventory.stock_report` | the stock report (A-BATCH-01) | admins who look after stock (inventory managers, administrators) |
//!
//! An `order.placed` that names products the sale took below their
//! low-stock threshold also has their alerts recorded, once
//! (`crate::inventory::alerts`), before its mail.
//!
//! **At least once, deduped.** SQS may hand a message out twice, and the
//! dispatcher publishes an unacknowledged event again; the worker records
//! every mail it sent in `processed_events` (by event id and recipient) and
//! sends nothing it already sent. It deletes a message only once the event
//! is handled, then acknowledges the event in the outbox.
//!
//! **Failures.** SES or the database down: the message is left alone, SQS
//! hands it out again after the visibility timeout. A message the worker
//! cannot read at all (a *poison message*) is left alone too: after the
//! queue's `maxReceiveCount` receives SQS moves it to the dead-letter queue,
//! where `shop dlq redrive` finds it. SES refusing an address for good is
//! recorded as `failed` and not retried.
//!
//! **Tracing.** Each message is processed under a `process {queue}`
//! consumer span whose parent is the publisher's `send` span: read from the
//! message's `AWSTraceHeader` when the hop kept it, else from the event's
//! detail. So a checkout's trace runs on to the SES call. Empty long polls
//! are not traced.

pub mod dlq;
pub mod mail;
pub mod subscriptions;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::Value as Json;
use telemetry_api::trace::with_remote_parent;
use telemetry_api::{KeyValue, Telemetry, semconv};
use tokio::sync::watch;
use tracing::Instrument;

use crate::aws::{self, CallError, client_span};
use crate::db::Db;
use crate::events::dispatcher::Provisioner;
use crate::events::trace::Fields;
use crate::events::{Detail, EventType, outbox, provision};
use crate::instruments::Instruments;
use crate::resilience::{Breaker, BreakerSettings, CircuitState};
use crate::time::now_millis;
use mail::{Mailer, SES_CIRCUIT, SendError, Template, Templates};

/// The consumer name in `processed_events`.
pub const CONSUMER: &str = "mail";

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The queues to consume, by name.
    pub queues: Vec<String>,
    /// Long-poll wait per `ReceiveMessage` (at most 20 s).
    pub wait: Duration,
    /// The sender address.
    pub mail_from: String,
    /// The shop's public URL, for links in mails.
    pub shop_url: String,
    /// The circuit breaker on SES (docs/resilience.md): while it is open no
    /// mail is tried and the queues are not read, so the mails wait in
    /// their queues instead of using up their receives.
    pub ses_breaker: BreakerSettings,
}

impl Settings {
    /// The queues [`provision`] creates for mail, with default names.
    pub fn for_provisioned(p: &provision::Settings, shop_url: impl Into<String>) -> Settings {
        Settings {
            queues: vec![p.notifications_queue(), p.sale_notices_queue()],
            wait: Duration::from_secs(10),
            mail_from: p.mail_from.clone(),
            shop_url: shop_url.into(),
            ses_breaker: BreakerSettings::default(),
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Mail sent (to every recipient it was due to).
    Sent,
    /// Already handled (a duplicate delivery).
    Duplicate,
    /// Nothing to send (an event type no mail follows, no recipients).
    Skipped,
    /// Refused for good (recorded; not retried).
    Failed,
    /// Try again later (SES or the database down): the message stays.
    Retry,
    /// Unreadable: the message stays, and reaches the dead-letter queue.
    Poison,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Duplicate => "duplicate",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Retry => "retry",
            Outcome::Poison => "poison",
        }
    }

    /// Whether the message is done with (deleted from the queue). `Retry`
    /// and `Poison` are not: the message stays, and SQS hands it out again
    /// (a poison message until the redrive policy moves it to the DLQ).
    pub fn is_final(self) -> bool {
        !matches!(self, Outcome::Retry | Outcome::Poison)
    }
}

/// Consumes the mail queues. Cheap to clone.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    sqs: aws_sdk_sqs::Client,
    region: Arc<str>,
    mailer: Mailer,
    templates: Arc<Templates>,
    telemetry: Telemetry,
    instruments: Instruments,
    settings: Arc<Settings>,
    provisioner: Option<Provisioner>,
}

/// A message's event, as read from its body.
#[derive(Debug)]
struct Envelope {
    detail: Detail,
}

/// A received message, read ([`Worker::read`]).
struct Received {
    envelope: Option<Envelope>,
    receives: i64,
    parent: Option<telemetry_api::SpanContext>,
    /// `aws_trace_header`, `message_attributes`, `event_detail` or `none`.
    carrier: &'static str,
}

impl Worker {
    pub fn new(
        db: Db,
        sdk: &aws_config::SdkConfig,
        telemetry: Telemetry,
        instruments: Instruments,
        settings: Settings,
        provisioner: Option<Provisioner>,
    ) -> Worker {
        Worker {
            db,
            sqs: aws_sdk_sqs::Client::new(sdk),
            region: Arc::from(aws::region_of(sdk)),
            mailer: Mailer::new(
                sdk,
                settings.mail_from.clone(),
                Breaker::new(SES_CIRCUIT, settings.ses_breaker, &instruments),
            ),
            templates: Arc::new(Templates::new()),
            telemetry,
            instruments,
            settings: Arc::new(settings),
            provisioner,
        }
    }

    /// Consumes every queue until `stop` turns true.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!(queues = ?self.settings.queues, "notification worker started");
        let mut tasks = tokio::task::JoinSet::new();
        for queue in self.settings.queues.clone() {
            let me = self.clone();
            let stop = stop.clone();
            tasks.spawn(tracing::instrument::WithSubscriber::with_subscriber(
                async move { me.consume(queue, stop).await },
                self.telemetry.dispatch().clone(),
            ));
        }
        while tasks.join_next().await.is_some() {}
        tracing::info!("notification worker stopped");
    }

    async fn consume(&self, queue: String, mut stop: watch::Receiver<bool>) {
        let mut url: Option<String> = None;
        let mut failures = 0u32;
        loop {
            if *stop.borrow() {
                return;
            }
            // SES is failing: leave the mails in their queues (each receive
            // would count towards the dead-letter queue) and look again in
            // a second; once the open period is over, `permits` lets the
            // next poll through as the breaker's trial.
            if !self.mailer.breaker().permits() {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                continue;
            }
            let result = async {
                let u = match &url {
                    Some(u) => u.clone(),
                    None => {
                        let u = telemetry_api::export::without_telemetry(provision::queue_url(
                            &self.sqs,
                            &self.region,
                            &queue,
                        ))
                        .await?;
                        url = Some(u.clone());
                        u
                    }
                };
                self.poll_once(&queue, &u).await
            };
            let result = tokio::select! {
                r = result => r,
                _ = stop.changed() => return,
            };
            match result {
                Ok(_) => failures = 0,
                Err(e) => {
                    failures += 1;
                    if e.is_missing_resource() {
                        url = None;
                        if let Some(p) = &self.provisioner {
                            p.ensure().await;
                        }
                    }
                    let delay = crate::events::dispatcher::backoff(
                        Duration::from_millis(500),
                        Duration::from_secs(30),
                        failures,
                    );
                    tracing::warn!(queue = %queue, error = %e, retry_in_ms = delay.as_millis() as u64, "receiving from the queue failed");
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        }
    }

    /// One long poll of `url`; handles what arrived. Returns the outcomes.
    pub async fn poll_once(&self, queue: &str, url: &str) -> Result<Vec<Outcome>, CallError> {
        let receive = self
            .sqs
            .receive_message()
            .queue_url(url)
            // Half-open, one mail is the trial: the rest stay in the queue.
            .max_number_of_messages(match self.mailer.breaker().state() {
                CircuitState::HalfOpen => 1,
                _ => 10,
            })
            .wait_time_seconds(self.settings.wait.as_secs().min(20) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send();
        // An empty poll is not a trace: only what arrives is.
        let out = telemetry_api::export::without_telemetry(aws::call(
            tracing::Span::none(),
            "SQS",
            "ReceiveMessage",
            receive,
        ))
        .await?;
        let messages = out.messages();
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.handle_batch(queue, Some(url), messages).await)
    }

    /// Handles a batch of messages received from `queue`, as the worker
    /// handles what one poll brought: a `receive {queue}` span linked to
    /// each message's producer, then each message under its own
    /// `process {queue}` span (a child of its producer), its event processed
    /// ([`Worker::process`]) and acknowledged in the outbox once final.
    /// Returns the outcomes in the order of `messages`.
    ///
    /// `delete_from` is the queue's URL when the caller polled it itself
    /// (the worker): a final message is then deleted. `None` when whoever
    /// received the batch deletes (an SQS event-source mapping, which
    /// deletes what the function does not report as failed: the
    /// `order-mail` Lambda function).
    pub async fn handle_batch(
        &self,
        queue: &str,
        delete_from: Option<&str>,
        messages: &[Message],
    ) -> Vec<Outcome> {
        let received: Vec<Received> = messages.iter().map(|m| self.read(m)).collect();
        // The batch as it was received: a `receive` span (a root of its own
        // for the worker, which polls outside any span; under the invocation
        // in the order-mail function) linked to every message's producer. Each message's `process`
        // span stays a child of its producer, so each trace stays connected;
        // the links say which messages came in together. (X-Ray has no
        // links: the awssdk backend keeps them as metadata.)
        let receive = tracing::info_span!(
            "event",
            span.name = %format_args!("receive {queue}"),
            span.kind = "consumer",
            messaging.system = "aws_sqs",
            messaging.destination.name = queue,
            messaging.operation.type = "receive",
            messaging.batch.message_count = messages.len(),
        );
        for r in &received {
            if let Some(parent) = &r.parent {
                telemetry_api::trace::add_link(&receive, parent.clone());
            }
        }
        let mut outcomes = Vec::new();
        for (message, r) in messages.iter().zip(received) {
            outcomes.push(self.handle(queue, delete_from, message, r).await);
        }
        drop(receive);
        outcomes
    }

    /// What a message says: its event, how often SQS handed it out, and
    /// the producer's context with the carrier it came in.
    fn read(&self, message: &Message) -> Received {
        let envelope = parse(message.body().unwrap_or_default());
        let receives: i64 = message
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        // Where the publisher's trace went on: the native header, the
        // message attributes, the event's own copy.
        let native = Fields(
            message
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::AwsTraceHeader))
                .map(|v| BTreeMap::from([("x-amzn-trace-id".to_owned(), v.clone())]))
                .unwrap_or_default(),
        );
        let attributes = Fields(
            message
                .message_attributes()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            Some((k.to_ascii_lowercase(), v.string_value()?.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        );
        let in_detail = Fields(
            envelope
                .as_ref()
                .map(|e| e.detail.trace.clone())
                .unwrap_or_default(),
        );
        // Which carrier the context came from: a finding of the comparison
        // (LocalStack's EventBridge→SQS drops the native header).
        let propagator = self.telemetry.propagator();
        let (parent, carrier) = [
            (&native, "aws_trace_header"),
            (&attributes, "message_attributes"),
            (&in_detail, "event_detail"),
        ]
        .into_iter()
        .find_map(|(fields, name)| propagator.extract(fields).map(|c| (Some(c), name)))
        .unwrap_or((None, "none"));
        Received {
            envelope,
            receives,
            parent,
            carrier,
        }
    }

    async fn handle(
        &self,
        queue: &str,
        url: Option<&str>,
        message: &Message,
        received: Received,
    ) -> Outcome {
        let Received {
            envelope,
            receives,
            parent,
            carrier,
        } = received;
        let event_id = envelope.as_ref().map(|e| e.detail.event_id.clone());
        let event_type = envelope.as_ref().map(|e| e.detail.event_type.as_str());
        // With a producer's context the span is a root, so that it continues
        // that context (`with_remote_parent` applies to root spans only)
        // even when the caller runs inside a span of its own (a Lambda
        // invocation's); without one it stays under the caller's span, if any.
        let under = if parent.is_some() {
            None
        } else {
            tracing::Span::current().id()
        };
        let span = with_remote_parent(parent, || {
            tracing::info_span!(
                parent: under,
                "event",
                span.name = %format_args!("process {queue}"),
                span.kind = "consumer",
                messaging.system = "aws_sqs",
                messaging.destination.name = queue,
                messaging.operation.type = "process",
                messaging.message.id = event_id.as_deref(),
                messaging.message.delivery_count = receives,
                shop.event.type = event_type,
                shop.event.outcome = tracing::field::Empty,
                shop.trace.carrier = carrier,
                error.type = tracing::field::Empty,
            )
        });
        let outcome = async {
            let Some(envelope) = envelope else {
                tracing::error!(
                    receives,
                    "unreadable message (not a shop event); leaving it for the dead-letter queue"
                );
                return Outcome::Poison;
            };
            let outcome = self.process(&envelope.detail).await;
            if outcome.is_final() {
                if let Err(e) =
                    outbox::acknowledge(&self.db, &envelope.detail.event_id, now_millis()).await
                {
                    tracing::warn!(error = %e, "could not acknowledge the event");
                }
                if let (Some(url), Some(handle)) = (url, message.receipt_handle()) {
                    let span = client_span!("SQS", "DeleteMessage", &*self.region);
                    span.record(semconv::AWS_SQS_QUEUE_URL, url);
                    span.record(semconv::MESSAGING_SYSTEM, "aws_sqs");
                    span.record(semconv::MESSAGING_DESTINATION_NAME, queue);
                    let delete = self
                        .sqs
                        .delete_message()
                        .queue_url(url)
                        .receipt_handle(handle)
                        .send();
                    // Not deleted: SQS hands it out again; the dedupe record answers.
                    let _ = aws::call(span.clone(), "SQS", "DeleteMessage", delete)
                        .instrument(span)
                        .await;
                }
            }
            outcome
        }
        .instrument(span.clone())
        .await;
        span.record(semconv::SHOP_EVENT_OUTCOME, outcome.as_str());
        if matches!(outcome, Outcome::Retry | Outcome::Poison | Outcome::Failed) {
            span.record(semconv::ERROR_TYPE, outcome.as_str());
        }
        self.instruments.events_consumed.add(
            1,
            &[
                KeyValue::new(
                    semconv::SHOP_EVENT_TYPE,
                    event_type.unwrap_or("unknown").to_owned(),
                ),
                KeyValue::new(semconv::SHOP_EVENT_OUTCOME, outcome.as_str()),
            ],
        );
        outcome
    }

    /// Handles one event: the mails it calls for, each sent once.
    pub async fn process(&self, detail: &Detail) -> Outcome {
        let shop_url = self.settings.shop_url.trim_end_matches('/');
        match detail.event_type {
            EventType::OrderPlaced | EventType::OrderShipped => {
                let Some(order_id) = detail.data.get("order_id").and_then(Json::as_str) else {
                    return Outcome::Failed;
                };
                // A sale that took stock below a threshold: its alerts first
                // (once per event, whatever happens to the mail).
                let crossings = crate::inventory::alerts::Crossing::from_event(&detail.data);
                if let Err(e) = crate::inventory::alerts::record_sale_crossings(
                    &self.db,
                    &detail.event_id,
                    order_id,
                    &crossings,
                )
                .await
                {
                    tracing::warn!(error = %e, "the sale's low-stock alerts were not recorded; retrying");
                    return Outcome::Retry;
                }
                let order = match crate::orders::store::load(&self.db, order_id).await {
                    Ok(Some(o)) => o,
                    Ok(None) => return Outcome::Skipped,
                    Err(_) => return Outcome::Retry,
                };
                let template = if detail.event_type == EventType::OrderPlaced {
                    Template::OrderConfirmation
                } else {
                    Template::ShippingNotice
                };
                let context = serde_json::json!({ "order": order, "shop_url": shop_url });
                self.send_once(detail, "", template, &order.email, &context)
                    .await
            }
            EventType::PasswordReset => {
                let payload = match outbox::payload_of(&self.db, &detail.event_id).await {
                    Ok(Some(p)) => p,
                    Ok(None) => return Outcome::Skipped,
                    Err(_) => return Outcome::Retry,
                };
                let (Some(to), Some(token)) = (
                    payload.get("to").and_then(Json::as_str),
                    payload.get("token").and_then(Json::as_str),
                ) else {
                    return Outcome::Failed;
                };
                let context = serde_json::json!({ "token": token, "shop_url": shop_url });
                self.send_once(detail, "", Template::PasswordReset, to, &context)
                    .await
            }
            EventType::BackInStock | EventType::ProductOnSale => {
                let Some(product_id) = detail.data.get("product_id").and_then(Json::as_i64) else {
                    return Outcome::Failed;
                };
                let product = match crate::catalog::store::load_product(&self.db, product_id).await
                {
                    Ok(Some(p)) => p,
                    Ok(None) => return Outcome::Skipped,
                    Err(_) => return Outcome::Retry,
                };
                let (template, recipients) = if detail.event_type == EventType::BackInStock {
                    (
                        Template::BackInStock,
                        recipients::back_in_stock(&self.db, product_id).await,
                    )
                } else {
                    (
                        Template::SaleNotice,
                        recipients::sale_notices(&self.db).await,
                    )
                };
                let Ok(recipients) = recipients else {
                    return Outcome::Retry;
                };
                let context = serde_json::json!({
                    "product": product,
                    "old_price_cents": detail.data.get("old_price_cents").cloned().unwrap_or(Json::Null),
                    "shop_url": shop_url,
                });
                let mut overall = Outcome::Skipped;
                for r in recipients {
                    let o = self
                        .send_once(detail, &r.user_id, template, &r.email, &context)
                        .await;
                    if o == Outcome::Retry {
                        return Outcome::Retry;
                    }
                    // Sent, already sent, or refused for good: the alert is done with.
                    if template == Template::BackInStock {
                        let _ = recipients::close_subscription(&self.db, r.subscription_id).await;
                    }
                    if o == Outcome::Sent || overall == Outcome::Skipped {
                        overall = o;
                    }
                }
                overall
            }
            EventType::StockReport => {
                let Some(run_id) = detail.data.get("run_id").and_then(Json::as_str) else {
                    return Outcome::Failed;
                };
                let run = match crate::batch::Batch::find(&self.db, run_id).await {
                    Ok(Some(r)) => r,
                    Ok(None) => return Outcome::Skipped,
                    Err(_) => return Outcome::Retry,
                };
                let Ok(recipients) = recipients::stock_keepers(&self.db).await else {
                    return Outcome::Retry;
                };
                let attention = match report_lines(&self.db, run.detail.as_ref()).await {
                    Ok(lines) => lines,
                    Err(_) => return Outcome::Retry,
                };
                let context = serde_json::json!({
                    "run": run,
                    "report": run.detail.clone().unwrap_or(Json::Null),
                    "attention": attention,
                    "shop_url": shop_url,
                });
                let mut overall = Outcome::Skipped;
                for r in recipients {
                    let o = self
                        .send_once(
                            detail,
                            &r.user_id,
                            Template::StockReport,
                            &r.email,
                            &context,
                        )
                        .await;
                    if o == Outcome::Retry {
                        return Outcome::Retry;
                    }
                    if o == Outcome::Sent || overall == Outcome::Skipped {
                        overall = o;
                    }
                }
                overall
            }
            // Events no mail follows (they reach this queue only if a rule
            // routes them here).
            _ => Outcome::Skipped,
        }
    }

    /// Sends one mail unless `processed_events` says it went out already,
    /// and records it. `recipient_key` tells apart the recipients of one
    /// event (a user id; empty when an event has one recipient).
    async fn send_once(
        &self,
        detail: &Detail,
        recipient_key: &str,
        template: Template,
        to: &str,
        context: &Json,
    ) -> Outcome {
        let key = if recipient_key.is_empty() {
            detail.event_id.clone()
        } else {
            format!("{}/{}", detail.event_id, recipient_key)
        };
        match dedupe::seen(&self.db, &key).await {
            Ok(true) => return Outcome::Duplicate,
            Ok(false) => {}
            Err(_) => return Outcome::Retry,
        }
        let rendered = match self.templates.render(template, context) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, template = template.name(), "a mail template failed");
                let _ = dedupe::record(
                    &self.db,
                    &key,
                    detail.event_type,
                    Outcome::Failed,
                    "template",
                )
                .await;
                return Outcome::Failed;
            }
        };
        let attrs = |outcome: &'static str| {
            [
                KeyValue::new(semconv::SHOP_MAIL_TEMPLATE, template.name()),
                KeyValue::new("outcome", outcome),
            ]
        };
        match self.mailer.send(template, to, &rendered).await {
            Ok(message_id) => {
                self.instruments.mails.add(1, &attrs("sent"));
                tracing::info!(template = template.name(), "mail sent");
                if let Err(e) = dedupe::record(
                    &self.db,
                    &key,
                    detail.event_type,
                    Outcome::Sent,
                    &message_id,
                )
                .await
                {
                    // Sent, but not recorded: a redelivery would send it
                    // again. Say so; there is nothing safer to do.
                    tracing::error!(error = %e, "mail sent but not recorded; a redelivery may send it twice");
                }
                Outcome::Sent
            }
            Err(SendError::Refused(e)) => {
                self.instruments.mails.add(1, &attrs("refused"));
                let _ = dedupe::record(&self.db, &key, detail.event_type, Outcome::Failed, &e.kind)
                    .await;
                Outcome::Failed
            }
            Err(SendError::Unavailable(_)) => {
                self.instruments.mails.add(1, &attrs("retry"));
                Outcome::Retry
            }
            Err(SendError::SenderUnverified(e)) => {
                self.instruments.mails.add(1, &attrs("retry"));
                tracing::warn!(error = %e, "SES does not know the sender; keeping the mail");
                if let Some(p) = &self.provisioner {
                    p.ensure().await;
                }
                Outcome::Retry
            }
        }
    }
}

/// Most products a stock report mail lists (the run's detail lists up to
/// `batch::stock_report::MAX_LISTED`; the mail links to the rest).
pub const REPORT_MAIL_LINES: usize = 20;

/// The stock report's products needing attention, with their names, for the
/// mail: the first [`REPORT_MAIL_LINES`] of the run's `attention` list.
async fn report_lines(db: &Db, detail: Option<&Json>) -> Result<Vec<Json>, sqlx::Error> {
    let listed = detail
        .and_then(|d| d.get("attention"))
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let mut lines = Vec::new();
    for item in listed.into_iter().take(REPORT_MAIL_LINES) {
        let Some(id) = item.get("product_id").and_then(Json::as_i64) else {
            continue;
        };
        let name = crate::catalog::store::load_product(db, id)
            .await?
            .map(|p| p.name)
            .unwrap_or_else(|| format!("product {id}"));
        let mut line = item;
        line["name"] = Json::String(name);
        lines.push(line);
    }
    Ok(lines)
}

/// The event in a message body: an EventBridge event, bare (a rule's SQS
/// target, or SNS with raw delivery) or wrapped in an SNS notification.
fn parse(body: &str) -> Option<Envelope> {
    let json: Json = serde_json::from_str(body).ok()?;
    let event = match json.get("Type").and_then(Json::as_str) {
        Some("Notification") => serde_json::from_str(json.get("Message")?.as_str()?).ok()?,
        _ => json,
    };
    let detail: Detail = serde_json::from_value(event.get("detail")?.clone()).ok()?;
    Some(Envelope { detail })
}

/// `processed_events`: what the worker already did.
mod dedupe {
    use super::*;

    pub async fn seen(db: &Db, key: &str) -> Result<bool, sqlx::Error> {
        const SQL: &str =
            "SELECT COUNT(*) FROM processed_events WHERE consumer = ? AND event_id = ?";
        let n: i64 = db
            .traced(
                SQL,
                sqlx::query_scalar(SQL)
                    .bind(CONSUMER)
                    .bind(key)
                    .fetch_one(db.pool()),
            )
            .await?;
        Ok(n > 0)
    }

    pub async fn record(
        db: &Db,
        key: &str,
        event_type: EventType,
        outcome: Outcome,
        detail: &str,
    ) -> Result<(), sqlx::Error> {
        const SQL: &str = "INSERT INTO processed_events (consumer, event_id, topic, processed_at, outcome, detail) \
            VALUES (?, ?, ?, ?, ?, ?)";
        let done = db
            .traced(
                SQL,
                sqlx::query(SQL)
                    .bind(CONSUMER)
                    .bind(key)
                    .bind(event_type.as_str())
                    .bind(now_millis())
                    .bind(outcome.as_str())
                    .bind(detail)
                    .execute(db.pool()),
            )
            .await;
        match done {
            Ok(_) => Ok(()),
            // A concurrent worker recorded it first: the same fact.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Who gets the fan-out mails.
pub mod recipients {
    use super::*;

    /// One recipient: the account and its address.
    #[derive(Debug, Clone, sqlx::FromRow)]
    pub struct Recipient {
        pub user_id: String,
        pub email: String,
        /// The back-in-stock subscription (0 for sale notices).
        pub subscription_id: i64,
    }

    /// Open back-in-stock subscriptions of the product.
    pub async fn back_in_stock(db: &Db, product_id: i64) -> Result<Vec<Recipient>, sqlx::Error> {
        const SQL: &str = "SELECT u.id AS user_id, u.email AS email, s.id AS subscription_id \
            FROM stock_subscriptions s JOIN users u ON u.id = s.user_id \
            WHERE s.product_id = ? AND s.notified_at IS NULL ORDER BY s.id";
        db.traced(
            SQL,
            sqlx::query_as(SQL).bind(product_id).fetch_all(db.pool()),
        )
        .await
    }

    /// Admins who look after stock (inventory managers and administrators),
    /// not disabled: the stock report's readers. `user_id` is the admin's id.
    pub async fn stock_keepers(db: &Db) -> Result<Vec<Recipient>, sqlx::Error> {
        const SQL: &str =
            "SELECT id, email, roles FROM admins WHERE disabled_at IS NULL ORDER BY id";
        let rows: Vec<(String, String, String)> = db
            .traced(SQL, sqlx::query_as(SQL).fetch_all(db.pool()))
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, _, roles)| {
                roles.split(',').any(|r| {
                    matches!(
                        crate::admin::Role::parse(r.trim()),
                        Some(
                            crate::admin::Role::InventoryManager
                                | crate::admin::Role::Administrator
                        )
                    )
                })
            })
            .map(|(user_id, email, _)| Recipient {
                user_id,
                email,
                subscription_id: 0,
            })
            .collect())
    }

    /// Customers who asked for sale notices.
    pub async fn sale_notices(db: &Db) -> Result<Vec<Recipient>, sqlx::Error> {
        const SQL: &str = "SELECT id AS user_id, email, 0 AS subscription_id FROM users \
            WHERE sale_notices = 1 ORDER BY id";
        db.traced(SQL, sqlx::query_as(SQL).fetch_all(db.pool()))
            .await
    }

    /// The alert went out: the subscription is closed.
    pub async fn close_subscription(db: &Db, id: i64) -> Result<(), sqlx::Error> {
        const SQL: &str =
            "UPDATE stock_subscriptions SET notified_at = ? WHERE id = ? AND notified_at IS NULL";
        db.traced(
            SQL,
            sqlx::query(SQL)
                .bind(now_millis())
                .bind(id)
                .execute(db.pool()),
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Json {
        serde_json::json!({
            "version": "0", "id": "eb-1", "detail-type": "order.placed", "source": "shop",
            "detail": { "event_id": "e-1", "type": "order.placed", "occurred_at": 1,
                        "data": { "order_id": "o-1" }, "trace": { "traceparent": "00-…" } }
        })
    }

    #[test]
    fn bodies_are_read_bare_or_wrapped_in_sns() {
        let bare = parse(&event().to_string()).unwrap();
        assert_eq!(bare.detail.event_id, "e-1");
        assert_eq!(bare.detail.event_type, EventType::OrderPlaced);
        assert_eq!(bare.detail.trace["traceparent"], "00-…");
        let wrapped = serde_json::json!({ "Type": "Notification", "Message": event().to_string() });
        assert_eq!(parse(&wrapped.to_string()).unwrap().detail.event_id, "e-1");
    }

    #[test]
    fn poison_is_recognised() {
        for body in [
            "",
            "not json",
            "{}",
            r#"{"detail":{"event_id":"x","type":"order.lost"}}"#,
        ] {
            assert!(parse(body).is_none(), "{body}");
        }
    }
}
