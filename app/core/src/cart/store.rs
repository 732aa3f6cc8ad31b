//! The cart's SQL.

use super::id::CartId;
use super::model::{Cart, CartItem};
use crate::db::Db;
use crate::inventory::StockStatus;
use crate::time::{now_millis, rfc3339};

/// Creates an empty open cart.
pub async fn insert(db: &Db, id: &CartId) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO carts (id, status, created_at, updated_at) VALUES (?, 'open', ?, ?)";
    let now = now_millis();
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(id.as_str())
            .bind(now)
            .bind(now)
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

/// The cart's status, or `None` for an unknown cart.
pub async fn status(db: &Db, id: &CartId) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT status FROM carts WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL)
            .bind(id.as_str())
            .fetch_optional(db.pool()),
    )
    .await
}

/// Loads a cart with its lines, or `None`.
pub async fn load(db: &Db, id: &CartId) -> Result<Option<Cart>, sqlx::Error> {
    const CART: &str = "SELECT status, created_at, updated_at FROM carts WHERE id = ?";
    let Some((status, created_at, updated_at)) = db
        .traced(
            CART,
            sqlx::query_as::<_, (String, i64, i64)>(CART)
                .bind(id.as_str())
                .fetch_optional(db.pool()),
        )
        .await?
    else {
        return Ok(None);
    };
    const ITEMS: &str = "SELECT ci.id, ci.product_id, p.name, p.price_cents, ci.quantity, p.currency, \
        COALESCE(i.quantity, 0), COALESCE(i.low_stock_threshold, 0) \
        FROM cart_items ci JOIN products p ON p.id = ci.product_id \
        LEFT JOIN inventory i ON i.product_id = ci.product_id \
        WHERE ci.cart_id = ? ORDER BY ci.id";
    // (line id, product id, name, price, quantity, currency, on hand, threshold)
    type Line = (i64, i64, String, i64, i64, String, i64, i64);
    let rows: Vec<Line> = db
        .traced_all(
            ITEMS,
            sqlx::query_as(ITEMS).bind(id.as_str()).fetch_all(db.pool()),
        )
        .await?;
    let currency = rows
        .first()
        .map_or_else(|| "USD".to_owned(), |r| r.5.clone());
    let items: Vec<CartItem> = rows
        .into_iter()
        .map(
            |(line, product_id, name, price, quantity, _, on_hand, threshold)| CartItem {
                id: line,
                product_id,
                name,
                unit_price_cents: price,
                quantity,
                line_total_cents: price * quantity,
                stock_status: StockStatus::of(on_hand, threshold),
            },
        )
        .collect();
    Ok(Some(Cart {
        id: id.as_str().to_owned(),
        status,
        item_count: items.iter().map(|i| i.quantity).sum(),
        subtotal_cents: items.iter().map(|i| i.line_total_cents).sum(),
        currency,
        items,
        created_at: rfc3339(created_at),
        updated_at: rfc3339(updated_at),
    }))
}

/// Units of `product_id` already in the cart (0 without a line).
pub async fn quantity_of(db: &Db, id: &CartId, product_id: i64) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT quantity FROM cart_items WHERE cart_id = ? AND product_id = ?";
    Ok(db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(id.as_str())
                .bind(product_id)
                .fetch_optional(db.pool()),
        )
        .await?
        .unwrap_or(0))
}

/// How many lines (distinct products) the cart has.
pub async fn line_count(db: &Db, id: &CartId) -> Result<i64, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM cart_items WHERE cart_id = ?";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL)
            .bind(id.as_str())
            .fetch_one(db.pool()),
    )
    .await
}

/// Adds `quantity` units of a product: a new line, or more on its line.
pub async fn add_units(
    db: &Db,
    id: &CartId,
    product_id: i64,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    // One statement for insert-or-increase keeps concurrent adds of the same
    // product from racing; the syntax differs between the engines.
    const UPSERT_SQLITE: &str = "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) \
        VALUES (?, ?, ?, ?) ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = quantity + excluded.quantity";
    const UPSERT_MYSQL: &str = "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) \
        VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE quantity = quantity + VALUES(quantity)";
    let upsert = if db.system().is_sqlite() {
        UPSERT_SQLITE
    } else {
        UPSERT_MYSQL
    };
    db.traced(
        upsert,
        sqlx::query(upsert)
            .bind(id.as_str())
            .bind(product_id)
            .bind(quantity)
            .bind(now_millis())
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

/// The product on a line, if the line belongs to the cart.
pub async fn line_product(db: &Db, id: &CartId, line: i64) -> Result<Option<i64>, sqlx::Error> {
    const SQL: &str = "SELECT product_id FROM cart_items WHERE id = ? AND cart_id = ?";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL)
            .bind(line)
            .bind(id.as_str())
            .fetch_optional(db.pool()),
    )
    .await
}

/// Sets a line's quantity.
pub async fn set_quantity(
    db: &Db,
    id: &CartId,
    line: i64,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE cart_items SET quantity = ? WHERE id = ? AND cart_id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(quantity)
            .bind(line)
            .bind(id.as_str())
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

/// Removes a line.
pub async fn delete_line(db: &Db, id: &CartId, line: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "DELETE FROM cart_items WHERE id = ? AND cart_id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(line)
            .bind(id.as_str())
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}

/// Marks the cart as changed now.
pub async fn touch(db: &Db, id: &CartId) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE carts SET updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(now_millis())
            .bind(id.as_str())
            .execute(db.pool()),
    )
    .await?;
    Ok(())
}
