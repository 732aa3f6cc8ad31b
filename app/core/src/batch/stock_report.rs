//! The stock report (A-BATCH-01): how many products are in stock, low on
//! stock (at or below their threshold) and out of stock, the units on hand,
//! and the products that need attention, lowest first. Its items are the
//! products looked at; the report is the run's detail (`GET
//! /api/admin/batch/runs`) and a log line.

use serde_json::json;

use super::{Done, Failure};
use crate::db::Db;
use crate::inventory::StockStatus;
use crate::inventory::admin::levels;

/// Products read per query.
const PAGE: i64 = 500;
/// Most products the report lists by name under `attention`.
pub const MAX_LISTED: usize = 100;

/// Runs the report.
pub async fn run(db: &Db) -> Result<Done, Failure> {
    let (mut products, mut units) = (0_u64, 0_i64);
    let (mut in_stock, mut low, mut out) = (0_u64, 0_u64, 0_u64);
    let mut attention = Vec::new();
    let mut offset = 0;
    loop {
        // Lowest quantity first: the products needing attention come first.
        let page = levels(db, None, PAGE, offset).await?;
        for level in &page {
            products += 1;
            units += level.quantity.max(0);
            let status = match level.status {
                StockStatus::InStock => {
                    in_stock += 1;
                    continue;
                }
                StockStatus::LowStock => {
                    low += 1;
                    "low_stock"
                }
                StockStatus::OutOfStock => {
                    out += 1;
                    "out_of_stock"
                }
            };
            if attention.len() < MAX_LISTED {
                attention.push(json!({
                    "product_id": level.product_id,
                    "quantity": level.quantity,
                    "low_stock_threshold": level.low_stock_threshold,
                    "status": status,
                }));
            }
        }
        if (page.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    tracing::info!(
        products,
        in_stock,
        low_stock = low,
        out_of_stock = out,
        units_on_hand = units,
        "stock report"
    );
    Ok(Done {
        items: products,
        detail: json!({
            "products": products,
            "units_on_hand": units,
            "in_stock": in_stock,
            "low_stock": low,
            "out_of_stock": out,
            "attention": attention,
            "attention_truncated": (low + out) as usize > attention.len(),
        }),
        problem: None,
    })
}
