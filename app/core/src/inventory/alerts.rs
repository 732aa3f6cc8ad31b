//! Low-stock alerts raised by sales (A-INV-02).
//!
//! A back-office adjustment records its alert in its own transaction
//! ([`super::admin::adjust`]). A checkout does not: it only notes, in its
//! `order.placed` event, which products the sale took from above their
//! threshold to at or below it (`low_stock`: product, quantity left,
//! threshold). The event's consumer records them here, later and once:
//!
//! - **Why not in the checkout's transaction?** Its statements would then
//!   depend on the stock, and the experiments compare every checkout's trace
//!   with a fixed expected tree (experiments/src/scenario.rs); the crossing
//!   itself is still decided inside the transaction, from the level it
//!   locked, so two concurrent sales cannot both (or neither) see it.
//! - **Once.** The consumer `inventory` in `processed_events` is written in
//!   the same transaction as the alerts and their `inventory.low_stock`
//!   events: a redelivered `order.placed` records nothing twice.
//!
//! The `inventory.low_stock` events go the same way as an adjustment's: a
//! rule sends them to the admins' SNS topic.

use serde_json::Value as Json;

use crate::db::Db;
use crate::events::{self, EventType};
use crate::time::now_millis;

/// The consumer name in `processed_events`.
pub const CONSUMER: &str = "inventory";

/// One product a sale took across its threshold, as `order.placed` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crossing {
    pub product_id: i64,
    /// Units left after the sale.
    pub quantity: i64,
    pub threshold: i64,
}

impl Crossing {
    /// The crossings an event's data names (`low_stock`), skipping entries
    /// that are not well formed; none when the member is absent.
    pub fn from_event(data: &Json) -> Vec<Crossing> {
        let Some(items) = data.get("low_stock").and_then(Json::as_array) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|i| {
                Some(Crossing {
                    product_id: i.get("product_id")?.as_i64()?,
                    quantity: i.get("quantity")?.as_i64()?,
                    threshold: i.get("threshold")?.as_i64()?,
                })
            })
            .collect()
    }
}

/// Records the alerts of `event_id` (an `order.placed`), each with its
/// `inventory.low_stock` event, unless they were recorded already. Returns
/// how many were recorded now (0 for a redelivery).
pub async fn record_sale_crossings(
    db: &Db,
    event_id: &str,
    order_id: &str,
    crossings: &[Crossing],
) -> Result<usize, sqlx::Error> {
    if crossings.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin_write().await?;
    let now = now_millis();
    const DONE: &str = "INSERT INTO processed_events (consumer, event_id, topic, processed_at, outcome, detail) \
        VALUES (?, ?, ?, ?, 'sent', ?)";
    let claimed = db
        .traced(
            DONE,
            sqlx::query(DONE)
                .bind(CONSUMER)
                .bind(event_id)
                .bind(EventType::OrderPlaced.as_str())
                .bind(now)
                .bind(format!("{} alerts", crossings.len()))
                .execute(&mut *tx),
        )
        .await;
    match claimed {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            // Recorded by an earlier delivery.
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            return Ok(0);
        }
        Err(e) => return db.end_write(tx, Err(e)).await,
    }
    let result = async {
        for c in crossings {
            const ALERT: &str = "INSERT INTO low_stock_alerts (product_id, quantity, threshold, created_at) \
                VALUES (?, ?, ?, ?)";
            db.traced(
                ALERT,
                sqlx::query(ALERT)
                    .bind(c.product_id)
                    .bind(c.quantity)
                    .bind(c.threshold)
                    .bind(now)
                    .execute(&mut *tx),
            )
            .await?;
            let payload = serde_json::json!({
                "product_id": c.product_id,
                "quantity": c.quantity,
                "threshold": c.threshold,
                "order_id": order_id,
            });
            events::record_in(db, &mut tx, EventType::LowStock, &payload, now).await?;
            tracing::warn!(
                shop.product.id = c.product_id,
                quantity = c.quantity,
                threshold = c.threshold,
                "low stock after a sale"
            );
        }
        Ok(crossings.len())
    }
    .await;
    db.end_write(tx, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_are_read_from_the_event_and_bad_entries_skipped() {
        let data = serde_json::json!({
            "order_id": "o-1",
            "low_stock": [
                { "product_id": 3, "quantity": 2, "threshold": 5 },
                { "product_id": "x", "quantity": 2, "threshold": 5 },
                { "product_id": 4, "quantity": 0 },
            ],
        });
        assert_eq!(
            Crossing::from_event(&data),
            vec![Crossing {
                product_id: 3,
                quantity: 2,
                threshold: 5
            }]
        );
        assert!(Crossing::from_event(&serde_json::json!({ "order_id": "o-2" })).is_empty());
    }
}
