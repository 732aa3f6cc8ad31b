//! The reviews' SQL: who may review, writing a review with the product's
//! rating aggregate in one transaction, and reading a product's page of
//! reviews.

use super::reviews::{
    Rating, RatingSummary, Review, ReviewPage, ReviewPaging, ReviewStatus, ReviewText,
    display_name, html,
};
use crate::db::Db;
use crate::time::{now_millis, rfc3339};

/// Whether `user_id` has an order with `product_id` in it that was not
/// cancelled. (Reads the orders' tables: the services share one database;
/// see docs/reviews.md.)
pub async fn has_bought(db: &Db, user_id: &str, product_id: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM orders o JOIN order_items i ON i.order_id = o.id \
        WHERE o.user_id = ? AND i.product_id = ? AND o.status <> 'cancelled'";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(user_id)
                .bind(product_id)
                .fetch_one(db.pool()),
        )
        .await?;
    Ok(n > 0)
}

/// Why a review could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// This customer reviewed this product before.
    Duplicate,
    Db(sqlx::Error),
}

impl From<sqlx::Error> for WriteError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => WriteError::Duplicate,
            _ => WriteError::Db(e),
        }
    }
}

/// Attempts at the review's transaction before a conflict is an error.
const MAX_ATTEMPTS: u32 = 4;

/// Writes the review and, when it is published, adds it to the product's
/// rating in the same transaction. Returns the review's id.
///
/// The rating aggregate is updated *before* the review is inserted. The
/// other order deadlocked on MariaDB when two customers reviewed one product
/// at the same moment: each insert took a shared lock on the product row
/// (the foreign key check), then each wanted it exclusively for the rating,
/// and InnoDB ended one of them (`ER_LOCK_DEADLOCK`): a 500, seen once at
/// saturation in the full report. A transaction that still conflicts (a
/// busy SQLite, a lock wait timeout) is run again, as checkout does.
pub async fn write(
    db: &Db,
    product_id: i64,
    user_id: &str,
    rating: Rating,
    text: &ReviewText,
    status: ReviewStatus,
) -> Result<i64, WriteError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_once(db, product_id, user_id, rating, text, status).await {
            Err(WriteError::Db(e)) if crate::db::is_transient(&e) && attempt < MAX_ATTEMPTS => {
                tracing::warn!(attempt, error = %e, "review transaction conflicted; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            other => return other,
        }
    }
}

async fn write_once(
    db: &Db,
    product_id: i64,
    user_id: &str,
    rating: Rating,
    text: &ReviewText,
    status: ReviewStatus,
) -> Result<i64, WriteError> {
    let mut tx = db.begin_write().await?;
    let result = async {
        let now = now_millis();
        // The product's row first: taking its write lock before the review
        // row (whose foreign key check would take a shared lock on it) is
        // what keeps two reviews of one product from deadlocking on MariaDB.
        if status == ReviewStatus::Published {
            const AGGREGATE: &str = "UPDATE products SET rating_count = rating_count + 1, \
                rating_sum = rating_sum + ? WHERE id = ?";
            db.traced(
                AGGREGATE,
                sqlx::query(AGGREGATE)
                    .bind(rating.get())
                    .bind(product_id)
                    .execute(&mut *tx),
            )
            .await?;
        }
        const INSERT: &str = "INSERT INTO reviews (product_id, user_id, rating, body, status, created_at) \
            VALUES (?, ?, ?, ?, ?, ?)";
        db.traced(
            INSERT,
            sqlx::query(INSERT)
                .bind(product_id)
                .bind(user_id)
                .bind(rating.get())
                .bind(text.as_str())
                .bind(status.as_str())
                .bind(now)
                .execute(&mut *tx),
        )
        .await?;
        const ID: &str = "SELECT id FROM reviews WHERE product_id = ? AND user_id = ?";
        let id: i64 = db
            .traced(
                ID,
                sqlx::query_scalar(ID)
                    .bind(product_id)
                    .bind(user_id)
                    .fetch_one(&mut *tx),
            )
            .await?;
        Ok::<i64, WriteError>(id)
    }
    .await;
    match result {
        Ok(id) => {
            db.traced("COMMIT", tx.commit()).await?;
            Ok(id)
        }
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    product_id: i64,
    rating: i64,
    body: String,
    status: String,
    created_at: i64,
    name: String,
}

impl ReviewRow {
    fn into_review(self) -> Result<Review, sqlx::Error> {
        Ok(Review {
            status: ReviewStatus::parse(&self.status).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown review status {:?}", self.status).into())
            })?,
            id: self.id,
            product_id: self.product_id,
            rating: self.rating,
            text_html: html(&self.body),
            text: self.body,
            author: display_name(&self.name),
            verified_purchase: true,
            created_at: rfc3339(self.created_at),
        })
    }
}

/// One review by id (whatever its status: its author's answer shows it).
pub async fn load(db: &Db, id: i64) -> Result<Option<Review>, sqlx::Error> {
    const SQL: &str = "SELECT r.id, r.product_id, r.rating, r.body, r.status, r.created_at, u.name \
        FROM reviews r JOIN users u ON u.id = r.user_id WHERE r.id = ?";
    let row: Option<ReviewRow> = db
        .traced(SQL, sqlx::query_as(SQL).bind(id).fetch_optional(db.pool()))
        .await?;
    row.map(ReviewRow::into_review).transpose()
}

/// A page of `product_id`'s published reviews, newest first, with its
/// rating and the count per number of stars.
pub async fn page(
    db: &Db,
    product_id: i64,
    paging: ReviewPaging,
) -> Result<ReviewPage, sqlx::Error> {
    const ITEMS: &str = "SELECT r.id, r.product_id, r.rating, r.body, r.status, r.created_at, u.name \
        FROM reviews r JOIN users u ON u.id = r.user_id \
        WHERE r.product_id = ? AND r.status = 'published' ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?";
    let rows: Vec<ReviewRow> = db
        .traced_all(
            ITEMS,
            sqlx::query_as(ITEMS)
                .bind(product_id)
                .bind(i64::from(paging.per_page))
                .bind(paging.offset())
                .fetch_all(db.pool()),
        )
        .await?;
    const STARS: &str = "SELECT rating, COUNT(*) FROM reviews WHERE product_id = ? AND status = 'published' \
        GROUP BY rating";
    let per_star: Vec<(i64, i64)> = db
        .traced_all(
            STARS,
            sqlx::query_as(STARS).bind(product_id).fetch_all(db.pool()),
        )
        .await?;
    let mut stars = [0i64; 5];
    for (rating, n) in per_star {
        if let Some(slot) = usize::try_from(rating - 1)
            .ok()
            .and_then(|i| stars.get_mut(i))
        {
            *slot = n;
        }
    }
    let total: i64 = stars.iter().sum();
    let sum: i64 = stars
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1) * n)
        .sum();
    Ok(ReviewPage {
        items: rows
            .into_iter()
            .map(ReviewRow::into_review)
            .collect::<Result<_, _>>()?,
        rating: RatingSummary::from_aggregate(total, sum),
        stars,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}
