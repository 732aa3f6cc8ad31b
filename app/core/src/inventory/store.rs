//! Inventory's SQL: on-hand quantities for a check, and one product's level.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::check::StockCheck;
use super::model::{Availability, ItemAvailability, StockLevel};
use crate::db::Db;

/// Compares requested quantities with stock on hand, in one query.
pub async fn availability(db: &Db, check: &StockCheck) -> Result<Availability, sqlx::Error> {
    let requests = check.items();
    let placeholders = vec!["?"; requests.len()].join(", ");
    let sql = format!(
        "SELECT p.id, COALESCE(i.quantity, 0) FROM products p LEFT JOIN inventory i ON i.product_id = p.id \
         WHERE p.id IN ({placeholders})"
    );
    let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql.clone()));
    for item in requests {
        q = q.bind(item.product_id);
    }
    let on_hand: HashMap<i64, i64> = db
        .traced_all(&sql, q.fetch_all(db.pool()))
        .await?
        .into_iter()
        .collect();
    let items: Vec<ItemAvailability> = requests
        .iter()
        .map(|r| {
            let have = on_hand.get(&r.product_id).copied();
            ItemAvailability {
                product_id: r.product_id,
                requested: r.quantity,
                on_hand: have.unwrap_or(0),
                exists: have.is_some(),
                sufficient: have.is_some_and(|h| h >= r.quantity),
            }
        })
        .collect();
    Ok(Availability {
        available: items.iter().all(|i| i.sufficient),
        items,
    })
}

/// One product's stock level, or `None` for a product inventory does not know.
pub async fn level(db: &Db, product_id: i64) -> Result<Option<StockLevel>, sqlx::Error> {
    const SQL: &str =
        "SELECT quantity, low_stock_threshold, updated_at FROM inventory WHERE product_id = ?";
    let row: Option<(i64, i64, i64)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(|(quantity, low_stock_threshold, updated_at)| {
        StockLevel::new(product_id, quantity, low_stock_threshold, updated_at)
    }))
}
