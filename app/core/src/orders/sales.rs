//! The sales report (A-ORDER-04): units and revenue by day, by category or
//! by product over a period, from the order lines of orders that were
//! neither cancelled nor returned (a returned order was refunded). Revenue is the lines' totals at the price paid (before
//! coupons and shipping, which belong to the order, not to a product), in
//! cents. Days are UTC.

use serde::Serialize;

use crate::db::Db;

/// How the report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Category,
    Product,
}

impl GroupBy {
    pub fn parse(name: &str) -> Option<GroupBy> {
        match name {
            "day" => Some(GroupBy::Day),
            "category" => Some(GroupBy::Category),
            "product" => Some(GroupBy::Product),
            _ => None,
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SalesRow {
    /// The day (`2026-12-02`), the category's slug or the product's id.
    pub key: String,
    /// The category's or product's name (the day again for days).
    pub label: String,
    /// Orders with at least one such line.
    pub orders: i64,
    pub units: i64,
    pub revenue_cents: i64,
}

const MS_PER_DAY: i64 = 86_400_000;

/// The report for `from <= created_at < to` (epoch ms).
pub async fn report(
    db: &Db,
    group: GroupBy,
    from: i64,
    to: i64,
) -> Result<Vec<SalesRow>, sqlx::Error> {
    // MySQL's SUM of integers is a DECIMAL and its `/` divides exactly: the
    // MySQL statements cast and use DIV, so both databases answer integers.
    // (The day's name is computed here, not with either dialect's date functions.)
    const BY_DAY_SQLITE: &str = "SELECT o.created_at / 86400000, COUNT(DISTINCT o.id), SUM(i.quantity), SUM(i.line_total_cents) \
        FROM orders o JOIN order_items i ON i.order_id = o.id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY o.created_at / 86400000 ORDER BY 1";
    const BY_DAY_MYSQL: &str = "SELECT o.created_at DIV 86400000, COUNT(DISTINCT o.id), CAST(SUM(i.quantity) AS SIGNED), \
        CAST(SUM(i.line_total_cents) AS SIGNED) \
        FROM orders o JOIN order_items i ON i.order_id = o.id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY o.created_at DIV 86400000 ORDER BY 1";
    const BY_CATEGORY_SQLITE: &str = "SELECT c.slug, c.name, COUNT(DISTINCT o.id), SUM(i.quantity), SUM(i.line_total_cents) \
        FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id \
        JOIN categories c ON c.id = p.category_id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY c.slug, c.name ORDER BY SUM(i.line_total_cents) DESC, c.slug";
    const BY_CATEGORY_MYSQL: &str = "SELECT c.slug, c.name, COUNT(DISTINCT o.id), CAST(SUM(i.quantity) AS SIGNED), \
        CAST(SUM(i.line_total_cents) AS SIGNED) \
        FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id \
        JOIN categories c ON c.id = p.category_id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY c.slug, c.name ORDER BY SUM(i.line_total_cents) DESC, c.slug";
    const BY_PRODUCT_SQLITE: &str = "SELECT i.product_id, MAX(i.product_name), COUNT(DISTINCT o.id), SUM(i.quantity), \
        SUM(i.line_total_cents) \
        FROM orders o JOIN order_items i ON i.order_id = o.id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY i.product_id ORDER BY SUM(i.line_total_cents) DESC, i.product_id";
    const BY_PRODUCT_MYSQL: &str = "SELECT i.product_id, MAX(i.product_name), COUNT(DISTINCT o.id), CAST(SUM(i.quantity) AS SIGNED), \
        CAST(SUM(i.line_total_cents) AS SIGNED) \
        FROM orders o JOIN order_items i ON i.order_id = o.id \
        WHERE o.status NOT IN ('cancelled', 'returned') AND o.created_at >= ? AND o.created_at < ? \
        GROUP BY i.product_id ORDER BY SUM(i.line_total_cents) DESC, i.product_id";
    let sqlite = db.system().is_sqlite();
    let pick = |lite: &'static str, my: &'static str| if sqlite { lite } else { my };
    let (by_day, by_category, by_product) = (
        pick(BY_DAY_SQLITE, BY_DAY_MYSQL),
        pick(BY_CATEGORY_SQLITE, BY_CATEGORY_MYSQL),
        pick(BY_PRODUCT_SQLITE, BY_PRODUCT_MYSQL),
    );
    match group {
        GroupBy::Day => {
            let rows: Vec<(i64, i64, i64, i64)> = db
                .traced_all(
                    by_day,
                    sqlx::query_as(by_day)
                        .bind(from)
                        .bind(to)
                        .fetch_all(db.pool()),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(day, orders, units, revenue_cents)| {
                    let key = crate::time::rfc3339(day * MS_PER_DAY)[..10].to_owned();
                    SalesRow {
                        label: key.clone(),
                        key,
                        orders,
                        units,
                        revenue_cents,
                    }
                })
                .collect())
        }
        GroupBy::Category => {
            let rows: Vec<(String, String, i64, i64, i64)> = db
                .traced_all(
                    by_category,
                    sqlx::query_as(by_category)
                        .bind(from)
                        .bind(to)
                        .fetch_all(db.pool()),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(key, label, orders, units, revenue_cents)| SalesRow {
                    key,
                    label,
                    orders,
                    units,
                    revenue_cents,
                })
                .collect())
        }
        GroupBy::Product => {
            let rows: Vec<(i64, String, i64, i64, i64)> = db
                .traced_all(
                    by_product,
                    sqlx::query_as(by_product)
                        .bind(from)
                        .bind(to)
                        .fetch_all(db.pool()),
                )
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, label, orders, units, revenue_cents)| SalesRow {
                    key: id.to_string(),
                    label,
                    orders,
                    units,
                    revenue_cents,
                })
                .collect())
        }
    }
}

/// The rows as CSV (RFC 4180: a header line, fields quoted when they hold a
/// comma, a quote or a line break; CRLF line ends).
pub fn to_csv(rows: &[SalesRow]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    }
    let mut out = String::from("key,label,orders,units,revenue_cents\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{}\r\n",
            field(&r.key),
            field(&r.label),
            r.orders,
            r.units,
            r.revenue_cents
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let rows = [SalesRow {
            key: "7".into(),
            label: "Mug, \"large\"".into(),
            orders: 2,
            units: 3,
            revenue_cents: 4500,
        }];
        assert_eq!(
            to_csv(&rows),
            "key,label,orders,units,revenue_cents\r\n7,\"Mug, \"\"large\"\"\",2,3,4500\r\n"
        );
    }

    #[test]
    fn groups_parse() {
        assert_eq!(GroupBy::parse("category"), Some(GroupBy::Category));
        assert_eq!(GroupBy::parse("week"), None);
    }
}
