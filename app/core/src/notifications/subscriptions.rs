//! Back-in-stock alerts (C-NOTIF-03): a signed-in customer asks to be told
//! when a sold-out product is back. The alert is sent once (by the worker,
//! on `inventory.back_in_stock`), which closes the subscription.

use serde::Serialize;
use utoipa::ToSchema;

use crate::accounts::UserId;
use crate::db::Db;
use crate::time::{now_millis, rfc3339};

/// Open alerts a customer may hold at once.
pub const MAX_OPEN_ALERTS: i64 = 100;

/// An open back-in-stock alert.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct StockAlert {
    pub product_id: i64,
    pub product_name: String,
    /// When the customer asked (RFC 3339).
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("product {0} not found")]
    ProductNotFound(i64),
    /// Only sold-out products take alerts.
    #[error("product {product_id} is in stock ({quantity} left): buy it now")]
    InStock { product_id: i64, quantity: i64 },
    #[error("at most {MAX_OPEN_ALERTS} open back-in-stock alerts")]
    TooMany,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Subscribes `user` to product `product_id`; `true` when it is new (an
/// open alert for the same product is kept as it is).
pub async fn subscribe(
    db: &Db,
    user: &UserId,
    product_id: i64,
) -> Result<(StockAlert, bool), Error> {
    const LEVEL: &str = "SELECT p.name, i.quantity FROM products p \
        JOIN inventory i ON i.product_id = p.id WHERE p.id = ?";
    let (name, quantity): (String, i64) = db
        .traced(
            LEVEL,
            sqlx::query_as(LEVEL)
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?
        .ok_or(Error::ProductNotFound(product_id))?;
    if let Some(existing) = open(db, user)
        .await?
        .into_iter()
        .find(|a| a.product_id == product_id)
    {
        return Ok((existing, false));
    }
    if quantity > 0 {
        return Err(Error::InStock {
            product_id,
            quantity,
        });
    }
    const COUNT: &str =
        "SELECT COUNT(*) FROM stock_subscriptions WHERE user_id = ? AND notified_at IS NULL";
    let held: i64 = db
        .traced(
            COUNT,
            sqlx::query_scalar(COUNT)
                .bind(user.as_str())
                .fetch_one(db.pool()),
        )
        .await?;
    if held >= MAX_OPEN_ALERTS {
        return Err(Error::TooMany);
    }
    let now = now_millis();
    const INSERT: &str = "INSERT INTO stock_subscriptions (product_id, user_id, created_at, notified_at) VALUES (?, ?, ?, NULL)";
    db.traced(
        INSERT,
        sqlx::query(INSERT)
            .bind(product_id)
            .bind(user.as_str())
            .bind(now)
            .execute(db.pool()),
    )
    .await?;
    Ok((
        StockAlert {
            product_id,
            product_name: name,
            created_at: rfc3339(now),
        },
        true,
    ))
}

/// Cancels `user`'s open alert for the product; `false` when there was none.
pub async fn unsubscribe(db: &Db, user: &UserId, product_id: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "DELETE FROM stock_subscriptions \
        WHERE user_id = ? AND product_id = ? AND notified_at IS NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(user.as_str())
                .bind(product_id)
                .execute(db.pool()),
        )
        .await?;
    Ok(done.rows_affected() > 0)
}

/// `user`'s open alerts, newest first.
pub async fn open(db: &Db, user: &UserId) -> Result<Vec<StockAlert>, sqlx::Error> {
    const SQL: &str = "SELECT s.product_id, p.name, s.created_at FROM stock_subscriptions s \
        JOIN products p ON p.id = s.product_id \
        WHERE s.user_id = ? AND s.notified_at IS NULL ORDER BY s.created_at DESC, s.id DESC";
    let rows: Vec<(i64, String, i64)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL).bind(user.as_str()).fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(product_id, product_name, at)| StockAlert {
            product_id,
            product_name,
            created_at: rfc3339(at),
        })
        .collect())
}
