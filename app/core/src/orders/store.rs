//! The orders' SQL: placing an order in one transaction, loading one with
//! its status history, and moving one to another status (releasing its
//! stock when it is cancelled) in one transaction.

use super::coupon::{Coupon, Discount, Rejection};
use super::model::{Address, Order, OrderItem, StatusChange};
use super::status::OrderStatus;
use crate::cart::{Cart, CartItem};
use crate::db::Db;
use crate::events::{self, EventType};
use crate::payments::MethodName;
use crate::time::{now_millis, rfc3339};

/// Why writing the order failed.
#[derive(Debug)]
pub enum PlaceError {
    /// Another request with the same idempotency key wrote its order first.
    DuplicateKey,
    /// The conditional stock update found too few units.
    OutOfStock {
        product_id: i64,
        requested: i64,
    },
    /// The cart was closed meanwhile.
    CartNotOpen,
    /// A concurrent checkout took the coupon's last use (in total or this customer's).
    Coupon(Rejection),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for PlaceError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => PlaceError::DuplicateKey,
            _ => PlaceError::Db(e),
        }
    }
}

/// Everything an order row needs.
pub struct NewOrder<'a> {
    pub id: &'a str,
    pub key: &'a str,
    pub hash: &'a str,
    pub email: &'a str,
    pub address: &'a Address,
    pub cart: &'a Cart,
    pub shipping_cents: i64,
    pub payment_reference: &'a str,
    /// `card`, `wallet` or `cash_on_delivery`.
    pub payment_method: &'a str,
    /// `paid`, or `placed` when nothing is paid yet (cash on delivery).
    pub status: OrderStatus,
    /// The customer who placed it, `None` for a guest checkout.
    pub user_id: Option<&'a str>,
    /// The coupon redeemed with it, if any.
    pub coupon: Option<Redemption<'a>>,
}

/// A coupon redeemed with an order.
pub struct Redemption<'a> {
    pub coupon_id: i64,
    pub code: &'a str,
    /// Cents off the subtotal.
    pub discount_cents: i64,
    /// `user:<id>` or `email:<sha-256 of the lower-cased e-mail>`.
    pub customer_key: &'a str,
    pub max_redemptions: Option<i64>,
    pub per_customer_limit: Option<i64>,
}

/// Writes the order, decrements stock and closes the cart in one
/// transaction. Returns the products that fell to or below their low-stock
/// threshold, with what is left.
pub async fn place(db: &Db, o: &NewOrder<'_>) -> Result<Vec<(i64, i64)>, PlaceError> {
    let mut tx = db.begin_write().await?;
    match write_order(db, &mut tx, o).await {
        Ok(low) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(low)
        }
        Err(e) => {
            // Roll back now rather than when the connection is next used, so
            // the write lock is released at once.
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

async fn write_order(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    o: &NewOrder<'_>,
) -> Result<Vec<(i64, i64)>, PlaceError> {
    let now = now_millis();
    let a = o.address;
    const INSERT_ORDER: &str = "INSERT INTO orders (id, cart_id, idempotency_key, request_hash, status, email, \
        shipping_name, shipping_line1, shipping_line2, shipping_city, shipping_postal_code, shipping_country, \
        subtotal_cents, shipping_cents, total_cents, currency, payment_reference, created_at, user_id, \
        coupon_code, discount_cents, payment_method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    let discount = o.coupon.as_ref().map_or(0, |c| c.discount_cents);
    db.traced(
        INSERT_ORDER,
        sqlx::query(INSERT_ORDER)
            .bind(o.id)
            .bind(&o.cart.id)
            .bind(o.key)
            .bind(o.hash)
            .bind(o.status.as_str())
            .bind(o.email)
            .bind(&a.name)
            .bind(&a.line1)
            .bind(&a.line2)
            .bind(&a.city)
            .bind(&a.postal_code)
            .bind(&a.country)
            .bind(o.cart.subtotal_cents)
            .bind(o.shipping_cents)
            .bind(o.cart.subtotal_cents - discount + o.shipping_cents)
            .bind(&o.cart.currency)
            .bind(o.payment_reference)
            .bind(now)
            .bind(o.user_id)
            .bind(o.coupon.as_ref().map(|c| c.code))
            .bind(discount)
            .bind(o.payment_method)
            .execute(&mut **tx),
    )
    .await?;
    // The payment was authorized before the transaction: the order is placed
    // and paid in the same instant, and its history says both. (Cash on
    // delivery: placed only.)
    insert_history(db, tx, o.id, None, OrderStatus::Placed, now).await?;
    if o.status != OrderStatus::Placed {
        insert_history(db, tx, o.id, Some(OrderStatus::Placed), o.status, now).await?;
    }
    if let Some(c) = &o.coupon {
        redeem(db, tx, o.id, c, now).await?;
    }

    // Lock rows in a fixed order (by product id) so two checkouts of
    // overlapping carts cannot deadlock each other.
    let mut items: Vec<&CartItem> = o.cart.items.iter().collect();
    items.sort_by_key(|i| i.product_id);
    let mut low = Vec::new();
    let mut crossed = Vec::new();
    for item in items {
        const DECREMENT: &str = "UPDATE inventory SET quantity = quantity - ?, updated_at = ? \
            WHERE product_id = ? AND quantity >= ?";
        let done = db
            .traced(
                DECREMENT,
                sqlx::query(DECREMENT)
                    .bind(item.quantity)
                    .bind(now)
                    .bind(item.product_id)
                    .bind(item.quantity)
                    .execute(&mut **tx),
            )
            .await?;
        if done.rows_affected() != 1 {
            return Err(PlaceError::OutOfStock {
                product_id: item.product_id,
                requested: item.quantity,
            });
        }
        const LEVEL: &str =
            "SELECT quantity, low_stock_threshold FROM inventory WHERE product_id = ?";
        let (left, threshold): (i64, i64) = db
            .traced(
                LEVEL,
                sqlx::query_as(LEVEL)
                    .bind(item.product_id)
                    .fetch_one(&mut **tx),
            )
            .await?;
        if left <= threshold {
            low.push((item.product_id, left));
            // This sale took the level across the threshold (A-INV-02): the
            // event says so, and its consumer records the alert and tells
            // the admins. Recorded there, not here, so that a checkout's
            // transaction has the same statements whatever the stock.
            if left + item.quantity > threshold {
                crossed.push(serde_json::json!({
                    "product_id": item.product_id,
                    "quantity": left,
                    "threshold": threshold,
                }));
            }
        }
        const MOVEMENT: &str = "INSERT INTO inventory_movements (product_id, delta, reason, reference, created_at) \
            VALUES (?, ?, 'order', ?, ?)";
        db.traced(
            MOVEMENT,
            sqlx::query(MOVEMENT)
                .bind(item.product_id)
                .bind(-item.quantity)
                .bind(o.id)
                .bind(now)
                .execute(&mut **tx),
        )
        .await?;
        const LINE: &str = "INSERT INTO order_items (order_id, product_id, product_name, unit_price_cents, quantity, \
            line_total_cents) VALUES (?, ?, ?, ?, ?, ?)";
        db.traced(
            LINE,
            sqlx::query(LINE)
                .bind(o.id)
                .bind(item.product_id)
                .bind(&item.name)
                .bind(item.unit_price_cents)
                .bind(item.quantity)
                .bind(item.line_total_cents)
                .execute(&mut **tx),
        )
        .await?;
    }

    // Its events, in the same transaction (the confirmation mail follows
    // `order.placed`); ids and amounts only, never the address. After the
    // lines: `order.placed` names the products this sale took below their
    // low-stock threshold.
    let total = o.cart.subtotal_cents - discount + o.shipping_cents;
    let mut announced = vec![OrderStatus::Placed];
    if o.status != OrderStatus::Placed {
        announced.push(o.status);
    }
    for status in announced {
        if let Some(event) = EventType::for_order_status(status) {
            let mut payload = serde_json::json!({
                "order_id": o.id,
                "status": status.as_str(),
                "total_cents": total,
                "currency": o.cart.currency,
            });
            if status == OrderStatus::Placed && !crossed.is_empty() {
                payload["low_stock"] = serde_json::Value::Array(std::mem::take(&mut crossed));
            }
            events::record_in(db, tx, event, &payload, now).await?;
        }
    }

    const CLOSE_CART: &str =
        "UPDATE carts SET status = 'checked_out', updated_at = ? WHERE id = ? AND status = 'open'";
    let closed = db
        .traced(
            CLOSE_CART,
            sqlx::query(CLOSE_CART)
                .bind(now)
                .bind(&o.cart.id)
                .execute(&mut **tx),
        )
        .await?;
    if closed.rows_affected() != 1 {
        return Err(PlaceError::CartNotOpen);
    }
    Ok(low)
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: String,
    cart_id: String,
    status: String,
    email: String,
    shipping_name: String,
    shipping_line1: String,
    shipping_line2: String,
    shipping_city: String,
    shipping_postal_code: String,
    shipping_country: String,
    subtotal_cents: i64,
    shipping_cents: i64,
    total_cents: i64,
    currency: String,
    payment_reference: String,
    created_at: i64,
    coupon_code: Option<String>,
    discount_cents: i64,
    payment_method: String,
    tracking_number: Option<String>,
    refunded_cents: Option<i64>,
}

/// An order with its lines, or `None`.
pub async fn load(db: &Db, id: &str) -> Result<Option<Order>, sqlx::Error> {
    const ORDER: &str = "SELECT id, cart_id, status, email, shipping_name, shipping_line1, shipping_line2, \
        shipping_city, shipping_postal_code, shipping_country, subtotal_cents, shipping_cents, total_cents, \
        currency, payment_reference, created_at, coupon_code, discount_cents, payment_method, tracking_number, \
        refunded_cents FROM orders WHERE id = ?";
    let Some(r) = db
        .traced(
            ORDER,
            sqlx::query_as::<_, OrderRow>(ORDER)
                .bind(id)
                .fetch_optional(db.pool()),
        )
        .await?
    else {
        return Ok(None);
    };
    const ITEMS: &str = "SELECT product_id, product_name, unit_price_cents, quantity, line_total_cents \
        FROM order_items WHERE order_id = ? ORDER BY id";
    let items: Vec<(i64, String, i64, i64, i64)> = db
        .traced_all(ITEMS, sqlx::query_as(ITEMS).bind(id).fetch_all(db.pool()))
        .await?;
    const HISTORY: &str = "SELECT from_status, status, created_at FROM order_status_history \
        WHERE order_id = ? ORDER BY id";
    let history: Vec<(Option<String>, String, i64)> = db
        .traced_all(
            HISTORY,
            sqlx::query_as(HISTORY).bind(id).fetch_all(db.pool()),
        )
        .await?;
    let status_history = history
        .into_iter()
        .map(|(from, status, at)| {
            Ok(StatusChange {
                from: from.as_deref().map(stored_status).transpose()?,
                status: stored_status(&status)?,
                at: rfc3339(at),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Order {
        id: r.id,
        status: stored_status(&r.status)?,
        status_history,
        cart_id: r.cart_id,
        email: r.email,
        shipping_address: Address {
            name: r.shipping_name,
            line1: r.shipping_line1,
            line2: r.shipping_line2,
            city: r.shipping_city,
            postal_code: r.shipping_postal_code,
            country: r.shipping_country,
        },
        items: items
            .into_iter()
            .map(
                |(product_id, name, unit_price_cents, quantity, line_total_cents)| OrderItem {
                    product_id,
                    name,
                    unit_price_cents,
                    quantity,
                    line_total_cents,
                },
            )
            .collect(),
        subtotal_cents: r.subtotal_cents,
        coupon_code: r.coupon_code,
        discount_cents: r.discount_cents,
        shipping_cents: r.shipping_cents,
        total_cents: r.total_cents,
        currency: r.currency,
        payment_method: MethodName::parse(&r.payment_method).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown payment method {:?}", r.payment_method).into())
        })?,
        payment_reference: r.payment_reference,
        tracking_number: r.tracking_number,
        refunded_cents: r.refunded_cents,
        created_at: rfc3339(r.created_at),
    }))
}

/// A status as the database holds it; anything else is a corrupt row.
fn stored_status(name: &str) -> Result<OrderStatus, sqlx::Error> {
    OrderStatus::parse(name)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown order status {name:?}").into()))
}

async fn insert_history(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    order_id: &str,
    from: Option<OrderStatus>,
    to: OrderStatus,
    now: i64,
) -> Result<(), sqlx::Error> {
    const HISTORY: &str = "INSERT INTO order_status_history (order_id, from_status, status, created_at) \
        VALUES (?, ?, ?, ?)";
    db.traced(
        HISTORY,
        sqlx::query(HISTORY)
            .bind(order_id)
            .bind(from.map(OrderStatus::as_str))
            .bind(to.as_str())
            .bind(now)
            .execute(&mut **tx),
    )
    .await?;
    Ok(())
}

/// Moves the order from `from` to `to` (a transition the caller has checked)
/// and records it, in one transaction. A cancelled order's units go back
/// into stock in the same transaction. The update is conditional on the
/// order still being in `from`, so of two concurrent requests only one
/// moves it (and releases its stock): the other gets `false` and nothing changes.
pub async fn change_status(
    db: &Db,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match write_status(db, &mut tx, order_id, from, to).await {
        Ok(true) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(true)
        }
        other => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            other
        }
    }
}

async fn write_status(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<bool, sqlx::Error> {
    let now = now_millis();
    const MOVE: &str = "UPDATE orders SET status = ? WHERE id = ? AND status = ?";
    let moved = db
        .traced(
            MOVE,
            sqlx::query(MOVE)
                .bind(to.as_str())
                .bind(order_id)
                .bind(from.as_str())
                .execute(&mut **tx),
        )
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    insert_history(db, tx, order_id, Some(from), to, now).await?;
    if let Some(event) = EventType::for_order_status(to) {
        let payload = serde_json::json!({
            "order_id": order_id,
            "from": from.as_str(),
            "status": to.as_str(),
        });
        events::record_in(db, tx, event, &payload, now).await?;
    }
    if to == OrderStatus::Cancelled {
        release_stock(db, tx, order_id, "cancel", now).await?;
    }
    Ok(true)
}

/// What the back office adds to a move (A-ORDER-01..03).
#[derive(Debug, Clone, Default)]
pub struct Fulfilment {
    /// Shipping: the carrier's tracking number.
    pub tracking_number: Option<String>,
    /// Accepting a return: the amount refunded (the units go back into stock
    /// with a `return` movement in the same transaction).
    pub refund_cents: Option<i64>,
}

/// [`change_status`] for the back office: the move, its fulfilment data
/// (tracking number; a return's stock and refund) and the audit entry, in
/// one transaction. `false` if the order was no longer in `from`.
pub async fn change_status_audited(
    db: &Db,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
    fulfilment: &Fulfilment,
    audit: crate::audit::AuditEvent,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        if !write_status(db, &mut tx, order_id, from, to).await? {
            return Ok(false);
        }
        let now = now_millis();
        if let Some(tracking) = &fulfilment.tracking_number {
            const TRACKING: &str = "UPDATE orders SET tracking_number = ? WHERE id = ?";
            db.traced(
                TRACKING,
                sqlx::query(TRACKING)
                    .bind(tracking.as_str())
                    .bind(order_id)
                    .execute(&mut *tx),
            )
            .await?;
        }
        if to == OrderStatus::Returned {
            release_stock(db, &mut tx, order_id, "return", now).await?;
        }
        if let Some(cents) = fulfilment.refund_cents {
            const REFUND: &str =
                "UPDATE orders SET refunded_cents = ?, refunded_at = ? WHERE id = ?";
            db.traced(
                REFUND,
                sqlx::query(REFUND)
                    .bind(cents)
                    .bind(now)
                    .bind(order_id)
                    .execute(&mut *tx),
            )
            .await?;
        }
        crate::audit::append_in(db, &mut tx, audit).await?;
        Ok::<bool, sqlx::Error>(true)
    }
    .await;
    match result {
        Ok(true) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(true)
        }
        other => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            other
        }
    }
}

/// An order as the back office lists it: no personal data.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct OrderSummaryRow {
    #[schema(format = Uuid)]
    pub id: String,
    pub status: OrderStatus,
    pub total_cents: i64,
    pub currency: String,
    /// Units ordered.
    pub units: i64,
    pub created_at: String,
}

/// Orders, newest first, optionally in one status.
pub async fn list(
    db: &Db,
    status: Option<OrderStatus>,
    limit: i64,
    offset: i64,
) -> Result<Vec<OrderSummaryRow>, sqlx::Error> {
    // MySQL's SUM is a DECIMAL: cast back to an integer there.
    const SQLITE: &str = "SELECT o.id, o.status, o.total_cents, o.currency, o.created_at, \
        (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i WHERE i.order_id = o.id) \
        FROM orders o WHERE (? IS NULL OR o.status = ?) ORDER BY o.created_at DESC, o.id LIMIT ? OFFSET ?";
    const MYSQL: &str = "SELECT o.id, o.status, o.total_cents, o.currency, o.created_at, \
        (SELECT CAST(COALESCE(SUM(i.quantity), 0) AS SIGNED) FROM order_items i WHERE i.order_id = o.id) \
        FROM orders o WHERE (? IS NULL OR o.status = ?) ORDER BY o.created_at DESC, o.id LIMIT ? OFFSET ?";
    let sql = if db.system().is_sqlite() {
        SQLITE
    } else {
        MYSQL
    };
    let name = status.map(OrderStatus::as_str);
    let rows: Vec<(String, String, i64, String, i64, i64)> = db
        .traced_all(
            sql,
            sqlx::query_as(sql)
                .bind(name)
                .bind(name)
                .bind(limit)
                .bind(offset)
                .fetch_all(db.pool()),
        )
        .await?;
    rows.into_iter()
        .map(|(id, status, total_cents, currency, created_at, units)| {
            Ok(OrderSummaryRow {
                id,
                status: stored_status(&status)?,
                total_cents,
                currency,
                units,
                created_at: rfc3339(created_at),
            })
        })
        .collect()
}

/// Puts an order's units back into stock, with a movement per line
/// (`cancel` or `return`). Runs only inside the transaction that moved the
/// order to `cancelled` or `returned`, which happens once per order.
async fn release_stock(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    order_id: &str,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    // By product id, the order checkout locks rows in, so a cancel and a
    // checkout cannot deadlock each other.
    const LINES: &str =
        "SELECT product_id, quantity FROM order_items WHERE order_id = ? ORDER BY product_id";
    let lines: Vec<(i64, i64)> = db
        .traced_all(
            LINES,
            sqlx::query_as(LINES).bind(order_id).fetch_all(&mut **tx),
        )
        .await?;
    for (product_id, quantity) in lines {
        const RESTOCK: &str =
            "UPDATE inventory SET quantity = quantity + ?, updated_at = ? WHERE product_id = ?";
        db.traced(
            RESTOCK,
            sqlx::query(RESTOCK)
                .bind(quantity)
                .bind(now)
                .bind(product_id)
                .execute(&mut **tx),
        )
        .await?;
        // Back on the shelf after being sold out: an event (back-in-stock mails).
        const LEVEL: &str = "SELECT quantity FROM inventory WHERE product_id = ?";
        let level: i64 = db
            .traced(
                LEVEL,
                sqlx::query_scalar(LEVEL)
                    .bind(product_id)
                    .fetch_one(&mut **tx),
            )
            .await?;
        if level > 0 && level - quantity <= 0 {
            let payload = serde_json::json!({ "product_id": product_id, "quantity": level });
            events::record_in(db, tx, EventType::BackInStock, &payload, now).await?;
        }
        const MOVEMENT: &str = "INSERT INTO inventory_movements (product_id, delta, reason, reference, created_at) \
            VALUES (?, ?, ?, ?, ?)";
        db.traced(
            MOVEMENT,
            sqlx::query(MOVEMENT)
                .bind(product_id)
                .bind(quantity)
                .bind(reason)
                .bind(order_id)
                .bind(now)
                .execute(&mut **tx),
        )
        .await?;
    }
    Ok(())
}

/// Redeems the coupon inside the order's transaction. Both limits are
/// conditional updates: the one that would pass a limit changes no row, and
/// the checkout fails with the reason. On MariaDB the update locks the
/// coupon's row until commit, so concurrent checkouts queue on it; SQLite
/// has one writer at a time anyway.
async fn redeem(
    db: &Db,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    order_id: &str,
    c: &Redemption<'_>,
    now: i64,
) -> Result<(), PlaceError> {
    const TAKE: &str = "UPDATE coupons SET redeemed_count = redeemed_count + 1 \
        WHERE id = ? AND (? IS NULL OR redeemed_count < ?)";
    let taken = db
        .traced(
            TAKE,
            sqlx::query(TAKE)
                .bind(c.coupon_id)
                .bind(c.max_redemptions)
                .bind(c.max_redemptions)
                .execute(&mut **tx),
        )
        .await?;
    if taken.rows_affected() != 1 {
        return Err(PlaceError::Coupon(Rejection::Exhausted));
    }
    if let Some(limit) = c.per_customer_limit {
        // Make sure the customer's row exists, then raise it conditionally.
        let insert: &'static str = if db.system().is_sqlite() {
            "INSERT INTO coupon_customer_uses (coupon_id, customer_key, uses) VALUES (?, ?, 0) \
             ON CONFLICT (coupon_id, customer_key) DO NOTHING"
        } else {
            "INSERT IGNORE INTO coupon_customer_uses (coupon_id, customer_key, uses) VALUES (?, ?, 0)"
        };
        db.traced(
            insert,
            sqlx::query(insert)
                .bind(c.coupon_id)
                .bind(c.customer_key)
                .execute(&mut **tx),
        )
        .await?;
        const USE: &str = "UPDATE coupon_customer_uses SET uses = uses + 1 \
            WHERE coupon_id = ? AND customer_key = ? AND uses < ?";
        let used = db
            .traced(
                USE,
                sqlx::query(USE)
                    .bind(c.coupon_id)
                    .bind(c.customer_key)
                    .bind(limit)
                    .execute(&mut **tx),
            )
            .await?;
        if used.rows_affected() != 1 {
            return Err(PlaceError::Coupon(Rejection::CustomerLimit));
        }
    }
    const RECORD: &str = "INSERT INTO coupon_redemptions (coupon_id, order_id, customer_key, discount_cents, \
        created_at) VALUES (?, ?, ?, ?, ?)";
    db.traced(
        RECORD,
        sqlx::query(RECORD)
            .bind(c.coupon_id)
            .bind(order_id)
            .bind(c.customer_key)
            .bind(c.discount_cents)
            .bind(now)
            .execute(&mut **tx),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CouponRow {
    id: i64,
    code: String,
    kind: String,
    amount: i64,
    min_subtotal_cents: i64,
    valid_from: Option<i64>,
    valid_until: Option<i64>,
    max_redemptions: Option<i64>,
    per_customer_limit: Option<i64>,
    redeemed_count: i64,
}

/// The coupon with this (upper-case) code, or `None`.
pub async fn load_coupon(db: &Db, code: &str) -> Result<Option<Coupon>, sqlx::Error> {
    const SQL: &str = "SELECT id, code, kind, amount, min_subtotal_cents, valid_from, valid_until, \
        max_redemptions, per_customer_limit, redeemed_count FROM coupons WHERE code = ?";
    let row: Option<CouponRow> = db
        .traced(
            SQL,
            sqlx::query_as(SQL).bind(code).fetch_optional(db.pool()),
        )
        .await?;
    row.map(|r| {
        Ok(Coupon {
            discount: Discount::from_stored(&r.kind, r.amount).ok_or_else(|| {
                sqlx::Error::Decode(format!("coupon {} has a bad discount", r.id).into())
            })?,
            id: r.id,
            code: r.code,
            min_subtotal_cents: r.min_subtotal_cents,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            max_redemptions: r.max_redemptions,
            per_customer_limit: r.per_customer_limit,
            redeemed: r.redeemed_count,
        })
    })
    .transpose()
}

/// How often this customer has redeemed the coupon.
pub async fn customer_uses(
    db: &Db,
    coupon_id: i64,
    customer_key: &str,
) -> Result<i64, sqlx::Error> {
    const SQL: &str =
        "SELECT uses FROM coupon_customer_uses WHERE coupon_id = ? AND customer_key = ?";
    let uses: Option<i64> = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(coupon_id)
                .bind(customer_key)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(uses.unwrap_or(0))
}
