//! The back office's inventory (A-INV-01..05): levels with a filter, stock
//! adjustments with a reason, the movement history, low-stock thresholds and
//! the alerts they raise, and a stock forecast.
//!
//! An adjustment is one transaction: the conditional update (stock never
//! goes below zero), its movement, the alert and its outbox event when the
//! stock crosses the threshold downwards, and the audit entry.
//!
//! **The forecast's method:** days of cover = units on hand ÷ the average
//! units sold per day over the last [`FORECAST_WINDOW_DAYS`] days (sales are
//! the `order` movements; cancellations and returns put units back and are
//! subtracted). No sales in the window: no forecast (`days_of_cover` null).

use serde::Serialize;

use super::model::{StockLevel, StockStatus};
use crate::audit::{self, AuditEvent};
use crate::db::Db;
use crate::events::{self, EventType};
use crate::time::{now_millis, rfc3339};
use crate::validation::Invalid;

/// The forecast's window.
pub const FORECAST_WINDOW_DAYS: i64 = 28;
/// The outbox topic of a low-stock alert.
pub const LOW_STOCK_TOPIC: &str = "inventory.low_stock";
/// The largest adjustment in one go, either way.
pub const MAX_DELTA: i64 = 100_000;

/// Why stock was adjusted by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Goods arrived.
    Receiving,
    /// Goods were found damaged.
    Damage,
    /// A count found the figure wrong.
    Correction,
}

impl Reason {
    pub fn parse(name: &str) -> Result<Reason, Invalid> {
        match name {
            "receiving" => Ok(Reason::Receiving),
            "damage" => Ok(Reason::Damage),
            "correction" => Ok(Reason::Correction),
            _ => Err(Invalid::new(
                "reason",
                "must be receiving, damage or correction",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Receiving => "receiving",
            Reason::Damage => "damage",
            Reason::Correction => "correction",
        }
    }

    /// Receiving adds, damage removes, a correction goes either way.
    pub fn check(self, delta: i64) -> Result<(), Invalid> {
        let ok = match self {
            Reason::Receiving => delta > 0,
            Reason::Damage => delta < 0,
            Reason::Correction => delta != 0,
        };
        if !ok {
            return Err(Invalid::new(
                "delta",
                "receiving adds (delta > 0), damage removes (delta < 0), a correction is not 0",
            ));
        }
        if delta.abs() > MAX_DELTA {
            return Err(Invalid::new(
                "delta",
                format!("must be at most {MAX_DELTA} either way"),
            ));
        }
        Ok(())
    }
}

/// One change of stock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Movement {
    pub id: i64,
    pub delta: i64,
    /// `seed`, `order`, `cancel`, `return`, `receiving`, `damage` or `correction`.
    pub reason: String,
    /// The order, or the admin's audit reference, when there is one.
    pub reference: Option<String>,
    pub at: String,
}

/// A low-stock alert.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    pub product_id: i64,
    /// Units left when the threshold was crossed.
    pub quantity: i64,
    pub threshold: i64,
    pub at: String,
}

/// The forecast for one product (see the module documentation for the method).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    pub product_id: i64,
    pub quantity: i64,
    pub window_days: i64,
    /// Units sold in the window, net of cancellations and returns.
    pub units_sold: i64,
    pub daily_rate: f64,
    /// `quantity / daily_rate`; null without sales in the window.
    pub days_of_cover: Option<f64>,
    pub method: &'static str,
}

/// What an adjustment did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Adjusted {
    pub level: StockLevel,
    /// The stock crossed its threshold downwards: an alert was recorded.
    pub alert: bool,
}

/// Why an adjustment failed.
#[derive(Debug, thiserror::Error)]
pub enum AdjustError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("product {0} not found")]
    ProductNotFound(i64),
    /// The stock would go below zero.
    #[error("product {product_id} has {on_hand} units; removing {removing} would go below zero")]
    Insufficient {
        product_id: i64,
        on_hand: i64,
        removing: i64,
    },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Stock levels, lowest quantity first, optionally in one status.
pub async fn levels(
    db: &Db,
    status: Option<StockStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<StockLevel>, sqlx::Error> {
    const SQL: &str = "SELECT product_id, quantity, low_stock_threshold, updated_at FROM inventory \
        WHERE (? = 'any') OR (? = 'out_of_stock' AND quantity <= 0) \
        OR (? = 'low_stock' AND quantity > 0 AND quantity <= low_stock_threshold) \
        OR (? = 'in_stock' AND quantity > low_stock_threshold) \
        ORDER BY quantity, product_id LIMIT ? OFFSET ?";
    let name = match status {
        None => "any",
        Some(StockStatus::OutOfStock) => "out_of_stock",
        Some(StockStatus::LowStock) => "low_stock",
        Some(StockStatus::InStock) => "in_stock",
    };
    let rows: Vec<(i64, i64, i64, i64)> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(name)
                .bind(name)
                .bind(name)
                .bind(name)
                .bind(limit)
                .bind(offset)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, q, t, u)| StockLevel::new(p, q, t, u))
        .collect())
}

/// Adjusts a product's stock by `delta` for `reason`, with its movement,
/// alert and audit entry, in one transaction.
pub async fn adjust(
    db: &Db,
    product_id: i64,
    delta: i64,
    reason: Reason,
    audit: AuditEvent,
) -> Result<Adjusted, AdjustError> {
    reason.check(delta)?;
    let mut tx = db.begin_write().await?;
    let result = async {
        let now = now_millis();
        const READ_SQLITE: &str =
            "SELECT quantity, low_stock_threshold FROM inventory WHERE product_id = ?";
        const READ_MYSQL: &str =
            "SELECT quantity, low_stock_threshold FROM inventory WHERE product_id = ? FOR UPDATE";
        let read = if db.system().is_sqlite() {
            READ_SQLITE
        } else {
            READ_MYSQL
        };
        let (before, threshold): (i64, i64) = db
            .traced(
                read,
                sqlx::query_as(read).bind(product_id).fetch_optional(&mut *tx),
            )
            .await?
            .ok_or(AdjustError::ProductNotFound(product_id))?;
        let after = before + delta;
        if after < 0 {
            return Err(AdjustError::Insufficient {
                product_id,
                on_hand: before,
                removing: -delta,
            });
        }
        const UPDATE: &str =
            "UPDATE inventory SET quantity = ?, updated_at = ? WHERE product_id = ?";
        db.traced(
            UPDATE,
            sqlx::query(UPDATE)
                .bind(after)
                .bind(now)
                .bind(product_id)
                .execute(&mut *tx),
        )
        .await?;
        const MOVEMENT: &str = "INSERT INTO inventory_movements (product_id, delta, reason, reference, created_at) \
            VALUES (?, ?, ?, ?, ?)";
        db.traced(
            MOVEMENT,
            sqlx::query(MOVEMENT)
                .bind(product_id)
                .bind(delta)
                .bind(reason.as_str())
                .bind("admin")
                .bind(now)
                .execute(&mut *tx),
        )
        .await?;
        let alert = before > threshold && after <= threshold;
        if alert {
            const ALERT: &str = "INSERT INTO low_stock_alerts (product_id, quantity, threshold, created_at) \
                VALUES (?, ?, ?, ?)";
            db.traced(
                ALERT,
                sqlx::query(ALERT)
                    .bind(product_id)
                    .bind(after)
                    .bind(threshold)
                    .bind(now)
                    .execute(&mut *tx),
            )
            .await?;
            let payload = serde_json::json!({ "product_id": product_id, "quantity": after, "threshold": threshold });
            events::record_in(db, &mut tx, EventType::LowStock, &payload, now).await?;
            tracing::warn!(shop.product.id = product_id, quantity = after, threshold, "low stock");
        }
        // Back on the shelf after being sold out: the subscribers get a mail.
        if before <= 0 && after > 0 {
            let payload = serde_json::json!({ "product_id": product_id, "quantity": after });
            events::record_in(db, &mut tx, EventType::BackInStock, &payload, now).await?;
        }
        let event = audit.change(
            Some(serde_json::json!({ "quantity": before })),
            Some(serde_json::json!({ "quantity": after, "reason": reason.as_str() })),
        );
        audit::append_in(db, &mut tx, event).await?;
        Ok::<Adjusted, AdjustError>(Adjusted {
            level: StockLevel::new(product_id, after, threshold, now),
            alert,
        })
    }
    .await;
    match result {
        Ok(adjusted) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(adjusted)
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// Sets a product's low-stock threshold (0–100,000), with its audit entry.
pub async fn set_threshold(
    db: &Db,
    product_id: i64,
    threshold: i64,
    audit: AuditEvent,
) -> Result<StockLevel, AdjustError> {
    if !(0..=MAX_DELTA).contains(&threshold) {
        return Err(Invalid::new("threshold", format!("must be between 0 and {MAX_DELTA}")).into());
    }
    let mut tx = db.begin_write().await?;
    let result = async {
        let now = now_millis();
        const READ: &str =
            "SELECT quantity, low_stock_threshold FROM inventory WHERE product_id = ?";
        let (quantity, before): (i64, i64) = db
            .traced(
                READ,
                sqlx::query_as(READ)
                    .bind(product_id)
                    .fetch_optional(&mut *tx),
            )
            .await?
            .ok_or(AdjustError::ProductNotFound(product_id))?;
        const SET: &str =
            "UPDATE inventory SET low_stock_threshold = ?, updated_at = ? WHERE product_id = ?";
        db.traced(
            SET,
            sqlx::query(SET)
                .bind(threshold)
                .bind(now)
                .bind(product_id)
                .execute(&mut *tx),
        )
        .await?;
        let event = audit.change(
            Some(serde_json::json!({ "threshold": before })),
            Some(serde_json::json!({ "threshold": threshold })),
        );
        audit::append_in(db, &mut tx, event).await?;
        Ok::<StockLevel, AdjustError>(StockLevel::new(product_id, quantity, threshold, now))
    }
    .await;
    match result {
        Ok(level) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(level)
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// A product's movements, newest first.
pub async fn movements(db: &Db, product_id: i64, limit: i64) -> Result<Vec<Movement>, sqlx::Error> {
    const SQL: &str = "SELECT id, delta, reason, reference, created_at FROM inventory_movements \
        WHERE product_id = ? ORDER BY id DESC LIMIT ?";
    let rows: Vec<(i64, i64, String, Option<String>, i64)> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(product_id)
                .bind(limit)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, delta, reason, reference, at)| Movement {
            id,
            delta,
            reason,
            reference,
            at: rfc3339(at),
        })
        .collect())
}

/// Recorded low-stock alerts, newest first.
pub async fn alerts(db: &Db, limit: i64) -> Result<Vec<Alert>, sqlx::Error> {
    const SQL: &str = "SELECT id, product_id, quantity, threshold, created_at FROM low_stock_alerts \
        ORDER BY id DESC LIMIT ?";
    let rows: Vec<(i64, i64, i64, i64, i64)> = db
        .traced_all(SQL, sqlx::query_as(SQL).bind(limit).fetch_all(db.pool()))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, product_id, quantity, threshold, at)| Alert {
            id,
            product_id,
            quantity,
            threshold,
            at: rfc3339(at),
        })
        .collect())
}

/// The forecast for one product, or `None` for an unknown product.
pub async fn forecast(db: &Db, product_id: i64) -> Result<Option<Forecast>, sqlx::Error> {
    const QUANTITY: &str = "SELECT quantity FROM inventory WHERE product_id = ?";
    let quantity: Option<i64> = db
        .traced(
            QUANTITY,
            sqlx::query_scalar(QUANTITY)
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?;
    let Some(quantity) = quantity else {
        return Ok(None);
    };
    let since = now_millis() - FORECAST_WINDOW_DAYS * 86_400_000;
    // Sales (negative `order` deltas), less what cancellations and returns
    // put back; each movement summed here, not with SQL's SUM (a DECIMAL on MySQL).
    const MOVES: &str = "SELECT delta, reason FROM inventory_movements \
        WHERE product_id = ? AND created_at >= ? AND reason IN ('order', 'cancel', 'return')";
    let moves: Vec<(i64, String)> = db
        .traced_all(
            MOVES,
            sqlx::query_as(MOVES)
                .bind(product_id)
                .bind(since)
                .fetch_all(db.pool()),
        )
        .await?;
    let units_sold = (-moves.iter().map(|(d, _)| d).sum::<i64>()).max(0);
    let daily_rate = units_sold as f64 / FORECAST_WINDOW_DAYS as f64;
    Ok(Some(Forecast {
        product_id,
        quantity,
        window_days: FORECAST_WINDOW_DAYS,
        units_sold,
        daily_rate,
        days_of_cover: (units_sold > 0).then(|| quantity as f64 / daily_rate),
        method: "units on hand / (units sold in the last 28 days, net of cancellations and returns, / 28)",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_go_the_right_way() {
        assert!(Reason::Receiving.check(5).is_ok());
        assert!(Reason::Receiving.check(-5).is_err());
        assert!(Reason::Damage.check(-1).is_ok());
        assert!(Reason::Damage.check(1).is_err());
        assert!(Reason::Correction.check(-3).is_ok());
        assert!(Reason::Correction.check(0).is_err());
        assert_eq!(
            Reason::Correction.check(MAX_DELTA + 1).unwrap_err().field,
            "delta"
        );
        assert_eq!(Reason::parse("theft").unwrap_err().field, "reason");
    }
}
