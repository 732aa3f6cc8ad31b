//! Domain events and the transactional outbox (issue #16).
//!
//! A change that others should hear about (an order placed, stock back on
//! the shelf, a password reset asked for) writes an *event* into the
//! `outbox` table **in the same database transaction as the change**
//! ([`record_in`]). Either both are stored or neither is: no event for a
//! change that rolled back, no change without its event. The
//! [`dispatcher`] later publishes each event to the EventBridge bus, with
//! retries; rules on the bus route events to SQS queues and SNS topics
//! ([`provision`]); consumers such as the notification worker
//! (`crate::notifications`) handle them and acknowledge them here.
//!
//! ```text
//! request ─▶ BEGIN … change … INSERT outbox … COMMIT
//!                                   │
//!            dispatcher ──PutEvents─▶ EventBridge ──rule─▶ SQS ─▶ worker ─▶ SES
//!                                                  └rule─▶ SNS ─▶ SQS ─▶ worker ─▶ SES
//! ```
//!
//! What an event carries on the bus (its *detail*) is public: ids, statuses,
//! amounts, never personal data or secrets. A consumer that needs more (the
//! customer's address, a reset token) reads it from the shop's database by
//! id: the outbox row keeps the private part of the payload.
//!
//! **Trace context.** The outbox row stores where in its trace the event was
//! written (the `create` producer span's context). The dispatcher's `send`
//! span continues that trace, and the context travels on in the event's
//! detail (`trace`) as well as in the way each AWS hop carries it natively
//! (EventBridge's `TraceHeader`, SQS's `AWSTraceHeader`), because some hops
//! drop the native header (LocalStack's EventBridge→SQS does).

pub mod dispatcher;
pub mod feed;
pub mod outbox;
pub mod provision;
pub mod trace;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::db::Db;

/// The `source` of every event the shop publishes on its bus.
pub const SOURCE: &str = "shop";

/// What happened: the event's type, its EventBridge `detail-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "order.placed")]
    OrderPlaced,
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.returned")]
    OrderReturned,
    #[serde(rename = "inventory.low_stock")]
    LowStock,
    #[serde(rename = "inventory.back_in_stock")]
    BackInStock,
    /// The daily stock report (A-BATCH-01) is ready: the admins who look
    /// after stock get it by mail.
    #[serde(rename = "inventory.stock_report")]
    StockReport,
    #[serde(rename = "catalog.product.on_sale")]
    ProductOnSale,
    #[serde(rename = "account.password_reset")]
    PasswordReset,
    /// The `image-resize` function finished with an upload (done or
    /// failed): the back office hears of it (F-LAMBDA-01).
    #[serde(rename = "catalog.image.processed")]
    ImageProcessed,
}

impl EventType {
    pub const ALL: [EventType; 12] = [
        EventType::OrderPlaced,
        EventType::OrderPaid,
        EventType::OrderShipped,
        EventType::OrderDelivered,
        EventType::OrderCancelled,
        EventType::OrderReturned,
        EventType::LowStock,
        EventType::BackInStock,
        EventType::StockReport,
        EventType::ProductOnSale,
        EventType::PasswordReset,
        EventType::ImageProcessed,
    ];

    /// The stored and published name (`order.placed`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderPlaced => "order.placed",
            EventType::OrderPaid => "order.paid",
            EventType::OrderShipped => "order.shipped",
            EventType::OrderDelivered => "order.delivered",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderReturned => "order.returned",
            EventType::LowStock => "inventory.low_stock",
            EventType::BackInStock => "inventory.back_in_stock",
            EventType::StockReport => "inventory.stock_report",
            EventType::ProductOnSale => "catalog.product.on_sale",
            EventType::PasswordReset => "account.password_reset",
            EventType::ImageProcessed => "catalog.image.processed",
        }
    }

    /// The type with this name, if any.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// The event an order entering `status` announces, if any (packing and
    /// a return request are internal steps nobody is told about).
    pub fn for_order_status(status: crate::orders::OrderStatus) -> Option<EventType> {
        use crate::orders::OrderStatus as S;
        match status {
            S::Placed => Some(EventType::OrderPlaced),
            S::Paid => Some(EventType::OrderPaid),
            S::Shipped => Some(EventType::OrderShipped),
            S::Delivered => Some(EventType::OrderDelivered),
            S::Cancelled => Some(EventType::OrderCancelled),
            S::Returned => Some(EventType::OrderReturned),
            S::Packed | S::ReturnRequested => None,
        }
    }

    /// Whether a consumer acknowledges this event in the outbox (the mails):
    /// an event of such a type that is published and not acknowledged in
    /// time is published again ([`outbox::requeue_unacknowledged`]).
    pub fn expects_ack(self) -> bool {
        matches!(
            self,
            EventType::OrderPlaced
                | EventType::OrderShipped
                | EventType::BackInStock
                | EventType::StockReport
                | EventType::ProductOnSale
                | EventType::PasswordReset
        )
    }

    /// The part of a stored payload that may leave the database: a reset
    /// mail's address and token stay in the outbox row.
    pub fn public_data(self, payload: &Json) -> Json {
        match self {
            EventType::PasswordReset => Json::Object(Default::default()),
            _ => payload.clone(),
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event's detail on the bus: what consumers receive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// The event's id: consumers dedupe by it.
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the change happened (epoch milliseconds).
    pub occurred_at: i64,
    /// The public payload (ids, statuses, amounts).
    pub data: Json,
    /// The trace context, as propagation fields (`traceparent`,
    /// `x-amzn-trace-id`): carried in the body because not every hop keeps
    /// the native header.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub trace: std::collections::BTreeMap<String, String>,
}

/// Writes `event_type` with `payload` into the outbox inside `tx`, the
/// transaction of the change it announces, as a `create` producer span
/// (`{type} create`) of the current trace. Returns the event id.
pub async fn record_in(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    event_type: EventType,
    payload: &Json,
    now: i64,
) -> Result<String, sqlx::Error> {
    let event_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!(
        "event",
        span.name = %format_args!("{} create", event_type.as_str()),
        span.kind = "producer",
        messaging.system = "shop_outbox",
        messaging.destination.name = "outbox",
        messaging.operation.type = "create",
        messaging.message.id = event_id.as_str(),
        shop.event.type = event_type.as_str(),
    );
    let context = telemetry_api::trace::span_context(&span).map(|c| trace::encode(&c));
    const INSERT: &str = "INSERT INTO outbox (topic, payload, created_at, published_at, event_id, trace_context) \
        VALUES (?, ?, ?, NULL, ?, ?)";
    let insert = db.traced(
        INSERT,
        sqlx::query(INSERT)
            .bind(event_type.as_str())
            .bind(payload.to_string())
            .bind(now)
            .bind(event_id.as_str())
            .bind(context)
            .execute(&mut **tx),
    );
    tracing::Instrument::instrument(insert, span).await?;
    Ok(event_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name_and_serde() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, Json::String(t.as_str().to_owned()));
        }
        assert_eq!(EventType::parse("order.lost"), None);
    }

    #[test]
    fn a_reset_mail_keeps_its_address_and_token_off_the_bus() {
        let payload = serde_json::json!({ "to": "a@example.com", "token": "secret" });
        assert_eq!(
            EventType::PasswordReset.public_data(&payload),
            serde_json::json!({})
        );
        let order = serde_json::json!({ "order_id": "o-1", "status": "placed" });
        assert_eq!(EventType::OrderPlaced.public_data(&order), order);
    }

    #[test]
    fn only_announced_order_statuses_have_an_event() {
        use crate::orders::OrderStatus as S;
        assert_eq!(
            EventType::for_order_status(S::Shipped),
            Some(EventType::OrderShipped)
        );
        assert_eq!(EventType::for_order_status(S::Packed), None);
        assert_eq!(EventType::for_order_status(S::ReturnRequested), None);
    }
}
