//! The orders export (A-BATCH-02): the orders placed since the last
//! successful export, as CSV, written to the object store
//! ([`crate::objects`], S3; LocalStack in the lab) under
//! `exports/orders/<day>/orders-<run id>.csv`.
//!
//! - **Incremental.** Each run exports `[since, until)`: `until` is the
//!   run's start, `since` the previous successful run's `until` (the
//!   beginning of time for the first). A failed run moves nothing, so the
//!   next one exports its orders too. An empty period still writes a file
//!   (the header alone): a run always leaves its mark.
//! - **No personal data.** The file has the order's id, times, status,
//!   payment method, coupon and amounts; never the e-mail, name or address.
//!   Reading a customer's details stays an audited back-office read.
//! - **Audited.** Every run is an audit entry (`batch.run`, target
//!   `batch:orders_export`), which the compliance report lists among the
//!   data exports.

use serde_json::json;

use super::{Done, Failure, Job, runs};
use crate::db::Db;
use crate::objects::ObjectStore;
use crate::time::rfc3339;

/// Orders read per query.
const PAGE: i64 = 1_000;

/// The CSV's header line.
pub const CSV_HEADER: &str = "id,created_at,status,payment_method,coupon_code,lines,units,subtotal_cents,discount_cents,shipping_cents,total_cents,currency,refunded_cents";

/// One order as the export shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    pub id: String,
    /// Epoch milliseconds.
    pub created_at: i64,
    pub status: String,
    pub payment_method: String,
    pub coupon_code: Option<String>,
    pub lines: i64,
    pub units: i64,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub refunded_cents: Option<i64>,
}

type Row = (
    String,
    i64,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    Option<i64>,
);

/// The orders with `since <= created_at < until`, oldest first.
pub async fn rows(db: &Db, since: i64, until: i64) -> Result<Vec<ExportRow>, sqlx::Error> {
    // MariaDB's SUM is a DECIMAL, which the Any driver cannot read as an integer.
    const SQLITE: &str = "SELECT o.id, o.created_at, o.status, o.payment_method, o.coupon_code, \
        (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id), \
        (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i WHERE i.order_id = o.id), \
        o.subtotal_cents, o.discount_cents, o.shipping_cents, o.total_cents, o.currency, o.refunded_cents \
        FROM orders o WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at, o.id LIMIT ? OFFSET ?";
    const MYSQL: &str = "SELECT o.id, o.created_at, o.status, o.payment_method, o.coupon_code, \
        (SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.id), \
        (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS SIGNED) FROM order_items i WHERE i.order_id = o.id), \
        o.subtotal_cents, o.discount_cents, o.shipping_cents, o.total_cents, o.currency, o.refunded_cents \
        FROM orders o WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.created_at, o.id LIMIT ? OFFSET ?";
    let sql = if db.system().is_sqlite() {
        SQLITE
    } else {
        MYSQL
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page: Vec<Row> = db
            .traced_all(
                sql,
                sqlx::query_as(sql)
                    .bind(since)
                    .bind(until)
                    .bind(PAGE)
                    .bind(offset)
                    .fetch_all(db.pool()),
            )
            .await?;
        let n = page.len() as i64;
        out.extend(page.into_iter().map(|r| ExportRow {
            id: r.0,
            created_at: r.1,
            status: r.2,
            payment_method: r.3,
            coupon_code: r.4,
            lines: r.5,
            units: r.6,
            subtotal_cents: r.7,
            discount_cents: r.8,
            shipping_cents: r.9,
            total_cents: r.10,
            currency: r.11,
            refunded_cents: r.12,
        }));
        if n < PAGE {
            return Ok(out);
        }
        offset += PAGE;
    }
}

/// One CSV field (RFC 4180), never read as a formula by a spreadsheet.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The rows as CSV: the header, then one line per order (CRLF line ends).
pub fn to_csv(rows: &[ExportRow]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for r in rows {
        let cells = [
            field(&r.id),
            rfc3339(r.created_at),
            field(&r.status),
            field(&r.payment_method),
            field(r.coupon_code.as_deref().unwrap_or_default()),
            r.lines.to_string(),
            r.units.to_string(),
            r.subtotal_cents.to_string(),
            r.discount_cents.to_string(),
            r.shipping_cents.to_string(),
            r.total_cents.to_string(),
            field(&r.currency),
            r.refunded_cents.map(|c| c.to_string()).unwrap_or_default(),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Where a run's file goes: `exports/orders/<UTC day of until>/orders-<run id>.csv`.
pub fn key(until: i64, run_id: &str) -> String {
    format!(
        "exports/orders/{}/orders-{run_id}.csv",
        &rfc3339(until)[..10]
    )
}

/// Runs the export: the orders since the last successful run up to `until`
/// (the run's start), to `store`.
pub async fn run(
    db: &Db,
    store: Option<&ObjectStore>,
    run_id: &str,
    until: i64,
) -> Result<Done, Failure> {
    let store = store.ok_or_else(|| {
        Failure::new(
            "not_configured",
            "no export bucket: start the shop with --export-bucket (SHOP_EXPORT_BUCKET), and S3's \
             endpoint and region in AWS_ENDPOINT_URL_S3 and AWS_REGION for an emulator",
        )
    })?;
    let since = runs::last_success_detail(db, Job::OrdersExport)
        .await?
        .and_then(|d| d["until_ms"].as_i64())
        .unwrap_or(0)
        .min(until);
    let rows = rows(db, since, until).await?;
    let csv = to_csv(&rows);
    let key = key(until, run_id);
    let bytes = csv.len();
    store.put(&key, csv.into_bytes(), "text/csv").await?;
    tracing::info!(
        orders = rows.len(),
        bytes,
        key = key.as_str(),
        "orders exported"
    );
    Ok(Done {
        items: rows.len() as u64,
        detail: json!({
            "since": rfc3339(since),
            "until": rfc3339(until),
            "since_ms": since,
            "until_ms": until,
            "orders": rows.len(),
            "bucket": store.bucket(),
            "key": key,
            "bytes": bytes,
        }),
        problem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_has_a_header_and_one_line_per_order_without_personal_data() {
        let row = ExportRow {
            id: "0b7e…".into(),
            created_at: 1_764_633_600_000,
            status: "paid".into(),
            payment_method: "card".into(),
            coupon_code: Some("=WELCOME,10".into()),
            lines: 2,
            units: 3,
            subtotal_cents: 4_500,
            discount_cents: 450,
            shipping_cents: 500,
            total_cents: 4_550,
            currency: "USD".into(),
            refunded_cents: None,
        };
        let csv = to_csv(&[row]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER);
        assert_eq!(
            lines[1],
            "0b7e…,2025-12-02T00:00:00.000Z,paid,card,\"'=WELCOME,10\",2,3,4500,450,500,4550,USD,"
        );
        assert_eq!(lines.len(), 3, "a final CRLF: {csv:?}");
        assert!(!CSV_HEADER.contains("email") && !CSV_HEADER.contains("shipping_name"));
    }

    #[test]
    fn the_key_names_the_day_and_the_run() {
        assert_eq!(
            key(1_764_633_600_000, "r1"),
            "exports/orders/2025-12-02/orders-r1.csv"
        );
    }
}
