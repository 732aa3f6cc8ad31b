//! The outbox dispatcher: publishes due outbox events to the EventBridge
//! bus, one `PutEvents` entry per event, with retries.
//!
//! - **Nothing is lost.** An event leaves the outbox only when the bus
//!   accepted it; a failed attempt is tried again after an exponential
//!   backoff with jitter (1 s, 2 s, 4 s … capped, each delay drawn between
//!   half and all of its step), forever: EventBridge, SQS or SES being down
//!   only delays mail.
//! - **One event per call.** Each event's `send` span continues the trace of
//!   the change that wrote it, and its `PutEvents` call is that span's child,
//!   so the trace stays one connected tree in X-Ray, which has no span
//!   links. EventBridge bills per entry, not per call, so this costs the
//!   same as batching; up to [`Settings::concurrency`] calls run at once.
//! - **Acknowledgements.** Mail events that no consumer acknowledged within
//!   [`Settings::ack_timeout`] are published again, a bounded number of
//!   times (an emulator that restarted without its queues lost them;
//!   LocalStack even accepts `PutEvents` for a bus that does not exist and
//!   drops the event). Consumers dedupe by event id.
//! - **Quiet when idle.** Polling the table is not traced (an idle shop
//!   would otherwise emit a trace a second); each publication is.

use std::sync::Arc;
use std::time::Duration;

use telemetry_api::trace::{span_context, with_remote_parent};
use telemetry_api::{KeyValue, Telemetry, semconv};
use tokio::sync::{Mutex, watch};
use tracing::Instrument;
use tracing::instrument::WithSubscriber;

use crate::aws::{self, CallError, client_span};
use crate::db::Db;
use crate::events::outbox::{self, Row};
use crate::events::provision::{self, Settings as ProvisionSettings};
use crate::events::{Detail, EventType, SOURCE, trace};
use crate::instruments::Instruments;
use crate::time::now_millis;

/// How the dispatcher works.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The event bus's name.
    pub bus: String,
    /// How often the outbox is polled when idle.
    pub poll_interval: Duration,
    /// Events taken per poll.
    pub batch: i64,
    /// `PutEvents` calls in flight at once.
    pub concurrency: usize,
    /// The first retry's delay; each later one doubles, up to `backoff_cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long a consumer has to acknowledge a mail event before it is
    /// published again; `None`: never republish.
    pub ack_timeout: Option<Duration>,
    /// How many times an unacknowledged event is published again.
    pub max_republish: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bus: "shop-events".to_owned(),
            poll_interval: Duration::from_millis(500),
            batch: 50,
            concurrency: 4,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            ack_timeout: Some(Duration::from_secs(120)),
            max_republish: 5,
        }
    }
}

/// The delay before attempt `attempts + 1`, with jitter: between half and
/// all of `base · 2^attempts`, capped at `cap`.
pub fn backoff(base: Duration, cap: Duration, attempts: u32) -> Duration {
    let step = base
        .saturating_mul(2u32.saturating_pow(attempts.min(30)))
        .min(cap);
    let half = step / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// Creates the messaging resources again when they went missing, at most
/// once per [`Provisioner::MIN_INTERVAL`] (shared by the dispatcher and the
/// notification worker).
#[derive(Clone)]
pub struct Provisioner {
    sdk: aws_config::SdkConfig,
    settings: ProvisionSettings,
    last: Arc<Mutex<Option<tokio::time::Instant>>>,
}

impl Provisioner {
    pub const MIN_INTERVAL: Duration = Duration::from_secs(2);

    pub fn new(sdk: aws_config::SdkConfig, settings: ProvisionSettings) -> Provisioner {
        Provisioner {
            sdk,
            settings,
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// Provisions now (unless it just did); logs and returns whether it worked.
    pub async fn ensure(&self) -> bool {
        let mut last = self.last.lock().await;
        if last.is_some_and(|t| t.elapsed() < Self::MIN_INTERVAL) {
            return false;
        }
        *last = Some(tokio::time::Instant::now());
        match provision::provision(&self.sdk, &self.settings).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "provisioning the messaging resources failed; will retry");
                false
            }
        }
    }
}

/// Publishes the outbox. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    db: Db,
    client: aws_sdk_eventbridge::Client,
    region: Arc<str>,
    telemetry: Telemetry,
    instruments: Instruments,
    settings: Arc<Settings>,
    provisioner: Option<Provisioner>,
}

impl Dispatcher {
    /// A dispatcher on the SDK's configuration (no network call). With a
    /// `provisioner` (the lab), it creates the messaging resources at start
    /// and whenever the bus turns out to be missing.
    pub fn new(
        db: Db,
        sdk: &aws_config::SdkConfig,
        telemetry: Telemetry,
        instruments: Instruments,
        settings: Settings,
        provisioner: Option<Provisioner>,
    ) -> Dispatcher {
        Dispatcher {
            db,
            client: aws_sdk_eventbridge::Client::new(sdk),
            region: Arc::from(aws::region_of(sdk)),
            telemetry,
            instruments,
            settings: Arc::new(settings),
            provisioner,
        }
    }

    /// The provisioner, when this dispatcher creates missing resources.
    pub fn provisioner(&self) -> Option<&Provisioner> {
        self.provisioner.as_ref()
    }

    /// Publishes until `stop` turns true (then finishes the calls in flight).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(bus = %self.settings.bus, "outbox dispatcher started");
        loop {
            let published = match self.drain_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox failed; will retry");
                    0
                }
            };
            if *stop.borrow() {
                break;
            }
            // A full batch: there may be more right away.
            if published as i64 >= self.settings.batch {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.poll_interval) => {}
                _ = stop.changed() => break,
            }
        }
        tracing::info!("outbox dispatcher stopped");
    }

    /// One pass: requeues unacknowledged mail events, then publishes every
    /// due event (up to a batch). Returns how many it published.
    pub async fn drain_once(&self) -> Result<usize, sqlx::Error> {
        let now = now_millis();
        if let Some(timeout) = self.settings.ack_timeout {
            let requeued =
                telemetry_api::export::without_telemetry(outbox::requeue_unacknowledged(
                    &self.db,
                    now,
                    timeout.as_millis() as i64,
                    self.settings.max_republish,
                ))
                .await?;
            if requeued > 0 {
                tracing::warn!(
                    events = requeued,
                    "mail events not acknowledged in time; publishing them again"
                );
            }
        }
        let rows = telemetry_api::export::without_telemetry(outbox::due(
            &self.db,
            now,
            self.settings.batch,
        ))
        .await?;
        let mut tasks = tokio::task::JoinSet::new();
        let mut published = 0;
        for row in rows {
            // Lease the row for longer than a call can take.
            let lease = now + 60_000;
            if !telemetry_api::export::without_telemetry(outbox::claim(&self.db, &row, lease))
                .await?
            {
                continue;
            }
            while tasks.len() >= self.settings.concurrency {
                if let Some(Ok(true)) = tasks.join_next().await {
                    published += 1;
                }
            }
            let me = self.clone();
            // Under this shop's dispatcher (tests run several shops in one process).
            tasks.spawn(
                async move { me.publish(row).await }
                    .with_subscriber(self.telemetry.dispatch().clone()),
            );
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(true) = done {
                published += 1;
            }
        }
        Ok(published)
    }

    /// Publishes one claimed event; `true` when the bus took it.
    async fn publish(&self, row: Row) -> bool {
        let event_id = row.event_id();
        let event_type = EventType::parse(&row.topic);
        let parent = row.trace_context.as_deref().and_then(trace::decode);
        let span = with_remote_parent(parent, || {
            tracing::info_span!(
                "event",
                span.name = %format_args!("send {}", self.settings.bus),
                span.kind = "producer",
                messaging.system = "aws.eventbridge",
                messaging.destination.name = self.settings.bus.as_str(),
                messaging.operation.type = "send",
                messaging.message.id = event_id.as_str(),
                shop.event.type = row.topic.as_str(),
                error.type = tracing::field::Empty,
            )
        });
        let outcome = async {
            let Some(event_type) = event_type else {
                // A topic this build does not know (written by a newer one):
                // leave it for a dispatcher that does, and say so.
                tracing::error!(topic = %row.topic, "unknown event type in the outbox; not published");
                return Err(CallError {
                    service: "EventBridge",
                    operation: "PutEvents",
                    kind: "unknown_event_type".to_owned(),
                    message: format!("unknown event type {}", row.topic),
                });
            };
            let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
            let context = span_context(&tracing::Span::current());
            let fields = context
                .map(|c| trace::inject(self.telemetry.propagator(), &c))
                .unwrap_or_default();
            let detail = Detail {
                event_id: event_id.clone(),
                event_type,
                occurred_at: row.created_at,
                data: event_type.public_data(&payload),
                trace: fields.0.clone(),
            };
            let detail = serde_json::to_string(&detail).unwrap_or_default();
            let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source(SOURCE)
                .detail_type(event_type.as_str())
                .detail(detail)
                .event_bus_name(&self.settings.bus)
                .set_trace_header(trace::xray_header(&fields).map(str::to_owned))
                .build();
            let call = client_span!("EventBridge", "PutEvents", &*self.region);
            call.record(semconv::MESSAGING_DESTINATION_NAME, self.settings.bus.as_str());
            call.record(semconv::MESSAGING_BATCH_MESSAGE_COUNT, 1);
            let out = aws::call(
                call.clone(),
                "EventBridge",
                "PutEvents",
                self.client.put_events().entries(entry).send(),
            )
            .instrument(call.clone())
            .await?;
            if out.failed_entry_count() > 0 {
                let entry = out.entries().first();
                let kind = entry
                    .and_then(|e| e.error_code())
                    .unwrap_or("failed_entry")
                    .to_owned();
                call.record(semconv::ERROR_TYPE, kind.as_str());
                return Err(CallError {
                    service: "EventBridge",
                    operation: "PutEvents",
                    message: entry
                        .and_then(|e| e.error_message())
                        .unwrap_or("the bus refused the entry")
                        .to_owned(),
                    kind,
                });
            }
            Ok(())
        }
        .instrument(span.clone())
        .await;

        let now = now_millis();
        let type_attr = KeyValue::new(semconv::SHOP_EVENT_TYPE, row.topic.clone());
        match outcome {
            Ok(()) => {
                if let Err(e) = outbox::mark_published(&self.db, &row, now)
                    .instrument(span.clone())
                    .await
                {
                    // Published but not marked: it will be published again
                    // and the consumers dedupe it.
                    span.in_scope(
                        || tracing::warn!(error = %e, "could not mark an event published"),
                    );
                }
                self.instruments
                    .events_published
                    .add(1, &[type_attr, KeyValue::new("outcome", "published")]);
                self.instruments.events_publish_lag.record(
                    (now - row.created_at).max(0) as f64 / 1000.0,
                    &[KeyValue::new(semconv::SHOP_EVENT_TYPE, row.topic.clone())],
                );
                true
            }
            Err(e) => {
                span.record(semconv::ERROR_TYPE, e.kind.as_str());
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                let delay = backoff(
                    self.settings.backoff_base,
                    self.settings.backoff_cap,
                    attempts,
                );
                let next = now + delay.as_millis() as i64;
                span.in_scope(|| {
                    tracing::warn!(
                        error = %e,
                        attempt = attempts + 1,
                        retry_in_ms = delay.as_millis() as u64,
                        "publishing an event failed; will retry"
                    )
                });
                if let Err(db) = outbox::mark_failed(&self.db, &row, next, &e.to_string())
                    .instrument(span.clone())
                    .await
                {
                    span.in_scope(
                        || tracing::warn!(error = %db, "could not record a failed attempt"),
                    );
                }
                self.instruments
                    .events_published
                    .add(1, &[type_attr, KeyValue::new("outcome", "retry")]);
                if e.is_missing_resource()
                    && let Some(p) = &self.provisioner
                {
                    p.ensure().await;
                }
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        for attempts in 0..12u32 {
            let step = (base * 2u32.pow(attempts)).min(cap);
            for _ in 0..50 {
                let d = backoff(base, cap, attempts);
                assert!(
                    d >= step / 2 && d <= step,
                    "{attempts}: {d:?} not in [{:?}, {step:?}]",
                    step / 2
                );
            }
        }
        // Huge attempt counts do not overflow.
        assert!(backoff(base, cap, u32::MAX) <= cap);
    }
}
