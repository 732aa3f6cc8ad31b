//! The accounts' SQL: users, sessions, saved addresses, the login limiter's
//! counts, password-reset tokens and the outbox, the guest-cart merge, and
//! the order history. Every statement runs through [`Db::traced`], so each is
//! a database span; none binds a secret in clear (only hashes).

use super::model::{OrderSummary, Profile, SavedAddress};
use super::throttle::Failures;
use super::user::UserId;
use crate::cart::MAX_QUANTITY;
use crate::db::Db;
use crate::orders::Address;
use crate::time::rfc3339;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

// --- users -------------------------------------------------------------------

/// The user linked to an identity provider's account (`issuer`, `subject`).
pub async fn identity_user(
    db: &Db,
    issuer: &str,
    subject: &str,
) -> Result<Option<UserId>, sqlx::Error> {
    const SQL: &str = "SELECT user_id FROM user_identities WHERE issuer = ? AND subject = ?";
    let id: Option<String> = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(issuer)
                .bind(subject)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(id.map(UserId::from_db))
}

/// Writes a user made through an identity provider and links it to the
/// provider's account, in one transaction. A unique violation means the
/// e-mail (or the provider account) is taken.
pub async fn insert_social_user(
    db: &Db,
    id: &UserId,
    email: &str,
    password_hash: &str,
    name: &str,
    (issuer, subject): (&str, &str),
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        const USER: &str = "INSERT INTO users (id, email, password_hash, name, cart_id, created_at, updated_at) \
            VALUES (?, ?, ?, ?, NULL, ?, ?)";
        db.traced(
            USER,
            sqlx::query(USER)
                .bind(id.as_str())
                .bind(email)
                .bind(password_hash)
                .bind(name)
                .bind(now)
                .bind(now)
                .execute(&mut *tx),
        )
        .await?;
        const LINK: &str = "INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)";
        db.traced(
            LINK,
            sqlx::query(LINK)
                .bind(issuer)
                .bind(subject)
                .bind(id.as_str())
                .bind(now)
                .execute(&mut *tx),
        )
        .await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    match result {
        Ok(()) => db.traced("COMMIT", tx.commit()).await,
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

/// Writes a new user. A unique violation means the e-mail is taken.
pub async fn insert_user(
    db: &Db,
    id: &UserId,
    email: &str,
    password_hash: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO users (id, email, password_hash, name, cart_id, created_at, updated_at) \
        VALUES (?, ?, ?, ?, NULL, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(id.as_str())
            .bind(email)
            .bind(password_hash)
            .bind(name)
            .bind(now)
            .bind(now)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// The id and password hash of the user with this (normalised) e-mail.
pub async fn credentials(db: &Db, email: &str) -> Result<Option<(UserId, String)>, sqlx::Error> {
    const SQL: &str = "SELECT id, password_hash FROM users WHERE email = ?";
    let row: Option<(String, String)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL).bind(email).fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(|(id, hash)| (UserId::from_db(id), hash)))
}

/// The user's id by e-mail.
pub async fn user_by_email(db: &Db, email: &str) -> Result<Option<UserId>, sqlx::Error> {
    Ok(credentials(db, email).await?.map(|(id, _)| id))
}

/// A user's profile.
pub async fn profile(db: &Db, user: &UserId) -> Result<Option<Profile>, sqlx::Error> {
    const SQL: &str = "SELECT email, name, created_at, sale_notices FROM users WHERE id = ?";
    let row: Option<(String, String, i64, i64)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(user.as_str())
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(|(email, name, created_at, sale_notices)| Profile {
        email,
        name,
        created_at: rfc3339(created_at),
        sale_notices: sale_notices != 0,
    }))
}

/// Turns sale notices on or off.
pub async fn set_sale_notices(
    db: &Db,
    user: &UserId,
    on: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE users SET sale_notices = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(i64::from(on))
            .bind(now)
            .bind(user.as_str())
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// Changes the display name.
pub async fn set_name(db: &Db, user: &UserId, name: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE users SET name = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(name)
            .bind(now)
            .bind(user.as_str())
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

// --- sessions ----------------------------------------------------------------

/// A session row, found by its token's hash.
pub struct SessionRow {
    pub user_id: UserId,
    pub csrf_hash: String,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    user: &UserId,
    csrf_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, csrf_hash, created_at, last_seen_at, expires_at) \
        VALUES (?, ?, ?, ?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(token_hash)
            .bind(user.as_str())
            .bind(csrf_hash)
            .bind(now)
            .bind(now)
            .bind(expires_at)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    const SQL: &str =
        "SELECT user_id, csrf_hash, last_seen_at, expires_at FROM sessions WHERE token_hash = ?";
    let row: Option<(String, String, i64, i64)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(token_hash)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(
        |(user_id, csrf_hash, last_seen_at, expires_at)| SessionRow {
            user_id: UserId::from_db(user_id),
            csrf_hash,
            last_seen_at,
            expires_at,
        },
    ))
}

/// Replaces the session's CSRF hash (a new token for a client that lost its
/// own); whether the session still existed.
pub async fn set_session_csrf(
    db: &Db,
    token_hash: &str,
    csrf_hash: &str,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE sessions SET csrf_hash = ? WHERE token_hash = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(csrf_hash)
            .bind(token_hash)
            .execute(db.pool()),
    )
    .await
    .map(|r| r.rows_affected() == 1)
}

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(now)
            .bind(token_hash)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    const SQL: &str = "DELETE FROM sessions WHERE token_hash = ?";
    db.traced(SQL, sqlx::query(SQL).bind(token_hash).execute(db.pool()))
        .await
        .map(drop)
}

/// Ends every session of a user; returns how many there were.
pub async fn delete_sessions_of(db: &Db, user: &UserId) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM sessions WHERE user_id = ?";
    db.traced(SQL, sqlx::query(SQL).bind(user.as_str()).execute(db.pool()))
        .await
        .map(|r| r.rows_affected())
}

// --- the login limiter ---------------------------------------------------------

async fn count_failures(
    db: &Db,
    sql: &'static str,
    key: &str,
    since: i64,
) -> Result<Failures, sqlx::Error> {
    let (count, oldest_at): (i64, Option<i64>) = db
        .traced(
            sql,
            sqlx::query_as(sql)
                .bind(key)
                .bind(since)
                .fetch_one(db.pool()),
        )
        .await?;
    Ok(Failures { count, oldest_at })
}

/// Failures since `since` for the account key and for the client key.
pub async fn failures(
    db: &Db,
    account_key: &str,
    client_key: &str,
    since: i64,
) -> Result<(Failures, Failures), sqlx::Error> {
    const ACCOUNT: &str = "SELECT COUNT(*), MIN(created_at) FROM login_failures WHERE account_key = ? AND created_at > ?";
    const CLIENT: &str = "SELECT COUNT(*), MIN(created_at) FROM login_failures WHERE client_key = ? AND created_at > ?";
    Ok((
        count_failures(db, ACCOUNT, account_key, since).await?,
        count_failures(db, CLIENT, client_key, since).await?,
    ))
}

pub async fn record_failure(
    db: &Db,
    account_key: &str,
    client_key: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "INSERT INTO login_failures (account_key, client_key, created_at) VALUES (?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(account_key)
            .bind(client_key)
            .bind(now)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// A successful login forgets the account's failures (not the client's).
pub async fn clear_account_failures(db: &Db, account_key: &str) -> Result<(), sqlx::Error> {
    const SQL: &str = "DELETE FROM login_failures WHERE account_key = ?";
    db.traced(SQL, sqlx::query(SQL).bind(account_key).execute(db.pool()))
        .await
        .map(drop)
}

// --- the cart merge ------------------------------------------------------------

/// The user's cart, if it is still open.
pub async fn open_cart_of(db: &Db, user: &UserId) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT c.id FROM users u JOIN carts c ON c.id = u.cart_id \
        WHERE u.id = ? AND c.status = 'open'";
    db.traced(
        SQL,
        sqlx::query_scalar(SQL)
            .bind(user.as_str())
            .fetch_optional(db.pool()),
    )
    .await
}

/// Whether this cart exists, is open, and is no customer's cart (a guest's).
pub async fn is_open_guest_cart(db: &Db, cart: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM carts c WHERE c.id = ? AND c.status = 'open' \
        AND NOT EXISTS (SELECT 1 FROM users u WHERE u.cart_id = c.id)";
    let n: i64 = db
        .traced(SQL, sqlx::query_scalar(SQL).bind(cart).fetch_one(db.pool()))
        .await?;
    Ok(n == 1)
}

/// Makes `cart` the user's cart.
pub async fn assign_cart(db: &Db, user: &UserId, cart: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE users SET cart_id = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(cart)
            .bind(now)
            .bind(user.as_str())
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// Moves the guest cart's lines into the user's cart in one transaction:
/// a product in both gets the sum of the quantities (at most
/// [`MAX_QUANTITY`]); a product only in the guest cart is added while the
/// user's cart has room for lines (`max_lines`). The guest cart is then
/// marked `merged`, so it takes no more changes. Stock is not checked here:
/// checkout checks it, atomically.
pub async fn merge_carts(
    db: &Db,
    guest: &str,
    into: &str,
    max_lines: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    match merge_in(db, &mut tx, guest, into, max_lines, now).await {
        Ok(()) => db.traced("COMMIT", tx.commit()).await,
        Err(e) => {
            let _ = db.traced("ROLLBACK", tx.rollback()).await;
            Err(e)
        }
    }
}

async fn merge_in(
    db: &Db,
    tx: &mut Tx,
    guest: &str,
    into: &str,
    max_lines: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    const CLOSE: &str =
        "UPDATE carts SET status = 'merged', updated_at = ? WHERE id = ? AND status = 'open'";
    let closed = db
        .traced(
            CLOSE,
            sqlx::query(CLOSE).bind(now).bind(guest).execute(&mut **tx),
        )
        .await?;
    if closed.rows_affected() != 1 {
        // Checked out or merged meanwhile: nothing to move.
        return Ok(());
    }
    const LINES: &str = "SELECT product_id, quantity FROM cart_items WHERE cart_id = ? ORDER BY id";
    let guest_lines: Vec<(i64, i64)> = db
        .traced_all(
            LINES,
            sqlx::query_as(LINES).bind(guest).fetch_all(&mut **tx),
        )
        .await?;
    let mut lines: Vec<(i64, i64)> = db
        .traced_all(LINES, sqlx::query_as(LINES).bind(into).fetch_all(&mut **tx))
        .await?;
    for (product_id, quantity) in guest_lines {
        if let Some(line) = lines.iter_mut().find(|(p, _)| *p == product_id) {
            const ADD: &str =
                "UPDATE cart_items SET quantity = ? WHERE cart_id = ? AND product_id = ?";
            line.1 = (line.1 + quantity).min(MAX_QUANTITY);
            db.traced(
                ADD,
                sqlx::query(ADD)
                    .bind(line.1)
                    .bind(into)
                    .bind(product_id)
                    .execute(&mut **tx),
            )
            .await?;
        } else if (lines.len() as i64) < max_lines {
            const INSERT: &str = "INSERT INTO cart_items (cart_id, product_id, quantity, added_at) VALUES (?, ?, ?, ?)";
            db.traced(
                INSERT,
                sqlx::query(INSERT)
                    .bind(into)
                    .bind(product_id)
                    .bind(quantity)
                    .bind(now)
                    .execute(&mut **tx),
            )
            .await?;
            lines.push((product_id, quantity));
        }
    }
    const TOUCH: &str = "UPDATE carts SET updated_at = ? WHERE id = ?";
    db.traced(
        TOUCH,
        sqlx::query(TOUCH).bind(now).bind(into).execute(&mut **tx),
    )
    .await
    .map(drop)
}

// --- addresses -----------------------------------------------------------------

type AddressRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

fn saved(r: AddressRow) -> SavedAddress {
    let (id, name, line1, line2, city, postal_code, country, is_default, created_at) = r;
    SavedAddress {
        id,
        is_default: is_default != 0,
        address: Address {
            name,
            line1,
            line2,
            city,
            postal_code,
            country,
        },
        created_at: rfc3339(created_at),
    }
}

/// The user's addresses, the default first, then oldest first.
pub async fn addresses(db: &Db, user: &UserId) -> Result<Vec<SavedAddress>, sqlx::Error> {
    const SQL: &str = "SELECT id, name, line1, line2, city, postal_code, country, is_default, created_at \
        FROM addresses WHERE user_id = ? ORDER BY is_default DESC, id";
    let rows: Vec<AddressRow> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL).bind(user.as_str()).fetch_all(db.pool()),
        )
        .await?;
    Ok(rows.into_iter().map(saved).collect())
}

/// Saves an address; it becomes the default when asked to, or when it is
/// the user's first. Returns its id.
pub async fn insert_address(
    db: &Db,
    user: &UserId,
    a: &Address,
    make_default: bool,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        const COUNT: &str = "SELECT COUNT(*) FROM addresses WHERE user_id = ?";
        let existing: i64 = db
            .traced(
                COUNT,
                sqlx::query_scalar(COUNT).bind(user.as_str()).fetch_one(&mut *tx),
            )
            .await?;
        let is_default = make_default || existing == 0;
        if is_default {
            clear_default(db, &mut tx, user).await?;
        }
        const INSERT: &str = "INSERT INTO addresses (user_id, name, line1, line2, city, postal_code, country, \
            is_default, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
        db.traced(
            INSERT,
            sqlx::query(INSERT)
                .bind(user.as_str())
                .bind(&a.name)
                .bind(&a.line1)
                .bind(&a.line2)
                .bind(&a.city)
                .bind(&a.postal_code)
                .bind(&a.country)
                .bind(i64::from(is_default))
                .bind(now)
                .execute(&mut *tx),
        )
        .await?;
        // The id of the row just written (AUTOINCREMENT ids only grow).
        const LAST: &str = "SELECT MAX(id) FROM addresses WHERE user_id = ?";
        db.traced(
            LAST,
            sqlx::query_scalar(LAST).bind(user.as_str()).fetch_one(&mut *tx),
        )
        .await
    }
    .await;
    db.end_write(tx, result).await
}

/// How many addresses the user has saved.
pub async fn address_count(db: &Db, user: &UserId) -> Result<i64, sqlx::Error> {
    const COUNT: &str = "SELECT COUNT(*) FROM addresses WHERE user_id = ?";
    db.traced(
        COUNT,
        sqlx::query_scalar(COUNT)
            .bind(user.as_str())
            .fetch_one(db.pool()),
    )
    .await
}

async fn clear_default(db: &Db, tx: &mut Tx, user: &UserId) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE addresses SET is_default = 0 WHERE user_id = ? AND is_default = 1";
    db.traced(SQL, sqlx::query(SQL).bind(user.as_str()).execute(&mut **tx))
        .await
        .map(drop)
}

/// Makes one of the user's addresses the default; false if it is not theirs.
pub async fn set_default_address(db: &Db, user: &UserId, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        if !owns_address(db, &mut tx, user, id).await? {
            return Ok(false);
        }
        clear_default(db, &mut tx, user).await?;
        const SQL: &str = "UPDATE addresses SET is_default = 1 WHERE id = ? AND user_id = ?";
        db.traced(
            SQL,
            sqlx::query(SQL)
                .bind(id)
                .bind(user.as_str())
                .execute(&mut *tx),
        )
        .await?;
        Ok(true)
    }
    .await;
    db.end_write(tx, result).await
}

/// Deletes one of the user's addresses; if it was the default, the oldest
/// remaining one becomes the default. False if it is not theirs.
pub async fn delete_address(db: &Db, user: &UserId, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        if !owns_address(db, &mut tx, user, id).await? {
            return Ok(false);
        }
        const DELETE: &str = "DELETE FROM addresses WHERE id = ? AND user_id = ?";
        db.traced(
            DELETE,
            sqlx::query(DELETE)
                .bind(id)
                .bind(user.as_str())
                .execute(&mut *tx),
        )
        .await?;
        const DEFAULTS: &str =
            "SELECT COUNT(*) FROM addresses WHERE user_id = ? AND is_default = 1";
        let defaults: i64 = db
            .traced(
                DEFAULTS,
                sqlx::query_scalar(DEFAULTS)
                    .bind(user.as_str())
                    .fetch_one(&mut *tx),
            )
            .await?;
        if defaults == 0 {
            const OLDEST: &str = "SELECT MIN(id) FROM addresses WHERE user_id = ?";
            let oldest: Option<i64> = db
                .traced(
                    OLDEST,
                    sqlx::query_scalar(OLDEST)
                        .bind(user.as_str())
                        .fetch_one(&mut *tx),
                )
                .await?;
            if let Some(oldest) = oldest {
                const PROMOTE: &str = "UPDATE addresses SET is_default = 1 WHERE id = ?";
                db.traced(PROMOTE, sqlx::query(PROMOTE).bind(oldest).execute(&mut *tx))
                    .await?;
            }
        }
        Ok(true)
    }
    .await;
    db.end_write(tx, result).await
}

async fn owns_address(db: &Db, tx: &mut Tx, user: &UserId, id: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM addresses WHERE id = ? AND user_id = ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(id)
                .bind(user.as_str())
                .fetch_one(&mut **tx),
        )
        .await?;
    Ok(n == 1)
}

// --- password reset --------------------------------------------------------------

/// Stores a reset token's hash and, in the same transaction, the outbox
/// message that will carry the token to the user's mailbox.
pub async fn insert_reset(
    db: &Db,
    token_hash: &str,
    user: &UserId,
    now: i64,
    expires_at: i64,
    payload: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        const RESET: &str = "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, used_at) \
            VALUES (?, ?, ?, ?, NULL)";
        db.traced(
            RESET,
            sqlx::query(RESET)
                .bind(token_hash)
                .bind(user.as_str())
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx),
        )
        .await?;
        // The bus carries only the event's id; the worker reads the address
        // and the token from this row (`EventType::public_data`).
        crate::events::record_in(
            db,
            &mut tx,
            crate::events::EventType::PasswordReset,
            payload,
            now,
        )
        .await
        .map(drop)
    }
    .await;
    db.end_write(tx, result).await
}

/// Whether a reset token (by hash) is known, unused and unexpired.
pub async fn reset_is_usable(db: &Db, token_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM password_resets \
        WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(token_hash)
                .bind(now)
                .fetch_one(db.pool()),
        )
        .await?;
    Ok(n == 1)
}

/// Uses a reset token: marks it used if it is unused and unexpired, and
/// then sets the new password hash and ends every session of its user, all
/// in one transaction. Returns the user, or `None` for a token that is
/// unknown, used or expired.
pub async fn consume_reset(
    db: &Db,
    token_hash: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<UserId>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let result = async {
        // The conditional update is the single-use guarantee: of two
        // concurrent uses, only one changes the row.
        const USE: &str = "UPDATE password_resets SET used_at = ? \
            WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?";
        let used = db
            .traced(
                USE,
                sqlx::query(USE)
                    .bind(now)
                    .bind(token_hash)
                    .bind(now)
                    .execute(&mut *tx),
            )
            .await?;
        if used.rows_affected() != 1 {
            return Ok(None);
        }
        const USER: &str = "SELECT user_id FROM password_resets WHERE token_hash = ?";
        let user: String = db
            .traced(
                USER,
                sqlx::query_scalar(USER)
                    .bind(token_hash)
                    .fetch_one(&mut *tx),
            )
            .await?;
        const PASSWORD: &str = "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?";
        db.traced(
            PASSWORD,
            sqlx::query(PASSWORD)
                .bind(password_hash)
                .bind(now)
                .bind(&user)
                .execute(&mut *tx),
        )
        .await?;
        const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = ?";
        db.traced(
            SESSIONS,
            sqlx::query(SESSIONS).bind(&user).execute(&mut *tx),
        )
        .await?;
        Ok(Some(UserId::from_db(user)))
    }
    .await;
    db.end_write(tx, result).await
}

// --- orders ------------------------------------------------------------------------

/// The user's orders, newest first.
pub async fn order_history(db: &Db, user: &UserId) -> Result<Vec<OrderSummary>, sqlx::Error> {
    const ORDERS: &str = "SELECT id, status, total_cents, currency, created_at \
        FROM orders WHERE user_id = ? ORDER BY created_at DESC, id";
    let rows: Vec<(String, String, i64, String, i64)> = db
        .traced_all(
            ORDERS,
            sqlx::query_as(ORDERS)
                .bind(user.as_str())
                .fetch_all(db.pool()),
        )
        .await?;
    // Units per order, summed here: SUM() is DECIMAL on MySQL, which the
    // `Any` driver does not decode.
    const UNITS: &str = "SELECT i.order_id, i.quantity FROM order_items i \
        JOIN orders o ON o.id = i.order_id WHERE o.user_id = ?";
    let units: Vec<(String, i64)> = db
        .traced_all(
            UNITS,
            sqlx::query_as(UNITS)
                .bind(user.as_str())
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status, total_cents, currency, created_at)| {
            let item_count = units.iter().filter(|(o, _)| *o == id).map(|(_, q)| q).sum();
            OrderSummary {
                id,
                status,
                item_count,
                total_cents,
                currency,
                created_at: rfc3339(created_at),
            }
        })
        .collect())
}

/// Whether the order belongs to the user.
pub async fn owns_order(db: &Db, user: &UserId, order_id: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*) FROM orders WHERE id = ? AND user_id = ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(order_id)
                .bind(user.as_str())
                .fetch_one(db.pool()),
        )
        .await?;
    Ok(n == 1)
}

/// Whether a guest order (no owner) with this id was placed with this
/// e-mail (compared case-insensitively).
pub async fn is_guest_order(db: &Db, order_id: &str, email: &str) -> Result<bool, sqlx::Error> {
    const SQL: &str =
        "SELECT COUNT(*) FROM orders WHERE id = ? AND user_id IS NULL AND LOWER(email) = ?";
    let n: i64 = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL)
                .bind(order_id)
                .bind(email)
                .fetch_one(db.pool()),
        )
        .await?;
    Ok(n == 1)
}
