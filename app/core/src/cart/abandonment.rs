//! Cart abandonment (O-METRIC-06): a cart with items, still open, that
//! nobody touched for the abandonment window (30 minutes by default) is
//! counted once in `shop.carts.abandoned`.
//!
//! A sweep marks such carts (`carts.abandoned_at`) with one conditional
//! `UPDATE` and counts the rows it changed, so each cart is counted exactly
//! once however many processes sweep the same database. A cart that is
//! checked out later was still abandoned for a while; it is not counted
//! again, and not "un-counted".
//!
//! The sweep is deliberately not traced: a root trace per minute per
//! process would fill the trace store (and its bill) with traces that tell
//! nothing the counter does not. The counter is the signal; a log line says
//! when a sweep found carts.

use std::time::Duration;

use crate::db::Db;
use crate::instruments::Instruments;
use crate::time::now_millis;

/// How often the shop sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Marks the open carts with items that were last changed more than
/// `window` before `now` (epoch ms) and not counted yet; returns how many.
pub async fn mark(db: &Db, window: Duration, now: i64) -> Result<u64, sqlx::Error> {
    let before = now - window.as_millis() as i64;
    let done = sqlx::query(
        "UPDATE carts SET abandoned_at = ? WHERE status = 'open' AND abandoned_at IS NULL \
         AND updated_at < ? AND EXISTS (SELECT 1 FROM cart_items ci WHERE ci.cart_id = carts.id)",
    )
    .bind(now)
    .bind(before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// One sweep: marks and counts the carts abandoned since the last one.
/// A failed sweep is logged and retried at the next; it never stops the
/// shop.
pub async fn sweep(db: &Db, instruments: &Instruments, window: Duration) {
    match mark(db, window, now_millis()).await {
        Ok(0) => {}
        Ok(n) => {
            instruments.carts_abandoned.add(n, &[]);
            tracing::info!(carts = n, window_secs = window.as_secs(), "carts abandoned");
        }
        Err(e) => tracing::warn!(error = %e, "cart abandonment sweep failed"),
    }
}
