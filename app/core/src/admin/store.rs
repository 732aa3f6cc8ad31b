//! The back office's SQL: admins, their recovery codes, sessions and
//! invitations. Every statement runs through [`Db::traced`] (a database
//! span each); no secret is bound in clear except the TOTP secret, whose
//! home is this table.

use crate::db::Db;

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// An admin as stored.
#[derive(Debug, Clone)]
pub struct AdminRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub roles: String,
    pub disabled_at: Option<i64>,
    pub totp_secret: Option<String>,
    pub totp_enrolled_at: Option<i64>,
    pub created_at: i64,
}

type AdminTuple = (
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<i64>,
    i64,
);

// Statements are written out whole: sqlx trusts only `&'static str` as SQL.
const ADMIN_BY_ID: &str = "SELECT id, email, name, roles, disabled_at, totp_secret, totp_enrolled_at, created_at \
    FROM admins WHERE id = ?";
const ADMIN_BY_ID_LOCKED: &str = "SELECT id, email, name, roles, disabled_at, totp_secret, totp_enrolled_at, created_at \
    FROM admins WHERE id = ? FOR UPDATE";
const ALL_ADMINS: &str = "SELECT id, email, name, roles, disabled_at, totp_secret, totp_enrolled_at, created_at \
    FROM admins ORDER BY created_at, id";
const ENABLED_ROLES: &str = "SELECT id, roles FROM admins WHERE disabled_at IS NULL";
const ENABLED_ROLES_LOCKED: &str =
    "SELECT id, roles FROM admins WHERE disabled_at IS NULL FOR UPDATE";

fn admin_row(t: AdminTuple) -> AdminRow {
    AdminRow {
        id: t.0,
        email: t.1,
        name: t.2,
        roles: t.3,
        disabled_at: t.4,
        totp_secret: t.5,
        totp_enrolled_at: t.6,
        created_at: t.7,
    }
}

// --- invitations -----------------------------------------------------------------

pub async fn insert_invitation(
    db: &Db,
    token_hash: &str,
    email: &str,
    roles: &str,
    invited_by: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO admin_invitations (token_hash, email, roles, invited_by, created_at, expires_at) \
        VALUES (?, ?, ?, ?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(token_hash)
            .bind(email)
            .bind(roles)
            .bind(invited_by)
            .bind(now)
            .bind(expires_at)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// Marks a live invitation used and returns its e-mail, roles and inviter;
/// `None` if it is unknown, used or expired. The `UPDATE … WHERE used_at IS
/// NULL` is what makes it single-use under concurrent accepts.
pub async fn take_invitation(
    db: &Db,
    tx: &mut Tx,
    token_hash: &str,
    now: i64,
) -> Result<Option<(String, String, Option<String>)>, sqlx::Error> {
    const SQL: &str = "SELECT email, roles, invited_by FROM admin_invitations \
        WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?";
    let found: Option<(String, String, Option<String>)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut **tx),
        )
        .await?;
    if found.is_none() {
        return Ok(None);
    }
    const USE: &str =
        "UPDATE admin_invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL";
    let done = db
        .traced(
            USE,
            sqlx::query(USE)
                .bind(now)
                .bind(token_hash)
                .execute(&mut **tx),
        )
        .await?;
    Ok((done.rows_affected() == 1).then_some(found).flatten())
}

// --- admins ------------------------------------------------------------------------

pub async fn insert_admin(
    db: &Db,
    tx: &mut Tx,
    row: &AdminRow,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO admins (id, email, name, password_hash, roles, created_at, updated_at) \
        VALUES (?, ?, ?, ?, ?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(row.id.as_str())
            .bind(row.email.as_str())
            .bind(row.name.as_str())
            .bind(password_hash)
            .bind(row.roles.as_str())
            .bind(row.created_at)
            .bind(row.created_at)
            .execute(&mut **tx),
    )
    .await
    .map(drop)
}

/// The id, password hash and "disabled" of the admin with this e-mail.
pub async fn credentials(
    db: &Db,
    email: &str,
) -> Result<Option<(String, String, bool)>, sqlx::Error> {
    const SQL: &str = "SELECT id, password_hash, disabled_at FROM admins WHERE email = ?";
    let row: Option<(String, String, Option<i64>)> = db
        .traced(
            SQL,
            sqlx::query_as(SQL).bind(email).fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(|(id, hash, disabled)| (id, hash, disabled.is_some())))
}

pub async fn admin(db: &Db, id: &str) -> Result<Option<AdminRow>, sqlx::Error> {
    let row: Option<AdminTuple> = db
        .traced(
            ADMIN_BY_ID,
            sqlx::query_as(ADMIN_BY_ID)
                .bind(id)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(admin_row))
}

/// Every admin, oldest first.
pub async fn admins(db: &Db) -> Result<Vec<AdminRow>, sqlx::Error> {
    let rows: Vec<AdminTuple> = db
        .traced_all(ALL_ADMINS, sqlx::query_as(ALL_ADMINS).fetch_all(db.pool()))
        .await?;
    Ok(rows.into_iter().map(admin_row).collect())
}

/// The admin, read inside `tx` with a lock on MariaDB (the last-administrator
/// rule reads, then writes).
pub async fn admin_for_update(
    db: &Db,
    tx: &mut Tx,
    id: &str,
) -> Result<Option<AdminRow>, sqlx::Error> {
    let sql = if db.system().is_sqlite() {
        ADMIN_BY_ID
    } else {
        ADMIN_BY_ID_LOCKED
    };
    let row: Option<AdminTuple> = db
        .traced(sql, sqlx::query_as(sql).bind(id).fetch_optional(&mut **tx))
        .await?;
    Ok(row.map(admin_row))
}

/// The roles of every enabled admin, read inside `tx` with locks on MariaDB.
pub async fn enabled_roles_for_update(
    db: &Db,
    tx: &mut Tx,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let sql = if db.system().is_sqlite() {
        ENABLED_ROLES
    } else {
        ENABLED_ROLES_LOCKED
    };
    db.traced_all(sql, sqlx::query_as(sql).fetch_all(&mut **tx))
        .await
}

pub async fn set_roles(
    db: &Db,
    tx: &mut Tx,
    id: &str,
    roles: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE admins SET roles = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(roles)
            .bind(now)
            .bind(id)
            .execute(&mut **tx),
    )
    .await
    .map(drop)
}

pub async fn set_disabled(
    db: &Db,
    tx: &mut Tx,
    id: &str,
    disabled_at: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE admins SET disabled_at = ?, updated_at = ? WHERE id = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(disabled_at)
            .bind(now)
            .bind(id)
            .execute(&mut **tx),
    )
    .await
    .map(drop)
}

/// Forgets the admin's second factor: they enrol again at their next login.
pub async fn reset_mfa(db: &Db, tx: &mut Tx, id: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE admins SET totp_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL, \
        updated_at = ? WHERE id = ?";
    db.traced(SQL, sqlx::query(SQL).bind(now).bind(id).execute(&mut **tx))
        .await?;
    const CODES: &str = "DELETE FROM admin_recovery_codes WHERE admin_id = ?";
    db.traced(CODES, sqlx::query(CODES).bind(id).execute(&mut **tx))
        .await
        .map(drop)
}

// --- the second factor -----------------------------------------------------------

/// Stores a new, not yet confirmed secret; refused (false) once enrolled.
pub async fn set_pending_secret(
    db: &Db,
    id: &str,
    secret: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE admins SET totp_secret = ?, updated_at = ? WHERE id = ? AND totp_enrolled_at IS NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(secret)
                .bind(now)
                .bind(id)
                .execute(db.pool()),
        )
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirms enrolment: the step of the first accepted code, and the hashes
/// of the recovery codes (replacing any).
pub async fn confirm_enrolment(
    db: &Db,
    tx: &mut Tx,
    id: &str,
    step: u64,
    recovery_hashes: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE admins SET totp_enrolled_at = ?, totp_last_step = ?, updated_at = ? \
        WHERE id = ? AND totp_enrolled_at IS NULL AND totp_secret IS NOT NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(now)
                .bind(step as i64)
                .bind(now)
                .bind(id)
                .execute(&mut **tx),
        )
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    const CLEAR: &str = "DELETE FROM admin_recovery_codes WHERE admin_id = ?";
    db.traced(CLEAR, sqlx::query(CLEAR).bind(id).execute(&mut **tx))
        .await?;
    const CODE: &str = "INSERT INTO admin_recovery_codes (admin_id, code_hash) VALUES (?, ?)";
    for hash in recovery_hashes {
        db.traced(
            CODE,
            sqlx::query(CODE)
                .bind(id)
                .bind(hash.as_str())
                .execute(&mut **tx),
        )
        .await?;
    }
    Ok(true)
}

/// The step of the last accepted code.
pub async fn last_step(db: &Db, id: &str) -> Result<Option<u64>, sqlx::Error> {
    const SQL: &str = "SELECT totp_last_step FROM admins WHERE id = ?";
    let step: Option<Option<i64>> = db
        .traced(
            SQL,
            sqlx::query_scalar(SQL).bind(id).fetch_optional(db.pool()),
        )
        .await?;
    Ok(step.flatten().map(|s| s as u64))
}

/// Moves the last accepted step forward to `step`; false if another
/// request got there first with this step or a later one (a replay).
pub async fn advance_step(db: &Db, id: &str, step: u64) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE admins SET totp_last_step = ? \
        WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(step as i64)
                .bind(id)
                .bind(step as i64)
                .execute(db.pool()),
        )
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses a recovery code: true if it was the admin's and unused.
pub async fn use_recovery_code(
    db: &Db,
    id: &str,
    code_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE admin_recovery_codes SET used_at = ? \
        WHERE admin_id = ? AND code_hash = ? AND used_at IS NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(now)
                .bind(id)
                .bind(code_hash)
                .execute(db.pool()),
        )
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Recovery codes the admin has left.
pub async fn recovery_codes_left(db: &Db, id: &str) -> Result<i64, sqlx::Error> {
    const SQL: &str =
        "SELECT COUNT(*) FROM admin_recovery_codes WHERE admin_id = ? AND used_at IS NULL";
    db.traced(SQL, sqlx::query_scalar(SQL).bind(id).fetch_one(db.pool()))
        .await
}

// --- sessions ------------------------------------------------------------------------

/// A session joined with its admin, as `authenticate` needs it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub admin_id: String,
    pub public_id: String,
    pub csrf_hash: String,
    pub mfa_passed: bool,
    pub elevated_until: Option<i64>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub roles: String,
    pub disabled_at: Option<i64>,
    pub enrolled: bool,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_session(
    db: &Db,
    token_hash: &str,
    admin_id: &str,
    csrf_hash: &str,
    public_id: &str,
    client_address: &str,
    user_agent: Option<&str>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO admin_sessions (token_hash, admin_id, csrf_hash, public_id, mfa_passed, \
        client_address, user_agent, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(token_hash)
            .bind(admin_id)
            .bind(csrf_hash)
            .bind(public_id)
            .bind(client_address)
            .bind(user_agent)
            .bind(now)
            .bind(now)
            .bind(expires_at)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

pub async fn session(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    const SQL: &str = "SELECT s.admin_id, s.public_id, s.csrf_hash, s.mfa_passed, s.elevated_until, \
        s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, a.roles, a.disabled_at, a.totp_enrolled_at \
        FROM admin_sessions s JOIN admins a ON a.id = s.admin_id WHERE s.token_hash = ?";
    type T = (
        String,
        String,
        String,
        i64,
        Option<i64>,
        i64,
        i64,
        i64,
        Option<i64>,
        String,
        Option<i64>,
        Option<i64>,
    );
    let row: Option<T> = db
        .traced(
            SQL,
            sqlx::query_as(SQL)
                .bind(token_hash)
                .fetch_optional(db.pool()),
        )
        .await?;
    Ok(row.map(|t| SessionRow {
        admin_id: t.0,
        public_id: t.1,
        csrf_hash: t.2,
        mfa_passed: t.3 != 0,
        elevated_until: t.4,
        created_at: t.5,
        last_seen_at: t.6,
        expires_at: t.7,
        revoked_at: t.8,
        roles: t.9,
        disabled_at: t.10,
        enrolled: t.11.is_some(),
    }))
}

pub async fn touch_session(db: &Db, token_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE admin_sessions SET last_seen_at = ? WHERE token_hash = ?";
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

/// The second factor was given: the session may now be used. `elevated_until`
/// starts the step-up window too (the login's code is as fresh as a step-up's).
pub async fn pass_mfa(db: &Db, token_hash: &str, elevated_until: i64) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "UPDATE admin_sessions SET mfa_passed = 1, elevated_until = ? WHERE token_hash = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(elevated_until)
            .bind(token_hash)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

pub async fn elevate(db: &Db, token_hash: &str, until: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE admin_sessions SET elevated_until = ? WHERE token_hash = ?";
    db.traced(
        SQL,
        sqlx::query(SQL)
            .bind(until)
            .bind(token_hash)
            .execute(db.pool()),
    )
    .await
    .map(drop)
}

/// Revokes one of the admin's sessions by its public id: false if there is
/// no such live session of theirs.
pub async fn revoke_session(
    db: &Db,
    admin_id: &str,
    public_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE admin_sessions SET revoked_at = ? \
        WHERE admin_id = ? AND public_id = ? AND revoked_at IS NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL)
                .bind(now)
                .bind(admin_id)
                .bind(public_id)
                .execute(db.pool()),
        )
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of the admin (inside `tx` when given).
pub async fn revoke_sessions_of(
    db: &Db,
    tx: &mut Tx,
    admin_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    const SQL: &str =
        "UPDATE admin_sessions SET revoked_at = ? WHERE admin_id = ? AND revoked_at IS NULL";
    let done = db
        .traced(
            SQL,
            sqlx::query(SQL).bind(now).bind(admin_id).execute(&mut **tx),
        )
        .await?;
    Ok(done.rows_affected())
}

/// A session as its owner sees it in the list.
#[derive(Debug, Clone)]
pub struct SessionListRow {
    pub public_id: String,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub mfa_passed: bool,
}

/// The admin's sessions not revoked and not past their absolute expiry
/// (idle ones are filtered by the caller, who knows the rule).
pub async fn sessions_of(
    db: &Db,
    admin_id: &str,
    now: i64,
) -> Result<Vec<SessionListRow>, sqlx::Error> {
    const SQL: &str = "SELECT public_id, client_address, user_agent, created_at, last_seen_at, expires_at, mfa_passed \
        FROM admin_sessions WHERE admin_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at";
    type T = (String, Option<String>, Option<String>, i64, i64, i64, i64);
    let rows: Vec<T> = db
        .traced_all(
            SQL,
            sqlx::query_as(SQL)
                .bind(admin_id)
                .bind(now)
                .fetch_all(db.pool()),
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| SessionListRow {
            public_id: t.0,
            client_address: t.1,
            user_agent: t.2,
            created_at: t.3,
            last_seen_at: t.4,
            expires_at: t.5,
            mfa_passed: t.6 != 0,
        })
        .collect())
}
