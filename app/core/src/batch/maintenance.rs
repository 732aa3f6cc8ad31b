//! Maintenance (A-BATCH-03): purge what has expired, then verify the audit
//! log's hash chain.
//!
//! - **Carts** open or merged and untouched for [`CART_RETENTION`], that no
//!   order and no customer account refers to (a customer's own cart waits
//!   for them however long they are away; a checked-out cart stays with its
//!   order). Abandonment (`shop.carts.abandoned`) counted them long before.
//! - **Customer sessions** past their absolute lifetime or idle timeout
//!   (`accounts::session`): they can no longer log anyone in.
//! - **Admin sessions** past their lifetime or idle timeout, or revoked.
//! - **The audit chain** is verified as `shop audit verify` does; a broken
//!   chain fails the run (and `shop batch maintenance` exits 1) and is a
//!   security event (`audit_chain_broken`). The purge is done either way.
//!
//! The run's items are the rows purged; the detail has each count and the
//! chain's verdict.

use std::time::Duration;

use serde_json::json;

use super::{Done, Failure};
use crate::accounts::session;
use crate::admin::SESSION_IDLE_TIMEOUT;
use crate::audit::{self, Verdict};
use crate::db::Db;
use crate::instruments::Instruments;

/// How long an open guest cart (or a merged one) is kept untouched.
pub const CART_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// What a purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub carts: u64,
    pub customer_sessions: u64,
    pub admin_sessions: u64,
}

/// Purges the carts, customer sessions and admin sessions expired at `now`
/// (epoch ms). The carts' lines and the carts go in one transaction.
pub async fn purge(db: &Db, now: i64) -> Result<Purged, sqlx::Error> {
    let cart_cutoff = now - ms(CART_RETENTION);
    // The same condition twice, written out: sqlx takes only static SQL.
    const CART_ITEMS: &str = "DELETE FROM cart_items WHERE cart_id IN (SELECT c.id FROM carts c \
        WHERE c.status IN ('open', 'merged') AND c.updated_at < ? \
        AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = c.id) \
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.cart_id = c.id))";
    const CARTS: &str = "DELETE FROM carts WHERE status IN ('open', 'merged') AND updated_at < ? \
        AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.cart_id = carts.id) \
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.cart_id = carts.id)";
    let mut tx = db.begin_write().await?;
    let carts = async {
        db.traced(
            CART_ITEMS,
            sqlx::query(CART_ITEMS).bind(cart_cutoff).execute(&mut *tx),
        )
        .await?;
        let done = db
            .traced(
                CARTS,
                sqlx::query(CARTS).bind(cart_cutoff).execute(&mut *tx),
            )
            .await?;
        Ok::<u64, sqlx::Error>(done.rows_affected())
    }
    .await;
    let carts = match carts {
        Ok(n) => {
            db.traced("COMMIT", tx.commit()).await?;
            n
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            return Err(e);
        }
    };

    const SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?";
    let customer_sessions = db
        .traced(
            SESSIONS,
            sqlx::query(SESSIONS)
                .bind(now)
                .bind(now - ms(session::IDLE_TIMEOUT))
                .execute(db.pool()),
        )
        .await?
        .rows_affected();

    // `expires_at` already holds each session's absolute lifetime.
    const ADMIN_SESSIONS: &str = "DELETE FROM admin_sessions \
        WHERE expires_at <= ? OR last_seen_at < ? OR revoked_at IS NOT NULL";
    let admin_sessions = db
        .traced(
            ADMIN_SESSIONS,
            sqlx::query(ADMIN_SESSIONS)
                .bind(now)
                .bind(now - ms(SESSION_IDLE_TIMEOUT))
                .execute(db.pool()),
        )
        .await?
        .rows_affected();
    Ok(Purged {
        carts,
        customer_sessions,
        admin_sessions,
    })
}

/// Runs maintenance at `now`: the purge, then the audit chain.
pub async fn run(db: &Db, instruments: &Instruments, now: i64) -> Result<Done, Failure> {
    let purged = purge(db, now).await?;
    tracing::info!(
        carts = purged.carts,
        customer_sessions = purged.customer_sessions,
        admin_sessions = purged.admin_sessions,
        "expired carts and sessions purged"
    );
    let (audit, problem) = match audit::verify(db).await? {
        Verdict::Intact { entries, head } => (
            json!({ "intact": true, "entries": entries, "head_seq": head.map(|h| h.0) }),
            None,
        ),
        Verdict::Broken { seq, problem } => {
            instruments.security_event("audit_chain_broken", None);
            (
                json!({ "intact": false, "broken_at": seq, "problem": problem.as_str() }),
                Some(Failure::new(
                    "audit_chain_broken",
                    format!(
                        "the audit chain is broken at entry #{seq} ({})",
                        problem.as_str()
                    ),
                )),
            )
        }
    };
    Ok(Done {
        items: purged.carts + purged.customer_sessions + purged.admin_sessions,
        detail: json!({
            "carts": purged.carts,
            "customer_sessions": purged.customer_sessions,
            "admin_sessions": purged.admin_sessions,
            "cart_retention_days": CART_RETENTION.as_secs() / 86_400,
            "audit": audit,
        }),
        problem,
    })
}
